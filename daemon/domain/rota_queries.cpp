// Read-only answers: checking a rota, who is on duty now, the yearly ledger
// (rota.h).
#include "daemon/domain/rota.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "daemon/domain/common.h"
#include "daemon/domain/rota_internal.h"

namespace zhiban::domain {

using common::kDay;
using common::Sec;
using common::Ts;
using rota_internal::BackupProblems;
using rota_internal::DayOf;
using rota_internal::LeaveDayMinutes;
using rota_internal::MondayOf;
using rota_internal::NeedCenter;
using rota_internal::NeedStaff;
using rota_internal::NewShift;
using rota_internal::Overlay;
using rota_internal::PoolOf;
using rota_internal::RangeArgs;
using rota_internal::SetStaff;
using rota_internal::ShiftId;

Status CheckRota(const RotaCtx& ctx, const v1::RotaCheckRequest& req, v1::RotaCheckReply* out) {
  const auto& st = ctx.state;
  ZB_RETURN_IF_ERROR(NeedCenter(st, req.center_id()));
  Date from, to;
  ZB_RETURN_IF_ERROR(RangeArgs(req.from(), req.to(), &from, &to));
  std::vector<v1::CoverageGap> uncovered;
  std::vector<Slot> slots;
  ZB_RETURN_IF_ERROR(ExpandCoverage(st.calendar, st.policies, st.network, ctx.zones,
                                    req.center_id(), from, to, &slots, &uncovered));
  for (auto& g : uncovered) *out->add_uncovered_days() = std::move(g);
  const auto shifts = st.rota.CenterShifts(req.center_id(), from, to);
  out->set_shifts(static_cast<uint32_t>(shifts.size()));
  // Windows with no shift yet are gaps too (not generated).
  std::set<std::string> have;
  for (const auto* s : shifts) have.insert(s->id());
  uint32_t gaps = 0;
  for (const auto& slot : slots) {
    for (uint32_t p = 0; p < slot.window->coverage().min_staff(); ++p) {
      if (have.count(ShiftId(req.center_id(), slot, p))) continue;
      if (++gaps <= 1000) *out->add_gaps() = NewShift(req.center_id(), slot, p, "");
    }
  }
  Overlay ov(st.rota, st.network);
  for (const auto* s : shifts) {
    // An AB岗 backup who could not be called: on duty elsewhere, on leave,
    // or backing up more posts at once than rota.max_backup_posts.
    for (auto& [rule, detail] : BackupProblems(ctx, *s)) {
      auto* b = out->add_breaches();
      b->set_shift_id(s->id());
      b->set_staff_id(s->backup_id());
      b->set_rule(std::move(rule));
      b->set_detail(std::move(detail));
    }
    if (s->assignee_id().empty()) {
      if (++gaps <= 1000) *out->add_gaps() = *s;
      continue;
    }
    const auto* person = st.network.FindStaff(s->assignee_id());
    if (!person) continue;
    const ShiftFacts f = FactsOf(*s);
    StaffLoad& load = ov.Of(person->id());
    load.Remove(f);
    auto why = ov.Why(*person, *s, f);
    load.Add(f);
    for (auto& w : why) {
      auto* b = out->add_breaches();
      b->set_shift_id(s->id());
      b->set_staff_id(person->id());
      b->set_rule(w.substr(0, w.find(':')));
      b->set_detail(std::move(w));
      b->set_forced(s->forced());
    }
  }
  out->set_gap_count(gaps);
  const int64_t lo = DayNumber(from) * kDay - kDay, hi = (DayNumber(to) + 2) * kDay;
  uint32_t mins[3] = {UINT32_MAX, UINT32_MAX, UINT32_MAX}, maxs[3] = {0, 0, 0};
  for (const auto* person : PoolOf(st.network, req.center_id())) {
    auto* row = out->add_fairness();
    row->set_staff_id(person->id());
    row->set_name(person->name());
    std::set<int32_t> weekend, holiday;
    for (const auto* s : st.rota.StaffShifts(person->id(), lo, hi)) {
      const ShiftFacts f = FactsOf(*s);
      if (f.day < DayNumber(from) || f.day > DayNumber(to)) continue;
      if (f.weekend) weekend.insert(f.day);
      if (f.holiday) holiday.insert(f.day);
      if (f.evening) row->set_evenings(row->evenings() + 1);
      if (f.working) row->set_minutes(row->minutes() + f.minutes());
    }
    row->set_weekend_days(static_cast<uint32_t>(weekend.size()));
    row->set_holiday_days(static_cast<uint32_t>(holiday.size()));
    const uint32_t v[3] = {row->weekend_days(), row->holiday_days(), row->evenings()};
    for (int i = 0; i < 3; ++i) {
      mins[i] = std::min(mins[i], v[i]);
      maxs[i] = std::max(maxs[i], v[i]);
    }
  }
  if (out->fairness_size()) {
    out->set_spread_weekend_days(maxs[0] - mins[0]);
    out->set_spread_holiday_days(maxs[1] - mins[1]);
    out->set_spread_evenings(maxs[2] - mins[2]);
  }
  return {};
}

Status RotaNow(const RotaCtx& ctx, const v1::RotaNowRequest& req, v1::RotaNowReply* out) {
  const auto& st = ctx.state;
  if (!req.center_id().empty()) ZB_RETURN_IF_ERROR(NeedCenter(st, req.center_id()));
  const int64_t now = Sec(ctx.now);
  *out->mutable_now() = Ts(now);
  const int32_t day = static_cast<int32_t>((now + 8 * 3600) / kDay);
  auto one = [&](const std::string& center) {
    for (const auto* s :
         st.rota.CenterShifts(center, FromDayNumber(day - 1), FromDayNumber(day + 1))) {
      if (Sec(s->start()) > now || Sec(s->end()) <= now) continue;
      if (s->assignee_id().empty()) {
        *out->add_gaps() = *s;
        continue;
      }
      auto* d = out->add_on_duty();
      d->set_center_id(center);
      *d->mutable_shift() = *s;
      SetStaff(st.network, s->assignee_id(), d->mutable_staff());
      SetStaff(st.network, s->backup_id(), d->mutable_backup());
    }
    if (const auto* l = LeaderOnDuty(ctx, center, now)) (*out->mutable_leaders())[center] = *l;
  };
  if (!req.center_id().empty()) {
    one(req.center_id());
  } else {
    for (const auto& [id, c] : st.network.centers()) one(id);
  }
  return {};
}

namespace {

// One person's duty on one local day (the day a shift starts on).
struct DayDuty {
  uint32_t working = 0;  // minutes of working shifts
  uint32_t on_call = 0;  // minutes of ON_CALL shifts
  uint32_t on_call_shifts = 0;
};

// Extra minutes by class, before overtime_pay says what they earn.
struct Extra {
  uint32_t rest = 0, statutory = 0, extended = 0;
};

// Adds `x` to a ledger row by the person's overtime_pay (v1::OvertimePay);
// comp time is returned, not added.
uint32_t Credit(const Extra& x, const Rules& rules, v1::LedgerRow& row) {
  row.set_rest_day_minutes(row.rest_day_minutes() + x.rest);
  row.set_statutory_minutes(row.statutory_minutes() + x.statutory);
  row.set_extended_minutes(row.extended_minutes() + x.extended);
  switch (rules.overtime_pay) {
    case v1::OVERTIME_PAY_LABOUR_LAW:
      row.set_pay_150_minutes(row.pay_150_minutes() + x.extended);
      row.set_pay_300_minutes(row.pay_300_minutes() + x.statutory);
      return x.rest;  // comp time, else 200 % (payroll pays a balance left unused)
    case v1::OVERTIME_PAY_COMP_TIME:
      return x.rest + x.statutory + x.extended;
    case v1::OVERTIME_PAY_SUBSIDY:
      row.set_subsidy_minutes(row.subsidy_minutes() + x.rest + x.statutory + x.extended);
      return 0;
    default:  // OVERTIME_PAY_NONE: recorded, earns nothing
      return 0;
  }
}

// What one day's duty adds to a ledger row, by the class of the day; comp
// time is returned. Under the comprehensive system a day has no extended
// hours and no rest-day class of its own: its period's total says (Ledger).
uint32_t AddDay(DayClass cls, const DayDuty& d, const Rules& rules, v1::LedgerRow& row) {
  Extra x;
  switch (cls) {
    case DayClass::kWorking:
      if (!rules.comprehensive() && d.working > rules.daily_standard)
        x.extended = d.working - rules.daily_standard;
      break;
    case DayClass::kRest:
      if (!rules.comprehensive()) x.rest = d.working;
      break;
    case DayClass::kStatutory:
      x.statutory = d.working;
      break;
  }
  row.set_total_minutes(row.total_minutes() + d.working);
  row.set_statutory_days(row.statutory_days() + (x.statutory > 0 ? 1 : 0));
  row.set_on_call_minutes(row.on_call_minutes() + d.on_call);
  row.set_on_call_shifts(row.on_call_shifts() + d.on_call_shifts);
  if (rules.on_call == v1::ON_CALL_COUNT_ALLOWANCE) {
    row.set_on_call_allowance_fen(row.on_call_allowance_fen() +
                                  uint64_t{d.on_call_shifts} * rules.on_call_allowance_fen);
  }
  return Credit(x, rules, row);
}

// The comprehensive system's periods (week, month, quarter) that end within
// [y0, p1], each as [first, last] day numbers; a week may begin the year
// before.
std::vector<std::pair<int32_t, int32_t>> Periods(const Rules& rules, int32_t y0, int32_t p1) {
  std::vector<std::pair<int32_t, int32_t>> out;
  if (rules.period == v1::COMPREHENSIVE_PERIOD_WEEK) {
    for (int32_t w = MondayOf(y0); w + 6 <= p1; w += 7) {
      if (w + 6 >= y0) out.emplace_back(w, w + 6);
    }
    return out;
  }
  const unsigned step = rules.period == v1::COMPREHENSIVE_PERIOD_QUARTER ? 3 : 1;
  const Date first = FromDayNumber(y0);
  for (unsigned m = 1; m <= 12; m += step) {
    const int32_t a = DayNumber(first.year() / std::chrono::month(m) / 1);
    const int32_t b =
        DayNumber(first.year() / std::chrono::month(m + step - 1) / std::chrono::last);
    if (b <= p1) out.emplace_back(a, b);
  }
  return out;
}

// A comprehensive period's hours beyond its standard (the notice's working
// days in it x the daily standard, less what leave takes off the person's
// working days; statutory-day work is apart). A day of a year whose notice
// is not loaded counts by its weekday.
int64_t PeriodExtended(const Calendar& cal, const std::map<int32_t, DayDuty>& days,
                       const std::map<int32_t, uint32_t>& on_leave, int32_t a, int32_t b,
                       const Rules& rules) {
  int64_t worked = 0, standard = 0;
  for (int32_t d = a; d <= b; ++d) {
    const auto cls = cal.ClassOf(FromDayNumber(d));
    const DayClass c = cls.ok() ? *cls : d - MondayOf(d) < 5 ? DayClass::kWorking : DayClass::kRest;
    if (c == DayClass::kWorking) standard += rules.daily_standard;
    if (const auto l = on_leave.find(d); l != on_leave.end()) standard -= l->second;
    if (auto it = days.find(d); it != days.end() && c != DayClass::kStatutory)
      worked += it->second.working;
  }
  return std::max<int64_t>(0, worked - std::max<int64_t>(0, standard));
}

// A rota week's (轮休) worked days paid as rest days: in each Monday..Sunday
// week, as many as its free days (no working duty) fall short of the weekly
// rest rule, taken from its last worked days other than statutory holidays.
// `days` holds whole weeks (the ledger collects from the Monday before its
// period to the Sunday after), so every period that cuts a week picks the
// same days; days not yet worked count as free. Days before `y0` count for
// the week but are never picked (their year is another ledger's, and was
// judged with this week whole). A day of next year whose notice is not
// loaded yet is taken as no statutory holiday.
std::set<int32_t> RotaRestWork(const Calendar& cal, const std::map<int32_t, DayDuty>& days,
                               int32_t y0, const Rules& rules) {
  std::set<int32_t> out;
  for (auto it = days.begin(); it != days.end();) {
    const int32_t monday = MondayOf(it->first);
    std::vector<int32_t> worked;
    for (; it != days.end() && it->first < monday + 7; ++it) {
      if (it->second.working > 0) worked.push_back(it->first);
    }
    uint32_t free = 7 - static_cast<uint32_t>(worked.size());
    for (auto w = worked.rbegin(); w != worked.rend() && free < rules.min_rest_days_week; ++w) {
      if (*w >= y0) {
        const auto cls = cal.ClassOf(FromDayNumber(*w));
        if (cls.ok() && *cls == DayClass::kStatutory) continue;
        out.insert(*w);
      }
      ++free;
    }
  }
  return out;
}

}  // namespace

Status Ledger(const RotaCtx& ctx, const v1::LedgerRequest& req, v1::LedgerReply* out) {
  const auto& st = ctx.state;
  if (req.year() < 1970 || req.year() > 9999)
    return Status::InvalidArgument("year", "is required (e.g. 2026)");
  if (req.month() > 12)
    return Status::InvalidArgument(
        "month", fmt::format("is 1..12, or 0 for the whole year, not {}", req.month()));
  std::vector<const v1::Staff*> people;
  if (!req.staff_id().empty()) {
    ZB_ASSIGN_OR_RETURN(auto p, NeedStaff(st, req.staff_id(), "staff_id"));
    people.push_back(p);
  } else {
    if (!req.center_id().empty()) ZB_RETURN_IF_ERROR(NeedCenter(st, req.center_id()));
    for (const auto& [id, s] : st.network.staff()) {
      if (req.center_id().empty() || s.center_id() == req.center_id()) people.push_back(&s);
    }
  }
  const std::chrono::year year(req.year());
  const int32_t y0 = DayNumber(year / 1 / 1);
  // The period asked for; comp time is reckoned from Jan 1 to its end.
  int32_t p0 = y0, p1 = DayNumber(year / 12 / 31);
  if (req.month() != 0) {
    const std::chrono::month m(req.month());
    p0 = DayNumber(year / m / 1);
    p1 = DayNumber(year / m / std::chrono::last);
  }
  // Pay follows the class of the day, which needs the year's notice and
  // its statutory days: refused, saying what to load, rather than guessed.
  if (auto c = st.calendar.ClassOf(FromDayNumber(y0)); !c.ok()) {
    return Status::FailedPrecondition("year", c.status().message());
  }
  const int64_t now = Sec(ctx.now);
  out->set_year(req.year());
  for (const auto* p : people) {
    auto* row = out->add_rows();
    row->set_staff_id(p->id());
    row->set_name(p->name());
    row->set_center_id(p->center_id());
    row->set_month(req.month());
    row->set_employment(p->employment() == v1::EMPLOYMENT_TYPE_UNSPECIFIED ? v1::LABOUR_CONTRACT
                                                                           : p->employment());
    const Rules rules = ResolveRules(st.rota.rules(), *p, p->center_id());
    row->set_overtime_pay(rules.overtime_pay);
    row->set_working_time(rules.working_time);
    // A rota week (轮休) is judged whole: its days before Jan 1 and after
    // the period's end count too; so is a comprehensive week.
    const bool rota_week = p->rest_week() == v1::REST_WEEK_ROTA && !rules.comprehensive();
    const bool whole_weeks =
        rota_week || (rules.comprehensive() && rules.period == v1::COMPREHENSIVE_PERIOD_WEEK);
    const int32_t from = whole_weeks ? MondayOf(y0) : y0;
    const int32_t until = rota_week ? MondayOf(p1) + 6 : p1;
    std::map<int32_t, DayDuty> days;  // `from` .. `until`, worked shifts only
    std::vector<ShiftFacts> facts;    // by start
    for (const auto* s : st.rota.StaffShifts(p->id(), from * kDay - kDay, (until + 2) * kDay))
      facts.push_back(FactsOf(*s));
    for (const ShiftFacts& f : facts) {
      if (f.day < from || f.day > until || f.end > now) continue;
      DayDuty& d = days[f.day];
      if (f.working) {
        d.working += f.minutes();
      } else {
        d.on_call += f.minutes();
        ++d.on_call_shifts;
        // Counted as hours: only its time off site (an on-site shift inside
        // it is working time already).
        if (rules.on_call == v1::ON_CALL_COUNT_HOURS) {
          int64_t inside = 0;  // ended on-site shifts starting from 2 days before it
          auto g = std::lower_bound(facts.begin(), facts.end(), f.start - 2 * kDay,
                                    [](const ShiftFacts& x, int64_t t) { return x.start < t; });
          for (; g != facts.end() && g->start < f.end; ++g) {
            if (g->working && g->end <= now)
              inside += std::max<int64_t>(0, std::min(f.end, g->end) - std::max(f.start, g->start));
          }
          d.working += static_cast<uint32_t>(std::max<int64_t>(0, f.minutes() - inside / 60));
        }
      }
    }
    std::set<int32_t> rest_work;  // a rota week's: worked days paid as rest days
    if (rota_week) rest_work = RotaRestWork(st.calendar, days, y0, rules);
    int64_t earned_before = 0;  // comp time earned this year before the period
    v1::LedgerRow before;       // the rest of what those days add: not shown
    for (const auto& [day, duty] : days) {
      if (day < y0 || day > p1) continue;
      // The class of the day now, not the day type the shift was made with:
      // statutory days loaded later count, and a weekend inside a holiday
      // block is a rest day like any other.
      ZB_ASSIGN_OR_RETURN(auto cls, st.calendar.ClassOf(FromDayNumber(day), *p));
      if (rota_week && cls != DayClass::kStatutory) {
        cls = rest_work.count(day) ? DayClass::kRest : DayClass::kWorking;
      }
      if (day < p0) {
        earned_before += AddDay(cls, duty, rules, before);
      } else {
        row->set_comp_earned_minutes(row->comp_earned_minutes() + AddDay(cls, duty, rules, *row));
      }
    }
    // A comprehensive period's extended hours count in the month it ends,
    // once it has ended.
    if (rules.comprehensive()) {
      // The person's working days on leave are not due: what the leave takes
      // comes off the standard (a day of a year whose notice is not loaded:
      // none).
      std::map<int32_t, uint32_t> on_leave;
      for (const auto* l : st.rota.LeavesOf(p->id())) {
        const uint32_t off = LeaveDayMinutes(*l, rules.daily_standard);
        for (int32_t d = std::max(DayOf(l->from()), from); d <= std::min(DayOf(l->to()), p1); ++d) {
          const auto cls = st.calendar.ClassOf(FromDayNumber(d), *p);
          if (cls.ok() && *cls == DayClass::kWorking) on_leave[d] += off;
        }
      }
      for (const auto& [a, b] : Periods(rules, y0, p1)) {
        if ((b + 1) * kDay - 8 * 3600 > now) continue;  // not over yet (local midnight)
        Extra x;
        x.extended =
            static_cast<uint32_t>(PeriodExtended(st.calendar, days, on_leave, a, b, rules));
        if (b < p0) {
          earned_before += Credit(x, rules, before);
        } else {
          row->set_comp_earned_minutes(row->comp_earned_minutes() + Credit(x, rules, *row));
        }
      }
    }
    // Comp leave draws the daily standard for each working day it covers
    // (half of it for a half day; its rest days and statutory holidays were
    // never working time). A rota week has no plan for days on leave: they
    // count as a regular week's.
    int64_t taken_before = 0;
    for (const auto* leave : st.rota.LeavesOf(p->id())) {
      const v1::Leave& l = *leave;
      if (l.kind() != v1::COMPENSATORY) continue;
      const uint32_t per_day = LeaveDayMinutes(l, rules.daily_standard);
      for (int32_t d = std::max(DayOf(l.from()), y0); d <= std::min(DayOf(l.to()), p1); ++d) {
        ZB_ASSIGN_OR_RETURN(auto cls, st.calendar.ClassOf(FromDayNumber(d), *p));
        if (cls != DayClass::kWorking) continue;
        if (d < p0) {
          taken_before += per_day;
        } else {
          row->set_comp_taken_minutes(row->comp_taken_minutes() + per_day);
        }
      }
    }
    row->set_comp_balance_minutes(static_cast<int32_t>(earned_before + row->comp_earned_minutes() -
                                                       taken_before - row->comp_taken_minutes()));
  }
  return {};
}

}  // namespace zhiban::domain
