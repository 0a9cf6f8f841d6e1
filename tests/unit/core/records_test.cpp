// Every kind of record in the record list (domain/records.h) survives
// stage -> commit -> reopen -> load, under its own key and family.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <set>

#include "daemon/base/clock.h"
#include "daemon/base/time_util.h"
#include "daemon/core/core.h"
#include "daemon/domain/records.h"
#include "tests/support/process.h"

namespace zhiban::core {
namespace {

// A record of kind `n` whose key fields are set, found by their names.
template <typename Msg>
Msg Sample(int n) {
  Msg m;
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  auto set = [&](const char* field, const std::string& v) {
    if (const auto* f = d->FindFieldByName(field); f && f->type() == f->TYPE_STRING) {
      r->SetString(&m, f, v);
    }
  };
  set("id", "rt-" + std::to_string(n));
  set("name", "rt-" + std::to_string(n));
  set("center_id", "c1");
  set("month", "2026-03");
  set("from", "2026-03-01");
  if (const auto* f = d->FindFieldByName("year")) r->SetInt32(&m, f, 2030);
  if (const auto* f = d->FindFieldByName("version")) r->SetUInt32(&m, f, 1);
  return m;
}

TEST(RecordList, EveryKindRoundTripsThroughStageCommitAndReload) {
  test::TempDir dir;
  SimulatedClock clock(*ParseIsoTime("2026-03-02T08:00:00+08:00"));
  domain::Mutation m;
  int kinds = 0;
  domain::ForEachRecordKind([&](const auto& kind) {
    using Msg = typename std::decay_t<decltype(kind)>::Record;
    (m.*kind.put).push_back(Sample<Msg>(kinds++));
  });
  domain::Mutation written = m;
  {
    auto store = storage::Store::Open(dir / "db", {.sync = false});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Core core(store->get(), &clock, &clock, CoreOptions{});
    ASSERT_TRUE(core.Load().ok());
    std::vector<CommittedEvent> events;
    ASSERT_TRUE(core.Commit(std::move(m), &events).ok());
  }
  auto store = storage::Store::Open(dir / "db", {.sync = false});
  ASSERT_TRUE(store.ok()) << store.status().ToString();

  // Stored under its key, in its family, byte for byte.
  domain::ForEachRecordKind([&](const auto& kind) {
    using Msg = typename std::decay_t<decltype(kind)>::Record;
    const Msg& want = (written.*kind.put).front();
    auto family = storage::FamilyNamed(kind.family);
    ASSERT_TRUE(family) << kind.name;
    auto got = (*store)->Get(*family, kind.key(want));
    ASSERT_TRUE(got.ok() && got->has_value()) << kind.name << " not stored under its key";
    Msg back;
    ASSERT_TRUE(back.ParseFromString(**got)) << kind.name;
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(back, want)) << kind.name;
  });

  // Loaded back into the state it belongs to.
  Core core(store->get(), &clock, &clock, CoreOptions{});
  ASSERT_TRUE(core.Load().ok());
  const auto& st = core.state();
  ASSERT_EQ(kinds, 17) << "a new kind of record: check it below too";
  EXPECT_NE(st.network.FindCenter("rt-0"), nullptr);
  EXPECT_NE(st.network.FindStaff("rt-1"), nullptr);
  EXPECT_TRUE(st.calendar.HasYear(2030));
  EXPECT_NE(st.calendar.FindException("rt-3"), nullptr);
  EXPECT_NE(st.policies.Find("rt-4", 1), nullptr);
  EXPECT_EQ(st.policies.assignments().count("c1"), 1u);
  EXPECT_NE(st.rota.FindShift("rt-6"), nullptr);
  EXPECT_EQ(st.rota.rotations().count("rt-7"), 1u);
  EXPECT_EQ(st.rota.leave().count("rt-8"), 1u);
  EXPECT_EQ(st.rota.swaps().count("rt-9"), 1u);
  EXPECT_EQ(st.rota.leave_requests().count("rt-10"), 1u);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(st.rota.rules(),
                                                                 written.rules_put.front()));
  EXPECT_TRUE(st.rota.MonthPublished("c1", "2026-03"));
  EXPECT_NE(st.visits.FindResident("rt-13"), nullptr);
  EXPECT_NE(st.visits.FindVisit("rt-14"), nullptr);
  EXPECT_NE(st.appointments.Find("rt-15"), nullptr);
  EXPECT_NE(st.access.Find("rt-16"), nullptr);
}

