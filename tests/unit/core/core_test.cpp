#include "daemon/core/core.h"

#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/base/time_util.h"
#include "daemon/domain/holiday_json.h"
#include "tests/support/process.h"
#include "tests/support/source.h"

namespace zhiban::core {
namespace {

class CoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    core_.reset();
    store_.reset();
    auto s = storage::Store::Open(dir_ / "db", {.sync = false});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    CoreOptions options;
    options.backup_root = dir_ / "backups";
    core_ = std::make_unique<Core>(store_.get(), &clock_, &clock_, options);
    ASSERT_TRUE(core_->Load().ok());
  }

  std::vector<v1::CtlReply> Group(std::vector<v1::CtlRequest> reqs) {
    std::vector<const v1::CtlRequest*> ptrs;
    for (auto& r : reqs) {
      r.mutable_client()->set_user("tester");
      r.mutable_client()->set_host("unit");
      ptrs.push_back(&r);
    }
    return core_->ExecuteGroup(ptrs, &events_);
  }
  v1::CtlReply One(v1::CtlRequest req) { return Group({std::move(req)})[0]; }

  static v1::CtlRequest AddCenter(const std::string& id, const std::string& parent = "") {
    v1::CtlRequest r;
    auto* c = r.mutable_center_add()->mutable_center();
    c->set_id(id);
    c->set_name("中心" + id);
    c->set_parent_id(parent);
    return r;
  }

  std::vector<v1::Event> StoredEvents() {
    std::vector<v1::Event> out;
    EXPECT_TRUE(store_
                    ->Scan(storage::Family::kEvents, "",
                           [&](std::string_view, std::string_view v) {
                             v1::Event e;
                             EXPECT_TRUE(e.ParseFromArray(v.data(), static_cast<int>(v.size())));
                             out.push_back(e);
                             return true;
                           })
                    .ok());
    return out;
  }

  test::TempDir dir_;
  SimulatedClock clock_{*ParseIsoTime("2026-01-05T08:00:00+08:00")};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<Core> core_;
  std::vector<CommittedEvent> events_;
};

TEST_F(CoreTest, GroupGetsConsecutiveSeqsAndSeesItsOwnChanges) {
  auto replies = Group({AddCenter("street"), AddCenter("c1", "street"), AddCenter("c2", "street")});
  ASSERT_EQ(replies.size(), 3u);
  for (const auto& r : replies) EXPECT_FALSE(r.has_error()) << r.error().message();
  EXPECT_EQ(replies[0].first_seq(), 1u);
  EXPECT_EQ(replies[2].first_seq(), 3u);
  ASSERT_EQ(events_.size(), 3u);
  auto stored = StoredEvents();
  ASSERT_EQ(stored.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(stored[i].seq(), i + 1);
    EXPECT_EQ(stored[i].id(), core_->instance_id() + "-" + std::to_string(i + 1));
    EXPECT_EQ(stored[i].actor(), "local") << "the principal, not the client's claim";
    EXPECT_EQ(stored[i].SerializeAsString(), events_[i].bytes);
  }
}

// Record events are written by splicing the record's bytes into the body; the
// result must be exactly protobuf's own encoding of the complete event.
TEST_F(CoreTest, SplicedEventsAreCanonicalProtobuf) {
  One(AddCenter("street"));
  v1::CtlRequest staff;
  auto* s = staff.mutable_staff_add()->mutable_staff();
  s->set_id("s1");
  s->set_name("张伟");
  s->set_center_id("street");
  s->add_roles(v1::LEADER);
  s->add_skills("medical");
  One(staff);
  v1::CtlRequest upd;
  upd.mutable_staff_update()->mutable_staff()->set_phone("13800000001");
  upd.mutable_staff_update()->mutable_staff()->set_id("s1");
  upd.mutable_staff_update()->mutable_update_mask()->add_paths("phone");
  One(upd);
  v1::CtlRequest cupd;
  cupd.mutable_center_update()->mutable_center()->set_id("street");
  cupd.mutable_center_update()->mutable_center()->set_address("朝阳路 1 号");
  cupd.mutable_center_update()->mutable_update_mask()->add_paths("address");
  One(cupd);
  v1::CtlRequest rm;
  rm.mutable_staff_remove()->set_id("s1");
  One(rm);

  auto stored = StoredEvents();
  ASSERT_EQ(stored.size(), 5u);
  EXPECT_EQ(stored[0].center_added().center().name(), "中心street");
  EXPECT_EQ(stored[1].staff_added().staff().skills(0), "medical");
  EXPECT_EQ(stored[2].staff_updated().staff().phone(), "");  // never on the bus (issue 35)
  ASSERT_EQ(stored[2].staff_updated().changed_fields_size(), 1);
  EXPECT_EQ(stored[2].staff_updated().changed_fields(0), "phone");
  EXPECT_EQ(stored[3].center_updated().center().address(), "朝阳路 1 号");
  EXPECT_EQ(stored[4].staff_removed().staff().id(), "s1");
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(stored[i].SerializeAsString(), events_[i].bytes) << "event " << i + 1;
  }
}

