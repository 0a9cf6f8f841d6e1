// The integer program of a month's rota, solved with CBC (rota_optimum.h).
//
// Variables, per person p and shift s they may hold (center home or cover,
// every role and skill of the shift, no leave over it — rota_loads.cpp's
// Ineligible): x[p,s] binary. The rules, as RuleBreaches checks each shift
// against the rest of its holder's load (rota_loads.cpp), so that a plan
// meeting them passes that check for every shift in any order:
//   a shift       at most one holder
//   overlap       no two overlapping shifts of one person both on site or
//                 both on call (one clique per shift start)
//   daily hours   a day's on-site minutes at most the standard + overtime,
//                 or day_max on the person's rest days and holidays
//   min_rest      between the last end of a day and the first start of the
//                 next (on-site shifts of consecutive dates)
//   consecutive   at most max_consecutive worked dates in any window
//   weekly_rest   at least min_rest_days_per_week dates off each Mon..Sun
//   monthly       over every Mon..Sun week's days in the month: the larger of
//     overtime    the days' minutes beyond the daily standard and the
//                 week's minutes beyond the weekly standard prorated to its
//                 weekdays; their sum at most monthly_overtime (only the
//                 former, on working days, under monthly_overtime_counts =
//                 "extended")
// On-call shifts count for overlap only, as in RuleBreaches; a date is
// worked when it holds an on-site shift.
//
// Objectives: phase 1 the most shifts held (fewest gaps); phase 2, with at
// least that many held, the least sum over centers of the three spreads `rota
// check` reports (rota_queries.cpp): over the center's pool (home or cover),
// max - min of each person's weekend dates, holiday dates (any shift,
// any center) and EXTENDED shifts.
#include <algorithm>
#include <chrono>
#include <limits>
#include <set>

#include <coin/Cbc_C_Interface.h>
#include <fmt/format.h>

#include "bench/rota_optimum.h"
#include "daemon/domain/common.h"

namespace zhiban::bench::optimum {

namespace {

constexpr double kInf = std::numeric_limits<double>::max();

// The program before it goes to CBC: columns with bounds, and rows as
// sparse vectors.
struct Program {
  struct Row {
    std::vector<int> idx;
    std::vector<double> val;
    double lo = -kInf, hi = kInf;
  };
  std::vector<double> lb, ub, obj;
  std::vector<char> integer;
  std::vector<Row> rows;

