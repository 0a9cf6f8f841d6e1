// SolveRoutes: regret-2 parallel cheapest insertion (Builder::Run), then local
// search (Builder::Improve: 2-opt*, 2-opt, relocate), over several starts.
//
// Each route keeps, per stop, its service start and the latest arrival at that
// stop that still lets the rest of the route keep its windows and the shift.
// Arrivals downstream only move later when a stop moves later (waiting absorbs
// the rest), so an insertion is feasible exactly when the visit can start in a
// window and the next stop is reached by its latest arrival: O(windows) a test.
// Routes only grow, so a visit that fits no route now never will: it is given
// its reason at once.
#include "daemon/domain/routes.h"
#include "daemon/domain/routes_internal.h"

#include <algorithm>
#include <cassert>
#include <iterator>
#include <limits>
#include <random>
#include <tuple>
#include <utility>

namespace zhiban::domain::routes {

MatrixTravelTimes::MatrixTravelTimes(int size, std::vector<double> times)
    : size_(size), times_(std::move(times)) {
  assert(times_.size() == static_cast<size_t>(size) * static_cast<size_t>(size));
}

int VisitWeight(Priority p) {
  switch (p) {
    case Priority::kNormal:
      return 1;
    case Priority::kHigh:
      return 2;
    case Priority::kUrgent:
      return 1000;
  }
  return 1;
}

std::string UnservedReasonText(UnservedReason r) {
  switch (r) {
    case UnservedReason::kNoSkilledStaff:
      return "no staff member has the required skill";
    case UnservedReason::kUnreachable:
      return "no skilled staff member can reach it within a time window and return within the "
             "shift";
    case UnservedReason::kOverCapacity:
      return "its demand exceeds the capacity of every skilled staff member";
    case UnservedReason::kNoRoom:
      return "every staff member who could serve it is fully booked";
  }
  return "unknown";
}

namespace internal {

Builder::Builder(const Problem& p, uint64_t seed, double time_weight, double noise)
    : p_(p),
      time_weight_(time_weight),
      t_(*p.travel),
      n_(static_cast<int>(p.visits.size())),
      m_(static_cast<int>(p.vehicles.size())),
      routes_(static_cast<size_t>(m_)),
      cache_(static_cast<size_t>(n_) * static_cast<size_t>(m_)),
      routed_(static_cast<size_t>(n_), false),
      dropped_(static_cast<size_t>(n_), false),
      rank_(static_cast<size_t>(n_)) {
  // Vehicles of one kind are interchangeable while empty: only the first
  // empty one of each kind is offered, so regret is not zero by symmetry.
  kind_.assign(static_cast<size_t>(m_), -1);
  for (int r = 0; r < m_; ++r) {
    if (kind_[r] >= 0) continue;
    kind_[r] = r;
    for (int s = r + 1; s < m_; ++s)
      if (kind_[s] < 0 && SameKind(p.vehicles[r], p.vehicles[s])) kind_[s] = r;
  }
  for (int r = 0; r < m_; ++r) Refresh(r);
  // A seeded order breaks exact ties; mt19937_64's outputs are fixed by the
  // standard, unlike its distributions.
  for (int u = 0; u < n_; ++u) rank_[u] = u;
  std::mt19937_64 rng(seed);
  for (int i = n_ - 1; i > 0; --i)
    std::swap(rank_[i], rank_[static_cast<int>(rng() % static_cast<uint64_t>(i + 1))]);
  noise_.assign(static_cast<size_t>(n_), 1.0);
  if (noise > 0)
    for (int u = 0; u < n_; ++u) noise_[u] = 1 + noise * (2 * Unit(rng) - 1);
  for (int u = 0; u < n_; ++u)
    for (int r = 0; r < m_; ++r) Cache(u, r) = Best(u, r);
}

Solution Builder::Run(bool lazy) {
  // Per visit, its cheapest route r1 (cost c1; ties to the shorter route),
  // the next cheapest cost c2 and its route r2 and, when opening lazily, the
  // cheapest empty route e (cost e1). An insertion changes one route's
  // costs (and may offer the next empty vehicle of its kind): a visit's
  // summary is recomputed over every route only when that route was one of
  // its r1, r2, e; otherwise the changed costs are offered to it.
  struct Top {
    double c1 = kInf, c2 = kInf, e1 = kInf;
    int r1 = -1, r2 = -1, e = -1;
  };
  std::vector<Top> top(static_cast<size_t>(n_));
  std::vector<bool> offered = Offered();
  auto offer = [&](Top& t, int u, int r) {
    if (!offered[r]) return;
    const double c = Cache(u, r).cost;
    if (c == kInf) return;
    if (lazy && routes_[r].seq.empty()) {
      if (t.e < 0 || c < t.e1 - kEps) {
        t.e1 = c;
        t.e = r;
      }
      return;
    }
    if (t.r1 < 0 || c < t.c1 - kEps ||
        (c <= t.c1 + kEps && routes_[r].duration < routes_[t.r1].duration)) {
      if (t.r1 >= 0) {
        t.c2 = t.c1;
        t.r2 = t.r1;
      }
      t.c1 = c;
      t.r1 = r;
    } else if (c < t.c2) {
      t.c2 = c;
      t.r2 = r;
    }
  };
  auto recompute = [&](int u) {
    Top& t = top[static_cast<size_t>(u)];
    t = Top{};
    for (int r = 0; r < m_; ++r) offer(t, u, r);
  };
  for (int u = 0; u < n_; ++u)
    if (!routed_[u] && !dropped_[u]) recompute(u);
  for (;;) {
    int pick = -1, pick_route = -1, seed = -1, seed_route = -1;
    std::tuple<int, double, double, int> pick_key{}, seed_key{};
    for (int u = 0; u < n_; ++u) {
      if (routed_[u] || dropped_[u]) continue;
      const Top& t = top[static_cast<size_t>(u)];
      const int tier = Tier(p_.visits[u].priority);
      if (t.r1 >= 0) {
        const double regret = t.c2 == kInf ? kOnlyChoice : (t.c2 - t.c1) * noise_[u];
        std::tuple<int, double, double, int> key{tier, regret, -t.c1, -rank_[u]};
        if (pick < 0 || key > pick_key) {
          pick = u;
          pick_route = t.r1;
          pick_key = key;
        }
      } else if (t.e >= 0) {
        std::tuple<int, double, double, int> key{tier, t.e1 * noise_[u], 0, -rank_[u]};
        if (seed < 0 || key > seed_key) {
          seed = u;
          seed_route = t.e;
          seed_key = key;
        }
      } else {
        dropped_[u] = true;
      }
    }
    if (seed >= 0 && (pick < 0 || std::get<0>(seed_key) > std::get<0>(pick_key))) {
      pick = seed;
      pick_route = seed_route;
    }
    if (pick < 0) break;
    Insert(pick, pick_route, Cache(pick, pick_route).pos);
    const std::vector<bool> was = offered;
    offered = Offered();
    std::vector<int> fresh;  // the empty vehicle offered in the opened one's place
    for (int r = 0; r < m_; ++r)
      if (offered[r] && !was[r]) fresh.push_back(r);
    for (int u = 0; u < n_; ++u) {
      if (routed_[u] || dropped_[u]) continue;
      Top& t = top[static_cast<size_t>(u)];
      if (t.r1 == pick_route || t.r2 == pick_route || t.e == pick_route) {
        recompute(u);
        continue;
      }
      offer(t, u, pick_route);
      for (int r : fresh) offer(t, u, r);
    }
  }
  return Output();
}

Insertion& Builder::Cache(int u, int r) {
  return cache_[static_cast<size_t>(u) * static_cast<size_t>(m_) + static_cast<size_t>(r)];
}

std::vector<bool> Builder::Offered() const {
  std::vector<bool> offered(static_cast<size_t>(m_), false), kind_open(offered);
  for (int r = 0; r < m_; ++r) {
    if (!routes_[r].seq.empty()) {
      offered[r] = true;
    } else if (!kind_open[kind_[r]]) {
      offered[r] = true;
      kind_open[kind_[r]] = true;
    }
  }
  return offered;
}

void Builder::Refresh(int r) {
  const Vehicle& k = p_.vehicles[r];
  RouteState& st = routes_[r];
  const size_t len = st.seq.size();
  st.start.assign(len, 0);
  st.latest.assign(len + 1, 0);
  int loc = k.start_location;
  double time = k.shift.open;
  st.load = 0;
  st.travel = 0;
  for (size_t i = 0; i < len; ++i) {
    const Visit& v = p_.visits[st.seq[i]];
    st.travel += t_.Time(loc, v.location);
    st.start[i] = EarliestStart(v, time + t_.Time(loc, v.location));
    time = st.start[i] + v.service;
    loc = v.location;
    st.load += v.demand;
  }
  st.travel += t_.Time(loc, k.end_location);
  st.duration = time + t_.Time(loc, k.end_location) - k.shift.open;
  st.feasible = time + t_.Time(loc, k.end_location) <= k.shift.close + kEps;
  st.latest[len] = k.shift.close;
  int next = k.end_location;
  for (size_t i = len; i-- > 0;) {
    const Visit& v = p_.visits[st.seq[i]];
    st.latest[i] = LatestArrival(v, st.latest[i + 1] - t_.Time(v.location, next) - v.service);
    next = v.location;
  }
}

Insertion Builder::Best(int u, int r, std::mt19937_64* blink) const {
  const Visit& v = p_.visits[u];
  const Vehicle& k = p_.vehicles[r];
  const RouteState& st = routes_[r];
  Insertion best;
  if (!HasSkill(k, v.skill) || st.load + v.demand > k.capacity + kEps ||
      static_cast<int>(st.seq.size()) >= k.max_visits)
    return best;
  const double last_close = LastClose(v);
  const int len = static_cast<int>(st.seq.size());
  int prev = k.start_location;
  double done = k.shift.open;
  for (int pos = 0; pos <= len; ++pos) {
    if (pos > 0) {
      const Visit& pv = p_.visits[st.seq[pos - 1]];
      prev = pv.location;
      done = st.start[pos - 1] + pv.service;
    }
    if (done > last_close + kEps) break;  // later positions only start later
    if (blink && Unit(*blink) < kBlinkRate) continue;
    const int next = pos < len ? p_.visits[st.seq[pos]].location : k.end_location;
    const double to_u = t_.Time(prev, v.location);
    const double s = EarliestStart(v, done + to_u);
    if (s == kInf) continue;
    const double from_u = t_.Time(v.location, next);
    if (s + v.service + from_u > st.latest[pos] + kEps) continue;
    // The detour, plus (weighted) how much later the next stop is reached:
    // time used up now is room lost for later visits.
    const double detour = to_u + from_u - t_.Time(prev, next);
    const double push = s + v.service + from_u - (done + t_.Time(prev, next));
    const double cost = detour + time_weight_ * push;
    if (cost < best.cost - kEps) best = {cost, pos};
  }
  return best;
}

void Builder::Insert(int u, int r, int pos) {
  RouteState& st = routes_[r];
  st.seq.insert(st.seq.begin() + pos, u);
  routed_[u] = true;
  Refresh(r);
  for (int w = 0; w < n_; ++w)
    if (!routed_[w] && !dropped_[w]) Cache(w, r) = Best(w, r);
}

UnservedReason Builder::Reason(int u) const {
  const Visit& v = p_.visits[u];
  bool skilled = false, fits_load = false, reachable = false;
  for (int r = 0; r < m_; ++r) {
    const Vehicle& k = p_.vehicles[r];
    if (!HasSkill(k, v.skill)) continue;
    skilled = true;
    if (v.demand > k.capacity + kEps) continue;
    fits_load = true;
    const double s = EarliestStart(v, k.shift.open + t_.Time(k.start_location, v.location));
    if (s != kInf && s + v.service + t_.Time(v.location, k.end_location) <= k.shift.close + kEps)
      reachable = true;
  }
  if (!skilled) return UnservedReason::kNoSkilledStaff;
  if (!fits_load) return UnservedReason::kOverCapacity;
  if (!reachable) return UnservedReason::kUnreachable;
  return UnservedReason::kNoRoom;
}

void Builder::Load(const Solution& s) {
  for (RouteState& st : routes_) st.seq.clear();
  routed_.assign(static_cast<size_t>(n_), false);
  for (const Route& route : s.routes) {
    for (const Stop& stop : route.stops) {
      assert(route.vehicle >= 0 && route.vehicle < m_ && stop.visit >= 0 && stop.visit < n_);
      routes_[route.vehicle].seq.push_back(stop.visit);
      routed_[stop.visit] = true;
    }
  }
  for (int r = 0; r < m_; ++r) Refresh(r);
}

bool Builder::InsertCheapest(int u) {
  const std::vector<bool> offered = Offered();
  Insertion pick;
  int into = -1;
  for (int r = 0; r < m_; ++r) {
    if (!offered[r]) continue;
    const Insertion in = Best(u, r);
    if (in.cost < pick.cost - kEps || (in.cost <= pick.cost + kEps && into >= 0 && in.cost < kInf &&
                                       routes_[r].duration < routes_[into].duration)) {
      pick = in;
      into = r;
    }
  }
  if (into < 0) return false;
  RouteState& st = routes_[into];
  st.seq.insert(st.seq.begin() + pick.pos, u);
  routed_[u] = true;
  Refresh(into);
  return true;
}

Solution Builder::Output() const {
  Solution out;
  for (int r = 0; r < m_; ++r) {
    const RouteState& st = routes_[r];
    if (st.seq.empty()) continue;
    const Vehicle& k = p_.vehicles[r];
    Route route;
    route.vehicle = r;
    route.depart = k.shift.open;
    int loc = k.start_location;
    double done = k.shift.open;
    for (size_t i = 0; i < st.seq.size(); ++i) {
      const Visit& v = p_.visits[st.seq[i]];
      const double leg = t_.Time(loc, v.location);
      Stop stop;
      stop.visit = st.seq[i];
      stop.arrival = done + leg;
      stop.start = st.start[i];
      stop.wait = stop.start - stop.arrival;
      route.stops.push_back(stop);
      route.travel += leg;
      done = stop.start + v.service;
      loc = v.location;
    }
    const double home = t_.Time(loc, k.end_location);
    route.travel += home;
    route.return_at = done + home;
    out.total_travel += route.travel;
    out.routes.push_back(std::move(route));
  }
  for (int u = 0; u < n_; ++u) {
    if (routed_[u]) continue;
    const UnservedReason why = Reason(u);
    out.unserved.push_back({u, why, UnservedReasonText(why)});
  }
  return out;
}

}  // namespace internal

using internal::Builder;
using internal::kEps;
using internal::kInf;
using internal::Unit;

namespace {

// The objective, best first: urgent visits served, weighted visits served,
// least travel, then the least spread of route durations.
struct Score {
  int urgent = 0;
  long weight = 0;
  double travel = 0;
  double spread = 0;
};

Score Evaluate(const Problem& p, const Solution& s) {
  Score sc;
  double lo = kInf, hi = -kInf;
  for (const Route& r : s.routes) {
    for (const Stop& st : r.stops) {
      const Priority pr = p.visits[st.visit].priority;
      sc.urgent += pr == Priority::kUrgent;
      sc.weight += VisitWeight(pr);
    }
    lo = std::min(lo, r.return_at - r.depart);
    hi = std::max(hi, r.return_at - r.depart);
  }
  sc.travel = s.total_travel;
  sc.spread = s.routes.empty() ? 0 : hi - lo;
  return sc;
}

bool Better(const Score& a, const Score& b) {
  if (a.urgent != b.urgent) return a.urgent > b.urgent;
  if (a.weight != b.weight) return a.weight > b.weight;
  if (a.travel < b.travel - kEps) return true;
  if (a.travel > b.travel + kEps) return false;
  return a.spread < b.spread - kEps;
}

// How much the time pushed onto the next stop counts against an insertion,
// per construction run: 0 is plain cheapest insertion; the others keep slack
// for visits with later windows. Measured on the Solomon set (bench/README.md).
constexpr double kTimeWeights[] = {0, 0.2, 0.5, 1.0};

}  // namespace

Solution SolveRoutes(const Problem& problem, const SolveOptions& options) {
  assert(problem.travel != nullptr);
  constexpr int kRuns = 2 * static_cast<int>(std::size(kTimeWeights));
  // The safety net: stops further starts and rounds once the caller's clock
  // passes the cap; the answer says so.
  const bool guarded = options.elapsed && options.time_cap > 0;
  bool capped = false;
  auto over = [&] {
    if (guarded && !capped && options.elapsed() > options.time_cap) capped = true;
    return capped;
  };
  Solution best;
  Score best_score;
  int best_run = -1;
  for (int run = 0; run < kRuns; ++run) {
    Solution s = Builder(problem, options.seed, kTimeWeights[run / 2]).Run(run % 2 == 1);
    const Score sc = Evaluate(problem, s);
    if (best_run < 0 || Better(sc, best_score)) {
      best = std::move(s);
      best_score = sc;
      best_run = run;
    }
  }
  if (options.improve_moves <= 0 || over()) {
    best.capped = capped;
    return best;
  }
  // Each start is a construction improved in place by local search; the best
  // local optimum is kept. The first kRuns are the fixed settings above, the
  // rest draw a time weight, lazy opening and regret noise from the seed.
  std::mt19937_64 rng(options.seed ^ 0x9e3779b97f4a7c15ULL);
  // The best construction stays the answer unless a start beats it (when the
  // cap stops the starts early, no start is taken for lack of one).
  for (int run = 0; run < std::max(options.starts, 1); ++run) {
    if (run > 0 && over()) break;
    const bool fixed = run < kRuns;
    const double weight = fixed ? kTimeWeights[run / 2] : Unit(rng);
    const bool lazy = fixed ? run % 2 == 1 : (rng() & 1) == 1;
    Builder b(problem, options.seed + static_cast<uint64_t>(run), weight, fixed ? 0 : 0.3);
    b.Run(lazy);
    b.Improve(options.improve_moves);
    Solution s = b.Output();
    const Score sc = Evaluate(problem, s);
    if (Better(sc, best_score)) {
      best = std::move(s);
      best_score = sc;
    }
  }
  if (options.search_iterations > 0 && !over()) {
    // Ruin and recreate from the best local optimum, then local search on
    // what it found.
    Builder b(problem, options.seed, 0);
    b.Load(best);
    if (b.Search(options.search_iterations, options.seed, -1, over)) capped = true;
    if (!capped) b.Improve(options.improve_moves);
    Solution s = b.Output();
    if (Better(Evaluate(problem, s), best_score)) best = std::move(s);
  }
  best.capped = capped;
  return best;
}

Solution InsertVisit(const Problem& problem, const Solution& plan, int visit,
                     const InsertOptions& options) {
  assert(problem.travel != nullptr);
  assert(visit >= 0 && visit < static_cast<int>(problem.visits.size()));
  Builder b(problem, options.seed, 0);
  b.Load(plan);
  for (const Route& r : plan.routes)
    for (const Stop& st : r.stops)
      if (st.visit == visit) return b.Output();  // already in the plan
  if (!b.InsertCheapest(visit) && options.repair_rounds > 0)
    b.Search(options.repair_rounds, options.seed, visit);
  return b.Output();
}

}  // namespace zhiban::domain::routes