TEST_F(CoreTest, CenterTimeZonesMustBeInTheTzDatabase) {
  auto req = AddCenter("kashi");
  req.mutable_center_add()->mutable_center()->set_time_zone("Mars/Olympus_Mons");
  auto r = One(req);
  ASSERT_TRUE(r.has_error());
  EXPECT_EQ(r.error().field(), "center.time_zone");
  req.mutable_center_add()->mutable_center()->set_time_zone("Asia/Urumqi");
  EXPECT_FALSE(One(req).has_error());
  EXPECT_EQ(core_->last_seq(), 1u);
}

TEST_F(CoreTest, RefusedCommandChangesNothingButIsAudited) {
  One(AddCenter("street"));
  auto r = One(AddCenter("c1", "nope"));
  ASSERT_TRUE(r.has_error());
  EXPECT_EQ(r.error().code(), v1::NOT_FOUND);
  EXPECT_EQ(r.error().field(), "center.parent_id");
  EXPECT_EQ(core_->last_seq(), 1u);
  EXPECT_EQ(core_->network().centers().size(), 1u);
  v1::CtlRequest audit;
  audit.mutable_audit_list();
  auto a = One(audit);
  ASSERT_EQ(a.audit_list().records_size(), 2);
  EXPECT_EQ(a.audit_list().records(0).command(), "center_add");
  EXPECT_EQ(a.audit_list().records(0).code(), v1::NOT_FOUND);
  EXPECT_EQ(a.audit_list().records(1).code(), v1::ERROR_CODE_UNSPECIFIED);
  EXPECT_EQ(a.audit_list().records(1).first_event_seq(), 1u);
}

