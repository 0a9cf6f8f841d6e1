// Routes for home visits (上门服务路线): a vehicle-routing solver with time
// windows (VRPTW) and an independent feasibility checker (issue 21).
//
// Pure: no I/O, no clock, no globals. The same Problem and seed give the same
// Solution. Times and travel are doubles in one unit of the caller's choosing
// (seconds for the daemon; the Solomon benchmark's own unit in bench/).
//
// Here: the problem and solution types; SolveRoutes (routes.cpp: regret-2
// parallel cheapest insertion, then multi-start local search with 2-opt*,
// 2-opt and relocate, routes_search.cpp; then ruin and recreate under
// simulated annealing, routes_rr.cpp); InsertVisit, one visit into a plan
// already made (routes.cpp, repaired by routes_rr.cpp's focused rounds);
// CheckRoutes (routes_check.cpp, sharing nothing with the solver). The
// daemon wiring is issue 22.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "daemon/base/status.h"

namespace zhiban::domain::routes {

// Travel time between two location indices. Implementations must be pure
// (the same answer for the same pair) and cheap: the solver calls Time in its
// inner loop. Thread-safety: const calls from one thread at a time suffice.
class TravelTimes {
 public:
  virtual ~TravelTimes() = default;
  // REQUIRES: 0 <= from, to < Size().
  virtual double Time(int from, int to) const = 0;
  virtual int Size() const = 0;
};

// A dense row-major matrix: Time(i, j) = times[i * size + j].
class MatrixTravelTimes final : public TravelTimes {
 public:
  // REQUIRES: times.size() == size * size.
  MatrixTravelTimes(int size, std::vector<double> times);
  double Time(int from, int to) const override {
    return times_[static_cast<size_t>(from) * static_cast<size_t>(size_) + static_cast<size_t>(to)];
  }
  int Size() const override { return size_; }

