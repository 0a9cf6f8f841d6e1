// The command table answers every request the wire can carry, once.
#include <gtest/gtest.h>

#include "daemon/core/command.h"
#include "daemon/domain/access.h"
#include "zhiban/v1/ctl.pb.h"

namespace zhiban::core {
namespace {

TEST(CommandTable, EveryRequestCaseHasOneEntryWithItsHandler) {
  const auto* oneof = v1::CtlRequest::descriptor()->FindOneofByName("command");
  ASSERT_NE(oneof, nullptr);
  const CommandTable& table = Commands();
  for (int i = 0; i < oneof->field_count(); ++i) {
    const auto* field = oneof->field(i);
    const auto c = static_cast<v1::CtlRequest::CommandCase>(field->number());
    const Command* cmd = table.Find(c);
    ASSERT_NE(cmd, nullptr) << "CtlRequest." << field->name() << " has no entry in the command "
                            << "table: add it to its module's Register*Commands";
    EXPECT_EQ(cmd->request_case, c) << field->name();
    EXPECT_NE(cmd->authorize, nullptr) << field->name();
    switch (cmd->kind) {
      case CommandKind::kQuery:
        EXPECT_NE(cmd->query, nullptr) << field->name();
        break;
      case CommandKind::kSession:
        EXPECT_NE(cmd->session, nullptr) << field->name();
        break;
      case CommandKind::kMutation:
        EXPECT_TRUE(cmd->plan || (cmd->snapshot && cmd->compute))
            << field->name() << ": a plan, or a snapshot and a compute (long work)";
        EXPECT_NE(cmd->target, nullptr) << field->name() << ": a mutation's audit names its target";
        break;
    }
    if (cmd->kind == CommandKind::kQuery && cmd->audit == AuditPolicy::kAlways) {
      EXPECT_NE(cmd->summary, nullptr) << field->name() << ": an audited read says what it read";
    }
  }
  EXPECT_EQ(table.size(), static_cast<size_t>(oneof->field_count()))
      << "an entry answers a case the wire does not have";
  EXPECT_EQ(table.Find(v1::CtlRequest::COMMAND_NOT_SET), nullptr);
}

// The daemon fires the timers a moved clock passed before answering; which
// commands move it is written here by hand, not read from the table.
TEST(CommandTable, OnlyClockAdvanceAndClockSetMoveTheClock) {
  const auto* oneof = v1::CtlRequest::descriptor()->FindOneofByName("command");
  ASSERT_NE(oneof, nullptr);
  for (int i = 0; i < oneof->field_count(); ++i) {
    const auto* field = oneof->field(i);
    const Command* cmd = Commands().Find(static_cast<v1::CtlRequest::CommandCase>(field->number()));
    ASSERT_NE(cmd, nullptr) << field->name();
    const bool expected = field->name() == "clock_advance" || field->name() == "clock_set";
    EXPECT_EQ(cmd->moves_clock, expected) << field->name();
  }
}

TEST(CommandTable, ReadsOfPersonalDataAreAudited) {
  const Command* show = Commands().Find(v1::CtlRequest::kResidentShow);
  ASSERT_NE(show, nullptr);
  EXPECT_TRUE(show->audited());
  v1::CtlRequest req;
  req.mutable_resident_show()->set_id("r1");
  req.mutable_resident_show()->set_full(true);
  req.mutable_resident_show()->set_purpose("核实联系方式");
  EXPECT_EQ(show->target(req), "r1");
  EXPECT_EQ(show->summary(req), "read the full record of resident r1 for: 核实联系方式");
}

Principal KeyWith(v1::AccessRole role) {
  v1::AccessKey k;
  k.set_name("k");
  if (role != v1::ACCESS_ROLE_UNSPECIFIED) k.add_grants()->set_role(role);
  return Principal::Key(k, "alice@host");
}

// Every command x every role x every place a grant sits: authorization_test.cpp.

TEST(CommandTable, AContactLookupIsAuditedWithTheEventItServes) {
  const Command* q = Commands().Find(v1::CtlRequest::kContactQuery);
  ASSERT_NE(q, nullptr);
  EXPECT_TRUE(q->audited());
  EXPECT_EQ(q->kind, CommandKind::kQuery);
  v1::CtlRequest req;
  req.mutable_contact_query()->add_staff_ids("s1");
  req.mutable_contact_query()->add_staff_ids("s2");
  req.mutable_contact_query()->set_event_seq(42);
  EXPECT_EQ(q->target(req), "s1,s2 for event 42");
  EXPECT_EQ(q->summary(req), "read the contacts of 2 staff for event 42");
  const domain::State state;
  EXPECT_TRUE(Permit(KeyWith(v1::ACCESS_PLUGIN), *q, req, state).ok());
  EXPECT_TRUE(Permit(KeyWith(v1::ACCESS_ADMIN), *q, req, state).ok());
  for (auto role : {v1::ACCESS_OPERATOR, v1::ACCESS_VIEWER, v1::ACCESS_AUDITOR, v1::ACCESS_STAFF,
                    v1::ACCESS_LEADER}) {
    const Status s = Permit(KeyWith(role), *q, req, state);
    EXPECT_EQ(s.code(), Code::kPermissionDenied) << domain::AccessRoleName(role);
    EXPECT_NE(s.message().find("contact_query needs the role plugin or admin"), std::string::npos)
        << s.message();
  }
  // No purpose, no people, or too many: refused before anything is read.
  v1::CtlRequest bare = req;
  bare.mutable_contact_query()->set_event_seq(0);
  EXPECT_EQ(Permit(Principal::Local("a@b"), *q, bare, state).field(), "event_seq");
  v1::CtlRequest none;
  none.mutable_contact_query()->set_event_seq(42);
  EXPECT_EQ(Permit(Principal::Local("a@b"), *q, none, state).field(), "staff_ids");
  v1::CtlRequest many = req;
  for (int i = 0; i < 1000; ++i) many.mutable_contact_query()->add_staff_ids("x");
  EXPECT_EQ(Permit(Principal::Local("a@b"), *q, many, state).field(), "staff_ids");
  // Twenty people named in the audit record, then how many more.
  EXPECT_NE(q->target(many).find(",x +982 for event 42"), std::string::npos) << q->target(many);
}

TEST(CommandTable, AFullResidentRecordNeedsAnAuditorAndAPurpose) {
  const Command* show = Commands().Find(v1::CtlRequest::kResidentShow);
  const domain::State state;
  v1::CtlRequest card;
  card.mutable_resident_show()->set_id("r1");
  EXPECT_TRUE(Permit(KeyWith(v1::ACCESS_VIEWER), *show, card, state).ok()) << "the masked card";
  v1::CtlRequest full = card;
  full.mutable_resident_show()->set_full(true);
  const Status no_purpose = Permit(Principal::Local("a@b"), *show, full, state);
  EXPECT_EQ(no_purpose.code(), Code::kInvalidArgument);
  EXPECT_EQ(no_purpose.field(), "purpose");
  full.mutable_resident_show()->set_purpose("核实紧急联系人");
  EXPECT_TRUE(Permit(KeyWith(v1::ACCESS_AUDITOR), *show, full, state).ok());
  EXPECT_TRUE(Permit(KeyWith(v1::ACCESS_ADMIN), *show, full, state).ok());
  for (auto role : {v1::ACCESS_OPERATOR, v1::ACCESS_VIEWER, v1::ACCESS_PLUGIN, v1::ACCESS_STAFF}) {
    const Status s = Permit(KeyWith(role), *show, full, state);
    EXPECT_EQ(s.code(), Code::kPermissionDenied) << domain::AccessRoleName(role);
    EXPECT_NE(s.message().find("auditor or admin"), std::string::npos) << s.message();
  }
  full.mutable_resident_show()->set_purpose("看看\x1b[2J");
  EXPECT_EQ(Permit(Principal::Local("a@b"), *show, full, state).field(), "purpose");
}

TEST(CommandTableDeathTest, ASecondEntryForACaseStopsTheProcess) {
  CommandTable t;
  RegisterNetworkCommands(t);
  EXPECT_DEATH(RegisterNetworkCommands(t), "registered twice");
}

}  // namespace
}  // namespace zhiban::core
