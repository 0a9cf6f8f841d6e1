// Manual changes to the plan: overrides, publishing a month, check-in, and
// swaps between two people (rota.h).
#include "daemon/domain/rota.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "daemon/base/time_util.h"
#include "daemon/domain/access.h"
#include "daemon/domain/common.h"
#include "daemon/domain/rota_internal.h"

namespace zhiban::domain {

using common::HasRole;
using common::kDay;
using common::Sec;
using common::Ts;
using rota_internal::AnnounceStaffed;
using rota_internal::Emit;
using rota_internal::Ineligible;
using rota_internal::NeedCenter;
using rota_internal::NeedStaff;
using rota_internal::NewEvent;
using rota_internal::Overlay;
using rota_internal::RangeArgs;
using rota_internal::SetStaff;

namespace rota_internal {

void AnnounceStaffed(const Network& net, const v1::Shift& s, const v1::Staff& person,
                     std::string_view previous, const std::string& reason, Mutation* m) {
  auto e = NewEvent(s.center_id());
  auto* b = e.mutable_shift_changed();
  *b->mutable_shift() = s;
  *b->mutable_staff() = person;
  SetStaff(net, previous, b->mutable_previous());
  SetStaff(net, s.backup_id(), b->mutable_backup());
  b->set_reason(reason);
  Emit(m, std::move(e));
  if (previous.empty()) {
    auto r = NewEvent(s.center_id());
    *r.mutable_coverage_restored()->mutable_shift() = s;
    *r.mutable_coverage_restored()->mutable_staff() = person;
    Emit(m, std::move(r));
  }
}

}  // namespace rota_internal

// ---- manual changes -----------------------------------------------------------------

namespace {

constexpr int64_t kCheckinEarly = 30 * 60;  // check in up to 30 min before start

// Applies `person` to each shift (in order), checking as it goes. Refuses on
// a hard reason, or on a rule unless `force`.
Status Assign(const RotaCtx& ctx, Overlay& ov, std::vector<v1::Shift>& shifts,
              const v1::Staff& person, v1::ShiftSource source, bool force,
              const std::string& reason, Mutation* m) {
  const auto& net = ctx.state.network;
  for (auto& s : shifts) {
    const ShiftFacts f = FactsOf(s);
    if (s.assignee_id() == person.id()) continue;
    if (f.end <= Sec(ctx.now)) {
      return Status::FailedPrecondition(
          "shift_id", fmt::format("shift {} is over; the past is not changed", s.id()));
    }
    if (auto hard = Ineligible(ctx.state.rota, person, s, f.day); !hard.empty()) {
      return Status::FailedPrecondition(
          "staff_id", fmt::format("{} cannot take {}: {}", person.id(), s.id(), hard));
    }
    const std::string previous = s.assignee_id();
    if (!previous.empty()) ov.Of(previous).Remove(f);
    auto breaches = RuleBreaches(ov.Of(person.id()), ov.RulesOf(person, s.center_id()), f);
    if (!breaches.empty() && breaches.front().starts_with("overlap")) {
      return Status::FailedPrecondition(
          "staff_id",
          fmt::format("{} cannot take {}: {} (one person cannot hold two posts at once)",
                      person.id(), s.id(), breaches.front()));
    }
    if (!breaches.empty() && !force) {
      return Status::FailedPrecondition(
          "staff_id",
          fmt::format("{} taking {} breaks working-time rules: {} (--force overrides; it is "
                      "audited and reported)",
                      person.id(), s.id(), fmt::join(breaches, "; ")));
    }
    ov.Of(person.id()).Add(f);
    s.set_assignee_id(person.id());
    s.set_source(source);
    s.set_forced(!breaches.empty());
    if (s.backup_id() == person.id()) s.set_backup_id(previous);
    if (s.published()) AnnounceStaffed(net, s, person, previous, reason, m);
    if (!breaches.empty()) {
      auto e = NewEvent(s.center_id());
      auto* v = e.mutable_rule_violation();
      *v->mutable_shift() = s;
      *v->mutable_staff() = person;
      for (auto& b : breaches) v->add_rules(std::move(b));
      v->set_forced_by(ctx.actor);
      Emit(m, std::move(e));
    }
  }
  return {};
}

}  // namespace

Result<Mutation> OverrideShifts(const RotaCtx& ctx, const v1::RotaOverrideRequest& req,
                                std::vector<v1::Shift>* changed) {
  const auto& st = ctx.state;
  ZB_ASSIGN_OR_RETURN(auto person, NeedStaff(st, req.staff_id(), "staff_id"));
  std::vector<v1::Shift> shifts;
  if (!req.shift_id().empty()) {
    const auto* s = st.rota.FindShift(req.shift_id());
    if (!s)
      return Status::NotFound("shift_id",
                              fmt::format("shift \"{}\" does not exist", req.shift_id()));
    shifts.push_back(*s);
  } else {
    ZB_RETURN_IF_ERROR(NeedCenter(st, req.center_id()));
    Date from, to;
    ZB_RETURN_IF_ERROR(RangeArgs(req.from(), req.to(), &from, &to));
    if (req.replaces().empty()) {
      return Status::InvalidArgument("replaces",
                                     "give --shift, or --center/--from/--to with --replaces STAFF");
    }
    for (const auto* s : st.rota.CenterShifts(req.center_id(), from, to)) {
      if (s->assignee_id() == req.replaces() && Sec(s->end()) > Sec(ctx.now)) shifts.push_back(*s);
    }
    if (shifts.empty()) {
      return Status::FailedPrecondition(fmt::format("{} has no future shift at {} from {} to {}",
                                                    req.replaces(), req.center_id(), req.from(),
                                                    req.to()));
    }
  }
  Overlay ov(st.rota, st.network);
  Mutation m;
  const std::string reason = req.reason().empty() ? "override" : "override: " + req.reason();
  ZB_RETURN_IF_ERROR(Assign(ctx, ov, shifts, *person, v1::OVERRIDE, req.force(), reason, &m));
  m.summary =
      fmt::format("{} covers {} shift(s){}{}", req.staff_id(), shifts.size(),
                  shifts.size() == 1 ? " " + shifts[0].id() : "", req.force() ? " (forced)" : "");
  *changed = shifts;
  m.shifts_put = std::move(shifts);
  return m;
}

namespace {

// One rota.digest per person holding or backing up a shift of the month
// just published, in staff id order.
void EmitDigests(const State& st, const std::string& month, const std::vector<v1::Shift>& shifts,
                 int64_t now, Mutation* m) {
  struct Month {
    v1::RotaDigest d;
    std::set<std::string> weekend, holiday;
  };
  std::map<std::string, Month> people;
  for (const auto& s : shifts) {
    if (!s.backup_id().empty())
      people[s.backup_id()].d.set_backup_shifts(people[s.backup_id()].d.backup_shifts() + 1);
    if (s.assignee_id().empty()) continue;
    auto& p = people[s.assignee_id()];
    p.d.set_shifts(p.d.shifts() + 1);
    if (Sec(s.start()) > now && (!p.d.has_first() || Sec(s.start()) < Sec(p.d.first().start())))
      *p.d.mutable_first() = s;
    if (s.kind() == v1::ON_CALL) {
      p.d.set_on_call_shifts(p.d.on_call_shifts() + 1);
    } else {
      p.d.set_minutes(p.d.minutes() + static_cast<uint32_t>((Sec(s.end()) - Sec(s.start())) / 60));
    }
    if (s.kind() == v1::EXTENDED) p.d.set_evenings(p.d.evenings() + 1);
    if (s.day_type() == v1::WEEKEND) p.weekend.insert(s.date());
    if (s.day_type() == v1::HOLIDAY) p.holiday.insert(s.date());
  }
  const std::string center = shifts.empty() ? "" : shifts.front().center_id();
  for (auto& [id, p] : people) {
    p.d.set_month(month);
    p.d.set_weekend_days(static_cast<uint32_t>(p.weekend.size()));
    p.d.set_holiday_days(static_cast<uint32_t>(p.holiday.size()));
    if (p.d.shifts() > 0) {  // empty when they only back up: a text variant says so
      p.d.set_hours(p.d.minutes() % 60 == 0 ? fmt::format("{}", p.d.minutes() / 60)
                                            : fmt::format("{:.1f}", p.d.minutes() / 60.0));
    }
    SetStaff(st.network, id, p.d.mutable_staff());
    auto e = NewEvent(center);
    *e.mutable_rota_digest() = std::move(p.d);
    Emit(m, std::move(e));
  }
}

}  // namespace

Result<Mutation> PublishMonth(const RotaCtx& ctx, const v1::RotaPublishRequest& req,
                              v1::RotaPublishReply* reply) {
  const auto& st = ctx.state;
  ZB_RETURN_IF_ERROR(NeedCenter(st, req.center_id()));
  auto first = ParseDate(req.month() + "-01");
  if (req.month().size() != 7 || !first.ok()) {
    return Status::InvalidArgument("month",
                                   fmt::format("\"{}\" is not a month YYYY-MM", req.month()));
  }
  if (st.rota.MonthPublished(req.center_id(), req.month())) {
    return Status::AlreadyExists(
        "month", fmt::format("{} of {} is already published", req.month(), req.center_id()));
  }
  const Date last = first->year() / first->month() / std::chrono::last;
  auto shifts = st.rota.CenterShifts(req.center_id(), *first, last);
  if (shifts.empty()) {
    return Status::FailedPrecondition(fmt::format(
        "{} has no shifts in {}; run `zhibanctl rota generate --center {} --from {} --to {} "
        "--fill` first",
        req.center_id(), req.month(), req.center_id(), FormatDate(*first), FormatDate(last)));
  }
  Mutation m;
  uint32_t gaps = 0, begun = 0;
  const int64_t now = Sec(ctx.now);
  for (const auto* p : shifts) {
    v1::Shift s = *p;
    s.set_published(true);
    // Publishing late: nothing is raised for a shift that had begun before
    // publication (no reminder, handoff or no-show: those would be false
    // alarms), and of the reminders whose time has passed for a shift still
    // ahead only the last one fires — once, now, marked late.
    if (Sec(s.start()) <= now) {
      ++begun;
      s.set_timers_fired(s.timers_fired() | v1::HANDOFF | v1::REMINDER_EVE | v1::REMINDER_BEFORE |
                         v1::NO_SHOW);
    } else if (st.rota.TimerDue(s, v1::REMINDER_BEFORE) <= now) {
      s.set_timers_fired(s.timers_fired() | v1::REMINDER_EVE);
    }
    auto e = NewEvent(s.center_id());
    if (s.assignee_id().empty()) {
      ++gaps;
      if (Sec(s.end()) <= now) {  // over before it was published: counted, not alarmed
        m.shifts_put.push_back(std::move(s));
        continue;
      }
      auto* g = e.mutable_coverage_gap();
      *g->mutable_shift() = s;
      g->set_reason("unstaffed at publication");
      Emit(&m, std::move(e));
    } else {
      auto* a = e.mutable_shift_assigned();
      *a->mutable_shift() = s;
      SetStaff(st.network, s.assignee_id(), a->mutable_staff());
      SetStaff(st.network, s.backup_id(), a->mutable_backup());
      a->set_at_publication(true);
      Emit(&m, std::move(e));
    }
    m.shifts_put.push_back(std::move(s));
  }
  const int64_t notice = int64_t(st.rota.options().publish_notice_days) * kDay;
  const int64_t month_start = Sec(shifts.front()->start());
  const bool late = Sec(ctx.now) > month_start - notice;
  v1::PublishedMonth pm;
  pm.set_center_id(req.center_id());
  pm.set_month(req.month());
  *pm.mutable_published_at() = Ts(Sec(ctx.now));
  m.months_put.push_back(pm);
  auto e = NewEvent(req.center_id());
  auto* b = e.mutable_rota_published();
  b->set_month(req.month());
  b->set_shifts(static_cast<uint32_t>(shifts.size()));
  b->set_gaps(gaps);
  b->set_late(late);
  Emit(&m, std::move(e));
  EmitDigests(st, req.month(), m.shifts_put, now, &m);
  reply->set_month(req.month());
  reply->set_shifts(static_cast<uint32_t>(shifts.size()));
  reply->set_gaps(gaps);
  if (late) {
    reply->set_warning(
        fmt::format("published less than {} days before the month starts; staff have short notice",
                    st.rota.options().publish_notice_days));
  }
  m.summary = fmt::format("published {} of {}: {} shifts, {} gaps", req.month(), req.center_id(),
                          shifts.size(), gaps);
  if (begun > 0) m.summary += fmt::format(", {} already begun (no alarms raised for them)", begun);
  return m;
}

Result<Mutation> CheckIn(const RotaCtx& ctx, std::string_view staff) {
  const auto& st = ctx.state;
  ZB_ASSIGN_OR_RETURN(auto person, NeedStaff(st, std::string(staff), "staff_id"));
  const int64_t now = Sec(ctx.now);
  const v1::Shift* covered = nullptr;  // running or starting soon, checked in already
  for (const auto* s : st.rota.StaffShifts(staff, now - 2 * kDay, now + kCheckinEarly + 1)) {
    if (Sec(s->end()) <= now || Sec(s->start()) - kCheckinEarly > now) continue;
    if (s->kind() == v1::ON_CALL) continue;
    if (s->has_checked_in()) {
      if (!covered) covered = s;
      continue;
    }
    // One check-in covers the duty period: this shift and the person's
    // shifts at the same center that follow it without a long break.
    Mutation m;
    auto e = NewEvent(s->center_id());
    auto* b = e.mutable_shift_checked_in();
    *b->mutable_staff() = *person;
    for (const auto* x : st.rota.PeriodFrom(*s)) {
      if (x->has_checked_in()) continue;
      v1::Shift c = *x;
      *c.mutable_checked_in() = Ts(now);
      if (x == s) *b->mutable_shift() = c;
      b->add_period_shift_ids(c.id());
      b->set_period_end_local(c.end_local());
      m.shifts_put.push_back(std::move(c));
    }
    m.summary = b->period_shift_ids_size() > 1
                    ? fmt::format("{} checked in to {} (and {} more of the duty period)", staff,
                                  s->id(), b->period_shift_ids_size() - 1)
                    : fmt::format("{} checked in to {}", staff, s->id());
    Emit(&m, std::move(e));
    return m;
  }
  if (covered) {
    return Status::FailedPrecondition(fmt::format(
        "{} is already checked in for {} (at {}); one check-in covers the duty period", staff,
        covered->id(), FormatIsoTime(TimePoint(std::chrono::seconds(Sec(covered->checked_in()))))));
  }
  return Status::FailedPrecondition(fmt::format(
      "{} has no on-site shift running now or starting within 30 minutes (not yet checked in)",
      staff));
}

// ---- swaps ----------------------------------------------------------------------

namespace {

v1::Event SwapEvent(const RotaCtx& ctx, const v1::ShiftSwap& s) {
  const auto* shift = ctx.state.rota.FindShift(s.shift_id());
  auto e = NewEvent(shift ? shift->center_id() : "");
  auto* b = e.mutable_swap_updated();
  *b->mutable_shift_swap() = s;
  SetStaff(ctx.state.network, s.from_staff_id(), b->mutable_requester());
  SetStaff(ctx.state.network, s.to_staff_id(), b->mutable_counterpart());
  return e;
}

// The swap applied to copies of its shifts (checked), into `m`.
Status ApplySwap(const RotaCtx& ctx, const v1::ShiftSwap& sw, bool force, bool dry, Mutation* m) {
  const auto& st = ctx.state;
  const auto* a = st.rota.FindShift(sw.shift_id());
  if (!a)
    return Status::NotFound("shift_id", fmt::format("shift \"{}\" does not exist", sw.shift_id()));
  if (a->assignee_id() != sw.from_staff_id()) {
    return Status::FailedPrecondition(
        fmt::format("shift {} is no longer {}'s", a->id(), sw.from_staff_id()));
  }
  const auto* from = st.network.FindStaff(sw.from_staff_id());
  const auto* to = st.network.FindStaff(sw.to_staff_id());
  if (!from || !to)
    return Status::FailedPrecondition("a staff member of the swap no longer exists");
  Overlay ov(st.rota, st.network);
  std::vector<v1::Shift> give{*a}, back;
  if (!sw.return_shift_id().empty()) {
    const auto* b = st.rota.FindShift(sw.return_shift_id());
    if (!b)
      return Status::NotFound("return_shift_id",
                              fmt::format("shift \"{}\" does not exist", sw.return_shift_id()));
    if (b->assignee_id() != sw.to_staff_id()) {
      return Status::FailedPrecondition(
          "return_shift_id", fmt::format("shift {} is not {}'s", b->id(), sw.to_staff_id()));
    }
    back.push_back(*b);
    // Both leave their old shift before either takes the other's.
    ov.Of(to->id()).Remove(FactsOf(*b));
  }
  Mutation local;
  Mutation* out = dry ? &local : m;
  const std::string reason = fmt::format("swap {}", sw.id());
  ZB_RETURN_IF_ERROR(Assign(ctx, ov, give, *to, v1::SWAP, force, reason, out));
  if (!back.empty()) ZB_RETURN_IF_ERROR(Assign(ctx, ov, back, *from, v1::SWAP, force, reason, out));
  if (!dry) {
    for (auto& s : give) m->shifts_put.push_back(std::move(s));
    for (auto& s : back) m->shifts_put.push_back(std::move(s));
  }
  return {};
}

}  // namespace

Result<Mutation> RequestSwap(const RotaCtx& ctx, v1::SwapRequestRequest req, uint64_t serial) {
  const auto& st = ctx.state;
  const auto* shift = st.rota.FindShift(req.shift_id());
  if (!shift)
    return Status::NotFound("shift_id", fmt::format("shift \"{}\" does not exist", req.shift_id()));
  if (shift->assignee_id().empty())
    return Status::FailedPrecondition("shift_id", "the shift has nobody to swap");
  ZB_RETURN_IF_ERROR(NeedStaff(st, req.to_staff_id(), "to_staff_id").status());
  if (req.to_staff_id() == shift->assignee_id())
    return Status::InvalidArgument("to_staff_id", "is the shift's own assignee");
  v1::ShiftSwap sw;
  sw.set_id(req.id().empty() ? fmt::format("swap-{}", serial) : req.id());
  if (st.rota.swaps().count(sw.id()))
    return Status::AlreadyExists("id", fmt::format("swap \"{}\" exists", sw.id()));
  sw.set_shift_id(req.shift_id());
  sw.set_from_staff_id(shift->assignee_id());
  sw.set_to_staff_id(req.to_staff_id());
  sw.set_return_shift_id(req.return_shift_id());
  sw.set_state(v1::REQUESTED);
  sw.set_reason(req.reason());
  Mutation scratch;
  // Refused now rather than after two people agreed: roles, skills, leave, rules.
  ZB_RETURN_IF_ERROR(ApplySwap(ctx, sw, /*force=*/false, /*dry=*/true, &scratch));
  Mutation m;
  m.summary = fmt::format("swap {} requested: {} -> {} for {}", sw.id(), sw.from_staff_id(),
                          sw.to_staff_id(), sw.shift_id());
  m.Emit(SwapEvent(ctx, sw));
  m.swaps_put.push_back(std::move(sw));
  return m;
}

namespace {

// A leader decides a swap only when neither party to it, and when their
// leader scope (home and cover centers, with the centers below them) holds
// both shifts' centers: a sibling community's leader does not decide.
Status MayDecideSwap(const State& st, const v1::Staff& by, const v1::ShiftSwap& sw) {
  if (by.id() == sw.from_staff_id() || by.id() == sw.to_staff_id()) {
    return Status::FailedPrecondition(
        "by_staff_id", fmt::format("{} is a party to swap {}; a leader other than {} and {} "
                                   "decides it",
                                   by.id(), sw.id(), sw.from_staff_id(), sw.to_staff_id()));
  }
  const auto grants = StaffGrants(by);
  for (const std::string* shift_id : {&sw.shift_id(), &sw.return_shift_id()}) {
    if (shift_id->empty()) continue;
    const v1::Shift* sh = st.rota.FindShift(*shift_id);
    if (!sh) continue;
    const bool leads = std::any_of(grants.begin(), grants.end(), [&](const v1::Grant& g) {
      return g.role() == v1::ACCESS_LEADER && Covers(st.network, g.center_id(), sh->center_id());
    });
    if (!leads) {
      return Status::FailedPrecondition(
          "by_staff_id", fmt::format("{} is not a leader of {}, the center of shift {}; a leader "
                                     "of both shifts' centers decides swap {}",
                                     by.id(), sh->center_id(), sh->id(), sw.id()));
    }
  }
  return {};
}

}  // namespace

Result<Mutation> DecideSwap(const RotaCtx& ctx, const v1::SwapDecideRequest& req) {
  const auto& st = ctx.state;
  auto it = st.rota.swaps().find(req.id());
  if (it == st.rota.swaps().end())
    return Status::NotFound("id", fmt::format("swap \"{}\" does not exist", req.id()));
  v1::ShiftSwap sw = it->second;
  ZB_ASSIGN_OR_RETURN(auto by, NeedStaff(st, req.by_staff_id(), "by_staff_id"));
  const bool leader = HasRole(*by, v1::LEADER);
  Mutation m;
  switch (req.action()) {
    case v1::ACCEPT:
      if (sw.state() != v1::REQUESTED)
        return Status::FailedPrecondition(
            fmt::format("swap {} is {}, not REQUESTED", sw.id(), v1::SwapState_Name(sw.state())));
      if (req.by_staff_id() != sw.to_staff_id()) {
        return Status::FailedPrecondition(
            "by_staff_id", fmt::format("only {} (asked) can accept", sw.to_staff_id()));
      }
      sw.set_state(v1::ACCEPTED);
      break;
    case v1::APPROVE:
      if (sw.state() != v1::ACCEPTED) {
        return Status::FailedPrecondition(fmt::format("swap {} is {}; {} must accept it first",
                                                      sw.id(), v1::SwapState_Name(sw.state()),
                                                      sw.to_staff_id()));
      }
      if (!leader)
        return Status::FailedPrecondition(
            "by_staff_id",
            fmt::format("{} is not a LEADER; only a leader approves swaps", req.by_staff_id()));
      ZB_RETURN_IF_ERROR(MayDecideSwap(st, *by, sw));
      ZB_RETURN_IF_ERROR(ApplySwap(ctx, sw, req.force(), /*dry=*/false, &m));
      sw.set_state(v1::APPROVED);
      sw.set_decided_by(req.by_staff_id());
      break;
    case v1::REJECT:
      if (sw.state() != v1::REQUESTED && sw.state() != v1::ACCEPTED) {
        return Status::FailedPrecondition(
            fmt::format("swap {} is already {}", sw.id(), v1::SwapState_Name(sw.state())));
      }
      if (req.by_staff_id() != sw.to_staff_id() && !leader) {
        return Status::FailedPrecondition(
            "by_staff_id", fmt::format("only {} or a LEADER can reject", sw.to_staff_id()));
      }
      if (req.by_staff_id() != sw.to_staff_id()) ZB_RETURN_IF_ERROR(MayDecideSwap(st, *by, sw));
      sw.set_state(v1::REJECTED);
      sw.set_decided_by(req.by_staff_id());
      break;
    default:
      return Status::InvalidArgument("action", "must be ACCEPT, APPROVE or REJECT");
  }
  m.summary =
      fmt::format("swap {} {} by {}", sw.id(), v1::SwapState_Name(sw.state()), req.by_staff_id());
  m.Emit(SwapEvent(ctx, sw));
  m.swaps_put.push_back(std::move(sw));
  return m;
}

}  // namespace zhiban::domain
