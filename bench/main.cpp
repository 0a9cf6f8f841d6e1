// zhiban-bench [SUITE] [google-benchmark flags]
//   SUITE: bus, calendar, notify, rota, dispatch, authz, routes (default: every suite).
//   Repetitions: ZHIBAN_BENCH_REPS (default 5).
// Prints Google Benchmark's table, then medians and ratios to the baseline.
#include <algorithm>
#include <chrono>
#include <cstdio>
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

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void PrintBusSummary();
void StopBenchDaemon();
void PrintCalendarSummary();
void StopNotifyWorld();
void PrintNotifySummary();
void PrintRotaSummary();
void PrintDispatchSummary();
void PrintAuthzSummary();
void PrintRoutesSummary();

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
  zhiban::bench::StopBenchDaemon();
  zhiban::bench::StopNotifyWorld();
  zhiban::bench::PrintBusSummary();
  zhiban::bench::PrintCalendarSummary();
  zhiban::bench::PrintNotifySummary();
  zhiban::bench::PrintRotaSummary();
  zhiban::bench::PrintDispatchSummary();
  zhiban::bench::PrintAuthzSummary();
  zhiban::bench::PrintRoutesSummary();
  return 0;
}
