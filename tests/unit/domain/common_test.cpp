// The helpers the domain modules share for local time and working days
// (domain/common.h): one CenterClock and one working-day count for visits,
// care windows and appointments alike, here against the 2026 notice's
// 中秋 and 国庆 (09-25..27 and 10-01..07 off, 09-20 and 10-10 worked).
#include "daemon/domain/common.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/domain/calendar.h"
#include "daemon/domain/holiday_json.h"
#include "daemon/domain/state.h"
#include "tests/support/source.h"

namespace zhiban::domain::common {
namespace {

int32_t N(const char* iso) { return DayNumber(*ParseDate(iso)); }

class WorkingDays : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream f(fmt::format("{}/data/holiday-cn/2026.json", ZHIBAN_SOURCE_DIR));
    std::stringstream ss;
    ss << f.rdbuf();
    auto year = ParseHolidayJson(ss.str(), "2026.json");
    ASSERT_TRUE(year.ok()) << year.status().ToString();
    auto m = ImportCalendarYear(st_.calendar, *year);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    Apply(st_, std::move(*m));
  }
  // The day `n` working days from `from` as ISO text, "none" or the error.
  std::string Step(const char* from, int32_t n, int32_t horizon = 60) {
    auto r = StepWorkingDays(N(from), n, horizon,
                             [&](int32_t d) { return st_.calendar.Day(FromDayNumber(d)); });
    if (!r.ok()) return r.status().ToString();
    return r->has_value() ? FormatDate(FromDayNumber(**r)) : "none";
  }
  State st_;
};

TEST_F(WorkingDays, CountsAcrossTheGoldenWeekAndItsMakeUpSaturday) {
  EXPECT_EQ(Step("2026-09-30", 0), "2026-09-30");
  EXPECT_EQ(Step("2026-09-30", 1), "2026-10-08") << "10-01..07 are off";
  EXPECT_EQ(Step("2026-09-30", 3), "2026-10-10") << "a Saturday worked (调休)";
  EXPECT_EQ(Step("2026-09-30", 4), "2026-10-12") << "10-11 is a Sunday";
}

TEST_F(WorkingDays, CountsBackwardsAcrossMidAutumn) {
  EXPECT_EQ(Step("2026-10-04", -1), "2026-09-30");
  EXPECT_EQ(Step("2026-10-04", -3), "2026-09-28");
  EXPECT_EQ(Step("2026-10-04", -4), "2026-09-24") << "09-25..27 are 中秋";
  EXPECT_EQ(Step("2026-09-21", -1), "2026-09-20") << "a Sunday worked (调休)";
}

TEST_F(WorkingDays, TheHorizonBoundsTheSearch) {
  EXPECT_EQ(Step("2026-09-30", 1, 7), "none") << "seven days off";
  EXPECT_EQ(Step("2026-09-30", 1, 8), "2026-10-08");
  EXPECT_EQ(Step("2026-09-30", 1, 0), "none");
  EXPECT_EQ(Step("2026-09-30", -1, -5), "none") << "a negative horizon looks nowhere";
}

TEST_F(WorkingDays, AHoleInTheCalendarIsAnErrorNotAGuess) {
  EXPECT_EQ(Step("2026-12-30", 1), "2026-12-31");
  const std::string hole = Step("2026-12-30", 2);
  EXPECT_NE(hole.find("2027"), std::string::npos) << hole;
}

TEST(CenterClock, ReckonsInTheCentersOwnZoneElseBeijingTime) {
  Zones zones;
  // 2026-01-01T17:30Z: 01:30 on 01-02 in Beijing, 23:30 on 01-01 in Urumqi (UTC+6).
  const int64_t s = int64_t(N("2026-01-01")) * 86400 + 17 * 3600 + 1800;
  v1::Center urumqi, nowhere;
  urumqi.set_time_zone("Asia/Urumqi");
  nowhere.set_time_zone("Mars/Olympus");
  EXPECT_EQ(CenterClock(zones, nullptr).Day(s), N("2026-01-02")) << "a center gone: Beijing";
  EXPECT_EQ(CenterClock(zones, &urumqi).Day(s), N("2026-01-01"));
  EXPECT_EQ(CenterClock(zones, &nowhere).Day(s), N("2026-01-02")) << "an unknown zone: Beijing";
  EXPECT_EQ(FormatDate(CenterClock(zones, &urumqi).LocalDate(s)), "2026-01-01");
  // Local midnight and times of day, past midnight too.
  const int32_t day = N("2026-01-02");
  EXPECT_EQ(CenterClock(zones, nullptr).Midnight(day), int64_t(day) * 86400 - 8 * 3600);
  EXPECT_EQ(CenterClock(zones, &urumqi).At(day, 90), int64_t(day) * 86400 - 6 * 3600 + 5400);
  EXPECT_EQ(CenterClock(zones, nullptr).At(day, 1440 + 30),
            int64_t(day + 1) * 86400 - 8 * 3600 + 1800);
}

}  // namespace
}  // namespace zhiban::domain::common