  int Col(double lo, double hi, bool is_int, double cost = 0) {
    lb.push_back(lo);
    ub.push_back(hi);
    obj.push_back(cost);
    integer.push_back(is_int ? 1 : 0);
    return static_cast<int>(lb.size()) - 1;
  }
  void Add(Row r) { rows.push_back(std::move(r)); }
};

// Solves `p` (minimising); `start` (may be empty) is a feasible plan to
// begin from. Fills `sol` with the best plan found.
Phase Solve(const Program& p, const OptimumOptions& opt, const std::vector<double>& start,
            std::vector<double>* sol) {
  const auto t0 = std::chrono::steady_clock::now();
  const int ncols = static_cast<int>(p.lb.size()), nrows = static_cast<int>(p.rows.size());
  // Column-major for Cbc_loadProblem.
  std::vector<CoinBigIndex> colstart(ncols + 1, 0);
  for (const auto& r : p.rows)
    for (int j : r.idx) ++colstart[j + 1];
  for (int j = 0; j < ncols; ++j) colstart[j + 1] += colstart[j];
  std::vector<int> index(colstart[ncols]);
  std::vector<double> value(colstart[ncols]);
  std::vector<CoinBigIndex> fill(colstart.begin(), colstart.end() - 1);
  std::vector<double> rlo(nrows), rhi(nrows);
  for (int i = 0; i < nrows; ++i) {
    const auto& r = p.rows[i];
    for (size_t k = 0; k < r.idx.size(); ++k) {
      index[fill[r.idx[k]]] = i;
      value[fill[r.idx[k]]++] = r.val[k];
    }
    rlo[i] = r.lo;
    rhi[i] = r.hi;
  }
  Cbc_Model* m = Cbc_newModel();
  Cbc_loadProblem(m, ncols, nrows, colstart.data(), index.data(), value.data(), p.lb.data(),
                  p.ub.data(), p.obj.data(), rlo.data(), rhi.data());
  for (int j = 0; j < ncols; ++j)
    if (p.integer[j]) Cbc_setInteger(m, j);
  Cbc_setObjSense(m, 1);
  Cbc_setLogLevel(m, 0);
  Cbc_setMaximumNodes(m, static_cast<int>(opt.max_nodes));
  Cbc_setMaximumSeconds(m, opt.guard_seconds);
  if (!start.empty()) {
    // By name: CBC 2.10 looks a start given by index up by name in the
    // preprocessed model, where an index may no longer exist.
    std::vector<std::string> names;
    std::vector<double> val;
    for (int j = 0; j < ncols; ++j) {
      Cbc_setColName(m, j, fmt::format("c{}", j).c_str());
      if (p.integer[j] && start[j] != 0) {
        names.push_back(fmt::format("c{}", j));
        val.push_back(start[j]);
      }
    }
    std::vector<const char*> cnames;
    for (const auto& n : names) cnames.push_back(n.c_str());
    Cbc_setMIPStart(m, static_cast<int>(cnames.size()), cnames.data(), val.data());
  }
  Cbc_solve(m);
  Phase out;
  out.proven = Cbc_isProvenOptimal(m) != 0;
  out.value = Cbc_getObjValue(m);
  out.bound = Cbc_getBestPossibleObjValue(m);
  out.nodes = Cbc_getNodeCount(m);
  const double* x = Cbc_bestSolution(m);
  out.found = x != nullptr;
  if (x) sol->assign(x, x + ncols);
  Cbc_deleteModel(m);
  out.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

int32_t MondayOf(int32_t day) { return day - ((day + 3) % 7); }  // day 0 was a Thursday

bool Eligible(const domain::RotaBook& book, const v1::Staff& p, const v1::Shift& s,
              const domain::ShiftFacts& f) {
  if (!domain::common::MayWorkAt(p, s.center_id())) return false;
  for (int r : s.roles())
    if (!domain::common::HasRole(p, r)) return false;
  for (const auto& sk : s.skills())
    if (std::find(p.skills().begin(), p.skills().end(), sk) == p.skills().end()) return false;
  return book.LeaveOn(p.id(), f.day, f.start, f.end) == nullptr;
}

// One candidate assignment.
struct Cand {
  int shift = 0;  // index into Shifts
  int col = 0;
  domain::Rules rules;  // the person's at the shift's center
};

struct Person {
  const v1::Staff* staff = nullptr;
  std::vector<Cand> cands;  // by shift start
};

// The whole program: built once per phase (the x columns come first, in
// the same order both times).
class Builder {
 public:
  Builder(const RotaInstance& inst, const domain::State& st) : st_(st) {
    const Date from = ParseDate(inst.from).value(), to = ParseDate(inst.to).value();
    for (const auto& [id, c] : st.network.centers()) {
      for (const auto* s : st.rota.CenterShifts(id, from, to)) {
        if (s->kind() == v1::APPOINTMENT) continue;
        shifts_.push_back(s);
        facts_.push_back(domain::FactsOf(*s));
      }
    }
  }

  size_t shifts() const { return shifts_.size(); }
  // Phase 2's integer columns at the values plan `start` (its x set) gives them.
  void CompleteStart(std::vector<double>* start) const {
    auto& v = *start;
    for (const auto& o : ors_) {
      v[o.y] = 0;
      for (int x : o.xs) v[o.y] = std::max(v[o.y], v[x]);
    }
    for (const auto& sp : spreads_) {
      double hi = 0, lo = kInf;
      for (const auto& r : sp.counts) {
        double n = 0;
        for (size_t k = 0; k < r.idx.size(); ++k) n += r.val[k] * v[r.idx[k]];
        hi = std::max(hi, n);
        lo = std::min(lo, n);
      }
      v[sp.hi] = hi;
      v[sp.lo] = sp.counts.empty() ? 0 : lo;
    }
  }
  const v1::Shift& shift(int i) const { return *shifts_[i]; }
  std::vector<std::string>& notes() { return notes_; }

  // Phase 1 (fairness false): x and the rules, minimise -(shifts held).
  // Phase 2: also at least `held` shifts held, minimise the spreads.
  Status Build(bool fairness, int held, Program* prog, std::vector<Person>* people) {
    Program& p = *prog;
    people->clear();
    ors_.clear();
    spreads_.clear();
    const auto& cfg = st_.rota.rules();
    std::vector<std::vector<int>> holders(shifts_.size());
    for (const auto& [id, staff] : st_.network.staff()) {
      Person person{&staff, {}};
      for (size_t i = 0; i < shifts_.size(); ++i) {
        if (!Eligible(st_.rota, staff, *shifts_[i], facts_[i])) continue;
        Cand c;
        c.shift = static_cast<int>(i);
        c.col = p.Col(0, 1, true, fairness ? 0 : -1);
        c.rules = domain::ResolveRules(cfg, staff, shifts_[i]->center_id());
        if (c.rules.comprehensive())
          return Status::Unimplemented(
              fmt::format("rules of {}: comprehensive working time is not modelled", id));
        holders[i].push_back(c.col);
        person.cands.push_back(std::move(c));
      }
      std::stable_sort(person.cands.begin(), person.cands.end(), [&](const Cand& a, const Cand& b) {
        return facts_[a.shift].start < facts_[b.shift].start;
      });
      people->push_back(std::move(person));
    }
    for (const auto& h : holders) {
      if (h.size() < 2) continue;
      p.Add({h, std::vector<double>(h.size(), 1.0), -kInf, 1});
    }
    for (const auto& person : *people) ZB_RETURN_IF_ERROR(AddRules(person, &p));
    if (fairness) {
      Program::Row all;
      for (const auto& person : *people)
        for (const auto& c : person.cands) {
          all.idx.push_back(c.col);
          all.val.push_back(1);
        }
      all.lo = held;
      p.Add(std::move(all));
      AddFairness(*people, &p);
    }
    return {};
  }

 private:
  // The strictest value of a rule over a person's centers (a note when they differ).
  template <typename F>
  uint32_t Strictest(const Person& person, const char* rule, F get, bool smallest = true) {
    std::set<uint32_t> seen;
    for (const auto& c : person.cands) seen.insert(get(c.rules));
    if (seen.size() > 1)
      notes_.push_back(
          fmt::format("{}: {} differs by center; the strictest used", person.staff->id(), rule));
    return seen.empty() ? 0 : smallest ? *seen.begin() : *seen.rbegin();
  }

  Status AddRules(const Person& person, Program* prog) {
    Program& p = *prog;
    const auto& cs = person.cands;
    if (cs.empty()) return {};
    // Overlap: one clique per shift start (of the same on-site/on-call kind).
    std::set<std::vector<int>> cliques;
    for (const auto& a : cs) {
      const auto& fa = facts_[a.shift];
      std::vector<int> clique;
      for (const auto& b : cs) {
        const auto& fb = facts_[b.shift];
        if (fb.working == fa.working && fb.start <= fa.start && fa.start < fb.end)
          clique.push_back(b.col);
      }
      if (clique.size() > 1) cliques.insert(std::move(clique));
    }
    for (const auto& c : cliques) p.Add({c, std::vector<double>(c.size(), 1.0), -kInf, 1});

    // On-site shifts by date.
    std::map<int32_t, std::vector<const Cand*>> days;
    for (const auto& c : cs)
      if (facts_[c.shift].working) days[facts_[c.shift].day].push_back(&c);
    // Daily hours.
    for (const auto& [day, list] : days) {
      double total = 0;
      std::set<uint32_t> limits;
      for (const auto* c : list) {
        const auto& f = facts_[c->shift];
        total += f.minutes();
        limits.insert(LimitOf(c->rules, f));
      }
      if (total <= *limits.begin()) continue;
      Program::Row base;
      for (const auto* c : list) {
        base.idx.push_back(c->col);
        base.val.push_back(facts_[c->shift].minutes());
      }
      if (limits.size() == 1) {
        base.hi = *limits.begin();
        p.Add(std::move(base));
        continue;
      }
      for (const auto* c : list) {  // each shift held bounds its own day
        Program::Row r = base;
        const double limit = LimitOf(c->rules, facts_[c->shift]);
        auto at = std::find(r.idx.begin(), r.idx.end(), c->col) - r.idx.begin();
        r.val[at] += total;
        r.hi = limit + total;
        p.Add(std::move(r));
      }
    }
    // Rest between consecutive dates.
    for (const auto& [day, list] : days) {
      auto prev = days.find(day - 1);
      if (prev == days.end()) continue;
      for (const auto* a : prev->second) {
        for (const auto* b : list) {
          const int64_t rest = 60 * int64_t{std::max(a->rules.min_rest, b->rules.min_rest)};
          if (facts_[b->shift].start - facts_[a->shift].end < rest)
            p.Add({{a->col, b->col}, {1, 1}, -kInf, 1});
        }
      }
    }
    // Worked dates: w >= each on-site x of the date.
    std::map<int32_t, int> worked;
    for (const auto& [day, list] : days) {
      const int w = p.Col(0, 1, false);
      worked[day] = w;
      for (const auto* c : list) p.Add({{w, c->col}, {1, -1}, 0, kInf});
    }
    const uint32_t max_run = Strictest(person, "max_consecutive_days",
                                       [](const domain::Rules& r) { return r.max_consecutive; });
    for (const auto& [day, w] : worked) {
      Program::Row r;
      for (int32_t d = day; d <= day + static_cast<int32_t>(max_run); ++d) {
        auto it = worked.find(d);
        if (it == worked.end()) break;
        r.idx.push_back(it->second);
        r.val.push_back(1);
      }
      if (r.idx.size() <= max_run) continue;
      r.hi = max_run;
      p.Add(std::move(r));
    }
    const uint32_t rest_days = Strictest(
        person, "min_rest_days_per_week",
        [](const domain::Rules& r) { return r.min_rest_days_week; }, false);
    std::map<int32_t, Program::Row> weeks;
    for (const auto& [day, w] : worked) {
      auto& r = weeks[MondayOf(day)];
      r.idx.push_back(w);
      r.val.push_back(1);
    }
    for (auto& [monday, r] : weeks) {
      if (r.idx.size() + rest_days <= 7) continue;
      r.hi = 7.0 - std::min<uint32_t>(7, rest_days);
      p.Add(std::move(r));
    }
    return AddOvertime(person, days, prog);
  }

  // The most minutes a date may hold for this shift's holder (RuleBreaches:
  // day_max on a rest day or holiday, else the standard + overtime).
  static uint32_t LimitOf(const domain::Rules& r, const domain::ShiftFacts& f) {
    if (r.comprehensive() || r.OffDay(f.day, f.weekend, f.holiday)) return r.DayMax();
    return r.daily_standard + r.daily_overtime;
  }

  Status AddOvertime(const Person& person, const std::map<int32_t, std::vector<const Cand*>>& days,
                     Program* prog) {
    Program& p = *prog;
    if (days.empty()) return {};
    const uint32_t cap = Strictest(person, "monthly_overtime_hours",
                                   [](const domain::Rules& r) { return r.monthly_overtime; });
    const uint32_t daily = Strictest(person, "daily_standard_hours",
                                     [](const domain::Rules& r) { return r.daily_standard; });
    const uint32_t weekly = Strictest(person, "weekly_standard_hours",
                                      [](const domain::Rules& r) { return r.weekly_standard; });
    const bool extended_only =
        Strictest(person, "monthly_overtime_counts", [](const domain::Rules& r) {
          return static_cast<uint32_t>(r.monthly_counts);
        }) == v1::OVERTIME_COUNT_EXTENDED;
    // Each calendar month the dates touch, over its Mon..Sun parts.
    std::map<int32_t, std::vector<int>> month_parts;  // first day -> o columns
    std::map<int32_t, std::pair<int32_t, int32_t>> month_range;
    for (const auto& [day, list] : days) {
      const Date d = FromDayNumber(day);
      const int32_t lo = DayNumber(d.year() / d.month() / std::chrono::day(1));
      const int32_t hi = DayNumber(d.year() / d.month() / std::chrono::last) + 1;
      month_range[lo] = {lo, hi};
    }
    for (const auto& [first, range] : month_range) {
      const auto [lo, hi] = range;
      Program::Row sum;
      for (int32_t w = MondayOf(lo); w < hi; w += 7) {
        const int32_t a = std::max(w, lo), b = std::min(w + 7, hi);
        int weekdays = 0;
        Program::Row total, excess;
        for (int32_t d = a; d < b; ++d) {
          if (d - MondayOf(d) < 5) ++weekdays;
          auto it = days.find(d);
          if (it == days.end()) continue;
          double most = 0;
          for (const auto* c : it->second) {
            total.idx.push_back(c->col);
            total.val.push_back(facts_[c->shift].minutes());
            most += facts_[c->shift].minutes();
          }
          const auto& f0 = facts_[it->second.front()->shift];
          const bool off = it->second.front()->rules.OffDay(d, f0.weekend, f0.holiday);
          if (most <= daily || (extended_only && off)) continue;
          // e >= minutes - daily standard, e >= 0
          const int e = p.Col(0, kInf, false);
          Program::Row r;
          r.idx.push_back(e);
          r.val.push_back(1);
          for (const auto* c : it->second) {
            r.idx.push_back(c->col);
            r.val.push_back(-static_cast<double>(facts_[c->shift].minutes()));
          }
          r.lo = -static_cast<double>(daily);
          p.Add(std::move(r));
          excess.idx.push_back(e);
          excess.val.push_back(1);
        }
        if (total.idx.empty()) continue;
        const int o = p.Col(0, kInf, false);
        // o >= the days' excess
        Program::Row oe = excess;
        for (auto& v : oe.val) v = -v;
        oe.idx.push_back(o);
        oe.val.push_back(1);
        oe.lo = 0;
        p.Add(std::move(oe));
        if (!extended_only) {
          // o >= total - weekly * weekdays / 5 (integer minutes, as RuleBreaches)
          Program::Row ot = total;
          for (auto& v : ot.val) v = -v;
          ot.idx.push_back(o);
          ot.val.push_back(1);
          ot.lo = -static_cast<double>(int64_t{weekly} * weekdays / 5);
          p.Add(std::move(ot));
        }
        sum.idx.push_back(o);
        sum.val.push_back(1);
      }
      if (sum.idx.empty()) continue;
      sum.hi = cap;
      p.Add(std::move(sum));
    }
    return {};
  }

  // Each person's weekend dates, holiday dates and evenings as exact
  // counts, and per center and kind hi >= every count of its pool >= lo.
  void AddFairness(const std::vector<Person>& people, Program* prog) {
    Program& p = *prog;
    // count rows: person -> (kind -> terms)
    std::vector<std::array<Program::Row, 3>> counts(people.size());
    for (size_t i = 0; i < people.size(); ++i) {
      std::map<int32_t, std::vector<int>> by_day[2];  // weekend, holiday
      for (const auto& c : people[i].cands) {
        const auto& f = facts_[c.shift];
        if (f.weekend) by_day[0][f.day].push_back(c.col);
        if (f.holiday) by_day[1][f.day].push_back(c.col);
        if (f.evening) {
          counts[i][kEvenings].idx.push_back(c.col);
          counts[i][kEvenings].val.push_back(1);
        }
      }
      for (int k = 0; k < 2; ++k) {
        for (const auto& [day, cols] : by_day[k]) {
          const int y = p.Col(0, 1, true);
          Program::Row at_most;  // y <= sum x
          at_most.idx.push_back(y);
          at_most.val.push_back(1);
          for (int x : cols) {
            p.Add({{y, x}, {1, -1}, 0, kInf});  // y >= x
            at_most.idx.push_back(x);
            at_most.val.push_back(-1);
          }
          at_most.hi = 0;
          p.Add(std::move(at_most));
          ors_.push_back({y, cols});
          counts[i][k].idx.push_back(y);
          counts[i][k].val.push_back(1);
        }
      }
    }
    for (const auto& [id, center] : st_.network.centers()) {
      std::vector<size_t> pool;
      for (size_t i = 0; i < people.size(); ++i)
        if (domain::common::MayWorkAt(*people[i].staff, id)) pool.push_back(i);
      if (pool.empty()) continue;
      for (int k = 0; k < 3; ++k) {
        const int hi = p.Col(0, 1000, true, 1), lo = p.Col(0, 1000, true, -1);
        SpreadCols sp{hi, lo, {}};
        for (size_t i : pool) sp.counts.push_back(counts[i][k]);
        spreads_.push_back(std::move(sp));
        for (size_t i : pool) {
          Program::Row a = counts[i][k], b = counts[i][k];
          for (auto& v : a.val) v = -v;
          a.idx.push_back(hi);
          a.val.push_back(1);
          a.lo = 0;  // hi - count >= 0
          p.Add(std::move(a));
          for (auto& v : b.val) v = -v;
          b.idx.push_back(lo);
          b.val.push_back(1);
          b.hi = 0;  // lo - count <= 0
          p.Add(std::move(b));
        }
      }
    }
  }

  // What the fairness columns are, to start phase 2 from phase 1's plan.
  struct Or {
    int y;
    std::vector<int> xs;
  };
  struct SpreadCols {
    int hi, lo;
    std::vector<Program::Row> counts;
  };
  std::vector<Or> ors_;
  std::vector<SpreadCols> spreads_;

  const domain::State& st_;
  std::vector<const v1::Shift*> shifts_;
  std::vector<domain::ShiftFacts> facts_;
  std::vector<std::string> notes_;
};

}  // namespace

Result<Optimum> SolveOptimum(const RotaInstance& inst, const domain::State& generated,
                             const OptimumOptions& opt) {
  Optimum out;
  Builder b(inst, generated);
  out.shifts = static_cast<uint32_t>(b.shifts());
  auto t0 = std::chrono::steady_clock::now();
  Program p1;
  std::vector<Person> people;
  ZB_RETURN_IF_ERROR(b.Build(false, 0, &p1, &people));
  out.build_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  out.columns = static_cast<int>(p1.lb.size());
  out.rows = static_cast<int>(p1.rows.size());
  std::vector<double> x;
  out.gaps_phase = Solve(p1, opt, {}, &x);
  if (!out.gaps_phase.found) return Status::Internal("CBC found no plan, not even an empty one");
  auto held = [&](const std::vector<double>& sol) {
    int n = 0;
    for (const auto& person : people)
      for (const auto& c : person.cands) n += sol[c.col] > 0.5 ? 1 : 0;
    return n;
  };
  int n = held(x);
  if (opt.fairness) {
    Program p2;
    std::vector<Person> people2;
    b.notes().clear();
    ZB_RETURN_IF_ERROR(b.Build(true, n, &p2, &people2));
    std::vector<double> start(p2.lb.size(), 0);
    for (const auto& person : people)
      for (const auto& c : person.cands) start[c.col] = x[c.col] > 0.5 ? 1 : 0;
    b.CompleteStart(&start);
    std::vector<double> x2;
    out.fairness_phase = Solve(p2, opt, start, &x2);
    if (!out.fairness_phase.found) {
      // CBC 2.10 sometimes refuses a start ("Illegal index in
      // ClpModel::getColumnName") and stops: solve again without one.
      const double refused_ms = out.fairness_phase.ms;
      out.fairness_phase = Solve(p2, opt, {}, &x2);
      out.fairness_phase.ms += refused_ms;
    }
    if (out.fairness_phase.found) x = std::move(x2);  // else keep phase 1's plan
    n = held(x);
  }
  out.gaps = out.shifts - static_cast<uint32_t>(n);
  for (const auto& person : people)
    for (const auto& c : person.cands)
      if (x[c.col] > 0.5) out.assignee[b.shift(c.shift).id()] = person.staff->id();
  out.notes = b.notes();
  std::sort(out.notes.begin(), out.notes.end());
  out.notes.erase(std::unique(out.notes.begin(), out.notes.end()), out.notes.end());
  return out;
}

std::vector<std::string> ProgramRefuses(const RotaInstance& inst, const domain::State& generated,
                                        const std::map<std::string, std::string>& plan) {
  Builder b(inst, generated);
  Program p;
  std::vector<Person> people;
  if (auto s = b.Build(false, 0, &p, &people); !s.ok()) return {s.ToString()};
  std::vector<std::string> out;
  std::map<std::pair<std::string, std::string>, int> cols;  // (shift, staff) -> x
  for (const auto& person : people)
    for (const auto& c : person.cands) cols[{b.shift(c.shift).id(), person.staff->id()}] = c.col;
  for (const auto& [shift, staff] : plan) {
    auto it = cols.find({shift, staff});
    if (it == cols.end()) {
      out.push_back(fmt::format("{} {}: not eligible in the program", shift, staff));
      continue;
    }
    p.lb[it->second] = 1;  // held as the plan holds it
  }
  if (!out.empty()) return out;
  std::vector<double> x;
  const Phase ph = Solve(p, OptimumOptions{}, {}, &x);
  if (!ph.found) out.push_back("the program has no plan holding every assignment of this one");
  return out;
}

}  // namespace zhiban::bench::optimum
