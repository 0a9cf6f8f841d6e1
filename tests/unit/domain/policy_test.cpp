#include "daemon/domain/policy.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/domain/holiday_json.h"
#include "daemon/domain/state.h"
#include "tests/support/source.h"

namespace zhiban::domain {
namespace {

Status ParseError(const std::string& toml) { return ParsePolicyToml(toml, "p.toml").status(); }

TEST(PolicyToml, ShippedExamplesParse) {
  for (const char* f : {"ops/policies/community.toml", "ops/policies/village.toml"}) {
    auto p = ParsePolicyToml(test::ReadSource(f), f);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
  }
  auto village = ParsePolicyToml(test::ReadSource("ops/policies/village.toml"), "v").value();
  const auto& holiday = village.days(2);
  ASSERT_EQ(holiday.day_type(), v1::HOLIDAY);
  ASSERT_EQ(holiday.windows_size(), 2);
  EXPECT_EQ(holiday.windows(0).kind(), v1::DUTY);
  EXPECT_EQ(holiday.windows(0).start_minute(), 8 * 60u);
  EXPECT_EQ(holiday.windows(0).end_minute(), 18 * 60u) << "on site by day";
  EXPECT_EQ(holiday.windows(1).kind(), v1::ON_CALL);
  EXPECT_EQ(holiday.windows(1).end_minute(), 1440u + 8 * 60) << "08:00+1: on call by night";
}

TEST(PolicyToml, ErrorsNameTheLine) {
  const std::string head = "name = \"p\"\n";  // line 1
  Status s = ParseError(
      head +
      "[[workday]]\nkind = \"REGULAR\"\nstart = \"08:30\"\nend = \"12:00\"\ncolour = \"red\"\n");
  EXPECT_NE(s.message().find("p.toml:6"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("colour"), std::string::npos);

  s = ParseError(head + "[[workday]]\nkind = \"REGULAR\"\nstart = \"17:30\"\nend = \"08:00\"\n");
  EXPECT_NE(s.message().find("p.toml:5"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("08:00+1"), std::string::npos)
      << "says how to write an overnight window";

  s = ParseError(head + "[[workday]]\nkind = \"REGULAR\"\nstart = \"8:30\"\nend = \"12:00\"\n");
  EXPECT_NE(s.message().find("p.toml:4"), std::string::npos) << s.message();

  s = ParseError(
      head + "[[holiday]]\nkind = \"DUTY\"\nstart = \"09:00\"\nend = \"17:00\"\nmin_staff = 0\n");
  EXPECT_NE(s.message().find("p.toml:6"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("DUTY"), std::string::npos);

  s = ParseError(head +
                 "[[workday]]\nkind = \"REGULAR\"\nstart = \"08:00\"\nend = \"12:00\"\n"
                 "[[workday]]\nkind = \"REGULAR\"\nstart = \"11:00\"\nend = \"13:00\"\n");
  EXPECT_NE(s.message().find("overlaps"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("line 2"), std::string::npos) << s.message();

  s = ParseError(head + "[[workday]]\nkind = \"NAP\"\nstart = \"08:00\"\nend = \"12:00\"\n");
  EXPECT_EQ(s.field(), "workday[0].kind");
  s = ParseError(
      head +
      "[[holiday]]\nkind = \"DUTY\"\nstart = \"08:00\"\nend = \"12:00\"\nroles = [\"BOSS\"]\n");
  EXPECT_EQ(s.field(), "holiday[0].roles");
  s = ParseError(head + "nonsense = 1\n");
  EXPECT_NE(s.message().find("p.toml:2"), std::string::npos);
  s = ParseError("name = \"p\"\n[[workday]\n");
  EXPECT_NE(s.message().find("p.toml:2"), std::string::npos) << s.message();
  s = ParseError(head);
  EXPECT_NE(s.message().find("no window"), std::string::npos);
}

TEST(PolicyToml, DifferentKindsMayOverlap) {
  auto p = ParsePolicyToml(
      "name = \"p\"\n[[holiday]]\nkind = \"DUTY\"\nstart = \"09:00\"\nend = \"17:00\"\n"
      "[[holiday]]\nkind = \"ON_CALL\"\nstart = \"00:00\"\nend = \"24:00\"\nroles = [\"LEADER\"]\n",
      "p");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->days(0).windows(0).kind(), v1::ON_CALL) << "sorted by start";
}

class CoverageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int y : {2025, 2026}) {
      std::string text = test::ReadSource(fmt::format("data/holiday-cn/{}.json", y));
      auto m = ImportCalendarYear(st_.calendar, ParseHolidayJson(text, "x").value());
      ASSERT_TRUE(m.ok());
      Apply(st_, std::move(*m));
    }
    for (const char* f : {"ops/policies/community.toml", "ops/policies/village.toml"}) {
      auto m =
          SetPolicy(st_.policies, ParsePolicyToml(test::ReadSource(f), f).value(), "2025-01-01");
      ASSERT_TRUE(m.ok()) << m.status().ToString();
      Apply(st_, std::move(*m));
    }
  }
  void AddCenter(const std::string& id, const std::string& policy, const std::string& tz = "") {
    v1::Center c;
    c.set_id(id);
    c.set_name(id);
    c.set_time_zone(tz);
    st_.network.PutCenter(c);
    v1::PolicyAssignment a;
    a.set_center_id(id);
    a.set_policy(policy);
    a.set_from("2025-01-01");
    auto m = AssignPolicy(st_.policies, st_.network, a);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    Apply(st_, std::move(*m));
  }
  std::vector<v1::RequiredWindow> Expand(const std::string& center, const char* from,
                                         const char* to,
                                         std::vector<v1::CoverageGap>* gaps = nullptr) {
    std::vector<Slot> slots;
    Status s = ExpandCoverage(st_.calendar, st_.policies, st_.network, zones_, center,
                              *ParseDate(from), *ParseDate(to), &slots, gaps);
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::vector<v1::RequiredWindow> out;
    for (const auto& slot : slots) out.push_back(ToRequiredWindow(center, slot));
    return out;
  }
  State st_;
  Zones zones_;
};

TEST_F(CoverageTest, MakeupWorkdayUsesWorkdayWindowsAndHolidaysHaveALeader) {
  AddCenter("xingfu", "community-standard");
  auto sat = Expand("xingfu", "2026-02-14", "2026-02-14");  // 调休 Saturday
  ASSERT_EQ(sat.size(), 5u) << "regular, noon, regular, extended, evening bookings";
  EXPECT_EQ(sat[0].day_type(), v1::MAKEUP_WORKDAY);
  EXPECT_EQ(sat[0].kind(), v1::REGULAR);
  auto hol = Expand("xingfu", "2026-02-17", "2026-02-17");
  ASSERT_EQ(hol.size(), 2u);
  EXPECT_EQ(hol[0].kind(), v1::ON_CALL);
  EXPECT_EQ(hol[0].coverage().roles(0), v1::LEADER);
  EXPECT_EQ(hol[0].end().seconds() - hol[0].start().seconds(), 86400);
  // 09:00 in Asia/Shanghai is 01:00Z.
  EXPECT_EQ(hol[1].start().seconds() % 86400, 3600);
}

TEST_F(CoverageTest, OvernightDutyAndOtherZones) {
  AddCenter("cun", "village-standard");
  AddCenter("kashi", "village-standard", "Asia/Urumqi");
  auto w = Expand("cun", "2026-10-01", "2026-10-01");
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[1].kind(), v1::ON_CALL);
  EXPECT_EQ(w[1].end().seconds() - w[0].start().seconds(), 86400) << "08:00 to 08:00 the next day";
  EXPECT_EQ(w[1].end_local(), "08:00+1");
  auto k = Expand("kashi", "2026-10-01", "2026-10-01");
  ASSERT_EQ(k.size(), 2u);
  EXPECT_EQ(k[0].start().seconds() - w[0].start().seconds(), 2 * 3600) << "UTC+6 starts 2 h later";
}

TEST_F(CoverageTest, GapsSayWhy) {
  v1::Center c;
  c.set_id("lonely");
  c.set_name("lonely");
  st_.network.PutCenter(c);
  std::vector<v1::CoverageGap> gaps;
  EXPECT_TRUE(Expand("lonely", "2026-01-05", "2026-01-06", &gaps).empty());
  ASSERT_EQ(gaps.size(), 2u);
  EXPECT_EQ(gaps[0].reason(), "no policy assigned");
}

TEST_F(CoverageTest, PolicyVersionsTakeEffectFromTheirDate) {
  AddCenter("xingfu", "community-standard");
  std::string v2 = test::ReadSource("ops/policies/community.toml");
  v2 += "\n[[weekend]]\nkind = \"EXTENDED\"\nstart = \"17:00\"\nend = \"19:00\"\n";
  auto m = SetPolicy(st_.policies, ParsePolicyToml(v2, "v2").value(), "2026-03-01");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->policies_put[0].version(), 2u);
  Apply(st_, std::move(*m));
  EXPECT_EQ(Expand("xingfu", "2026-02-28", "2026-02-28").size(), 5u)
      << "makeup Saturday, v1 workday";
  EXPECT_EQ(Expand("xingfu", "2026-02-22", "2026-02-22").size(), 2u) << "holiday";
  EXPECT_EQ(Expand("xingfu", "2026-02-07", "2026-02-07").size(), 1u) << "weekend under v1";
  auto sat = Expand("xingfu", "2026-03-07", "2026-03-07");
  ASSERT_EQ(sat.size(), 2u) << "weekend under v2";
  EXPECT_EQ(sat[0].policy_version(), 2u);
}

