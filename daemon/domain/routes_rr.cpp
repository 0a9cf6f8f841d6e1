// Builder::Search: ruin and recreate (SISR) under simulated annealing.
//
// A round takes strings of visits out of a few routes near one visit (the
// "slack" that lets the rest move), puts every visit that is out back by
// cheapest insertion with blinks, and is kept or undone by the annealing
// rule. Only the routes a round touches are saved and, when undone, put back.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>
#include <vector>

#include "daemon/domain/routes_internal.h"

namespace zhiban::domain::routes::internal {

namespace {

constexpr double kAverageRemoved = 10;  // SISR's c̄: visits taken out a round, on average
constexpr double kMaxString = 10;       // SISR's L^max: the longest string taken out
// The temperature falls from kStartHeat to kEndHeat times the mean leg of
// the first solution (Solomon-scale: about 10 and 0.1 distance units).
constexpr double kStartHeat = 1.0;
constexpr double kEndHeat = 0.01;
constexpr size_t kNeighbours = 100;   // nearest visits kept per visit for the ruin
constexpr uint64_t kFocusSpread = 8;  // with a focus, a round's seed is one of its 8 nearest

}  // namespace

bool Builder::Search(int iterations, uint64_t seed, int focus, const std::function<bool()>& stop) {
  time_weight_ = 0;
  if (iterations <= 0 || n_ == 0) return false;
  std::mt19937_64 rng(seed ^ 0x2545f4914f6cdd1dULL);
  // Every visit's nearest neighbours, nearest first (itself first): the
  // strings of a round are taken near its seed visit.
  const size_t keep = std::min<size_t>(static_cast<size_t>(n_), kNeighbours);
  std::vector<std::vector<int>> near(static_cast<size_t>(n_));
  std::vector<double> d(static_cast<size_t>(n_));
  for (int u = 0; u < n_; ++u) {
    auto& list = near[static_cast<size_t>(u)];
    list.resize(static_cast<size_t>(n_));
    std::iota(list.begin(), list.end(), 0);
    const int from = p_.visits[u].location;
    for (int v = 0; v < n_; ++v) d[v] = v == u ? -1 : t_.Time(from, p_.visits[v].location);
    std::partial_sort(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(keep), list.end(),
                      [&](int a, int b) { return d[a] < d[b] || (d[a] == d[b] && a < b); });
    list.resize(keep);
  }
  // Visits no staff member could serve even alone (skill, load, reach) are
  // not tried again each round.
  std::vector<bool> hopeless(static_cast<size_t>(n_), false);
  for (int u = 0; u < n_; ++u)
    if (!routed_[u]) hopeless[u] = Reason(u) != UnservedReason::kNoRoom;
  if (focus >= 0 && (routed_[focus] || hopeless[focus])) return false;

  std::vector<int> route_of(static_cast<size_t>(n_), -1);
  for (int r = 0; r < m_; ++r)
    for (int u : routes_[r].seq) route_of[u] = r;
  // The objective in order, as SolveRoutes weighs it: urgent visits left
  // out, weight left out, then travel. Rounds that leave out more are
  // undone; the annealing plays on travel alone.
  struct Cost {
    int urgent = 0;
    long weight = 0;
    double travel = 0;
  };
  auto cost = [&] {
    Cost c;
    for (const RouteState& st : routes_) c.travel += st.travel;
    for (int u = 0; u < n_; ++u) {
      if (routed_[u]) continue;
      c.urgent += p_.visits[u].priority == Priority::kUrgent;
      c.weight += VisitWeight(p_.visits[u].priority);
    }
    return c;
  };
  // -1: a serves more than b; 1: less; 0: the same.
  auto served = [](const Cost& a, const Cost& b) {
    if (a.urgent != b.urgent) return a.urgent < b.urgent ? -1 : 1;
    if (a.weight != b.weight) return a.weight < b.weight ? -1 : 1;
    return 0;
  };
  Cost current = cost(), best = current;
  std::vector<std::vector<int>> best_seqs;
  for (const RouteState& st : routes_) best_seqs.push_back(st.seq);
  int legs = 0;
  double travel = 0;
  for (const RouteState& st : routes_) {
    if (st.seq.empty()) continue;
    legs += static_cast<int>(st.seq.size()) + 1;
    travel += st.travel;
  }
  const double leg = legs > 0 && travel > 0 ? travel / legs : 1;
  // With a focus there is no annealing: only rounds that serve more are kept.
  const double hot = kStartHeat * leg, cold = kEndHeat * leg;

  std::vector<std::pair<int, std::vector<int>>> saved;  // routes as they were this round
  auto save = [&](int r) {
    for (const auto& s : saved)
      if (s.first == r) return;
    saved.emplace_back(r, routes_[r].seq);
  };
  std::vector<int> out;
  std::vector<bool> is_out(static_cast<size_t>(n_), false);  // taken out by this round's ruin
  std::vector<bool> ruined(static_cast<size_t>(m_));
  bool stopped = false;
  for (int it = 0; it < iterations; ++it) {
    if (stop && it % 16 == 0 && stop()) {
      stopped = true;
      break;
    }
    const double heat = hot * std::pow(cold / hot, static_cast<double>(it) / iterations);
    saved.clear();
    for (int u : out) is_out[u] = false;
    out.clear();
    // Ruin: strings from up to k routes, nearest the seed visit first.
    int routed = 0, open = 0;
    for (const RouteState& st : routes_) {
      routed += static_cast<int>(st.seq.size());
      open += st.seq.empty() ? 0 : 1;
    }
    if (routed > 0) {
      const double string_max = std::min(kMaxString, static_cast<double>(routed) / open);
      const double routes_max = 4 * kAverageRemoved / (1 + string_max) - 1;
      const int k = static_cast<int>(Unit(rng) * routes_max) + 1;
      int seed_visit = static_cast<int>(rng() % static_cast<uint64_t>(n_));
      if (focus >= 0) {
        // One of the focus's nearest routed visits (near[focus][0] is itself;
        // when none of its nearest is routed, any routed visit).
        const auto& list = near[static_cast<size_t>(focus)];
        const uint64_t spread = std::min<uint64_t>(kFocusSpread, list.size() - 1);
        size_t i = 1 + static_cast<size_t>(spread > 0 ? rng() % spread : 0);
        while (i < list.size() && !routed_[list[i]]) ++i;
        if (i < list.size()) seed_visit = list[i];
      }
      while (!routed_[seed_visit]) seed_visit = (seed_visit + 1) % n_;
      std::fill(ruined.begin(), ruined.end(), false);
      int taken = 0;
      for (int c : near[static_cast<size_t>(seed_visit)]) {
        if (taken >= k) break;
        if (!routed_[c] || ruined[route_of[c]]) continue;
        const int r = route_of[c];
        auto& seq = routes_[r].seq;
        const int len = static_cast<int>(seq.size());
        const double cap = std::min(static_cast<double>(len), string_max);
        const int l = std::min(len, static_cast<int>(Unit(rng) * cap) + 1);
        const int at = static_cast<int>(std::find(seq.begin(), seq.end(), c) - seq.begin());
        const int lo = std::max(0, at - l + 1), hi = std::min(at, len - l);
        const int from = lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo + 1));
        save(r);
        for (int i = from; i < from + l; ++i) {
          out.push_back(seq[i]);
          is_out[seq[i]] = true;
          routed_[seq[i]] = false;
        }
        seq.erase(seq.begin() + from, seq.begin() + from + l);
        Refresh(r);
        ruined[r] = true;
        ++taken;
      }
    }
    bool broken = false;  // travel without the triangle inequality: a removal may not fit
    for (const auto& s : saved) broken |= !routes_[s.first].feasible;
    // Recreate: the visits taken out and any left out before.
    for (int u = 0; u < n_; ++u)
      if (!routed_[u] && !hopeless[u] && !is_out[u] && (focus < 0 || u == focus)) out.push_back(u);
    for (size_t i = out.size(); i > 1; --i)
      std::swap(out[i - 1], out[static_cast<size_t>(rng() % static_cast<uint64_t>(i))]);
    const double order = Unit(rng);
    const int home = p_.vehicles.empty() ? 0 : p_.vehicles[0].start_location;
    auto far = [&](int u) { return t_.Time(home, p_.visits[u].location); };
    if (order < 0.3) {
      std::stable_sort(out.begin(), out.end(),
                       [&](int a, int b) { return p_.visits[a].demand > p_.visits[b].demand; });
    } else if (order < 0.5) {
      std::stable_sort(out.begin(), out.end(), [&](int a, int b) { return far(a) > far(b); });
    } else if (order < 0.6) {
      std::stable_sort(out.begin(), out.end(), [&](int a, int b) { return far(a) < far(b); });
    }
    std::stable_sort(out.begin(), out.end(), [&](int a, int b) {
      return Tier(p_.visits[a].priority) > Tier(p_.visits[b].priority);
    });
    std::vector<bool> offered = Offered();
    for (int u : out) {
      if (broken) break;
      Insertion pick;
      int into = -1;
      for (int r = 0; r < m_; ++r) {
        if (!offered[r]) continue;
        const Insertion in = Best(u, r, &rng);
        if (in.cost < pick.cost - kEps) {
          pick = in;
          into = r;
        }
      }
      if (into < 0) continue;
      save(into);
      const bool opened = routes_[into].seq.empty();
      routes_[into].seq.insert(routes_[into].seq.begin() + pick.pos, u);
      Refresh(into);
      routed_[u] = true;
      route_of[u] = into;
      if (opened) offered = Offered();
    }
    const Cost next = broken ? current : cost();
    const int order_served = served(next, current);
    // With a focus, a round is kept only when it serves the focus and more
    // by the objective; the other visits left out stay out.
    const bool serves_more = focus >= 0 ? routed_[focus] && order_served < 0 : order_served < 0;
    if (!broken &&
        (serves_more || (order_served == 0 && focus < 0 &&
                         next.travel < current.travel - heat * std::log(Unit(rng) + 1e-300)))) {
      current = next;
      const int than_best = served(current, best);
      if (than_best < 0 || (than_best == 0 && current.travel < best.travel - kEps)) {
        best = current;
        for (int r = 0; r < m_; ++r) best_seqs[r] = routes_[r].seq;
      }
      if (focus >= 0 && routed_[focus]) break;
      continue;
    }
    // Undone: the routes this round touched, as they were.
    for (auto& [r, seq] : saved) {
      for (int u : routes_[r].seq) routed_[u] = false;
      routes_[r].seq = std::move(seq);
    }
    for (const auto& s : saved) {
      const int r = s.first;
      for (int u : routes_[r].seq) {
        routed_[u] = true;
        route_of[u] = r;
      }
      Refresh(r);
    }
  }
  routed_.assign(static_cast<size_t>(n_), false);
  for (int r = 0; r < m_; ++r) {
    routes_[r].seq = std::move(best_seqs[r]);
    for (int u : routes_[r].seq) routed_[u] = true;
    Refresh(r);
  }
  return stopped;
}

}  // namespace zhiban::domain::routes::internal