// A notifier's contact lookup: each person's channels, the ids with no
// record, and an audit record under the plugin's key naming the event served.
TEST_F(CoreTest, AContactLookupAnswersChannelsAndIsAuditedUnderThePlugin) {
  One(AddCenter("street"));
  auto staff = [&](const char* id, const char* phone, const char* wecom) {
    v1::CtlRequest r;
    auto* s = r.mutable_staff_add()->mutable_staff();
    s->set_id(id);
    s->set_name(id);
    s->set_center_id("street");
    s->set_phone(phone);
    s->set_wecom_user_id(wecom);
    s->add_roles(v1::WORKER);
    ASSERT_FALSE(One(r).has_error());
  };
  staff("s1", "13900000001", "wx1");
  staff("s2", "13900000002", "");
  v1::AccessKey k;
  k.set_name("sms");
  k.add_grants()->set_role(v1::ACCESS_PLUGIN);
  const std::vector<Principal> who = {Principal::Key(k, "notify@host")};
  v1::CtlRequest q;
  q.mutable_contact_query()->add_staff_ids("s2");
  q.mutable_contact_query()->add_staff_ids("gone");
  q.mutable_contact_query()->add_staff_ids("s1");
  q.mutable_contact_query()->set_event_seq(2);
  auto r = core_->ExecuteGroup({&q}, &events_, {}, &who)[0];
  ASSERT_FALSE(r.has_error()) << r.error().message();
  const auto& c = r.contact_query();
  ASSERT_EQ(c.contacts_size(), 2);
  EXPECT_EQ(c.contacts(0).staff_id(), "s2");
  EXPECT_EQ(c.contacts(0).phone(), "13900000002");
  EXPECT_EQ(c.contacts(0).preferred(), v1::CONTACT_SMS);
  EXPECT_EQ(c.contacts(1).wecom_user_id(), "wx1");
  EXPECT_EQ(c.contacts(1).preferred(), v1::CONTACT_WECOM);
  EXPECT_FALSE(c.contacts(1).has_quiet_hours());
  ASSERT_EQ(c.missing_ids_size(), 1);
  EXPECT_EQ(c.missing_ids(0), "gone");
  EXPECT_EQ(c.as_of_seq(), 3u);  // center, s1, s2: the answer reflects every stored event
  // A purpose that is no stored event is refused.
  q.mutable_contact_query()->set_event_seq(99);
  auto bad = core_->ExecuteGroup({&q}, &events_, {}, &who)[0];
  ASSERT_TRUE(bad.has_error());
  EXPECT_EQ(bad.error().field(), "event_seq");
  // A lookup made ahead serves a range of stored events, in order.
  q.mutable_contact_query()->set_event_seq(1);
  q.mutable_contact_query()->set_last_event_seq(4);
  bad = core_->ExecuteGroup({&q}, &events_, {}, &who)[0];
  ASSERT_TRUE(bad.has_error());
  EXPECT_EQ(bad.error().field(), "last_event_seq");
  q.mutable_contact_query()->set_event_seq(3);
  q.mutable_contact_query()->set_last_event_seq(2);
  bad = core_->ExecuteGroup({&q}, &events_, {}, &who)[0];
  ASSERT_TRUE(bad.has_error());
  EXPECT_EQ(bad.error().field(), "last_event_seq");
  q.mutable_contact_query()->set_event_seq(2);
  q.mutable_contact_query()->set_last_event_seq(3);
  auto ahead = core_->ExecuteGroup({&q}, &events_, {}, &who)[0];
  ASSERT_FALSE(ahead.has_error()) << ahead.error().message();
  EXPECT_EQ(ahead.contact_query().contacts_size(), 2);

  v1::CtlRequest audit;
  audit.mutable_audit_list()->set_actor("sms");
  auto a = One(audit);
  ASSERT_EQ(a.audit_list().records_size(), 5);  // newest first
  EXPECT_EQ(a.audit_list().records(0).target(), "s2,gone,s1 for events 2..3");
  EXPECT_EQ(a.audit_list().records(0).message(), "read the contacts of 3 staff for events 2..3");
  EXPECT_EQ(a.audit_list().records(1).code(), v1::INVALID_ARGUMENT);
  EXPECT_EQ(a.audit_list().records(2).code(), v1::INVALID_ARGUMENT);
  EXPECT_EQ(a.audit_list().records(3).code(), v1::INVALID_ARGUMENT);
  a.mutable_audit_list()->mutable_records()->DeleteSubrange(0, 3);
  ASSERT_EQ(a.audit_list().records_size(), 2);
  EXPECT_EQ(a.audit_list().records(0).code(), v1::INVALID_ARGUMENT);
  EXPECT_EQ(a.audit_list().records(1).command(), "contact_query");
  EXPECT_EQ(a.audit_list().records(1).target(), "s2,gone,s1 for event 2");
  EXPECT_EQ(a.audit_list().records(1).message(), "read the contacts of 3 staff for event 2");
  EXPECT_EQ(a.audit_list().records(1).claimed(), "notify@host");
}

// Events say who, not how to reach them: staff.* and every other event
// carrying a Staff leave without phone and WeCom id; the record keeps them.
TEST_F(CoreTest, EventsCarryStaffCardsWithoutContactsAndTheRecordKeepsThem) {
  v1::CtlRequest c = AddCenter("street");
  c.mutable_center_add()->mutable_center()->set_phone("010-65000000");
  One(c);
  v1::CtlRequest r;
  auto* s = r.mutable_staff_add()->mutable_staff();
  s->set_id("s1");
  s->set_name("李娜");
  s->set_center_id("street");
  s->set_phone("13900000001");
  s->set_wecom_user_id("lina");
  s->add_roles(v1::WORKER);
  ASSERT_FALSE(One(r).has_error());
  v1::CtlRequest u;
  u.mutable_staff_update()->mutable_staff()->set_id("s1");
  u.mutable_staff_update()->mutable_staff()->set_phone("13900000002");
  u.mutable_staff_update()->mutable_update_mask()->add_paths("phone");
  ASSERT_FALSE(One(u).has_error());
  const auto stored = StoredEvents();
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[0].center_added().center().phone(), "010-65000000");  // a public line stays
  for (const auto& e : stored) {
    const std::string bytes = e.SerializeAsString();
    EXPECT_EQ(bytes.find("1390000000"), std::string::npos) << e.topic();
    EXPECT_EQ(bytes.find("lina"), std::string::npos) << e.topic();
  }
  EXPECT_EQ(stored[1].staff_added().staff().name(), "李娜");
  EXPECT_EQ(stored[2].staff_updated().staff().id(), "s1");
  ASSERT_EQ(stored[2].staff_updated().changed_fields_size(), 1);
  EXPECT_EQ(stored[2].staff_updated().changed_fields(0), "phone");
  // What was published is what was stored.
  for (const auto& ce : events_) {
    EXPECT_EQ(ce.bytes.find("1390000000"), std::string::npos) << ce.topic;
  }
  EXPECT_EQ(core_->network().FindStaff("s1")->phone(), "13900000002");
  EXPECT_EQ(core_->network().FindStaff("s1")->wecom_user_id(), "lina");
}

