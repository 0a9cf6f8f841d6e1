// ISO-8601 times and human durations, as operators type them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/base/clock.h"
#include "daemon/base/status.h"

namespace zhiban {

// China Standard Time, the default zone of every center (Asia/Shanghai has
// had no DST since 1991, so a fixed offset is exact for it).
inline constexpr int kDefaultUtcOffsetMinutes = 8 * 60;

// The times zhiband accepts from outside: 1970-01-01T00:00:00Z up to, not
// including, 3000-01-01T00:00:00Z. Far inside what a protobuf Timestamp
// (years 1-9999) and the day arithmetic hold, so nothing computed from an
// accepted time (a window plus days, a clock advanced ten years) leaves the
// representable range.
inline constexpr int64_t kEarliestSeconds = 0;
inline constexpr int64_t kLatestSeconds = 32503680000;  // 3000-01-01T00:00:00Z, excluded

// OK when `seconds` since the epoch is an accepted time; otherwise
// InvalidArgument(field, "... is outside the times zhiband accepts ...").
Status CheckTimeRange(int64_t seconds, std::string_view field);

// Parses "2026-01-05T08:00:00+08:00", "2026-01-05T00:00:00Z",
// "2026-01-05T08:00:00.250+08:00". An offset is required: a time without one
// is ambiguous and refused, as is a time outside the accepted range.
Result<TimePoint> ParseIsoTime(std::string_view text);

// Formats with the given offset, e.g. "2026-01-05T08:00:00+08:00"; fractions
// only when non-zero.
std::string FormatIsoTime(TimePoint t, int utc_offset_minutes = kDefaultUtcOffsetMinutes);

// Parses "90m", "2h", "1h30m", "45s", "1d", "500ms".
Result<Micros> ParseDuration(std::string_view text);

std::string FormatDuration(Micros d);

}  // namespace zhiban
