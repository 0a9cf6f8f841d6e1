#include "daemon/core/personal_data.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/base/time_util.h"
#include "daemon/core/core.h"
#include "daemon/storage/store.h"
#include "tests/support/process.h"

namespace zhiban::core {
namespace {

constexpr const char* kPhone = "13912345678";
constexpr const char* kIdNumber = "11010119400101123X";
constexpr const char* kNotes = "胰岛素每日两次";

// A core over a store and a key store in a temp dir; `encrypt` false is a
// zhiband from before encryption.
class PersonalDataTest : public ::testing::Test {
 protected:
  void Open(bool encrypt) {
    core_.reset();
    pd_.reset();
    keys_.reset();
    store_.reset();
    auto s = storage::Store::Open(dir_ / "db", {.sync = false});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    CoreOptions options;
    options.backup_root = dir_ / "backups";
    if (encrypt) {
      auto ks = storage::KeyStore::Open(dir_ / "keys", master_, false);
      ASSERT_TRUE(ks.ok()) << ks.status().ToString();
      keys_ = std::move(*ks);
      pd_ = std::make_unique<PersonalData>(keys_.get());
      options.personal_data = pd_.get();
    }
    core_ = std::make_unique<Core>(store_.get(), &clock_, &clock_, options);
    Status loaded = core_->Load();
    ASSERT_TRUE(loaded.ok()) << loaded.ToString();
  }

  v1::CtlReply One(v1::CtlRequest req) {
    req.mutable_client()->set_user("tester");
    std::vector<const v1::CtlRequest*> ptrs{&req};
    return core_->ExecuteGroup(ptrs, &events_)[0];
  }

  void AddResident(const std::string& id) {
    if (!core_->state().network.FindCenter("c1")) {
      v1::CtlRequest c;
      c.mutable_center_add()->mutable_center()->set_id("c1");
      c.mutable_center_add()->mutable_center()->set_name("中心");
      ASSERT_FALSE(One(c).has_error());
    }
    v1::CtlRequest req;
    auto* r = req.mutable_resident_add()->mutable_resident();
    r->set_id(id);
    r->set_name("王秀英");
    r->set_room("3单元502");
    r->set_phone(kPhone);
    r->set_id_number(kIdNumber);
    r->set_health_notes(kNotes);
    r->set_home_center_id("c1");
    r->set_legal_basis(v1::STATUTORY_DUTY);
    r->set_care_tier(v1::KEY);
    auto reply = One(req);
    ASSERT_FALSE(reply.has_error()) << reply.error().message();
  }

  // Whether any stored value of `f` holds `text`.
  bool StoreHolds(storage::Family f, const std::string& text) {
    bool found = false;
    EXPECT_TRUE(store_
                    ->Scan(f, "",
                           [&](std::string_view, std::string_view v) {
                             found = found || v.find(text) != std::string_view::npos;
                             return true;
                           })
                    .ok());
    return found;
  }

  test::TempDir dir_;
  storage::Key master_ = storage::RandomKey();
  SimulatedClock clock_{*ParseIsoTime("2026-01-05T08:00:00+08:00")};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<storage::KeyStore> keys_;
  std::unique_ptr<PersonalData> pd_;
  std::unique_ptr<Core> core_;
  std::vector<CommittedEvent> events_;
};

TEST_F(PersonalDataTest, ResidentsAreStoredSealedAndLoadAgain) {
  Open(true);
  AddResident("R1");
  for (const char* text : {kPhone, kIdNumber, kNotes, "王秀英", "3单元502"}) {
    EXPECT_FALSE(StoreHolds(storage::Family::kResidents, text)) << text;
    EXPECT_FALSE(StoreHolds(storage::Family::kEvents, text)) << text;
  }
  // What was published is the masked card, as before.
  ASSERT_FALSE(events_.empty());
  v1::Event published;
  ASSERT_TRUE(published.ParseFromString(events_.back().bytes));
  EXPECT_EQ(published.resident_added().resident().name(), "王秀英");
  EXPECT_EQ(published.resident_added().resident().masked_phone(), "139****5678");
  // The replay endpoint gives back the same bytes.
  std::string stored;
  ASSERT_TRUE(store_
                  ->Scan(storage::Family::kEvents, storage::EncodeSeqKey(events_.back().seq),
                         [&](std::string_view, std::string_view v) {
                           stored = std::string(v);
                           return false;
                         })
                  .ok());
  EXPECT_NE(stored, events_.back().bytes);
  EXPECT_EQ(pd_->OpenEvent(stored), events_.back().bytes);

  Open(true);
  const auto* r = core_->state().visits.FindResident("R1");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->phone(), kPhone);
  EXPECT_EQ(r->id_number(), kIdNumber);
  EXPECT_EQ(r->health_notes(), kNotes);
  EXPECT_TRUE(r->care_plan().has_due());
  EXPECT_TRUE(r->sealed().empty());
}

TEST_F(PersonalDataTest, ATamperedRecordStopsTheLoadNamingIt) {
  Open(true);
  AddResident("R1");
  auto raw = store_->Get(storage::Family::kResidents, "R1");
  ASSERT_TRUE(raw.ok() && raw->has_value());
  std::string bytes = **raw;
  bytes[bytes.size() - 3] ^= 1;
  auto b = store_->NewBatch();
  b.Put(storage::Family::kResidents, "R1", bytes);
  ASSERT_TRUE(store_->Commit(b).ok());
  core_.reset();
  auto core = std::make_unique<Core>(store_.get(), &clock_, &clock_, [&] {
    CoreOptions o;
    o.personal_data = pd_.get();
    return o;
  }());
  Status st = core->Load();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.field(), "resident.sealed");
  EXPECT_NE(st.message().find("resident/R1"), std::string::npos) << st.message();
}

TEST_F(PersonalDataTest, RecordsStoredInClearAreSealedAtTheNextStart) {
  Open(false);
  AddResident("R1");
  EXPECT_TRUE(StoreHolds(storage::Family::kResidents, kPhone));
  Open(true);
  EXPECT_FALSE(StoreHolds(storage::Family::kResidents, kPhone));
  const auto* r = core_->state().visits.FindResident("R1");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->id_number(), kIdNumber);
  Open(true);
  ASSERT_NE(core_->state().visits.FindResident("R1"), nullptr);
  EXPECT_EQ(core_->state().visits.FindResident("R1")->phone(), kPhone);
}

TEST_F(PersonalDataTest, AnErasedKeyLeavesTheRecordSealedForGood) {
  Open(true);
  AddResident("R1");
  AddResident("R2");
  ASSERT_TRUE(keys_->Erase("R1").ok());
  Open(true);
  EXPECT_EQ(core_->state().visits.FindResident("R1"), nullptr);
  ASSERT_NE(core_->state().visits.FindResident("R2"), nullptr);
  // A lost key store (not an erasure) is refused, not read as erased.
  core_.reset();
  pd_.reset();
  keys_.reset();
  std::filesystem::remove_all(dir_ / "keys");
  auto ks = storage::KeyStore::Open(dir_ / "keys", master_, false);
  ASSERT_TRUE(ks.ok());
  PersonalData pd(ks->get());
  CoreOptions o;
  o.personal_data = &pd;
  Core core(store_.get(), &clock_, &clock_, o);
  Status st = core.Load();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.field(), "resident.sealed");
}

}  // namespace
}  // namespace zhiban::core
