// Helpers the command handlers share: list paging, date fields and ranges,
// timestamps. Header-only; used by commands_*.cpp.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/time_util.h>

#include "daemon/base/clock.h"
#include "daemon/base/date.h"
#include "daemon/base/status.h"

namespace zhiban::core {

inline constexpr uint32_t kDefaultListLimit = 1000;  // records a list returns when not told
inline constexpr uint32_t kMaxListLimit = 10000;     // most records one list page returns
inline constexpr uint32_t kDefaultAuditLimit = 50;   // audit records a page returns when not told
inline constexpr uint32_t kDefaultTimerLimit =
    50;  // pending timers timer_list answers when not told

// A Timestamp of `seconds`, clamped to what a Timestamp holds (years 1 to
// 9999): a backstop, since every time from outside is checked against the
// far narrower accepted range (base/time_util.h, CheckTimeRange), so that no
// time can end zhiband in protobuf's range CHECK.
inline google::protobuf::Timestamp SecondsToProto(int64_t seconds) {
  constexpr int64_t kMin = -62135596800, kMax = 253402300799;  // 0001-01-01, 9999-12-31
  return google::protobuf::util::TimeUtil::SecondsToTimestamp(std::clamp(seconds, kMin, kMax));
}

inline google::protobuf::Timestamp ToProto(TimePoint t) {
  const int64_t us = t.time_since_epoch().count();
  constexpr int64_t kMin = -62135596800LL * 1000000, kMax = 253402300799LL * 1000000;
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(std::clamp(us, kMin, kMax));
}

// Removes the elements of a repeated field that `keep` says no to, in order.
template <typename Repeated, typename Pred>
void KeepIf(Repeated* items, Pred keep) {
  items->erase(
      std::remove_if(items->begin(), items->end(), [&](const auto& x) { return !keep(x); }),
      items->end());
}

inline uint32_t ListLimit(uint32_t asked, uint32_t dflt) {
  if (asked == 0) return dflt;
  return std::min(asked, kMaxListLimit);
}

// Walks a paged, filtered, id-ordered map into `out`: `next` is the last id
// of the page when more match after it, `total` how many match in all.
template <typename Map, typename Pred, typename Add>
void Page(const Map& m, const std::string& after, uint32_t limit, Pred pred, Add add,
          std::string* next, uint32_t* total) {
  uint32_t n = 0, matched = 0;
  for (const auto& [id, rec] : m) {
    if (!pred(rec)) continue;
    ++matched;
    if (!after.empty() && id <= after) continue;
    if (n < limit) {
      add(rec);
      ++n;
      if (n == limit) *next = id;
    }
  }
  // next_after_id only when something follows the page.
  if (!next->empty()) {
    auto it = m.upper_bound(*next);
    bool more = false;
    for (; it != m.end() && !more; ++it) more = pred(it->second);
    if (!more) next->clear();
  }
  *total = matched;
}

// Parses an ISO date field of a request.
inline Result<Date> DateField(const std::string& text, const char* field) {
  auto d = ParseDate(text);
  if (!d.ok()) return Status::InvalidArgument(field, d.status().message());
  return d;
}

// A from..to range of at most max_days + 1 days, "to" not before "from".
inline Status CheckRange(Date from, Date to, int max_days) {
  const int days = DayNumber(to) - DayNumber(from);
  if (days < 0) return Status::InvalidArgument("to", "is before from");
  if (days > max_days) {
    return Status::InvalidArgument("to", fmt::format("a range is at most {} days", max_days + 1));
  }
  return {};
}

}  // namespace zhiban::core
