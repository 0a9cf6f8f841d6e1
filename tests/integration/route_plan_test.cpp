// A center's day of visits planned as routes through the real zhiband
// (issue 22): visit plan --center solved off the core thread, every route
// re-checked here from the reply (windows, travel, no overlap, the counter
// kept staffed), visit.planned on the bus without personal data, one
// person's day in route order, and the plan kept across a kill -9.
#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include "tests/support/ctl_expect.h"
#include "tests/support/source.h"
#include "zhiban/v1/ctl.pb.h"

namespace zhiban::test {
namespace {

using google::protobuf::util::TimeUtil;

// xingfu staffs its counter with one person and sends two out on home
// visits (HOME_SERVICE) 09:00-17:00, by e-bike.
constexpr const char* kPolicy = R"(name = "xingfu-home"
[travel]
mode = "ebike"
detour = 1.3

[[workday]]
kind = "REGULAR"
start = "08:30"
end = "17:30"
min_staff = 1

[[workday]]
kind = "HOME_SERVICE"
start = "09:00"
end = "17:00"
min_staff = 2
skills = ["elderly-care"]
)";

constexpr const char* kPhonePrefix = "1390000";

template <typename M>
M Parse(const std::string& json) {
  M m;
  google::protobuf::util::JsonParseOptions o;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &m, o).ok()) << json;
  return m;
}

class RoutePlanDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    d_.Start();
    CtlOk(d_, {"import", "centers", Source("ops/demo/centers.csv")});
    CtlOk(d_, {"import", "staff", Source("ops/demo/staff.csv")});
    const std::string policy = d_.dir() / "xingfu-home.toml";
    std::ofstream(policy) << kPolicy;
    CtlOk(d_, {"policy", "set", "--file", policy, "--from", "2025-01-01"});
    CtlOk(d_, {"policy", "assign", "--center", "xingfu", "--policy", "xingfu-home", "--from",
               "2025-01-01"});
    CtlOk(d_, {"rota", "generate", "--center", "xingfu", "--from", "2026-01-05", "--to",
               "2026-01-09", "--fill"});
    CtlOk(d_, {"rota", "publish", "--center", "xingfu", "--month", "2026-01"});
    // Ten residents within a kilometre or two of the center (39.9262, 116.4481).
    for (int i = 0; i < 10; ++i) {
      const double lat = 39.9262 + 0.004 * ((i % 5) - 2),
                   lon = 116.4481 + 0.005 * ((i / 5) * 2 - 1);
      CtlOk(d_, {"resident",     "add",
                 "--id",         fmt::format("r{}", i),
                 "--name",       "居民",
                 "--center",     "xingfu",
                 "--address",    fmt::format("幸福路{}号", i + 1),
                 "--phone",      fmt::format("{}{:04}", kPhonePrefix, i),
                 "--categories", "ELDERLY_ALONE",
                 "--tier",       "GENERAL",
                 "--basis",      "STATUTORY_DUTY",
                 "--location",   fmt::format("{:.4f},{:.4f}", lat, lon)});
    }
    // Twelve visits on Monday 5 January: mornings, afternoons, all day.
    const char* services[] = {"care-visit", "meal-delivery", "elderly-allowance"};
    for (int i = 0; i < 12; ++i) {
      const std::string window = i < 6    ? "2026-01-05T09:00:00+08:00/2026-01-05T12:00:00+08:00"
                                 : i < 10 ? "2026-01-05T14:00:00+08:00/2026-01-05T17:00:00+08:00"
                                          : "2026-01-05T09:00:00+08:00/2026-01-05T17:00:00+08:00";
      CtlOk(d_, {"visit", "request", "--id", fmt::format("v{}", i), "--resident",
                 fmt::format("r{}", i % 10), "--service", services[i % 3], "--window", window});
    }
  }
  void TearDown() override { EXPECT_EQ(d_.Stop(), 0); }

  v1::RoutePlan Plan() {
    auto r =
        CtlOk(d_, {"-o", "json", "visit", "plan", "--center", "xingfu", "--date", "2026-01-05"});
    return Parse<v1::RoutePlan>(r.out);
  }
  v1::VisitListReply StaffDay(const std::string& who) {
    auto r = CtlOk(d_, {"-o", "json", "visit", "plan", "--staff", who, "--date", "2026-01-05"});
    return Parse<v1::VisitListReply>(r.out);
  }
  v1::Visit Show(const std::string& id) {
    return Parse<v1::Visit>(CtlOk(d_, {"-o", "json", "visit", "show", "--id", id}).out);
  }

  DaemonFixture d_{{"--clock", "simulated:2026-01-05T07:00:00+08:00"}};
};