TEST_F(CoverageTest, SettingTheSamePolicyOrAssignmentAgainChangesNothing) {
  AddCenter("xingfu", "community-standard");
  auto again =
      SetPolicy(st_.policies,
                ParsePolicyToml(test::ReadSource("ops/policies/community.toml"), "again").value(),
                "2026-06-01");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->events.empty()) << "no new version for identical windows";
  EXPECT_TRUE(again->policies_put.empty());
  v1::PolicyAssignment a;
  a.set_center_id("xingfu");
  a.set_policy("community-standard");
  a.set_from("2025-01-01");
  auto same = AssignPolicy(st_.policies, st_.network, a);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->events.empty());
}

TEST_F(CoverageTest, AWholeYearForFiveHundredCenters) {
  for (int i = 0; i < 500; ++i) {
    AddCenter(fmt::format("c{:03}", i), i % 5 == 0 ? "village-standard" : "community-standard");
  }
  auto audit = AuditCoverage(st_.calendar, st_.policies, st_.network, 2026);
  ASSERT_TRUE(audit.ok()) << audit.status().ToString();
  EXPECT_EQ(audit->center_days(), 500u * 365);
  EXPECT_EQ(audit->gap_count(), 0u) << "every center has a window every day";
  // Expected from the calendar: community = 5 per workday/makeup, 1 per weekend
  // day, 2 per holiday; village = 3, 1, 2.
  auto s = YearStats(st_.calendar, 2026).value();
  const uint32_t work = s.workdays() + s.makeup_workdays();
  const uint32_t community = 5 * work + s.weekend_days() + 2 * s.holidays();
  const uint32_t village = 3 * work + s.weekend_days() + 2 * s.holidays();
  EXPECT_EQ(audit->windows(), 400 * community + 100 * village);
}

}  // namespace
}  // namespace zhiban::domain
