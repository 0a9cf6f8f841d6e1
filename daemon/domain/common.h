// Helpers the domain modules share (rota_*.cpp, visit.cpp, appointment.cpp):
// whole seconds and Timestamps, matching staff to a center, a role or a
// skill, and the working-day test. Internal to daemon/domain/*.cpp, not part
// of any module's interface. Pure: it includes only base/, generated protos
// and std.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <google/protobuf/timestamp.pb.h>

#include <fmt/format.h>

#include "daemon/base/clock.h"
#include "daemon/base/status.h"
#include "zhiban/v1/calendar.pb.h"
#include "zhiban/v1/types.pb.h"

namespace zhiban::domain::common {

// Free text a person typed (names, addresses, notes): at most `max` bytes,
// no control characters — line breaks only where `multiline` (notes).
inline Status ValidateText(std::string_view text, const std::string& field, size_t max,
                           bool required, bool multiline = false) {
  if (required && text.empty()) return Status::InvalidArgument(field, "is required");
  if (text.size() > max) {
    return Status::InvalidArgument(
        field, fmt::format("is {} bytes; at most {} allowed", text.size(), max));
  }
  for (unsigned char c : text) {
    if (multiline && c == '\n') continue;
    if (c < 0x20 || c == 0x7f) {
      return Status::InvalidArgument(
          field, fmt::format("contains a control character (0x{:02x}){}", c,
                             multiline ? "; only line breaks are allowed" : ""));
    }
  }
  return {};
}

// Seconds in a day (of UTC; local days are the time zones' business).
inline constexpr int64_t kDay = 86400;

// Whole seconds since the epoch.
inline int64_t Sec(const google::protobuf::Timestamp& t) { return t.seconds(); }
inline int64_t Sec(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
// The Timestamp of `sec` whole seconds since the epoch.
inline google::protobuf::Timestamp Ts(int64_t sec) {
  google::protobuf::Timestamp t;
  t.set_seconds(sec);
  return t;
}

// Homed at `center` or covering it.
inline bool MayWorkAt(const v1::Staff& s, std::string_view center) {
  return s.center_id() == center ||
         std::find(s.cover_center_ids().begin(), s.cover_center_ids().end(), center) !=
             s.cover_center_ids().end();
}

inline bool HasRole(const v1::Staff& s, int role) {
  return std::find(s.roles().begin(), s.roles().end(), role) != s.roles().end();
}

// Has `skill`; everyone has the empty skill (none required).
inline bool HasSkill(const v1::Staff& s, const std::string& skill) {
  return skill.empty() ||
         std::find(s.skills().begin(), s.skills().end(), skill) != s.skills().end();
}

// A WORKDAY or MAKEUP_WORKDAY (调休) that is not closed.
inline bool WorkingDay(const v1::CalendarDay& d) {
  return !d.closed() && (d.day_type() == v1::WORKDAY || d.day_type() == v1::MAKEUP_WORKDAY);
}

}  // namespace zhiban::domain::common
