// Leave and departures: the shifts they take someone off go to the backup
// or become gaps (rota.h).
#include "daemon/domain/rota.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "daemon/domain/common.h"
#include "daemon/domain/rota_internal.h"
#include "daemon/domain/visit.h"

namespace zhiban::domain {

using common::kDay;
using common::Sec;
using rota_internal::BestCandidate;
using rota_internal::DayOf;
using rota_internal::Emit;
using rota_internal::HalfNote;
using rota_internal::Hours;
using rota_internal::LeaveDayMinutes;
using rota_internal::NeedStaff;
using rota_internal::NewEvent;
using rota_internal::Overlay;
using rota_internal::PoolOf;
using rota_internal::RangeArgs;
using rota_internal::ReplaceBackup;
using rota_internal::SetStaff;
using rota_internal::StaffOrNull;

namespace {

// A shift losing its assignee (leave, departure): the backup takes it when
// the rules allow (and then backs up no other post at that time: with
// rota.max_backup_posts above 1 those get another backup); otherwise it is
// a gap, announced with the replacement that changes no other shift (when
// there is one).
void Reassign(const RotaCtx& ctx, Overlay& ov, v1::Shift s, const std::string& reason,
              Mutation* m) {
  const auto& net = ctx.state.network;
  const ShiftFacts f = FactsOf(s);
  const std::string previous = s.assignee_id();
  if (!previous.empty()) ov.Of(previous).Remove(f);
  const v1::Staff* backup = StaffOrNull(net, s.backup_id());
  const bool backup_ok = backup && backup->id() != previous && ov.Why(*backup, s, f).empty();
  if (backup_ok) {
    s.set_assignee_id(backup->id());
    ov.RemovePost(backup->id(), s);
    s.set_backup_id("");
    s.set_source(v1::BACKUP);
    s.set_forced(false);
    ov.Of(backup->id()).Add(f);
  } else {
    s.set_assignee_id("");
    s.set_source(v1::SHIFT_SOURCE_UNSPECIFIED);
    s.set_forced(false);
  }
  if (s.published()) {
    auto e = NewEvent(s.center_id());
    auto* b = e.mutable_shift_changed();
    *b->mutable_shift() = s;
    SetStaff(net, s.assignee_id(), b->mutable_staff());
    SetStaff(net, previous, b->mutable_previous());
    SetStaff(net, s.backup_id(), b->mutable_backup());
    b->set_reason(backup_ok ? reason + ": the backup takes it" : reason);
    Emit(m, std::move(e));
  }
  if (!backup_ok) {
    auto e = NewEvent(s.center_id());
    auto* g = e.mutable_coverage_gap();
    *g->mutable_shift() = s;
    g->set_reason(reason);
    SetStaff(net, previous, g->mutable_absent());
    SetStaff(net, s.backup_id(), g->mutable_backup());
    if (const auto* l = LeaderToAlarm(ctx, s.center_id(), {Sec(s.start())}, previous))
      *g->mutable_leader() = *l;
    auto pool = PoolOf(net, s.center_id());
    if (const auto* p = BestCandidate(ov, pool, s, f, previous)) *g->mutable_proposal() = *p;
    Emit(m, std::move(e));
  }
  std::vector<const v1::Shift*> also;  // the backup's other posts then, now on duty
  if (backup_ok) {
    const auto& posts = ov.PostsOf(backup->id());
    for (auto it = posts.lower_bound(f.start - 2 * kDay); it != posts.end() && it->first < f.end;
         ++it) {
      const auto* o = ctx.state.rota.FindShift(it->second.shift);
      // A post of the person going away is re-planned as they are; an on-call
      // post beside on-site duty may stay (as at planning).
      if (it->second.end > f.start && o && o->assignee_id() != previous &&
          (o->kind() != v1::ON_CALL) == f.working)
        also.push_back(o);
    }
  }
  const std::string taken = fmt::format("{}: {} takes {}", reason, s.assignee_id(), s.id());
  m->shifts_put.push_back(std::move(s));
  for (const auto* o : also) ReplaceBackup(ctx, ov, *o, taken, m);
}

// Days of annual leave a year earns after `full_years` of service
// (职工带薪年休假条例 第三条).
uint32_t AnnualRate(int full_years) {
  return full_years >= 20 ? 15 : full_years >= 10 ? 10 : full_years >= 1 ? 5 : 0;
}

// Full years of service from `since` to `d` (an anniversary completes one).
int FullYears(Date since, Date d) {
  int years = int(d.year()) - int(since.year());
  if (std::pair(unsigned(d.month()), unsigned(d.day())) <
      std::pair(unsigned(since.month()), unsigned(since.day())))
    --years;
  return std::max(years, 0);
}

// The person's working days (their own rest days and statutory holidays
// are not leave days) of leave `l` that fall in `year`, in half days (a
// half-day leave on a working day is 1).
Result<uint32_t> LeaveHalvesIn(const Calendar& cal, const v1::Staff& p, const v1::Leave& l,
                               int year) {
  const int32_t y0 = DayNumber(std::chrono::year(year) / 1 / 1);
  const int32_t y1 = DayNumber(std::chrono::year(year) / 12 / 31);
  const uint32_t per_day = l.half() == v1::LEAVE_HALF_UNSPECIFIED ? 2 : 1;
  uint32_t n = 0;
  for (int32_t d = std::max(DayOf(l.from()), y0); d <= std::min(DayOf(l.to()), y1); ++d) {
    ZB_ASSIGN_OR_RETURN(auto cls, cal.ClassOf(FromDayNumber(d), p));
    if (cls == DayClass::kWorking) n += per_day;
  }
  return n;
}

// Half days as days: "4", "4.5", "-0.5".
std::string DaysText(int64_t halves) {
  const int64_t whole = halves / 2;
  if (halves % 2 == 0) return std::to_string(whole);
  return fmt::format("{}{}.5", halves < 0 ? "-" : "", whole < 0 ? -whole : whole);
}

// floor(halves / 2): whole days left, rounded down (also below zero).
int32_t FloorDays(int32_t halves) { return halves >= 0 ? halves / 2 : -((1 - halves) / 2); }

// Checks `half` of a leave: one day, and a kind that may be halved.
Status CheckHalf(const v1::Leave& l) {
  if (!v1::LeaveHalf_IsValid(l.half())) {
    return Status::InvalidArgument("leave.half",
                                   "must be LEAVE_HALF_MORNING (上午) or "
                                   "LEAVE_HALF_AFTERNOON (下午)");
  }
  if (l.half() == v1::LEAVE_HALF_UNSPECIFIED) return {};
  if (l.from() != l.to()) {
    return Status::InvalidArgument(
        "leave.half",
        fmt::format("a half day (上午/下午) is one day: {}..{} is not", l.from(), l.to()));
  }
  switch (l.kind()) {
    case v1::ANNUAL:
    case v1::SICK:
    case v1::COMPENSATORY:
    case v1::PERSONAL:
      return {};
    default:
      return Status::InvalidArgument(
          "leave.half", fmt::format("{} is taken by whole days; half days are for ANNUAL (年休假), "
                                    "SICK (病假), COMPENSATORY (补休) and PERSONAL (事假)",
                                    v1::LeaveKind_Name(l.kind())));
  }
}

}  // namespace

Status AnnualLeave(const State& st, const v1::Staff& p, int year, v1::LeaveBalanceReply* out) {
  if (year < 1970 || year > 9999) return Status::InvalidArgument("year", "is required (e.g. 2026)");
  if (p.work_since().empty()) {
    return Status::FailedPrecondition(
        "work_since", fmt::format("{} has no start of work (参加工作时间) to reckon annual leave "
                                  "from; set it with staff update --id {} --work-since YYYY-MM-DD",
                                  p.id(), p.id()));
  }
  ZB_ASSIGN_OR_RETURN(const Date since, ParseDate(p.work_since()));
  const Date jan1 = std::chrono::year(year) / 1 / 1;
  // Leave days are the person's working days: the year's notice is needed
  // even before any leave is taken, so a balance never silently assumes one.
  ZB_RETURN_IF_ERROR(st.calendar.ClassOf(jan1).status());
  const int32_t y0 = DayNumber(jan1);
  const int32_t days_in_year = jan1.year().is_leap() ? 366 : 365;
  uint32_t rate_days = 0;  // the sum of each day's rate
  if (p.employment() != v1::VOLUNTEER_SERVICE) {
    for (int32_t d = y0; d < y0 + days_in_year; ++d) {
      rate_days += AnnualRate(FullYears(since, FromDayNumber(d)));
    }
  }
  out->set_staff_id(p.id());
  out->set_name(p.name());
  out->set_year(year);
  out->set_work_since(p.work_since());
  out->set_service_years(static_cast<uint32_t>(FullYears(since, jan1)));
  out->set_entitled_days(rate_days / static_cast<uint32_t>(days_in_year));
  uint32_t taken = 0;  // half days
  for (const auto* l : st.rota.LeavesOf(p.id())) {
    if (l->kind() != v1::ANNUAL) continue;
    const int32_t from = DayOf(l->from()), to = DayOf(l->to());
    if (to < y0 || from >= y0 + days_in_year) continue;
    ZB_ASSIGN_OR_RETURN(const uint32_t n, LeaveHalvesIn(st.calendar, p, *l, year));
    auto* row = out->add_leave();
    row->set_leave_id(l->id());
    row->set_from(l->from());
    row->set_to(l->to());
    row->set_days(n / 2);
    row->set_half_days(n);
    taken += n;
  }
  std::sort(out->mutable_leave()->begin(), out->mutable_leave()->end(),
            [](const auto& a, const auto& b) { return a.from() < b.from(); });
  const int32_t left = 2 * static_cast<int32_t>(out->entitled_days()) - static_cast<int32_t>(taken);
  out->set_taken_half_days(taken);
  out->set_remaining_half_days(left);
  out->set_taken_days((taken + 1) / 2);
  out->set_remaining_days(FloorDays(left));
  return {};
}

Status LeaveBalance(const RotaCtx& ctx, const v1::LeaveBalanceRequest& req,
                    v1::LeaveBalanceReply* out) {
  ZB_ASSIGN_OR_RETURN(auto person, NeedStaff(ctx.state, req.staff_id(), "staff_id"));
  return AnnualLeave(ctx.state, *person, req.year(), out);
}

Result<Mutation> AddLeave(const RotaCtx& ctx, v1::Leave leave, bool force) {
  const auto& st = ctx.state;
  if (leave.id().empty() || leave.id().size() > kMaxIdLength)
    return Status::InvalidArgument("leave.id", "is required (at most 64 characters)");
  if (st.rota.leave().count(leave.id()))
    return Status::AlreadyExists("leave.id", fmt::format("leave \"{}\" exists", leave.id()));
  ZB_ASSIGN_OR_RETURN(auto person, NeedStaff(st, leave.staff_id(), "leave.staff_id"));
  if (!v1::LeaveKind_IsValid(leave.kind()) || leave.kind() == v1::LEAVE_KIND_UNSPECIFIED) {
    return Status::InvalidArgument("leave.kind",
                                   "must be ANNUAL, SICK, COMPENSATORY, PERSONAL, MARRIAGE, "
                                   "MATERNITY, PATERNITY, BEREAVEMENT or HOME_VISIT");
  }
  Date from, to;
  if (leave.to().empty()) leave.set_to(leave.from());
  ZB_RETURN_IF_ERROR(RangeArgs(leave.from(), leave.to(), &from, &to));
  ZB_RETURN_IF_ERROR(CheckHalf(leave));
  for (const auto* other : st.rota.LeavesOf(leave.staff_id())) {
    if (LeavesOverlap(leave, *other)) {
      return Status::AlreadyExists(
          "leave.from", fmt::format("{} overlaps leave {} ({}..{})", leave.id(), other->id(),
                                    other->from(), other->to()));
    }
  }
  // Annual leave within each year's balance (a person without a start of
  // work has no known entitlement and is not checked).
  std::string overdrawn;
  if (leave.kind() == v1::ANNUAL && !person->work_since().empty()) {
    for (int y = int(from.year()); y <= int(to.year()); ++y) {
      v1::LeaveBalanceReply b;
      ZB_RETURN_IF_ERROR(AnnualLeave(st, *person, y, &b));
      ZB_ASSIGN_OR_RETURN(const uint32_t asked, LeaveHalvesIn(st.calendar, *person, leave, y));
      const int32_t left = b.remaining_half_days() - static_cast<int32_t>(asked);
      if (left >= 0) continue;
      if (!force) {
        return Status::FailedPrecondition(
            "leave.kind",
            fmt::format("{} has {} of {} days of {} annual leave (年休假) left; {} takes {} "
                        "working day(s) of {}. Take the rest as another kind, or force it",
                        leave.staff_id(), DaysText(std::max(b.remaining_half_days(), 0)),
                        b.entitled_days(), y, leave.id(), DaysText(asked), y));
      }
      overdrawn +=
          fmt::format("; {} annual leave overdrawn by {} day(s) (forced)", y, DaysText(-left));
    }
  }
  // Leave of a fixed length (婚假, 产假, ...) no longer than the rules say.
  if (const auto len = LeaveLengthOf(st.rota.rules(), leave.kind())) {
    uint32_t days = 0;
    if (len->calendar_days()) {
      days = static_cast<uint32_t>(DayNumber(to) - DayNumber(from) + 1);
    } else {
      for (int y = int(from.year()); y <= int(to.year()); ++y) {
        ZB_ASSIGN_OR_RETURN(const uint32_t n, LeaveHalvesIn(st.calendar, *person, leave, y));
        days += n / 2;  // whole days: CheckHalf keeps halves from these kinds
      }
    }
    const char* unit = len->calendar_days() ? "calendar" : "working";
    if (days > len->days()) {
      if (!force) {
        return Status::FailedPrecondition(
            "leave.to",
            fmt::format("{} leave is at most {} {} days by the rules; {} takes {}. Shorten it, "
                        "take the rest as another kind, or force it",
                        v1::LeaveKind_Name(leave.kind()), len->days(), unit, leave.id(), days));
      }
      overdrawn +=
          fmt::format("; {} {} day(s) beyond the {} leave's {} (forced)", days - len->days(), unit,
                      v1::LeaveKind_Name(leave.kind()), len->days());
    }
  }
  // 补休 within the comp time earned (ended duty, from Jan 1 of each year it
  // touches) less the 补休 already granted that year.
  if (leave.kind() == v1::COMPENSATORY) {
    const Rules rules = ResolveRules(st.rota.rules(), *person, person->center_id());
    for (int y = int(from.year()); y <= int(to.year()); ++y) {
      v1::LedgerRequest q;
      q.set_staff_id(person->id());
      q.set_year(y);
      v1::LedgerReply ledger;
      ZB_RETURN_IF_ERROR(Ledger(ctx, q, &ledger));
      const int64_t balance = ledger.rows(0).comp_balance_minutes();
      ZB_ASSIGN_OR_RETURN(const uint32_t halves, LeaveHalvesIn(st.calendar, *person, leave, y));
      const uint32_t per = leave.half() == v1::LEAVE_HALF_UNSPECIFIED ? 2 : 1;  // halves a day
      const int64_t asked = int64_t{halves / per} * LeaveDayMinutes(leave, rules.daily_standard);
      if (balance - asked >= 0) continue;
      if (!force) {
        return Status::FailedPrecondition(
            "leave.kind",
            fmt::format("{} has {} of comp time (补休) left in {}; {} takes {} working day(s), "
                        "{}. Take the rest as another kind, or force it",
                        leave.staff_id(), Hours(std::max<int64_t>(balance, 0)), y, leave.id(),
                        DaysText(halves), Hours(asked)));
      }
      overdrawn +=
          fmt::format("; {} comp time overdrawn by {} (forced)", y, Hours(asked - balance));
    }
  }
  Mutation m;
  m.leave_put.push_back(leave);
  Overlay ov(st.rota, st.network);
  std::vector<v1::Shift> hit;
  for (const auto* s : st.rota.StaffShifts(leave.staff_id(), DayNumber(from) * kDay - kDay,
                                           (DayNumber(to) + 2) * kDay)) {
    const int32_t d = DayOf(s->date());
    if (d < DayNumber(from) || d > DayNumber(to) || Sec(s->end()) <= Sec(ctx.now)) continue;
    if (!LeaveCovers(leave, Sec(s->start()), Sec(s->end()))) continue;  // the other half
    hit.push_back(*s);
  }
  const std::string reason =
      fmt::format("leave {} ({})", leave.id(), v1::LeaveKind_Name(leave.kind()));
  // The state does not hold the leave yet: `away` says whom it frees.
  RotaCtx away{st, ctx.zones, ctx.now, ctx.actor, leave.staff_id(), &leave};
  for (auto& s : hit) Reassign(away, ov, std::move(s), reason, &m);
  // Shifts they back up (AB岗) in the leave, at the centers they may work at.
  std::set<std::string> centers{person->center_id()};
  centers.insert(person->cover_center_ids().begin(), person->cover_center_ids().end());
  std::vector<v1::Shift> backed;
  for (const auto& c : centers) {
    for (const auto* s : st.rota.CenterShifts(c, from, to)) {
      if (s->backup_id() == leave.staff_id() && s->assignee_id() != leave.staff_id() &&
          Sec(s->end()) > Sec(ctx.now) && AwayFrom(away, leave.staff_id(), *s))
        backed.push_back(*s);
    }
  }
  for (auto& s : backed) ReplaceBackup(away, ov, std::move(s), reason, &m);
  // Their visits in the leave go to whoever dispatch chooses now. The
  // cause names no kind of leave: visit events reach every subscriber.
  RedispatchAway(away, fmt::format("{} is on leave ({})", leave.staff_id(), leave.id()), &m);
  auto e = NewEvent(person->center_id());
  auto* b = e.mutable_leave_added();
  *b->mutable_leave() = leave;
  *b->mutable_staff() = *person;
  b->set_shifts_affected(static_cast<uint32_t>(hit.size()));
  Emit(&m, std::move(e));
  m.summary =
      fmt::format("leave {} for {} {}..{}{}: {} shift(s) affected{}", leave.id(), leave.staff_id(),
                  leave.from(), leave.to(), HalfNote(leave), hit.size(), overdrawn);
  return m;
}

Result<Mutation> RemoveLeave(const RotaCtx& ctx, std::string_view id) {
  auto it = ctx.state.rota.leave().find(id);
  if (it == ctx.state.rota.leave().end())
    return Status::NotFound("id", fmt::format("leave \"{}\" does not exist", id));
  Mutation m;
  m.leave_deleted.emplace_back(id);
  const auto* person = ctx.state.network.FindStaff(it->second.staff_id());
  auto e = NewEvent(person ? person->center_id() : "");
  *e.mutable_leave_removed()->mutable_leave() = it->second;
  if (person) *e.mutable_leave_removed()->mutable_staff() = *person;
  Emit(&m, std::move(e));
  m.summary = fmt::format(
      "leave {} removed (its shifts stay as re-planned; run rota fill to use the person again)",
      id);
  return m;
}

void ReleaseStaff(const RotaCtx& ctx, std::string_view staff, Mutation* m) {
  const auto& st = ctx.state;
  Overlay ov(st.rota, st.network);
  const int64_t now = Sec(ctx.now);
  std::vector<v1::Shift> hit;
  for (const auto* s :
       st.rota.StaffShifts(staff, now - 2 * kDay, std::numeric_limits<int64_t>::max())) {
    if (Sec(s->end()) > now) hit.push_back(*s);
  }
  RotaCtx away{st, ctx.zones, ctx.now, ctx.actor, std::string(staff), nullptr};
  for (auto& s : hit) Reassign(away, ov, std::move(s), "staff removed", m);
  // The shifts they back up (AB岗) get another backup.
  std::vector<v1::Shift> backed;
  for (const auto& [id, s] : st.rota.shifts()) {
    if (s.backup_id() == staff && Sec(s.end()) > now && s.assignee_id() != staff)
      backed.push_back(s);
  }
  for (auto& s : backed) ReplaceBackup(away, ov, std::move(s), "staff removed", m);
  RedispatchAway(away, fmt::format("{} was removed", staff), m);
  for (const auto& [id, r] : st.rota.rotations()) {
    if (std::find(r.members().begin(), r.members().end(), staff) == r.members().end()) continue;
    v1::Rotation c = r;
    c.clear_members();
    for (const auto& x : r.members()) {
      if (x != staff) c.add_members(x);
    }
    if (c.members().empty()) {
      m->rotations_deleted.push_back(id);
      continue;
    }
    auto e = NewEvent(c.center_id());
    *e.mutable_rotation_updated()->mutable_rotation() = c;
    Emit(m, std::move(e));
    m->rotations_put.push_back(std::move(c));
  }
  if (!hit.empty()) m->summary += fmt::format("; {} future shift(s) released", hit.size());
}

}  // namespace zhiban::domain
