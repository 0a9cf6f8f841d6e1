// zhiban-bench routes: the route solver (daemon/domain/routes.h, issue 21) on
// the 56 Solomon 100-customer VRPTW instances, with the benchmark's own
// convention: Euclidean travel in double precision (time = distance, no
// rounding), capacity and fleet size as given, the depot's due date as the
// horizon. Vehicles are free (distance-only objective), so the gap is to
// BKS_distance.tsv; BKS.tsv's vehicle counts are printed beside ours.
//
//   routes/construction   the construction alone (regret-2 insertion, best of
//                         8 runs): the baseline, in the same run
//   routes/local_search   the construction, then relocate, 2-opt* and 2-opt
//                         to a local optimum, 32 starts (search_iterations = 0)
//   routes/search         SolveRoutes's default: the above, then 20,000 rounds
//                         of ruin and recreate (SISR) under annealing
//   routes/bks_fleet      the default with the fleet cut to BKS.tsv's vehicle
//                         count (the benchmark's vehicles-first objective): on
//                         how many instances every customer is still served,
//                         and the gap to BKS.tsv's distance on those
// Each case solves every instance once a repetition; CheckRoutes on each result.
//
// The instances are read from $ZHIBAN_SOLOMON_DIR, by default the copy in
// data/solomon of this source tree. The Solomon reader lives here, not in the
// daemon: the daemon never reads benchmark files.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "bench/bench.h"
#include "daemon/domain/routes.h"
#include "tests/support/source.h"

namespace zhiban::bench::routes {
namespace {

namespace rt = domain::routes;

std::string SolomonDir() {
  if (const char* env = std::getenv("ZHIBAN_SOLOMON_DIR"); env && *env) return env;
  return std::string(test::SourceDir()) + "/data/solomon";
}

struct Instance {
  std::string name;
  std::vector<double> x, y;  // [0] is the depot
  rt::Problem problem;
  std::unique_ptr<rt::MatrixTravelTimes> travel;
};

// Reads one instance in Solomon's text format (name, VEHICLE NUMBER CAPACITY,
// CUSTOMER table of 7 columns; the first row is the depot). Returns false with
// `error` set when the file is missing or malformed.
bool ReadSolomon(const std::string& path, Instance& inst, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot open " + path;
    return false;
  }
  std::vector<std::string> tok;
  for (std::string t; in >> t;) tok.push_back(t);
  auto find = [&](const std::string& word) {
    return static_cast<size_t>(std::find(tok.begin(), tok.end(), word) - tok.begin());
  };
  const size_t cap = find("CAPACITY"), table = find("SERVICE");
  if (tok.empty() || cap + 2 >= tok.size() || table + 1 >= tok.size()) {
    error = path + ": no VEHICLE or CUSTOMER section";
    return false;
  }
  inst.name = tok[0];
  const int fleet = std::atoi(tok[cap + 1].c_str());
  const double capacity = std::strtod(tok[cap + 2].c_str(), nullptr);
  std::vector<double> row;
  for (size_t i = table + 2; i < tok.size(); ++i)
    row.push_back(std::strtod(tok[i].c_str(), nullptr));
  if (row.size() % 7 != 0 || row.size() < 14 || fleet <= 0) {
    error = path + ": customer table is not rows of 7 numbers";
    return false;
  }
  const size_t n = row.size() / 7;
  double horizon = 0;
  for (size_t i = 0; i < n; ++i) {
    const double* r = &row[i * 7];
    inst.x.push_back(r[1]);
    inst.y.push_back(r[2]);
    if (i == 0) {
      horizon = r[5];
      continue;
    }
    rt::Visit v;
    v.id = fmt::format("{}", static_cast<int>(r[0]));
    v.location = static_cast<int>(i);
    v.demand = r[3];
    v.windows = {{r[4], r[5]}};
    v.service = r[6];
    inst.problem.visits.push_back(std::move(v));
  }
  std::vector<double> t(n * n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j)
      t[i * n + j] = std::hypot(inst.x[i] - inst.x[j], inst.y[i] - inst.y[j]);
  inst.travel = std::make_unique<rt::MatrixTravelTimes>(static_cast<int>(n), std::move(t));
  inst.problem.travel = inst.travel.get();
  for (int k = 0; k < fleet; ++k) {
    rt::Vehicle veh;
    veh.id = fmt::format("v{}", k);
    veh.shift = {0, horizon};
    veh.capacity = capacity;
    inst.problem.vehicles.push_back(std::move(veh));
  }
  return true;
}

// instance -> (vehicles, distance) from a BKS table.
std::map<std::string, std::pair<int, double>> ReadBks(const std::string& path) {
  std::map<std::string, std::pair<int, double>> out;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string name;
    int vehicles = 0;
    double distance = 0;
    if (s >> name >> vehicles >> distance) out[name] = {vehicles, distance};
  }
  return out;
}

