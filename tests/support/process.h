// Test support: temp dirs, child processes, and a real zhiband started on
// ipc:// endpoints in a temp dir (HTTP on a free port).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "clients/lib/ctl_client.h"
#include "zhiban/v1/events.pb.h"

namespace zhiban::test {

// A directory removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& leaf) const { return (path_ / leaf).string(); }

 private:
  std::filesystem::path path_;
};

// A small tmpfs mounted at `dir` (created), unmounted at destruction: a disk
// a test can fill. Mounting needs root: a test skips when mounted() is false.
class SmallDisk {
 public:
  SmallDisk(std::string dir, int mib);
  ~SmallDisk();
  bool mounted() const { return mounted_; }
  const std::string& dir() const { return dir_; }
  void Fill();  // a filler file takes every byte left
  void Free();  // and is removed

 private:
  std::string dir_;
  bool mounted_ = false;
};

// Where built binaries are (ZHIBAN_BIN_DIR, set by CMake for ctest).
std::string BinDir();

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a program to completion, capturing stdout and stderr.
RunResult Run(const std::vector<std::string>& argv, const std::string& stdin_text = "");

// A child process running in the background; its output goes to `log`.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::string& log);
  ~Process();  // SIGKILL if still running
  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // Waits for exit; returns the exit code, or 128+signal.
  int Wait();

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// A real zhiband in a temp dir, on ipc:// endpoints (tests), on free TCP
// loopback ports without CURVE (benchmarks, to compare like with like), or
// on TCP with CURVE plus the local admin socket (security tests: ctl() is
// then ipc://<data_dir>/ctl.sock, the CURVE ctl is curve_ctl()).
enum class Transport { kIpc, kTcp, kCurve };

class DaemonFixture {
 public:
  explicit DaemonFixture(std::vector<std::string> extra_args = {},
                         Transport transport = Transport::kIpc);
  ~DaemonFixture();

  // Starts (or restarts) zhiband and waits until it answers `status`.
  void Start();
  void Kill9();
  int Stop();  // SIGTERM, returns exit code

  const std::string& ctl() const { return ctl_; }
  const std::string& pub() const { return pub_; }
  const std::string& replay() const { return replay_; }
  const std::string& curve_ctl() const { return curve_ctl_; }  // kCurve only
  std::string server_key() const;  // kCurve: zhiband's public key, from <data_dir>/zhiband.pub
  const std::string& data_dir() const { return data_dir_; }
  void UseDataDir(std::string dir);  // before Start()
  // Runs zhiband through `launcher` (e.g. {"prlimit", "--nofile=420:420",
  // "--"}: a program that execs the rest, so the pid stays zhiband's).
  void UseLauncher(std::vector<std::string> launcher) { launcher_ = std::move(launcher); }
  pid_t pid() const { return proc_ ? proc_->pid() : -1; }
  std::string http() const;  // host:port, from the endpoints file
  const TempDir& dir() const { return dir_; }
  std::string log() const;

  // zhibanctl with this daemon's endpoints.
  RunResult Ctl(std::vector<std::string> args);
  // Every stored event after seq `after`, by replay (gap-free, in order);
  // throws when the replay fails (gtest reports it as the test failing).
  // Under kCurve, pass a key zhiband knows (pub and replay are CURVE).
  std::vector<v1::Event> EventsAfter(uint64_t after, const net::CurveClient& curve = {});
  zmq::context_t& zmq() { return zmq_; }
  client::CtlClient& client();
  // The seq of the last stored event, by `status`; throws when the call fails.
  uint64_t LastSeq();

 private:
  TempDir dir_;
  std::vector<std::string> extra_, launcher_;
  std::string ctl_, pub_, replay_, curve_ctl_;
  std::string data_dir_ = dir_ / "data";
  std::unique_ptr<Process> proc_;
  zmq::context_t zmq_{1};
  std::unique_ptr<client::CtlClient> client_;
};

// A file's whole content (empty when it does not exist).
std::string Slurp(const std::string& path);

// Polls `fn` every 50 ms until true or the deadline, for conditions another
// process shows only over HTTP or ctl (a provider stand-in's sends, a
// plugin's /metrics). A file's lines are waited on instead: WaitForLines.
template <typename Fn>
bool Eventually(Fn fn, std::chrono::seconds deadline = std::chrono::seconds(60)) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (fn()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fn();
}

// The lines of a text file (empty when it does not exist).
std::vector<std::string> Lines(const std::string& path);
// Waits (inotify, with a deadline) until `path` has at least `n` lines.
bool WaitForLines(const std::string& path, size_t n, std::chrono::seconds deadline);
// Waits (inotify, not a sleep) until `path` holds at least `n` lines that
// contain `needle`, or `deadline` passes; true when they are there.
bool WaitForLinesWith(const std::string& path, std::string_view needle, size_t n,
                      std::chrono::seconds deadline);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeTcpPort();

// GET http://addr/path; returns status code and body.
std::pair<int, std::string> HttpGet(const std::string& addr, const std::string& path);
std::pair<int, std::string> HttpPost(const std::string& addr, const std::string& path,
                                     const std::string& body);

}  // namespace zhiban::test
