// The integer program of zhiban-bench optimum (bench/rota_optimum.h) on tiny
// instances: solved to proven optimality, never more gaps than zhiban's fill,
// and its plan accepted by zhiban's own rules (`rota override` without force,
// then `rota check`). Built only with CBC (ZHIBAN_WITH_CBC).
#include <numeric>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "bench/rota_optimum.h"

namespace zhiban::bench::optimum {
namespace {

// Solves `inst`, replays the plan into zhiban and checks every promise.
void SolveAndReplay(RotaInstance& inst) {
  domain::State filled, generated;
  double ms = 0;
  ASSERT_TRUE(Generate(inst, true, &filled, &ms).ok());
  ASSERT_TRUE(Generate(inst, false, &generated, &ms).ok());
  const PlanFigures zhiban = Measure(inst, filled);
  // The converse: the program is no stricter than zhiban on zhiban's plan.
  const auto refuses = ProgramRefuses(inst, generated, PlanOf(inst, filled));
  EXPECT_TRUE(refuses.empty()) << fmt::format("{}", fmt::join(refuses, "\n"));
  auto opt = SolveOptimum(inst, generated, OptimumOptions{});
  ASSERT_TRUE(opt.ok()) << opt.status().ToString();
  EXPECT_TRUE(opt->gaps_phase.proven);
  EXPECT_TRUE(opt->fairness_phase.proven);
  EXPECT_TRUE(opt->notes.empty()) << fmt::format("{}", fmt::join(opt->notes, "\n"));
  EXPECT_EQ(opt->shifts, zhiban.shifts);  // exactly the shifts zhiban generated
  EXPECT_LE(opt->gaps, zhiban.gaps);

  const Replay replay = ReplayOverrides(inst, *opt, &generated);
  EXPECT_EQ(replay.refused, 0u) << fmt::format("{}", fmt::join(replay.refusals, "\n"));
  EXPECT_EQ(replay.accepted, opt->assignee.size());
  const PlanFigures best = Measure(inst, generated);
  EXPECT_EQ(best.breaches, 0u);
  EXPECT_EQ(best.gaps, opt->gaps);
  // The program's spreads are the ones `rota check` reports.
  EXPECT_EQ(std::accumulate(best.spread.begin(), best.spread.end(), 0u),
            static_cast<uint32_t>(opt->fairness_phase.value + 0.5));
}

TEST(RotaOptimumTest, AStreetOverTheSpringFestivalEveIsSolvedAndAccepted) {
  auto inst = LoadInstance("bench/instances/nanhu");
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  // A make-up Saturday, the eve and the first holidays; a sick leave over them.
  Narrow(*inst, "2026-02-13", "2026-02-17");
  SolveAndReplay(*inst);
}

TEST(RotaOptimumTest, TheBenchCityOverNationalDayIsSolvedAndAccepted) {
  RotaInstance inst = CityInstance("2026-10");
  Narrow(inst, "2026-09-28", "2026-10-04");  // a village's 24-hour holiday duty
  SolveAndReplay(inst);
}

}  // namespace
}  // namespace zhiban::bench::optimum
