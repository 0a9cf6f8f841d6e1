#include "tests/support/process.h"

#include "clients/lib/subscriber.h"
#include "daemon/net/curve.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace zhiban::test {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "zhiban-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

SmallDisk::SmallDisk(std::string dir, int mib) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  mounted_ =
      std::system(
          fmt::format("mount -t tmpfs -o size={}m tmpfs '{}' 2>/dev/null", mib, dir_).c_str()) == 0;
}

SmallDisk::~SmallDisk() {
  if (mounted_) (void)std::system(fmt::format("umount -l '{}'", dir_).c_str());
}

void SmallDisk::Fill() {
  (void)std::system(fmt::format("dd if=/dev/zero of='{}/filler' bs=1M 2>/dev/null", dir_).c_str());
}

void SmallDisk::Free() {
  std::error_code ec;
  fs::remove(dir_ + "/filler", ec);
}

std::string BinDir() {
  const char* d = std::getenv("ZHIBAN_BIN_DIR");
  return d ? d : "build/bin";
}

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

namespace {

pid_t Spawn(const std::vector<std::string>& argv, int in_fd, int out_fd, int err_fd) {
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (in_fd >= 0) dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

RunResult Run(const std::vector<std::string>& argv, const std::string& stdin_text) {
  TempDir tmp;
  std::string in = tmp / "in", out = tmp / "out", err = tmp / "err";
  { std::ofstream(in) << stdin_text; }
  int in_fd = open(in.c_str(), O_RDONLY);
  int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = Spawn(argv, in_fd, out_fd, err_fd);
  close(in_fd);
  close(out_fd);
  close(err_fd);
  int status = 0;
  waitpid(pid, &status, 0);
  return {DecodeStatus(status), Slurp(out), Slurp(err)};
}

Process::Process(const std::vector<std::string>& argv, const std::string& log) {
  int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  int null_fd = open("/dev/null", O_RDONLY);
  pid_ = Spawn(argv, null_fd, fd, fd);
  close(fd);
  close(null_fd);
}

Process::~Process() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    Wait();
  }
}

void Process::Signal(int sig) {
  if (!reaped_) kill(pid_, sig);
}

int Process::Wait() {
  if (!reaped_) {
    waitpid(pid_, &status_, 0);
    reaped_ = true;
  }
  return DecodeStatus(status_);
}

DaemonFixture::DaemonFixture(std::vector<std::string> extra_args, Transport transport)
    : extra_(std::move(extra_args)) {
  if (transport == Transport::kIpc) {
    ctl_ = "ipc://" + (dir_ / "ctl.sock");
    pub_ = "ipc://" + (dir_ / "pub.sock");
    replay_ = "ipc://" + (dir_ / "replay.sock");
  } else {
    // Fixed ports, so a client can connect before zhiband has bound.
    ctl_ = "tcp://127.0.0.1:" + std::to_string(FreeTcpPort());
    pub_ = "tcp://127.0.0.1:" + std::to_string(FreeTcpPort());
    replay_ = "tcp://127.0.0.1:" + std::to_string(FreeTcpPort());
    if (transport == Transport::kCurve) {
      curve_ctl_ = ctl_;
      ctl_ = "ipc://" + data_dir_ + "/ctl.sock";
    }
  }
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(f, l);) out.push_back(l);
  return out;
}

bool WaitForLines(const std::string& path, size_t n, std::chrono::seconds deadline) {
  return WaitForLinesWith(path, "", n, deadline);
}

bool WaitForLinesWith(const std::string& path, std::string_view needle, size_t n,
                      std::chrono::seconds deadline) {
  const auto count = [&] {
    size_t k = 0;
    for (const auto& line : Lines(path)) k += line.find(needle) != std::string::npos;
    return k;
  };
  int fd = inotify_init1(IN_NONBLOCK);
  { std::ofstream touch(path, std::ios::app); }
  inotify_add_watch(fd, path.c_str(), IN_MODIFY);
  const auto until = std::chrono::steady_clock::now() + deadline;
  bool ok = false;
  while (!(ok = count() >= n) && std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    poll(&p, 1, 500);
    char buf[4096];
    while (read(fd, buf, sizeof buf) > 0) {
    }
  }
  close(fd);
  return ok;
}

int FreeTcpPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  close(fd);
  return ntohs(sa.sin_port);
}

DaemonFixture::~DaemonFixture() {
  client_.reset();
  if (proc_) {
    proc_->Signal(SIGTERM);
    proc_->Wait();
  }
}

void DaemonFixture::UseDataDir(std::string dir) {
  data_dir_ = std::move(dir);
  if (!curve_ctl_.empty()) ctl_ = "ipc://" + data_dir_ + "/ctl.sock";  // the local admin's
}

