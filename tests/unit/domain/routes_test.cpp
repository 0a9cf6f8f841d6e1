// The route solver (issue 21, slice 1): small cases checked by hand, and the
// checker shown to catch routes broken by hand.
#include "daemon/domain/routes.h"

#include <cmath>
#include <map>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace zhiban::domain::routes {
namespace {

// Locations on a line: Time(i, j) = |x_i - x_j|.
MatrixTravelTimes Line(const std::vector<double>& x) {
  const int n = static_cast<int>(x.size());
  std::vector<double> t;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) t.push_back(std::fabs(x[i] - x[j]));
  return MatrixTravelTimes(n, std::move(t));
}

Visit MakeVisit(const std::string& id, int loc, double open, double close, double service = 1) {
  Visit v;
  v.id = id;
  v.location = loc;
  v.windows = {{open, close}};
  v.service = service;
  return v;
}

Vehicle MakeVehicle(const std::string& id, double open, double close,
                    std::vector<std::string> skills = {}) {
  Vehicle k;
  k.id = id;
  k.shift = {open, close};
  k.skills = std::move(skills);
  return k;
}

std::vector<std::string> Order(const Problem& p, const Route& r) {
  std::vector<std::string> ids;
  for (const Stop& s : r.stops) ids.push_back(p.visits[s.visit].id);
  return ids;
}

