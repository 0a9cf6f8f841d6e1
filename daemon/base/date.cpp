#include "daemon/base/date.h"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>
#include <fmt/format.h>

namespace zhiban {

Result<Date> ParseDate(std::string_view s) {
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("",
                                   fmt::format("\"{}\" is not a date (YYYY-MM-DD): {}", s, why));
  };
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return bad("expected YYYY-MM-DD");
  int v[3] = {0, 0, 0};
  const size_t pos[3] = {0, 5, 8}, len[3] = {4, 2, 2};
  for (int k = 0; k < 3; ++k) {
    for (size_t i = pos[k]; i < pos[k] + len[k]; ++i) {
      if (s[i] < '0' || s[i] > '9') return bad("expected digits");
      v[k] = v[k] * 10 + (s[i] - '0');
    }
  }
  Date d{std::chrono::year(v[0]), std::chrono::month(static_cast<unsigned>(v[1])),
         std::chrono::day(static_cast<unsigned>(v[2]))};
  if (!d.ok()) return bad("no such date");
  return d;
}

std::string FormatDate(Date d) {
  return fmt::format("{:04}-{:02}-{:02}", int(d.year()), unsigned(d.month()), unsigned(d.day()));
}

Zones::Zones() = default;
Zones::~Zones() = default;

Result<const cctz::time_zone*> Zones::Get(std::string_view name) const {
  if (name.empty()) name = kDefaultZone;
  std::lock_guard lock(mu_);
  if (auto it = cache_.find(name); it != cache_.end()) return it->second.get();
  auto tz = std::make_unique<cctz::time_zone>();
  if (!cctz::load_time_zone(std::string(name), tz.get())) {
    return Status::InvalidArgument(
        "time_zone",
        fmt::format("\"{}\" is not a time zone in the tz database (e.g. Asia/Shanghai, "
                    "Asia/Urumqi)",
                    name));
  }
  const cctz::time_zone* out = tz.get();
  cache_.emplace(std::string(name), std::move(tz));
  return out;
}

Status Zones::Check(std::string_view name) const {
  auto tz = Get(name);
  return tz.ok() ? Status() : tz.status();
}

TimePoint Zone::At(Date date, uint32_t minute) const {
  cctz::civil_second cs(int(date.year()), unsigned(date.month()), unsigned(date.day()), 0,
                        static_cast<int>(minute), 0);  // civil_second normalizes minute >= 60
  // `pre` applies the offset in force before any transition: for a repeated
  // local time that is the earlier instant.
  return std::chrono::time_point_cast<Micros>(tz_->lookup(cs).pre);
}

Result<Zone> Zones::Find(std::string_view name) const {
  ZB_ASSIGN_OR_RETURN(auto tz, Get(name));
  return Zone(tz);
}

Result<Date> Zones::LocalDate(std::string_view zone, TimePoint t) const {
  ZB_ASSIGN_OR_RETURN(auto tz, Get(zone));
  auto cs = cctz::convert(std::chrono::time_point_cast<std::chrono::seconds>(t), *tz);
  return Date{std::chrono::year(static_cast<int>(cs.year())),
              std::chrono::month(static_cast<unsigned>(cs.month())),
              std::chrono::day(static_cast<unsigned>(cs.day()))};
}

}  // namespace zhiban
