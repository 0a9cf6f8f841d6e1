// The shipped national calendars (data/holiday-cn) and their statutory days
// (data/statutory-cn) loaded into a domain State, for unit tests and
// benchmarks; the including target defines ZHIBAN_SOURCE_DIR.
#pragma once

#include <initializer_list>

#include <fmt/format.h>

#include "daemon/domain/holiday_json.h"
#include "daemon/domain/state.h"
#include "tests/support/source.h"

namespace zhiban::test {

inline void LoadShippedCalendars(domain::State& state,
                                 std::initializer_list<int> years = {2025, 2026}) {
  for (int y : years) {
    auto year = domain::ParseHolidayJson(ReadSource(fmt::format("data/holiday-cn/{}.json", y)),
                                         "data/holiday-cn");
    domain::Apply(state, domain::ImportCalendarYear(state.calendar, year.value()).value());
    auto statutory = domain::ParseStatutoryJson(
        ReadSource(fmt::format("data/statutory-cn/{}.json", y)), "data/statutory-cn");
    domain::Apply(state, domain::SetStatutoryDays(state.calendar, statutory.value()).value());
  }
}

}  // namespace zhiban::test
