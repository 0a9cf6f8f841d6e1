// zhiban-bench rota: a city — 500 centers, 5,000 staff, the year 2026.
//
//   rota/expand_year         baseline: the coverage windows of the year (what
//                            generation starts from)
//   rota/generate_fill_year  every center's year generated and auto-filled in
//                            the engine (shifts named, rules checked, fairness)
//   rota/check_center_year   `rota check` of one center-year
//   rota/now_one_center      `rota now` for one center, in the engine
//   rota/daemon_city         the same city through a real zhiband (RocksDB,
//                            events): 500 `rota generate --fill` commands in a
//                            row while a second client sends `rota now` and
//                            `status`; reports their p50/p99
//
// 400 centers follow ops/policies/community.toml and 100 village.toml (whose
// 24-hour holiday duty gets a village rule allowing it); each center has 10
// staff: 2 leaders, 3 cadres, 5 workers, 7 of them with social-security.
#include <algorithm>
#include <atomic>
#include <thread>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "bench/bench.h"
#include "bench/city.h"
#include "clients/lib/ctl_client.h"
#include "daemon/base/time_util.h"
#include "tests/support/process.h"
#include "tests/support/source.h"

namespace zhiban::bench::rota {
namespace {

constexpr int kCenters = 500, kStaffPerCenter = 10;

struct City {
  domain::State state;
  Zones zones;
  City() {
    BuildCity(state, kCenters);
    for (int i = 0; i < kCenters; ++i) {
      for (int k = 0; k < kStaffPerCenter; ++k) state.network.PutStaff(CityStaff(i, k));
    }
    Reset();
  }
  void Reset() {
    state.rota = domain::RotaBook{};  // a year not generated yet
    state.rota.SetRules(domain::ParseRulesToml(CityRulesToml(kCenters), "bench").value());
  }
  domain::RotaCtx Ctx() const {
    return domain::RotaCtx{state, zones, *ParseIsoTime("2025-12-20T10:00:00+08:00"), "bench"};
  }
};

City& TheCity() {
  static City city;
  return city;
}

void ExpandYear(benchmark::State& state) {
  auto& city = TheCity();
  TimeMs(state, "rota_expand_ms", [&] {
    std::vector<domain::Slot> slots;
    for (int i = 0; i < kCenters; ++i) {
      (void)domain::ExpandCoverage(city.state.calendar, city.state.policies, city.state.network,
                                   city.zones, CityCenterId(i), *ParseDate("2026-01-01"),
                                   *ParseDate("2026-12-31"), &slots, nullptr);
    }
    return slots.size();
  });
}

void GenerateFillYear(benchmark::State& state) {
  auto& city = TheCity();
  for (auto _ : state) {
    city.Reset();
    uint64_t shifts = 0, gaps = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kCenters; ++i) {
      v1::RotaGenerateRequest q;
      q.set_center_id(CityCenterId(i));
      q.set_from("2026-01-01");
      q.set_to("2026-12-31");
      q.set_fill(true);
      domain::PlanCounts counts;
      auto m = domain::GenerateRota(city.Ctx(), q, &counts);
      if (!m.ok()) {
        state.SkipWithError(m.status().ToString().c_str());
        return;
      }
      domain::Apply(city.state, std::move(*m));
      shifts += counts.shifts;
      gaps += counts.gaps;
    }
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    state.SetIterationTime(ms / 1000);
    Record("rota_generate_ms", ms);
    Record("rota_generate_ms_items", static_cast<double>(shifts));
    Record("rota_gaps", static_cast<double>(gaps));
  }
  // Fairness achieved, over every center.
  std::vector<double> weekend, holiday, evenings;
  uint64_t breaches = 0;
  for (int i = 0; i < kCenters; ++i) {
    v1::RotaCheckRequest q;
    q.set_center_id(CityCenterId(i));
    q.set_from("2026-01-01");
    q.set_to("2026-12-31");
    v1::RotaCheckReply c;
    (void)domain::CheckRota(city.Ctx(), q, &c);
    weekend.push_back(c.spread_weekend_days());
    holiday.push_back(c.spread_holiday_days());
    evenings.push_back(c.spread_evenings());
    breaches += c.breaches_size();
  }
  Record("rota_spread_weekend_median", Median(weekend));
  Record("rota_spread_weekend_max", *std::max_element(weekend.begin(), weekend.end()));
  Record("rota_spread_holiday_median", Median(holiday));
  Record("rota_spread_evenings_median", Median(evenings));
  Record("rota_breaches", static_cast<double>(breaches));
}

void CheckCenterYear(benchmark::State& state) {
  auto& city = TheCity();
  // Runs after rota/generate_fill_year (registration order): the city is planned.
  TimeMs(state, "rota_check_ms", [&] {
    v1::RotaCheckRequest q;
    q.set_center_id(CityCenterId(1));
    q.set_from("2026-01-01");
    q.set_to("2026-12-31");
    v1::RotaCheckReply c;
    (void)domain::CheckRota(city.Ctx(), q, &c);
    return c.shifts();
  });
}

void NowOneCenter(benchmark::State& state) {
  auto& city = TheCity();
  std::vector<double> us;
  for (auto _ : state) {
    domain::RotaCtx ctx = city.Ctx();
    ctx.now = *ParseIsoTime("2026-06-10T10:00:00+08:00");
    const int n = 1000;
    auto t0 = std::chrono::steady_clock::now();
    uint64_t on = 0;
    for (int i = 0; i < n; ++i) {
      v1::RotaNowRequest q;
      q.set_center_id(CityCenterId(1 + i % (kCenters - 1)));
      v1::RotaNowReply r;
      (void)domain::RotaNow(ctx, q, &r);
      on += r.on_duty_size();
    }
    double total =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    state.SetIterationTime(total / 1e6);
    Record("rota_now_us", total / n);
    benchmark::DoNotOptimize(on);
  }
}

// The city through a real zhiband: generation commands in a row, and a
// second client timing other commands meanwhile.
void DaemonCity(benchmark::State& state) {
  for (auto _ : state) {
    test::DaemonFixture d({"--log-level", "warn", "--clock", "simulated:2025-12-20T10:00:00+08:00"},
                          test::Transport::kTcp);
    d.Start();
    client::CtlClient ctl(d.zmq(), d.ctl(), std::chrono::seconds(120));
    auto call = [&](v1::CtlRequest& r) {
      auto reply = ctl.Call(r);
      if (!reply.ok() || reply->has_error()) {
        std::fprintf(
            stderr, "setup failed: %s\n",
            reply.ok() ? reply->error().message().c_str() : reply.status().ToString().c_str());
        std::abort();
      }
    };
    for (const char* f : {"ops/policies/community.toml", "ops/policies/village.toml"}) {
      v1::CtlRequest r;
      r.mutable_policy_set()->set_toml(test::ReadSource(f));
      r.mutable_policy_set()->set_effective_from("2025-01-01");
      call(r);
    }
    for (int i = 0; i < kCenters; ++i) {
      v1::CtlRequest r;
      auto* c = r.mutable_center_add()->mutable_center();
      c->set_id(CityCenterId(i));
      c->set_name(c->id());
      call(r);
      v1::CtlRequest a;
      auto* x = a.mutable_policy_assign()->mutable_assignment();
      x->set_center_id(CityCenterId(i));
      x->set_policy(CityVillage(i) ? "village-standard" : "community-standard");
      x->set_from("2025-01-01");
      call(a);
      for (int k = 0; k < kStaffPerCenter; ++k) {
        v1::CtlRequest s;
        *s.mutable_staff_add()->mutable_staff() = CityStaff(i, k);
        call(s);
      }
    }
    {
      v1::CtlRequest r;
      r.mutable_rules_set()->set_toml(CityRulesToml(kCenters));
      call(r);
    }
    std::atomic<bool> done{false};
    std::vector<double> lat_ms;
    std::thread other([&] {
      client::CtlClient probe(d.zmq(), d.ctl(), std::chrono::seconds(30));
      for (int i = 0; !done; ++i) {
        v1::CtlRequest r;
        if (i % 2) {
          r.mutable_status();
        } else {
          r.mutable_rota_now()->set_center_id(CityCenterId(i % kCenters));
        }
        auto t0 = std::chrono::steady_clock::now();
        (void)probe.Call(r);
        lat_ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
        std::this_thread::sleep_for(
            std::chrono::milliseconds(5));  // the probe's pace (~200 calls/s), not a wait
      }
    });
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kCenters; ++i) {
      v1::CtlRequest r;
      auto* q = r.mutable_rota_generate();
      q->set_center_id(CityCenterId(i));
      q->set_from("2026-01-01");
      q->set_to("2026-12-31");
      q->set_fill(true);
      call(r);
    }
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    done = true;
    other.join();
    state.SetIterationTime(ms / 1000);
    Record("rota_daemon_generate_ms", ms);
    std::sort(lat_ms.begin(), lat_ms.end());
    if (!lat_ms.empty()) {
      Record("rota_probe_p50_ms", lat_ms[lat_ms.size() / 2]);
      Record("rota_probe_p99_ms", lat_ms[std::min(lat_ms.size() - 1, lat_ms.size() * 99 / 100)]);
      Record("rota_probe_n", static_cast<double>(lat_ms.size()));
    }
    d.Stop();
  }
}

}  // namespace

