// The RotaBook: the rota records and the indexes kept with them (rota.h).
#include "daemon/domain/rota.h"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "daemon/domain/common.h"
#include "daemon/domain/indexed.h"
#include "daemon/domain/rota_internal.h"

namespace zhiban::domain {

using common::HasRole;
using common::kDay;
using common::Sec;
using rota_internal::ClockMinute;
using rota_internal::DayOf;

const v1::Shift* RotaBook::FindShift(std::string_view id) const {
  auto it = shifts_.find(id);
  return it == shifts_.end() ? nullptr : &it->second;
}

const StaffLoad* RotaBook::Load(std::string_view staff) const {
  auto it = loads_.find(std::string(staff));
  return it == loads_.end() ? nullptr : &it->second;
}

bool LeaveCovers(const v1::Leave& l, int64_t start, int64_t end) {
  if (l.half() == v1::LEAVE_HALF_UNSPECIFIED || start >= end) return true;
  const int64_t midnight = DayOf(l.from()) * kDay - 8 * 3600, noon = midnight + 12 * 3600;
  const bool morning = l.half() == v1::LEAVE_HALF_MORNING;
  const int64_t lo = morning ? midnight : noon, hi = morning ? noon : midnight + kDay;
  return start < hi && end > lo;
}

bool LeavesOverlap(const v1::Leave& a, const v1::Leave& b) {
  if (DayOf(a.to()) < DayOf(b.from()) || DayOf(b.to()) < DayOf(a.from())) return false;
  return a.half() == v1::LEAVE_HALF_UNSPECIFIED || b.half() == v1::LEAVE_HALF_UNSPECIFIED ||
         a.half() == b.half();
}

const v1::Leave* RotaBook::LeaveOn(std::string_view staff, int32_t day, int64_t start,
                                   int64_t end) const {
  auto it = leave_by_staff_.find(std::string(staff));
  if (it == leave_by_staff_.end()) return nullptr;
  for (const auto& id : it->second) {
    const auto& l = leave_.find(id)->second;
    if (DayOf(l.from()) <= day && day <= DayOf(l.to()) && LeaveCovers(l, start, end)) return &l;
  }
  return nullptr;
}

std::vector<const v1::Leave*> RotaBook::LeavesOf(std::string_view staff) const {
  std::vector<const v1::Leave*> out;
  if (auto it = leave_by_staff_.find(std::string(staff)); it != leave_by_staff_.end()) {
    for (const auto& id : it->second) out.push_back(&leave_.find(id)->second);
  }
  return out;
}

bool RotaBook::MonthPublished(std::string_view center, std::string_view month) const {
  return months_.count(fmt::format("{}/{}", center, month)) > 0;
}

std::vector<const v1::Shift*> RotaBook::CenterShifts(std::string_view center, Date from,
                                                     Date to) const {
  std::vector<const v1::Shift*> out;
  const std::string lo = fmt::format("{}/{}", center, FormatDate(from));
  const std::string hi = fmt::format("{}/{}~", center, FormatDate(to));
  for (auto it = shifts_.lower_bound(lo); it != shifts_.end() && it->first < hi; ++it)
    out.push_back(&it->second);
  return out;
}

std::vector<const v1::Shift*> RotaBook::StaffShifts(std::string_view staff, int64_t from,
                                                    int64_t to) const {
  std::vector<const v1::Shift*> out;
  const auto* load = Load(staff);
  if (!load) return out;
  // Intervals do not name their shift; find it by the center-free id search
  // over the assignee's shifts (kept as a side index).
  auto it = by_staff_.find(std::string(staff));
  if (it == by_staff_.end()) return out;
  for (auto j = it->second.lower_bound({from, {}}); j != it->second.end() && j->first < to; ++j) {
    if (const auto* s = FindShift(j->second)) out.push_back(s);
  }
  return out;
}

const v1::Shift* RotaBook::PeriodBefore(const v1::Shift& s) const {
  if (s.assignee_id().empty() || s.kind() == v1::ON_CALL) return nullptr;
  auto it = by_staff_.find(s.assignee_id());
  if (it == by_staff_.end()) return nullptr;
  const int64_t start = Sec(s.start());
  // The person's on-site shift just before this one: a shift elsewhere in
  // between ends the period (they left the building).
  for (auto j = std::make_reverse_iterator(it->second.lower_bound({start, s.id()}));
       j != it->second.rend(); ++j) {
    const auto* prev = FindShift(j->second);
    if (!prev || prev->kind() == v1::ON_CALL) continue;
    const bool chained = prev->center_id() == s.center_id() &&
                         Sec(prev->end()) + int64_t(options_.duty_period_gap_minutes) * 60 >= start;
    return chained ? prev : nullptr;
  }
  return nullptr;
}

std::vector<const v1::Shift*> RotaBook::PeriodFrom(const v1::Shift& s) const {
  std::vector<const v1::Shift*> out{&s};
  if (s.assignee_id().empty() || s.kind() == v1::ON_CALL) return out;
  auto it = by_staff_.find(s.assignee_id());
  if (it == by_staff_.end()) return out;
  int64_t end = Sec(s.end());
  for (auto j = it->second.upper_bound({Sec(s.start()), s.id()}); j != it->second.end(); ++j) {
    const auto* next = FindShift(j->second);
    if (!next || next->kind() == v1::ON_CALL) continue;
    if (next->center_id() != s.center_id() ||
        Sec(next->start()) > end + int64_t(options_.duty_period_gap_minutes) * 60)
      break;
    out.push_back(next);
    end = std::max(end, Sec(next->end()));
  }
  return out;
}

void RotaBook::Index(const v1::Shift& s, int sign) {
  const ShiftFacts f = FactsOf(s);
  if (!s.assignee_id().empty()) {
    auto& load = loads_[s.assignee_id()];
    auto& mine = by_staff_[s.assignee_id()];
    if (sign > 0) {
      load.Add(f);
      mine.emplace(f.start, s.id());
    } else {
      load.Remove(f);
      mine.erase({f.start, s.id()});
    }
  }
  if (!s.backup_id().empty()) {
    auto& backs = by_backup_[s.backup_id()];
    if (sign > 0)
      backs.emplace(f.start, s.id());
    else
      backs.erase({f.start, s.id()});
  }
  if (!s.published()) return;
  auto timer = [&](uint32_t bit) {
    if (s.timers_fired() & bit) return;
    Timer t{TimerDue(s, bit), TimerKind::kShift, bit, s.id()};
    if (sign > 0)
      timers_.insert(t);
    else
      timers_.erase(t);
  };
  timer(v1::HANDOFF);
  if (s.assignee_id().empty()) return;
  timer(v1::REMINDER_EVE);
  timer(v1::REMINDER_BEFORE);
  if (f.working && !s.has_checked_in()) timer(v1::NO_SHOW);
}

int64_t RotaBook::TimerDue(const v1::Shift& s, uint32_t bit) const {
  const int64_t start = Sec(s.start());
  switch (bit) {
    case v1::REMINDER_EVE: {
      const int64_t midnight = start - int64_t(ClockMinute(s.start_local())) * 60;
      return midnight - kDay + int64_t(options_.reminder_eve_minute) * 60;
    }
    case v1::REMINDER_BEFORE:
      return start - int64_t(options_.reminder_before_minutes) * 60;
    case v1::NO_SHOW:
      return start + int64_t(options_.checkin_grace_minutes) * 60;
    default:  // HANDOFF
      return start;
  }
}

void RotaBook::PutShift(v1::Shift s) {
  PutIndexed(shifts_, std::move(s), [this](const v1::Shift& x, int sign) { Index(x, sign); });
}

void RotaBook::EraseShift(std::string_view id) {
  auto it = shifts_.find(id);
  if (it == shifts_.end()) return;
  Index(it->second, -1);
  shifts_.erase(it);
}

void RotaBook::EraseRotation(std::string_view id) {
  auto it = rotations_.find(id);
  if (it != rotations_.end()) rotations_.erase(it);
}

void RotaBook::PutLeave(v1::Leave l) {
  auto& ids = leave_by_staff_[l.staff_id()];
  if (std::find(ids.begin(), ids.end(), l.id()) == ids.end()) ids.push_back(l.id());
  leave_[l.id()] = std::move(l);
}

void RotaBook::EraseLeave(std::string_view id) {
  auto it = leave_.find(id);
  if (it == leave_.end()) return;
  auto& ids = leave_by_staff_[it->second.staff_id()];
  ids.erase(std::remove(ids.begin(), ids.end(), it->second.id()), ids.end());
  leave_.erase(it);
}

void RotaBook::PutMonth(v1::PublishedMonth m) {
  months_[fmt::format("{}/{}", m.center_id(), m.month())] = std::move(m);
}

bool AwayFrom(const RotaCtx& ctx, std::string_view staff, const v1::Shift& s) {
  const int32_t day = DayOf(s.date());
  const int64_t start = Sec(s.start()), end = Sec(s.end());
  if (!ctx.away_staff.empty() && staff == ctx.away_staff) {
    const auto* l = ctx.away_leave;
    if (!l) return end > Sec(ctx.now);
    if (DayOf(l->from()) <= day && day <= DayOf(l->to()) && LeaveCovers(*l, start, end))
      return true;
  }
  return ctx.state.rota.LeaveOn(staff, day, start, end) != nullptr;
}

const v1::Staff* LeaderOnDuty(const RotaCtx& ctx, std::string_view center, int64_t t,
                              std::string_view skip) {
  const State& state = ctx.state;
  const int32_t day = static_cast<int32_t>((t + 8 * 3600) / kDay);
  const v1::Staff* fallback = nullptr;
  for (const auto* s :
       state.rota.CenterShifts(center, FromDayNumber(day - 1), FromDayNumber(day + 1))) {
    if (s->assignee_id().empty() || Sec(s->start()) > t || Sec(s->end()) <= t) continue;
    if (s->assignee_id() == skip || AwayFrom(ctx, s->assignee_id(), *s)) continue;
    const auto* st = state.network.FindStaff(s->assignee_id());
    if (!st || !HasRole(*st, v1::LEADER)) continue;
    if (std::find(s->roles().begin(), s->roles().end(), v1::LEADER) != s->roles().end()) return st;
    if (!fallback) fallback = st;
  }
  return fallback;
}

const v1::Staff* LeaderToAlarm(const RotaCtx& ctx, std::string_view center,
                               std::initializer_list<int64_t> times, std::string_view skip) {
  std::string at(center);
  for (int depth = 0; depth <= kMaxTreeDepth && !at.empty(); ++depth) {
    for (int64_t t : times) {
      if (const auto* l = LeaderOnDuty(ctx, at, t, skip)) return l;
    }
    const auto* c = ctx.state.network.FindCenter(at);
    if (!c || c->parent_id() == at) break;
    at = c->parent_id();
  }
  return nullptr;
}

}  // namespace zhiban::domain
