// The calendar against the State Council's 2025 and 2026 notices (data/holiday-cn),
// with the blocks written out here as the notices state them.
#include "daemon/domain/calendar.h"

#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/domain/holiday_json.h"
#include "daemon/domain/state.h"
#include "tests/support/source.h"

namespace zhiban::domain {
namespace {

std::string Shipped(const char* folder, int year) {
  std::ifstream f(fmt::format("{}/data/{}/{}.json", ZHIBAN_SOURCE_DIR, folder, year));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

v1::CalendarYear Notice(int year) {
  auto y = ParseHolidayJson(Shipped("holiday-cn", year), fmt::format("{}.json", year));
  EXPECT_TRUE(y.ok()) << y.status().ToString();
  return *y;
}

Date D(const char* iso) { return *ParseDate(iso); }

v1::StatutoryYear Statutory(int year) {
  auto y = ParseStatutoryJson(Shipped("statutory-cn", year), fmt::format("{}.json", year));
  EXPECT_TRUE(y.ok()) << y.status().ToString();
  return *y;
}

struct Block {
  const char* name;
  const char* from;
  const char* to;
};

class CalendarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int y : {2025, 2026}) {
      auto m = ImportCalendarYear(st_.calendar, Notice(y));
      ASSERT_TRUE(m.ok()) << m.status().ToString();
      Apply(st_, std::move(*m));
    }
  }
  v1::DayType Type(const char* iso, std::string_view center = {}) {
    auto d = st_.calendar.Day(D(iso), center);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? d->day_type() : v1::DAY_TYPE_UNSPECIFIED;
  }
  void ExpectBlocks(const std::vector<Block>& blocks, const std::vector<const char*>& makeup) {
    for (const auto& b : blocks) {
      for (int32_t n = DayNumber(D(b.from)); n <= DayNumber(D(b.to)); ++n) {
        auto day = st_.calendar.Day(FromDayNumber(n));
        ASSERT_TRUE(day.ok());
        EXPECT_EQ(day->day_type(), v1::HOLIDAY) << day->date();
        EXPECT_EQ(day->name(), b.name) << day->date();
      }
      // The days around a block are not part of it (a make-up workday next
      // to it carries its name, but is a working day).
      for (int32_t n : {DayNumber(D(b.from)) - 1, DayNumber(D(b.to)) + 1}) {
        auto day = st_.calendar.Day(FromDayNumber(n));
        if (day.ok()) {
          EXPECT_FALSE(day->day_type() == v1::HOLIDAY && day->name() == b.name) << day->date();
        }
      }
    }
    for (const char* m : makeup) EXPECT_EQ(Type(m), v1::MAKEUP_WORKDAY) << m;
  }
  State st_;
};

TEST_F(CalendarTest, Notice2026) {
  ExpectBlocks(
      {{"元旦", "2026-01-01", "2026-01-03"},
       {"春节", "2026-02-15", "2026-02-23"},
       {"清明节", "2026-04-04", "2026-04-06"},
       {"劳动节", "2026-05-01", "2026-05-05"},
       {"端午节", "2026-06-19", "2026-06-21"},
       {"中秋节", "2026-09-25", "2026-09-27"},
       {"国庆节", "2026-10-01", "2026-10-07"}},
      {"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"});
  auto stats = YearStats(st_.calendar, 2026);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->listed_rest_days(), 33u);  // the notice's 33 rest days
  EXPECT_EQ(stats->makeup_workdays(), 6u);
  EXPECT_EQ(stats->holidays(), 33u);
  EXPECT_EQ(
      stats->workdays() + stats->weekend_days() + stats->holidays() + stats->makeup_workdays(),
      365u);
}

