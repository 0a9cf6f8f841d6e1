// Residents and home visits through the real zhiband: dispatch to the staff
// on duty, the state machine, escalation deadlines across a kill -9, the
// follow-up a poor rating opens, and no personal data on the bus.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/ctl_expect.h"

namespace zhiban::test {
namespace {

using nlohmann::json;

std::string Source(const std::string& rel) { return std::string(ZHIBAN_SOURCE_DIR) + "/" + rel; }

constexpr const char* kPhone = "13912345678";
constexpr const char* kIdNumber = "11010119400101123X";
constexpr const char* kRoom = "2单元301";
constexpr const char* kHealth = "高血压, 独居";

class VisitDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    d_.Start();
    Ok({"import", "centers", Source("ops/demo/centers.csv")});
    Ok({"import", "staff", Source("ops/demo/staff.csv")});
    Ok({"policy", "set", "--file", Source("ops/policies/community.toml"), "--from", "2025-01-01"});
    Ok({"policy", "assign", "--center", "xingfu", "--policy", "community-standard", "--from", "2025-01-01"});
    Ok({"rota", "generate", "--center", "xingfu", "--from", "2026-01-05", "--to", "2026-01-31", "--fill"});
    Ok({"rota", "publish", "--center", "xingfu", "--month", "2026-01"});
    Ok({"resident", "add", "--id", "r1", "--name", "王奶奶", "--center", "xingfu", "--address", "幸福路8号3栋", "--room",
        kRoom, "--phone", kPhone, "--id-number", kIdNumber, "--categories", "ELDERLY_ALONE", "--tier", "HIGH_RISK",
        "--basis", "STATUTORY_DUTY", "--location", "39.927,116.449", "--health-notes", kHealth, "--emergency",
        "王小明:13700000000"});
  }
  void TearDown() override { EXPECT_EQ(d_.Stop(), 0); }

  RunResult Ok(const std::vector<std::string>& args) { return CtlOk(d_, args); }
  json Json(const std::vector<std::string>& args) { return CtlJson(d_, args); }
  json Request(const std::string& id, const std::string& window = "2026-01-05T10:00:00+08:00/2026-01-05T12:00:00+08:00") {
    return Json({"visit", "request", "--id", id, "--resident", "r1", "--service", "care-visit", "--window", window});
  }

  DaemonFixture d_{{"--clock", "simulated:2026-01-05T08:00:00+08:00"}};
};

TEST_F(VisitDaemon, DispatchLifecycleFollowUpAndPrivacy) {
  auto v = Request("v1");
  ASSERT_EQ(v["state"], "VISIT_ASSIGNED");
  const std::string who = v["assignee_id"];
  EXPECT_TRUE(who == "linan" || who == "sunli") << "on duty at xingfu with elderly-care: " << who;
  // Illegal transitions are refused with the reason.
  auto bad = d_.Ctl({"visit", "complete", "--id", "v1", "--staff", who});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("ASSIGNED; complete needs ARRIVED"), std::string::npos) << bad.err;
  EXPECT_EQ(d_.Ctl({"visit", "accept", "--id", "v1", "--staff", "zhangwei"}).exit_code, 1) << "not the assignee";
  Ok({"visit", "accept", "--id", "v1", "--staff", who});
  Ok({"visit", "start", "--id", "v1", "--staff", who});
  Ok({"visit", "arrive", "--id", "v1", "--staff", who});
  EXPECT_NE(d_.Ctl({"visit", "complete", "--id", "v1", "--staff", who, "--rating", "5"}).err.find("health"), std::string::npos)
      << "a care visit records the checklist";
  auto done = Json({"visit", "complete", "--id", "v1", "--staff", who, "--outcome", "探访完成", "--health", "血压偏高",
                    "--rating", "2"});
  EXPECT_EQ(done["state"], "VISIT_COMPLETED");
  ASSERT_TRUE(done.contains("follow_up_id"));
  auto follow = Json({"visit", "show", "--id", done["follow_up_id"]});
  EXPECT_EQ(follow["source"], "FOLLOW_UP");
  EXPECT_EQ(follow["window_end"], "2026-01-12T09:00:00Z") << "5 working days after Monday 2026-01-05, 17:00 local";

  // Decline: the next person with the skill, never the one who declined.
  auto v2 = Request("v2");
  const std::string first = v2["assignee_id"];
  auto after = Json({"visit", "decline", "--id", "v2", "--staff", first, "--reason", "另有急事"});
  EXPECT_NE(after.value("assignee_id", ""), first);
  EXPECT_TRUE(after["state"] == "VISIT_ASSIGNED" || after["state"] == "VISIT_ESCALATED");

  // The full record is audited with its purpose; the card is masked.
  auto card = Json({"resident", "show", "--id", "r1"});
  EXPECT_EQ(card["masked_phone"], "139****5678");
  EXPECT_FALSE(card.contains("id_number"));
  EXPECT_EQ(d_.Ctl({"resident", "show", "--id", "r1", "--full"}).exit_code, 2) << "a purpose is required";
  auto full = Json({"resident", "show", "--id", "r1", "--full", "--purpose", "核实联系方式"});
  EXPECT_EQ(full["id_number"], kIdNumber);
  EXPECT_NE(Ok({"audit", "list", "--limit", "3"}).out.find("read the full record of resident r1 for: 核实联系方式"),
            std::string::npos);

  // No published event carries the phone, the ID number, the room or health notes.
  Ok({"resident", "update", "--id", "r1", "--phone", "13912340000"});
  size_t visit_events = 0;
  for (const auto& e : d_.EventsAfter(0)) {
    const std::string bytes = e.SerializeAsString();
    for (const char* secret : {kPhone, "13912340000", kIdNumber, kRoom, kHealth, "13700000000"}) {
      EXPECT_EQ(bytes.find(secret), std::string::npos) << e.topic() << " carries " << secret;
    }
    if (e.topic().starts_with("visit.")) ++visit_events;
  }
  EXPECT_GE(visit_events, 9u);
}

