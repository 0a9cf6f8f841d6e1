// A center's day of home visits planned as routes (issue 22): the visits of
// the day and the people who can go, handed to the route solver (routes.h)
// with travel times from the center's [travel] settings and an optional
// matrix (routes_travel.h); the answer stored in the visits (Visit.planned,
// new assignees) and announced by one visit.planned event.
//
// Who can go: a person on a HOME_SERVICE block at the center that day; a
// person at a counter or desk only when their window has more people on it
// than its policy's min_staff, and only as many of them as are over it, so a
// plan never leaves a staffed window below min_staff. A person's duties
// never overlap in the plan, so neither do their visits.
//
// Which visits: the center's open visits whose window meets the day (and,
// for today, is not over), unless planned on another day still to come.
// ACCEPTED visits stay with their person; EN_ROUTE and ARRIVED ones are not
// moved (their person starts the rest of the day from that door, at the
// earliest when that visit's service would end); the others (REQUESTED,
// ASSIGNED, DECLINED, ESCALATED, OVERDUE) go to whoever fits them best —
// never back to someone who declined — and a visit given to someone new is
// ASSIGNED to them with a fresh acceptance deadline.
//
// Pure, like the rest of domain/. Long work: PlanDayReads copies what the
// plan reads, PlanCenterDay runs on that copy (docs/ARCHITECTURE.md).
#pragma once

#include "daemon/base/status.h"
#include "daemon/domain/mutation.h"
#include "daemon/domain/rota.h"
#include "daemon/domain/state.h"
#include "zhiban/v1/ctl.pb.h"
#include "zhiban/v1/visit.pb.h"

namespace zhiban::domain {

// The search budget of one plan: deterministic (counted in rounds, never in
// time), sized so a center's day (≈100 visits, 10 people) plans within a
// second on one core.
inline constexpr int kPlanStarts = 8;
inline constexpr int kPlanSearchRounds = 3000;

// The records PlanCenterDay reads: every center, the policies and their
// assignments, the staff who may work at the center and the assignees of
// its visits, their shifts around the day and their leave, the center's
// shifts of the day, the center's visits whose window meets the day and
// their residents.
Mutation PlanDayReads(const State& st, const v1::VisitRoutePlanRequest& req);

// Plans the day: the visits changed (planned stops, new assignees) and
// visit.planned; `out` is the reply (residents as operator cards). Runs
// CheckRoutes (the independent checker) on the solution before returning
// and refuses INTERNAL if it finds a route broken. InvalidArgument on a bad
// date or matrix (matrix_csv: line and field named), NotFound on an unknown
// center.
Result<Mutation> PlanCenterDay(const RotaCtx& ctx, const v1::VisitRoutePlanRequest& req,
                               v1::RoutePlan* out);

}  // namespace zhiban::domain
