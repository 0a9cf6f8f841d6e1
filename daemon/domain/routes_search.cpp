// Builder's local search: 2-opt* (SwapTails), 2-opt (Reverse) and relocate
// (in Improve), each applied when it saves travel and the routes still fit.
#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include "daemon/domain/routes_internal.h"

namespace zhiban::domain::routes::internal {

const std::vector<int>& Builder::Near(int u) {
  if (near_.empty()) {
    near_.resize(static_cast<size_t>(n_));
    const size_t keep = std::min(kNearVisits, static_cast<size_t>(std::max(n_ - 1, 0)));
    std::vector<double> d(static_cast<size_t>(n_));
    for (int a = 0; a < n_; ++a) {
      std::vector<int> list;
      list.reserve(static_cast<size_t>(n_));
      const int from = p_.visits[a].location;
      for (int b = 0; b < n_; ++b) {
        if (b == a) continue;
        list.push_back(b);
        d[b] = t_.Time(from, p_.visits[b].location);
      }
      std::partial_sort(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(keep), list.end(),
                        [&](int x, int y) { return d[x] < d[y] || (d[x] == d[y] && x < y); });
      list.resize(keep);
      near_[a] = std::move(list);
    }
  }
  return near_[static_cast<size_t>(u)];
}

std::vector<int> Builder::RouteOf() const {
  std::vector<int> route_of(static_cast<size_t>(n_), -1);
  for (int r = 0; r < m_; ++r)
    for (int u : routes_[r].seq) route_of[u] = r;
  return route_of;
}

std::vector<bool> Builder::NearRoutes(int r, const std::vector<int>& route_of) {
  std::vector<bool> close(static_cast<size_t>(m_), false);
  for (int u : routes_[r].seq)
    for (int v : Near(u))
      if (route_of[v] >= 0) close[route_of[v]] = true;
  return close;
}

int Builder::Improve(int budget) {
  time_weight_ = 0;  // from here on, travel alone
  std::vector<int> order;
  for (int u = 0; u < n_; ++u)
    if (routed_[u]) order.push_back(u);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return rank_[a] < rank_[b]; });
  int moves = 0;
  for (bool improved = true; improved && moves < budget;) {
    improved = false;
    const int before_tails = moves;
    moves += SwapTails(budget - moves);
    if (moves < budget) moves += Reverse(budget - moves);
    improved = moves > before_tails;
    std::vector<int> route_of = RouteOf();
    std::vector<bool> near_route(static_cast<size_t>(m_));
    for (int u : order) {
      if (moves >= budget) break;
      const int a = route_of[u];
      const auto& seq_a = routes_[a].seq;
      const int idx = static_cast<int>(std::find(seq_a.begin(), seq_a.end(), u) - seq_a.begin());
      // Granular: only the routes that hold one of u's nearest visits (and
      // the empty ones offered).
      std::fill(near_route.begin(), near_route.end(), false);
      for (int v : Near(u))
        if (route_of[v] >= 0) near_route[route_of[v]] = true;
      const double before = routes_[a].travel;
      routes_[a].seq.erase(routes_[a].seq.begin() + idx);
      Refresh(a);
      const double gain = before - routes_[a].travel;
      int best_r = -1;
      Insertion best;
      if (routes_[a].feasible) {
        const std::vector<bool> offered = Offered();
        for (int r = 0; r < m_; ++r) {
          if (!offered[r] || (!near_route[r] && r != a && !routes_[r].seq.empty())) continue;
          const Insertion in = Best(u, r);
          if (in.cost < best.cost - kEps) {
            best = in;
            best_r = r;
          }
        }
      }
      if (best_r >= 0 && best.cost < gain - 1e-7) {
        routes_[best_r].seq.insert(routes_[best_r].seq.begin() + best.pos, u);
        Refresh(best_r);
        route_of[u] = best_r;
        ++moves;
        improved = true;
      } else {
        routes_[a].seq.insert(routes_[a].seq.begin() + idx, u);
        Refresh(a);
      }
    }
  }
  return moves;
}

bool Builder::Fits(int r, const std::vector<int>& seq) const {
  const Vehicle& k = p_.vehicles[r];
  if (static_cast<int>(seq.size()) > k.max_visits) return false;
  double load = 0, time = k.shift.open;
  int loc = k.start_location;
  for (int u : seq) {
    const Visit& v = p_.visits[u];
    load += v.demand;
    if (!HasSkill(k, v.skill) || load > k.capacity + kEps) return false;
    time = EarliestStart(v, time + t_.Time(loc, v.location));
    if (time == kInf) return false;
    time += v.service;
    loc = v.location;
  }
  return time + t_.Time(loc, k.end_location) <= k.shift.close + kEps;
}