TEST_F(VisitDaemon, UnacceptedGoesToTheBackupThenTheLeaderAcrossARestart) {
  // sunli has elderly-care and backs up linan's posts where fill chose so;
  // whoever it is, the chain is: assignee -> backup with the skill -> leader on duty.
  auto v = Request("v3", "2026-01-06T09:00:00+08:00/2026-01-06T11:30:00+08:00");
  ASSERT_EQ(v["state"], "VISIT_ASSIGNED");
  d_.Kill9();
  d_.Start();
  Ok({"clock", "advance", "16m"});
  auto once = Json({"visit", "show", "--id", "v3"});
  EXPECT_EQ(once.value("escalation", 0), once["state"] == "VISIT_ESCALATED" ? 2 : 1) << once.dump();
  Ok({"clock", "advance", "16m"});
  auto twice = Json({"visit", "show", "--id", "v3"});
  EXPECT_EQ(twice["state"], "VISIT_ESCALATED");
  EXPECT_EQ(twice.value("escalation", 0), 2);
  int escalated = 0;
  for (const auto& e : d_.EventsAfter(0)) {
    if (e.topic() == "visit.escalated") {
      ++escalated;
      EXPECT_TRUE(e.visit_escalated().has_leader() || e.visit_escalated().has_backup());
    }
  }
  EXPECT_EQ(escalated, once["state"] == "VISIT_ESCALATED" ? 1 : 2) << "each step once, none lost across the kill";
  // The leader (or an operator) assigns it by hand; the window end makes an open visit overdue.
  auto w = Request("v4", "2026-01-05T09:00:00+08:00/2026-01-05T09:30:00+08:00");
  Ok({"clock", "set", "2026-01-05T09:31:00+08:00"});
  EXPECT_EQ(Json({"visit", "show", "--id", "v4"})["state"], "VISIT_OVERDUE");
  EXPECT_EQ(d_.Ctl({"visit", "assign", "--id", "v4", "--staff", "zhaolei"}).exit_code, 1) << "no elderly-care skill";
}

TEST_F(VisitDaemon, BadInputChangesNothing) {
  // The published month's timers already due (reminders for today) fire now,
  // before the clock moves no further: nothing else may add events below.
  Ok({"clock", "advance", "1m"});
  const auto seq = Json({"status"})["last_seq"];
  struct Case {
    std::vector<std::string> args;
    std::string says;
  } cases[] = {
      {{"resident", "add", "--id", "r2", "--name", "x", "--center", "xingfu"}, "legal_basis"},
      {{"resident", "add", "--id", "r2", "--name", "x", "--center", "nowhere", "--basis", "STATUTORY_DUTY"}, "nowhere"},
      {{"resident", "add", "--id", "r2", "--name", "x", "--center", "xingfu", "--basis", "CONSENT"}, "consent_date"},
      {{"resident", "add", "--id", "r2", "--name", "x", "--center", "xingfu", "--basis", "STATUTORY_DUTY", "--id-number",
        "123"},
       "id_number"},
      {{"resident", "add", "--id", "r2", "--name", "x", "--center", "xingfu", "--basis", "STATUTORY_DUTY", "--categories",
        "DISABLED"},
       "level"},
      {{"resident", "add", "--id", "r1", "--name", "x", "--center", "xingfu", "--basis", "STATUTORY_DUTY"}, "exists"},
      {{"visit", "request", "--resident", "r1", "--service", "haircut", "--window",
        "2026-01-05T10:00:00+08:00/2026-01-05T12:00:00+08:00"},
       "unknown service"},
      {{"visit", "request", "--resident", "r1", "--service", "care-visit", "--window",
        "2026-01-05T12:00:00+08:00/2026-01-05T10:00:00+08:00"},
       "after it starts"},
      {{"visit", "request", "--resident", "r1", "--service", "care-visit", "--window",
        "2026-01-04T10:00:00+08:00/2026-01-04T12:00:00+08:00"},
       "already over"},
      {{"visit", "request", "--resident", "ghost", "--service", "care-visit", "--window",
        "2026-01-05T10:00:00+08:00/2026-01-05T12:00:00+08:00"},
       "ghost"},
      {{"visit", "accept", "--id", "nope", "--staff", "linan"}, "nope"},
      {{"resident", "remove", "--id", "ghost"}, "ghost"},
  };
  for (const auto& c : cases) {
    auto r = d_.Ctl(c.args);
    EXPECT_NE(r.exit_code, 0) << fmt::format("{}", fmt::join(c.args, " "));
    EXPECT_NE(r.err.find(c.says), std::string::npos) << fmt::format("{}", fmt::join(c.args, " ")) << "\n" << r.err;
  }
  EXPECT_EQ(Json({"status"})["last_seq"], seq);
}

}  // namespace
}  // namespace zhiban::test
