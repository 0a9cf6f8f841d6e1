// zhiban-bench [SUITE] [google-benchmark flags]
//   SUITE: bus, calendar, notify, rota, dispatch, authz, routes, residents, optimum (with CBC)
//   (default: every suite).
//   Repetitions: ZHIBAN_BENCH_REPS (default 5).
// Prints Google Benchmark's table, then medians and ratios to the baseline.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "bench/bench.h"

namespace zhiban::bench {

std::map<std::string, std::vector<double>>& Figures() {
  static std::map<std::string, std::vector<double>> f;
  return f;
}

void Record(const std::string& figure, double value) { Figures()[figure].push_back(value); }

void TimeMs(benchmark::State& state, const std::string& figure,
            const std::function<uint64_t()>& run) {
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    const uint64_t n = run();
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    state.SetIterationTime(ms / 1000);
    state.counters["items"] = static_cast<double>(n);
    Record(figure, ms);
    Record(figure + "_items", static_cast<double>(n));
  }
}

int Reps() {
  const char* r = std::getenv("ZHIBAN_BENCH_REPS");
  return r ? std::max(1, std::atoi(r)) : 5;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace zhiban::bench

int main(int argc, char** argv) {
  std::vector<char*> args = {argv[0]};
  std::string filter;
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] != '-' && filter.empty()) {
      filter = fmt::format("--benchmark_filter=^{}/", argv[i]);
    } else {
      args.push_back(argv[i]);
    }
  }
  if (!filter.empty()) args.push_back(filter.data());
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  namespace zb = zhiban::bench;
  zb::bus::StopBenchDaemon();
  zb::notify::StopNotifyWorld();
  zb::bus::PrintBusSummary();
  zb::calendar::PrintCalendarSummary();
  zb::notify::PrintNotifySummary();
  zb::rota::PrintRotaSummary();
  zb::dispatch::PrintDispatchSummary();
  zb::authz::PrintAuthzSummary();
  zb::personal_data::PrintPersonalDataSummary();
  zb::routes::PrintRoutesSummary();
  zb::routes::PrintRoutesBeyondSolomon();
#ifdef ZHIBAN_HAVE_CBC
  zb::optimum::PrintOptimumSummary();
#endif
  return 0;
}
