#include "plugins/sdk/limits.h"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>
#include <fmt/format.h>

namespace zhiban::plugin {

struct QuietHours::ZoneHolder {
  cctz::time_zone tz;
};

namespace {

Result<int> ParseClock(const std::string& field, const std::string& v) {
  int h = -1, m = -1, s = 0;
  char tail = 0;
  const int n = std::sscanf(v.c_str(), "%2d:%2d:%2d%c", &h, &m, &s, &tail);
  const bool shape = (n == 2 && v.size() == 5) || (n == 3 && v.size() == 8);
  if (!shape || h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 59) {
    return Status::InvalidArgument(field,
                                   fmt::format("'{}' is not a time of day (HH:MM or HH:MM:SS)", v));
  }
  return h * 3600 + m * 60 + s;
}

}  // namespace

Result<QuietHours> QuietHours::Parse(const std::string& start, const std::string& end,
                                     const std::string& zone) {
  ZB_ASSIGN_OR_RETURN(auto s, ParseClock("quiet_hours.start", start));
  ZB_ASSIGN_OR_RETURN(auto e, ParseClock("quiet_hours.end", end));
  auto holder = std::make_shared<ZoneHolder>();
  if (!cctz::load_time_zone(zone, &holder->tz)) {
    return Status::InvalidArgument("quiet_hours.zone", fmt::format("unknown time zone '{}'", zone));
  }
  QuietHours q;
  q.start_ = s;
  q.end_ = e;
  q.zone_name_ = zone;
  q.zone_ = std::move(holder);
  return q;
}

std::optional<SysTime> QuietHours::HoldUntil(SysTime t) const {
  if (!zone_ || start_ == end_) return std::nullopt;
  const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  const cctz::civil_second local = cctz::convert(secs, zone_->tz);
  const int sod = local.hour() * 3600 + local.minute() * 60 + local.second();
  const cctz::civil_day today(local);
  cctz::civil_day end_day;
  if (start_ < end_) {  // e.g. 12:00–14:00
    if (sod < start_ || sod >= end_) return std::nullopt;
    end_day = today;
  } else {  // wraps midnight, e.g. 21:00–08:00
    if (sod >= end_ && sod < start_) return std::nullopt;
    end_day = sod >= start_ ? today + 1 : today;
  }
  const cctz::civil_second release = cctz::civil_second(end_day) + end_;
  return cctz::convert(release, zone_->tz);
}

std::string QuietHours::ToString() const {
  if (!zone_ || start_ == end_) return "none";
  auto f = [](int s) { return fmt::format("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60); };
  return fmt::format("{}–{} {}", f(start_), f(end_), zone_name_);
}

TokenBucket::TokenBucket(double rate, std::chrono::steady_clock::duration per, double burst)
    : rate_per_ns_(rate / static_cast<double>(std::chrono::nanoseconds(per).count())),
      burst_(std::max(1.0, burst)),
      tokens_(std::max(1.0, burst)) {}

std::chrono::steady_clock::duration TokenBucket::Take(std::chrono::steady_clock::time_point now) {
  if (!limited()) return {};
  if (last_ != std::chrono::steady_clock::time_point{}) {
    const double elapsed = static_cast<double>(std::chrono::nanoseconds(now - last_).count());
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_per_ns_);
  }
  last_ = now;
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return {};
  }
  return std::chrono::nanoseconds(static_cast<int64_t>((1.0 - tokens_) / rate_per_ns_) + 1);
}

}  // namespace zhiban::plugin