TEST_F(CalendarTest, Notice2025) {
  ExpectBlocks({{"元旦", "2025-01-01", "2025-01-01"},
                {"春节", "2025-01-28", "2025-02-04"},
                {"清明节", "2025-04-04", "2025-04-06"},
                {"劳动节", "2025-05-01", "2025-05-05"},
                {"端午节", "2025-05-31", "2025-06-02"},
                {"国庆节、中秋节", "2025-10-01", "2025-10-08"}},
               {"2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"});
  auto stats = YearStats(st_.calendar, 2025);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->listed_rest_days(), 28u);
  EXPECT_EQ(stats->makeup_workdays(), 5u);
}

TEST_F(CalendarTest, OrdinaryDaysAndYearBoundary) {
  EXPECT_EQ(Type("2025-12-31"), v1::WORKDAY);         // Wednesday
  EXPECT_EQ(Type("2026-01-01"), v1::HOLIDAY);         // 元旦
  EXPECT_EQ(Type("2026-01-04"), v1::MAKEUP_WORKDAY);  // a Sunday worked
  EXPECT_EQ(Type("2026-01-10"), v1::WEEKEND);
  EXPECT_EQ(Type("2026-01-12"), v1::WORKDAY);
  // A weekend adjoining a block but not listed stays a weekend.
  EXPECT_EQ(Type("2026-06-20"), v1::HOLIDAY);  // Saturday inside 端午
  EXPECT_EQ(Type("2026-06-27"), v1::WEEKEND);
}

