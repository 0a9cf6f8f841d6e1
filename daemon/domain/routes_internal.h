// What routes.cpp (the construction, SolveRoutes) and routes_search.cpp (the
// local search) share: the solver's route bookkeeping. routes_check.cpp must
// not include this: the checker shares nothing with the solver.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "daemon/domain/routes.h"

namespace zhiban::domain::routes::internal {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kEps = 1e-9;
// The regret of a visit that fits only one route: it goes before any visit
// with a choice.
constexpr double kOnlyChoice = 1e15;
// How often a recreate passes a position over (SISR's blink rate).
constexpr double kBlinkRate = 0.01;
// The local search's granularity: a move is tried only into a route that
// holds one of the kNearVisits nearest visits of the visits moved (every
// route, when there are no more visits than that).
constexpr size_t kNearVisits = 40;

// The earliest service start at or after arrival `a`, or kInf if every window
// has closed.
inline double EarliestStart(const Visit& v, double a) {
  double best = kInf;
  for (const TimeWindow& w : v.windows) {
    if (a <= w.close + kEps) best = std::min(best, std::max(a, w.open));
  }
  return best;
}

// The latest arrival whose service start is at or before `limit`, or -kInf.
inline double LatestArrival(const Visit& v, double limit) {
  double best = -kInf;
  for (const TimeWindow& w : v.windows) {
    if (w.open <= limit + kEps) best = std::max(best, std::min(w.close, limit));
  }
  return best;
}

inline double LastClose(const Visit& v) {
  double c = -kInf;
  for (const TimeWindow& w : v.windows) c = std::max(c, w.close);
  return c;
}

inline bool HasSkill(const Vehicle& k, const std::string& skill) {
  return skill.empty() || std::find(k.skills.begin(), k.skills.end(), skill) != k.skills.end();
}

inline bool SameKind(const Vehicle& a, const Vehicle& b) {
  auto sa = a.skills, sb = b.skills;
  std::sort(sa.begin(), sa.end());
  std::sort(sb.begin(), sb.end());
  return sa == sb && a.shift.open == b.shift.open && a.shift.close == b.shift.close &&
         a.start_location == b.start_location && a.end_location == b.end_location &&
         a.max_visits == b.max_visits && a.capacity == b.capacity;
}

// A double in [0, 1) from the generator's raw output (fixed by the standard,
// unlike std::uniform_real_distribution's).
inline double Unit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

inline int Tier(Priority p) { return p == Priority::kUrgent ? 2 : p == Priority::kHigh ? 1 : 0; }

struct RouteState {
  std::vector<int> seq;        // visit indices
  std::vector<double> start;   // service start per stop
  std::vector<double> latest;  // latest feasible arrival per stop; [seq.size()] is the end
  double load = 0;
  double duration = 0;  // return - shift open
  double travel = 0;
  bool feasible = true;  // every start in a window, back within the shift
};

struct Insertion {
  double cost = kInf;
  int pos = -1;
};

class Builder {
 public:
  // `noise` > 0 scales each visit's regret by a factor drawn from the seed
  // in [1 - noise, 1 + noise], so starts with other seeds take other orders.
  Builder(const Problem& p, uint64_t seed, double time_weight, double noise = 0);

  // With `lazy`, regret is taken among the routes already open, and a new
  // route is opened only when no remaining visit fits an open one, seeded
  // with the visit that costs most to reach (Solomon's I1 seed): this keeps
  // one-customer routes from being opened early for visits an open route
  // would take later.
  Solution Run(bool lazy);

  // Local search, first improvement, in rounds: a pass of 2-opt* over the
  // pairs of routes near each other, a pass of 2-opt in each route, then
  // relocate — each routed visit (in the seeded order) taken out and put
  // back where it adds the least travel, in its own route, a route holding
  // one of its nearest visits or an empty one, when that saves travel. Stops at a local
  // optimum or after `budget` moves; never unserves a visit. Returns the
  // moves made.
  int Improve(int budget);