 private:
  int size_;
  std::vector<double> times_;
};

// A closed interval [open, close] of times.
struct TimeWindow {
  double open = 0;
  double close = 0;
};

// How much serving a visit matters. kUrgent (紧急) visits are served before
// anything else is weighed; the others count with their weight (VisitWeight).
enum class Priority { kNormal, kHigh, kUrgent };

int VisitWeight(Priority p);  // 1, 2, 1000

// One home visit (上门服务). The service starts inside one of `windows`
// (arriving early means waiting); it lasts `service`. `demand` uses the
// vehicle's `capacity` (0 for home visits; the Solomon benchmark's load).
struct Visit {
  std::string id;
  int location = 0;
  std::vector<TimeWindow> windows;  // at least one
  double service = 0;
  std::string skill;  // empty: anyone may serve it
  Priority priority = Priority::kNormal;
  double demand = 0;
};

// One staff member (or vehicle): leaves `start_location` no earlier than
// shift.open, returns to `end_location` no later than shift.close.
struct Vehicle {
  std::string id;
  std::vector<std::string> skills;
  TimeWindow shift;
  int start_location = 0;
  int end_location = 0;
  int max_visits = 1 << 30;
  double capacity = 1e300;
};

// REQUIRES of a Problem: `travel` outlives every call that takes the Problem;
// every location index < travel->Size().
struct Problem {
  std::vector<Visit> visits;
  std::vector<Vehicle> vehicles;
  const TravelTimes* travel = nullptr;
};

// One stop: the visit's index in Problem::visits, when the staff member
// arrives, when the service starts (inside a window) and the wait between.
struct Stop {
  int visit = 0;
  double arrival = 0;
  double start = 0;
  double wait = 0;
};

// One vehicle's route. An unused vehicle has no Route in the Solution.
struct Route {
  int vehicle = 0;  // index in Problem::vehicles
  double depart = 0;
  std::vector<Stop> stops;
  double return_at = 0;  // arrival at end_location
  double travel = 0;     // the route's total travel time
};

// Why a visit was left out.
enum class UnservedReason {
  kNoSkilledStaff,  // nobody has the visit's skill
  kUnreachable,     // no skilled staff member reaches a window and returns within the shift
  kOverCapacity,    // its demand exceeds every skilled vehicle's capacity
  kNoRoom,          // it fits an empty route, but every route that could take it is full
};

std::string UnservedReasonText(UnservedReason r);

struct Unserved {
  int visit = 0;
  UnservedReason reason = UnservedReason::kNoRoom;
  std::string text;
};

struct Solution {
  std::vector<Route> routes;
  std::vector<Unserved> unserved;
  double total_travel = 0;
  // The wall-clock cap (SolveOptions::time_cap) stopped the search before its
  // budget: the answer is valid but may differ from run to run.
  bool capped = false;
};

struct SolveOptions {
  uint64_t seed = 1;  // breaks ties among equal insertions
  // Local search: at most this many improving moves after the construction
  // (0: the construction alone).
  int improve_moves = 100000;
  // With local search: constructions improved, the best kept. The first 8
  // are the fixed construction settings; the others draw theirs from `seed`.
  int starts = 32;
  // With local search: rounds of ruin and recreate from the best of the
  // starts (0: none). The budget is counted in rounds, never in time.
  int search_iterations = 20000;
  // A safety net, not the budget: when both are set, the starts and the
  // rounds stop once elapsed() (any monotonic unit, the caller's clock: this
  // code reads none) passes time_cap, and Solution::capped says so. It is
  // read between starts and every 16 rounds: the 8 constructions, the first
  // start and the start under way run to their end.
  std::function<double()> elapsed;
  double time_cap = 0;
};

// Builds a solution: every urgent visit it can serve first, then the others by
// weight, each inserted where it adds the least travel (plus, in some runs, a
// weight on the time it pushes onto the next stop), choosing next the visit
// that would lose the most if its best route were taken (regret-2); ties on
// cost go to the shorter route. A fixed set of such runs (routes.cpp,
// kTimeWeights, with and without lazy route opening) is made and the best by
// the objective kept: urgent served, weighted visits served, travel, spread of
// route durations. Then local search, first improvement, to a local optimum
// or options.improve_moves moves: tails of two routes swapped (2-opt*), a
// stretch of a route reversed (2-opt), a visit moved to where it adds the
// least travel (relocate), each only when it saves travel and still fits;
// granular: tails are swapped only between routes holding one of each
// other's 40 nearest visits, and a visit moves only into a route holding
// one of its own. Then, from the
// best local optimum, options.search_iterations rounds of ruin and recreate (strings of
// visits near a random one taken out of a few routes and put back by cheapest insertion,
// kept under simulated annealing; SISR), local search again, the best by the objective
// kept. Every visit is either in one route or in `unserved` with its reason. REQUIRES:
// problem.travel set; every visit has at least one window.
Solution SolveRoutes(const Problem& problem, const SolveOptions& options = {});

struct InsertOptions {
  uint64_t seed = 1;
  // When the visit fits nowhere as the plan stands: at most this many rounds
  // of ruin and recreate near it (0: none; it stays unserved).
  int repair_rounds = 2000;
};

// Puts one visit into a plan already made (an urgent visit reported at 10:00
// into the day's routes), disturbing it as little as the visit allows.
// `visit` indexes problem.visits and is left out of `plan` (unserved, or new:
// appended to the problem after `plan` was made); `plan` is a Solution of the
// same problem otherwise. Where the visit fits as the routes stand, it goes
// where it adds the least travel and nothing else moves. Where it fits
// nowhere, rounds of ruin and recreate take strings of visits near it out of
// a few routes and put them and it back, urgent first; the first round that
// serves the visit and more by the objective (urgent, then weight) is kept:
// the visit may then take the place of visits that weigh less in all (an
// urgent one of normal or high ones, a high one of a normal one), listed
// unserved; a visit never displaces one of its own weight. Otherwise the
// plan comes back unchanged with the visit unserved and its reason. There
// is no "now" here: a caller whose day is under way passes only the visits
// still to come (issue 22). Deterministic.
Solution InsertVisit(const Problem& problem, const Solution& plan, int visit,
                     const InsertOptions& options = {});

// Recomputes every route from the problem alone (not the solver's
// bookkeeping): each visit routed at most once or else listed unserved;
// vehicle, skill, capacity, visit limit; departure inside the shift; each
// arrival = previous start + service + travel; service start at or after the
// arrival, inside a window; wait = start - arrival; return within the shift;
// route and total travel. Returns the first violation (FailedPrecondition,
// naming route, stop and visit), OK otherwise. Times compare with 1e-6 slack.
Status CheckRoutes(const Problem& problem, const Solution& solution);

}  // namespace zhiban::domain::routes