int64_t S(const google::protobuf::Timestamp& t) { return t.seconds(); }

TEST_F(RoutePlanDaemon, PlansFeasibleRoutesKeepsTheCounterAndSurvivesAKill) {
  const v1::RoutePlan plan = Plan();
  ASSERT_GE(plan.routes_size(), 1) << plan.DebugString();
  EXPECT_NE(plan.travel().find("ebike 15 km/h, detour 1.3"), std::string::npos) << plan.travel();
  // Checked again here, from the reply and the visits alone.
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> busy;  // person -> intervals
  size_t stops = 0;
  for (const auto& route : plan.routes()) {
    EXPECT_NE(route.shift_id().find("HOME_SERVICE"), std::string::npos)
        << "the counter's only person is never sent out: " << route.shift_id();
    int64_t at = S(route.depart());
    for (int i = 0; i < route.stops_size(); ++i) {
      const auto& p = route.stops(i);
      const v1::Visit v = Show(p.visit_id());
      EXPECT_EQ(v.assignee_id(), route.staff().id()) << p.visit_id();
      EXPECT_EQ(v.planned().position(), static_cast<uint32_t>(i + 1));
      EXPECT_EQ(p.position(), static_cast<uint32_t>(i + 1));
      EXPECT_NEAR(S(p.arrival()), at + p.travel().seconds(), 1) << p.visit_id();
      EXPECT_GE(S(p.start()), S(p.arrival()));
      EXPECT_GE(S(p.start()), S(v.window_start())) << p.visit_id();
      EXPECT_LE(S(p.departure()), S(v.window_end())) << p.visit_id();
      EXPECT_GE(p.slack().seconds(), 0);
      EXPECT_LE(S(p.start()) + p.slack().seconds(), S(v.window_end())) << p.visit_id();
      busy[route.staff().id()].push_back({S(route.depart()), S(route.return_at())});
      at = S(p.departure());
      ++stops;
    }
    EXPECT_GE(S(route.return_at()), at);
  }
  EXPECT_EQ(stops + plan.unplanned_size(), 12u);
  EXPECT_EQ(plan.unplanned_size(), 0) << plan.DebugString();
  for (auto& [who, spans] : busy) {
    std::sort(spans.begin(), spans.end());
    spans.erase(std::unique(spans.begin(), spans.end()), spans.end());
    for (size_t i = 1; i < spans.size(); ++i) {
      EXPECT_LE(spans[i - 1].second, spans[i].first) << who << ": two routes overlap";
    }
  }

  // One person's day, in route order, with the times.
  const auto& first = plan.routes(0);
  const v1::VisitListReply day = StaffDay(first.staff().id());
  ASSERT_GE(day.visits_size(), first.stops_size());
  for (int i = 0; i < first.stops_size(); ++i) {
    EXPECT_EQ(day.visits(i).id(), first.stops(i).visit_id());
    EXPECT_EQ(S(day.visits(i).planned().arrival()), S(first.stops(i).arrival()));
  }
  auto table = CtlOk(d_, {"visit", "plan", "--staff", first.staff().id(), "--date", "2026-01-05"});
  EXPECT_NE(table.out.find("ARRIVE"), std::string::npos) << table.out;

  // visit.planned: each person's ordered list, residents as bus cards.
  const auto events = d_.EventsAfter(0);
  int announced = 0;
  for (const auto& e : events) {
    if (e.topic() != "visit.planned") continue;
    ++announced;
    EXPECT_EQ(e.center_id(), "xingfu");
    EXPECT_EQ(e.visit_planned().routes_size(), plan.routes_size());
    for (int i = 0; i < plan.routes_size(); ++i) {
      ASSERT_EQ(e.visit_planned().routes(i).stops_size(), plan.routes(i).stops_size());
      for (int j = 0; j < plan.routes(i).stops_size(); ++j) {
        EXPECT_EQ(e.visit_planned().routes(i).stops(j).visit_id(),
                  plan.routes(i).stops(j).visit_id());
      }
    }
    EXPECT_EQ(e.SerializeAsString().find(kPhonePrefix), std::string::npos)
        << "no resident's phone on the bus";
    EXPECT_EQ(e.visit_planned().residents_size(), 0) << "stops name residents by id";
  }
  EXPECT_EQ(announced, 1);

  // Planning again with nothing changed moves nobody; the table says so.
  const v1::RoutePlan again = Plan();
  EXPECT_EQ(again.reassigned(), 0u);
  auto shown = CtlOk(d_, {"visit", "plan", "--center", "xingfu", "--date", "2026-01-05"});
  EXPECT_NE(shown.out.find("12 visits planned, 0 left out, 0 reassigned"), std::string::npos)
      << shown.out;

  // Acknowledged, then killed: the plan is what the visits say after a restart.
  std::map<std::string, std::string> before;
  for (const auto& route : plan.routes()) {
    for (const auto& p : route.stops())
      before[p.visit_id()] = Show(p.visit_id()).SerializeAsString();
  }
  d_.Kill9();
  d_.Start();
  for (const auto& [id, bytes] : before) {
    const v1::Visit v = Show(id);
    EXPECT_EQ(v.SerializeAsString(), bytes) << id;
  }
  const v1::VisitListReply after = StaffDay(first.staff().id());
  ASSERT_EQ(after.visits_size(), day.visits_size());
  for (int i = 0; i < day.visits_size(); ++i) EXPECT_EQ(after.visits(i).id(), day.visits(i).id());
}

