#include "daemon/base/number.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace zhiban {
namespace {

TEST(ParseNumber, ReadsTheWholeText) {
  auto n = ParseNumber<int64_t>("1767225600000000", "meta sim_clock");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1767225600000000);
  auto neg = ParseNumber<int>("-5", "x");
  ASSERT_TRUE(neg.ok());
  EXPECT_EQ(*neg, -5);
  auto d = ParseNumber<double>("39.9042", "lat");
  ASSERT_TRUE(d.ok());
  EXPECT_DOUBLE_EQ(*d, 39.9042);
}

TEST(ParseNumber, RefusesWhatStoWouldHaveThrownOnOrHalfRead) {
  for (const char* bad : {"", "abc", "12abc", " 12", "12 ", "+3", "1e", "0x10"}) {
    auto n = ParseNumber<uint32_t>(bad, "meta schema_version");
    ASSERT_FALSE(n.ok()) << bad;
    EXPECT_EQ(n.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(n.status().field(), "meta schema_version");
    EXPECT_NE(n.status().message().find("is not an integer"), std::string::npos)
        << n.status().message();
  }
  EXPECT_FALSE(ParseNumber<uint32_t>("-1", "x").ok());  // no sign for unsigned
  EXPECT_FALSE(ParseNumber<double>("1.5x", "lat").ok());
}

TEST(ParseNumber, RefusesOutOfRange) {
  auto n = ParseNumber<uint16_t>("65536", "port");
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("in range"), std::string::npos) << n.status().message();
  EXPECT_TRUE(ParseNumber<uint16_t>("65535", "port").ok());
  EXPECT_FALSE(ParseNumber<int64_t>("99999999999999999999", "seq").ok());
}

}  // namespace
}  // namespace zhiban
