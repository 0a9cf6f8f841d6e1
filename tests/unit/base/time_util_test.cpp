#include "daemon/base/time_util.h"

#include <gtest/gtest.h>

namespace zhiban {
namespace {

TEST(TimeUtil, ParsesOffsetsAndRoundTrips) {
  auto t = ParseIsoTime("2026-01-05T08:00:00+08:00");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto z = ParseIsoTime("2026-01-05T00:00:00Z");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(*t, *z);
  EXPECT_EQ(FormatIsoTime(*t), "2026-01-05T08:00:00+08:00");
  EXPECT_EQ(FormatIsoTime(*t, 0), "2026-01-05T00:00:00Z");
  auto frac = ParseIsoTime("2026-01-05T08:00:00.25+08:00");
  ASSERT_TRUE(frac.ok());
  EXPECT_EQ((*frac - *t).count(), 250000);
  EXPECT_EQ(FormatIsoTime(*frac), "2026-01-05T08:00:00.250000+08:00");
}

TEST(TimeUtil, CrossesYearBoundaryInLocalTime) {
  auto t = ParseIsoTime("2025-12-31T23:30:00Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatIsoTime(*t), "2026-01-01T07:30:00+08:00");
}

TEST(TimeUtil, RefusesAmbiguousAndImpossibleTimes) {
  EXPECT_FALSE(ParseIsoTime("2026-01-05T08:00:00").ok());  // no offset
  EXPECT_FALSE(ParseIsoTime("2026-02-30T08:00:00+08:00").ok());
  EXPECT_FALSE(ParseIsoTime("2026-01-05T25:00:00+08:00").ok());
  EXPECT_FALSE(ParseIsoTime("yesterday").ok());
  EXPECT_FALSE(ParseIsoTime("2026-01-05T08:00:00+08:00junk").ok());
  auto bad = ParseIsoTime("2026-01-05");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("2026-01-05"), std::string::npos);
}

// Times from outside stay where every computation on them stays
// representable (issue 37: year 9999 once ended zhiband).
TEST(TimeUtil, RefusesTimesOutsideTheAcceptedRange) {
  EXPECT_TRUE(ParseIsoTime("2999-12-31T23:59:59Z").ok());
  EXPECT_TRUE(ParseIsoTime("1970-01-01T00:00:00Z").ok());
  for (const char* far : {"9999-12-31T23:59:59Z", "3000-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
                          "0000-01-01T00:00:00Z", "1970-01-01T07:59:59+08:00"}) {
    auto t = ParseIsoTime(far);
    ASSERT_FALSE(t.ok()) << far;
    EXPECT_NE(t.status().message().find("outside the times zhiband accepts"), std::string::npos)
        << t.status().message();
  }
  EXPECT_TRUE(CheckTimeRange(1767571200, "t").ok());
  EXPECT_EQ(CheckTimeRange(-1, "t").field(), "t");
  EXPECT_FALSE(CheckTimeRange(kLatestSeconds, "t").ok());
  EXPECT_TRUE(CheckTimeRange(kLatestSeconds - 1, "t").ok());
}

TEST(TimeUtil, Durations) {
  EXPECT_EQ(ParseDuration("90m")->count(), 90LL * 60 * 1000000);
  EXPECT_EQ(ParseDuration("1h30m")->count(), 90LL * 60 * 1000000);
  EXPECT_EQ(ParseDuration("1d")->count(), 86400LL * 1000000);
  EXPECT_EQ(ParseDuration("500ms")->count(), 500000);
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("5").ok());
  EXPECT_FALSE(ParseDuration("-5m").ok());
  EXPECT_FALSE(ParseDuration("5 weeks").ok());
}

}  // namespace
}  // namespace zhiban