TEST_F(RoutePlanDaemon, BadRequestsAreRefusedNamingTheField) {
  auto bad = d_.Ctl({"visit", "plan", "--center", "nowhere", "--date", "2026-01-05"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("nowhere"), std::string::npos) << bad.err;
  const std::string matrix = d_.dir() / "m.csv";
  std::ofstream(matrix) << "from,to,minutes\nxingfu,r1,5\nr1,r2,soon\n";
  bad = d_.Ctl({"visit", "plan", "--center", "xingfu", "--date", "2026-01-05", "--matrix", matrix});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("line 3, field 3 (minutes): \"soon\" is not a number"), std::string::npos)
      << bad.err;
  bad = d_.Ctl({"visit", "plan", "--center", "xingfu", "--date", "2026-01-04"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("is over"), std::string::npos) << bad.err;
  // Coordinates from a Chinese map, converted with --gcj02 (a few hundred metres).
  CtlOk(d_,
        {"center", "update", "--id", "heping", "--lat", "39.9175", "--lon", "116.4392", "--gcj02"});
  auto heping =
      Parse<v1::Center>(CtlOk(d_, {"-o", "json", "center", "show", "--id", "heping"}).out);
  EXPECT_NEAR(heping.location().lat(), 39.9175 - 0.0014, 0.0005) << heping.DebugString();
  EXPECT_NEAR(heping.location().lon(), 116.4392 - 0.0062, 0.0005) << heping.DebugString();
  EXPECT_EQ(d_.Ctl({"center", "update", "--id", "heping", "--gcj02"}).exit_code, 2)
      << "--gcj02 converts --lat/--lon";
  // A good matrix is used for the pairs it names.
  std::ofstream(matrix) << "xingfu,r0,7\nr0,r1,4\n";
  auto ok = CtlOk(d_, {"-o", "json", "visit", "plan", "--center", "xingfu", "--date", "2026-01-05",
                       "--matrix", matrix});
  EXPECT_NE(Parse<v1::RoutePlan>(ok.out).travel().find("matrix: 4 pairs"), std::string::npos)
      << ok.out;
}

}  // namespace
}  // namespace zhiban::test