const char* kNames[] = {"C101",  "C102",  "C103",  "C104",  "C105",  "C106",  "C107",  "C108",
                        "C109",  "C201",  "C202",  "C203",  "C204",  "C205",  "C206",  "C207",
                        "C208",  "R101",  "R102",  "R103",  "R104",  "R105",  "R106",  "R107",
                        "R108",  "R109",  "R110",  "R111",  "R112",  "R201",  "R202",  "R203",
                        "R204",  "R205",  "R206",  "R207",  "R208",  "R209",  "R210",  "R211",
                        "RC101", "RC102", "RC103", "RC104", "RC105", "RC106", "RC107", "RC108",
                        "RC201", "RC202", "RC203", "RC204", "RC205", "RC206", "RC207", "RC208"};

struct Result {
  double distance = 0;
  int vehicles = 0;
  size_t unserved = 0;
  std::string check;  // empty when CheckRoutes said OK
  std::vector<double> ms;
};

// Per case: 0 the construction alone, 1 with local search (no ruin and
// recreate), 2 SolveRoutes's default (local search, then ruin and recreate),
// 3 the default on BKS.tsv's fleet.
constexpr int kCases = 4;
constexpr int kBksFleet = 3;
const char* kCaseNames[kCases] = {"construction", "local_search", "search", "bks_fleet"};
std::map<std::string, Result>& Results(int mode) {
  static std::map<std::string, Result> r[kCases];
  return r[mode];
}
std::string& Missing() {
  static std::string m;
  return m;
}
std::string& BksMissing() {  // bks_fleet skipped; the other cases stand
  static std::string m;
  return m;
}

void BenchSolve(benchmark::State& state, int mode) {
  const std::string dir = SolomonDir();
  std::vector<Instance> instances(std::size(kNames));
  const auto bks = ReadBks(dir + "/BKS.tsv");
  for (size_t i = 0; i < instances.size(); ++i) {
    std::string error;
    bool read = ReadSolomon(fmt::format("{}/{}.txt", dir, kNames[i]), instances[i], error);
    if (read && mode == kBksFleet) {
      const auto it = bks.find(kNames[i]);
      if (it == bks.end()) {
        BksMissing() = fmt::format(
            "zhiban-bench routes/bks_fleet: skipped: {}/BKS.tsv has no row for {}", dir, kNames[i]);
        state.SkipWithError(BksMissing().c_str());
        return;
      } else {
        auto& vehicles = instances[i].problem.vehicles;
        vehicles.resize(std::min(vehicles.size(), static_cast<size_t>(it->second.first)));
      }
    }
    if (!read) {
      Missing() = fmt::format(
          "zhiban-bench routes: skipped: {} (set ZHIBAN_SOLOMON_DIR to the folder of the 56 "
          "Solomon instances and the BKS tables)",
          error);
      state.SkipWithError(Missing().c_str());
      return;
    }
  }
  for (auto _ : state) {
    double total_ms = 0;
    for (const Instance& inst : instances) {
      const auto t0 = std::chrono::steady_clock::now();
      rt::SolveOptions options{.seed = 1};
      if (mode == 0) options.improve_moves = 0;
      if (mode < 2) options.search_iterations = 0;
      const rt::Solution sol = rt::SolveRoutes(inst.problem, options);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      total_ms += ms;
      Result& r = Results(mode)[inst.name];
      r.ms.push_back(ms);
      r.distance = sol.total_travel;
      r.vehicles = static_cast<int>(sol.routes.size());
      r.unserved = sol.unserved.size();
      const Status ok = rt::CheckRoutes(inst.problem, sol);
      r.check = ok.ok() ? "" : ok.message();
    }
    state.SetIterationTime(total_ms / 1000);
  }
}

}  // namespace