TEST(RoutesTest, ServesAlongTheLineInOrder) {
  auto travel = Line({0, 1, 2, 3});
  Problem p;
  p.travel = &travel;
  p.visits = {MakeVisit("c", 3, 0, 100), MakeVisit("a", 1, 0, 100), MakeVisit("b", 2, 0, 100)};
  p.vehicles = {MakeVehicle("w", 0, 100)};
  p.vehicles[0].end_location = 3;  // ends at the far end: one order is best
  Solution s = SolveRoutes(p);
  ASSERT_TRUE(CheckRoutes(p, s).ok()) << CheckRoutes(p, s).message();
  ASSERT_EQ(s.routes.size(), 1u);
  EXPECT_EQ(Order(p, s.routes[0]), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_DOUBLE_EQ(s.total_travel, 3);
  // depart 0, a at 1, done 2, b at 3, done 4, c at 5, done 6, already at the end.
  EXPECT_DOUBLE_EQ(s.routes[0].stops[2].arrival, 5);
  EXPECT_DOUBLE_EQ(s.routes[0].return_at, 6);
  EXPECT_TRUE(s.unserved.empty());
}

TEST(RoutesTest, WindowsDecideTheOrderAndWaitsAreCounted) {
  auto travel = Line({0, 1, 2});
  Problem p;
  p.travel = &travel;
  // The far visit must start by 3; the near one not before 10.
  p.visits = {MakeVisit("near", 1, 10, 20), MakeVisit("far", 2, 0, 3)};
  p.vehicles = {MakeVehicle("w", 0, 100)};
  Solution s = SolveRoutes(p);
  ASSERT_TRUE(CheckRoutes(p, s).ok()) << CheckRoutes(p, s).message();
  ASSERT_EQ(s.routes.size(), 1u);
  EXPECT_EQ(Order(p, s.routes[0]), (std::vector<std::string>{"far", "near"}));
  const Stop& near = s.routes[0].stops[1];
  EXPECT_DOUBLE_EQ(near.arrival, 4);  // far at 2, done 3, one unit back
  EXPECT_DOUBLE_EQ(near.start, 10);
  EXPECT_DOUBLE_EQ(near.wait, 6);
}

TEST(RoutesTest, ServiceStartsInTheSecondWindowWhenTheFirstIsMissed) {
  auto travel = Line({0, 5});
  Problem p;
  p.travel = &travel;
  Visit v = MakeVisit("v", 1, 0, 2);
  v.windows.push_back({8, 9});
  p.visits = {v};
  p.vehicles = {MakeVehicle("w", 0, 100)};
  Solution s = SolveRoutes(p);
  ASSERT_TRUE(CheckRoutes(p, s).ok()) << CheckRoutes(p, s).message();
  ASSERT_EQ(s.routes.size(), 1u);
  EXPECT_DOUBLE_EQ(s.routes[0].stops[0].start, 8);
}

TEST(RoutesTest, AVisitThatFitsNowhereIsUnservedWithItsReason) {
  auto travel = Line({0, 1, 50});
  Problem p;
  p.travel = &travel;
  Visit skilled = MakeVisit("nurse", 1, 0, 100);
  skilled.skill = "nursing";
  Visit far = MakeVisit("far", 2, 0, 100);  // 50 out, 50 back: the shift is 60
  Visit heavy = MakeVisit("heavy", 1, 0, 100);
  heavy.demand = 5;
  p.visits = {MakeVisit("ok", 1, 0, 100), skilled, far, heavy};
  p.vehicles = {MakeVehicle("w", 0, 60)};
  p.vehicles[0].capacity = 3;
  Solution s = SolveRoutes(p);
  ASSERT_TRUE(CheckRoutes(p, s).ok()) << CheckRoutes(p, s).message();
  ASSERT_EQ(s.unserved.size(), 3u);
  EXPECT_EQ(s.unserved[0].visit, 1);
  EXPECT_EQ(s.unserved[0].reason, UnservedReason::kNoSkilledStaff);
  EXPECT_EQ(s.unserved[1].visit, 2);
  EXPECT_EQ(s.unserved[1].reason, UnservedReason::kUnreachable);
  EXPECT_EQ(s.unserved[2].visit, 3);
  EXPECT_EQ(s.unserved[2].reason, UnservedReason::kOverCapacity);
  EXPECT_FALSE(s.unserved[0].text.empty());
}

TEST(RoutesTest, FullRoutesLeaveAVisitUnservedForLackOfRoom) {
  auto travel = Line({0, 1});
  Problem p;
  p.travel = &travel;
  p.visits = {MakeVisit("a", 1, 0, 100), MakeVisit("b", 1, 0, 100)};
  p.vehicles = {MakeVehicle("w", 0, 100)};
  p.vehicles[0].max_visits = 1;
  Solution s = SolveRoutes(p);
  ASSERT_TRUE(CheckRoutes(p, s).ok()) << CheckRoutes(p, s).message();
  ASSERT_EQ(s.unserved.size(), 1u);
  EXPECT_EQ(s.unserved[0].reason, UnservedReason::kNoRoom);
}

TEST(RoutesTest, SkillGoesToTheStaffMemberWhoHasIt) {
  auto travel = Line({0, 1, 2});
  Problem p;
  p.travel = &travel;
  Visit v = MakeVisit("care", 1, 0, 100);
  v.skill = "nursing";
  p.visits = {v, MakeVisit("chat", 2, 0, 100)};
  p.vehicles = {MakeVehicle("social", 0, 100), MakeVehicle("nurse", 0, 100, {"nursing"})};
  Solution s = SolveRoutes(p);
  ASSERT_TRUE(CheckRoutes(p, s).ok()) << CheckRoutes(p, s).message();
  EXPECT_TRUE(s.unserved.empty());
  for (const Route& r : s.routes) {
    for (const Stop& st : r.stops) {
      if (st.visit == 0) {
        EXPECT_EQ(p.vehicles[r.vehicle].id, "nurse");
      }
    }
  }
}

TEST(RoutesTest, UrgentVisitIsServedBeforeMoreNormalOnes) {
  auto travel = Line({0, 1, 2, 3});
  Problem p;
  p.travel = &travel;
  // One staff member, room for two: the urgent visit must be one of them,
  // though the two normal ones are cheaper together.
  Visit urgent = MakeVisit("urgent", 3, 0, 100);
  urgent.priority = Priority::kUrgent;
  p.visits = {MakeVisit("a", 1, 0, 100), MakeVisit("b", 2, 0, 100), urgent};
  p.vehicles = {MakeVehicle("w", 0, 100)};
  p.vehicles[0].max_visits = 2;
  Solution s = SolveRoutes(p);
  ASSERT_TRUE(CheckRoutes(p, s).ok()) << CheckRoutes(p, s).message();
  ASSERT_EQ(s.unserved.size(), 1u);
  EXPECT_NE(s.unserved[0].visit, 2);
}

Problem Grid(MatrixTravelTimes& travel) {
  Problem p;
  p.travel = &travel;
  for (int i = 1; i < 30; ++i) {
    const double open = (i * 7) % 50;
    p.visits.push_back(MakeVisit("v" + std::to_string(i), i, open, open + 30, 2));
  }
  for (int k = 0; k < 4; ++k) p.vehicles.push_back(MakeVehicle("w" + std::to_string(k), 0, 200));
  return p;
}

MatrixTravelTimes GridTravel() {
  std::vector<double> t;
  for (int i = 0; i < 30; ++i)
    for (int j = 0; j < 30; ++j) t.push_back(std::hypot((i % 6) - (j % 6), (i / 6) - (j / 6)) * 3);
  return MatrixTravelTimes(30, std::move(t));
}

TEST(RoutesTest, SameInputAndSeedGiveTheSameAnswer) {
  auto travel = GridTravel();
  const Problem p = Grid(travel);
  const Solution a = SolveRoutes(p, {.seed = 7});
  const Solution b = SolveRoutes(p, {.seed = 7});
  ASSERT_TRUE(CheckRoutes(p, a).ok()) << CheckRoutes(p, a).message();
  ASSERT_EQ(a.routes.size(), b.routes.size());
  EXPECT_EQ(a.total_travel, b.total_travel);
  for (size_t r = 0; r < a.routes.size(); ++r) {
    EXPECT_EQ(a.routes[r].vehicle, b.routes[r].vehicle);
    EXPECT_EQ(Order(p, a.routes[r]), Order(p, b.routes[r]));
  }
  EXPECT_EQ(a.unserved.size(), b.unserved.size());
}

TEST(RoutesTest, LocalSearchKeepsEveryVisitAndNeverAddsTravel) {
  auto travel = GridTravel();
  const Problem p = Grid(travel);
  const Solution built = SolveRoutes(p, {.seed = 3, .improve_moves = 0});
  const Solution improved = SolveRoutes(p, {.seed = 3});
  ASSERT_TRUE(CheckRoutes(p, built).ok()) << CheckRoutes(p, built).message();
  ASSERT_TRUE(CheckRoutes(p, improved).ok()) << CheckRoutes(p, improved).message();
  EXPECT_EQ(improved.unserved.size(), built.unserved.size());
  EXPECT_LE(improved.total_travel, built.total_travel + 1e-9);
}

// Ruin and recreate starts from the local search's best and keeps the best
// it sees: never fewer visits served, never more travel; a visit nobody can
// serve stays unserved with its reason; and a travel matrix of zeros (every
// leg free) does not stall the annealing.
TEST(RoutesTest, RuinAndRecreateNeverServesLessNorAddsTravel) {
  auto travel = GridTravel();
  Problem p = Grid(travel);
  Visit odd = MakeVisit("odd", 0, 0, 1000);
  odd.skill = "无人会";
  p.visits.push_back(odd);
  const Solution local = SolveRoutes(p, {.seed = 5, .search_iterations = 0});
  const Solution searched = SolveRoutes(p, {.seed = 5, .search_iterations = 3000});
  ASSERT_TRUE(CheckRoutes(p, searched).ok()) << CheckRoutes(p, searched).message();
  EXPECT_EQ(searched.unserved.size(), local.unserved.size());
  EXPECT_LE(searched.total_travel, local.total_travel + 1e-9);
  ASSERT_FALSE(searched.unserved.empty());
  EXPECT_EQ(searched.unserved.back().reason, UnservedReason::kNoSkilledStaff);

  const int n = travel.Size();
  MatrixTravelTimes zero_travel(n, std::vector<double>(static_cast<size_t>(n) * n, 0.0));
  p.travel = &zero_travel;
  const Solution zero = SolveRoutes(p, {.seed = 5, .search_iterations = 500});
  ASSERT_TRUE(CheckRoutes(p, zero).ok()) << CheckRoutes(p, zero).message();
  EXPECT_EQ(zero.total_travel, 0);
}

// Where each visit is: vehicle index and position, by visit index.
std::map<int, std::pair<int, size_t>> Places(const Solution& s) {
  std::map<int, std::pair<int, size_t>> at;
  for (const Route& r : s.routes)
    for (size_t i = 0; i < r.stops.size(); ++i) at[r.stops[i].visit] = {r.vehicle, i};
  return at;
}

// A visit that fits as the routes stand goes in where it adds the least
// travel: every other visit keeps its staff member and its order.
TEST(RoutesTest, InsertedVisitThatFitsMovesNothingElse) {
  auto travel = GridTravel();
  Problem p = Grid(travel);
  const Solution plan = SolveRoutes(p, {.seed = 2});
  ASSERT_TRUE(plan.unserved.empty());
  Visit late = MakeVisit("late", 14, 0, 150, 2);
  late.priority = Priority::kUrgent;
  p.visits.push_back(late);
  const int u = static_cast<int>(p.visits.size()) - 1;
  const Solution s = InsertVisit(p, plan, u);
  ASSERT_TRUE(CheckRoutes(p, s).ok()) << CheckRoutes(p, s).message();
  EXPECT_TRUE(s.unserved.empty());
  auto before = Places(plan), after = Places(s);
  ASSERT_TRUE(after.count(u));
  const int into = after[u].first;
  for (const auto& [v, place] : before) {
    ASSERT_TRUE(after.count(v)) << p.visits[v].id;
    EXPECT_EQ(after[v].first, place.first) << p.visits[v].id;
    // In its route, only the visits after the new one shift by one.
    const bool behind = place.first == into && place.second >= after[u].second;
    EXPECT_EQ(after[v].second, place.second + (behind ? 1 : 0)) << p.visits[v].id;
  }
  EXPECT_GE(s.total_travel, plan.total_travel - 1e-9);
}

// No room anywhere: an urgent visit takes the place of a normal one, which is
// listed unserved with its reason; a normal visit never displaces another.
TEST(RoutesTest, InsertedUrgentVisitMakesRoomANormalOneDoesNot) {
  auto travel = Line({0, 1, 2, 3, 4});
  Problem p;
  p.travel = &travel;
  p.visits = {MakeVisit("a", 1, 0, 100), MakeVisit("b", 2, 0, 100)};
  p.vehicles = {MakeVehicle("w", 0, 100)};
  p.vehicles[0].max_visits = 2;
  const Solution plan = SolveRoutes(p);
  ASSERT_TRUE(plan.unserved.empty());

  p.visits.push_back(MakeVisit("normal", 3, 0, 100));
  Solution s = InsertVisit(p, plan, 2);
  ASSERT_TRUE(CheckRoutes(p, s).ok()) << CheckRoutes(p, s).message();
  ASSERT_EQ(s.unserved.size(), 1u);
  EXPECT_EQ(s.unserved[0].visit, 2);
  EXPECT_EQ(s.unserved[0].reason, UnservedReason::kNoRoom);
  EXPECT_EQ(s.total_travel, plan.total_travel);

  p.visits[2].priority = Priority::kUrgent;
  s = InsertVisit(p, plan, 2);
  ASSERT_TRUE(CheckRoutes(p, s).ok()) << CheckRoutes(p, s).message();
  ASSERT_EQ(s.unserved.size(), 1u);
  EXPECT_NE(s.unserved[0].visit, 2);
  EXPECT_EQ(s.unserved[0].reason, UnservedReason::kNoRoom);

  // A plan that already leaves one out: a normal visit that fits nowhere
  // brings the plan back as it was, the one left out still out.
  Problem q = p;
  q.visits.resize(2);
  q.visits.push_back(MakeVisit("out", 4, 0, 100));
  const Solution short_plan = SolveRoutes(q);
  ASSERT_EQ(short_plan.unserved.size(), 1u);
  q.visits.push_back(MakeVisit("late", 3, 0, 100));
  s = InsertVisit(q, short_plan, 3);
  ASSERT_TRUE(CheckRoutes(q, s).ok()) << CheckRoutes(q, s).message();
  EXPECT_EQ(Places(s), Places(short_plan));
  EXPECT_EQ(s.unserved.size(), 2u);

  // Nobody can serve it: the plan comes back as it was, the visit unserved
  // with why; a visit already in the plan is not put in twice.
  p.visits[2].skill = "无人会";
  s = InsertVisit(p, plan, 2);
  ASSERT_TRUE(CheckRoutes(p, s).ok()) << CheckRoutes(p, s).message();
  ASSERT_EQ(s.unserved.size(), 1u);
  EXPECT_EQ(s.unserved[0].reason, UnservedReason::kNoSkilledStaff);
  EXPECT_EQ(Places(s), Places(plan));
  s = InsertVisit(p, plan, 0);
  EXPECT_EQ(Places(s), Places(plan));
}

// The wall-clock cap is a safety net: when the caller's clock passes it, the
// search stops with a valid answer that says so; unset, nothing changes.
TEST(RoutesTest, TimeCapStopsTheSearchAndSaysSo) {
  auto travel = GridTravel();
  const Problem p = Grid(travel);
  double ticks = 0;
  SolveOptions capped{.seed = 4};
  capped.elapsed = [&] { return ticks += 1; };
  capped.time_cap = 20;
  const Solution s = SolveRoutes(p, capped);
  ASSERT_TRUE(CheckRoutes(p, s).ok()) << CheckRoutes(p, s).message();
  EXPECT_TRUE(s.capped);
  EXPECT_TRUE(s.unserved.empty());
  EXPECT_LT(ticks, 40);  // checked between starts and every few rounds, not per move
  const Solution full = SolveRoutes(p, {.seed = 4});
  EXPECT_FALSE(full.capped);
  EXPECT_LE(full.total_travel, s.total_travel + 1e-9);
}

TEST(RoutesTest, AVisitGoesToTheRouteThatPassesIt) {
  // Two staff members end at opposite ends of a line; "mid" at 4 is on the
  // way for the one ending at 5 whatever the construction chose.
  auto travel = Line({0, 1, 4, 5, -5});
  Problem p;
  p.travel = &travel;
  p.visits = {MakeVisit("east", 3, 0, 100), MakeVisit("west", 4, 0, 100),
              MakeVisit("mid", 2, 0, 100)};
  p.vehicles = {MakeVehicle("e", 0, 100), MakeVehicle("w", 0, 100)};
  p.vehicles[0].end_location = 3;
  p.vehicles[1].end_location = 4;
  const Solution s = SolveRoutes(p);
  ASSERT_TRUE(CheckRoutes(p, s).ok()) << CheckRoutes(p, s).message();
  EXPECT_DOUBLE_EQ(s.total_travel, 10);  // 0 -> 4 -> 5 and 0 -> -5
}

TEST(RoutesTest, CheckerCatchesRoutesBrokenByHand) {
  auto travel = GridTravel();
  const Problem p = Grid(travel);
  const Solution good = SolveRoutes(p);
  ASSERT_TRUE(CheckRoutes(p, good).ok()) << CheckRoutes(p, good).message();
  ASSERT_FALSE(good.routes.empty());
  ASSERT_GE(good.routes[0].stops.size(), 2u);

  Solution s = good;  // a visit dropped silently
  s.routes[0].stops.pop_back();
  EXPECT_FALSE(CheckRoutes(p, s).ok());

  s = good;  // served twice
  s.unserved.push_back({good.routes[0].stops[0].visit, UnservedReason::kNoRoom, ""});
  EXPECT_FALSE(CheckRoutes(p, s).ok());

  s = good;  // service starts outside its window
  {
    Stop& st = s.routes[0].stops[0];
    st.start = p.visits[st.visit].windows[0].close + 1;
    st.wait = st.start - st.arrival;
  }
  Status bad = CheckRoutes(p, s);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("outside every window"), std::string::npos) << bad.message();

  s = good;  // a wrong arrival
  s.routes[0].stops[1].arrival -= 1;
  EXPECT_FALSE(CheckRoutes(p, s).ok());

  s = good;  // two stops swapped: the reported times no longer follow
  std::swap(s.routes[0].stops[0], s.routes[0].stops[1]);
  EXPECT_FALSE(CheckRoutes(p, s).ok());

  Problem skilled = p;  // a visit now needs a skill its staff member lacks
  skilled.visits[good.routes[0].stops[0].visit].skill = "nursing";
  bad = CheckRoutes(skilled, good);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("nursing"), std::string::npos) << bad.message();

  Problem short_shift = p;  // the shift closes before the route returns
  short_shift.vehicles[good.routes[0].vehicle].shift.close = good.routes[0].return_at - 1;
  EXPECT_FALSE(CheckRoutes(short_shift, good).ok());

  Problem small = p;  // capacity
  for (Visit& v : small.visits) v.demand = 1;
  small.vehicles[good.routes[0].vehicle].capacity = 1;
  EXPECT_FALSE(CheckRoutes(small, good).ok());
}

}  // namespace
}  // namespace zhiban::domain::routes
