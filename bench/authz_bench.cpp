// zhiban-bench authz: what the one authorization check (core::Permit, issue
// 34) costs per command, in a city of 500 centers — 1 root, 12 streets, 487
// communities — and 5,000 staff (12 street leaders, 4,988 homed in the
// communities, the first of each community a LEADER).
//
// Each case runs one command through the real core path — core::Core on a
// RocksDB store in a temp dir, ExecuteGroup with one request a group:
// Permit, the handler, staging with its events and audit record, the commit
// (unsynced: an fsync would bury a microsecond check in milliseconds of disk)
// — in pairs: once as the local admin (Permit returns at once), once as a
// scoped principal, the same request on two fresh targets of the same kind
// (which gets which, and which runs first, by a seeded coin). Ratio = scoped /
// local, of the medians. With both calls of a pair as the local admin (an
// A/A run) the ratios came out 0.998-1.009: that is this harness's floor.
//
//   authz/visit_accept    visit_act ACCEPT_VISIT by its assignee, as that
//                         staff member (Principal::Staff)
//   authz/swap_approve    swap_decide APPROVE of an accepted swap in a
//                         community, by its street's leader (Principal::Staff)
//   authz/center_update   center_update (a new name) of a community by an
//                         operator key scoped at its street
//   authz/rota_now        rota_now of one community by a viewer key scoped at
//                         its street
//
// Each also times Permit alone for the scoped principal, on the same request,
// right after the command (warm: the look-ups the command made are cached).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <utility>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "bench/bench.h"
#include "daemon/base/clock.h"
#include "daemon/base/time_util.h"
#include "daemon/core/core.h"
#include "daemon/storage/store.h"
#include "tests/support/process.h"

namespace zhiban::bench::authz {
namespace {

constexpr int kStreets = 12, kCommunities = 487, kStaff = 5000;
constexpr int kCommunityStaff = kStaff - kStreets;
constexpr int kCalls = 1000;  // per principal per repetition
constexpr const char* kNow = "2026-03-02T10:00:00+08:00";

int64_t At(const std::string& iso) {
  return ParseIsoTime(iso)->time_since_epoch().count() / 1000000;
}

std::string StreetId(int s) { return fmt::format("street-{:02}", s); }
std::string CommunityId(int c) { return fmt::format("community-{:03}", c); }
int StreetOf(int c) { return c % kStreets; }
// Community staff j lives in community j % kCommunities, as its (j / kCommunities)-th.
std::string StaffId(int c, int k) { return fmt::format("s{:04}", k * kCommunities + c); }
std::string StreetLeaderId(int s) { return fmt::format("lead-{:02}", s); }

v1::Shift MakeShift(int c, int k, const std::string& date) {
  v1::Shift sh;
  sh.set_id(fmt::format("{}/{}/0830-REGULAR-{}", CommunityId(c), date, k));
  sh.set_center_id(CommunityId(c));
  sh.set_date(date);
  sh.set_kind(v1::REGULAR);
  sh.mutable_start()->set_seconds(At(date + "T08:30:00+08:00"));
  sh.mutable_end()->set_seconds(At(date + "T17:30:00+08:00"));
  sh.set_assignee_id(StaffId(c, k));
  return sh;
}

// The city in a Core, and the targets each case uses up (a swap is approved
// once, a visit accepted once).
struct City {
  test::TempDir dir;
  std::unique_ptr<storage::Store> store;
  SimulatedClock clock{*ParseIsoTime(kNow)};
  std::unique_ptr<core::Core> core;
  std::vector<std::string> swaps;   // ACCEPTED swaps
  std::vector<int> swap_community;  // each swap's community
  std::vector<std::string> visits;  // ASSIGNED visits
  size_t next_swap = 0, next_visit = 0;
  uint64_t renames = 0;