int Builder::SwapTails(int budget) {
  int moves = 0;
  std::vector<int> route_of = RouteOf();
  for (int a = 0; a < m_ && moves < budget; ++a) {
    if (routes_[a].seq.empty()) continue;
    // Granular: only the routes near this one, marked once per route a (a
    // filter on which pairs are tried, not a condition of correctness).
    const std::vector<bool> close = NearRoutes(a, route_of);
    for (int b = a + 1; b < m_ && moves < budget; ++b) {
      if (routes_[a].seq.empty() || routes_[b].seq.empty() || !close[b]) continue;
      const Vehicle& ka = p_.vehicles[a];
      const Vehicle& kb = p_.vehicles[b];
      // With the same end and closing time, a route's latest arrivals hold
      // for the other's head too: the windows are tested in O(1) before
      // the sequences are built (Fits still decides skills and load).
      const bool same_end = ka.end_location == kb.end_location && ka.shift.close == kb.shift.close;
      std::vector<int> prev_b(1), head_b(1);
      std::vector<double> cut_b(1);
      bool moved = true;
      while (moved && moves < budget) {
        moved = false;
        const RouteState& ra = routes_[a];
        const RouteState& rb = routes_[b];
        const int la = static_cast<int>(ra.seq.size());
        const int lb = static_cast<int>(rb.seq.size());
        const int last_a = Loc(a, la - 1), last_b = Loc(b, lb - 1);
        // Per cut j of b: the edge cut and what moving b's tail to a's end costs.
        prev_b.resize(static_cast<size_t>(lb) + 1);
        head_b.resize(prev_b.size());
        cut_b.resize(prev_b.size());
        for (int j = 0; j <= lb; ++j) {
          prev_b[j] = j == 0 ? kb.start_location : Loc(b, j - 1);
          head_b[j] = j < lb ? Loc(b, j) : kb.end_location;
          cut_b[j] = -t_.Time(prev_b[j], head_b[j]);
          if (j < lb)
            cut_b[j] += t_.Time(last_b, ka.end_location) - t_.Time(last_b, kb.end_location);
        }
        for (int i = 0; i <= la && !moved; ++i) {
          const int prev_a = i == 0 ? ka.start_location : Loc(a, i - 1);
          const int head_a = i < la ? Loc(a, i) : ka.end_location;
          const double done_a =
              i == 0 ? ka.shift.open : ra.start[i - 1] + p_.visits[ra.seq[i - 1]].service;
          double cut_a = -t_.Time(prev_a, head_a);
          if (i < la) cut_a += t_.Time(last_a, kb.end_location) - t_.Time(last_a, ka.end_location);
          for (int j = 0; j <= lb && !moved; ++j) {
            if ((i == la && j == lb) || (i == 0 && j == 0)) continue;
            // a keeps its head and takes b's tail (ending at a's end), and
            // the other way round.
            const double to_b = t_.Time(prev_a, j < lb ? head_b[j] : ka.end_location);
            const double to_a = t_.Time(prev_b[j], i < la ? head_a : kb.end_location);
            const double delta = cut_a + cut_b[j] + to_b + to_a;
            if (delta > -1e-7) continue;
            if (same_end) {
              const double done_b =
                  j == 0 ? kb.shift.open : rb.start[j - 1] + p_.visits[rb.seq[j - 1]].service;
              if (done_a + to_b > rb.latest[j] + kEps || done_b + to_a > ra.latest[i] + kEps)
                continue;
            }
            const auto& sa = ra.seq;
            const auto& sb = rb.seq;
            std::vector<int> na(sa.begin(), sa.begin() + i), nb(sb.begin(), sb.begin() + j);
            na.insert(na.end(), sb.begin() + j, sb.end());
            nb.insert(nb.end(), sa.begin() + i, sa.end());
            if (!Fits(a, na) || !Fits(b, nb)) continue;
            routes_[a].seq = std::move(na);
            routes_[b].seq = std::move(nb);
            for (int u : routes_[a].seq) route_of[u] = a;
            for (int u : routes_[b].seq) route_of[u] = b;
            Refresh(a);
            Refresh(b);
            ++moves;
            moved = true;
          }
        }
        if (routes_[a].seq.empty() || routes_[b].seq.empty()) break;
      }
    }
  }
  return moves;
}

double Builder::SeqTravel(int r, const std::vector<int>& seq) const {
  const Vehicle& k = p_.vehicles[r];
  double sum = 0;
  int loc = k.start_location;
  for (int u : seq) {
    sum += t_.Time(loc, p_.visits[u].location);
    loc = p_.visits[u].location;
  }
  return sum + t_.Time(loc, k.end_location);
}

int Builder::Reverse(int budget) {
  int moves = 0;
  for (int r = 0; r < m_ && moves < budget; ++r) {
    const Vehicle& k = p_.vehicles[r];
    for (bool moved = true; moved && moves < budget;) {
      moved = false;
      const int len = static_cast<int>(routes_[r].seq.size());
      for (int i = 0; i + 1 < len && !moved; ++i) {
        const int prev = i == 0 ? k.start_location : Loc(r, i - 1);
        for (int j = i + 1; j < len && !moved; ++j) {
          const int next = j + 1 < len ? Loc(r, j + 1) : k.end_location;
          const double delta = t_.Time(prev, Loc(r, j)) + t_.Time(Loc(r, i), next) -
                               t_.Time(prev, Loc(r, i)) - t_.Time(Loc(r, j), next);
          if (delta > -1e-7) continue;
          std::vector<int> seq = routes_[r].seq;
          std::reverse(seq.begin() + i, seq.begin() + j + 1);
          if (SeqTravel(r, seq) > routes_[r].travel - 1e-7 || !Fits(r, seq)) continue;
          routes_[r].seq = std::move(seq);
          Refresh(r);
          ++moves;
          moved = true;
        }
      }
    }
  }
  return moves;
}

}  // namespace zhiban::domain::routes::internal
