// zhiban-bench calendar: coverage expansion for a city, against a baseline
// measured in the same run.
//
//   calendar/day_types      baseline: the day type of 500 centers x 365 days
//   calendar/expand_year    every required window of 500 centers for 2026, with
//                           its start and end instants (the engine's Slot form)
//   calendar/expand_year_records   the same as RequiredWindow protobuf records
//   calendar/audit_year     the same year checked for days without a window
//                           (coverage audit: counts, no records)
//
// 400 centers follow ops/policies/community.toml, 100 ops/policies/village.toml;
// the calendars are the shipped 2025/2026 notices.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "bench/bench.h"
#include "bench/city.h"

namespace zhiban::bench::calendar {
namespace {

struct City {
  domain::State state;
  Zones zones;
  City() { BuildCity(state, 500); }
};

City& TheCity() {
  static City city;
  return city;
}

void DayTypes(benchmark::State& state) {
  auto& city = TheCity();
  TimeMs(state, "cal_day_types_ms", [&] {
    uint64_t n = 0;
    const Date first{std::chrono::year(2026), std::chrono::January, std::chrono::day(1)};
    for (const auto& [id, c] : city.state.network.centers()) {
      for (int32_t d = DayNumber(first); d < DayNumber(first) + 365; ++d) {
        const Date date = FromDayNumber(d);
        n += city.state.calendar.Info(date, FormatDate(date), id).type != v1::DAY_TYPE_UNSPECIFIED;
      }
    }
    return n;
  });
}

void ExpandYear(benchmark::State& state) {
  auto& city = TheCity();
  TimeMs(state, "cal_expand_ms", [&] {
    std::vector<domain::Slot> slots;
    slots.reserve(600000);
    for (const auto& [id, c] : city.state.network.centers()) {
      (void)domain::ExpandCoverage(city.state.calendar, city.state.policies, city.state.network,
                                   city.zones, id, *ParseDate("2026-01-01"),
                                   *ParseDate("2026-12-31"), &slots, nullptr);
    }
    return slots.size();
  });
}

// The same windows as protobuf records, as `coverage show` sends them.
void ExpandYearRecords(benchmark::State& state) {
  auto& city = TheCity();
  TimeMs(state, "cal_records_ms", [&] {
    std::vector<domain::Slot> slots;
    uint64_t n = 0;
    for (const auto& [id, c] : city.state.network.centers()) {
      slots.clear();
      (void)domain::ExpandCoverage(city.state.calendar, city.state.policies, city.state.network,
                                   city.zones, id, *ParseDate("2026-01-01"),
                                   *ParseDate("2026-12-31"), &slots, nullptr);
      for (const auto& s : slots) n += domain::ToRequiredWindow(id, s).ByteSizeLong() > 0;
    }
    return n;
  });
}

void AuditYear(benchmark::State& state) {
  auto& city = TheCity();
  TimeMs(state, "cal_audit_ms", [&] {
    auto a =
        domain::AuditCoverage(city.state.calendar, city.state.policies, city.state.network, 2026);
    return a.ok() ? a->windows() : 0;
  });
}

}  // namespace

void PrintCalendarSummary() {
  auto& f = Figures();
  if (!f.count("cal_expand_ms")) return;
  const double base = Median(f["cal_day_types_ms"]);
  std::printf("\nzhiban-bench calendar — 500 centers x 2026, medians of %d repetition(s)\n",
              Reps());
  std::printf("%-56s %10s %10s %8s\n", "case", "ms", "items", "vs base");
  auto row = [&](const char* name, const std::string& key) {
    if (!f.count(key)) return;
    double m = Median(f[key]);
    std::printf("%-56s %10.1f %10.0f %7.1fx\n", name, m, Median(f[key + "_items"]),
                base > 0 ? m / base : 0);
  };
  row("baseline: day type of every center-day", "cal_day_types_ms");
  row("coverage expansion: every required window, with instants", "cal_expand_ms");
  row("coverage audit: windows counted, gaps listed", "cal_audit_ms");
  row("expansion as protobuf records (coverage show's form)", "cal_records_ms");
}

BENCHMARK(DayTypes)
    ->Name("calendar/day_types")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(ExpandYear)
    ->Name("calendar/expand_year")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(ExpandYearRecords)
    ->Name("calendar/expand_year_records")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(AuditYear)
    ->Name("calendar/audit_year")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace zhiban::bench::calendar
