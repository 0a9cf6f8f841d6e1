// The holiday-cn JSON format (data/holiday-cn/README.md) <-> CalendarYear,
// and the statutory-days format (data/statutory-cn/README.md) <-> StatutoryYear.
// Used by `zhibanctl calendar import|statutory` and by zhiband for its
// bundled years.
#pragma once

#include <string_view>

#include "daemon/base/status.h"
#include "zhiban/v1/calendar.pb.h"

namespace zhiban::domain {

// Parses one file. Errors name the entry ("days[3].isOffDay must be true or
// false"). Unknown keys ($schema, $id) are ignored, as the format allows.
Result<v1::CalendarYear> ParseHolidayJson(std::string_view text, std::string_view source);

// Parses one statutory-days file: {year, law, days[{date, name}]}. Errors
// name the entry ("days[2].date must be a string").
Result<v1::StatutoryYear> ParseStatutoryJson(std::string_view text, std::string_view source);

}  // namespace zhiban::domain