// A path the OS refuses (here a component longer than NAME_MAX) once threw
// filesystem_error out of the backup command and ended the daemon.
TEST_F(CoreTest, BackupToAPathTheSystemRefusesIsAnErrorNotACrash) {
  v1::CtlRequest r;
  r.mutable_backup_create()->set_dir(std::string(300, 'x') + "/backup");
  const auto reply = One(r);
  ASSERT_TRUE(reply.has_error());
  EXPECT_EQ(reply.error().code(), v1::INVALID_ARGUMENT) << reply.error().message();
  EXPECT_EQ(reply.error().field(), "dir");
  // The core goes on serving.
  EXPECT_FALSE(One(AddCenter("street")).has_error());
}

// Backups hold residents' data: only under the backup root, owner-only, and
// a missing parent is the caller's mistake, not a transient failure.
TEST_F(CoreTest, BackupsGoOnlyUnderTheRootAndAreOwnerOnly) {
  namespace fs = std::filesystem;
  auto backup = [&](const std::string& dir) {
    v1::CtlRequest r;
    r.mutable_backup_create()->set_dir(dir);
    return One(r);
  };
  for (const char* outside : {"/tmp/zhiban-elsewhere", "../escape", "", "."}) {
    const auto reply = backup(outside);
    EXPECT_TRUE(reply.error().code() == v1::FAILED_PRECONDITION ||
                reply.error().code() == v1::INVALID_ARGUMENT)
        << "\"" << outside << "\": " << reply.error().message();
    EXPECT_EQ(reply.error().field(), "dir");
  }
  EXPECT_EQ(backup("no/such/parent").error().code(), v1::INVALID_ARGUMENT);
  One(AddCenter("street"));
  const auto ok = backup("nightly");
  ASSERT_FALSE(ok.has_error()) << ok.error().message();
  EXPECT_EQ(ok.backup().dir(), (dir_.path() / "backups" / "nightly").string());
  EXPECT_EQ(fs::status(dir_.path() / "backups").permissions(), fs::perms::owner_all);
  const auto abs = backup((dir_.path() / "backups" / "second").string());
  EXPECT_FALSE(abs.has_error()) << "an absolute path under the root is fine";
}

// A Chinese id is refused naming its whole first character; the reply and
// the audit record stay valid UTF-8, so the audit log stays readable.
TEST_F(CoreTest, AChineseIdIsRefusedInValidUtf8AndTheAuditStaysReadable) {
  v1::CtlRequest r;
  r.mutable_center_remove()->set_id("幸福");
  const auto reply = One(r);
  ASSERT_TRUE(reply.has_error());
  EXPECT_NE(reply.error().message().find("'幸'"), std::string::npos) << reply.error().message();
  v1::CtlReply back;
  EXPECT_TRUE(back.ParseFromString(reply.SerializeAsString())) << "the reply must be valid UTF-8";
  v1::CtlRequest list;
  list.mutable_audit_list();
  const auto audit = One(list);
  ASSERT_FALSE(audit.has_error()) << audit.error().message();
  ASSERT_GE(audit.audit_list().records_size(), 1);
  EXPECT_EQ(audit.audit_list().records(0).target(), "幸福");
}

TEST_F(CoreTest, StatusAndBackupNameOnlyWhatIsOnDisk) {
  One(AddCenter("street"));
  v1::CtlRequest backup, status;
  backup.mutable_backup_create()->set_dir("bk");
  status.mutable_status();
  auto replies = Group({AddCenter("c1", "street"), backup, status});
  ASSERT_FALSE(replies[1].has_error()) << replies[1].error().message();
  EXPECT_EQ(replies[1].backup().last_seq(), 1u)
      << "c1's event is staged in the same group, not in the checkpoint";
  EXPECT_EQ(replies[2].status().last_seq(), 1u);
  EXPECT_EQ(core_->last_seq(), 2u);
  // The HTTP path answers from the same handler, outside a group.
  auto q = core_->Query(status, Principal::Internal());
  EXPECT_EQ(q.status().last_seq(), 2u);
  EXPECT_EQ(q.status().centers(), 2u);
  v1::CtlRequest personal;
  personal.mutable_resident_show()->set_id("r1");
  EXPECT_EQ(core_->Query(personal, Principal::Internal()).error().code(), v1::FAILED_PRECONDITION)
      << "audited reads are not answered outside a group";
  EXPECT_EQ(core_->Query(AddCenter("c2"), Principal::Internal()).error().code(),
            v1::FAILED_PRECONDITION);
  EXPECT_EQ(core_->network().centers().size(), 2u);
}