TEST_F(CalendarTest, YearWithoutNoticeIsAnErrorNotAGuess) {
  auto d = st_.calendar.Day(D("2027-03-03"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(d.status().message().find("2027"), std::string::npos);
  EXPECT_EQ(st_.calendar.MissingYears(D("2026-12-30"), D("2028-01-02")),
            (std::vector<int>{2027, 2028}));
}

TEST_F(CalendarTest, FileListingADateOfTheNextYear) {
  // A notice for 2030 that also lists the first days of 2031 (as late
  // December notices do); the 2031 notice, once loaded, wins for its dates.
  v1::CalendarYear y2030;
  y2030.set_year(2030);
  for (auto [date, off] : {std::pair{"2030-12-28", false}, std::pair{"2031-01-01", true},
                           std::pair{"2031-01-02", true}}) {
    auto* d = y2030.add_days();
    d->set_date(date);
    d->set_name("元旦");
    d->set_off_day(off);
  }
  auto m = ImportCalendarYear(st_.calendar, y2030);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->events[0].calendar_updated().to(), "2031-01-02")
      << "the range covers the next year's dates";
  Apply(st_, std::move(*m));
  EXPECT_EQ(Type("2030-12-28"), v1::MAKEUP_WORKDAY);  // a Saturday worked
  EXPECT_FALSE(st_.calendar.Day(D("2031-01-01")).ok()) << "2031 itself is not loaded yet";

  v1::CalendarYear y2031;
  y2031.set_year(2031);
  auto* d = y2031.add_days();
  d->set_date("2031-01-04");  // a Saturday worked
  d->set_name("调整");
  d->set_off_day(false);
  auto m2 = ImportCalendarYear(st_.calendar, y2031);
  ASSERT_TRUE(m2.ok()) << m2.status().ToString();
  Apply(st_, std::move(*m2));
  EXPECT_EQ(Type("2031-01-01"), v1::HOLIDAY) << "listed by the 2030 notice only";
  EXPECT_EQ(Type("2031-01-04"), v1::MAKEUP_WORKDAY);
}

TEST_F(CalendarTest, BadNoticesAreRefusedNamingTheEntry) {
  auto with = [](std::vector<std::tuple<const char*, const char*, bool>> days, int year = 2027) {
    v1::CalendarYear y;
    y.set_year(year);
    for (auto [date, name, off] : days) {
      auto* d = y.add_days();
      d->set_date(date);
      d->set_name(name);
      d->set_off_day(off);
    }
    return ValidateCalendarYear(y);
  };
  EXPECT_TRUE(with({{"2027-01-01", "元旦", true}}).ok());
  EXPECT_EQ(with({{"2027-02-30", "春节", true}}).field(), "days[0].date");
  EXPECT_EQ(with({{"2029-01-01", "元旦", true}}).field(), "days[0].date");
  EXPECT_EQ(with({{"2027-01-01", "元旦", true}, {"2027-01-01", "元旦", true}}).field(),
            "days[1].date");
  EXPECT_EQ(with({{"2027-01-01", "", true}}).field(), "days[0].name");
  Status weekday = with({{"2027-01-06", "春节", false}});  // a Wednesday
  EXPECT_EQ(weekday.field(), "days[0].isOffDay");
  EXPECT_NE(weekday.message().find("not a Saturday or Sunday"), std::string::npos);
  EXPECT_EQ(with({}, 1999).field(), "year");
}

TEST_F(CalendarTest, HolidayJsonErrorsNameTheEntry) {
  EXPECT_FALSE(ParseHolidayJson("{", "x.json").ok());
  auto r = ParseHolidayJson(
      R"({"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": "yes"}]})",
      "x.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("days[0].isOffDay"), std::string::npos)
      << r.status().message();
}

TEST_F(CalendarTest, CenterExceptions) {
  v1::Center c;
  c.set_id("xingfu");
  c.set_name("幸福社区");
  st_.network.PutCenter(c);
  v1::CalendarException closed;
  closed.set_id("repair");
  closed.set_center_id("xingfu");
  closed.set_from("2026-03-02");
  closed.set_to("2026-03-03");
  closed.set_kind(v1::CLOSED);
  closed.set_reason("装修");
  auto m = AddException(st_.calendar, st_.network, closed);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->events[0].calendar_updated().center_id(), "xingfu");
  Apply(st_, std::move(*m));
  auto day = st_.calendar.Day(D("2026-03-02"), "xingfu");
  ASSERT_TRUE(day.ok());
  EXPECT_TRUE(day->closed());
  EXPECT_EQ(day->reason(), "装修");
  EXPECT_FALSE(st_.calendar.Day(D("2026-03-02")).value().closed()) << "nationally unchanged";
  EXPECT_FALSE(st_.calendar.Day(D("2026-03-02"), "other").value().closed());

  v1::CalendarException overlap = closed;
  overlap.set_id("event");
  overlap.set_kind(v1::AS_DAY_TYPE);
  overlap.set_day_type(v1::HOLIDAY);
  overlap.set_from("2026-03-03");
  overlap.set_to("2026-03-05");
  EXPECT_EQ(AddException(st_.calendar, st_.network, overlap).status().code(),
            Code::kFailedPrecondition);
  overlap.set_from("2026-03-04");
  auto m2 = AddException(st_.calendar, st_.network, overlap);
  ASSERT_TRUE(m2.ok()) << m2.status().ToString();
  Apply(st_, std::move(*m2));
  EXPECT_EQ(Type("2026-03-04", "xingfu"), v1::HOLIDAY);

  v1::CalendarException backwards = closed;
  backwards.set_id("bad");
  backwards.set_from("2026-05-02");
  backwards.set_to("2026-05-01");
  EXPECT_EQ(AddException(st_.calendar, st_.network, backwards).status().field(), "exception.to");
  backwards.set_center_id("nowhere");
  EXPECT_EQ(AddException(st_.calendar, st_.network, backwards).status().code(), Code::kNotFound);

  auto rm = RemoveException(st_.calendar, "repair");
  ASSERT_TRUE(rm.ok());
  Apply(st_, std::move(*rm));
  EXPECT_FALSE(st_.calendar.Day(D("2026-03-02"), "xingfu").value().closed());
}

// The law's statutory days (DESIGN.md §2), written out here, against the
// shipped data/statutory-cn files: 11 in 2024, 13 from 2025.
TEST(Statutory, TheShippedYearsHoldTheLawsDays) {
  const std::map<int, std::vector<std::string>> law = {
      {2024,
       {"01-01", "02-10", "02-11", "02-12", "04-04", "05-01", "06-10", "09-17", "10-01", "10-02",
        "10-03"}},
      {2025,
       {"01-01", "01-28", "01-29", "01-30", "01-31", "04-04", "05-01", "05-02", "05-31", "10-01",
        "10-02", "10-03", "10-06"}},
      {2026,
       {"01-01", "02-16", "02-17", "02-18", "02-19", "04-05", "05-01", "05-02", "06-19", "09-25",
        "10-01", "10-02", "10-03"}}};
  for (const auto& [year, days] : law) {
    State st;
    Apply(st, ImportCalendarYear(st.calendar, Notice(year)).value());
    auto m = SetStatutoryDays(st.calendar, Statutory(year));
    ASSERT_TRUE(m.ok()) << year << ": " << m.status().ToString();
    Apply(st, std::move(*m));
    auto stats = YearStats(st.calendar, year);
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->statutory_days(), days.size()) << year;
    EXPECT_NE(stats->statutory_law().find("全国年节及纪念日放假办法"), std::string::npos);
    for (const auto& md : days) {
      const std::string iso = fmt::format("{}-{}", year, md);
      EXPECT_EQ(st.calendar.ClassOf(D(iso.c_str())).value(), DayClass::kStatutory) << iso;
      EXPECT_TRUE(st.calendar.Day(D(iso.c_str()))->statutory()) << iso;
    }
  }
}

