// zhiban-bench [SUITE] [google-benchmark flags]
//   SUITE: bus, calendar, notify, rota (default: every suite). Repetitions: ZHIBAN_BENCH_REPS (default 5).
// Prints Google Benchmark's table, then medians and ratios to the baseline.
#include <algorithm>
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
  return 0;
}
