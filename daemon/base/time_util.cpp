#include "daemon/base/time_util.h"

#include <charconv>
#include <cstdio>

#include <fmt/format.h>

namespace zhiban {
namespace {

bool ParseFixed(std::string_view s, size_t pos, size_t len, int* out) {
  if (pos + len > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

Status CheckTimeRange(int64_t seconds, std::string_view field) {
  if (seconds >= kEarliestSeconds && seconds < kLatestSeconds) return {};
  return Status::InvalidArgument(
      std::string(field), fmt::format("{} seconds since 1970 is outside the times zhiband accepts "
                                      "(1970-01-01T00:00:00Z to 2999-12-31T23:59:59Z)",
                                      seconds));
}

Result<TimePoint> ParseIsoTime(std::string_view s) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("", fmt::format("\"{}\" is not an ISO-8601 time with offset "
                                                   "(e.g. 2026-01-05T08:00:00+08:00): {}",
                                                   s, why));
  };
  int y, mo, d, h, mi, sec = 0;
  if (!ParseFixed(s, 0, 4, &y) || s.size() < 16 || s[4] != '-' || !ParseFixed(s, 5, 2, &mo) ||
      s[7] != '-' || !ParseFixed(s, 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') ||
      !ParseFixed(s, 11, 2, &h) || s[13] != ':' || !ParseFixed(s, 14, 2, &mi)) {
    return bad("expected YYYY-MM-DDTHH:MM");
  }
  size_t pos = 16;
  if (pos < s.size() && s[pos] == ':') {
    if (!ParseFixed(s, pos + 1, 2, &sec)) return bad("bad seconds");
    pos += 3;
  }
  int64_t frac_us = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 6) frac_us = frac_us * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad("empty fraction");
    for (int i = digits; i < 6; ++i) frac_us *= 10;
  }
  int offset_min = 0;
  if (pos >= s.size()) return bad("missing UTC offset (Z or +08:00)");
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om = 0;
    if (!ParseFixed(s, pos + 1, 2, &oh)) return bad("bad offset");
    size_t p = pos + 3;
    if (p < s.size() && s[p] == ':') ++p;
    if (!ParseFixed(s, p, 2, &om)) return bad("bad offset minutes");
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos = p + 2;
  } else {
    return bad("unexpected text after the time");
  }
  if (pos != s.size()) return bad("unexpected text after the offset");
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 60) return bad("field out of range");
  std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(mo),
                                  std::chrono::day(d)};
  if (!ymd.ok()) return bad("no such date");
  auto days = std::chrono::sys_days(ymd);
  TimePoint t = std::chrono::time_point_cast<Micros>(days) + std::chrono::hours(h) +
                std::chrono::minutes(mi) + std::chrono::seconds(sec) + Micros(frac_us) -
                std::chrono::minutes(offset_min);
  const int64_t seconds = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
  if (seconds < kEarliestSeconds || seconds >= kLatestSeconds)
    return bad("outside the times zhiband accepts (1970-01-01T00:00:00Z to 2999-12-31T23:59:59Z)");
  return t;
}

std::string FormatIsoTime(TimePoint t, int offset_min) {
  auto local = t + std::chrono::minutes(offset_min);
  auto day = std::chrono::floor<std::chrono::days>(local);
  std::chrono::year_month_day ymd(day);
  std::chrono::hh_mm_ss<Micros> tod(local - day);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", int(ymd.year()),
                                unsigned(ymd.month()), unsigned(ymd.day()), tod.hours().count(),
                                tod.minutes().count(), tod.seconds().count());
  if (tod.subseconds().count() != 0) {
    out += fmt::format(".{:06}", tod.subseconds().count());
  }
  if (offset_min == 0) {
    out += 'Z';
  } else {
    int a = offset_min < 0 ? -offset_min : offset_min;
    out += fmt::format("{}{:02}:{:02}", offset_min < 0 ? '-' : '+', a / 60, a % 60);
  }
  return out;
}

Result<Micros> ParseDuration(std::string_view s) {
  auto bad = [&] {
    return Status::InvalidArgument(
        "", fmt::format("\"{}\" is not a duration (examples: 90m, 2h, 1h30m, 45s, 1d, 500ms)", s));
  };
  if (s.empty()) return bad();
  int64_t total = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data() + pos, s.data() + s.size(), n);
    if (ec != std::errc() || n < 0) return bad();
    pos = end - s.data();
    std::string_view unit;
    size_t u = pos;
    while (u < s.size() && ((s[u] >= 'a' && s[u] <= 'z'))) ++u;
    unit = s.substr(pos, u - pos);
    pos = u;
    int64_t mult;
    if (unit == "ms")
      mult = 1000;
    else if (unit == "s")
      mult = 1000000;
    else if (unit == "m" || unit == "min")
      mult = 60LL * 1000000;
    else if (unit == "h")
      mult = 3600LL * 1000000;
    else if (unit == "d")
      mult = 86400LL * 1000000;
    else
      return bad();
    if (n > (INT64_MAX - total) / mult) return bad();
    total += n * mult;
  }
  return Micros(total);
}

std::string FormatDuration(Micros d) {
  int64_t s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d{:02}h", s / 86400, (s % 86400) / 3600);
}

}  // namespace zhiban