TEST_F(CoreTest, StateSeqAndAuditSurviveReload) {
  Group({AddCenter("street"), AddCenter("c1", "street")});
  std::string instance = core_->instance_id();
  Open();
  EXPECT_EQ(core_->instance_id(), instance);
  EXPECT_EQ(core_->last_seq(), 2u);
  EXPECT_EQ(core_->network().centers().size(), 2u);
  auto r = One(AddCenter("c2", "street"));
  EXPECT_EQ(r.first_seq(), 3u);
}

TEST_F(CoreTest, QueriesPageInIdOrder) {
  std::vector<v1::CtlRequest> adds;
  for (int i = 0; i < 25; ++i) adds.push_back(AddCenter(fmt::format("c{:02}", i)));
  Group(std::move(adds));
  v1::CtlRequest list;
  list.mutable_center_list()->set_limit(10);
  auto page1 = One(list);
  ASSERT_EQ(page1.center_list().centers_size(), 10);
  EXPECT_EQ(page1.center_list().total(), 25u);
  EXPECT_EQ(page1.center_list().next_after_id(), "c09");
  list.mutable_center_list()->set_after_id("c19");
  auto page3 = One(list);
  ASSERT_EQ(page3.center_list().centers_size(), 5);
  EXPECT_EQ(page3.center_list().centers(0).id(), "c20");
  EXPECT_EQ(page3.center_list().next_after_id(), "");
}

TEST_F(CoreTest, ImportSessionIsOneBatchOrNothing) {
  One(AddCenter("street"));
  v1::CtlRequest begin;
  begin.mutable_import_begin()->set_kind(v1::STAFF);
  auto opened = One(begin);
  ASSERT_FALSE(opened.has_error());
  const std::string id = opened.import().import_id();
  for (int chunk = 0; chunk < 3; ++chunk) {
    v1::CtlRequest rows;
    rows.mutable_import_rows()->set_import_id(id);
    for (int i = 0; i < 100; ++i) {
      auto* s = rows.mutable_import_rows()->add_staff();
      s->set_id(fmt::format("s{}-{}", chunk, i));
      s->set_name("张三");
      s->set_center_id("street");
      s->add_roles(v1::WORKER);
    }
    auto r = One(rows);
    ASSERT_FALSE(r.has_error()) << r.error().message();
    EXPECT_EQ(r.import().rows(), static_cast<uint32_t>((chunk + 1) * 100));
  }
  EXPECT_EQ(core_->last_seq(), 1u) << "nothing written before commit";
  v1::CtlRequest commit;
  commit.mutable_import_commit()->set_import_id(id);
  auto done = One(commit);
  ASSERT_FALSE(done.has_error()) << done.error().message();
  EXPECT_EQ(done.import().added(), 300u);
  EXPECT_EQ(done.first_seq(), 2u);
  EXPECT_EQ(done.event_count(), 300u);
  EXPECT_EQ(core_->network().staff().size(), 300u);
  // The session is closed.
  EXPECT_EQ(One(commit).error().code(), v1::NOT_FOUND);
}

TEST_F(CoreTest, ImportWithBadRowsWritesNothingAndNamesRows) {
  v1::CtlRequest begin;
  begin.mutable_import_begin()->set_kind(v1::CENTERS);
  const std::string id = One(begin).import().import_id();
  v1::CtlRequest rows;
  rows.mutable_import_rows()->set_import_id(id);
  for (int i = 0; i < 3; ++i) {
    auto* c = rows.mutable_import_rows()->add_centers();
    c->set_id(fmt::format("c{}", i));
    c->set_name(i == 1 ? "" : "中心");
    rows.mutable_import_rows()->add_row_numbers(10 + i);
  }
  ASSERT_FALSE(One(rows).has_error());
  v1::CtlRequest commit;
  commit.mutable_import_commit()->set_import_id(id);
  auto r = One(commit);
  ASSERT_TRUE(r.has_error());
  ASSERT_EQ(r.error().row_errors_size(), 1);
  EXPECT_EQ(r.error().row_errors(0).row(), 11u);
  EXPECT_EQ(r.error().row_errors(0).column(), "name");
  EXPECT_EQ(core_->last_seq(), 0u);
  EXPECT_TRUE(core_->network().centers().empty());
}

