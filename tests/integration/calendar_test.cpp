// Calendar, opening policies and coverage through the real zhibanctl and bus.
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clients/lib/subscriber.h"
#include "tests/support/ctl_expect.h"
#include "tests/support/source.h"

namespace zhiban::test {
namespace {

using nlohmann::json;

class CalendarDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    d_.Start();
    base_ = Seq();
  }
  void TearDown() override { EXPECT_EQ(d_.Stop(), 0); }

  uint64_t Seq() {
    auto r = d_.Ctl({"-o", "json", "status"});
    return std::stoull(json::parse(r.out)["last_seq"].get<std::string>());
  }
  json Json(const std::vector<std::string>& args) { return CtlJson(d_, args); }
  // Events after `after`, by replay.
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = d_.dir() / name;
    std::ofstream(path) << text;
    return path;
  }

  DaemonFixture d_{{"--clock", "simulated:2026-01-05T08:00:00+08:00"}};
  uint64_t base_ = 0;
};

TEST_F(CalendarDaemon, NationalCalendar) {
  auto years = Json({"calendar", "years"})["years"];
  ASSERT_EQ(years.size(), 3u) << "2024-2026 ship with zhiband";
  EXPECT_EQ(years[2]["year"], 2026);

  auto stats = Json({"calendar", "stats", "--year", "2026"});
  EXPECT_EQ(stats["listed_rest_days"], 33);
  EXPECT_EQ(stats["makeup_workdays"], 6);

  auto days = Json({"calendar", "show", "--from", "2026-02-13", "--to", "2026-02-15"})["days"];
  ASSERT_EQ(days.size(), 3u);
  EXPECT_EQ(days[0]["day_type"], "WORKDAY");
  EXPECT_EQ(days[1]["day_type"], "MAKEUP_WORKDAY");
  EXPECT_EQ(days[2]["day_type"], "HOLIDAY");
  EXPECT_EQ(days[2]["name"], "春节");

  auto r = d_.Ctl({"calendar", "show", "--from", "2027-01-01"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no national calendar is loaded for 2027"), std::string::npos) << r.err;

  // A bad notice is refused whole, naming the entry; nothing changes.
  const uint64_t before = Seq();
  auto bad = Write("2028.json", R"({"year": 2028, "days": [
      {"name": "元旦", "date": "2028-01-01", "isOffDay": true},
      {"name": "春节", "date": "2028-01-26", "isOffDay": false}]})");
  r = d_.Ctl({"calendar", "import", bad});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("days[1]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2028-01-26"), std::string::npos) << r.err;
  r = d_.Ctl({"calendar", "import", Write("broken.json", "{\"year\": 2028, \"days\": [")});
  EXPECT_EQ(r.exit_code, 2) << "unreadable file: nothing sent";
  EXPECT_EQ(Seq(), before);

  // A new year's notice, including a date of the following year.
  auto good =
      Write("2027.json", R"({"year": 2027, "papers": ["https://example.gov.cn/notice"], "days": [
      {"name": "元旦", "date": "2027-01-01", "isOffDay": true},
      {"name": "元旦", "date": "2027-01-02", "isOffDay": true},
      {"name": "元旦", "date": "2028-01-01", "isOffDay": true}]})");
  r = d_.Ctl({"calendar", "import", good});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("loaded the national calendar 2027: 3 rest days"), std::string::npos)
      << r.out;
  // Loaded, but said to be incomplete (issue 36: it was taken silently).
  EXPECT_NE(r.err.find("warning: the notice for 2027 is incomplete against the law"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("  春节 is not listed\n"), std::string::npos) << r.err;
  auto events = d_.EventsAfter(before);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].topic(), "calendar.updated");
  EXPECT_EQ(events[0].calendar_updated().from(), "2027-01-01");
  EXPECT_EQ(events[0].calendar_updated().to(), "2028-01-01");
  EXPECT_EQ(events[0].calendar_updated().center_id(), "");

  auto [code, metrics] = HttpGet(d_.http(), "/metrics");
  EXPECT_NE(metrics.find("zhiban_calendar_year_loaded{year=\"2027\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("zhiban_calendar_current_year_loaded 1"), std::string::npos);
  EXPECT_NE(metrics.find("zhiban_calendar_next_year_loaded 1"), std::string::npos);
}

TEST_F(CalendarDaemon, ExceptionsPoliciesAndCoverage) {
  const std::string demo = std::string(ZHIBAN_SOURCE_DIR) + "/ops/";
  ASSERT_EQ(d_.Ctl({"import", "centers", demo + "demo/centers.csv"}).exit_code, 0);
  uint64_t mark = Seq();

  // Policies: errors name the line; good ones become versions.
  auto bad = Write("bad.toml",
                   "name = \"x\"\n[[holiday]]\nkind = \"DUTY\"\nstart = \"09:00\"\nend = "
                   "\"17:00\"\nmin_staff = 0\n");
  auto r = d_.Ctl({"policy", "set", "--file", bad});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.toml:6"), std::string::npos) << r.err;
  for (const char* f : {"community.toml", "village.toml"}) {
    r = d_.Ctl({"policy", "set", "--file", demo + "policies/" + f, "--from", "2026-01-01"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  r = d_.Ctl({"policy", "assign", "--center", "xingfu", "--policy", "community-standard", "--from",
              "2026-01-01"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = d_.Ctl({"policy", "assign", "--center", "xingfu", "--policy", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  auto events = d_.EventsAfter(mark);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].topic(), "policy.updated");
  EXPECT_EQ(events[0].policy_updated().version(), 1u);
  EXPECT_EQ(events[2].topic(), "policy.assigned");
  EXPECT_EQ(events[2].center_id(), "xingfu");

  auto windows =
      Json({"coverage", "show", "--center", "xingfu", "--date", "2026-02-17"})["windows"];
  ASSERT_EQ(windows.size(), 2u);
  EXPECT_EQ(windows[0]["kind"], "ON_CALL");
  EXPECT_EQ(windows[0]["coverage"]["roles"][0], "LEADER");
  EXPECT_EQ(windows[1]["kind"], "DUTY");
  EXPECT_EQ(windows[1]["start"], "2026-02-17T01:00:00Z") << "09:00 China Standard Time";

  // A closure is a local exception: an event for that center, and a broken day in the audit.
  mark = Seq();
  r = d_.Ctl({"calendar", "except", "add", "--center", "xingfu", "--id", "repair", "--from",
              "2026-03-02", "--to", "2026-03-03", "--closed", "--reason", "装修"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  events = d_.EventsAfter(mark);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].calendar_updated().center_id(), "xingfu");
  auto days = Json({"calendar", "show", "--from", "2026-03-02", "--center", "xingfu"})["days"];
  EXPECT_EQ(days[0]["closed"], true);
  EXPECT_TRUE(
      Json({"coverage", "show", "--center", "xingfu", "--date", "2026-03-02"})["windows"].empty());

  auto audit = Json({"coverage", "audit", "--year", "2026"});
  // Three centers have no policy (3 x 365 days) and xingfu is closed 2 days.
  EXPECT_EQ(audit["gap_count"], 3 * 365 + 2);
  EXPECT_EQ(audit["centers"], 4);

  // Everything survives a restart.
  EXPECT_EQ(d_.Stop(), 0);
  d_.Start();
  EXPECT_EQ(Json({"coverage", "audit", "--year", "2026"})["gap_count"], 3 * 365 + 2);
  auto list = Json({"policy", "list"});
  EXPECT_EQ(list["policies"].size(), 2u);
  EXPECT_EQ(list["assignments"][0]["policy"], "community-standard");
  r = d_.Ctl({"calendar", "except", "remove", "--id", "repair"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json({"coverage", "audit", "--year", "2026"})["gap_count"], 3 * 365);
}

// From 1 November, `status` says next year's national calendar is missing
// (zhiband ships 2024-2026) and the log says it once a day; /healthz stays 200.
TEST(CalendarNotices, NextYearsCalendarMissingIsANoticeFromNovember) {
  DaemonFixture d({"--clock", "simulated:2026-10-31T12:00:00+08:00"});
  d.Start();
  auto r = d.Ctl({"status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("notice:"), std::string::npos) << r.out;
  ASSERT_EQ(d.Ctl({"clock", "set", "2026-11-01T00:00:00+08:00"}).exit_code, 0);
  r = d.Ctl({"status"});
  EXPECT_NE(r.out.find("notice: the national calendar for 2027 is not loaded (2027 starts in 61 "
                       "days)"),
            std::string::npos)
      << r.out;
  auto [code, body] = HttpGet(d.http(), "/healthz");
  EXPECT_EQ(code, 200) << body;
  EXPECT_TRUE(
      Eventually([&] { return Slurp(d.log()).find("2027 is not loaded") != std::string::npos; },
                 std::chrono::seconds(10)))
      << d.log();
  EXPECT_EQ(d.Stop(), 0);
}

}  // namespace
}  // namespace zhiban::test
