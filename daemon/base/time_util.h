// ISO-8601 times and human durations, as operators type them.
#pragma once

#include <string>
#include <string_view>

#include "daemon/base/clock.h"
#include "daemon/base/status.h"

namespace zhiban {

// China Standard Time, the default zone of every center (Asia/Shanghai has
// had no DST since 1991, so a fixed offset is exact for it).
inline constexpr int kDefaultUtcOffsetMinutes = 8 * 60;

// Parses "2026-01-05T08:00:00+08:00", "2026-01-05T00:00:00Z",
// "2026-01-05T08:00:00.250+08:00". An offset is required: a time without one
// is ambiguous and refused.
Result<TimePoint> ParseIsoTime(std::string_view text);

// Formats with the given offset, e.g. "2026-01-05T08:00:00+08:00"; fractions
// only when non-zero.
std::string FormatIsoTime(TimePoint t, int utc_offset_minutes = kDefaultUtcOffsetMinutes);

// Parses "90m", "2h", "1h30m", "45s", "1d", "500ms".
Result<Micros> ParseDuration(std::string_view text);

std::string FormatDuration(Micros d);

}  // namespace zhiban
