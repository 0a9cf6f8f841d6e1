// A center's day of visits planned as routes (visit_plan.h).
#include "daemon/domain/visit_plan.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <google/protobuf/util/message_differencer.h>

#include "daemon/domain/common.h"
#include "daemon/domain/routes.h"
#include "daemon/domain/routes_travel.h"
#include "daemon/domain/visit.h"
#include "daemon/domain/visit_internal.h"

namespace zhiban::domain {

using common::CenterClock;
using common::HasSkill;
using common::kDay;
using common::MayWorkAt;
using common::Sec;
using common::Ts;
using visit_internal::Deadline;
using visit_internal::StateName;
using visit_internal::Step;
using visit_internal::Terminal;

namespace {

namespace rt = routes;

constexpr uint32_t kDefaultServiceMinutes = 30;

google::protobuf::Duration Dur(double seconds) {
  google::protobuf::Duration d;
  d.set_seconds(static_cast<int64_t>(std::llround(seconds)));
  return d;
}

// The local day of the request, and the center it plans.
struct Day {
  const v1::Center* center = nullptr;
  Date date;
  int32_t number = 0;
  int64_t from = 0, to = 0;  // [local midnight, next local midnight), Unix seconds
};

Result<Day> DayOf(const RotaCtx& ctx, const v1::VisitRoutePlanRequest& req) {
  Day d;
  d.center = ctx.state.network.FindCenter(req.center_id());
  if (!d.center) {
    return Status::NotFound("center_id",
                            fmt::format("center \"{}\" does not exist", req.center_id()));
  }
  auto date = ParseDate(req.date());
  if (!date.ok()) return Status::InvalidArgument("date", date.status().message());
  d.date = *date;
  d.number = DayNumber(*date);
  const CenterClock local(ctx.zones, d.center);
  d.from = local.At(d.number, 0);
  d.to = local.At(d.number + 1, 0);
  return d;
}

bool Replannable(v1::VisitState s) {
  return s == v1::VISIT_REQUESTED || s == v1::VISIT_ASSIGNED || s == v1::VISIT_DECLINED ||
         s == v1::VISIT_ESCALATED || s == v1::VISIT_OVERDUE;
}

bool InProgress(v1::VisitState s) { return s == v1::VISIT_EN_ROUTE || s == v1::VISIT_ARRIVED; }

// Whether the plan of `day` takes `v`: open, of the center, its window meets
// the day, and not planned on another day still to come (`today`: the local
// day of now).
bool OfTheDay(const v1::Visit& v, const std::string& center, const Day& day, int32_t today) {
  if (v.center_id() != center || Terminal(v.state())) return false;
  if (Sec(v.window_end()) <= day.from || Sec(v.window_start()) >= day.to) return false;
  if (v.has_planned() && v.planned().date() != FormatDate(day.date)) {
    auto other = ParseDate(v.planned().date());
    if (other.ok() && DayNumber(*other) >= today) return false;
  }
  return true;
}

// The min_staff of the policy window a counter shift staffs (0 when the
// window is not found: then nobody is spared from it).
uint32_t MinStaffOf(const State& st, const v1::Shift& s) {
  const auto* p = st.policies.InForce(s.policy(), s.date());
  if (!p) return UINT32_MAX;
  for (v1::DayType type : {s.day_type(), v1::WORKDAY}) {
    for (const auto& day : p->days()) {
      if (day.day_type() != type) continue;
      for (const auto& w : day.windows()) {
        if (w.kind() == s.kind() && common::ClockText(w.start_minute()) == s.start_local())
          return w.coverage().min_staff();
      }
      return UINT32_MAX;
    }
  }
  return UINT32_MAX;
}

// Who may go out on the day: the shifts (one per vehicle) of HOME_SERVICE
// blocks, and of the people a counter window has over its min_staff.
std::vector<const v1::Shift*> Duties(const RotaCtx& ctx, const Day& day) {
  const auto& st = ctx.state;
  const std::string& center = day.center->id();
  // The center's on-site shifts of the day, by window.
  std::map<std::tuple<int64_t, int64_t, int>, std::vector<const v1::Shift*>> windows;
  for (const auto* s : st.rota.CenterShifts(center, FromDayNumber(day.number - 1), day.date)) {
    if (s->kind() == v1::ON_CALL || s->assignee_id().empty()) continue;
    if (Sec(s->end()) <= day.from || Sec(s->start()) >= day.to) continue;
    if (AwayFrom(ctx, s->assignee_id(), *s)) continue;
    const auto* who = st.network.FindStaff(s->assignee_id());
    if (!who || !MayWorkAt(*who, center)) continue;
    windows[{Sec(s->start()), Sec(s->end()), s->kind()}].push_back(s);
  }
  std::vector<const v1::Shift*> out;
  for (auto& [key, list] : windows) {
    if (std::get<2>(key) == v1::HOME_SERVICE) {
      out.insert(out.end(), list.begin(), list.end());
      continue;
    }
    const uint32_t min_staff = MinStaffOf(st, *list.front());
    if (min_staff >= list.size()) continue;
    // The last positions are the ones over the minimum.
    std::sort(list.begin(), list.end(), [](const auto* a, const auto* b) {
      return std::make_pair(a->position(), a->id()) < std::make_pair(b->position(), b->id());
    });
    out.insert(out.end(), list.begin() + min_staff, list.end());
  }
  // One person's duties never overlap in a plan: HOME_SERVICE blocks first,
  // then earlier starts.
  std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
    return std::make_tuple(a->kind() != v1::HOME_SERVICE, Sec(a->start()), a->id()) <
           std::make_tuple(b->kind() != v1::HOME_SERVICE, Sec(b->start()), b->id());
  });
  std::vector<const v1::Shift*> kept;
  for (const auto* s : out) {
    const bool clash = std::any_of(kept.begin(), kept.end(), [&](const auto* k) {
      return k->assignee_id() == s->assignee_id() && Sec(k->start()) < Sec(s->end()) &&
             Sec(s->start()) < Sec(k->end());
    });
    if (!clash) kept.push_back(s);
  }
  std::sort(kept.begin(), kept.end(), [](const auto* a, const auto* b) {
    return std::make_pair(a->assignee_id(), Sec(a->start())) <
           std::make_pair(b->assignee_id(), Sec(b->start()));
  });
  return kept;
}

