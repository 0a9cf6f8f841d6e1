// A center's day planned as routes (issue 22, visit_plan.h): who may go (a
// counter kept at min_staff), what stays put, the copy long work plans on,
// and the figures of a center's day: a full plan, one urgent insertion.
#include "daemon/domain/visit_plan.h"

#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "daemon/base/date.h"
#include "daemon/domain/routes.h"
#include "daemon/domain/routes_travel.h"
#include "daemon/domain/state.h"
#include "daemon/domain/visit.h"

namespace zhiban::domain {
namespace {

constexpr const char* kDate = "2026-03-02";  // a Monday

int64_t Midnight() { return int64_t(DayNumber(*ParseDate(kDate))) * 86400 - 8 * 3600; }
int64_t At(int hour, int minute = 0) { return Midnight() + hour * 3600 + minute * 60; }

v1::GeoPoint Near(int i) {
  v1::GeoPoint p;
  p.set_lat(39.9262 + 0.003 * ((i % 7) - 3));
  p.set_lon(116.4481 + 0.004 * ((i / 7 % 7) - 3));
  return p;
}

class PlanDay : public ::testing::Test {
 protected:
  void SetUp() override {
    Mutation m;
    v1::Center c;
    c.set_id("c");
    c.set_name("幸福社区");
    *c.mutable_location() = Near(24);
    m.centers_put.push_back(c);
    v1::OpeningPolicy p;
    p.set_name("p");
    p.set_version(1);
    p.set_effective_from("2026-01-01");
    auto* day = p.add_days();
    day->set_day_type(v1::WORKDAY);
    auto* w = day->add_windows();
    w->set_kind(v1::REGULAR);
    w->set_start_minute(8 * 60 + 30);
    w->set_end_minute(17 * 60 + 30);
    w->mutable_coverage()->set_min_staff(1);
    p.mutable_travel()->set_mode("ebike");
    m.policies_put.push_back(p);
    v1::PolicyAssignment a;
    a.set_center_id("c");
    a.set_policy("p");
    a.set_from("2026-01-01");
    m.assignments_put.push_back(a);
    Apply(st_, std::move(m));
  }

  void Person(const std::string& id, v1::WindowKind kind, uint32_t position = 0) {
    Mutation m;
    v1::Staff s;
    s.set_id(id);
    s.set_name(id);
    s.set_center_id("c");
    s.add_roles(v1::WORKER);
    s.add_skills("elderly-care");
    m.staff_put.push_back(s);
    v1::Shift x;
    x.set_id(fmt::format("c/{}/{}-{}-{}", kDate, kind == v1::REGULAR ? "0830" : "0900",
                         v1::WindowKind_Name(kind), position));
    x.set_center_id("c");
    x.set_date(kDate);
    x.set_day_type(v1::WORKDAY);
    x.set_kind(kind);
    x.mutable_start()->set_seconds(kind == v1::REGULAR ? At(8, 30) : At(9));
    x.mutable_end()->set_seconds(kind == v1::REGULAR ? At(17, 30) : At(17));
    x.set_start_local(kind == v1::REGULAR ? "08:30" : "09:00");
    x.set_end_local(kind == v1::REGULAR ? "17:30" : "17:00");
    x.set_position(position);
    x.set_assignee_id(id);
    x.set_policy("p");
    m.shifts_put.push_back(x);
    Apply(st_, std::move(m));
  }

  void Visits(int n, int from_hour = 9, int to_hour = 17) {
    Mutation m;
    for (int i = 0; i < n; ++i) {
      v1::Resident r;
      r.set_id(fmt::format("r{:03}", i));
      r.set_name("居民");
      r.set_home_center_id("c");
      *r.mutable_location() = Near(i);
      m.residents_put.push_back(r);
      v1::Visit v;
      v.set_id(fmt::format("v{:03}", i));
      v.set_resident_id(r.id());
      v.set_center_id("c");
      v.set_service(i % 2 ? "meal-delivery" : "elderly-allowance");
      // Mornings, afternoons and whole days in turn.
      const int from = i % 3 == 0 ? from_hour : i % 3 == 1 ? 13 : from_hour;
      const int to = i % 3 == 0 ? 12 : to_hour;
      v.mutable_window_start()->set_seconds(At(from));
      v.mutable_window_end()->set_seconds(At(to));
      v.set_state(v1::VISIT_REQUESTED);
      v.set_priority(v1::NORMAL);
      m.visits_put.push_back(v);
    }
    Apply(st_, std::move(m));
  }

  RotaCtx Ctx() const {
    return RotaCtx{st_, zones_, TimePoint(std::chrono::seconds(At(7))), "tester"};
  }
  v1::VisitRoutePlanRequest Req() const {
    v1::VisitRoutePlanRequest q;
    q.set_center_id("c");
    q.set_date(kDate);
    return q;
  }

