// zhiban-bench residents: the cost of personal data at rest (issue 17),
// encryption off and on in the same run, through core::Core on a synced
// RocksDB in a temp dir.
//
//   residents/import_clear    100,000 residents (5 resident_import requests of
//                             20,000, one group, one synced commit) stored in
//                             clear: the baseline
//   residents/import_sealed   the same, each resident sealed under a key of
//                             their own (AES-256-GCM), the 100,000 keys
//                             wrapped and committed to the key store first
//   each case also times the restart: Core::Load of the 100,000 (for
//   sealed: the key store opened, 100,000 keys unwrapped, every record
//   opened).
//   and resident show --full after the restart: 1,000 audited reads in
//   groups of 100 (memory either way; each group one synced audit commit).
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "bench/bench.h"
#include "daemon/base/time_util.h"
#include "daemon/core/core.h"
#include "daemon/core/personal_data.h"
#include "daemon/storage/cipher.h"
#include "daemon/storage/store.h"
#include "tests/support/process.h"

namespace zhiban::bench {
namespace personal_data {
namespace {

constexpr int kResidents = 100000;
constexpr int kPerRequest = 20000;

// The import requests, built once: typical rows with every personal field.
const std::vector<v1::CtlRequest>& Requests() {
  static const std::vector<v1::CtlRequest> reqs = [] {
    std::vector<v1::CtlRequest> out(kResidents / kPerRequest);
    for (int i = 0; i < kResidents; ++i) {
      auto* r = out[i / kPerRequest].mutable_resident_import()->add_residents();
      r->set_id(fmt::format("r{:06d}", i));
      r->set_name("王秀英");
      r->set_address(fmt::format("幸福路{}号{}栋", i % 200, i % 30));
      r->set_room(fmt::format("{}单元{}室", i % 6 + 1, 100 + i % 900));
      r->set_phone(fmt::format("139{:08d}", i));
      r->set_id_number(fmt::format("110105194{:08d}X", i));
      r->set_health_notes("高血压，独居，每周需测血压两次；对青霉素过敏。");
      r->mutable_emergency_contact()->set_name("王小明");
      r->mutable_emergency_contact()->set_phone(fmt::format("137{:08d}", i));
      r->mutable_emergency_contact()->set_relation("儿子");
      r->add_categories(v1::ELDERLY_ALONE);
      r->set_care_tier(v1::KEY);
      r->set_legal_basis(v1::STATUTORY_DUTY);
      r->set_home_center_id("c1");
      r->mutable_location()->set_lat(39.9 + (i % 1000) * 1e-4);
      r->mutable_location()->set_lon(116.4 + (i % 997) * 1e-4);
    }
    for (auto& q : out) q.mutable_client()->set_user("bench");
    return out;
  }();
  return reqs;
}

struct World {
  test::TempDir dir;
  SimulatedClock clock{*ParseIsoTime("2026-01-05T08:00:00+08:00")};
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<storage::KeyStore> keys;
  std::unique_ptr<core::PersonalData> pd;
  std::unique_ptr<core::Core> core;
  storage::Key master = storage::RandomKey();