TEST_F(CalendarTest, EachDayHasAClassForPayOnceItsStatutoryDaysAreLoaded) {
  auto missing = st_.calendar.ClassOf(D("2026-10-01"));
  ASSERT_FALSE(missing.ok()) << "a year without statutory days is an error, not a zero";
  EXPECT_EQ(missing.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("calendar statutory 2026.json"), std::string::npos)
      << missing.status().message();
  EXPECT_FALSE(st_.calendar.ClassOf(D("2027-01-01")).ok()) << "no notice at all";
  Apply(st_, SetStatutoryDays(st_.calendar, Statutory(2026)).value());
  auto cls = [&](const char* iso) { return st_.calendar.ClassOf(D(iso)).value(); };
  // 国庆 2026: three statutory days, then four rest days moved by 调休.
  for (const char* d : {"2026-10-01", "2026-10-02", "2026-10-03"})
    EXPECT_EQ(cls(d), DayClass::kStatutory) << d;
  for (const char* d : {"2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07"})
    EXPECT_EQ(cls(d), DayClass::kRest) << d;
  EXPECT_EQ(cls("2026-10-10"), DayClass::kWorking) << "a make-up Saturday";
  EXPECT_EQ(cls("2026-10-17"), DayClass::kRest) << "a plain Saturday";
  EXPECT_EQ(cls("2026-10-12"), DayClass::kWorking) << "a plain Monday";
  EXPECT_EQ(cls("2026-02-15"), DayClass::kRest) << "春节's first day is a rest day, 除夕 the next";
  EXPECT_EQ(cls("2026-02-16"), DayClass::kStatutory) << "除夕";
}