std::string StaffToken(const std::string& id) { return "@staff:" + id; }
std::string VisitToken(const std::string& id) { return "@visit:" + id; }

}  // namespace

Mutation PlanDayReads(const State& st, const v1::VisitRoutePlanRequest& req) {
  Mutation r;
  const std::string& center = req.center_id();
  for (const auto& [id, c] : st.network.centers()) r.centers_put.push_back(c);
  for (const auto& [name, versions] : st.policies.policies())
    r.policies_put.insert(r.policies_put.end(), versions.begin(), versions.end());
  for (const auto& [c, list] : st.policies.assignments())
    r.assignments_put.insert(r.assignments_put.end(), list.begin(), list.end());
  auto date = ParseDate(req.date());
  if (!date.ok() || !st.network.FindCenter(center)) return r;
  // Beijing-time bounds with a day's margin each side: wide enough for any
  // zone a center may name.
  const int32_t day = DayNumber(*date);
  const int64_t from = int64_t(day - 1) * kDay, to = int64_t(day + 2) * kDay;
  std::set<std::string, std::less<>> people, shifts, residents;
  for (const auto& [id, s] : st.network.staff()) {
    if (MayWorkAt(s, center)) people.insert(id);
  }
  for (const auto& [id, v] : st.visits.visits()) {
    if (v.center_id() != center || Sec(v.window_end()) <= from || Sec(v.window_start()) >= to)
      continue;
    r.visits_put.push_back(v);
    residents.insert(v.resident_id());
    if (!v.assignee_id().empty()) people.insert(v.assignee_id());
  }
  for (const auto* s : st.rota.CenterShifts(center, FromDayNumber(day - 1), FromDayNumber(day + 1)))
    shifts.insert(s->id());
  for (const auto& id : people) {
    if (const auto* s = st.network.FindStaff(id)) r.staff_put.push_back(*s);
    for (const auto* x : st.rota.StaffShifts(id, from - kDay, to)) shifts.insert(x->id());
  }
  for (const auto& [id, l] : st.rota.leave()) {
    if (people.count(l.staff_id())) r.leave_put.push_back(l);
  }
  for (const auto& id : shifts) r.shifts_put.push_back(*st.rota.FindShift(id));
  for (const auto& id : residents) {
    if (const auto* res = st.visits.FindResident(id)) r.residents_put.push_back(*res);
  }
  return r;
}

