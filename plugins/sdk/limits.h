// When a notification may go: quiet hours and per-provider rate limits.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "daemon/base/status.h"

namespace zhiban::plugin {

using SysTime = std::chrono::system_clock::time_point;

// Non-urgent notifications are held from `start` to `end` local time (the
// default 21:00–08:00 Asia/Shanghai wraps midnight). start == end: never quiet.
class QuietHours {
 public:
  // "HH:MM" or "HH:MM:SS"; zone is an IANA name.
  static Result<QuietHours> Parse(const std::string& start, const std::string& end,
                                  const std::string& zone);
  static QuietHours Never() { return QuietHours(); }

  // The end of the hold when `t` is inside quiet hours, else nullopt.
  std::optional<SysTime> HoldUntil(SysTime t) const;
  std::string ToString() const;

 private:
  int start_ = 0, end_ = 0;  // seconds of the local day
  std::string zone_name_;
  struct ZoneHolder;
  std::shared_ptr<const ZoneHolder> zone_;
};

// Token bucket: `rate` tokens per `per`, at most `burst` banked. Take() says
// how long to wait for the next token (zero: take it now).
class TokenBucket {
 public:
  TokenBucket() = default;  // unlimited
  TokenBucket(double rate, std::chrono::steady_clock::duration per, double burst);
  std::chrono::steady_clock::duration Take(std::chrono::steady_clock::time_point now);
  bool limited() const { return rate_per_ns_ > 0; }

 private:
  double rate_per_ns_ = 0, burst_ = 0, tokens_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace zhiban::plugin