TEST_F(CoreTest, ImportSessionsExpireWhenIdle) {
  v1::CtlRequest begin;
  begin.mutable_import_begin()->set_kind(v1::CENTERS);
  One(begin);
  EXPECT_EQ(core_->open_imports(), 1u);
  core_->ExpireImports(std::chrono::steady_clock::now() + std::chrono::hours(1));
  EXPECT_EQ(core_->open_imports(), 0u);
}

// 100 chunks of one row with a 3.9 MB name once took zhiband from 21 to 414
// MiB: rows were held unchecked until commit. Now their memory is counted as
// they arrive, per session and over every open one, and a chunk beyond
// either cap is refused whole, naming the setting.
TEST(ImportLimitsTest, RowsAreCountedInBytesAsTheyArrive) {
  ImportLimits limits;
  limits.max_session_bytes = 64 << 10;
  limits.max_total_bytes = 96 << 10;
  ImportSessions sessions(limits, "i");
  const auto now = std::chrono::steady_clock::now();
  auto begin = [&] {
    v1::ImportBeginRequest b;
    b.set_kind(v1::CENTERS);
    v1::CtlReply reply;
    EXPECT_TRUE(sessions.Begin(b, now, &reply).ok());
    return reply.import().import_id();
  };
  auto chunk = [&](const std::string& id) {
    v1::ImportRowsRequest r;
    r.set_import_id(id);
    r.add_centers()->set_name(std::string(40 << 10, 'x'));
    v1::CtlReply reply;
    return sessions.Rows(r, now, &reply);
  };
  const std::string a = begin(), b = begin();
  ASSERT_TRUE(chunk(a).ok());
  const size_t one = sessions.held_bytes();
  EXPECT_GT(one, size_t{40} << 10);
  Status s = chunk(a);
  EXPECT_EQ(s.code(), Code::kResourceExhausted);
  EXPECT_NE(s.message().find("import.max_session_mib"), std::string::npos) << s.message();
  EXPECT_EQ(sessions.held_bytes(), one) << "a refused chunk is not taken";
  ASSERT_TRUE(chunk(b).ok());
  const std::string c = begin();
  s = chunk(c);
  EXPECT_EQ(s.code(), Code::kResourceExhausted);
  EXPECT_NE(s.message().find("import.max_total_mib"), std::string::npos) << s.message();
  v1::ImportAbortRequest abort;
  abort.set_import_id(a);
  v1::CtlReply reply;
  ASSERT_TRUE(sessions.Abort(abort, &reply).ok());
  EXPECT_TRUE(chunk(c).ok()) << "an aborted import gives its memory back";
  ASSERT_TRUE(sessions.Take(b).ok());
  EXPECT_EQ(sessions.held_bytes(), one);
  EXPECT_EQ(sessions.Expire(now + std::chrono::hours(1)), 1u);
  EXPECT_EQ(sessions.held_bytes(), 0u);
  EXPECT_EQ(sessions.refusals().at("import.max_session_mib"), 1u);
  EXPECT_EQ(sessions.refusals().at("import.max_total_mib"), 1u);
}

TEST_F(CoreTest, SimulatedClockMovesForwardOnlyAndPersists) {
  v1::CtlRequest adv;
  adv.mutable_clock_advance()->mutable_by()->set_seconds(90 * 60);
  auto r = One(adv);
  ASSERT_FALSE(r.has_error());
  EXPECT_EQ(FormatIsoTime(clock_.Now()), "2026-01-05T09:30:00+08:00");
  v1::CtlRequest back;
  back.mutable_clock_set()->mutable_to()->set_seconds(0);
  EXPECT_EQ(One(back).error().field(), "to");
  // A restart with the original start time resumes from the recorded time.
  clock_.Set(*ParseIsoTime("2026-01-05T08:00:00+08:00"));
  Open();
  EXPECT_EQ(FormatIsoTime(clock_.Now()), "2026-01-05T09:30:00+08:00");
}