// Topics come from one place (domain::TopicOf): every body of Event has one,
// "<first word>.<the rest>", distinct, and the ones subscribers route on are
// spelled as PROTOCOL.md says.
TEST(Topics, EveryEventBodyHasItsOwnTopic) {
  const auto* oneof = v1::Event::descriptor()->FindOneofByName("body");
  std::set<std::string> seen;
  for (int i = 0; i < oneof->field_count(); ++i) {
    v1::Event e;
    const auto* f = oneof->field(i);
    e.GetReflection()->MutableMessage(&e, f);
    const std::string topic = domain::TopicOf(e);
    EXPECT_NE(topic.find('.'), std::string::npos) << f->name() << " -> " << topic;
    EXPECT_TRUE(seen.insert(topic).second) << topic << " twice";
  }
  auto of = [](auto set) {
    v1::Event e;
    set(e);
    return domain::TopicOf(e);
  };
  EXPECT_EQ(of([](v1::Event& e) { e.mutable_center_added(); }), "center.added");
  EXPECT_EQ(of([](v1::Event& e) { e.mutable_shift_checked_in(); }), "shift.checked_in");
  EXPECT_EQ(of([](v1::Event& e) { e.mutable_coverage_gap(); }), "coverage.gap");
  EXPECT_EQ(of([](v1::Event& e) { e.mutable_visit_en_route(); }), "visit.en_route");
  EXPECT_EQ(of([](v1::Event& e) { e.mutable_heartbeat(); }), "bus.heartbeat");
  EXPECT_EQ(of([](v1::Event&) {}), "") << "no body, no topic";
  domain::Mutation m;
  v1::Event e;
  e.mutable_rota_generated();
  m.Emit(e);
  EXPECT_EQ(m.events[0].topic(), "rota.generated") << "Emit sets it";
}

// Any kind's event may carry its stored record (serialized once): a shift,
// which no event announced so before, costs nothing but EmitWithRecord; the
// bytes on the bus are those of the whole event, after an Append too.
TEST(RecordList, AnyKindsEventCarriesItsRecordSerializedOnce) {
  test::TempDir dir;
  SimulatedClock clock(*ParseIsoTime("2026-03-02T08:00:00+08:00"));
  domain::Mutation first, second;
  first.shifts_put.push_back(Sample<v1::Shift>(1));  // shifts the second's indexes
  v1::Event center_added;
  center_added.set_center_id("rt-0");
  center_added.mutable_center_added();
  domain::EmitWithRecord(first, center_added, Sample<v1::Center>(0));
  v1::Event assigned;
  assigned.set_center_id("c1");
  assigned.mutable_shift_assigned()->mutable_staff()->set_name("李娜");
  domain::EmitWithRecord(second, assigned, Sample<v1::Shift>(2));
  first.Append(std::move(second));
  ASSERT_EQ(first.events.size(), 2u);
  EXPECT_EQ(first.FullEvent(1).shift_assigned().shift().id(), "rt-2") << "index moved by Append";
  EXPECT_EQ(first.FullEvent(1).shift_assigned().staff().name(), "李娜");
  EXPECT_EQ(first.FullEvent(0).center_added().center().id(), "rt-0");
  std::vector<v1::Event> full = {first.FullEvent(0), first.FullEvent(1)};

  auto store = storage::Store::Open(dir / "db", {.sync = false});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Core core(store->get(), &clock, &clock, CoreOptions{});
  ASSERT_TRUE(core.Load().ok());
  std::vector<CommittedEvent> events;
  ASSERT_TRUE(core.Commit(std::move(first), &events).ok());
  ASSERT_EQ(events.size(), 2u);
  for (size_t i = 0; i < events.size(); ++i) {
    v1::Event got;
    ASSERT_TRUE(got.ParseFromString(events[i].bytes));
    // The core stamps the header; the body is the full event's.
    full[i].set_seq(got.seq());
    full[i].set_id(got.id());
    *full[i].mutable_time() = got.time();
    full[i].set_actor(got.actor());
    full[i].set_center_name(got.center_name());
    EXPECT_EQ(events[i].bytes, full[i].SerializeAsString()) << "byte for byte: event " << i;
  }
}

TEST(RecordList, EveryKindNamesAFamilyStorageHas) {
  domain::ForEachRecordKind([&](const auto& kind) {
    EXPECT_TRUE(storage::FamilyNamed(kind.family)) << kind.name << ": " << kind.family;
    EXPECT_EQ(kind.deleted == nullptr, kind.erase == nullptr) << kind.name;
  });
}

}  // namespace
}  // namespace zhiban::core