  Status Open(bool sealed) {
    core.reset();
    pd.reset();
    keys.reset();
    store.reset();
    ZB_ASSIGN_OR_RETURN(store, storage::Store::Open(dir / "db", {}));
    core::CoreOptions o;
    o.backup_root = dir / "backups";
    if (sealed) {
      ZB_ASSIGN_OR_RETURN(keys, storage::KeyStore::Open(dir / "keys", master, true));
      pd = std::make_unique<core::PersonalData>(keys.get());
      o.personal_data = pd.get();
    }
    core = std::make_unique<core::Core>(store.get(), &clock, &clock, o);
    return core->Load();
  }
};

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void Import(benchmark::State& state, bool sealed) {
  const std::string name = sealed ? "sealed" : "clear";
  const auto& reqs = Requests();
  for (auto _ : state) {
    World w;
    if (Status st = w.Open(sealed); !st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      return;
    }
    v1::CtlRequest center;
    center.mutable_center_add()->mutable_center()->set_id("c1");
    center.mutable_center_add()->mutable_center()->set_name("幸福社区");
    std::vector<core::CommittedEvent> events;
    w.core->ExecuteGroup({&center}, &events);
    std::vector<const v1::CtlRequest*> ptrs;
    for (const auto& q : reqs) ptrs.push_back(&q);
    events.clear();
    auto t0 = std::chrono::steady_clock::now();
    auto replies = w.core->ExecuteGroup(ptrs, &events);
    const double ms = MsSince(t0);
    for (const auto& r : replies) {
      if (r.has_error()) {
        state.SkipWithError(r.error().message().c_str());
        return;
      }
    }
    state.SetIterationTime(ms / 1000);
    Record("residents_import_" + name + "_ms", ms);
    auto t1 = std::chrono::steady_clock::now();
    if (Status st = w.Open(sealed); !st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      return;
    }
    Record("residents_load_" + name + "_ms", MsSince(t1));
    if (w.core->state().visits.FindResident("r099999")->phone() != "13900099999") {
      state.SkipWithError("a resident did not load whole");
      return;
    }
    Record("residents_bytes_" + name, static_cast<double>(w.store->TotalLiveBytes()));
    // resident show --full, audited: 1,000 reads in groups of 100 (each
    // group one synced commit of its audit records).
    std::vector<v1::CtlRequest> shows(1000);
    for (size_t i = 0; i < shows.size(); ++i) {
      auto* q = shows[i].mutable_resident_show();
      q->set_id(fmt::format("r{:06d}", i * 97));
      q->set_full(true);
      q->set_purpose("核实紧急联系人");
      shows[i].mutable_client()->set_user("bench");
    }
    auto t2 = std::chrono::steady_clock::now();
    for (size_t g = 0; g < shows.size(); g += 100) {
      std::vector<const v1::CtlRequest*> group;
      for (size_t i = g; i < g + 100; ++i) group.push_back(&shows[i]);
      events.clear();
      for (const auto& r : w.core->ExecuteGroup(group, &events)) {
        if (r.has_error() || r.resident().phone().empty()) {
          state.SkipWithError("resident show --full failed");
          return;
        }
      }
    }
    Record("residents_show_full_" + name + "_us", MsSince(t2) * 1000 / shows.size());
  }
}
void ImportClear(benchmark::State& state) { Import(state, false); }
void ImportSealed(benchmark::State& state) { Import(state, true); }

BENCHMARK(ImportClear)
    ->Name("residents/import_clear")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(ImportSealed)
    ->Name("residents/import_sealed")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

void PrintPersonalDataSummary() {
  auto& f = Figures();
  if (!f.count("residents_import_clear_ms") || !f.count("residents_import_sealed_ms")) return;
  auto m = [&](const std::string& k) { return f.count(k) ? Median(f[k]) : 0.0; };
  std::printf(
      "\nzhiban-bench residents — personal data at rest: %d residents imported (5 requests, one "
      "synced group) into an empty store, then loaded again; medians of %d repetition(s), same "
      "run\n",
      kResidents, Reps());
  std::printf("%-10s %12s %12s %14s %16s\n", "", "import", "load", "store bytes", "show --full");
  for (const char* k : {"clear", "sealed"}) {
    const std::string s = k;
    std::printf("%-10s %9.0f ms %9.0f ms %14.0f %13.1f us\n", k, m("residents_import_" + s + "_ms"),
                m("residents_load_" + s + "_ms"), m("residents_bytes_" + s),
                m("residents_show_full_" + s + "_us"));
  }
  const double ic = m("residents_import_clear_ms"), lc = m("residents_load_clear_ms");
  const double sc = m("residents_show_full_clear_us");
  std::printf("%-10s %11.2fx %11.2fx %14s %15.2fx\n", "sealed/clr",
              ic > 0 ? m("residents_import_sealed_ms") / ic : 0,
              lc > 0 ? m("residents_load_sealed_ms") / lc : 0, "",
              sc > 0 ? m("residents_show_full_sealed_us") / sc : 0);
}

}  // namespace personal_data
}  // namespace zhiban::bench