void PrintRoutesSummary() {
  if (!Missing().empty()) {
    std::printf("\n%s\n", Missing().c_str());
    return;
  }
  if (!BksMissing().empty()) std::printf("\n%s\n", BksMissing().c_str());
  bool any = false;
  for (int mode = 0; mode < kCases; ++mode) any |= !Results(mode).empty();
  if (!any) return;
  const std::string dir = SolomonDir();
  const auto bks_distance = ReadBks(dir + "/BKS_distance.tsv");
  const auto bks = ReadBks(dir + "/BKS.tsv");
  std::printf(
      "\nzhiban-bench routes — 56 Solomon instances (%s), Euclidean, double precision; seed 1; "
      "time: median of %d repetition(s)\n",
      dir.c_str(), Reps());
  int shown = -1;  // the table shows the last case run on the benchmark's own fleet
  for (int mode = 0; mode < kBksFleet; ++mode)
    if (!Results(mode).empty()) shown = mode;
  if (shown >= 0) {
    std::printf("%s per instance:\n", kCaseNames[shown]);
    std::printf("%-6s %10s %10s %8s %4s %4s %4s %9s %s\n", "inst", "distance", "BKS dist", "gap",
                "veh", "BKSd", "BKS", "ms", "check");
  }
  auto mean = [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return v.empty() ? 0 : sum / static_cast<double>(v.size());
  };
  for (int mode = 0; mode < kBksFleet; ++mode) {
    if (Results(mode).empty()) continue;
    std::vector<double> gaps, times;
    std::map<std::string, std::vector<double>> family;
    int vehicles = 0, failed = 0;
    size_t unserved = 0;
    std::string worst;
    double worst_gap = -1;
    for (const char* name : kNames) {
      const auto it = Results(mode).find(name);
      if (it == Results(mode).end()) continue;
      const Result& r = it->second;
      const auto bd = bks_distance.count(name) ? bks_distance.at(name) : std::pair<int, double>{};
      const auto bv = bks.count(name) ? bks.at(name) : std::pair<int, double>{};
      const double gap = bd.second > 0 ? (r.distance / bd.second - 1) * 100 : 0;
      const double ms = Median(r.ms);
      gaps.push_back(gap);
      times.push_back(ms);
      std::string fam = name;
      family[fam.substr(0, fam.size() - 2)].push_back(gap);  // C1, C2, R1, R2, RC1, RC2
      vehicles += r.vehicles;
      unserved += r.unserved;
      failed += r.check.empty() ? 0 : 1;
      if (gap > worst_gap) {
        worst_gap = gap;
        worst = name;
      }
      if (mode == shown)
        std::printf("%-6s %10.2f %10.2f %7.2f%% %4d %4d %4d %9.2f %s\n", name, r.distance,
                    bd.second, gap, r.vehicles, bd.first, bv.first, ms,
                    r.check.empty() ? "ok" : r.check.c_str());
    }
    std::printf("%s: families (mean gap):", kCaseNames[mode]);
    for (const char* f : {"C1", "C2", "R1", "R2", "RC1", "RC2"})
      std::printf(" %s %.2f%%", f, mean(family[f]));
    std::printf(
        "\n%s: gap to BKS_distance mean %.2f%%, median %.2f%%, worst %.2f%% (%s); vehicles %d "
        "(BKS_distance 485, BKS 405); unserved %zu; CheckRoutes failed on %d of %zu\n",
        kCaseNames[mode], mean(gaps), Median(gaps), worst_gap, worst.c_str(), vehicles, unserved,
        failed, gaps.size());
    std::printf("%s: time per instance mean %.2f ms, median %.2f ms, worst %.2f ms\n",
                kCaseNames[mode], mean(times), Median(times),
                *std::max_element(times.begin(), times.end()));
  }
  if (!Results(kBksFleet).empty()) {
    // Vehicles first, as BKS.tsv ranks: an instance counts only when every
    // customer is served with BKS's fleet; the gap is to BKS.tsv's distance.
    std::vector<double> gaps, times;
    std::string short_of;
    int failed = 0;
    for (const char* name : kNames) {
      const auto it = Results(kBksFleet).find(name);
      if (it == Results(kBksFleet).end() || !bks.count(name)) continue;
      const Result& r = it->second;
      times.push_back(Median(r.ms));
      failed += r.check.empty() ? 0 : 1;
      if (r.unserved > 0) {
        short_of += fmt::format(" {}({})", name, r.unserved);
        continue;
      }
      gaps.push_back((r.distance / bks.at(name).second - 1) * 100);
    }
    std::printf(
        "bks_fleet: every customer served with BKS.tsv's vehicles on %zu of %zu instances; gap to "
        "BKS.tsv's distance on those mean %.2f%%, median %.2f%%, worst %.2f%%; time per instance "
        "mean %.2f ms; CheckRoutes failed on %d\n",
        gaps.size(), times.size(), mean(gaps), gaps.empty() ? 0.0 : Median(gaps),
        gaps.empty() ? 0.0 : *std::max_element(gaps.begin(), gaps.end()), mean(times), failed);
    if (!short_of.empty()) std::printf("bks_fleet: customers left unserved:%s\n", short_of.c_str());
  }
}

void BenchConstruction(benchmark::State& state) { BenchSolve(state, 0); }
void BenchLocalSearch(benchmark::State& state) { BenchSolve(state, 1); }
void BenchSearch(benchmark::State& state) { BenchSolve(state, 2); }
void BenchBksFleet(benchmark::State& state) { BenchSolve(state, kBksFleet); }

BENCHMARK(BenchConstruction)
    ->Name("routes/construction")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BenchLocalSearch)
    ->Name("routes/local_search")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BenchSearch)
    ->Name("routes/search")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BenchBksFleet)
    ->Name("routes/bks_fleet")
    ->Iterations(1)
    ->Repetitions(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace zhiban::bench::routes
