// The plugin SDK and zhiban-notify-console against the real zhiband.
#include <signal.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "plugins/sdk/runner.h"
#include "tests/support/process.h"

namespace zhiban::test {
namespace {

using plugin::Delivery;

void AddStaff(DaemonFixture& d, int n, const std::string& prefix) {
  std::string csv = "id,name,center_id,roles\n";
  for (int i = 0; i < n; ++i) csv += fmt::format("{}{},员工{},street,WORKER\n", prefix, i, i);
  std::ofstream(d.dir() / (prefix + ".csv")) << csv;
  ASSERT_EQ(d.Ctl({"import", "staff", d.dir() / (prefix + ".csv")}).exit_code, 0);
}

// A notifier whose answers the test scripts.
class Scripted final : public plugin::Notifier {
 public:
  bool Wants(const v1::Event& e) const override { return e.topic().starts_with("staff."); }
  Result<std::vector<v1::Notification>> Render(const v1::Event& e) override {
    v1::Notification n;
    n.set_key(e.id());
    n.set_seq(e.seq());
    n.set_text(e.staff_added().staff().id());
    return std::vector<v1::Notification>{n};
  }
  Delivery Send(const v1::Notification& n) override {
    std::lock_guard lock(mu);
    ++calls[n.key()];
    const auto& id = n.text();
    last_seen = id;
    cv.notify_all();
    if (id == "flaky" && calls[n.key()] < 3) return Delivery::Retry("HTTP 503");
    if (id == "invalid" && !fixed) return Delivery::Fatal("isv.MOBILE_NUMBER_ILLEGAL");
    delivered.push_back(id);
    return Delivery::Ok();
  }
  std::mutex mu;
  std::condition_variable cv;
  std::string last_seen;
  std::map<std::string, int> calls;
  std::vector<std::string> delivered;
  bool fixed = false;
};

TEST(PluginSdk, RetriesDeadLettersRedriveAndNoRepeatAfterRestart) {
  DaemonFixture d;
  d.Start();
  ASSERT_EQ(d.Ctl({"center", "add", "--id", "street", "--name", "街道"}).exit_code, 0);
  for (const char* id : {"a", "flaky", "invalid", "b"}) {
    ASSERT_EQ(d.Ctl({"staff", "add", "--id", id, "--name", "员工", "--center", "street", "--roles",
                     "WORKER"})
                  .exit_code,
              0);
  }
  const uint64_t last = d.LastSeq();
  TempDir state;
  plugin::RunnerOptions opts;
  opts.state_dir = state / "s";
  opts.start = "beginning";  // these tests count every event since the daemon's first
  opts.pub_endpoint = d.pub();
  opts.replay_endpoint = d.replay();
  opts.initial_backoff = std::chrono::milliseconds(10);
  opts.seed = 42;
  Scripted notifier;
  {
    zmq::context_t ctx(1);
    plugin::Runner runner(ctx, opts, notifier);
    ASSERT_TRUE(runner.Open().ok());
    std::atomic<bool> stop{false};
    std::thread t([&] { EXPECT_TRUE(runner.Run(stop).ok()); });
    // "b" is the last event: once the notifier has it, stop. The runner
    // records its outcome before it looks at the stop flag.
    {
      std::unique_lock lock(notifier.mu);
      ASSERT_TRUE(notifier.cv.wait_for(lock, std::chrono::seconds(20),
                                       [&] { return notifier.last_seen == "b"; }));
    }
    stop = true;
    t.join();
    EXPECT_EQ(runner.state().cursor(), last + 1);
    EXPECT_EQ(notifier.delivered, (std::vector<std::string>{"a", "flaky", "b"}));
    EXPECT_EQ(runner.stats().retries, 2u);
    EXPECT_EQ(runner.stats().dead, 1u);
    std::vector<std::string> dead;
    ASSERT_TRUE(runner.state()
                    .ListDead([&](const v1::DeadLetter& dl) {
                      dead.push_back(dl.notification().text());
                      EXPECT_EQ(dl.reason(), "isv.MOBILE_NUMBER_ILLEGAL");
                    })
                    .ok());
    EXPECT_EQ(dead, (std::vector<std::string>{"invalid"}));
  }
  // Restart from the saved cursor: nothing is delivered again; the dead letter re-drives.
  zmq::context_t ctx(1);
  plugin::Runner again(ctx, opts, notifier);
  ASSERT_TRUE(again.Open().ok());
  EXPECT_EQ(again.state().cursor(), last + 1);
  std::string dead_id;
  (void)again.state().ListDead([&](const v1::DeadLetter& dl) { dead_id = plugin::DeadKey(dl); });
  notifier.fixed = true;
  std::atomic<bool> stop{false};
  EXPECT_TRUE(again.Redrive(dead_id, stop).ok());
  EXPECT_EQ(notifier.delivered.back(), "invalid");
  size_t n = 0;
  (void)again.state().ListDead([&](const v1::DeadLetter&) { ++n; });
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(d.Stop(), 0);
}

// Waits until `done` holds or `limit` passes; returns whether it held.
bool WaitUntil(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// A state write refused for want of disk space pauses sending (the runner
// neither exits nor skips): the request never leaves without its in-flight
// mark, and once the state takes writes it is sent exactly once.
TEST(PluginSdk, AStateBelowItsReservePausesSendingThenSendsOnce) {
  DaemonFixture d;
  d.Start();
  ASSERT_EQ(d.Ctl({"center", "add", "--id", "street", "--name", "街道"}).exit_code, 0);
  ASSERT_EQ(d.Ctl({"staff", "add", "--id", "a", "--name", "员工", "--center", "street", "--roles",
                   "WORKER"})
                .exit_code,
            0);
  const uint64_t last = d.LastSeq();
  TempDir state;
  plugin::RunnerOptions opts;
  opts.state_dir = state / "s";
  opts.pub_endpoint = d.pub();
  opts.replay_endpoint = d.replay();
  opts.initial_backoff = std::chrono::milliseconds(10);
  opts.max_backoff = std::chrono::milliseconds(50);
  opts.seed = 42;
  {  // The staff event is next: its in-flight mark is the first write.
    auto s = plugin::PluginState::Open(opts.state_dir, {.min_free_bytes = 0});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_TRUE((*s)->StartAt(last).ok());
  }
  Scripted notifier;
  {
    opts.state_min_free_bytes = UINT64_MAX / 2;  // more than any disk has: every write refused
    zmq::context_t ctx(1);
    plugin::Runner runner(ctx, opts, notifier);
    ASSERT_TRUE(runner.Open().ok());
    std::atomic<bool> stop{false};
    Status ran;
    std::thread t([&] { ran = runner.Run(stop); });
    // Refused again and again: the runner waits and tries again.
    EXPECT_TRUE(
        WaitUntil([&] { return runner.state().write_refusals() >= 3; }, std::chrono::seconds(20)));
    stop = true;
    t.join();
    EXPECT_TRUE(ran.ok()) << "a stop while paused is a clean stop: " << ran.ToString();
    EXPECT_TRUE(notifier.calls.empty()) << "nothing leaves without its in-flight mark";
    EXPECT_EQ(runner.state().cursor(), last);
    EXPECT_NE(runner.Metrics("t").find("zhiban_notify_state_write_refusals_total{plugin=\"t\"} "),
              std::string::npos)
        << runner.Metrics("t");
  }
  // Room again (the reserve met): sent once, recorded, nothing left in flight.
  opts.state_min_free_bytes = 0;
  zmq::context_t ctx(1);
  plugin::Runner again(ctx, opts, notifier);
  ASSERT_TRUE(again.Open().ok());
  std::atomic<bool> stop{false};
  std::thread t([&] { EXPECT_TRUE(again.Run(stop).ok()); });
  {
    std::unique_lock lock(notifier.mu);
    EXPECT_TRUE(notifier.cv.wait_for(lock, std::chrono::seconds(20),
                                     [&] { return notifier.last_seen == "a"; }));
  }
  stop = true;
  t.join();
  EXPECT_EQ(notifier.delivered, (std::vector<std::string>{"a"}));
  ASSERT_EQ(notifier.calls.size(), 1u);
  EXPECT_EQ(notifier.calls.begin()->second, 1);
  EXPECT_EQ(again.state().cursor(), last + 1);
  int inflight = 0;
  ASSERT_TRUE(again.state().ListInflight([&](const v1::Notification&) { ++inflight; }).ok());
  EXPECT_EQ(inflight, 0);
  EXPECT_EQ(d.Stop(), 0);
}

// The same on a real full disk, with the default 64 MiB reserve: sending
// pauses while the disk is full and resumes by itself once there is room;
// a notifier started on the full disk exits 1 saying so. Needs root (a tmpfs
// mounted under the state dir); skipped otherwise.
TEST(PluginSdk, AFullStateDiskPausesSendingThenResumesAndAStartOnItSaysSo) {
  DaemonFixture d;
  d.Start();
  ASSERT_EQ(d.Ctl({"center", "add", "--id", "street", "--name", "街道"}).exit_code, 0);
  TempDir work;
  // 256 MiB: RocksDB preallocates its WAL (about 70 MiB) on the first write.
  SmallDisk small(work / "disk", 256);
  if (!small.mounted()) GTEST_SKIP() << "needs root to mount a small tmpfs";
  const std::string& disk = small.dir();
  auto add_staff = [&](const char* id) {
    return d
        .Ctl({"staff", "add", "--id", id, "--name", "员工", "--center", "street", "--roles",
              "WORKER"})
        .exit_code;
  };
  plugin::RunnerOptions opts;
  opts.state_dir = disk + "/state";
  opts.start = "beginning";
  opts.pub_endpoint = d.pub();
  opts.replay_endpoint = d.replay();
  opts.initial_backoff = std::chrono::milliseconds(10);
  opts.max_backoff = std::chrono::milliseconds(100);
  opts.seed = 42;
  Scripted notifier;
  {
    zmq::context_t ctx(1);
    plugin::Runner runner(ctx, opts, notifier);
    ASSERT_TRUE(runner.Open().ok());
    std::atomic<bool> stop{false};
    std::thread t([&] { EXPECT_TRUE(runner.Run(stop).ok()); });
    ASSERT_EQ(add_staff("a"), 0);
    {
      std::unique_lock lock(notifier.mu);
      ASSERT_TRUE(notifier.cv.wait_for(lock, std::chrono::seconds(20),
                                       [&] { return notifier.last_seen == "a"; }));
    }
    small.Fill();
    ASSERT_EQ(add_staff("b"), 0);
    EXPECT_TRUE(
        WaitUntil([&] { return runner.state().write_refusals() >= 2; }, std::chrono::seconds(20)));
    {
      std::lock_guard lock(notifier.mu);
      EXPECT_EQ(notifier.last_seen, "a") << "b must wait for room for its in-flight mark";
    }
    small.Free();
    {
      std::unique_lock lock(notifier.mu);
      EXPECT_TRUE(notifier.cv.wait_for(lock, std::chrono::seconds(20), [&] {
        return notifier.last_seen == "b";
      })) << "sending resumes by itself once there is room";
    }
    stop = true;
    t.join();
    EXPECT_EQ(notifier.delivered, (std::vector<std::string>{"a", "b"}));
    for (const auto& [key, n] : notifier.calls) EXPECT_EQ(n, 1) << key;
  }
  small.Fill();
  auto start = test::Run({BinDir() + "/zhiban-notify-console", "--state-dir", opts.state_dir,
                          "--pub", d.pub(), "--replay", d.replay()});
  EXPECT_EQ(start.exit_code, 1) << start.err;
  EXPECT_NE(
      start.err.find("KiB free; zhiban-notify-console needs at least 64 MiB to open its state"),
      std::string::npos)
      << start.err;
  small.Free();
  EXPECT_EQ(d.Stop(), 0);
}

TEST(NotifyConsole, KillDashNineMidStreamThenResume) {
  DaemonFixture d;
  d.Start();
  ASSERT_EQ(d.Ctl({"center", "add", "--id", "street", "--name", "街道"}).exit_code, 0);
  TempDir work;
  const std::string out = work / "notifications.txt";
  auto start_plugin = [&] {
    return std::make_unique<Process>(
        std::vector<std::string>{BinDir() + "/zhiban-notify-console", "--start", "beginning",
                                 "--state-dir", work / "state", "--pub", d.pub(), "--replay",
                                 d.replay(), "--out", out},
        work / "plugin.log");
  };
  auto plugin = start_plugin();
  // 5,000 events: the console prints about one a millisecond here (two under
  // ASan), so the kill after 500 lands with thousands still to come.
  AddStaff(d, 5000, "s");
  const uint64_t last = d.LastSeq();
  ASSERT_TRUE(WaitForLines(out, 500, std::chrono::seconds(30)));
  plugin->Signal(SIGKILL);  // mid-stream
  plugin->Wait();
  const size_t at_kill = Lines(out).size();
  ASSERT_LT(at_kill, last) << "the kill must land mid-stream for this test to mean anything";
  plugin = start_plugin();
  ASSERT_TRUE(WaitForLines(out, last, std::chrono::seconds(60)))
      << Lines(out).size() << " of " << last;
  plugin->Signal(SIGTERM);
  EXPECT_EQ(plugin->Wait(), 0);

  // Every event once, in order; at most the one event in flight at the kill
  // is printed twice (console output is at-least-once, see runner.h).
  std::map<uint64_t, int> seen;
  uint64_t prev = 0;
  int repeats = 0;
  for (const auto& l : Lines(out)) {
    auto hash = l.find(" #");
    uint64_t seq = std::stoull(l.substr(hash + 2));
    if (++seen[seq] > 1) ++repeats;
    if (seq <= prev) {
      EXPECT_EQ(seen[seq], 2) << "only a repeat may go backwards";
    }
    prev = std::max(prev, seq);
  }
  EXPECT_EQ(seen.size(), last);
  EXPECT_LE(repeats, 1);
  RecordProperty("lines_at_kill", static_cast<int>(at_kill));
  EXPECT_EQ(d.Stop(), 0);
}

// Notifiers ran with umask 022: a state dir 0755 with 0644 files (in-flight
// keys, held and dead letters) and an --out 0644 holding residents' names.
// Now they are owner-only like zhiband, and what an older one left is
// tightened at start.
TEST(NotifyConsole, StateAndOutputAreOwnerOnly) {
  namespace fs = std::filesystem;
  DaemonFixture d;
  d.Start();
  ASSERT_EQ(d.Ctl({"center", "add", "--id", "street", "--name", "街道"}).exit_code, 0);
  TempDir work;
  const fs::path state = work / "state", out = work / "notifications.txt";
  fs::create_directories(state / "old");
  std::ofstream(state / "old" / "letter") << "from an older plugin";
  std::ofstream(out) << "";
  const auto open = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                    fs::perms::others_read | fs::perms::others_exec;
  for (const fs::path& p : {state, state / "old", state / "old" / "letter", out})
    fs::permissions(p, open);
  Process plugin({BinDir() + "/zhiban-notify-console", "--start", "beginning", "--state-dir", state,
                  "--pub", d.pub(), "--replay", d.replay(), "--out", out},
                 work / "plugin.log");
  ASSERT_TRUE(WaitForLines(out, 1, std::chrono::seconds(30)));
  plugin.Signal(SIGTERM);
  EXPECT_EQ(plugin.Wait(), 0);
  constexpr auto kOthers = fs::perms::group_all | fs::perms::others_all;
  int checked = 0;
  for (const auto& e : fs::recursive_directory_iterator(state)) {
    EXPECT_EQ(e.symlink_status().permissions() & kOthers, fs::perms::none) << e.path();
    ++checked;
  }
  EXPECT_GT(checked, 3) << "the plugin's own state files are checked too";
  EXPECT_EQ(fs::status(state).permissions() & kOthers, fs::perms::none);
  EXPECT_EQ(fs::status(out).permissions() & kOthers, fs::perms::none);
  EXPECT_EQ(d.Stop(), 0);
}

// A notifier started before zhiband (or across its restart) waits and follows.
TEST(NotifyConsole, WaitsForTheDaemonAndFollowsAcrossItsRestart) {
  DaemonFixture d({}, Transport::kTcp);
  TempDir work;
  const std::string out = work / "notifications.txt";
  Process plugin({BinDir() + "/zhiban-notify-console", "--start", "beginning", "--state-dir",
                  work / "state", "--pub", d.pub(), "--replay", d.replay(), "--out", out},
                 work / "plugin.log");
  d.Start();
  ASSERT_EQ(d.Ctl({"center", "add", "--id", "street", "--name", "街道"}).exit_code, 0);
  const uint64_t first = d.LastSeq();
  ASSERT_TRUE(WaitForLines(out, first, std::chrono::seconds(30)));
  d.Kill9();
  d.Start();
  ASSERT_EQ(d.Ctl({"center", "add", "--id", "north", "--name", "北区"}).exit_code, 0);
  const uint64_t last = d.LastSeq();
  ASSERT_TRUE(WaitForLines(out, last, std::chrono::seconds(60)))
      << Lines(out).size() << " of " << last;
  EXPECT_EQ(Lines(out).size(), last);
  plugin.Signal(SIGTERM);
  EXPECT_EQ(plugin.Wait(), 0);
  EXPECT_EQ(d.Stop(), 0);
}

// SIGTERM while the daemon is away (waiting for a replay answer) stops the
// plugin promptly, not after the 10 s replay timeout.
TEST(NotifyConsole, StopsPromptlyWhileTheDaemonIsAway) {
  DaemonFixture d;  // never started: its endpoints answer nobody
  TempDir work;
  Process plugin(
      {BinDir() + "/zhiban-notify-console", "--start", "beginning", "--state-dir", work / "state",
       "--pub", d.pub(), "--replay", d.replay(), "--out", work / "out.txt"},
      work / "plugin.log");
  ASSERT_TRUE(WaitForLines(work / "plugin.log", 1,
                           std::chrono::seconds(10)));  // "following ... from seq 1"
  const auto t0 = std::chrono::steady_clock::now();
  plugin.Signal(SIGTERM);
  EXPECT_EQ(plugin.Wait(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

}  // namespace
}  // namespace zhiban::test