void DaemonFixture::Start() {
  std::vector<std::string> argv = {BinDir() + "/zhiband",
                                   "--data-dir",
                                   data_dir(),
                                   "--ctl",
                                   curve_ctl_.empty() ? ctl() : curve_ctl_,
                                   "--pub",
                                   pub(),
                                   "--replay",
                                   replay(),
                                   "--http",
                                   "127.0.0.1:0"};
  if (ctl_.starts_with("tcp://")) argv.push_back("--no-curve");  // benchmarks: like with like
  if (!curve_ctl_.empty()) argv.push_back("--local-admin");
  argv.insert(argv.end(), extra_.begin(), extra_.end());
  argv.insert(argv.begin(), launcher_.begin(), launcher_.end());
  proc_ = std::make_unique<Process>(argv, log());
  // Ready when it answers: the ctl request waits in ZeroMQ until zhiband binds.
  client_ = std::make_unique<client::CtlClient>(zmq_, ctl(), std::chrono::seconds(20));
  v1::CtlRequest req;
  req.mutable_status();
  auto reply = client_->Call(req);
  if (!reply.ok())
    throw std::runtime_error("zhiband did not start: " + reply.status().message() + "\n" +
                             Slurp(log()));
}

void DaemonFixture::Kill9() {
  client_.reset();
  proc_->Signal(SIGKILL);
  proc_->Wait();
  proc_.reset();
}

int DaemonFixture::Stop() {
  client_.reset();
  if (!proc_) return 0;
  proc_->Signal(SIGTERM);
  int rc = proc_->Wait();
  proc_.reset();
  if (rc != 0) {
    // The test will fail on rc; say why zhiband did not stop cleanly.
    std::string text = Slurp(log());
    if (text.size() > 8000) text = "…" + text.substr(text.size() - 8000);
    std::fprintf(stderr, "zhiband exited %d on SIGTERM; the end of %s:\n%s\n", rc, log().c_str(),
                 text.c_str());
  }
  return rc;
}

std::string DaemonFixture::log() const { return dir_ / "zhiband.log"; }

std::string DaemonFixture::server_key() const {
  auto k = net::ReadPublicKey(data_dir() + "/zhiband.pub");
  if (!k.ok()) throw std::runtime_error(k.status().ToString());
  return *k;
}

std::string DaemonFixture::http() const {
  auto j = nlohmann::json::parse(Slurp(data_dir() + "/zhiband.endpoints.json"));
  return j.at("http").get<std::string>();
}

RunResult DaemonFixture::Ctl(std::vector<std::string> args) {
  std::vector<std::string> argv = {
      BinDir() + "/zhibanctl", "--endpoint", ctl(), "--pub", pub(), "--replay", replay(),
      "--timeout-ms",          "20000"};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv);
}

client::CtlClient& DaemonFixture::client() {
  if (!client_)
    client_ = std::make_unique<client::CtlClient>(zmq_, ctl(), std::chrono::seconds(20));
  return *client_;
}

namespace {
std::pair<int, std::string> HttpCall(const std::string& method, const std::string& addr,
                                     const std::string& path, const std::string& body) {
  auto colon = addr.rfind(':');
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::stoi(addr.substr(colon + 1))));
  inet_pton(AF_INET, addr.substr(0, colon).c_str(), &sa.sin_addr);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    return {-1, ""};
  }
  std::string req =
      method + " " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nConnection: close\r\n";
  if (method == "POST")
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  (void)!write(fd, req.data(), req.size());
  std::string resp;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  int code = resp.size() > 12 ? std::stoi(resp.substr(9, 3)) : -1;
  auto at = resp.find("\r\n\r\n");
  return {code, at == std::string::npos ? "" : resp.substr(at + 4)};
}
}  // namespace

std::pair<int, std::string> HttpGet(const std::string& addr, const std::string& path) {
  return HttpCall("GET", addr, path, "");
}

std::pair<int, std::string> HttpPost(const std::string& addr, const std::string& path,
                                     const std::string& body) {
  return HttpCall("POST", addr, path, body);
}

uint64_t DaemonFixture::LastSeq() {
  v1::CtlRequest req;
  req.mutable_status();
  auto r = client().Call(req);
  if (!r.ok()) throw std::runtime_error("status: " + r.status().ToString());
  return r->status().last_seq();
}

std::vector<v1::Event> DaemonFixture::EventsAfter(uint64_t after, const net::CurveClient& curve) {
  client::SubscriberOptions o;
  o.pub_endpoint = pub_;
  o.replay_endpoint = replay_;
  o.curve = curve;
  client::Subscriber sub(zmq_, o);
  std::vector<v1::Event> out;
  Status s = sub.Run(after + 1, false, [&](const v1::Event& e) {
    out.push_back(e);
    return true;
  });
  if (!s.ok()) throw std::runtime_error("replay: " + s.ToString());  // a test failure
  return out;
}

}  // namespace zhiban::test