  State st_;
  Zones zones_;
};

TEST_F(PlanDay, TheCounterKeepsItsMinStaffAndTheBlocksGoOut) {
  Person("desk1", v1::REGULAR, 0);  // the counter's one required person
  Person("desk2", v1::REGULAR, 1);  // one over min_staff: may go
  Person("out1", v1::HOME_SERVICE);
  Visits(12);
  v1::RoutePlan plan;
  auto m = PlanCenterDay(Ctx(), Req(), &plan);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  std::set<std::string> went;
  for (const auto& r : plan.routes()) went.insert(r.staff().id());
  EXPECT_FALSE(went.count("desk1")) << "the counter would be empty";
  for (const auto& who : went) EXPECT_TRUE(who == "out1" || who == "desk2") << who;
  EXPECT_EQ(plan.unplanned_size(), 0) << plan.DebugString();
  ASSERT_EQ(m->events.size(), 1u);
  EXPECT_EQ(m->events[0].topic(), "visit.planned");
  // Every planned visit is ASSIGNED to its person with its stop.
  for (const auto& v : m->visits_put) {
    EXPECT_EQ(v.state(), v1::VISIT_ASSIGNED) << v.id();
    EXPECT_EQ(v.planned().staff_id(), v.assignee_id());
    EXPECT_TRUE(v.has_accept_by());
  }
}

TEST_F(PlanDay, AcceptedStaysDeclinedNeverReturnsAndNobodyFromAFullCounter) {
  Person("desk1", v1::REGULAR, 0);
  Person("out1", v1::HOME_SERVICE, 0);
  Person("out2", v1::HOME_SERVICE, 1);
  Visits(6);
  Mutation m;
  v1::Visit accepted = *st_.visits.FindVisit("v000");
  accepted.set_state(v1::VISIT_ACCEPTED);
  accepted.set_assignee_id("out2");
  m.visits_put.push_back(accepted);
  v1::Visit declined = *st_.visits.FindVisit("v001");
  declined.add_declined_by("out1");
  declined.set_state(v1::VISIT_DECLINED);
  m.visits_put.push_back(declined);
  Apply(st_, std::move(m));
  v1::RoutePlan plan;
  auto planned = PlanCenterDay(Ctx(), Req(), &plan);
  ASSERT_TRUE(planned.ok()) << planned.status().ToString();
  for (const auto& r : plan.routes()) {
    EXPECT_NE(r.staff().id(), "desk1");
    for (const auto& s : r.stops()) {
      if (s.visit_id() == "v000" || s.visit_id() == "v001") {
        EXPECT_EQ(r.staff().id(), "out2") << s.visit_id();
      }
    }
  }
  // The accepted one keeps its state.
  for (const auto& v : planned->visits_put) {
    if (v.id() == "v000") {
      EXPECT_EQ(v.state(), v1::VISIT_ACCEPTED);
    }
  }
}

TEST_F(PlanDay, ThePlanOnTheCopyIsThePlanOnTheWholeState) {
  Person("desk1", v1::REGULAR, 0);
  Person("out1", v1::HOME_SERVICE, 0);
  Person("out2", v1::HOME_SERVICE, 1);
  Visits(20);
  v1::RoutePlan whole, copy;
  auto a = PlanCenterDay(Ctx(), Req(), &whole);
  ASSERT_TRUE(a.ok());
  const State snapshot = StateOf(PlanDayReads(st_, Req()), {}, {});
  auto b = PlanCenterDay(RotaCtx{snapshot, zones_, Ctx().now, "tester"}, Req(), &copy);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(whole, copy));
  EXPECT_EQ(whole.routes_size(), 2);
  ASSERT_EQ(a->visits_put.size(), b->visits_put.size());
  for (size_t i = 0; i < a->visits_put.size(); ++i) {
    EXPECT_EQ(a->visits_put[i].SerializeAsString(), b->visits_put[i].SerializeAsString());
  }
}

TEST_F(PlanDay, RefusesAnUnknownCenterABadDateAndAPastDay) {
  v1::RoutePlan plan;
  auto q = Req();
  q.set_center_id("nowhere");
  EXPECT_EQ(PlanCenterDay(Ctx(), q, &plan).status().code(), Code::kNotFound);
  q = Req();
  q.set_date("2026-02-30");
  EXPECT_EQ(PlanCenterDay(Ctx(), q, &plan).status().field(), "date");
  q = Req();
  q.set_date("2026-03-01");
  EXPECT_EQ(PlanCenterDay(Ctx(), q, &plan).status().code(), Code::kFailedPrecondition);
  q = Req();
  q.set_matrix_csv("c,r000,x\n");
  EXPECT_EQ(PlanCenterDay(Ctx(), q, &plan).status().field(), "matrix_csv");
}

// Dispatch never gives one person visits that overlap: a second visit that
// cannot follow the first inside its window goes to someone else, or up.
TEST_F(PlanDay, DispatchNeverGivesOnePersonOverlappingVisits) {
  Person("out1", v1::HOME_SERVICE, 0);
  Visits(1);  // r000
  auto request = [&](const std::string& id, int from, int to) {
    v1::VisitRequestRequest q;
    q.set_id(id);
    q.set_resident_id("r000");
    q.set_service("care-visit");  // 45 minutes
    q.mutable_window_start()->set_seconds(At(from));
    q.mutable_window_end()->set_seconds(At(to));
    auto m = RequestVisit(Ctx(), q, 1);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    if (!m.ok()) return v1::Visit();
    Apply(st_, std::move(*m));
    return *st_.visits.FindVisit(id);
  };
  EXPECT_EQ(request("a", 10, 11).assignee_id(), "out1");
  const v1::Visit b = request("b", 10, 11);  // 10:00-11:00 holds one 45-minute visit
  EXPECT_NE(b.assignee_id(), "out1");
  EXPECT_EQ(b.state(), v1::VISIT_ESCALATED);
  EXPECT_EQ(request("c", 10, 12).assignee_id(), "out1") << "10:45-11:30 follows a";
}

// The figures of issue 22: a center's day (100 visits, 10 people on home
// visits) planned in full, then one urgent visit inserted into it.
TEST_F(PlanDay, FiguresOfACenterDay) {
  for (int i = 0; i < 10; ++i) Person(fmt::format("out{}", i), v1::HOME_SERVICE, i);
  Visits(100);
  v1::RoutePlan plan;
  const auto t0 = std::chrono::steady_clock::now();
  auto m = PlanCenterDay(Ctx(), Req(), &plan);
  const double plan_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  int stops = 0;
  for (const auto& r : plan.routes()) stops += r.stops_size();
  EXPECT_EQ(stops + plan.unplanned_size(), 100);

  // One urgent visit at 10:00 into the routes of the rest of the day, the
  // solver's own problem rebuilt the way PlanCenterDay builds it.
  namespace rt = routes;
  std::vector<rt::Place> places = {{"c", Near(24)}};
  rt::Problem problem;
  for (int i = 0; i < 100; ++i) {
    places.push_back({fmt::format("r{:03}", i), Near(i)});
    rt::Visit v;
    v.id = fmt::format("v{:03}", i);
    v.location = i + 1;
    const int from = i % 3 == 1 ? 13 : 9, to = i % 3 == 0 ? 12 : 17;
    v.service = (i % 2 ? 20 : 30) * 60.0;
    v.windows = {{from * 3600.0, to * 3600.0 - v.service}};
    v.skill = "elderly-care";
    problem.visits.push_back(v);
  }
  for (int i = 0; i < 10; ++i) {
    rt::Vehicle k;
    k.id = fmt::format("out{}", i);
    k.skills = {"elderly-care"};
    k.shift = {9 * 3600.0, 17 * 3600.0};
    problem.vehicles.push_back(k);
  }
  places.push_back({"urgent", Near(50)});
  const auto times = rt::BuildTravelTimes(places, rt::TravelConfig(), nullptr);
  problem.travel = &times;
  rt::SolveOptions o;
  o.starts = kPlanStarts;
  o.search_iterations = kPlanSearchRounds;
  const rt::Solution day = rt::SolveRoutes(problem, o);
  rt::Visit urgent;
  urgent.id = "urgent";
  urgent.location = 101;
  urgent.windows = {{10 * 3600.0, 11 * 3600.0}};
  urgent.service = 30 * 60.0;
  urgent.skill = "elderly-care";
  urgent.priority = rt::Priority::kUrgent;
  problem.visits.push_back(urgent);
  const auto t1 = std::chrono::steady_clock::now();
  const rt::Solution with = rt::InsertVisit(problem, day, 100);
  const double insert_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
  EXPECT_TRUE(rt::CheckRoutes(problem, with).ok());
  bool served = true;
  for (const auto& u : with.unserved) served = served && u.visit != 100;
  EXPECT_TRUE(served);
  std::printf(
      "visit plan: a center's day of 100 visits, 10 people: %.0f ms (%d planned); "
      "one urgent visit inserted: %.2f ms\n",
      plan_ms, stops, insert_ms);
  RecordProperty("plan_ms", static_cast<int>(plan_ms));
  RecordProperty("insert_us", static_cast<int>(insert_ms * 1000));
}

}  // namespace
}  // namespace zhiban::domain
