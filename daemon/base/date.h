// Civil dates (a day on the calendar, no time zone) and IANA time zones.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "daemon/base/clock.h"
#include "daemon/base/status.h"

namespace cctz {
class time_zone;
}

namespace zhiban {

using Date = std::chrono::year_month_day;

// "2026-02-14" <-> Date. Errors name the text.
Result<Date> ParseDate(std::string_view iso);
std::string FormatDate(Date d);
// Days since 1970-01-01: a compact key for a date.
inline int32_t DayNumber(Date d) {
  return static_cast<int32_t>(std::chrono::sys_days(d).time_since_epoch().count());
}
inline Date FromDayNumber(int32_t n) { return Date(std::chrono::sys_days(std::chrono::days(n))); }
inline bool IsWeekend(Date d) {
  auto wd = std::chrono::weekday(std::chrono::sys_days(d));
  return wd == std::chrono::Saturday || wd == std::chrono::Sunday;
}

// The default zone of every center.
inline constexpr std::string_view kDefaultZone = "Asia/Shanghai";

// A loaded zone: cheap to copy, conversions are pure and thread-safe.
class Zone {
 public:
  explicit Zone(const cctz::time_zone* tz) : tz_(tz) {}
  // The instant `minute` minutes after local midnight of `date` (minute may
  // pass 1440). A repeated local time (DST) is the earlier instant.
  TimePoint At(Date date, uint32_t minute) const;

 private:
  const cctz::time_zone* tz_;
};

// IANA zones from the system tz database (package tzdata), each read once and
// cached; after that, conversions are pure computation. Thread-safe.
class Zones {
 public:
  Zones();
  ~Zones();
  // OK when `name` is a zone the tz database knows ("" means the default).
  Status Check(std::string_view name) const;
  // The zone, loaded once. Stays valid as long as this Zones.
  Result<Zone> Find(std::string_view name) const;
  // The local date of an instant.
  Result<Date> LocalDate(std::string_view zone, TimePoint t) const;

 private:
  Result<const cctz::time_zone*> Get(std::string_view name) const;
  mutable std::mutex mu_;
  mutable std::map<std::string, std::unique_ptr<cctz::time_zone>, std::less<>> cache_;
};

}  // namespace zhiban
