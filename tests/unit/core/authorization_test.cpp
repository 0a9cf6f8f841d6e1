// Who may do what, where: every command x every role x where the grant sits
// relative to the target (docs/OPERATIONS.md, "Security"). Each cell's
// expected outcome is written here by hand, not read from the resolvers,
// and a command without a row fails the test.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "daemon/core/command.h"
#include "daemon/domain/access.h"
#include "daemon/domain/state.h"
#include "tests/support/source.h"
#include "zhiban/v1/ctl.pb.h"

namespace zhiban::core {
namespace {

using R = v1::CtlRequest;

// The network every case runs against:
//   city ── dongshi (东市街道) ── ds-a ── ds-a1
//        │                   └─ ds-b
//        └─ xishi (西市街道) ── xs-a
// Every target lives at ds-a: staff s1 (home ds-a) holds shift sh1 and has
// leave l1; s2 (ds-a) was asked to take sh1 (swap sw1, accepted); s3 leads
// dongshi; s4 leads ds-b; resident r1 and visit v1 (assignee s1) at ds-a.
domain::State Network() {
  domain::State st;
  auto center = [&](const char* id, const char* parent) {
    v1::Center c;
    c.set_id(id);
    c.set_name(id);
    c.set_parent_id(parent);
    st.network.PutCenter(c);
  };
  center("city", "");
  center("dongshi", "city");
  center("ds-a", "dongshi");
  center("ds-a1", "ds-a");
  center("ds-b", "dongshi");
  center("xishi", "city");
  center("xs-a", "xishi");
  auto staff = [&](const char* id, const char* home, bool leader) {
    v1::Staff s;
    s.set_id(id);
    s.set_name(id);
    s.set_center_id(home);
    s.add_roles(v1::WORKER);
    if (leader) s.add_roles(v1::LEADER);
    st.network.PutStaff(s);
  };
  staff("s1", "ds-a", false);
  staff("s2", "ds-a", false);
  staff("s3", "dongshi", true);
  staff("s4", "ds-b", true);
  staff("s5", "ds-a", true);
  v1::Shift sh;
  sh.set_id("sh1");
  sh.set_center_id("ds-a");
  sh.set_date("2026-12-08");
  sh.set_assignee_id("s1");
  st.rota.PutShift(sh);
  v1::ShiftSwap sw;
  sw.set_id("sw1");
  sw.set_shift_id("sh1");
  sw.set_from_staff_id("s1");
  sw.set_to_staff_id("s2");
  sw.set_state(v1::ACCEPTED);
  st.rota.PutSwap(sw);
  v1::Leave l;
  l.set_id("l1");
  l.set_staff_id("s1");
  st.rota.PutLeave(l);
  v1::LeaveRequest lr;
  lr.set_id("lr1");
  lr.mutable_leave()->set_staff_id("s1");
  lr.set_state(v1::LEAVE_REQUEST_PENDING);
  st.rota.PutLeaveRequest(lr);
  v1::Rotation rot;
  rot.set_id("rot1");
  rot.set_center_id("ds-a");
  st.rota.PutRotation(rot);
  v1::CalendarException e;
  e.set_id("e1");
  e.set_center_id("ds-a");
  st.calendar.PutException(e);
  v1::Resident r;
  r.set_id("r1");
  r.set_name("张大爷");
  r.set_home_center_id("ds-a");
  st.visits.PutResident(r);
  v1::Visit v;
  v.set_id("v1");
  v.set_resident_id("r1");
  v.set_center_id("ds-a");
  v.set_assignee_id("s1");
  st.visits.PutVisit(v);
  v1::Appointment a;
  a.set_id("ap1");
  a.set_center_id("ds-a");
  st.appointments.Put(a);
  return st;
}

// One row: a request aimed at ds-a, and what each role may do with it. A
// cell is five characters, one per place the grant sits: N the whole
// network, I dongshi (ds-a inside its subtree), P ds-a1 (ds-a is its
// parent), S ds-b (a sibling), O xishi (outside). 'y' allowed, '-' refused.
struct Row {
  std::string label;  // the command, with the action where it varies
  R request;
  // admin, operator, leader, staff, auditor, viewer, plugin
  std::vector<std::string> cells;
};

constexpr v1::AccessRole kRoles[] = {v1::ACCESS_ADMIN, v1::ACCESS_OPERATOR, v1::ACCESS_LEADER,
                                     v1::ACCESS_STAFF, v1::ACCESS_AUDITOR,  v1::ACCESS_VIEWER,
                                     v1::ACCESS_PLUGIN};
constexpr const char* kPlaces[] = {"", "dongshi", "ds-a1", "ds-b", "xishi"};

// Shorthands for the rows below (each still spelled out cell by cell).
const std::vector<std::string> kEveryone = {"yyyyy", "yyyyy", "yyyyy", "yyyyy",
                                            "yyyyy", "yyyyy", "yyyyy"};
const std::vector<std::string> kReadHere = {"yy---", "yy---", "yy---", "yy---",
                                            "yy---", "yy---", "yy---"};
const std::vector<std::string> kReadAboutS1 = {"yy---", "yy---", "yy---", "-----",
                                               "yy---", "yy---", "yy---"};
const std::vector<std::string> kReadNetwork = {"y----", "y----", "y----", "y----",
                                               "y----", "y----", "y----"};
const std::vector<std::string> kOperateHere = {"yy---", "yy---", "-----", "-----",
                                               "-----", "-----", "-----"};
const std::vector<std::string> kOperateNetwork = {"y----", "y----", "-----", "-----",
                                                  "-----", "-----", "-----"};
const std::vector<std::string> kAdminOnly = {"y----", "-----", "-----", "-----",
                                             "-----", "-----", "-----"};
const std::vector<std::string> kAuditNetwork = {"y----", "-----", "-----", "-----",
                                                "y----", "-----", "-----"};
const std::vector<std::string> kAuditHere = {"yy---", "-----", "-----", "-----",
                                             "yy---", "-----", "-----"};
// A person's act: keys that are nobody's (no staff member) act for nobody.
const std::vector<std::string> kActForS1 = {"yy---", "yy---", "-----", "-----",
                                            "-----", "-----", "-----"};
// A leader's decision: a leader key of nobody's decides nothing (the role is
// a person's); operators and admins decide for a named leader in scope.
const std::vector<std::string> kLeadHere = {"yy---", "yy---", "-----", "-----",
                                            "-----", "-----", "-----"};

// How to reach people: a notifier (plugin) or the admin, in scope.
const std::vector<std::string> kContactsHere = {"yy---", "-----", "-----", "-----",
                                                "-----", "-----", "yy---"};

std::vector<Row> Rows() {
  std::vector<Row> rows;
  auto row = [&](std::string label, const std::vector<std::string>& cells) -> R& {
    rows.push_back(Row{std::move(label), R(), cells});
    return rows.back().request;
  };
  // system
  row("status", kEveryone).mutable_status();
  row("clock_show", kEveryone).mutable_clock_show();
  row("timer_list", kReadNetwork).mutable_timer_list();
  row("clock_advance", kAdminOnly).mutable_clock_advance();
  row("clock_set", kAdminOnly).mutable_clock_set();
  row("audit_list", kAuditNetwork).mutable_audit_list();
  row("import_begin", kOperateNetwork).mutable_import_begin();
  row("import_rows", kOperateNetwork).mutable_import_rows();
  row("import_commit", kOperateNetwork).mutable_import_commit();
  row("import_abort", kOperateNetwork).mutable_import_abort();
  row("backup_create", kAdminOnly).mutable_backup_create();
  row("master_key_rotate", kAdminOnly).mutable_master_key_rotate()->set_file("/etc/zhiban/k2");
  // network
  row("center_add", kOperateHere).mutable_center_add()->mutable_center()->set_parent_id("ds-a");
  row("center_add a root", kOperateNetwork).mutable_center_add()->mutable_center()->set_id("new");
  row("center_update", kOperateHere).mutable_center_update()->mutable_center()->set_id("ds-a");
  row("center_remove", kOperateHere).mutable_center_remove()->set_id("ds-a");
  row("center_show", kReadHere).mutable_center_show()->set_id("ds-a");
  row("center_list", kReadHere).mutable_center_list()->set_parent_id("ds-a");
  row("center_list everything", kEveryone).mutable_center_list();
  {
    auto* s = row("staff_add", kOperateHere).mutable_staff_add()->mutable_staff();
    s->set_id("s9");
    s->set_center_id("ds-a");
  }
  row("staff_update", kOperateHere).mutable_staff_update()->mutable_staff()->set_id("s1");
  row("staff_remove", kOperateHere).mutable_staff_remove()->set_id("s1");
  row("staff_show", kReadAboutS1).mutable_staff_show()->set_id("s1");
  row("staff_list", kReadHere).mutable_staff_list()->set_center_id("ds-a");
  // A list naming no center shows what the grants hold (ReadScope).
  row("staff_list everyone", kEveryone).mutable_staff_list();
  // calendar and policies: public reads, network-wide setup
  row("calendar_import", kOperateNetwork).mutable_calendar_import();
  row("calendar_statutory", kOperateNetwork).mutable_calendar_statutory();
  row("calendar_show", kEveryone).mutable_calendar_show();
  row("calendar_stats", kEveryone).mutable_calendar_stats();
  row("calendar_years", kEveryone).mutable_calendar_years();
  row("exception_add", kOperateHere)
      .mutable_exception_add()
      ->mutable_exception()
      ->set_center_id("ds-a");
  row("exception_remove", kOperateHere).mutable_exception_remove()->set_id("e1");
  row("exception_list", kEveryone).mutable_exception_list();
  row("policy_set", kOperateNetwork).mutable_policy_set();
  row("policy_show", kEveryone).mutable_policy_show();
  row("policy_list", kEveryone).mutable_policy_list();
  row("policy_assign", kOperateHere)
      .mutable_policy_assign()
      ->mutable_assignment()
      ->set_center_id("ds-a");
  row("coverage_show", kReadHere).mutable_coverage_show()->set_center_id("ds-a");
  row("coverage_audit", kReadNetwork).mutable_coverage_audit();
  // rotas
  row("rotation_set", kOperateHere)
      .mutable_rotation_set()
      ->mutable_rotation()
      ->set_center_id("ds-a");
  row("rotation_remove", kOperateHere).mutable_rotation_remove()->set_id("rot1");
  row("rotation_list", kReadHere).mutable_rotation_list()->set_center_id("ds-a");
  row("rota_generate", kOperateHere).mutable_rota_generate()->set_center_id("ds-a");
  row("rota_show", kReadHere).mutable_rota_show()->set_center_id("ds-a");
  row("rota_show mine", kReadAboutS1).mutable_rota_show()->set_staff_id("s1");
  row("rota_now", kReadHere).mutable_rota_now()->set_center_id("ds-a");
  row("rota_now everywhere", kEveryone).mutable_rota_now();
  row("rota_check", kReadHere).mutable_rota_check()->set_center_id("ds-a");
  row("rota_override", kOperateHere).mutable_rota_override()->set_shift_id("sh1");
  row("rota_publish", kOperateHere).mutable_rota_publish()->set_center_id("ds-a");
  row("rota_checkin", kActForS1).mutable_rota_checkin()->set_staff_id("s1");
  {
    auto* q = row("swap_request", kActForS1).mutable_swap_request();
    q->set_shift_id("sh1");
    q->set_to_staff_id("s2");
  }
  {
    auto* q = row("swap_decide accept", kActForS1).mutable_swap_decide();
    q->set_id("sw1");
    q->set_action(v1::ACCEPT);
    q->set_by_staff_id("s2");
  }
  {
    auto* q = row("swap_decide approve", kLeadHere).mutable_swap_decide();
    q->set_id("sw1");
    q->set_action(v1::APPROVE);
    q->set_by_staff_id("s3");
  }
  {
    auto* q = row("swap_decide reject by a leader", kLeadHere).mutable_swap_decide();
    q->set_id("sw1");
    q->set_action(v1::REJECT);
    q->set_by_staff_id("s3");
  }
  row("swap_list", kReadAboutS1).mutable_swap_list()->set_staff_id("s1");
  row("leave_add", kLeadHere).mutable_leave_add()->mutable_leave()->set_staff_id("s1");
  row("leave_remove", kLeadHere).mutable_leave_remove()->set_id("l1");
  row("leave_list", kReadHere).mutable_leave_list()->set_center_id("ds-a");
  row("leave_request", kActForS1).mutable_leave_request()->mutable_leave()->set_staff_id("s1");
  for (auto [label, action, cells] :
       {std::tuple{"leave_decide approve", v1::LEAVE_APPROVE, &kLeadHere},
        std::tuple{"leave_decide reject", v1::LEAVE_REJECT, &kLeadHere},
        std::tuple{"leave_decide withdraw", v1::LEAVE_WITHDRAW, &kActForS1}}) {
    auto* q = row(label, *cells).mutable_leave_decide();
    q->set_id("lr1");
    q->set_action(action);
  }
  row("leave_request_list", kReadHere).mutable_leave_request_list()->set_center_id("ds-a");
  row("rules_set", kOperateNetwork).mutable_rules_set();
  row("rules_show", kEveryone).mutable_rules_show();
  row("ledger", kReadHere).mutable_ledger()->set_center_id("ds-a");
  row("ledger of one person", kReadAboutS1).mutable_ledger()->set_staff_id("s1");
  row("leave_balance", kReadAboutS1).mutable_leave_balance()->set_staff_id("s1");
  // residents and visits
  {
    auto* r = row("resident_add", kOperateHere).mutable_resident_add()->mutable_resident();
    r->set_id("r9");
    r->set_home_center_id("ds-a");
  }
  row("resident_update", kOperateHere).mutable_resident_update()->mutable_resident()->set_id("r1");
  row("resident_remove", kOperateHere).mutable_resident_remove()->set_id("r1");
  row("resident_import", kOperateHere)
      .mutable_resident_import()
      ->add_residents()
      ->set_home_center_id("ds-a");
  row("resident_change", kOperateHere).mutable_resident_change()->set_resident_id("r1");
  row("resident_show", kReadHere).mutable_resident_show()->set_id("r1");
  {
    auto* q = row("resident_show --full", kAuditHere).mutable_resident_show();
    q->set_id("r1");
    q->set_full(true);
    q->set_purpose("核实紧急联系人");
  }
  {
    auto* q = row("resident_erase", kAuditHere).mutable_resident_erase();
    q->set_id("r1");
    q->set_reason("本人申请删除（个人信息保护法第四十七条）");
  }
  row("resident_list", kReadHere).mutable_resident_list()->set_center_id("ds-a");
  row("service_list", kEveryone).mutable_service_list();
  row("visit_request", kOperateHere).mutable_visit_request()->set_resident_id("r1");
  row("visit_assign", kOperateHere).mutable_visit_assign()->set_id("v1");
  {
    auto* q = row("visit_act accept", kActForS1).mutable_visit_act();
    q->set_id("v1");
    q->set_action(v1::ACCEPT_VISIT);
    q->set_by_staff_id("s1");
  }
  {
    auto* q = row("visit_act cancel", kOperateHere).mutable_visit_act();
    q->set_id("v1");
    q->set_action(v1::CANCEL_VISIT);
  }
  row("visit_show", kReadHere).mutable_visit_show()->set_id("v1");
  row("visit_list", kReadHere).mutable_visit_list()->set_center_id("ds-a");
  row("visit_plan", kReadAboutS1).mutable_visit_plan()->set_staff_id("s1");
  row("visit_route_plan", kOperateHere).mutable_visit_route_plan()->set_center_id("ds-a");
  row("appointment_book", kOperateHere).mutable_appointment_book()->set_center_id("ds-a");
  row("appointment_cancel", kOperateHere).mutable_appointment_cancel()->set_id("ap1");
  row("appointment_list", kReadHere).mutable_appointment_list()->set_center_id("ds-a");
  // keys
  row("key_add", kAdminOnly).mutable_key_add();
  row("key_list", kAdminOnly).mutable_key_list();
  row("key_revoke", kAdminOnly).mutable_key_revoke();
  {
    auto* q = row("grant_add operator", kOperateHere).mutable_grant_add();
    q->set_key("other");
    q->mutable_grant()->set_role(v1::ACCESS_OPERATOR);
    q->mutable_grant()->set_center_id("ds-a");
  }
  {
    // Roles an operator does not hand on: the network admin's to give.
    auto* q = row("grant_add auditor", kAdminOnly).mutable_grant_add();
    q->set_key("other");
    q->mutable_grant()->set_role(v1::ACCESS_AUDITOR);
    q->mutable_grant()->set_center_id("ds-a");
  }
  {
    auto* q = row("grant_remove", kOperateHere).mutable_grant_remove();
    q->set_key("other");
    q->mutable_grant()->set_role(v1::ACCESS_VIEWER);
    q->mutable_grant()->set_center_id("ds-a");
  }
  row("grant_list", kOperateHere).mutable_grant_list()->set_center_id("ds-a");
  // contacts: how to reach s1 (home ds-a), for a notifier's key or the admin
  {
    auto* q = row("contact_query", kContactsHere).mutable_contact_query();
    q->add_staff_ids("s1");
    q->set_event_seq(1);
  }
  return rows;
}

Principal KeyAt(v1::AccessRole role, const char* center) {
  v1::AccessKey k;
  k.set_name("k");
  auto* g = k.add_grants();
  g->set_role(role);
  g->set_center_id(center);
  return Principal::Key(k, "alice@host");
}

TEST(Authorization, EveryCommandTimesEveryRoleTimesEveryPlaceIsAsWrittenHere) {
  const domain::State st = Network();
  const auto rows = Rows();
  std::map<int, int> rows_of_case;
  int cells = 0;
  for (const auto& row : rows) {
    ASSERT_EQ(row.cells.size(), std::size(kRoles)) << row.label;
    const Command* cmd = Commands().Find(row.request.command_case());
    ASSERT_NE(cmd, nullptr) << row.label;
    ++rows_of_case[row.request.command_case()];
    for (size_t r = 0; r < std::size(kRoles); ++r) {
      ASSERT_EQ(row.cells[r].size(), std::size(kPlaces)) << row.label;
      for (size_t p = 0; p < std::size(kPlaces); ++p) {
        const Principal who = KeyAt(kRoles[r], kPlaces[p]);
        const Status s = Permit(who, *cmd, row.request, st);
        const bool want = row.cells[r][p] == 'y';
        EXPECT_EQ(s.ok(), want) << row.label << " as " << domain::AccessRoleName(kRoles[r]) << "@"
                                << (*kPlaces[p] ? kPlaces[p] : "network") << ": " << s.ToString();
        if (!s.ok()) {
          EXPECT_EQ(s.code(), Code::kPermissionDenied) << row.label;
          EXPECT_NE(s.message().find(" needs "), std::string::npos) << s.message();
          EXPECT_NE(s.message().find("nothing was changed"), std::string::npos) << s.message();
        }
        ++cells;
      }
    }
    // The local admin and an open socket do everything.
    EXPECT_TRUE(Permit(Principal::Local("a@b"), *cmd, row.request, st).ok()) << row.label;
  }
  const auto* oneof = R::descriptor()->FindOneofByName("command");
  for (int i = 0; i < oneof->field_count(); ++i) {
    EXPECT_GT(rows_of_case[oneof->field(i)->number()], 0)
        << oneof->field(i)->name() << " has no row here: write what each role may do with it";
  }
  EXPECT_GE(cells, oneof->field_count() * 35);
}

TEST(Authorization, ARefusalNamesTheRoleAndTheScopeItNeeded) {
  const domain::State st = Network();
  R req;
  req.mutable_center_update()->mutable_center()->set_id("ds-a");
  const Status s =
      Permit(KeyAt(v1::ACCESS_OPERATOR, "xishi"), *Commands().Find(R::kCenterUpdate), req, st);
  EXPECT_EQ(s.message(),
            "center_update needs the role operator or admin whose scope holds ds-a; key \"k\" "
            "holds operator@xishi; nothing was changed");
}

// Staff acting from their phones (core/staff_channel.h) are who they are.
Principal StaffOf(const domain::State& st, const char* id) {
  return Principal::Staff(*st.network.FindStaff(id), "web");
}

Status Ask(const Principal& who, const R& req, const domain::State& st) {
  return Permit(who, *Commands().Find(req.command_case()), req, st);
}

TEST(Authorization, AStaffMemberActsAsThemselvesOnly) {
  const domain::State st = Network();
  R checkin;
  checkin.mutable_rota_checkin()->set_staff_id("s1");
  EXPECT_TRUE(Ask(StaffOf(st, "s1"), checkin, st).ok());
  const Status other = Ask(StaffOf(st, "s2"), checkin, st);
  EXPECT_EQ(other.code(), Code::kPermissionDenied);
  EXPECT_NE(other.message().find("staff member s1 themselves"), std::string::npos)
      << other.message();
  R accept;
  accept.mutable_visit_act()->set_id("v1");
  accept.mutable_visit_act()->set_action(v1::ACCEPT_VISIT);
  accept.mutable_visit_act()->set_by_staff_id("s1");
  EXPECT_TRUE(Ask(StaffOf(st, "s1"), accept, st).ok());
  EXPECT_EQ(Ask(StaffOf(st, "s2"), accept, st).code(), Code::kPermissionDenied);
  R swap;
  swap.mutable_swap_request()->set_shift_id("sh1");
  swap.mutable_swap_request()->set_to_staff_id("s2");
  EXPECT_TRUE(Ask(StaffOf(st, "s1"), swap, st).ok()) << "s1 holds sh1";
  EXPECT_EQ(Ask(StaffOf(st, "s2"), swap, st).code(), Code::kPermissionDenied);
  // Their own center's board, and nobody else's pay.
  R board;
  board.mutable_rota_now()->set_center_id("ds-a");
  EXPECT_TRUE(Ask(StaffOf(st, "s1"), board, st).ok());
  R ledger;
  ledger.mutable_ledger()->set_staff_id("s2");
  EXPECT_EQ(Ask(StaffOf(st, "s1"), ledger, st).code(), Code::kPermissionDenied);
  ledger.mutable_ledger()->set_staff_id("s1");
  EXPECT_TRUE(Ask(StaffOf(st, "s1"), ledger, st).ok());
  // Nothing of the center's own work, and no keys.
  R cancel;
  cancel.mutable_visit_act()->set_id("v1");
  cancel.mutable_visit_act()->set_action(v1::CANCEL_VISIT);
  EXPECT_EQ(Ask(StaffOf(st, "s1"), cancel, st).code(), Code::kPermissionDenied);
  R key;
  key.mutable_key_add()->mutable_key()->set_name("mine");
  EXPECT_EQ(Ask(StaffOf(st, "s3"), key, st).code(), Code::kPermissionDenied);
}

TEST(Authorization, ALeaderDecidesOnlyOthersRequestsInTheirOwnCenters) {
  const domain::State st = Network();
  auto approve_by = [](const char* by) {
    R req;
    req.mutable_swap_decide()->set_id("sw1");
    req.mutable_swap_decide()->set_action(v1::APPROVE);
    req.mutable_swap_decide()->set_by_staff_id(by);
    return req;
  };
  // s3 leads dongshi, ds-a's parent: allowed. s5 leads ds-a: allowed.
  EXPECT_TRUE(Ask(StaffOf(st, "s3"), approve_by("s3"), st).ok());
  EXPECT_TRUE(Ask(StaffOf(st, "s5"), approve_by("s5"), st).ok());
  // s4 leads the sibling ds-b.
  const Status sibling = Ask(StaffOf(st, "s4"), approve_by("s4"), st);
  EXPECT_EQ(sibling.code(), Code::kPermissionDenied);
  EXPECT_NE(sibling.message().find("whose scope holds ds-a"), std::string::npos)
      << sibling.message();
  // A leader naming another leader as the decider.
  EXPECT_EQ(Ask(StaffOf(st, "s3"), approve_by("s5"), st).code(), Code::kPermissionDenied);
  // Leave: s5 grants s1's; nobody grants their own.
  R leave;
  leave.mutable_leave_add()->mutable_leave()->set_staff_id("s1");
  EXPECT_TRUE(Ask(StaffOf(st, "s5"), leave, st).ok());
  leave.mutable_leave_add()->mutable_leave()->set_staff_id("s5");
  const Status own = Ask(StaffOf(st, "s5"), leave, st);
  EXPECT_EQ(own.code(), Code::kPermissionDenied);
  EXPECT_NE(own.message().find("not s5"), std::string::npos) << own.message();
  EXPECT_TRUE(Ask(StaffOf(st, "s3"), leave, st).ok()) << "dongshi's leader, up the tree";
  // A staff member who leads nothing decides nothing.
  leave.mutable_leave_add()->mutable_leave()->set_staff_id("s2");
  EXPECT_EQ(Ask(StaffOf(st, "s1"), leave, st).code(), Code::kPermissionDenied);
  // A leave request (s1's): its leaders decide it, s1 withdraws it; never
  // the other way round, nor a sibling's leader.
  auto decide = [](v1::LeaveAction action) {
    R req;
    req.mutable_leave_decide()->set_id("lr1");
    req.mutable_leave_decide()->set_action(action);
    return req;
  };
  EXPECT_TRUE(Ask(StaffOf(st, "s5"), decide(v1::LEAVE_APPROVE), st).ok());
  EXPECT_TRUE(Ask(StaffOf(st, "s3"), decide(v1::LEAVE_REJECT), st).ok());
  EXPECT_EQ(Ask(StaffOf(st, "s4"), decide(v1::LEAVE_APPROVE), st).code(), Code::kPermissionDenied);
  EXPECT_EQ(Ask(StaffOf(st, "s1"), decide(v1::LEAVE_APPROVE), st).code(), Code::kPermissionDenied);
  EXPECT_TRUE(Ask(StaffOf(st, "s1"), decide(v1::LEAVE_WITHDRAW), st).ok());
  EXPECT_EQ(Ask(StaffOf(st, "s2"), decide(v1::LEAVE_WITHDRAW), st).code(), Code::kPermissionDenied);
  R ask;
  ask.mutable_leave_request()->mutable_leave()->set_staff_id("s1");
  EXPECT_TRUE(Ask(StaffOf(st, "s1"), ask, st).ok()) << "their own request";
  EXPECT_EQ(Ask(StaffOf(st, "s2"), ask, st).code(), Code::kPermissionDenied);
}

// Escalation: no principal widens its own scope, nor hands on more than it holds.
TEST(Authorization, NobodyWidensTheirOwnScope) {
  const domain::State st = Network();
  auto grant = [](const char* key, v1::AccessRole role, const char* center) {
    R req;
    req.mutable_grant_add()->set_key(key);
    req.mutable_grant_add()->mutable_grant()->set_role(role);
    req.mutable_grant_add()->mutable_grant()->set_center_id(center);
    return req;
  };
  const Principal op = KeyAt(v1::ACCESS_OPERATOR, "ds-a");  // key "k"
  // Itself, its parent's scope: refused twice over.
  Status s = Ask(op, grant("k", v1::ACCESS_OPERATOR, "dongshi"), st);
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  // Itself, even within its scope.
  s = Ask(op, grant("k", v1::ACCESS_OPERATOR, "ds-a1"), st);
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_NE(s.message().find("no key changes its own grants"), std::string::npos) << s.message();
  // Another key, beyond its subtree.
  s = Ask(op, grant("other", v1::ACCESS_OPERATOR, "dongshi"), st);
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_NE(s.message().find("whose scope holds dongshi"), std::string::npos) << s.message();
  // Another key, within it: operator and viewer yes; admin, auditor no.
  EXPECT_TRUE(Ask(op, grant("other", v1::ACCESS_VIEWER, "ds-a1"), st).ok());
  EXPECT_TRUE(Ask(op, grant("other", v1::ACCESS_OPERATOR, "ds-a"), st).ok());
  for (auto role : {v1::ACCESS_ADMIN, v1::ACCESS_AUDITOR, v1::ACCESS_PLUGIN, v1::ACCESS_LEADER}) {
    s = Ask(op, grant("other", role, "ds-a"), st);
    EXPECT_EQ(s.code(), Code::kPermissionDenied) << domain::AccessRoleName(role);
    EXPECT_NE(s.message().find("needs the role admin over the whole network"), std::string::npos)
        << s.message();
  }
  // A staff member's own key, and a leader, grant nothing.
  EXPECT_EQ(Ask(StaffOf(st, "s3"), grant("other", v1::ACCESS_VIEWER, "dongshi"), st).code(),
            Code::kPermissionDenied);
  // The network admin grants anything, anywhere, to another key.
  EXPECT_TRUE(Ask(KeyAt(v1::ACCESS_ADMIN, ""), grant("other", v1::ACCESS_AUDITOR, ""), st).ok());
  EXPECT_EQ(Ask(KeyAt(v1::ACCESS_ADMIN, ""), grant("k", v1::ACCESS_AUDITOR, ""), st).code(),
            Code::kPermissionDenied)
      << "not even the admin changes its own key's grants";
}

// Found in review: a move out of the tree, an assignee from elsewhere, an
// operator deciding about themselves.
TEST(Authorization, MovesAssigneesAndSelfDecisionsAreHeldToTheSameScope) {
  domain::State st = Network();
  const Principal op = KeyAt(v1::ACCESS_OPERATOR, "ds-a");
  R root;
  root.mutable_center_update()->mutable_center()->set_id("ds-a1");
  root.mutable_center_update()->mutable_update_mask()->add_paths("parent_id");
  const Status s = Ask(op, root, st);
  EXPECT_EQ(s.code(), Code::kPermissionDenied) << "made a root, out of dongshi's hands";
  EXPECT_NE(s.message().find("over the whole network"), std::string::npos) << s.message();
  R across = root;
  across.mutable_center_update()->mutable_center()->set_parent_id("ds-b");
  EXPECT_EQ(Ask(op, across, st).code(), Code::kPermissionDenied) << "into a sibling's subtree";
  EXPECT_TRUE(Ask(KeyAt(v1::ACCESS_OPERATOR, "dongshi"), across, st).ok()) << "within the street";

  v1::Staff far;
  far.set_id("x1");
  far.set_name("x1");
  far.set_center_id("xs-a");
  far.add_roles(v1::WORKER);
  st.network.PutStaff(far);
  R assign;
  assign.mutable_visit_assign()->set_id("v1");
  assign.mutable_visit_assign()->set_staff_id("x1");
  EXPECT_EQ(Ask(KeyAt(v1::ACCESS_OPERATOR, "dongshi"), assign, st).code(), Code::kPermissionDenied)
      << "a 西市 worker sent to a 东市 resident";
  EXPECT_TRUE(Ask(KeyAt(v1::ACCESS_OPERATOR, "city"), assign, st).ok());

  // s1's own key, also an operator of ds-a: still no decision about s1.
  v1::AccessKey k;
  k.set_name("s1-desk");
  k.set_staff_id("s1");
  auto* g = k.add_grants();
  g->set_role(v1::ACCESS_OPERATOR);
  g->set_center_id("ds-a");
  const Principal s1_op = Principal::Key(k, "s1@desk", st.network.FindStaff("s1"));
  R leave;
  leave.mutable_leave_add()->mutable_leave()->set_staff_id("s1");
  EXPECT_EQ(Ask(s1_op, leave, st).code(), Code::kPermissionDenied) << "their own leave";
  leave.mutable_leave_add()->mutable_leave()->set_staff_id("s2");
  EXPECT_TRUE(Ask(s1_op, leave, st).ok()) << "a colleague's, as the center's operator";
  R approve;
  approve.mutable_swap_decide()->set_id("sw1");
  approve.mutable_swap_decide()->set_action(v1::APPROVE);
  approve.mutable_swap_decide()->set_by_staff_id("s5");
  EXPECT_EQ(Ask(s1_op, approve, st).code(), Code::kPermissionDenied)
      << "their own swap, in another leader's name";
}

TEST(Authorization, AnUnknownTargetIsRefusedToAScopedPrincipalAndFoundByAnUnscopedOne) {
  const domain::State st = Network();
  R req;
  req.mutable_visit_show()->set_id("no-such-visit");
  EXPECT_EQ(Ask(KeyAt(v1::ACCESS_OPERATOR, "dongshi"), req, st).code(), Code::kPermissionDenied);
  EXPECT_TRUE(Ask(KeyAt(v1::ACCESS_OPERATOR, ""), req, st).ok()) << "the handler says NOT_FOUND";
}

// The role table operators read is the command table's own: regenerate it
// with ZHIBAN_UPDATE_DOCS=1 build/tests/unit_tests --gtest_filter='*RoleTable*'.
TEST(Authorization, TheRoleTableInOperationsIsTheCommandTables) {
  constexpr std::string_view kBegin = "<!-- role-table: generated from the command table -->\n";
  constexpr std::string_view kEnd = "<!-- role-table end -->";
  const std::string path = std::string(test::SourceDir()) + "/docs/OPERATIONS.md";
  std::string doc = test::ReadSource("docs/OPERATIONS.md");
  const auto b = doc.find(kBegin);
  const auto e = doc.find(kEnd);
  ASSERT_NE(b, std::string::npos) << path << " has no generated role table";
  ASSERT_NE(e, std::string::npos);
  const auto from = b + kBegin.size();
  const std::string table = RoleTable();
  if (std::getenv("ZHIBAN_UPDATE_DOCS")) {
    doc.replace(from, e - from, table);
    std::ofstream(path) << doc;
    return;
  }
  EXPECT_EQ(doc.substr(from, e - from), table)
      << "docs/OPERATIONS.md's role table is out of date: run with ZHIBAN_UPDATE_DOCS=1";
}

}  // namespace
}  // namespace zhiban::core