void PrintRotaSummary() {
  auto& f = Figures();
  if (!f.count("rota_generate_ms")) return;
  const double base = Median(f["rota_expand_ms"]);
  auto m = [&](const std::string& k) { return f.count(k) ? Median(f[k]) : 0.0; };
  std::printf("\nzhiban-bench rota — %d centers, %d staff, 2026, medians of %d repetition(s)\n",
              kCenters, kCenters * kStaffPerCenter, Reps());
  std::printf("%-60s %12s %10s\n", "case", "median", "vs base");
  std::printf("%-60s %9.1f ms %9s\n", "baseline: coverage windows of the year (expansion)", base,
              "1.0x");
  std::printf("%-60s %9.1f ms %9.1fx  (target < 10 s)\n", "generate + fill the year, engine",
              m("rota_generate_ms"), base > 0 ? m("rota_generate_ms") / base : 0);
  std::printf("%-60s %12.0f\n", "  shifts", m("rota_generate_ms_items"));
  std::printf("%-60s %12.0f\n", "  gaps left", m("rota_gaps"));
  std::printf("%-60s %12.0f\n", "  rule breaches (rota check of every center)", m("rota_breaches"));
  std::printf("%-60s %12.1f / %.0f\n", "  fairness spread, weekend days (median / max center)",
              m("rota_spread_weekend_median"), m("rota_spread_weekend_max"));
  std::printf("%-60s %12.1f\n", "  fairness spread, holiday days (median center)",
              m("rota_spread_holiday_median"));
  std::printf("%-60s %12.1f\n", "  fairness spread, evenings (median center)",
              m("rota_spread_evenings_median"));
  std::printf("%-60s %9.2f ms            (target < 50 ms)\n", "rota check, one center-year",
              m("rota_check_ms"));
  std::printf("%-60s %9.2f us            (target < 1 ms)\n", "rota now, one center",
              m("rota_now_us"));
  if (f.count("rota_daemon_generate_ms")) {
    std::printf("%-60s %9.1f ms\n", "generate + fill through zhiband (500 commands, synced)",
                m("rota_daemon_generate_ms"));
    std::printf("%-60s %9.2f ms / %.2f ms (target p99 < 50 ms, n=%.0f)\n",
                "  other commands meanwhile, p50 / p99", m("rota_probe_p50_ms"),
                m("rota_probe_p99_ms"), m("rota_probe_n"));
  }
}

BENCHMARK(ExpandYear)
    ->Name("rota/expand_year")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(GenerateFillYear)
    ->Name("rota/generate_fill_year")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(CheckCenterYear)
    ->Name("rota/check_center_year")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(NowOneCenter)
    ->Name("rota/now_one_center")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(DaemonCity)
    ->Name("rota/daemon_city")
    ->Iterations(1)
    ->Repetitions(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace zhiban::bench::rota