  // The routes built so far as a Solution, with the reason of each visit left out.
  Solution Output() const;

  // Puts `s`'s routes in place of this builder's (a search from a solution
  // built by another builder).
  void Load(const Solution& s);

  // Ruin and recreate (SISR: Christiaens & Vanden Berghe, "Slack induction
  // by string removals for vehicle routing problems", 2020) under simulated
  // annealing, for `iterations` rounds drawn from `seed`: strings of visits
  // near a random visit are taken out of a few routes, then every visit left
  // out is put back where it adds the least travel (a position skipped now
  // and then: blinks), in a random, far-first, close-first or heaviest-first
  // order, urgent visits first. A round that leaves out more (urgent visits,
  // then weight) is undone, one that serves more kept; between equals, its
  // travel must beat the current one by the temperature's random margin.
  // The best solution seen is kept. With `focus` (a visit left out), every
  // round ruins near it, only better rounds are kept (no annealing) and the
  // search ends with the first round that serves it. With `stop`, the rounds
  // end early once it returns true (checked every few rounds); returns
  // whether it did. In routes_rr.cpp.
  bool Search(int iterations, uint64_t seed, int focus = -1,
              const std::function<bool()>& stop = nullptr);

  // Puts visit u where it adds the least travel among the routes offered;
  // false when it fits none.
  bool InsertCheapest(int u);

 private:
  // Whether vehicle r can drive `seq` as it stands: skills, load, visit
  // limit, windows, back within the shift.
  bool Fits(int r, const std::vector<int>& seq) const;

  // The location of route r's i-th stop.
  int Loc(int r, int i) const { return p_.visits[routes_[r].seq[static_cast<size_t>(i)]].location; }

  // 2-opt* (Potvin & Rousseau): cut two routes and swap their tails, when
  // that saves travel and both still fit. One pass over every pair of routes
  // a < b where b holds one of the nearest visits of a's, and every cut,
  // first improvement; returns the moves made (at most `budget`).
  int SwapTails(int budget);

  double SeqTravel(int r, const std::vector<int>& seq) const;

  // 2-opt within a route: reverse a stretch when that saves travel and the
  // route still fits. The quick test assumes symmetric travel; the exact
  // travel of the reversed route decides. First improvement, one pass.
  int Reverse(int budget);

  Insertion& Cache(int u, int r);

  // Each visit's kNearVisits nearest other visits, computed on first use.
  const std::vector<int>& Near(int u);

  // Which route each routed visit is in (-1: none), for the granular moves.
  std::vector<int> RouteOf() const;

  // The routes holding a visit near one of route r's (by Near), as marks.
  // One way: a route whose visits have r's among their nearest, but not
  // the other way round (travel need not be symmetric), is not marked.
  std::vector<bool> NearRoutes(int r, const std::vector<int>& route_of);

  // Offered: every non-empty route, and the first empty vehicle of each kind.
  std::vector<bool> Offered() const;

  // Recomputes route r's starts and latest arrivals from its sequence.
  void Refresh(int r);

  // The cheapest feasible position for visit u in route r. With `blink`,
  // each position is passed over with a small probability drawn from it.
  Insertion Best(int u, int r, std::mt19937_64* blink = nullptr) const;

  void Insert(int u, int r, int pos);

  UnservedReason Reason(int u) const;

  const Problem& p_;
  double time_weight_;
  const TravelTimes& t_;
  const int n_, m_;
  std::vector<RouteState> routes_;
  std::vector<Insertion> cache_;  // [visit * m + route]
  std::vector<bool> routed_, dropped_;
  std::vector<int> rank_;
  std::vector<double> noise_;           // per visit, scales its regret
  std::vector<int> kind_;               // the first vehicle of each vehicle's kind
  std::vector<std::vector<int>> near_;  // per visit, by Near
};

}  // namespace zhiban::domain::routes::internal