// Long work (core.h, "Long work"): rota generate planned on copies of what
// it reads, committed only if those records are unchanged when it returns.
class LongWorkTest : public CoreTest {
 protected:
  void SetUp() override {
    CoreTest::SetUp();
    v1::CtlRequest cal;
    *cal.mutable_calendar_import()->mutable_year() =
        domain::ParseHolidayJson(test::ReadSource("data/holiday-cn/2026.json"), "data").value();
    Ok(One(cal));
    v1::CtlRequest pol;
    pol.mutable_policy_set()->set_toml(test::ReadSource("ops/policies/community.toml"));
    pol.mutable_policy_set()->set_effective_from("2025-01-01");
    Ok(One(pol));
    for (const char* id : {"xingfu", "far"}) {
      Ok(One(AddCenter(id)));
      v1::CtlRequest a;
      a.mutable_policy_assign()->mutable_assignment()->set_center_id(id);
      a.mutable_policy_assign()->mutable_assignment()->set_policy("community-standard");
      a.mutable_policy_assign()->mutable_assignment()->set_from("2025-01-01");
      Ok(One(a));
    }
    for (const char* id : {"s1", "s2", "s3", "s4"}) Ok(One(Staff(id, "xingfu")));
    Ok(One(Staff("f1", "far")));
  }
  static void Ok(const v1::CtlReply& r) { ASSERT_FALSE(r.has_error()) << r.error().message(); }
  static v1::CtlRequest Staff(const std::string& id, const std::string& center) {
    v1::CtlRequest r;
    auto* s = r.mutable_staff_add()->mutable_staff();
    s->set_id(id);
    s->set_name("员工" + id);
    s->set_center_id(center);
    s->add_roles(v1::WORKER);
    s->add_roles(v1::LEADER);
    s->add_skills("social-security");
    return r;
  }
  v1::CtlRequest Rename(const std::string& id) {
    v1::CtlRequest r;
    r.mutable_staff_update()->mutable_staff()->set_id(id);
    r.mutable_staff_update()->mutable_staff()->set_name(fmt::format("改名{}-{}", id, ++renames_));
    r.mutable_staff_update()->mutable_update_mask()->add_paths("name");
    return r;
  }
  LongJob Begin() {
    v1::CtlRequest r;
    r.set_request_id("gen");
    r.mutable_client()->set_user("tester");
    r.mutable_client()->set_host("unit");
    auto* g = r.mutable_rota_generate();
    g->set_center_id("xingfu");
    g->set_from("2026-02-01");
    g->set_to("2026-02-28");
    g->set_fill(true);
    auto job = core_->BeginLong(r, Principal::Local("tester@unit"));
    EXPECT_TRUE(job.has_value());
    return job ? std::move(*job) : LongJob{};
  }
  std::optional<v1::CtlReply> ComputeAndFinish(LongJob& job) {
    LongOutcome out = core_->ComputeLong(job);
    return core_->FinishLong(&job, std::move(out), &events_);
  }
  size_t Shifts() const { return core_->state().rota.shifts().size(); }
  int renames_ = 0;
};

TEST_F(LongWorkTest, UnchangedReadsCommitWithEventsAndAudit) {
  v1::CtlRequest q;
  q.mutable_status();
  EXPECT_FALSE(core_->BeginLong(q, Principal::Local("tester@unit")).has_value())
      << "a query is not long work";
  LongJob job = Begin();
  Ok(One(Rename("f1")));  // another center's person: not read
  const uint64_t seq = core_->last_seq();
  auto reply = ComputeAndFinish(job);
  ASSERT_TRUE(reply.has_value());
  Ok(*reply);
  EXPECT_EQ(reply->request_id(), "gen");
  EXPECT_GT(reply->rota_plan().assigned(), 0u);
  EXPECT_EQ(reply->first_seq(), seq + 1);
  EXPECT_EQ(Shifts(), reply->rota_plan().shifts());
  EXPECT_EQ(core_->metrics().long_recomputed, 0u);
  v1::CtlRequest audit;
  audit.mutable_audit_list()->set_limit(1000);
  auto a = One(audit);
  ASSERT_GT(a.audit_list().records_size(), 0);
  const auto& last = a.audit_list().records(0);  // newest first
  EXPECT_EQ(last.command(), "rota_generate");
  EXPECT_EQ(last.first_event_seq(), seq + 1);
}

TEST_F(LongWorkTest, TimerListShowsWhatFiresNextAcrossSources) {
  LongJob job = Begin();
  Ok(*ComputeAndFinish(job));
  v1::CtlRequest pub;
  pub.mutable_rota_publish()->set_center_id("xingfu");
  pub.mutable_rota_publish()->set_month("2026-02");
  Ok(One(pub));
  v1::CtlRequest q;
  q.mutable_timer_list()->set_limit(5);
  auto r = One(q);
  Ok(r);
  ASSERT_EQ(r.timer_list().timers_size(), 5);
  EXPECT_GT(r.timer_list().total(), 5u);
  int64_t last = 0;
  for (const auto& t : r.timer_list().timers()) {
    EXPECT_GE(t.due().seconds(), last) << "soonest first";
    last = t.due().seconds();
    EXPECT_TRUE(t.kind().starts_with("SHIFT_")) << t.kind();
    EXPECT_NE(core_->state().rota.FindShift(t.record_id()), nullptr) << t.record_id();
  }
  EXPECT_EQ(r.timer_list().timers(0).kind(), "SHIFT_REMINDER_EVE")
      << "the eve of 02-02 comes before its start";
}

