// zhiban-bench dispatch: one home-visit request decided against a busy
// district — 50 centers, 500 staff all on duty and all eligible (each covers
// every center of the district, each has the skill), 10,000 open work orders
// already assigned to them that day.
//
//   dispatch/nearest_baseline  baseline: the straight-line nearest of the 500
//                              (the arithmetic any dispatch does, no rules)
//   dispatch/request_one       RequestVisit in the engine: validation, the
//                              candidates on duty in the window with the skill,
//                              nearest then least loaded, the order and its
//                              events; per request, 2,000 requests a repetition
//
// Reports the median and p99 of one decision and the ratio to the baseline.
#include <algorithm>
#include <chrono>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "bench/bench.h"
#include "bench/city.h"
#include "daemon/base/time_util.h"
#include "daemon/domain/visit.h"

namespace zhiban::bench::dispatch {
namespace {

constexpr int kCenters = 50, kStaffPerCenter = 10, kOpenOrders = 10000, kRequests = 2000;

int64_t At(const char* iso) { return ParseIsoTime(iso)->time_since_epoch().count() / 1000000; }

struct District {
  domain::State state;
  Zones zones;
  std::vector<v1::GeoPoint> residents;

  District() {
    BuildCity(state, kCenters);
    for (int i = 0; i < kCenters; ++i) {
      v1::Center c = *state.network.FindCenter(CityCenterId(i));
      c.mutable_location()->set_lat(39.90 + 0.004 * (i / 10));
      c.mutable_location()->set_lon(116.40 + 0.004 * (i % 10));
      state.network.PutCenter(c);
    }
    const int64_t from = At("2026-03-02T08:30:00+08:00"), to = At("2026-03-02T17:30:00+08:00");
    for (int i = 0; i < kCenters; ++i) {
      for (int k = 0; k < kStaffPerCenter; ++k) {
        v1::Staff s;
        s.set_id(fmt::format("s{:03}-{}", i, k));
        s.set_name(s.id());
        s.set_center_id(CityCenterId(i));
        s.add_roles(v1::WORKER);
        s.add_skills("elderly-care");
        for (int j = 0; j < kCenters; ++j) {
          if (j != i) s.add_cover_center_ids(CityCenterId(j));
        }
        state.network.PutStaff(s);
        v1::Shift sh;
        sh.set_id(fmt::format("{}/2026-03-02/0830-REGULAR-{}", CityCenterId(i), k));
        sh.set_center_id(CityCenterId(i));
        sh.set_date("2026-03-02");
        sh.set_kind(v1::REGULAR);
        sh.mutable_start()->set_seconds(from);
        sh.mutable_end()->set_seconds(to);
        sh.set_assignee_id(s.id());
        state.rota.PutShift(sh);
      }
    }
    // Residents spread over the district; 10,000 open orders, round-robin.
    for (int r = 0; r < kOpenOrders + kRequests; ++r) {
      v1::Resident res;
      res.set_id(fmt::format("r{:05}", r));
      res.set_name(res.id());
      res.set_home_center_id(CityCenterId(r % kCenters));
      res.mutable_location()->set_lat(39.90 + 0.0005 * (r % 80));
      res.mutable_location()->set_lon(116.40 + 0.0005 * ((r / 80) % 80));
      res.set_legal_basis(v1::STATUTORY_DUTY);
      residents.push_back(res.location());
      state.visits.PutResident(res);
    }
    for (int v = 0; v < kOpenOrders; ++v) {
      v1::Visit o;
      o.set_id(fmt::format("open-{:05}", v));
      o.set_resident_id(fmt::format("r{:05}", v));
      o.set_center_id(CityCenterId(v % kCenters));
      o.set_service("care-visit");
      o.mutable_window_start()->set_seconds(from + 600 * (v % 48));
      o.mutable_window_end()->set_seconds(from + 600 * (v % 48) + 7200);
      o.set_state(v1::VISIT_ASSIGNED);
      o.set_assignee_id(fmt::format("s{:03}-{}", v % kCenters, (v / kCenters) % kStaffPerCenter));
      o.mutable_accept_by()->set_seconds(from + 86400);
      state.visits.PutVisit(o);
    }
  }
  domain::RotaCtx Ctx() const {
    return domain::RotaCtx{state, zones, *ParseIsoTime("2026-03-02T08:00:00+08:00"), "bench"};
  }
};

District& World() {
  static District d;
  return d;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

void NearestBaseline(benchmark::State& bs) {
  auto& w = World();
  std::vector<std::pair<v1::GeoPoint, const v1::Staff*>> staff;
  for (const auto& [id, s] : w.state.network.staff())
    staff.emplace_back(w.state.network.FindCenter(s.center_id())->location(), &s);
  for (auto _ : bs) {
    std::vector<double> us;
    us.reserve(kRequests);
    for (int r = 0; r < kRequests; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      const v1::Staff* best = nullptr;
      double best_km = 1e9;
      for (const auto& [loc, s] : staff) {
        const double km = domain::TravelKm(loc, w.residents[kOpenOrders + r]);
        if (km < best_km) best_km = km, best = s;
      }
      benchmark::DoNotOptimize(best);
      us.push_back(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
    bs.SetIterationTime(Median(us) / 1e6);
    Record("dispatch_base_us", Median(us));
  }
}

void RequestOne(benchmark::State& bs) {
  auto& w = World();
  const auto ctx = w.Ctx();
  const int64_t from = At("2026-03-02T10:00:00+08:00");
  size_t assigned = 0;
  for (auto _ : bs) {
    std::vector<double> us;
    us.reserve(kRequests);
    for (int r = 0; r < kRequests; ++r) {
      v1::VisitRequestRequest q;
      q.set_id(fmt::format("new-{}", r));
      q.set_resident_id(fmt::format("r{:05}", kOpenOrders + r));
      q.set_service("care-visit");
      q.mutable_window_start()->set_seconds(from);
      q.mutable_window_end()->set_seconds(from + 7200);
      auto t0 = std::chrono::steady_clock::now();
      auto m = domain::RequestVisit(ctx, q, 1);
      us.push_back(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      assigned += m.ok() && m->visits_put.front().state() == v1::VISIT_ASSIGNED;
    }
    bs.SetIterationTime(Median(us) / 1e6);
    Record("dispatch_us", Median(us));
    Record("dispatch_p99_us", Percentile(us, 0.99));
    Record("dispatch_assigned", static_cast<double>(assigned));
    assigned = 0;
  }
}

}  // namespace

void PrintDispatchSummary() {
  auto& f = Figures();
  if (!f.count("dispatch_us")) return;
  auto m = [&](const std::string& k) { return f.count(k) ? Median(f[k]) : 0.0; };
  const double base = m("dispatch_base_us");
  std::printf(
      "\nzhiban-bench dispatch — %d centers, %d staff on duty, %d open orders, medians of %d "
      "repetition(s) of %d requests\n",
      kCenters, kCenters * kStaffPerCenter, kOpenOrders, Reps(), kRequests);
  std::printf("%-60s %12s %10s\n", "case", "median", "vs base");
  std::printf("%-60s %9.1f us %9s\n", "baseline: straight-line nearest of the 500", base, "1.0x");
  std::printf("%-60s %9.1f us %9.1fx  (target < 1 ms)\n",
              "dispatch one request (RequestVisit), median", m("dispatch_us"),
              base > 0 ? m("dispatch_us") / base : 0);
  std::printf("%-60s %9.1f us\n", "  p99", m("dispatch_p99_us"));
  std::printf("%-60s %12.0f of %d\n", "  assigned (not escalated)", m("dispatch_assigned"),
              kRequests);
}

BENCHMARK(NearestBaseline)
    ->Name("dispatch/nearest_baseline")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(RequestOne)
    ->Name("dispatch/request_one")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace zhiban::bench::dispatch
