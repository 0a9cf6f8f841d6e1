// zhiban-bench optimum: zhiban's fill against the integer-program optimum of
// the same shifts under the same rules (issue 20; rota_optimum.h).
//
//   optimum/instances   for each instance: `rota generate --center all --fill`
//                       in the engine (gaps, spreads by `rota check`, time);
//                       the same month generated without --fill, its
//                       integer program solved with CBC (gaps, then spreads
//                       with the gaps held); the optimum's plan replayed
//                       through `rota override` without force (refusals) and
//                       measured by `rota check` like zhiban's; then the same
//                       through a real zhiband (zhibanctl's requests).
//
// Instances: bench/instances/{dongshi,nanhu,xishan} (street-sized networks)
// and the bench city's first two centers in October and February.
// Compiled only with CBC (ZHIBAN_WITH_CBC).
#include <cstdio>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "bench/bench.h"
#include "bench/rota_optimum.h"
#include "clients/lib/ctl_client.h"
#include "daemon/base/time_util.h"
#include "tests/support/process.h"

namespace zhiban::bench::optimum {
namespace {

// The optimum's plan through a real zhiband (synced RocksDB, the command
// table): the instance sent as zhibanctl would send it, the month generated
// without --fill, then one `rota override` (no --force) per shift, and
// `rota check` of every center.
struct DaemonReplay {
  uint32_t accepted = 0, refused = 0, breaches = 0;
  std::vector<std::string> refusals;
  std::string error;  // setup failed
};

DaemonReplay ReplayInDaemon(const RotaInstance& inst, const Optimum& opt) {
  DaemonReplay out;
  test::DaemonFixture d({"--log-level", "warn", "--clock", "simulated:" + FormatIsoTime(inst.now)});
  d.Start();
  client::CtlClient ctl(d.zmq(), d.ctl(), std::chrono::seconds(120));
  v1::CtlReply last;
  auto call = [&](v1::CtlRequest& r) -> std::string {
    auto reply = ctl.Call(r);
    if (!reply.ok()) return reply.status().ToString();
    if (reply->has_error()) return reply->error().message();
    last = std::move(*reply);
    return {};
  };
  std::vector<v1::CtlRequest> setup;
  for (const auto& p : inst.policies) {
    auto* q = setup.emplace_back().mutable_policy_set();
    q->set_toml(p.toml);
    q->set_source(p.source);
    q->set_effective_from(p.effective_from);
  }
  for (bool roots : {true, false}) {  // parents first
    for (const auto& [id, c] : inst.state.network.centers()) {
      if (c.parent_id().empty() == roots)
        *setup.emplace_back().mutable_center_add()->mutable_center() = c;
    }
  }
  for (const auto& [id, s] : inst.state.network.staff())
    *setup.emplace_back().mutable_staff_add()->mutable_staff() = s;
  for (const auto& a : inst.assignments)
    *setup.emplace_back().mutable_policy_assign()->mutable_assignment() = a;
  {
    auto* q = setup.emplace_back().mutable_rules_set();
    q->set_toml(inst.rules_toml);
    q->set_source(inst.rules_source);
  }
  for (const auto& l : inst.leave) *setup.emplace_back().mutable_leave_add()->mutable_leave() = l;
  for (const auto& [id, c] : inst.state.network.centers()) {
    auto* q = setup.emplace_back().mutable_rota_generate();
    q->set_center_id(id);
    q->set_from(inst.from);
    q->set_to(inst.to);
  }
  for (auto& r : setup) {
    if (auto e = call(r); !e.empty()) {
      out.error = fmt::format("{}: {}", r.ShortDebugString().substr(0, 80), e);
      d.Stop();
      return out;
    }
  }
  for (const auto& [shift, staff] : opt.assignee) {
    v1::CtlRequest r;
    auto* q = r.mutable_rota_override();
    q->set_shift_id(shift);
    q->set_staff_id(staff);
    if (auto e = call(r); !e.empty()) {
      ++out.refused;
      if (out.refusals.size() < 20)
        out.refusals.push_back(fmt::format("{} {}: {}", shift, staff, e));
    } else {
      ++out.accepted;
    }
  }
  for (const auto& [id, c] : inst.state.network.centers()) {
    v1::CtlRequest r;
    auto* q = r.mutable_rota_check();
    q->set_center_id(id);
    q->set_from(inst.from);
    q->set_to(inst.to);
    if (call(r).empty()) out.breaches += static_cast<uint32_t>(last.rota_check().breaches_size());
  }
  d.Stop();
  return out;
}

struct Row {
  std::string name, month;
  size_t staff = 0;
  PlanFigures zhiban, best;
  double zhiban_ms = 0;
  Optimum opt;
  Replay replay;
  DaemonReplay daemon;
  std::vector<std::string> program_refuses;  // of zhiban's own plan
  std::vector<std::string> zhiban_gaps;
  std::string error;
};

std::vector<Row>& Rows() {
  static std::vector<Row> rows;
  return rows;
}

Row RunOne(RotaInstance inst) {
  Row row;
  row.name = inst.name;
  row.month = inst.from.substr(0, 7);
  row.staff = inst.state.network.staff().size();
  domain::State filled, generated;
  double ms = 0;
  if (auto s = Generate(inst, true, &filled, &row.zhiban_ms, &row.zhiban_gaps); !s.ok()) {
    row.error = s.ToString();
    return row;
  }
  row.zhiban = Measure(inst, filled);
  const auto zhiban_plan = PlanOf(inst, filled);
  if (auto s = Generate(inst, false, &generated, &ms); !s.ok()) {
    row.error = s.ToString();
    return row;
  }
  auto opt = SolveOptimum(inst, generated, OptimumOptions{});
  if (!opt.ok()) {
    row.error = opt.status().ToString();
    return row;
  }
  row.opt = std::move(*opt);
  row.program_refuses = ProgramRefuses(inst, generated, zhiban_plan);
  row.replay = ReplayOverrides(inst, row.opt, &generated);
  row.best = Measure(inst, generated);
  row.daemon = ReplayInDaemon(inst, row.opt);
  return row;
}

void Instances(benchmark::State& state) {
  for (auto _ : state) {
    Rows().clear();
    for (const char* name : {"dongshi", "nanhu", "xishan"}) {
      auto inst = LoadInstance(fmt::format("bench/instances/{}", name));
      if (!inst.ok()) {
        state.SkipWithError(inst.status().ToString().c_str());
        return;
      }
      Rows().push_back(RunOne(std::move(*inst)));
    }
    for (const char* month : {"2026-10", "2026-02"}) Rows().push_back(RunOne(CityInstance(month)));
    state.SetIterationTime(1);
  }
}

const char* StatusOf(const Phase& p) { return !p.found ? "none" : p.proven ? "optimal" : "bound"; }

}  // namespace

void PrintOptimumSummary() {
  if (Rows().empty()) return;
  std::printf(
      "\nzhiban-bench optimum — `rota generate --center all --fill` vs the integer-program "
      "optimum (CBC), one run\n");
  std::printf(
      "spreads: weekend days / holiday days / evenings, summed over the centers (rota "
      "check)\n");
  std::printf("%-8s %-7s %5s %6s | %4s %11s %8s | %4s %11s %-17s %9s | %7s %8s\n", "instance",
              "month", "staff", "shifts", "gaps", "spreads", "ms", "gaps", "spreads",
              "status gaps/fair", "ms", "refused", "breaches");
  for (const auto& r : Rows()) {
    if (!r.error.empty()) {
      std::printf("%-8s %-7s failed: %s\n", r.name.c_str(), r.month.c_str(), r.error.c_str());
      continue;
    }
    const auto& z = r.zhiban;
    const auto& b = r.best;
    const double opt_ms = r.opt.build_ms + r.opt.gaps_phase.ms + r.opt.fairness_phase.ms;
    std::printf(
        "%-8s %-7s %5zu %6u | %4u %11s %8.1f | %4u %11s %-17s %9.1f | %7u %8u\n", r.name.c_str(),
        r.month.c_str(), r.staff, z.shifts, z.gaps,
        fmt::format("{}/{}/{}", z.spread[0], z.spread[1], z.spread[2]).c_str(), r.zhiban_ms, b.gaps,
        fmt::format("{}/{}/{}", b.spread[0], b.spread[1], b.spread[2]).c_str(),
        fmt::format("{}/{}", StatusOf(r.opt.gaps_phase), StatusOf(r.opt.fairness_phase)).c_str(),
        opt_ms, r.replay.refused, b.breaches);
  }
  std::printf(
      "\nper center (zhiban -> optimum; * where zhiban is more than 1 above, or has more "
      "gaps)\n");
  for (const auto& r : Rows()) {
    if (!r.error.empty()) continue;
    for (size_t i = 0; i < r.zhiban.centers.size() && i < r.best.centers.size(); ++i) {
      const auto& z = r.zhiban.centers[i];
      const auto& b = r.best.centers[i];
      std::string line = fmt::format("  {:<8} {:<16} gaps {:>2} -> {:>2}{}", r.name, z.center,
                                     z.gaps, b.gaps, z.gaps > b.gaps ? "*" : " ");
      const char* names[3] = {"weekend", "holiday", "evenings"};
      for (int k = 0; k < 3; ++k) {
        line += fmt::format("  {} {:>2} -> {:>2}{}", names[k], z.spread[k], b.spread[k],
                            z.spread[k] > b.spread[k] + 1 ? "*" : " ");
      }
      std::printf("%s\n", line.c_str());
    }
  }
  std::printf("\nsolver (CBC, one thread, node limit %lld a phase)\n",
              static_cast<long long>(OptimumOptions{}.max_nodes));
  for (const auto& r : Rows()) {
    if (!r.error.empty()) continue;
    const auto& o = r.opt;
    std::printf(
        "  %-8s %-7s %6d columns %6d rows, build %.0f ms; gaps: %s, %u (bound %.0f), %lld nodes, "
        "%.0f ms; fairness: %s, %.0f (bound %.1f), %lld nodes, %.0f ms\n",
        r.name.c_str(), r.month.c_str(), o.columns, o.rows, o.build_ms, StatusOf(o.gaps_phase),
        o.gaps, o.shifts + o.gaps_phase.bound, static_cast<long long>(o.gaps_phase.nodes),
        o.gaps_phase.ms, StatusOf(o.fairness_phase), o.fairness_phase.value, o.fairness_phase.bound,
        static_cast<long long>(o.fairness_phase.nodes), o.fairness_phase.ms);
    for (const auto& n : o.notes) std::printf("    note: %s\n", n.c_str());
    for (const auto& x : r.replay.refusals) std::printf("    refused: %s\n", x.c_str());
    if (!r.daemon.error.empty())
      std::printf("    zhiband replay failed: %s\n", r.daemon.error.c_str());
    std::printf("    through zhiband: %u overrides accepted, %u refused; rota check: %u breaches\n",
                r.daemon.accepted, r.daemon.refused, r.daemon.breaches);
    std::printf("    zhiban's own plan under the program's rules: %s\n",
                r.program_refuses.empty() ? "accepted" : "REFUSED");
    for (const auto& x : r.program_refuses) std::printf("      %s\n", x.c_str());
    for (const auto& x : r.daemon.refusals) std::printf("    zhiband refused: %s\n", x.c_str());
    for (const auto& g : r.zhiban_gaps) std::printf("    zhiban's gap: %s\n", g.c_str());
  }
}

BENCHMARK(Instances)
    ->Name("optimum/instances")
    ->Iterations(1)
    ->Repetitions(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace zhiban::bench::optimum