TEST_F(LongWorkTest, ChangedReadsAreComputedAgainThenRefused) {
  LongJob job = Begin();
  Ok(One(Rename("s1")));  // in the pool: what the plan read changed
  auto reply = ComputeAndFinish(job);
  EXPECT_FALSE(reply.has_value());
  EXPECT_EQ(job.attempt, 2);
  EXPECT_EQ(Shifts(), 0u) << "nothing committed";
  reply = ComputeAndFinish(job);
  ASSERT_TRUE(reply.has_value()) << "the second time nothing changed";
  Ok(*reply);
  EXPECT_GT(Shifts(), 0u);
  EXPECT_EQ(core_->metrics().long_recomputed, 1u);

  // Changed every time: refused, nothing changed, audited.
  LongJob again = Begin();
  const size_t shifts = Shifts();
  const uint64_t seq = core_->last_seq();
  std::optional<v1::CtlReply> last;
  for (int i = 0; i < kLongAttempts && !last; ++i) {
    Ok(One(Rename("s2")));
    last = ComputeAndFinish(again);
  }
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->error().code(), v1::UNAVAILABLE);
  EXPECT_NE(last->error().message().find("changed while it was computed"), std::string::npos)
      << last->error().message();
  EXPECT_EQ(Shifts(), shifts);
  EXPECT_EQ(core_->last_seq(), seq + kLongAttempts) << "only the renames' events";
}

TEST_F(LongWorkTest, AMovedSimulatedClockMeansComputingAgain) {
  LongJob job = Begin();
  clock_.Set(clock_.Now() + std::chrono::hours(1));
  EXPECT_FALSE(ComputeAndFinish(job).has_value());
  auto reply = ComputeAndFinish(job);
  ASSERT_TRUE(reply.has_value());
  Ok(*reply);
}

TEST_F(LongWorkTest, ARefusedPlanIsAnsweredAndAudited) {
  v1::CtlRequest r;
  r.mutable_rota_generate()->set_center_id("nowhere");
  r.mutable_rota_generate()->set_from("2026-02-01");
  auto job = core_->BeginLong(r, Principal::Local("tester@unit"));
  ASSERT_TRUE(job.has_value());
  auto reply = ComputeAndFinish(*job);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->error().code(), v1::NOT_FOUND);
  EXPECT_FALSE(reply->has_rota_plan());
}

TEST(CoreRealClock, RefusesClockCommands) {
  test::TempDir dir;
  auto store = storage::Store::Open(dir / "db", {.sync = false});
  ASSERT_TRUE(store.ok());
  RealClock clock;
  Core core(store->get(), &clock, nullptr, {});
  ASSERT_TRUE(core.Load().ok());
  v1::CtlRequest adv;
  adv.mutable_clock_advance()->mutable_by()->set_seconds(60);
  std::vector<CommittedEvent> events;
  auto r = core.ExecuteGroup({&adv}, &events);
  ASSERT_TRUE(r[0].has_error());
  EXPECT_EQ(r[0].error().code(), v1::FAILED_PRECONDITION);
  EXPECT_NE(r[0].error().message().find("--clock simulated"), std::string::npos);
}

// The simulated clock's resume point is read back on Load; a damaged value
// is refused by name (it was an uncaught std::stoll).
TEST(CoreSimClock, ADamagedResumePointIsRefusedNotThrown) {
  test::TempDir dir;
  auto store = storage::Store::Open(dir / "db", {.sync = false});
  ASSERT_TRUE(store.ok());
  storage::WriteBatch b = (*store)->NewBatch();
  b.Put(storage::Family::kMeta, storage::meta::kSimClock, "soon");
  ASSERT_TRUE((*store)->Commit(b).ok());
  SimulatedClock clock(TimePoint{});
  Core core(store->get(), &clock, &clock, {});
  Status st = core.Load();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  EXPECT_NE(st.message().find("simulated clock is damaged"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("meta sim_clock"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace zhiban::core
