// The holiday-cn JSON format (data/holiday-cn/README.md) <-> CalendarYear.
// Used by `zhibanctl calendar import` and by zhiband for its bundled years.
#pragma once

#include <string_view>

#include "daemon/base/status.h"
#include "zhiban/v1/calendar.pb.h"

namespace zhiban::domain {

// Parses one file. Errors name the entry ("days[3].isOffDay must be true or
// false"). Unknown keys ($schema, $id) are ignored, as the format allows.
Result<v1::CalendarYear> ParseHolidayJson(std::string_view text, std::string_view source);

}  // namespace zhiban::domain
