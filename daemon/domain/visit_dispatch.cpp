// Dispatch: who takes a visit (on duty, skilled, nearest, least loaded), escalation
// to the leader on duty, and requesting and assigning visits (visit.h).
#include "daemon/domain/visit.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "daemon/base/time_util.h"
#include "daemon/domain/common.h"
#include "daemon/domain/routes.h"
#include "daemon/domain/routes_travel.h"
#include "daemon/domain/state.h"
#include "daemon/domain/visit_internal.h"

namespace zhiban::domain {

using common::CenterClock;
using common::HasSkill;
using common::kDay;
using common::MayWorkAt;
using common::Sec;
using common::Ts;
using visit_internal::ClockOf;
using visit_internal::Deadline;
using visit_internal::Dispatch;
using visit_internal::EmitVisit;
using visit_internal::LeaderFor;
using visit_internal::OnDuty;
using visit_internal::StateName;
using visit_internal::Step;
using visit_internal::Terminal;

namespace {

// Whether `center` plans home-visit blocks (HOME_SERVICE) on the days of
// the visit's window: then its visits go to the people on them, and a
// person at a counter or desk goes out only for an urgent one.
bool PlansHomeVisitBlocks(const RotaCtx& ctx, const std::string& center, const v1::Visit& v) {
  const CenterClock local = ClockOf(ctx, center);
  for (const auto* s :
       ctx.state.rota.CenterShifts(center, FromDayNumber(local.Day(Sec(v.window_start()))),
                                   FromDayNumber(local.Day(Sec(v.window_end()) - 1)))) {
    if (s->kind() == v1::HOME_SERVICE) return true;
  }
  return false;
}

// Whether `v` fits beside the open visits `staff` already holds in `duty`
// (assigned, accepted, on the way, there): one route through them all from
// the duty's center, each service inside its window and the duty, by the
// center's travel model (routes_travel.h). So dispatch never gives one
// person visits that overlap.
bool FitsBeside(const RotaCtx& ctx, const std::string& staff, const v1::Shift& duty,
                const v1::Visit& v) {
  namespace rt = routes;
  const auto& st = ctx.state;
  const auto* held = st.visits.OpenOf(staff);
  if (!held) return true;
  const int64_t from = std::max(Sec(duty.start()), Sec(ctx.now)), to = Sec(duty.end());
  const auto* center = st.network.FindCenter(duty.center_id());
  std::vector<rt::Place> places = {{duty.center_id(), center && center->has_location()
                                                          ? std::optional(center->location())
                                                          : std::nullopt}};
  rt::Problem problem;
  auto add = [&](const v1::Visit& x) {
    const auto* item = FindService(x.service());
    const double service = 60.0 * (item && item->minutes() ? item->minutes() : 30);
    const double open = double(std::max(Sec(x.window_start()), from) - from);
    const double close = double(std::min(Sec(x.window_end()), to) - from) - service;
    if (close < open) return false;
    const auto* r = st.visits.FindResident(x.resident_id());
    places.push_back({x.resident_id(), r && r->has_location() ? std::optional(r->location())
                                                              : places.front().location});
    rt::Visit y;
    y.id = x.id();
    y.location = static_cast<int>(places.size()) - 1;
    y.windows = {{open, close}};
    y.service = service;
    problem.visits.push_back(std::move(y));
    return true;
  };
  for (const auto& id : *held) {
    const auto* x = st.visits.FindVisit(id);
    if (!x || x->id() == v.id() || Sec(x->window_end()) <= from || Sec(x->window_start()) >= to)
      continue;
    add(*x);  // one whose window is already gone weighs on nothing
  }
  if (problem.visits.empty()) return true;
  if (!add(v)) return false;
  rt::TravelConfig travel;
  if (const auto* a = st.policies.AssignmentOn(duty.center_id(), duty.date())) {
    if (const auto* p = st.policies.InForce(a->policy(), duty.date()))
      travel = rt::TravelConfigOf(p->travel());
  }
  const auto times = rt::BuildTravelTimes(places, travel, nullptr);
  problem.travel = &times;
  rt::Vehicle k;
  k.id = staff;
  k.shift = {0, double(to - from)};
  problem.vehicles.push_back(k);
  rt::SolveOptions o;
  o.improve_moves = 0;  // the constructions alone: a few visits, one person
  return rt::SolveRoutes(problem, o).unserved.empty();
}

// Picks the assignee: on duty in the window (at the resident's center or
// one they cover), with the skill, not among those who declined; first
// those out on a home-visit block, never taking someone from a counter while
// such a person can go (and, where the center plans such blocks, from a
// counter only for an urgent visit); then nearest (their center to the
// resident), then least loaded that day, then id.
struct Choice {
  const v1::Staff* staff = nullptr;
  const v1::Shift* duty = nullptr;  // their shift in the window (OnDuty)
};
Choice Choose(const RotaCtx& ctx, const v1::Visit& v) {
  const auto& st = ctx.state;
  const auto* item = FindService(v.service());
  const auto* resident = st.visits.FindResident(v.resident_id());
  // "That day" is the local day of the window's start at the visit's center.
  const CenterClock local = ClockOf(ctx, v.center_id());
  const int32_t day = local.Day(Sec(v.window_start()));
  const int64_t day_from = local.At(day, 0), day_to = local.At(day + 1, 0);
  const bool counters_stay =
      v.priority() != v1::URGENT && PlansHomeVisitBlocks(ctx, v.center_id(), v);
  using Score = std::tuple<int, double, uint32_t>;
  std::vector<std::pair<Score, Choice>> ranked;
  for (const auto& [id, s] : st.network.staff()) {
    if (!MayWorkAt(s, v.center_id()) || !HasSkill(s, item ? item->skill() : "")) continue;
    if (std::find(v.declined_by().begin(), v.declined_by().end(), id) != v.declined_by().end())
      continue;
    const auto* shift = OnDuty(ctx, id, v);
    if (!shift) continue;
    const int at_counter = shift->kind() == v1::HOME_SERVICE ? 0 : 1;
    if (at_counter && counters_stay) continue;
    double km = 0;
    const auto* c = st.network.FindCenter(shift->center_id());
    if (c && c->has_location() && resident && resident->has_location())
      km = TravelKm(c->location(), resident->location());
    ranked.push_back(
        {Score{at_counter, std::round(km * 10) / 10, st.visits.LoadBetween(id, day_from, day_to)},
         Choice{&s, shift}});
  }
  // The best ranked whose day takes it beside their other visits (by id
  // among equals: the staff map's order, kept by the stable sort). At most
  // kMaxFitChecks are tried (each a small route solve, ~0.1 ms): past the
  // best eight, a visit goes up to the leader rather than far away.
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  constexpr size_t kMaxFitChecks = 8;
  for (size_t i = 0; i < ranked.size() && i < kMaxFitChecks; ++i) {
    const Choice& c = ranked[i].second;
    if (FitsBeside(ctx, c.staff->id(), *c.duty, v)) return c;
  }
  return {};
}

}  // namespace

namespace visit_internal {

const v1::Staff* LeaderFor(const RotaCtx& ctx, const v1::Visit& v, std::string_view skip) {
  return LeaderToAlarm(ctx, v.center_id(), {Sec(ctx.now), Sec(v.window_start())}, skip);
}

// Emits the visit event `which` (a VisitEvent body) with the visit as it is now.
void EmitVisit(const RotaCtx& ctx, Mutation* m, const v1::Visit& v, v1::Event::BodyCase which,
               const std::string& reason, const v1::Staff* backup) {
  const auto& st = ctx.state;
  v1::Event e;
  e.set_center_id(v.center_id());
  const auto* field = v1::Event::descriptor()->FindFieldByNumber(which);
  auto* body = static_cast<v1::VisitEvent*>(e.GetReflection()->MutableMessage(&e, field));
  *body->mutable_visit() = BusVisitOf(v);
  if (const auto* r = st.visits.FindResident(v.resident_id()))
    *body->mutable_resident() = BusCardOf(*r, Sec(ctx.now));
  const auto* assignee = v.assignee_id().empty() ? nullptr : st.network.FindStaff(v.assignee_id());
  if (assignee) *body->mutable_staff() = *assignee;
  if (backup) *body->mutable_backup() = *backup;
  // Escalated to a leader (escalation 2): the leader is the one told, who
  // may be a parent center's.
  if (const auto* l = v.escalation() == 2 ? assignee : LeaderFor(ctx, v))
    *body->mutable_leader() = *l;
  body->set_reason(reason);
  if (const auto* item = FindService(v.service())) body->set_service_name(item->name());
  m->Emit(std::move(e));
}

// Accepted within accept_minutes of being assigned; but a visit whose
// window opens more than a day ahead (a care-plan order made days before)
// must be acted on before its window, not within minutes of its creation on
// a holiday morning: by the end of the assignee's last on-site shift before
// the window (the day before, for most), else within accept_minutes of the
// start of their duty in the window.
int64_t Deadline(const RotaCtx& ctx, const v1::Visit& v) {
  const auto& o = ctx.state.visits.options();
  const int64_t now = Sec(ctx.now);
  const int64_t grace =
      60 * int64_t(v.priority() == v1::URGENT ? o.urgent_accept_minutes : o.accept_minutes);
  const int64_t opens = Sec(v.window_start());
  if (v.priority() == v1::URGENT || opens - now <= kDay || v.assignee_id().empty())
    return now + grace;
  int64_t by = 0;
  for (const auto* s : ctx.state.rota.StaffShifts(v.assignee_id(), now - kDay, opens)) {
    if (s->kind() != v1::ON_CALL && Sec(s->end()) > now && Sec(s->end()) <= opens)
      by = std::max(by, Sec(s->end()));
  }
  if (by == 0) {
    if (const auto* s = OnDuty(ctx, v.assignee_id(), v))
      by = std::max(Sec(s->start()), opens) + grace;
  }
  return std::max(now + grace, by);
}

// The first on-site shift of `staff` overlapping the visit's window, if any
// (a visit is done by someone on duty, or on a home-visit block, in it).
// A home-visit block among them comes first: that is when they can go.
const v1::Shift* OnDuty(const RotaCtx& ctx, std::string_view staff, const v1::Visit& v) {
  const int64_t from = Sec(v.window_start()), to = Sec(v.window_end());
  const v1::Shift* first = nullptr;
  for (const auto* s : ctx.state.rota.StaffShifts(staff, from - 2 * kDay, to)) {
    if (s->kind() != v1::ON_CALL && Sec(s->end()) > from && Sec(s->start()) < to &&
        !AwayFrom(ctx, staff, *s)) {
      if (s->kind() == v1::HOME_SERVICE) return s;
      if (!first) first = s;
    }
  }
  return first;
}

// Assigns by dispatch, or escalates to the leader on duty when nobody fits.
void Dispatch(const RotaCtx& ctx, v1::Visit& v, Mutation* m, const std::string& cause) {
  const int64_t now = Sec(ctx.now);
  if (const Choice c = Choose(ctx, v); c.staff) {
    v.set_assignee_id(c.staff->id());
    v.set_escalation(0);
    *v.mutable_accept_by() = Ts(Deadline(ctx, v));
    Step(v, v1::VISIT_ASSIGNED, now, "dispatch", cause);
    EmitVisit(ctx, m, v, v1::Event::kVisitAssigned, cause);
    // Taken from a counter or desk: the event says which, for the leader.
    if (c.duty->kind() != v1::HOME_SERVICE)
      *m->events.back().mutable_visit_assigned()->mutable_leaves_post() = *c.duty;
    return;
  }
  const auto* leader = LeaderFor(ctx, v);
  v.set_assignee_id(leader ? leader->id() : "");
  v.set_escalation(2);
  v.clear_accept_by();
  const std::string why =
      (cause.empty() ? "" : cause + ": ") + "nobody on duty with the skill in the window";
  Step(v, v1::VISIT_ESCALATED, now, "dispatch", why);
  EmitVisit(ctx, m, v, v1::Event::kVisitEscalated, why);
}

}  // namespace visit_internal

void RedispatchAway(const RotaCtx& ctx, const std::string& cause, Mutation* m) {
  const auto* l = ctx.away_leave;
  const int64_t now = Sec(ctx.now);
  // The leave's days, Beijing time, as LeaveCovers reads them.
  const int64_t off = l ? DayNumber(*ParseDate(l->from())) * kDay - 8 * 3600 : now;
  const int64_t back = l ? (DayNumber(*ParseDate(l->to())) + 1) * kDay - 8 * 3600
                         : std::numeric_limits<int64_t>::max();
  for (const auto& [id, old] : ctx.state.visits.visits()) {
    if (old.assignee_id() != ctx.away_staff || Terminal(old.state()) ||
        old.state() == v1::VISIT_EN_ROUTE || old.state() == v1::VISIT_ARRIVED)
      continue;
    const int64_t from = Sec(old.window_start()), to = Sec(old.window_end());
    if (to <= now || to <= off || from >= back) continue;
    if (l && !LeaveCovers(*l, from, to)) continue;  // the other half of the day
    v1::Visit v = old;
    Dispatch(ctx, v, m, cause);
    m->visits_put.push_back(std::move(v));
  }
}

double TravelKm(const v1::GeoPoint& a, const v1::GeoPoint& b) {
  return routes::GreatCircleKm(a.lat(), a.lon(), b.lat(), b.lon());
}

Result<Mutation> RequestVisit(const RotaCtx& ctx, const v1::VisitRequestRequest& req,
                              uint64_t serial) {
  const auto& st = ctx.state;
  const auto* r = st.visits.FindResident(req.resident_id());
  if (!r)
    return Status::NotFound("resident_id",
                            fmt::format("resident \"{}\" does not exist", req.resident_id()));
  if (!FindService(req.service())) {
    std::vector<std::string> ids;
    for (const auto& s : ServiceCatalogue()) ids.push_back(s.id());
    return Status::InvalidArgument(
        "service", fmt::format("unknown service \"{}\" ({})", req.service(), fmt::join(ids, ", ")));
  }
  const int64_t from = Sec(req.window_start()), to = Sec(req.window_end());
  ZB_RETURN_IF_ERROR(CheckTimeRange(from, "window_start"));
  ZB_RETURN_IF_ERROR(CheckTimeRange(to, "window_end"));
  if (from <= 0 || to <= from)
    return Status::InvalidArgument("window_end", "the window must end after it starts");
  if (to - from > 14 * kDay)
    return Status::InvalidArgument("window_end", "a window is at most 14 days");
  if (to <= Sec(ctx.now))
    return Status::InvalidArgument("window_end", "the window is already over");
  if (!v1::VisitPriority_IsValid(req.priority()) || !v1::VisitSource_IsValid(req.source())) {
    return Status::InvalidArgument("priority", "unknown priority or source");
  }
  v1::Visit v;
  v.set_id(req.id().empty() ? fmt::format("visit-{}", serial) : req.id());
  if (st.visits.FindVisit(v.id()))
    return Status::AlreadyExists("id", fmt::format("visit \"{}\" exists", v.id()));
  v.set_resident_id(r->id());
  v.set_center_id(r->home_center_id());
  v.set_service(req.service());
  *v.mutable_window_start() = req.window_start();
  *v.mutable_window_end() = req.window_end();
  v.set_priority(req.priority() == v1::VISIT_PRIORITY_UNSPECIFIED ? v1::NORMAL : req.priority());
  v.set_source(req.source() == v1::VISIT_SOURCE_UNSPECIFIED ? v1::PHONE : req.source());
  v.set_note(req.note());
  Mutation m;
  Step(v, v1::VISIT_REQUESTED, Sec(ctx.now), ctx.actor, req.note());
  EmitVisit(ctx, &m, v, v1::Event::kVisitRequested, "");
  Dispatch(ctx, v, &m);
  m.summary = fmt::format("visit {} for {} ({}): {} {}", v.id(), v.resident_id(), v.service(),
                          StateName(v.state()), v.assignee_id());
  m.visits_put.push_back(std::move(v));
  return m;
}

Result<Mutation> AssignVisit(const RotaCtx& ctx, const v1::VisitAssignRequest& req) {
  const auto& st = ctx.state;
  const auto* old = st.visits.FindVisit(req.id());
  if (!old) return Status::NotFound("id", fmt::format("visit \"{}\" does not exist", req.id()));
  const auto* s = st.network.FindStaff(req.staff_id());
  if (!s)
    return Status::NotFound("staff_id", fmt::format("staff \"{}\" does not exist", req.staff_id()));
  if (Terminal(old->state()) || old->state() == v1::VISIT_EN_ROUTE ||
      old->state() == v1::VISIT_ARRIVED) {
    return Status::FailedPrecondition(
        fmt::format("visit {} is {}; only a visit not yet started can be (re)assigned", old->id(),
                    StateName(old->state())));
  }
  const auto* item = FindService(old->service());
  if (item && !HasSkill(*s, item->skill())) {
    return Status::FailedPrecondition(
        "staff_id",
        fmt::format("{} lacks the skill {} that {} needs", s->id(), item->skill(), item->name()));
  }
  v1::Visit v = *old;
  v.set_assignee_id(s->id());
  v.set_escalation(0);
  *v.mutable_accept_by() = Ts(Deadline(ctx, v));
  Step(v, v1::VISIT_ASSIGNED, Sec(ctx.now), ctx.actor, "assigned by an operator");
  Mutation m;
  EmitVisit(ctx, &m, v, v1::Event::kVisitAssigned,
            OnDuty(ctx, s->id(), v) ? "" : "not on duty in the window");
  m.summary = fmt::format("visit {} assigned to {}", v.id(), s->id());
  m.visits_put.push_back(std::move(v));
  return m;
}

}  // namespace zhiban::domain
