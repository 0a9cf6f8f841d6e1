// Helpers the domain modules share (rota_*.cpp, visit_*.cpp, appointment.cpp):
// whole seconds and Timestamps, matching staff to a center, a role or a
// skill, a center's local days and times (CenterClock), the working-day test
// and counting working days (StepWorkingDays). Internal to daemon/domain/*.cpp,
// not part of any module's interface. Pure: it includes only base/, generated
// protos and std.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <google/protobuf/timestamp.pb.h>

#include <fmt/format.h>

#include "daemon/base/clock.h"
#include "daemon/base/date.h"
#include "daemon/base/status.h"
#include "daemon/base/utf8.h"
#include "zhiban/v1/calendar.pb.h"
#include "zhiban/v1/types.pb.h"

namespace zhiban::domain::common {

// Free text a person typed (names, addresses, notes): at most `max` bytes,
// no control characters, line separators or direction overrides
// (base/utf8.h, IsUnsafeCodePoint) — line breaks and tabs only where
// `multiline` (notes).
inline Status ValidateText(std::string_view text, const std::string& field, size_t max,
                           bool required, bool multiline = false) {
  if (required && text.empty()) return Status::InvalidArgument(field, "is required");
  if (text.size() > max) {
    return Status::InvalidArgument(
        field, fmt::format("is {} bytes; at most {} allowed", text.size(), max));
  }
  if (const size_t at = FindUnsafeText(text, multiline); at != std::string_view::npos) {
    return Status::InvalidArgument(
        field, fmt::format("contains a control character (\"{}\" at byte {}){}",
                           EscapeForLine(text.substr(at), 16), at,
                           multiline ? "; only line breaks and tabs are allowed" : ""));
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
// A minute of the day as a clock: 510 → "08:30", 1440 → "24:00", a minute of
// the next day (an overnight shift's end) → "01:00+1".
inline std::string ClockText(uint32_t minute) {
  if (minute == 1440) return "24:00";
  const uint32_t rest = minute % 1440;
  return fmt::format("{:02}:{:02}{}", rest / 60, rest % 60, minute > 1440 ? "+1" : "");
}

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

// The day number (DayNumber) in Beijing time (UTC+8, all year) of the
// instant `s` seconds after the epoch.
inline int32_t BeijingDay(int64_t s) {
  constexpr int64_t kOffset = 8 * 3600, kDay = 86400;
  const int64_t t = s + kOffset;
  return static_cast<int32_t>(t / kDay - (t % kDay < 0 ? 1 : 0));
}

// Local days and times at a center, in the center's own time zone: the one
// way rotas' neighbours (visits, appointments) reckon them. Most of China,
// Xinjiang's offices included, keeps Beijing time, the default; a center
// elsewhere names its zone (checked when the center was saved). A host
// without tz data for either reckons Beijing time (UTC+8) by hand.
class CenterClock {
 public:
  // `center` may be null (a record whose center is gone): the default zone.
  CenterClock(const Zones& zones, const v1::Center* center) : zones_(zones) {
    for (std::string_view name :
         {center ? std::string_view(center->time_zone()) : std::string_view(), kDefaultZone}) {
      if (name.empty()) continue;
      if (auto z = zones_.Find(name); z.ok()) {
        name_ = std::string(name);
        zone_ = *z;
        break;
      }
    }
  }

  // The local day number (DayNumber) of the instant `s` seconds after the epoch.
  int32_t Day(int64_t s) const {
    if (zone_) {
      if (auto d = zones_.LocalDate(name_, TimePoint(std::chrono::seconds(s))); d.ok()) {
        return DayNumber(*d);
      }
    }
    return BeijingDay(s);
  }
  Date LocalDate(int64_t s) const { return FromDayNumber(Day(s)); }
  // The instant (seconds) `minute` minutes after local midnight of `day`
  // (minute may pass 1440).
  int64_t At(int32_t day, uint32_t minute) const {
    if (!zone_) return int64_t(day) * kDaySeconds - kBeijingOffset + int64_t(minute) * 60;
    return std::chrono::duration_cast<std::chrono::seconds>(
               zone_->At(FromDayNumber(day), minute).time_since_epoch())
        .count();
  }
  int64_t Midnight(int32_t day) const { return At(day, 0); }

 private:
  static constexpr int64_t kBeijingOffset = 8 * 3600;
  static constexpr int64_t kDaySeconds = 86400;
  const Zones& zones_;
  std::string name_;
  std::optional<Zone> zone_;
};

// The day `n` working days away from `from` (later when n > 0, earlier when
// n < 0; `from` itself never counts; n == 0 is `from`), looking at most
// `horizon` days away: nullopt when fewer than |n| working days lie within
// it. `day_of(day)` is the calendar's day at the center (a Result): a day the
// calendar cannot say is an error, since a date counted across a hole in the
// calendar would be wrong. The one such count: appointment notice, care
// windows and follow-ups use it alike.
template <typename DayOf>
Result<std::optional<int32_t>> StepWorkingDays(int32_t from, int32_t n, int32_t horizon,
                                               DayOf&& day_of) {
  if (n == 0) return std::optional<int32_t>(from);
  const int32_t step = n > 0 ? 1 : -1;
  int32_t found = 0;
  for (int32_t i = 1; i <= horizon; ++i) {
    const int32_t d = from + step * i;
    auto info = day_of(d);
    if (!info.ok()) return info.status();
    if (WorkingDay(*info) && ++found == n * step) return std::optional<int32_t>(d);
  }
  return std::optional<int32_t>();
}

}  // namespace zhiban::domain::common
