// zhiban-bench routes, beyond Solomon (issue 21): the home-visit day of one
// center and the solver's cost as instances grow.
//
//   routes/home_visits  a center with 20 staff and 150 visits a day (seeded,
//                       below): served, unserved by reason, urgent served,
//                       travel, time; CheckRoutes on each result
//   routes/insert_urgent  30 urgent visits, each reported into the home-visit
//                       day's plan on its own (InsertVisit): time per insertion,
//                       and how many went in with nothing else moved, needed
//                       others moved, or stayed unserved
//   routes/growth       random Solomon-like instances of 100, 200, 400 and
//                       800 customers (the same density, windows and load):
//                       time of the construction alone and of SolveRoutes's
//                       default, and the travel the search saves
//
// Both are generated here from a fixed seed, so every run solves the same
// problems; the daemon never sees them.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "bench/bench.h"
#include "daemon/domain/routes.h"

namespace zhiban::bench::routes {
namespace {

namespace rt = domain::routes;

struct Generated {
  rt::Problem problem;
  std::unique_ptr<rt::MatrixTravelTimes> travel;
};

double Uniform(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

// One community's day, in seconds since midnight: the center at the middle
// of a 3 km square, 150 homes in it, travel at 4 m/s plus a minute at each
// door; services of 20 to 60 minutes; windows of the whole day (40 %), two
// hours (40 %) or a morning and an afternoon (20 %); 25 % need 助残, 15 %
// 医疗; 5 urgent, 20 high. 20 staff: 15 all day (08:30-17:30), 3 mornings,
// 2 afternoons; 6 hold 助残, 4 医疗; at most 8 visits each.
Generated HomeVisitDay() {
  std::mt19937_64 rng(7);
  constexpr int kVisits = 150, kStaff = 20;
  std::vector<double> x = {0}, y = {0};
  for (int i = 0; i < kVisits; ++i) {
    x.push_back(Uniform(rng, -1500, 1500));
    y.push_back(Uniform(rng, -1500, 1500));
  }
  const int n = kVisits + 1;
  std::vector<double> t(static_cast<size_t>(n) * n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      t[static_cast<size_t>(i) * n + j] =
          i == j ? 0 : std::hypot(x[i] - x[j], y[i] - y[j]) / 4.0 + 60;
  Generated g;
  g.travel = std::make_unique<rt::MatrixTravelTimes>(n, std::move(t));
  g.problem.travel = g.travel.get();
  const double day_open = 8.5 * 3600, day_close = 17.5 * 3600;
  for (int i = 0; i < kVisits; ++i) {
    rt::Visit v;
    v.id = fmt::format("visit-{}", i + 1);
    v.location = i + 1;
    v.service = 1200.0 * (1 + static_cast<int>(rng() % 3));  // 20, 40 or 60 min
    const double kind = Uniform(rng, 0, 1);
    if (kind < 0.4) {
      v.windows = {{day_open, day_close}};
    } else if (kind < 0.8) {
      const double open = day_open + 1800.0 * static_cast<double>(rng() % 15);  // 08:30..15:30
      v.windows = {{open, open + 7200}};
    } else {
      v.windows = {{9 * 3600, 11 * 3600}, {14 * 3600, 16 * 3600}};
    }
    const double skill = Uniform(rng, 0, 1);
    v.skill = skill < 0.25 ? "助残" : skill < 0.40 ? "医疗" : "";
    v.priority = i < 5    ? rt::Priority::kUrgent
                 : i < 25 ? rt::Priority::kHigh
                          : rt::Priority::kNormal;
    g.problem.visits.push_back(std::move(v));
  }
  for (int k = 0; k < kStaff; ++k) {
    rt::Vehicle s;
    s.id = fmt::format("staff-{}", k + 1);
    s.shift = k < 15   ? rt::TimeWindow{day_open, day_close}
              : k < 18 ? rt::TimeWindow{day_open, 12 * 3600}
                       : rt::TimeWindow{13.5 * 3600, day_close};
    if (k % 3 == 0) s.skills.push_back("助残");
    if (k % 5 == 1) s.skills.push_back("医疗");
    s.max_visits = 8;
    g.problem.vehicles.push_back(std::move(s));
  }
  return g;
}

// A random Solomon-like instance of `n` customers: the depot in the middle
// of a square whose side grows with sqrt(n) (the density of Solomon's 100
// in 100 x 100), demand 1-40 and capacity 200, service 10, a window of
// 60-180 around a time the depot can reach and return from within the
// horizon (1,000 x sqrt(n / 100)); n / 4 vehicles.
Generated SolomonLike(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const double scale = std::sqrt(n / 100.0), side = 100 * scale, horizon = 1000 * scale;
  std::vector<double> x = {side / 2}, y = {side / 2};
  for (int i = 0; i < n; ++i) {
    x.push_back(Uniform(rng, 0, side));
    y.push_back(Uniform(rng, 0, side));
  }
  const int size = n + 1;
  std::vector<double> t(static_cast<size_t>(size) * size);
  for (int i = 0; i < size; ++i)
    for (int j = 0; j < size; ++j)
      t[static_cast<size_t>(i) * size + j] = std::hypot(x[i] - x[j], y[i] - y[j]);
  Generated g;
  for (int i = 1; i <= n; ++i) {
    rt::Visit v;
    v.id = fmt::format("{}", i);
    v.location = i;
    v.demand = static_cast<double>(1 + rng() % 40);
    v.service = 10;
    const double reach = t[static_cast<size_t>(i)];  // depot -> i
    const double mid = Uniform(rng, reach + 30, horizon - reach - 40);
    const double half = Uniform(rng, 30, 90);
    v.windows = {{std::max(reach, mid - half), mid + half}};
    g.problem.visits.push_back(std::move(v));
  }
  g.travel = std::make_unique<rt::MatrixTravelTimes>(size, std::move(t));
  g.problem.travel = g.travel.get();
  for (int k = 0; k < n / 4; ++k) {
    rt::Vehicle veh;
    veh.id = fmt::format("v{}", k);
    veh.shift = {0, horizon};
    veh.capacity = 200;
    g.problem.vehicles.push_back(std::move(veh));
  }
  return g;
}

double Ms(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

struct HomeResult {
  std::vector<double> ms;
  rt::Solution solution;
  int urgent = 0, urgent_served = 0;
  std::string check;
};
HomeResult& Home() {
  static HomeResult r;
  return r;
}

struct GrowthRow {
  int n = 0;
  double construction_ms = 0, search_ms = 0, construction_travel = 0, search_travel = 0;
  size_t unserved = 0;
  std::string check;
};
struct InsertResult {
  std::vector<double> ms;
  int in_place = 0, repaired = 0, unserved = 0, moved = 0, displaced = 0, failed = 0;
  std::string check = "ok";
};
InsertResult& Inserts() {
  static InsertResult r;
  return r;
}

std::vector<GrowthRow>& Growth() {
  static std::vector<GrowthRow> rows;
  return rows;
}

void BenchHomeVisits(benchmark::State& state) {
  const Generated g = HomeVisitDay();
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    rt::Solution s = rt::SolveRoutes(g.problem, {.seed = 1});
    const double ms = Ms(t0);
    Home().ms.push_back(ms);
    const Status ok = rt::CheckRoutes(g.problem, s);
    Home().check = ok.ok() ? "ok" : ok.message();
    Home().urgent = Home().urgent_served = 0;
    for (const rt::Visit& v : g.problem.visits)
      Home().urgent += v.priority == rt::Priority::kUrgent;
    for (const rt::Route& r : s.routes)
      for (const rt::Stop& st : r.stops)
        Home().urgent_served += g.problem.visits[st.visit].priority == rt::Priority::kUrgent;
    Home().solution = std::move(s);
    state.SetIterationTime(ms / 1000);
  }
}

// The visit's staff member, or -1 when unserved.
std::vector<int> Assignees(const rt::Solution& s, size_t visits) {
  std::vector<int> who(visits, -1);
  for (const rt::Route& r : s.routes)
    for (const rt::Stop& st : r.stops) who[static_cast<size_t>(st.visit)] = r.vehicle;
  return who;
}

// Each staff member's visits in order, leaving out visit `skip`.
std::map<int, std::vector<int>> Sequences(const rt::Solution& s, int skip) {
  std::map<int, std::vector<int>> seqs;
  for (const rt::Route& r : s.routes)
    for (const rt::Stop& st : r.stops)
      if (st.visit != skip) seqs[r.vehicle].push_back(st.visit);
  return seqs;
}

void BenchInsertUrgent(benchmark::State& state) {
  const Generated g = HomeVisitDay();
  const rt::Solution plan = rt::SolveRoutes(g.problem, {.seed = 1});
  const std::vector<int> before = Assignees(plan, g.problem.visits.size());
  const auto sequences = Sequences(plan, -1);
  constexpr int kReports = 30;
  for (auto _ : state) {
    InsertResult r;
    double total = 0;
    for (int k = 0; k < kReports; ++k) {
      // Reported during the morning: somewhere in the community, a two-hour
      // window from 09:30 to 13:00, half an hour's service; every fifth
      // needs 助残.
      rt::Problem p = g.problem;
      rt::Visit v;
      v.id = fmt::format("urgent-{}", k + 1);
      v.location = 1 + (k * 37) % 150;
      const double open = 9.5 * 3600 + 1800.0 * (k % 8);
      v.windows = {{open, open + 7200}};
      v.service = 1800;
      v.skill = k % 5 == 0 ? "助残" : "";
      v.priority = rt::Priority::kUrgent;
      p.visits.push_back(std::move(v));
      const int u = static_cast<int>(p.visits.size()) - 1;
      const auto t0 = std::chrono::steady_clock::now();
      const rt::Solution s = rt::InsertVisit(p, plan, u, {.seed = 1});
      const double ms = Ms(t0);
      r.ms.push_back(ms);
      total += ms;
      const Status ok = rt::CheckRoutes(p, s);
      if (!ok.ok()) {
        ++r.failed;
        r.check = ok.message();
      }
      const std::vector<int> after = Assignees(s, p.visits.size());
      int moved = 0;
      for (size_t i = 0; i < before.size(); ++i) {
        if (before[i] < 0) continue;  // unserved in the plan
        moved += after[i] >= 0 && after[i] != before[i];
        r.displaced += after[i] < 0;
      }
      if (after[static_cast<size_t>(u)] < 0) {
        ++r.unserved;
      } else if (Sequences(s, u) == sequences) {
        ++r.in_place;
      } else {
        ++r.repaired;
        r.moved += moved;
      }
    }
    Inserts() = std::move(r);
    state.SetIterationTime(total / 1000);
  }
}

void BenchGrowth(benchmark::State& state) {
  for (auto _ : state) {
    Growth().clear();
    double total = 0;
    for (int n : {100, 200, 400, 800}) {
      const Generated g = SolomonLike(n, 11);
      GrowthRow row;
      row.n = n;
      auto t0 = std::chrono::steady_clock::now();
      const rt::Solution built = rt::SolveRoutes(g.problem, {.seed = 1, .improve_moves = 0});
      row.construction_ms = Ms(t0);
      row.construction_travel = built.total_travel;
      t0 = std::chrono::steady_clock::now();
      const rt::Solution s = rt::SolveRoutes(g.problem, {.seed = 1});
      row.search_ms = Ms(t0);
      row.search_travel = s.total_travel;
      row.unserved = s.unserved.size();
      const Status ok = rt::CheckRoutes(g.problem, s);
      row.check = ok.ok() ? "ok" : ok.message();
      total += row.construction_ms + row.search_ms;
      Growth().push_back(std::move(row));
    }
    state.SetIterationTime(total / 1000);
  }
}

}  // namespace

void PrintRoutesBeyondSolomon() {
  if (!Home().ms.empty()) {
    const rt::Solution& s = Home().solution;
    std::map<std::string, int> reasons;
    for (const rt::Unserved& u : s.unserved) ++reasons[u.text];
    std::printf(
        "\nroutes/home_visits — 20 staff, 150 visits, one day (seed 7): served %zu of 150, urgent "
        "%d of %d, staff used %zu, travel %.1f h; time median %.0f ms of %zu; CheckRoutes %s\n",
        150 - s.unserved.size(), Home().urgent_served, Home().urgent, s.routes.size(),
        s.total_travel / 3600, Median(Home().ms), Home().ms.size(), Home().check.c_str());
    for (const auto& [why, count] : reasons) std::printf("  unserved %d: %s\n", count, why.c_str());
  }
  if (!Inserts().ms.empty()) {
    const InsertResult& r = Inserts();
    std::vector<double> ms = r.ms;
    std::printf(
        "\nroutes/insert_urgent — %zu urgent visits, each into the home-visit day's plan: time "
        "median %.2f ms, worst %.2f ms; in place (nothing else moved) %d, with others moved %d (%d "
        "visits to another staff member in all, %d left out for it), unserved %d; CheckRoutes "
        "failed on %d (%s)\n",
        ms.size(), Median(ms), *std::max_element(ms.begin(), ms.end()), r.in_place, r.repaired,
        r.moved, r.displaced, r.unserved, r.failed, r.check.c_str());
  }
  if (!Growth().empty()) {
    std::printf(
        "\nroutes/growth — random Solomon-like instances (seed 11), one run:\n%6s %16s %12s %12s "
        "%9s %8s %s\n",
        "n", "construction ms", "default ms", "travel", "saved", "unserved", "check");
    for (const GrowthRow& r : Growth()) {
      std::printf("%6d %16.1f %12.1f %12.1f %8.2f%% %8zu %s\n", r.n, r.construction_ms, r.search_ms,
                  r.search_travel, (1 - r.search_travel / r.construction_travel) * 100, r.unserved,
                  r.check.c_str());
    }
  }
}

BENCHMARK(BenchHomeVisits)
    ->Name("routes/home_visits")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BenchInsertUrgent)
    ->Name("routes/insert_urgent")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BenchGrowth)
    ->Name("routes/growth")
    ->Iterations(1)
    ->Repetitions(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace zhiban::bench::routes
