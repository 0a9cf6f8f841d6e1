// The optimum of a month's rota, for `zhiban-bench optimum` (issue 20): how
// far zhiban's fill is from the best plan of the same shifts under the same
// rules.
//
//   1. LoadInstance reads a network and its month (bench/instances/<name>/,
//      README there) into a domain State with zhiban's own loaders; CityInstance
//      is the bench city's first two centers (bench/city.h).
//   2. Generate plans the month as `rota generate --center all [--fill]` does:
//      one GenerateRota per center, in id order, each applied before the next.
//   3. SolveOptimum builds the integer program over exactly the shifts
//      Generate made (without --fill) and the working-time rules as
//      rota_loads.cpp checks them, and solves it with CBC: fewest gaps first,
//      then, with the gaps held there, the smallest sum of the fairness spreads
//      `rota check` reports (weekend days, holiday days, evenings per center).
//   4. Replay assigns the optimum's plan to those shifts one `rota override`
//      (domain::OverrideShifts, no force) at a time and counts refusals: a
//      refusal is a rule the program and zhiban disagree on.
//
// Deterministic: CBC runs single-threaded with a node limit, never a time
// limit, so the same input gives the same plan (the seconds cap is only a
// guard far above the node limit's time).
//
// Built only when CBC is found (ZHIBAN_WITH_CBC, README "Optional
// dependencies"). Not thread-safe; each call owns what it builds.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "daemon/base/clock.h"
#include "daemon/base/date.h"
#include "daemon/base/status.h"
#include "daemon/domain/state.h"

namespace zhiban::bench::optimum {

// A network and the month to plan.
struct RotaInstance {
  std::string name;
  domain::State state;   // calendar, policies, centers, staff, rules, leave; no shifts
  std::string from, to;  // the month, ISO dates
  TimePoint now;         // before the month: no shift is begun or past
  // What the state was made of, as `zhibanctl` would send it to a zhiband
  // (the bench replays the optimum through a real one too).
  struct Policy {
    std::string source, toml, effective_from;
  };
  std::vector<Policy> policies;
  std::vector<v1::PolicyAssignment> assignments;
  std::string rules_source, rules_toml;
  std::vector<v1::Leave> leave;
  domain::RotaCtx Ctx(const domain::State& st) const;
};

// Reads <dir>/instance.toml, centers.csv and staff.csv (`dir` absolute or
// relative to the source tree). Errors name the file.
Result<RotaInstance> LoadInstance(const std::string& dir);
// The bench city's center-000 (a village) and center-001 (a community) with
// their staff and rules, as bench/rota_bench.cpp builds them; every other
// center of the city is a copy of one of these two (nobody covers another
// center, so each center's rota is planned on its own).
RotaInstance CityInstance(const std::string& month);  // "YYYY-MM"
// Only [from, to] of the instance's month (a test's tiny instance).
void Narrow(RotaInstance& inst, const std::string& from, const std::string& to);

// The figures of one plan, as `rota check` of each center gives them.
enum Spread { kWeekend = 0, kHoliday = 1, kEvenings = 2 };
struct CenterFigures {
  std::string center;
  uint32_t shifts = 0, gaps = 0, breaches = 0;
  std::array<uint32_t, 3> spread{};
};
struct PlanFigures {
  uint32_t shifts = 0, gaps = 0, breaches = 0;
  std::array<uint32_t, 3> spread{};  // summed over the centers
  std::vector<CenterFigures> centers;
};
PlanFigures Measure(const RotaInstance& inst, const domain::State& st);

// `rota generate --center all [--fill]` over the month: `out` is the state
// after it; `ms` the time of the GenerateRota calls and their Apply.
// `gaps` (optional) gets each gap the fill left: shift id and zhiban's reason.
Status Generate(const RotaInstance& inst, bool fill, domain::State* out, double* ms,
                std::vector<std::string>* gaps = nullptr);

struct OptimumOptions {
  int64_t max_nodes = 20000;   // per phase; reaching it leaves the bound
  double guard_seconds = 600;  // a guard only (see above)
  bool fairness = true;        // the second phase
};

// One phase's answer from CBC.
struct Phase {
  bool found = false;   // a plan (else the values below mean nothing)
  bool proven = false;  // optimal (else the node limit stopped it)
  double value = 0, bound = 0;
  double ms = 0;
  int64_t nodes = 0;
};

struct Optimum {
  uint32_t shifts = 0, gaps = 0;
  Phase gaps_phase, fairness_phase;
  double build_ms = 0;
  int columns = 0, rows = 0;
  std::map<std::string, std::string> assignee;  // shift id -> staff id
  // Rules approximated rather than modelled exactly (none on the shipped
  // instances): where a person's rules differ by center, the strictest.
  std::vector<std::string> notes;
};

// `generated`: the state after Generate(inst, fill = false).
Result<Optimum> SolveOptimum(const RotaInstance& inst, const domain::State& generated,
                             const OptimumOptions& opt);

// The converse check: why the program refuses `plan` (shift id -> staff id,
// a plan zhiban made, e.g. its fill): an assignment it finds ineligible, or
// no solution of its rules holding all of them. Empty when it accepts it,
// i.e. the program is no stricter than zhiban on this plan.
std::vector<std::string> ProgramRefuses(const RotaInstance& inst, const domain::State& generated,
                                        const std::map<std::string, std::string>& plan);

// What zhiban's plan in `st` holds: shift id -> staff id, over the month.
std::map<std::string, std::string> PlanOf(const RotaInstance& inst, const domain::State& st);

struct Replay {
  uint32_t accepted = 0, refused = 0;
  std::vector<std::string> refusals;  // the first 20: shift, person, zhiban's words
};
// Assigns the optimum's plan to `st` (the state after Generate without
// fill), shift by shift in id order, through domain::OverrideShifts without
// force, applying each accepted change.
Replay ReplayOverrides(const RotaInstance& inst, const Optimum& opt, domain::State* st);

}  // namespace zhiban::bench::optimum
