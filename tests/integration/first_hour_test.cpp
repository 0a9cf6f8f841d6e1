// A new user's first hour, through the real zhiband, zhibanctl and
// zhiban-notify-console: a rota published late raises no false alarm, what
// the console prints reads as the Chinese a staff member would receive, a
// new notifier does not replay history, and stale notices are skipped.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clients/lib/subscriber.h"
#include "daemon/base/time_util.h"
#include "tests/support/ctl_expect.h"
#include "tests/support/source.h"

namespace zhiban::test {
namespace {

using google::protobuf::util::TimeUtil;
using namespace std::chrono_literals;

// Every stored event after `after`, by replay.
std::vector<v1::Event> EventsAfter(DaemonFixture& d, uint64_t after) {
  client::SubscriberOptions o;
  o.pub_endpoint = d.pub();
  o.replay_endpoint = d.replay();
  client::Subscriber sub(d.zmq(), o);
  std::vector<v1::Event> out;
  auto s = sub.Run(after + 1, false, [&](const v1::Event& e) {
    out.push_back(e);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

bool WaitForText(const std::string& path, const std::string& needle,
                 std::chrono::seconds deadline = 30s) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (ReadAll(path).find(needle) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(50ms);
  }
}

int64_t Sec(const google::protobuf::Timestamp& t) { return t.seconds(); }

class FirstHour : public ::testing::Test {
 protected:
  // The demo network of ops/quickstart.sh, on the morning of a month's last
  // day (a Saturday: weekend hours 09:00–17:00), 30 minutes before opening.
  void SetUp() override {
    d_.Start();
    Ok({"import", "centers", Source("ops/demo/centers.csv")});
    Ok({"import", "staff", Source("ops/demo/staff.csv")});
    Ok({"policy", "set", "--file", Source("ops/policies/community.toml"), "--from", "2024-01-01"});
    for (const char* c : {"chaoyang-street", "xingfu", "heping", "yangguang"})
      Ok({"policy", "assign", "--center", c, "--policy", "community-standard", "--from",
          "2024-01-01"});
  }
  void TearDown() override { EXPECT_EQ(d_.Stop(), 0); }

  RunResult Ok(const std::vector<std::string>& args) { return CtlOk(d_, args); }
  std::unique_ptr<Process> Console(const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {BinDir() + "/zhiban-notify-console",
                                     "--state-dir",
                                     work_ / "state",
                                     "--pub",
                                     d_.pub(),
                                     "--replay",
                                     d_.replay(),
                                     "--out",
                                     out()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<Process>(argv, work_ / "console.log");
  }
  std::string out() const { return work_ / "notifications.txt"; }

  DaemonFixture d_{{"--clock", "simulated:2026-01-31T08:30:00+08:00"}};
  TempDir work_;
};

TEST_F(FirstHour, PublishedLateOnAMonthsLastDayRaisesNoFalseAlarmAndReadsAsChinese) {
  // A new console started on a daemon with history: it starts from now.
  auto console = Console({});
  ASSERT_TRUE(WaitForText(work_ / "console.log", "first start")) << ReadAll(work_ / "console.log");
  // What quickstart does: yesterday is already over, this morning's shifts
  // are ahead, the next month too.
  Ok({"rota", "generate", "--center", "all", "--from", "2026-01-30", "--to", "2026-02-28",
      "--fill"});
  const uint64_t before = d_.LastSeq();
  const int64_t published_at = 1769819400;  // 2026-01-31T08:30:00+08:00
  Ok({"rota", "publish", "--center", "all", "--month", "2026-01"});
  Ok({"rota", "publish", "--center", "all", "--month", "2026-02"});
  Ok({"clock", "advance", "1m"});  // timers due by now fire before this answers

  std::map<std::string, int> reminders;  // shift id -> reminders for it
  std::set<std::string> this_morning;    // assigned shifts starting 2026-01-31 09:00
  for (const auto& e : EventsAfter(d_, before)) {
    if (e.has_shift_assigned() && e.shift_assigned().shift().date() == "2026-01-31" &&
        e.shift_assigned().shift().start_local() == "09:00")
      this_morning.insert(e.shift_assigned().shift().id());
    if (e.has_shift_reminder()) {
      const auto& r = e.shift_reminder();
      EXPECT_GT(Sec(r.shift().start()), published_at)
          << "a reminder for a shift that had begun: " << r.shift().id();
      EXPECT_EQ(r.lead(), "before") << r.shift().id() << ": the eve reminder time passed too";
      EXPECT_TRUE(r.late()) << r.shift().id();
      ++reminders[r.shift().id()];
    }
    if (e.has_coverage_gap()) {
      EXPECT_GT(Sec(e.coverage_gap().shift().end()), published_at)
          << "a gap alarm for a shift already over: " << e.coverage_gap().shift().id() << " "
          << e.coverage_gap().reason();
      EXPECT_EQ(e.coverage_gap().reason().find("no-show"), std::string::npos);
    }
    if (e.has_shift_handoff()) {
      EXPECT_GT(Sec(e.shift_handoff().at()), published_at) << e.shift_handoff().at_local();
    }
    if (!e.center_id().empty()) {
      EXPECT_FALSE(e.center_name().empty()) << e.topic();
    }
  }
  ASSERT_FALSE(this_morning.empty());
  for (const auto& id : this_morning) {
    EXPECT_EQ(reminders[id], 1) << id << ": once, at publication, marked late";
  }
  EXPECT_EQ(reminders.size(), this_morning.size());

  // What the console printed reads as what staff receive.
  ASSERT_TRUE(WaitForText(out(), "值班提醒：2026-01-31 09:00–17:00 在")) << ReadAll(out());
  // The console may still be printing the rest: wait for every reminder.
  EXPECT_TRUE(
      WaitForLinesWith(out(), " shift.reminder ", this_morning.size(), std::chrono::seconds(10)));
  size_t reminder_lines = 0, digest_lines = 0;
  for (const auto& line : Lines(out())) {
    EXPECT_EQ(line.find("1970"), std::string::npos) << line;
    EXPECT_EQ(line.find("shift.reminder shift.reminder"), std::string::npos) << line;
    if (line.find(" shift.reminder ") != std::string::npos) {
      ++reminder_lines;
      EXPECT_NE(line.find("党群服务中心值班，请准时到岗签到"), std::string::npos) << line;
    }
    // Publication tells each person their month once (issue 36): the
    // per-shift events are printed as the bus carries them, sent to nobody.
    if (line.find(" shift.assigned ") != std::string::npos) {
      EXPECT_EQ(line.find("→"), std::string::npos) << line;
    }
    if (line.find(" rota.digest ") != std::string::npos) {
      ++digest_lines;
      EXPECT_NE(line.find("排班已发布：您"), std::string::npos) << line;
    }
  }
  EXPECT_EQ(reminder_lines, this_morning.size());
  EXPECT_GT(digest_lines, 0u);
  console->Signal(SIGTERM);
  EXPECT_EQ(console->Wait(), 0);
}

// The console is away while tomorrow's reminders fire and the shifts begin;
// when it comes back it skips what is stale instead of sending it.
// `rota publish --center all` once stopped at the first center already
// published and left the rest unpublished (issue 36). It now publishes every
// center that can be, names those already published and those it could not
// publish, and exits 1 only for the latter.
TEST_F(FirstHour, PublishAllGoesOnPastCentersAlreadyPublished) {
  Ok({"rota", "generate", "--center", "all", "--from", "2026-02-01", "--to", "2026-02-28",
      "--fill"});
  Ok({"rota", "publish", "--center", "heping", "--month", "2026-02"});
  const RunResult all = d_.Ctl({"rota", "publish", "--center", "all", "--month", "2026-02"});
  EXPECT_EQ(all.exit_code, 0) << all.out << all.err;
  EXPECT_NE(all.out.find("2026-02 of heping was already published"), std::string::npos) << all.out;
  for (const char* c : {"chaoyang-street", "xingfu", "yangguang"})
    EXPECT_NE(all.out.find(fmt::format("of {}:", c)), std::string::npos) << c << "\n" << all.out;
  EXPECT_NE(all.out.find("3 center(s) published, 1 already published, 0 not published"),
            std::string::npos)
      << all.out;
  // A month with no shifts anywhere: every center reported, exit 1.
  const RunResult none = d_.Ctl({"rota", "publish", "--center", "all", "--month", "2026-05"});
  EXPECT_EQ(none.exit_code, 1) << none.out << none.err;
  EXPECT_NE(none.out.find("0 center(s) published, 0 already published, 4 not published"),
            std::string::npos)
      << none.out;
  EXPECT_NE(none.err.find("yangguang not published"), std::string::npos) << none.err;
}

TEST_F(FirstHour, StaleNoticesAreSkippedRecordedAndCounted) {
  Ok({"rota", "generate", "--center", "all", "--from", "2026-01-31", "--to", "2026-02-28",
      "--fill"});
  const uint64_t before = d_.LastSeq();
  Ok({"rota", "publish", "--center", "all", "--month", "2026-01"});
  Ok({"rota", "publish", "--center", "all", "--month", "2026-02"});
  Ok({"clock", "set", "2026-02-01T08:10:00+08:00"});  // tomorrow's reminders fire
  Ok({"clock", "set", "2026-02-01T09:05:00+08:00"});  // and its shifts begin
  size_t stale_reminders = 0;
  for (const auto& e : EventsAfter(d_, before)) {
    if (e.has_shift_reminder() && e.shift_reminder().shift().date() == "2026-02-01")
      ++stale_reminders;
  }
  ASSERT_GT(stale_reminders, 0u);

  // A config naming the built-in templates, with /metrics.
  const int port = FreeTcpPort();
  const std::string config = work_ / "console.toml";
  std::ofstream(config) << fmt::format(R"([bus]
start = "beginning"
[quiet_hours]
start = "00:00"
end = "00:00"
[metrics]
listen = "127.0.0.1:{}"
[[route]]
topics = ["shift.reminder"]
to = ["subject"]
template = "shift.reminder"
[[route]]
topics = ["shift.handoff"]
to = ["subject"]
template = "shift.handoff"
)",
                                       port);
  auto console = Console({"--config", config});
  const uint64_t last = d_.LastSeq();
  const std::string addr = fmt::format("127.0.0.1:{}", port);
  const auto until = std::chrono::steady_clock::now() + 60s;
  std::string metrics;
  while (std::chrono::steady_clock::now() < until) {
    metrics = HttpGet(addr, "/metrics").second;
    if (metrics.find(fmt::format("zhiban_notify_cursor{{plugin=\"console\"}} {}", last + 1)) !=
        std::string::npos)
      break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_NE(metrics.find(fmt::format("zhiban_notify_cursor{{plugin=\"console\"}} {}", last + 1)),
            std::string::npos)
      << metrics;
  console->Signal(SIGTERM);
  EXPECT_EQ(console->Wait(), 0);

  // Every reminder reached the console after its shift began (zhiband's
  // clock, heard on the bus, says 09:05): none was sent. Today's 09:00
  // handoff is within its 30-minute grace and was; yesterday's was not.
  for (const auto& line : Lines(out())) {
    EXPECT_EQ(line.find(" shift.reminder "), std::string::npos) << "sent though stale: " << line;
    EXPECT_EQ(line.find("2026-01-31 09:00 交接班"), std::string::npos) << "stale: " << line;
  }
  EXPECT_TRUE(WaitForText(out(), "2026-02-01 09:00 交接班", 1s)) << ReadAll(out());
  auto listed = test::Run({BinDir() + "/zhiban-notify-console", "--config", config, "--state-dir",
                           work_ / "state", "skipped", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  size_t skipped_reminders = 0, skipped_handoffs = 0;
  std::istringstream in(listed.out);
  for (std::string line; std::getline(in, line);) {
    if (line.find("shift.reminder") != std::string::npos) {
      ++skipped_reminders;
      EXPECT_NE(line.find(" 09:00"), std::string::npos) << line;
      EXPECT_NE(line.find("stale: the shift started at 2026-0"), std::string::npos) << line;
    }
    if (line.find("shift.handoff") != std::string::npos) ++skipped_handoffs;
  }
  EXPECT_GE(skipped_reminders, stale_reminders) << listed.out;  // eve and before, per subject
  EXPECT_GT(skipped_handoffs, 0u) << listed.out;
  EXPECT_NE(metrics.find(fmt::format("zhiban_notify_stale_total{{plugin=\"console\"}} {}",
                                     skipped_reminders + skipped_handoffs)),
            std::string::npos)
      << metrics;
}

// A notifier with no cursor starts at the next event, and writes that cursor
// first: killed right after starting, it misses nothing that came later.
TEST_F(FirstHour, ANewNotifierStartsFromNowAndACrashRightAfterSkipsNothing) {
  auto console = Console({});
  ASSERT_TRUE(WaitForText(work_ / "console.log", "first start")) << ReadAll(work_ / "console.log");
  const uint64_t history = d_.LastSeq();
  console->Signal(SIGKILL);
  console->Wait();
  Ok({"staff", "add", "--id", "newbie", "--name", "新同事", "--center", "xingfu", "--roles",
      "WORKER"});
  console = Console({});
  ASSERT_TRUE(WaitForText(out(), "新同事，欢迎加入幸福社区党群服务中心值班队伍。"))
      << ReadAll(out());
  console->Signal(SIGTERM);
  EXPECT_EQ(console->Wait(), 0);
  const auto lines = Lines(out());
  ASSERT_EQ(lines.size(), d_.LastSeq() - history) << ReadAll(out());
  EXPECT_NE(lines[0].find(fmt::format("#{} ", history + 1)), std::string::npos) << lines[0];
}

}  // namespace
}  // namespace zhiban::test
