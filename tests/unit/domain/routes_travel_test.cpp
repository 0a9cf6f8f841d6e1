// Travel times for routes (issue 22, slice 1): the model, a policy's
// [travel] table, the matrix file parsed strictly, GCJ-02 to WGS-84.
#include "daemon/domain/routes_travel.h"

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/domain/policy.h"

namespace zhiban::domain::routes {
namespace {

v1::GeoPoint Point(double lat, double lon) {
  v1::GeoPoint p;
  p.set_lat(lat);
  p.set_lon(lon);
  return p;
}

std::string MatrixError(const std::string& csv) {
  auto m = ParseTravelMatrix(csv);
  EXPECT_FALSE(m.ok()) << csv;
  if (m.ok()) return "";
  EXPECT_EQ(m.status().field(), "matrix");
  return m.status().message();
}

TEST(TravelModel, DistanceTimesDetourOverSpeed) {
  // One degree of latitude is 111.2 km on the haversine's sphere.
  EXPECT_NEAR(GreatCircleKm(30, 120, 31, 120), 111.19, 0.01);
  TravelConfig c;                                                 // e-bike at 15 km/h, detour 1.4
  const auto a = Point(39.90, 116.40), b = Point(39.91, 116.40);  // 1.112 km apart
  EXPECT_NEAR(ModelSeconds(c, a, b), 1.1119 * 1.4 / 15 * 3600, 1.0);
  c.mode = TravelMode::kWalk;
  EXPECT_NEAR(ModelSeconds(c, a, b), 1.1119 * 1.4 / 4.5 * 3600, 2.0);
  c.mode = TravelMode::kCar;
  c.detour = 1.2;
  EXPECT_NEAR(ModelSeconds(c, a, b), 1.1119 * 1.2 / 20 * 3600, 1.0);
}

TEST(TravelModel, PolicyTravelTableSetsKeysAndRefusesBadOnes) {
  const std::string windows =
      "[[workday]]\nkind = \"REGULAR\"\nstart = \"08:30\"\nend = \"17:00\"\n";
  auto p = ParsePolicyToml(
      "name = \"p\"\n[travel]\nmode = \"walk\"\ndetour = 1.25\nwalk_kmh = 4\n" + windows, "p.toml");
  ASSERT_TRUE(p.ok()) << p.status().message();
  const TravelConfig c = TravelConfigOf(p->travel());
  EXPECT_EQ(c.mode, TravelMode::kWalk);
  EXPECT_DOUBLE_EQ(c.detour, 1.25);
  EXPECT_DOUBLE_EQ(c.Speed(), 4.0);
  EXPECT_DOUBLE_EQ(c.ebike_kmh, 15.0);  // untouched: the default

  auto bad = [&](const std::string& travel) {
    auto r = ParsePolicyToml("name = \"p\"\n[travel]\n" + travel + "\n" + windows, "p.toml");
    EXPECT_FALSE(r.ok()) << travel;
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_NE(bad("mode = \"bus\"").find("p.toml:3: mode \"bus\" is not one of walk, ebike, car"),
            std::string::npos);
  EXPECT_NE(bad("detour = 0.5").find("detour = 0.5 is outside 1..3"), std::string::npos);
  EXPECT_NE(bad("speed = 3").find("unknown key \"speed\""), std::string::npos);
  EXPECT_NE(bad("car_kmh = \"fast\"").find("car_kmh must be a number"), std::string::npos);
  // Without [travel]: every default.
  auto plain = ParsePolicyToml("name = \"p\"\n" + windows, "p.toml");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(TravelConfigOf(plain->travel()).mode, TravelMode::kEbike);
  // Every key is declared with a type, a default and help.
  for (const auto& k : TravelKeys()) {
    EXPECT_FALSE(k.help.empty()) << k.name;
    EXPECT_FALSE(k.default_text.empty()) << k.name;
  }
}

TEST(TravelMatrixFile, ParsesPairsBothWaysUnlessGivenEachWay) {
  auto m = ParseTravelMatrix("from,to,minutes\nc1,r1,6.5\nr1,r2,3\r\nr2,r1,4\n");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->rows(), 3u);
  EXPECT_EQ(m->places(), 3u);
  EXPECT_DOUBLE_EQ(*m->Minutes("c1", "r1"), 6.5);
  EXPECT_DOUBLE_EQ(*m->Minutes("r1", "c1"), 6.5);  // one way listed: both ways
  EXPECT_DOUBLE_EQ(*m->Minutes("r1", "r2"), 3.0);
  EXPECT_DOUBLE_EQ(*m->Minutes("r2", "r1"), 4.0);  // each way listed: its own
  EXPECT_FALSE(m->Minutes("c1", "r2"));
  EXPECT_FALSE(m->Minutes("x", "r2"));
  // No header, no final newline.
  EXPECT_TRUE(ParseTravelMatrix("a,b,1").ok());
  EXPECT_TRUE(ParseTravelMatrix("").ok());
}

TEST(TravelMatrixFile, ErrorsNameTheLineAndField) {
  EXPECT_EQ(MatrixError("a,b,1\na,c,x\n"), "line 2, field 3 (minutes): \"x\" is not a number");
  EXPECT_EQ(MatrixError("a,b,1\n\na,c,2\n"), "line 2: an empty line (a matrix has none)");
  EXPECT_EQ(MatrixError("a,b\n"), "line 1: 2 fields (a line is from,to,minutes)");
  EXPECT_EQ(MatrixError("a,b,1,2\n"), "line 1: more than 3 fields (a line is from,to,minutes)");
  EXPECT_EQ(MatrixError("a, b,1\n"),
            "line 1, field 2 (to): \" b\" is not a place id (A-Z a-z 0-9 _ . -)");
  EXPECT_EQ(MatrixError(",b,1\n"),
            "line 1, field 1 (from): empty (a place id: a center or resident id)");
  EXPECT_EQ(MatrixError("a,b,-1\n"), "line 1, field 3 (minutes): -1 is outside 0..1440");
  EXPECT_EQ(MatrixError("a,b,nan\n"), "line 1, field 3 (minutes): \"nan\" is not a number");
  EXPECT_EQ(MatrixError("a,b,0\n"),
            "line 1, field 3 (minutes): 0 minutes between two different places");
  EXPECT_EQ(MatrixError("a,b,1\nc,d,2\na,b,3\n"),
            "line 3: a -> b is listed twice (first on line 1)");
  EXPECT_EQ(MatrixError("\"a\",b,1\n"),
            "line 1, field 1 (from): \"\"a\"\" is not a place id (A-Z a-z 0-9 _ . -)");
  EXPECT_NE(MatrixError(std::string(65, 'a') + ",b,1\n").find("longer than 64 bytes"),
            std::string::npos);
  // Non-UTF-8 bytes never reach the message.
  EXPECT_EQ(MatrixError("a\xff,b,1\n"),
            "line 1, field 1 (from): \"a?\" is not a place id (A-Z a-z 0-9 _ . -)");
}

TEST(TravelMatrixFile, Limits) {
  std::string big;
  for (size_t i = 0; i <= kMaxMatrixRows; ++i) big += "p" + std::to_string(i) + ",q,1\n";
  EXPECT_NE(MatrixError(big).find("more than 200000 rows"), std::string::npos);
  EXPECT_NE(MatrixError(std::string(kMaxMatrixBytes + 1, 'a')).find("at most 4 MiB"),
            std::string::npos);
}

TEST(TravelMatrixFile, OverridesTheModelForThePairsItNames) {
  std::vector<Place> places = {{"c1", Point(39.90, 116.40)},
                               {"r1", Point(39.91, 116.40)},
                               {"r2", Point(39.90, 116.41)},
                               {"r3", std::nullopt}};
  auto m = ParseTravelMatrix("c1,r1,9\nr3,r2,7\n").value();
  size_t given = 0;
  const TravelConfig c;
  const auto t = BuildTravelTimes(places, c, &m, &given);
  EXPECT_EQ(t.Size(), 4);
  EXPECT_EQ(given, 4u);  // c1<->r1, r3<->r2
  EXPECT_DOUBLE_EQ(t.Time(0, 1), 540);
  EXPECT_DOUBLE_EQ(t.Time(1, 0), 540);
  EXPECT_DOUBLE_EQ(t.Time(3, 2), 420);
  EXPECT_DOUBLE_EQ(t.Time(0, 2), ModelSeconds(c, *places[0].location, *places[2].location));
  EXPECT_DOUBLE_EQ(t.Time(0, 3), 0);  // unknown location, not in the matrix
  EXPECT_DOUBLE_EQ(t.Time(2, 2), 0);
}

TEST(Gcj02, ForwardMatchesThePublishedTransform) {
  // wgs84togcj02(116.404, 39.915) as published with the transform
  // (e.g. wandergis/coordTransform's README): lat 39.91640428150164.
  const auto g = WgsToGcj02(Point(39.915, 116.404));
  EXPECT_NEAR(g.lat(), 39.91640428150164, 1e-12);
  EXPECT_NEAR(g.lon(), 116.41024449916938, 1e-12);
}

TEST(Gcj02, InverseIsExactWhereTheOneStepApproximationIsNot) {
  // The one-step approximation 2g - f(g) gives (39.9135957, 116.3977555);
  // the iteration lands on the point whose offset is g to under 1e-9°.
  const auto g = Point(39.915, 116.404);
  const auto w = Gcj02ToWgs(g);
  EXPECT_NEAR(w.lat(), 39.9135962, 1e-6);
  EXPECT_NEAR(w.lon(), 116.3977558, 1e-6);
  const auto back = WgsToGcj02(w);
  EXPECT_NEAR(back.lat(), g.lat(), 1e-9);
  EXPECT_NEAR(back.lon(), g.lon(), 1e-9);
  // A few hundred metres: what pasting map coordinates unconverted costs.
  const double m = GreatCircleKm(g.lat(), g.lon(), w.lat(), w.lon()) * 1000;
  EXPECT_GT(m, 300);
  EXPECT_LT(m, 800);
  // Across mainland China the round trip holds; outside, nothing moves.
  for (double lat = 18.5; lat < 53; lat += 3.7) {
    for (double lon = 74; lon < 134; lon += 5.3) {
      const auto p = Point(lat, lon);
      const auto r = WgsToGcj02(Gcj02ToWgs(p));
      EXPECT_NEAR(r.lat(), lat, 1e-8);
      EXPECT_NEAR(r.lon(), lon, 1e-8);
    }
  }
  const auto paris = Point(48.8566, 2.3522);
  EXPECT_EQ(Gcj02ToWgs(paris).lat(), paris.lat());
  EXPECT_EQ(WgsToGcj02(paris).lon(), paris.lon());
}

}  // namespace
}  // namespace zhiban::domain::routes
