// CheckRoutes: the feasibility checker, kept apart from the solver
// (routes.cpp) on purpose. It shares none of the solver's helpers: it walks
// each route forward from the problem and the reported times only, so a slip
// in the solver's bookkeeping cannot hide itself.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "daemon/domain/routes.h"

namespace zhiban::domain::routes {
namespace {

constexpr double kSlack = 1e-6;

bool Near(double a, double b) { return std::fabs(a - b) <= kSlack * std::max(1.0, std::fabs(b)); }

}  // namespace

Status CheckRoutes(const Problem& problem, const Solution& solution) {
  if (problem.travel == nullptr) return Status::FailedPrecondition("travel", "no travel times");
  const TravelTimes& travel = *problem.travel;
  const int n = static_cast<int>(problem.visits.size());
  const int m = static_cast<int>(problem.vehicles.size());
  std::vector<int> seen(static_cast<size_t>(n), 0);
  std::vector<int> vehicle_used(static_cast<size_t>(m), 0);
  double total = 0;

  for (size_t ri = 0; ri < solution.routes.size(); ++ri) {
    const Route& route = solution.routes[ri];
    const std::string where = fmt::format("route {}", ri);
    if (route.vehicle < 0 || route.vehicle >= m)
      return Status::FailedPrecondition(where,
                                        fmt::format("vehicle {} out of range", route.vehicle));
    if (vehicle_used[route.vehicle]++)
      return Status::FailedPrecondition(
          where, fmt::format("vehicle {} has two routes", problem.vehicles[route.vehicle].id));
    const Vehicle& k = problem.vehicles[route.vehicle];
    if (static_cast<long>(route.stops.size()) > static_cast<long>(k.max_visits))
      return Status::FailedPrecondition(where, fmt::format("{} stops, {} may make at most {}",
                                                           route.stops.size(), k.id, k.max_visits));
    if (route.depart < k.shift.open - kSlack)
      return Status::FailedPrecondition(
          where, fmt::format("departs at {} before {}'s shift opens at {}", route.depart, k.id,
                             k.shift.open));
    int here = k.start_location;
    double free_at = route.depart;  // when the staff member may leave `here`
    double load = 0, driven = 0;
    for (size_t si = 0; si < route.stops.size(); ++si) {
      const Stop& stop = route.stops[si];
      const std::string at = fmt::format("route {} stop {}", ri, si);
      if (stop.visit < 0 || stop.visit >= n)
        return Status::FailedPrecondition(at, fmt::format("visit {} out of range", stop.visit));
      const Visit& v = problem.visits[stop.visit];
      if (seen[stop.visit]++)
        return Status::FailedPrecondition(at, fmt::format("visit {} served twice", v.id));
      if (!v.skill.empty() && std::count(k.skills.begin(), k.skills.end(), v.skill) == 0)
        return Status::FailedPrecondition(
            at, fmt::format("visit {} needs skill {}, which {} lacks", v.id, v.skill, k.id));
      load += v.demand;
      if (load > k.capacity + kSlack)
        return Status::FailedPrecondition(
            at,
            fmt::format("load {} over {}'s capacity {} at visit {}", load, k.id, k.capacity, v.id));
      const double leg = travel.Time(here, v.location);
      driven += leg;
      const double arrival = free_at + leg;
      if (!Near(stop.arrival, arrival))
        return Status::FailedPrecondition(
            at, fmt::format("visit {}: arrival {} reported, {} recomputed", v.id, stop.arrival,
                            arrival));
      if (stop.start < arrival - kSlack)
        return Status::FailedPrecondition(
            at, fmt::format("visit {}: service starts at {} before arrival at {}", v.id, stop.start,
                            arrival));
      bool in_window = false;
      for (const TimeWindow& w : v.windows)
        in_window |= stop.start >= w.open - kSlack && stop.start <= w.close + kSlack;
      if (!in_window)
        return Status::FailedPrecondition(
            at,
            fmt::format("visit {}: service starts at {}, outside every window", v.id, stop.start));
      if (!Near(stop.wait, stop.start - arrival))
        return Status::FailedPrecondition(
            at, fmt::format("visit {}: wait {} reported, {} recomputed", v.id, stop.wait,
                            stop.start - arrival));
      here = v.location;
      free_at = stop.start + v.service;
    }
    const double home = travel.Time(here, k.end_location);
    driven += home;
    const double back = free_at + home;
    if (!Near(route.return_at, back))
      return Status::FailedPrecondition(
          where, fmt::format("return at {} reported, {} recomputed", route.return_at, back));
    if (back > k.shift.close + kSlack)
      return Status::FailedPrecondition(
          where,
          fmt::format("returns at {} after {}'s shift closes at {}", back, k.id, k.shift.close));
    if (!Near(route.travel, driven))
      return Status::FailedPrecondition(
          where, fmt::format("travel {} reported, {} recomputed", route.travel, driven));
    total += driven;
  }

  for (const Unserved& u : solution.unserved) {
    if (u.visit < 0 || u.visit >= n)
      return Status::FailedPrecondition("unserved", fmt::format("visit {} out of range", u.visit));
    if (seen[u.visit]++)
      return Status::FailedPrecondition(
          "unserved", fmt::format("visit {} both served and unserved, or listed twice",
                                  problem.visits[u.visit].id));
  }
  for (int v = 0; v < n; ++v)
    if (!seen[v])
      return Status::FailedPrecondition(
          "unserved",
          fmt::format("visit {} neither served nor listed unserved", problem.visits[v].id));
  if (!Near(solution.total_travel, total))
    return Status::FailedPrecondition(
        "total_travel", fmt::format("{} reported, {} recomputed", solution.total_travel, total));
  return Status::Ok();
}

}  // namespace zhiban::domain::routes