  City() {
    auto opened = storage::Store::Open(dir / "db", {.sync = false});
    if (!opened.ok()) Fail(opened.status());
    store = std::move(*opened);
    core = std::make_unique<core::Core>(store.get(), &clock, &clock, core::CoreOptions{});
    if (auto st = core->Load(); !st.ok()) Fail(st);
    // Targets for every timed call and a warm-up round, both principals.
    const size_t needed = static_cast<size_t>(Reps() + 1) * 2 * kCalls;
    domain::Mutation m;
    v1::Center root;
    root.set_id("city");
    root.set_name("市");
    m.centers_put.push_back(root);
    for (int s = 0; s < kStreets; ++s) {
      v1::Center c;
      c.set_id(StreetId(s));
      c.set_name(fmt::format("街道{}", s));
      c.set_parent_id("city");
      m.centers_put.push_back(c);
      v1::Staff lead;
      lead.set_id(StreetLeaderId(s));
      lead.set_name(lead.id());
      lead.set_center_id(StreetId(s));
      lead.add_roles(v1::LEADER);
      m.staff_put.push_back(lead);
    }
    for (int c = 0; c < kCommunities; ++c) {
      v1::Center cc;
      cc.set_id(CommunityId(c));
      cc.set_name(fmt::format("社区{}", c));
      cc.set_parent_id(StreetId(StreetOf(c)));
      m.centers_put.push_back(cc);
    }
    for (int j = 0; j < kCommunityStaff; ++j) {
      const int c = j % kCommunities, k = j / kCommunities;
      v1::Staff p;
      p.set_id(StaffId(c, k));
      p.set_name(p.id());
      p.set_center_id(CommunityId(c));
      p.add_roles(k == 0 ? v1::LEADER : v1::WORKER);
      m.staff_put.push_back(p);
      // Everyone on duty today (what rota_now shows).
      m.shifts_put.push_back(MakeShift(c, k, "2026-03-02"));
    }
    // Swaps: in each community, k = 1..8 paired (1 gives to 2, 3 to 4, ...),
    // one shift a day on alternate days from tomorrow, already accepted.
    const size_t pairs = static_cast<size_t>(kCommunities) * 4;
    const int days = static_cast<int>((needed + pairs - 1) / pairs);
    for (int d = 0; d < days; ++d) {
      const std::string date = fmt::format("2026-03-{:02}", 3 + 2 * d);
      for (int c = 0; c < kCommunities; ++c) {
        for (int k = 1; k <= 7; k += 2) {
          v1::Shift sh = MakeShift(c, k, date);
          v1::ShiftSwap sw;
          sw.set_id(fmt::format("swap-{}-{}-{}", c, k, d));
          sw.set_shift_id(sh.id());
          sw.set_from_staff_id(StaffId(c, k));
          sw.set_to_staff_id(StaffId(c, k + 1));
          sw.set_state(v1::ACCEPTED);
          swaps.push_back(sw.id());
          swap_community.push_back(c);
          m.shifts_put.push_back(std::move(sh));
          m.swaps_put.push_back(std::move(sw));
        }
      }
    }
    // Visits assigned to community staff, round-robin, each with its resident.
    const int64_t now = At(kNow);
    for (size_t i = 0; i < needed; ++i) {
      const int j = static_cast<int>(i % kCommunityStaff), c = j % kCommunities;
      v1::Resident r;
      r.set_id(fmt::format("r{:05}", i));
      r.set_name(r.id());
      r.set_home_center_id(CommunityId(c));
      r.set_legal_basis(v1::STATUTORY_DUTY);
      v1::Visit v;
      v.set_id(fmt::format("visit-{:05}", i));
      v.set_resident_id(r.id());
      v.set_center_id(CommunityId(c));
      v.set_service("care-visit");
      v.mutable_window_start()->set_seconds(now + 3600);
      v.mutable_window_end()->set_seconds(now + 3 * 3600);
      v.set_state(v1::VISIT_ASSIGNED);
      v.set_assignee_id(StaffId(c, j / kCommunities));
      v.mutable_accept_by()->set_seconds(now + 86400);
      visits.push_back(v.id());
      m.residents_put.push_back(std::move(r));
      m.visits_put.push_back(std::move(v));
    }
    std::vector<core::CommittedEvent> events;
    if (auto st = core->Commit(std::move(m), &events); !st.ok()) Fail(st);
  }

  const v1::Staff& Staff(const std::string& id) const { return *core->network().FindStaff(id); }

