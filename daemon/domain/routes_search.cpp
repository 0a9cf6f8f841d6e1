// Builder's local search: 2-opt* (SwapTails), 2-opt (Reverse) and relocate
// (in Improve), each applied when it saves travel and the routes still fit.
#include <algorithm>
#include <utility>
#include <vector>

#include "daemon/domain/routes_internal.h"

namespace zhiban::domain::routes::internal {

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
    for (int u : order) {
      if (moves >= budget) break;
      int a = 0, idx = 0;
      for (; a < m_; ++a) {
        const auto& seq = routes_[a].seq;
        const auto it = std::find(seq.begin(), seq.end(), u);
        if (it != seq.end()) {
          idx = static_cast<int>(it - seq.begin());
          break;
        }
      }
      const double before = routes_[a].travel;
      routes_[a].seq.erase(routes_[a].seq.begin() + idx);
      Refresh(a);
      const double gain = before - routes_[a].travel;
      int best_r = -1;
      Insertion best;
      if (routes_[a].feasible) {
        const std::vector<bool> offered = Offered();
        for (int r = 0; r < m_; ++r) {
          if (!offered[r]) continue;
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

// 2-opt* (Potvin & Rousseau): cut two routes and swap their tails, when
// that saves travel and both still fit. One pass over every pair of routes
// and cut, first improvement; returns the moves made (at most `budget`).
int Builder::SwapTails(int budget) {
  int moves = 0;
  for (int a = 0; a < m_ && moves < budget; ++a) {
    for (int b = a + 1; b < m_ && moves < budget; ++b) {
      if (routes_[a].seq.empty() || routes_[b].seq.empty()) continue;
      const Vehicle& ka = p_.vehicles[a];
      const Vehicle& kb = p_.vehicles[b];
      bool moved = true;
      while (moved && moves < budget) {
        moved = false;
        const int la = static_cast<int>(routes_[a].seq.size());
        const int lb = static_cast<int>(routes_[b].seq.size());
        const int last_a = Loc(a, la - 1), last_b = Loc(b, lb - 1);
        for (int i = 0; i <= la && !moved; ++i) {
          const int prev_a = i == 0 ? ka.start_location : Loc(a, i - 1);
          const int head_a = i < la ? Loc(a, i) : ka.end_location;
          for (int j = 0; j <= lb && !moved; ++j) {
            if ((i == la && j == lb) || (i == 0 && j == 0)) continue;
            const int prev_b = j == 0 ? kb.start_location : Loc(b, j - 1);
            const int head_b = j < lb ? Loc(b, j) : kb.end_location;
            // a keeps its head and takes b's tail (ending at a's end), and
            // the other way round.
            double delta = -t_.Time(prev_a, head_a) - t_.Time(prev_b, head_b);
            delta += t_.Time(prev_a, j < lb ? Loc(b, j) : ka.end_location);
            delta += t_.Time(prev_b, i < la ? Loc(a, i) : kb.end_location);
            if (j < lb)
              delta += t_.Time(last_b, ka.end_location) - t_.Time(last_b, kb.end_location);
            if (i < la)
              delta += t_.Time(last_a, kb.end_location) - t_.Time(last_a, ka.end_location);
            if (delta > -1e-7) continue;
            const auto& sa = routes_[a].seq;
            const auto& sb = routes_[b].seq;
            std::vector<int> na(sa.begin(), sa.begin() + i), nb(sb.begin(), sb.begin() + j);
            na.insert(na.end(), sb.begin() + j, sb.end());
            nb.insert(nb.end(), sa.begin() + i, sa.end());
            if (!Fits(a, na) || !Fits(b, nb)) continue;
            routes_[a].seq = std::move(na);
            routes_[b].seq = std::move(nb);
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
