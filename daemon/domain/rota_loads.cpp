// Per-person loads, the working-time rule checks over them, and who may take
// a shift (rota.h, rota_internal.h).
#include "daemon/domain/rota.h"

#include <algorithm>
#include <limits>
#include <tuple>

#include <fmt/format.h>

#include "daemon/domain/common.h"
#include "daemon/domain/rota_internal.h"

namespace zhiban::domain {

using common::HasRole;
using common::kDay;
using common::MayWorkAt;
using common::Sec;
using rota_internal::DayOf;
using rota_internal::HalfNote;
using rota_internal::Hours;
using rota_internal::MondayOf;

namespace {

std::string IsoOf(int32_t day) { return FormatDate(FromDayNumber(day)); }

}  // namespace

// ---- loads and rule checks ------------------------------------------------------

ShiftFacts FactsOf(const v1::Shift& s) {
  ShiftFacts f;
  f.start = Sec(s.start());
  f.end = Sec(s.end());
  f.day = DayOf(s.date());
  f.working = s.kind() != v1::ON_CALL;
  f.weekend = s.day_type() == v1::WEEKEND;
  f.holiday = s.day_type() == v1::HOLIDAY;
  f.evening = s.kind() == v1::EXTENDED;
  return f;
}

void StaffLoad::Add(const ShiftFacts& f) {
  intervals.emplace(f.start, f);
  if (f.working) {
    Day& d = days[f.day];
    if (d.working == 0) {
      d.first_start = f.start;
      d.last_end = f.end;
    } else {
      d.first_start = std::min(d.first_start, f.start);
      d.last_end = std::max(d.last_end, f.end);
    }
    d.minutes += f.minutes();
    ++d.working;
    minutes += f.minutes();
  }
  if (f.weekend) ++weekend_days[f.day];
  if (f.holiday) ++holiday_days[f.day];
  if (f.evening) ++evenings;
}

void StaffLoad::Remove(const ShiftFacts& f) {
  auto [lo, hi] = intervals.equal_range(f.start);
  auto it = std::find_if(lo, hi, [&](const auto& kv) {
    return kv.second.end == f.end && kv.second.day == f.day && kv.second.working == f.working;
  });
  if (it == hi) return;  // not held: nothing to undo
  intervals.erase(it);
  if (f.working) {
    auto d = days.find(f.day);
    if (d != days.end()) {
      d->second.minutes -= std::min(d->second.minutes, f.minutes());
      minutes -= std::min<uint64_t>(minutes, f.minutes());
      if (--d->second.working == 0) {
        days.erase(d);
      } else {
        // Recompute the day's span from what is left.
        d->second.first_start = std::numeric_limits<int64_t>::max();
        d->second.last_end = std::numeric_limits<int64_t>::min();
        for (auto j = intervals.lower_bound(f.start - 2 * kDay);
             j != intervals.end() && j->first < f.start + 2 * kDay; ++j) {
          if (j->second.day != f.day || !j->second.working) continue;
          d->second.first_start = std::min(d->second.first_start, j->second.start);
          d->second.last_end = std::max(d->second.last_end, j->second.end);
        }
      }
    }
  }
  auto dec = [&](std::unordered_map<int32_t, uint16_t>& m) {
    auto j = m.find(f.day);
    if (j != m.end() && --j->second == 0) m.erase(j);
  };
  if (f.weekend) dec(weekend_days);
  if (f.holiday) dec(holiday_days);
  if (f.evening && evenings) --evenings;
}

std::vector<std::string> RuleBreaches(const StaffLoad& load, const Rules& r, const ShiftFacts& f) {
  std::vector<std::string> out;
  for (auto it = load.intervals.lower_bound(f.start - 2 * kDay);
       it != load.intervals.end() && it->first < f.end; ++it) {
    const ShiftFacts& g = it->second;
    if (g.end > f.start && g.start < f.end && g.working == f.working) {
      out.push_back(fmt::format("overlap: already on duty {} {}", IsoOf(g.day),
                                g.working ? "on site" : "on call"));
      return out;  // the rest would be noise
    }
  }
  if (!f.working) return out;
  const auto* today = load.DayAt(f.day);
  const uint32_t day_minutes = (today ? today->minutes : 0) + f.minutes();
  if (r.comprehensive() || r.OffDay(f.day, f.weekend, f.holiday)) {
    // No daily overtime where there is no daily standard: a rest day, a
    // statutory holiday, any day of the comprehensive system.
    if (day_minutes > r.DayMax()) {
      out.push_back(fmt::format(
          "day_max: {} on {} (at most {} {})", Hours(day_minutes), IsoOf(f.day), Hours(r.DayMax()),
          r.comprehensive() ? "a day under the comprehensive system" : "on a rest day or holiday"));
    }
  } else if (day_minutes > r.daily_standard + r.daily_overtime) {
    out.push_back(fmt::format("daily_hours: {} on {} (at most {} + {} overtime)",
                              Hours(day_minutes), IsoOf(f.day), Hours(r.daily_standard),
                              Hours(r.daily_overtime)));
  }
  const int64_t first = today ? std::min(today->first_start, f.start) : f.start;
  const int64_t last = today ? std::max(today->last_end, f.end) : f.end;
  if (const auto* prev = load.DayAt(f.day - 1);
      prev && first - prev->last_end < int64_t(r.min_rest) * 60) {
    out.push_back(fmt::format("min_rest: {} between {} and {} (at least {})",
                              Hours((first - prev->last_end) / 60), IsoOf(f.day - 1), IsoOf(f.day),
                              Hours(r.min_rest)));
  }
  if (const auto* next = load.DayAt(f.day + 1);
      next && next->first_start - last < int64_t(r.min_rest) * 60) {
    out.push_back(fmt::format("min_rest: {} between {} and {} (at least {})",
                              Hours((next->first_start - last) / 60), IsoOf(f.day),
                              IsoOf(f.day + 1), Hours(r.min_rest)));
  }
  uint32_t run = 1;
  for (int32_t d = f.day - 1; load.DayAt(d) && run <= r.max_consecutive; --d) ++run;
  for (int32_t d = f.day + 1; load.DayAt(d) && run <= r.max_consecutive; ++d) ++run;
  if (run > r.max_consecutive) {
    out.push_back(fmt::format("consecutive_days: {} working days in a row around {} (at most {})",
                              run, IsoOf(f.day), r.max_consecutive));
  }
  const int32_t monday = MondayOf(f.day);
  uint32_t worked = 0;
  for (int32_t d = monday; d < monday + 7; ++d) worked += (d == f.day || load.DayAt(d)) ? 1 : 0;
  if (7 - worked < r.min_rest_days_week) {
    out.push_back(fmt::format("weekly_rest: no rest day in the week of {} (at least {})",
                              IsoOf(monday), r.min_rest_days_week));
  }
  // Overtime of a month (or, under the comprehensive system by quarter, of
  // the quarter against three months' cap). The standard of a stretch of
  // days is the weekly standard prorated to its weekdays (Monday..Friday):
  // the rules know days by type, not the notice's working days.
  const Date date = FromDayNumber(f.day);
  auto minutes_on = [&](int32_t d) -> int64_t {
    int64_t m = 0;
    if (const auto* x = load.DayAt(d)) m = x->minutes;
    return d == f.day ? m + f.minutes() : m;
  };
  auto holiday_on = [&](int32_t d) {
    return d == f.day ? f.holiday : load.holiday_days.count(d) > 0;
  };
  auto off_on = [&](int32_t d) {
    return d == f.day ? r.OffDay(d, f.weekend, f.holiday)
                      : r.OffDay(d, load.weekend_days.count(d) > 0, holiday_on(d));
  };
  const bool extended_only = r.monthly_counts == v1::OVERTIME_COUNT_EXTENDED;
  // Over [lo, hi): the week-like count of the standard system, or a
  // comprehensive period's hours beyond its standard.
  auto overtime_of = [&](int32_t lo, int32_t hi, bool daily) {
    int64_t total = 0, excess = 0, weekdays = 0;
    for (int32_t d = lo; d < hi; ++d) {
      const int64_t m = minutes_on(d);
      if (extended_only && r.comprehensive() && holiday_on(d)) continue;  // holiday work: apart
      if (d - MondayOf(d) < 5) ++weekdays;
      total += m;
      if (!extended_only || !off_on(d)) excess += std::max<int64_t>(0, m - r.daily_standard);
    }
    const int64_t beyond = std::max<int64_t>(0, total - int64_t(r.weekly_standard) * weekdays / 5);
    if (!daily) return beyond;
    return extended_only ? excess : std::max(excess, beyond);
  };
  int32_t lo = DayNumber(date.year() / date.month() / std::chrono::day(1));
  int32_t hi = DayNumber(date.year() / date.month() / std::chrono::last) + 1;
  int64_t overtime = 0, cap = r.monthly_overtime;
  std::string period = IsoOf(f.day).substr(0, 7);
  if (r.comprehensive() && r.period == v1::COMPREHENSIVE_PERIOD_QUARTER) {
    const unsigned q0 = (static_cast<unsigned>(date.month()) - 1) / 3 * 3 + 1;
    lo = DayNumber(date.year() / std::chrono::month(q0) / std::chrono::day(1));
    hi = DayNumber(date.year() / std::chrono::month(q0 + 2) / std::chrono::last) + 1;
    overtime = overtime_of(lo, hi, false);
    cap = 3 * int64_t{r.monthly_overtime};
    period = fmt::format("{}-Q{}", static_cast<int>(date.year()), (q0 + 2) / 3);
  } else if (r.comprehensive() && r.period == v1::COMPREHENSIVE_PERIOD_MONTH) {
    overtime = overtime_of(lo, hi, false);
  } else {
    // Over every Monday..Sunday week that overlaps the month, counting only
    // the week's days inside it: the larger of (daily excess summed) and
    // (minutes beyond the weekly standard, prorated to the weekdays inside
    // the month: a week split 3 + 4 by the month's end gives 3/5 of it to
    // one month), only the latter under the comprehensive system by week,
    // only the former (working days only) when extended hours alone count.
    // So 10-01..04 of a month starting on a Thursday count for it, and no
    // day counts for two months.
    for (int32_t w = MondayOf(lo); w < hi; w += 7) {
      overtime += overtime_of(std::max(w, lo), std::min(w + 7, hi), !r.comprehensive());
    }
  }
  if (overtime > cap) {
    out.push_back(fmt::format("monthly_overtime: {} in {} (at most {})", Hours(overtime), period,
                              Hours(cap)));
  }
  return out;
}

// ---- eligibility ----------------------------------------------------------------

namespace rota_internal {

std::string Ineligible(const RotaBook& book, const v1::Staff& st, const v1::Shift& s, int32_t day) {
  if (!MayWorkAt(st, s.center_id())) {
    return fmt::format("{} is neither homed at nor covers {}", st.id(), s.center_id());
  }
  for (int r : s.roles()) {
    if (!HasRole(st, r)) return fmt::format("{} is not a {}", st.id(), v1::Role_Name(r));
  }
  for (const auto& sk : s.skills()) {
    if (std::find(st.skills().begin(), st.skills().end(), sk) == st.skills().end()) {
      return fmt::format("{} lacks the skill {}", st.id(), sk);
    }
  }
  if (const auto* l = book.LeaveOn(st.id(), day, Sec(s.start()), Sec(s.end()))) {
    return fmt::format("{} is on leave {} ({}) {}..{}{}", st.id(), l->id(),
                       v1::LeaveKind_Name(l->kind()), l->from(), l->to(), HalfNote(*l));
  }
  return {};
}

std::vector<const v1::Staff*> PoolOf(const Network& net, std::string_view center) {
  std::vector<const v1::Staff*> pool;
  for (const auto& [id, st] : net.staff()) {
    if (MayWorkAt(st, center)) pool.push_back(&st);
  }
  return pool;
}

const v1::Staff* BestCandidate(Overlay& ov, const std::vector<const v1::Staff*>& pool,
                               const v1::Shift& s, const ShiftFacts& f, std::string_view skip) {
  const v1::Staff* best = nullptr;
  std::tuple<uint64_t, uint64_t> best_score{};
  for (const auto* st : pool) {
    if (st->id() == skip) continue;
    if (!ov.HardOk(*st, s, f)) continue;
    StaffLoad& load = ov.Of(st->id());
    uint64_t kind = f.holiday   ? load.holiday_days.size()
                    : f.weekend ? load.weekend_days.size()
                    : f.evening ? load.evenings
                                : 0;
    std::tuple<uint64_t, uint64_t> score{kind, load.minutes};
    if (best && score >= best_score) continue;
    if (!RuleBreaches(load, ov.RulesOf(*st, s.center_id()), f).empty()) continue;
    best = st;
    best_score = score;
  }
  return best;
}

}  // namespace rota_internal

}  // namespace zhiban::domain