TEST_F(CalendarTest, StatutoryDaysAreCheckedEntryByEntryAndSurviveARenewedNotice) {
  auto with = [](std::function<void(v1::StatutoryYear&)> edit) {
    v1::StatutoryYear s = Statutory(2026);
    edit(s);
    return s;
  };
  struct Case {
    const char* field;
    const char* words;
    v1::StatutoryYear s;
  };
  const Case cases[] = {
      {"statutory.days[12].date", "2026-10-08 (国庆节) is not a rest day",
       with([](auto& s) { s.mutable_days(12)->set_date("2026-10-08"); })},
      {"statutory.days[1].date", "listed twice",
       with([](auto& s) { s.mutable_days(1)->set_date("2026-01-01"); })},
      {"statutory.days[0].date", "not in 2026",
       with([](auto& s) { s.mutable_days(0)->set_date("2025-01-01"); })},
      {"statutory.days[0].date", "",
       with([](auto& s) { s.mutable_days(0)->set_date("2026-13-01"); })},
      {"statutory.days[2].name", "no name", with([](auto& s) { s.mutable_days(2)->clear_name(); })},
      {"statutory.law", "required", with([](auto& s) { s.clear_law(); })},
      {"statutory.days", "1 to 30", with([](auto& s) { s.clear_days(); })},
      {"statutory.year", "import its notice first", with([](auto& s) { s.set_year(2027); })},
  };
  for (const auto& c : cases) {
    auto m = SetStatutoryDays(st_.calendar, c.s);
    ASSERT_FALSE(m.ok()) << c.field;
    EXPECT_EQ(m.status().field(), c.field) << m.status().ToString();
    EXPECT_NE(m.status().message().find(c.words), std::string::npos) << m.status().ToString();
  }
  EXPECT_FALSE(st_.calendar.HasStatutory(2026)) << "nothing was set by a refused request";
  Apply(st_, SetStatutoryDays(st_.calendar, Statutory(2026)).value());
  // The notice again (an operator re-imports it): the statutory days stay.
  Apply(st_, ImportCalendarYear(st_.calendar, Notice(2026)).value());
  EXPECT_TRUE(st_.calendar.HasStatutory(2026));
  EXPECT_EQ(YearStats(st_.calendar, 2026)->statutory_days(), 13u);
  // A notice never brings statutory marks of its own.
  v1::CalendarYear forged = Notice(2025);
  forged.mutable_days(1)->set_statutory(true);
  forged.set_statutory_law("forged");
  Apply(st_, ImportCalendarYear(st_.calendar, forged).value());
  EXPECT_FALSE(st_.calendar.HasStatutory(2025));
  EXPECT_EQ(YearStats(st_.calendar, 2025)->statutory_days(), 0u);
}

// Issue 36: a notice with only 元旦 imported silently and planned every other
// holiday as a workday. The shipped notices are complete; what a notice lacks
// is named festival by festival.
TEST(NoticeCompleteness, TheShippedNoticesAreCompleteAndGapsAreNamed) {
  for (int y : {2024, 2025, 2026}) {
    EXPECT_EQ(MissingFromNotice(Notice(y)), std::vector<std::string>{}) << y;
  }
  auto notice = [](int year, std::vector<std::pair<std::string, std::string>> days) {
    v1::CalendarYear y;
    y.set_year(year);
    for (const auto& [name, date] : days) {
      auto* d = y.add_days();
      d->set_name(name);
      d->set_date(date);
      d->set_off_day(true);
    }
    return y;
  };
  // Only 元旦 (and the next year's, which counts for nothing this year).
  EXPECT_EQ(MissingFromNotice(notice(2027, {{"元旦", "2027-01-01"}, {"元旦", "2028-01-01"}})),
            (std::vector<std::string>{"春节 is not listed", "清明节 is not listed",
                                      "劳动节 is not listed", "端午节 is not listed",
                                      "中秋节 is not listed", "国庆节 is not listed"}));
  // Too few days by the 2025 law, a hole in a block, a combined name.
  auto y = Notice(2026);
  v1::CalendarYear short_year;
  short_year.set_year(2026);
  for (const auto& d : y.days()) {
    if (d.name() == "春节" && d.date() > "2026-02-18") continue;  // 15..18 only: 4 days
    if (d.name() == "劳动节" && d.date() != "2026-05-01") continue;
    if (d.date() == "2026-10-04") continue;  // a hole in 国庆节
    *short_year.add_days() = d;
  }
  EXPECT_EQ(
      MissingFromNotice(short_year),
      (std::vector<std::string>{"劳动节 has 1 day(s) off; the law gives 2",
                                "国庆节's days off are not one block (2026-10-04 is missing)"}));
  auto combined = Notice(2025);  // "国庆节、中秋节" 8 days: both festivals
  EXPECT_EQ(MissingFromNotice(combined), std::vector<std::string>{});
}

}  // namespace
}  // namespace zhiban::domain
