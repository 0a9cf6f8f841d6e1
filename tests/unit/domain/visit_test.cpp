#include "daemon/domain/visit.h"

#include <gtest/gtest.h>

namespace zhiban::domain {
namespace {

TEST(Privacy, PhonesAreMasked) {
  EXPECT_EQ(MaskPhone("13812345678"), "138****5678");
  EXPECT_EQ(MaskPhone("8613812345678"), "861****5678");
  EXPECT_EQ(MaskPhone("65001000"), "****1000");
  EXPECT_EQ(MaskPhone("123"), "****");
  EXPECT_EQ(MaskPhone(""), "");
}

TEST(Privacy, CardsCarryNoPersonalData) {
  v1::Resident r;
  r.set_id("r1");
  r.set_name("王奶奶");
  r.set_address("幸福路8号3栋");
  r.set_room("2单元301");
  r.set_phone("13912345678");
  r.set_id_number("11010119400101123X");
  r.set_health_notes("高血压");
  r.mutable_emergency_contact()->set_phone("13700000000");
  const std::string bytes = CardOf(r).SerializeAsString();
  for (const char* secret : {"13912345678", "11010119400101123X", "2单元301", "高血压", "13700000000"}) {
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret;
  }
  EXPECT_EQ(CardOf(r).masked_phone(), "139****5678");
  EXPECT_EQ(CardOf(r).address(), "幸福路8号3栋");
}

TEST(Dispatch, StraightLineDistance) {
  v1::GeoPoint tiananmen, xidan;
  tiananmen.set_lat(39.9087);
  tiananmen.set_lon(116.3975);
  xidan.set_lat(39.9075);
  xidan.set_lon(116.3740);
  EXPECT_NEAR(TravelKm(tiananmen, xidan), 2.0, 0.1);
  EXPECT_DOUBLE_EQ(TravelKm(xidan, xidan), 0.0);
}

TEST(Dispatch, EveryServiceNamesItsSkill) {
  ASSERT_GE(ServiceCatalogue().size(), 5u);
  for (const auto& s : ServiceCatalogue()) {
    EXPECT_FALSE(s.skill().empty()) << s.id();
    EXPECT_GT(s.minutes(), 0u) << s.id();
    EXPECT_EQ(FindService(s.id()), &s);
  }
  EXPECT_TRUE(FindService("care-visit")->care_visit());
  EXPECT_EQ(FindService("haircut"), nullptr);
}

}  // namespace
}  // namespace zhiban::domain