Result<Mutation> PlanCenterDay(const RotaCtx& ctx, const v1::VisitRoutePlanRequest& req,
                               v1::RoutePlan* out) {
  const auto& st = ctx.state;
  ZB_ASSIGN_OR_RETURN(const Day day, DayOf(ctx, req));
  const std::string& center = day.center->id();
  const std::string date = FormatDate(day.date);
  const int64_t now = Sec(ctx.now);
  const CenterClock local(ctx.zones, day.center);
  const int32_t today = local.Day(now);
  if (day.to <= now) {
    return Status::FailedPrecondition(
        "date",
        fmt::format("{} is over at {}; only today or a day ahead can be planned", date, center));
  }
  const int64_t earliest = std::max(day.from, now);

  // Travel: the center's policy's [travel] table and, when sent, the matrix.
  rt::TravelConfig travel;
  if (const auto* a = st.policies.AssignmentOn(center, date)) {
    if (const auto* p = st.policies.InForce(a->policy(), date))
      travel = rt::TravelConfigOf(p->travel());
  }
  std::optional<rt::TravelMatrix> matrix;
  if (!req.matrix_csv().empty()) {
    auto parsed = rt::ParseTravelMatrix(req.matrix_csv());
    if (!parsed.ok()) return Status::InvalidArgument("matrix_csv", parsed.status().message());
    matrix = std::move(*parsed);
  }

  // Places: the center is 0; each resident once.
  std::vector<rt::Place> places = {
      {center, day.center->has_location() ? std::optional(day.center->location()) : std::nullopt}};
  std::map<std::string, int, std::less<>> place_of;
  auto PlaceOf = [&](const std::string& resident_id) {
    auto it = place_of.find(resident_id);
    if (it != place_of.end()) return it->second;
    const auto* r = st.visits.FindResident(resident_id);
    places.push_back({resident_id, r && r->has_location() ? std::optional(r->location())
                                                          : places.front().location});
    return place_of[resident_id] = static_cast<int>(places.size()) - 1;
  };

  // Visits: seconds from local midnight; the service ends inside the window.
  rt::Problem problem;
  std::vector<const v1::Visit*> source;  // problem.visits[i] is source[i]
  std::vector<std::string> left_out;     // visit ids, with a reason in `out`
  // The door where each person in the middle of a visit is, and until when.
  std::map<std::string, std::pair<int, int64_t>> busy;
  for (const auto& [id, v] : st.visits.visits()) {
    if (!OfTheDay(v, center, day, today)) continue;
    const auto* item = FindService(v.service());
    const double service =
        60.0 * (item && item->minutes() ? item->minutes() : kDefaultServiceMinutes);
    if (InProgress(v.state())) {
      const int64_t began = v.history_size() ? Sec(v.history(v.history_size() - 1).at()) : now;
      busy[v.assignee_id()] = {PlaceOf(v.resident_id()),
                               std::max(now, began + static_cast<int64_t>(service))};
      continue;
    }
    if (v.state() != v1::VISIT_ACCEPTED && !Replannable(v.state())) continue;
    const int64_t open = std::max(Sec(v.window_start()), earliest);
    const int64_t close = std::min(Sec(v.window_end()) - static_cast<int64_t>(service), day.to);
    if (close < open) {
      auto* u = out->add_unplanned();
      u->set_visit_id(id);
      u->set_reason(Sec(v.window_end()) <= now ? "its window is over"
                                               : "its window leaves too little time that day");
      left_out.push_back(id);
      continue;
    }
    rt::Visit x;
    x.id = id;
    x.location = PlaceOf(v.resident_id());
    x.windows = {{double(open - day.from), double(close - day.from)}};
    x.service = service;
    x.priority = v.priority() == v1::URGENT ? rt::Priority::kUrgent : rt::Priority::kNormal;
    if (v.state() == v1::VISIT_ACCEPTED) {
      x.skill = StaffToken(v.assignee_id());  // stays with its person
    } else if (v.declined_by_size() > 0) {
      x.skill = VisitToken(id);  // the skilled who have not declined it
    } else {
      x.skill = item ? item->skill() : "";
    }
    problem.visits.push_back(std::move(x));
    source.push_back(&v);
  }

  // People: one vehicle per duty that may go out.
  std::vector<const v1::Shift*> duties = Duties(ctx, day);
  for (const auto* s : duties) {
    const auto* who = st.network.FindStaff(s->assignee_id());
    rt::Vehicle k;
    k.id = s->id();
    k.skills.assign(who->skills().begin(), who->skills().end());
    k.skills.push_back(StaffToken(who->id()));
    for (size_t i = 0; i < source.size(); ++i) {
      const auto& v = *source[i];
      if (v.state() == v1::VISIT_ACCEPTED || v.declined_by_size() == 0) continue;
      const auto* item = FindService(v.service());
      if (HasSkill(*who, item ? item->skill() : "") &&
          std::find(v.declined_by().begin(), v.declined_by().end(), who->id()) ==
              v.declined_by().end())
        k.skills.push_back(VisitToken(v.id()));
    }
    int64_t open = std::max(Sec(s->start()), earliest);
    const int64_t close = std::min(Sec(s->end()), day.to);
    if (auto b = busy.find(who->id()); b != busy.end() && b->second.second < close &&
                                       Sec(s->start()) <= now && now < Sec(s->end())) {
      k.start_location = b->second.first;
      open = std::max(open, b->second.second);
    }
    if (close <= open) continue;
    k.shift = {double(open - day.from), double(close - day.from)};
    problem.vehicles.push_back(std::move(k));
  }

  size_t from_matrix = 0;
  const rt::MatrixTravelTimes times =
      rt::BuildTravelTimes(places, travel, matrix ? &*matrix : nullptr, &from_matrix);
  problem.travel = &times;
  rt::SolveOptions options;
  options.seed = static_cast<uint64_t>(day.number);
  options.starts = kPlanStarts;
  options.search_iterations = kPlanSearchRounds;
  const rt::Solution solution = rt::SolveRoutes(problem, options);
  if (Status checked = rt::CheckRoutes(problem, solution); !checked.ok()) {
    return Status::Internal(fmt::format("the plan of {} on {} failed the route checker: {}", center,
                                        date, checked.message()));
  }

  // The answer, into the visits and the reply.
  out->set_center_id(center);
  out->set_date(date);
  out->set_travel(fmt::format("{} {} km/h, detour {}{}", rt::TravelModeName(travel.mode),
                              travel.Speed(), travel.detour,
                              matrix ? fmt::format("; matrix: {} pairs", from_matrix) : ""));
  std::map<std::string, v1::PlannedStop> planned;  // visit id -> its stop
  std::map<std::string, std::string> assignee;     // visit id -> who
  for (const auto& route : solution.routes) {
    const rt::Vehicle& k = problem.vehicles[route.vehicle];
    const v1::Shift& duty = *duties[std::find_if(duties.begin(), duties.end(),
                                                 [&](const auto* s) { return s->id() == k.id; }) -
                                    duties.begin()];
    auto* r = out->add_routes();
    *r->mutable_staff() = *st.network.FindStaff(duty.assignee_id());
    r->set_shift_id(duty.id());
    *r->mutable_depart() = Ts(day.from + std::llround(route.depart));
    *r->mutable_return_at() = Ts(day.from + std::llround(route.return_at));
    *r->mutable_travel() = Dur(route.travel);
    // Slack: the latest each service could start with every later one still
    // inside its window and the return inside the duty, less its start.
    const size_t n = route.stops.size();
    std::vector<double> latest(n);
    for (size_t i = n; i-- > 0;) {
      const auto& x = problem.visits[route.stops[i].visit];
      const int next_loc =
          i + 1 < n ? problem.visits[route.stops[i + 1].visit].location : k.end_location;
      const double by = i + 1 < n ? latest[i + 1] : k.shift.close;
      latest[i] =
          std::min(x.windows.front().close, by - x.service - times.Time(x.location, next_loc));
    }
    int prev = k.start_location;
    for (size_t i = 0; i < n; ++i) {
      const auto& stop = route.stops[i];
      const auto& x = problem.visits[stop.visit];
      const v1::Visit& v = *source[stop.visit];
      v1::PlannedStop p;
      p.set_visit_id(v.id());
      p.set_staff_id(duty.assignee_id());
      p.set_date(date);
      p.set_position(static_cast<uint32_t>(i + 1));
      *p.mutable_arrival() = Ts(day.from + std::llround(stop.arrival));
      *p.mutable_start() = Ts(day.from + std::llround(stop.start));
      *p.mutable_departure() = Ts(day.from + std::llround(stop.start + x.service));
      *p.mutable_travel() = Dur(times.Time(prev, x.location));
      *p.mutable_slack() = Dur(std::max(0.0, latest[i] - stop.start));
      p.set_resident_id(v.resident_id());
      p.set_service(v.service());
      prev = x.location;
      *r->add_stops() = p;
      planned[v.id()] = p;
      assignee[v.id()] = duty.assignee_id();
    }
  }
  for (const auto& u : solution.unserved) {
    auto* x = out->add_unplanned();
    x->set_visit_id(problem.visits[u.visit].id);
    x->set_reason(u.text.empty() ? rt::UnservedReasonText(u.reason) : u.text);
  }

  Mutation m;
  uint32_t reassigned = 0;
  auto put = [&](const v1::Visit& v) {
    if (const auto* r = st.visits.FindResident(v.resident_id())) {
      (*out->mutable_residents())[r->id()] = CardOf(*r, now);
    }
  };
  for (size_t i = 0; i < source.size(); ++i) {
    const v1::Visit& old = *source[i];
    v1::Visit v = old;
    auto p = planned.find(v.id());
    if (p == planned.end()) {
      if (v.has_planned() && v.planned().date() == date) v.clear_planned();
    } else {
      *v.mutable_planned() = p->second;
      const std::string& who = assignee[v.id()];
      if (v.assignee_id() != who || v.escalation() != 0 || v.state() != v1::VISIT_ASSIGNED) {
        if (v.state() != v1::VISIT_ACCEPTED) {
          reassigned += v.assignee_id() != who;
          v.set_assignee_id(who);
          v.set_escalation(0);
          *v.mutable_accept_by() = Ts(Deadline(ctx, v));
          Step(v, v1::VISIT_ASSIGNED, now, ctx.actor, fmt::format("route plan of {}", date));
        }
      }
    }
    put(v);
    if (!google::protobuf::util::MessageDifferencer::Equals(v, old))
      m.visits_put.push_back(std::move(v));
  }
  for (const auto& id : left_out) {
    if (const auto* v = st.visits.FindVisit(id)) put(*v);
  }
  out->set_reassigned(reassigned);

  v1::Event e;
  e.set_center_id(center);
  auto* body = e.mutable_visit_planned();
  *body = *out;
  // No resident cards on the bus here: at rest an event's cards are sealed
  // under each resident's key only where the body holds one card
  // (core/personal_data.cpp), not in a map. The stops name residents by id.
  body->clear_residents();
  m.Emit(std::move(e));
  m.summary = fmt::format(
      "route plan of {} on {}: {} routes, {} visits planned, {} left out, {} "
      "reassigned",
      center, date, out->routes_size(), planned.size(), out->unplanned_size(), reassigned);
  return m;
}

}  // namespace zhiban::domain