  [[noreturn]] static void Fail(const Status& st) {
    std::fprintf(stderr, "authz setup failed: %s\n", st.ToString().c_str());
    std::abort();
  }
};

City& World() {
  static City c;
  return c;
}

core::Principal KeyAt(const char* name, v1::AccessRole role, const std::string& center) {
  v1::AccessKey k;
  k.set_name(name);
  auto* g = k.add_grants();
  g->set_role(role);
  g->set_center_id(center);
  return core::Principal::Key(k, "bench");
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

// One call's request on a fresh target, and the scoped principal that may
// send it (the target's assignee, its street's leader, a key at its street).
struct Call {
  v1::CtlRequest req;
  core::Principal who;
};

// Runs kCalls pairs of calls from `make`, one as the local admin and one as
// the scoped principal, each call a group of its own; records median and p99
// of both (µs), of the check alone (ns), and how many calls succeeded.
void RunCase(benchmark::State& bs, const std::string& name, Call (*make)(City&)) {
  auto& w = World();
  const core::Principal local = core::Principal::Local("bench");
  std::vector<core::CommittedEvent> events;
  auto one = [&](const Call& call, const core::Principal& who) {
    std::vector<const v1::CtlRequest*> reqs{&call.req};
    std::vector<core::Principal> whos{who};
    events.clear();
    const auto t0 = std::chrono::steady_clock::now();
    auto replies = w.core->ExecuteGroup(reqs, &events, {}, &whos);
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    return std::pair{us, !replies[0].has_error()};
  };
  auto round = [&](bool record) {
    std::vector<double> base, scoped, check;
    size_t ok = 0;
    std::mt19937 rng(34);
    std::bernoulli_distribution coin;
    const core::Command* cmd = nullptr;
    for (int i = 0; i < kCalls; ++i) {
      // Two fresh targets. Which principal gets which, and which goes first,
      // is a coin toss (seeded): targets come in runs (a community's swaps,
      // one after another) whose first call is slower, its caches cold, and
      // any fixed pattern gives that call to one principal more often.
      Call x = make(w), y = make(w);
      if (coin(rng)) std::swap(x, y);
      const Call& a = x;
      const Call& b = y;
      if (!cmd) cmd = w.core->commands().Find(b.req.command_case());
      std::pair<double, bool> ra, rb;
      if (coin(rng)) {
        ra = one(a, local);
        rb = one(b, b.who);
      } else {
        rb = one(b, b.who);
        ra = one(a, local);
      }
      auto [us_a, ok_a] = ra;
      auto [us_b, ok_b] = rb;
      // The check alone, after the command: before it, it would warm the
      // caches for the scoped call (the swap, its shifts, the centers). A
      // target acted on reaches the same centers, so the check is the same.
      const auto t0 = std::chrono::steady_clock::now();
      const bool allowed = core::Permit(b.who, *cmd, b.req, w.core->state()).ok();
      check.push_back(
          std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count());
      benchmark::DoNotOptimize(allowed);
      base.push_back(us_a);
      scoped.push_back(us_b);
      ok += ok_a + ok_b;
    }
    if (!record) return Median(scoped);
    Record(name + "_base_us", Median(base));
    Record(name + "_base_p99_us", Percentile(base, 0.99));
    Record(name + "_us", Median(scoped));
    Record(name + "_p99_us", Percentile(scoped, 0.99));
    Record(name + "_check_ns", Median(check));
    Record(name + "_check_p99_ns", Percentile(check, 0.99));
    Record(name + "_ok", static_cast<double>(ok));
    return Median(scoped);
  };
  if (!Figures().count(name + "_us")) round(false);  // warm-up, once per case
  for (auto _ : bs) bs.SetIterationTime(round(true) / 1e6);
}

Call VisitAccept(City& w) {
  const std::string& id = w.visits.at(w.next_visit++);
  Call call{{}, {}};
  auto* q = call.req.mutable_visit_act();
  q->set_id(id);
  q->set_action(v1::ACCEPT_VISIT);
  q->set_by_staff_id(w.core->state().visits.FindVisit(id)->assignee_id());
  call.who = core::Principal::Staff(w.Staff(q->by_staff_id()), "bench");
  return call;
}

Call SwapApprove(City& w) {
  const size_t i = w.next_swap++;
  const int c = w.swap_community.at(i);
  Call call{{}, {}};
  auto* q = call.req.mutable_swap_decide();
  q->set_id(w.swaps.at(i));
  q->set_action(v1::APPROVE);
  q->set_by_staff_id(StreetLeaderId(StreetOf(c)));
  call.who = core::Principal::Staff(w.Staff(q->by_staff_id()), "bench");
  return call;
}

Call CenterUpdate(City& w) {
  const uint64_t n = w.renames++;
  const int c = static_cast<int>((n * 37) % kCommunities);
  Call call{{}, KeyAt("op-street", v1::ACCESS_OPERATOR, StreetId(StreetOf(c)))};
  auto* q = call.req.mutable_center_update();
  q->mutable_center()->set_id(CommunityId(c));
  q->mutable_center()->set_name(fmt::format("社区{}-{}", c, n));
  q->mutable_update_mask()->add_paths("name");
  return call;
}

Call RotaNow(City& w) {
  const uint64_t n = w.renames++;
  const int c = static_cast<int>((n * 37) % kCommunities);
  Call call{{}, KeyAt("viewer-street", v1::ACCESS_VIEWER, StreetId(StreetOf(c)))};
  call.req.mutable_rota_now()->set_center_id(CommunityId(c));
  return call;
}

void BenchVisitAccept(benchmark::State& bs) { RunCase(bs, "authz_visit", VisitAccept); }
void BenchSwapApprove(benchmark::State& bs) { RunCase(bs, "authz_swap", SwapApprove); }
void BenchCenterUpdate(benchmark::State& bs) { RunCase(bs, "authz_center", CenterUpdate); }
void BenchRotaNow(benchmark::State& bs) { RunCase(bs, "authz_now", RotaNow); }

}  // namespace

void PrintAuthzSummary() {
  auto& f = Figures();
  if (!f.count("authz_visit_us") && !f.count("authz_swap_us") && !f.count("authz_center_us") &&
      !f.count("authz_now_us"))
    return;
  auto m = [&](const std::string& k) { return f.count(k) ? Median(f[k]) : 0.0; };
  std::printf(
      "\nzhiban-bench authz — %d centers (1 root, %d streets, %d communities), %d staff; "
      "medians of %d repetition(s) of %d calls per principal, one request a group through "
      "core::Core (unsynced RocksDB)\n",
      1 + kStreets + kCommunities, kStreets, kCommunities, kStaff, Reps(), kCalls);
  std::printf("%-40s %9s %9s %9s %9s %7s %9s %9s %7s %6s\n", "command (scoped principal)", "local",
              "p99", "scoped", "p99", "ratio", "check", "p99", "share", "ok");
  const struct {
    const char* key;
    const char* label;
  } rows[] = {
      {"authz_visit", "visit_act accept, staff (assignee)"},
      {"authz_swap", "swap_decide approve, street leader"},
      {"authz_center", "center_update, operator@street"},
      {"authz_now", "rota_now <community>, viewer@street"},
  };
  for (const auto& r : rows) {
    const std::string k = r.key;
    if (!f.count(k + "_us")) continue;
    const double base = m(k + "_base_us"), scoped = m(k + "_us");
    const double check = m(k + "_check_ns");
    std::printf(
        "%-40s %6.1f us %6.1f us %6.1f us %6.1f us %6.3fx %6.0f ns %6.0f ns %6.1f%% %6.0f\n",
        r.label, base, m(k + "_base_p99_us"), scoped, m(k + "_p99_us"),
        base > 0 ? scoped / base : 0, check, m(k + "_check_p99_ns"),
        base > 0 ? check / 10 / base : 0, m(k + "_ok"));
  }
  std::printf(
      "ratio: scoped / local medians, the whole command; check: Permit alone for the scoped "
      "principal; share: check / local median; ok: calls that succeeded of %d a repetition\n",
      2 * kCalls);
}

#define ZHIBAN_AUTHZ_CASE(fn, name)                                                     \
  BENCHMARK(fn)->Name(name)->Iterations(1)->Repetitions(Reps())->UseManualTime()->Unit( \
      benchmark::kMicrosecond)

ZHIBAN_AUTHZ_CASE(BenchVisitAccept, "authz/visit_accept");
ZHIBAN_AUTHZ_CASE(BenchSwapApprove, "authz/swap_approve");
ZHIBAN_AUTHZ_CASE(BenchCenterUpdate, "authz/center_update");
ZHIBAN_AUTHZ_CASE(BenchRotaNow, "authz/rota_now");

}  // namespace zhiban::bench::authz
