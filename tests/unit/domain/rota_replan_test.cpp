// Re-plans that disturb little (issue 19): after one person's leave, running
// `rota generate --fill` again over a street's filled month changes the
// shifts the leave hits and the fewest others needed to stay within the
// rules — never one at a center the leave does not concern, never one
// before the leave, never a past or published one.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "daemon/base/time_util.h"
#include "daemon/domain/network.h"
#include "daemon/domain/policy.h"
#include "daemon/domain/rota.h"
#include "daemon/domain/state.h"
#include "tests/support/calendars.h"
#include "tests/support/source.h"

namespace zhiban::domain {
namespace {

// A street center and four communities, the community standard at each:
// three or four people homed at each community (one leader at two of
// them), and the street's five, who cover the communities beside them.
class StreetReplan : public ::testing::Test {
 protected:
  void SetUp() override {
    test::LoadShippedCalendars(st_);
    Do(SetPolicy(st_.policies,
                 ParsePolicyToml(test::ReadSource("ops/policies/community.toml"), "c").value(),
                 "2025-01-01"));
    Center("street", "");
    for (const char* c : {"c1", "c2", "c3", "c4"}) Center(c, "street");
    Person("s1", "street", {v1::LEADER, v1::MANAGER}, {"c1", "c2", "c3", "c4"});
    Person("s2", "street", {v1::LEADER, v1::CADRE}, {"c1", "c2"});
    Person("s3", "street", {v1::CADRE}, {"c1", "c2"});
    Person("s4", "street", {v1::CADRE}, {"c3", "c4"});
    Person("s5", "street", {v1::WORKER}, {"c3", "c4"});
    Person("c1a", "c1", {v1::LEADER, v1::CADRE}, {});
    Person("c1b", "c1", {v1::WORKER}, {});
    Person("c1c", "c1", {v1::WORKER}, {});
    Person("c1d", "c1", {v1::CADRE}, {});
    Person("c2a", "c2", {v1::CADRE}, {});
    Person("c2b", "c2", {v1::WORKER}, {});
    Person("c2c", "c2", {v1::WORKER}, {});
    Person("c3a", "c3", {v1::LEADER, v1::CADRE}, {});
    Person("c3b", "c3", {v1::WORKER}, {});
    Person("c3c", "c3", {v1::WORKER}, {});
    Person("c3d", "c3", {v1::WORKER}, {});
    Person("c4a", "c4", {v1::CADRE}, {});
    Person("c4b", "c4", {v1::WORKER}, {});
    Person("c4c", "c4", {v1::WORKER}, {});
    now_ = *ParseIsoTime("2026-10-20T09:00:00+08:00");
  }
  void Center(const std::string& id, const std::string& parent) {
    v1::Center c;
    c.set_id(id);
    c.set_name(id);
    c.set_parent_id(parent);
    st_.network.PutCenter(c);
    centers_.push_back(id);
    v1::PolicyAssignment a;
    a.set_center_id(id);
    a.set_policy("community-standard");
    a.set_from("2025-01-01");
    Do(AssignPolicy(st_.policies, st_.network, a));
  }
  void Person(const std::string& id, const std::string& center, std::vector<v1::Role> roles,
              std::vector<std::string> covers) {
    v1::Staff s;
    s.set_id(id);
    s.set_name(id);
    s.set_center_id(center);
    s.set_phone("13800000000");
    for (auto r : roles) s.add_roles(r);
    s.add_skills("social-security");
    for (auto& c : covers) s.add_cover_center_ids(c);
    st_.network.PutStaff(s);
  }
  RotaCtx Ctx() const { return RotaCtx{st_, zones_, now_, "tester@test"}; }
  template <typename M>
  void Do(M m) {
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    Apply(st_, std::move(*m));
  }
  // rota generate --center all --fill over November, as OPERATIONS says.
  PlanCounts GenerateAll(bool fresh = false) {
    PlanCounts all;
    for (const auto& c : centers_) {
      v1::RotaGenerateRequest req;
      req.set_center_id(c);
      req.set_from("2026-11-01");
      req.set_to("2026-11-30");
      req.set_fill(true);
      req.set_fresh(fresh);
      PlanCounts counts;
      auto m = GenerateRota(Ctx(), req, &counts);
      EXPECT_TRUE(m.ok()) << m.status().ToString();
      if (!m.ok()) return all;
      Apply(st_, std::move(*m));
      all.shifts += counts.shifts;
      all.gaps += counts.gaps;
      all.reassigned += counts.reassigned;
    }
    return all;
  }
  std::map<std::string, std::string> Assignees() const {
    std::map<std::string, std::string> out;
    for (const auto& [id, s] : st_.rota.shifts()) out[id] = s.assignee_id();
    return out;
  }

  // Fills November, gives c1b three days of sick leave (Wed-Fri), generates
  // again; returns the shifts changed beyond those the leave hits.
  std::vector<std::string> ReplanAfterLeave(bool fresh, bool no_backups = false) {
    const PlanCounts first = GenerateAll();
    EXPECT_GT(first.shifts, 500u);
    if (no_backups) {  // nobody to take over: the leave opens gaps for the fill
      Mutation m;
      for (const auto& [id, s] : st_.rota.shifts()) {
        m.shifts_put.push_back(s);
        m.shifts_put.back().clear_backup_id();
      }
      Apply(st_, std::move(m));
    }
    const auto before = Assignees();
    v1::Leave l;
    l.set_id("lv-1");
    l.set_staff_id("c1b");
    l.set_kind(v1::SICK);
    l.set_from("2026-11-11");
    l.set_to("2026-11-13");
    auto added = AddLeave(Ctx(), l, false);
    EXPECT_TRUE(added.ok()) << added.status().ToString();
    if (!added.ok()) return {};
    hit_.clear();
    for (const auto& [id, who] : before) {
      const auto& date = st_.rota.FindShift(id)->date();
      if (who == "c1b" && date >= "2026-11-11" && date <= "2026-11-13") hit_.insert(id);
    }
    Apply(st_, std::move(*added));
    EXPECT_FALSE(hit_.empty());
    again_ = GenerateAll(fresh);
    std::vector<std::string> beyond;
    for (const auto& [id, who] : Assignees()) {
      if (hit_.count(id)) {
        EXPECT_NE(who, "c1b") << id << " still held by the person on leave";
        continue;
      }
      auto it = before.find(id);
      if (it != before.end() && it->second != who)
        beyond.push_back(fmt::format("{} {} -> {}", id, it->second, who));
    }
    std::cout << fmt::format(
        "street, November{}{}: {} shifts, {} gaps; a 3-day leave hits {}; the re-plan changed {} "
        "beyond them ({} reassigned in all, {} gaps after)\n",
        fresh ? " (--fresh)" : "", no_backups ? " without backups" : "", first.shifts, first.gaps,
        hit_.size(), beyond.size(), again_.reassigned, again_.gaps);
    return beyond;
  }

  State st_;
  Zones zones_;
  TimePoint now_;
  std::vector<std::string> centers_;
  std::set<std::string> hit_;
  PlanCounts again_;
};

// Measured for issue 19: before, the second generate moved 258 of 540
// shifts of a November, at other centers and on earlier dates.
TEST_F(StreetReplan, AThreeDayLeaveChangesLittleBeyondTheShiftsItHits) {
  const auto beyond = ReplanAfterLeave(false);
  for (const auto& b : beyond) std::cout << "  " << b << "\n";
  EXPECT_LE(beyond.size(), 2 * hit_.size());
  for (const auto& b : beyond) {
    EXPECT_GE(b.substr(b.find('/') + 1, 10), "2026-11-11") << "before the leave: " << b;
    const std::string center = b.substr(0, b.find('/'));
    EXPECT_TRUE(center == "c1" || center == "street")
        << "a center the leave does not concern: " << b;
  }
}

// With no backup to take over, the leave opens its shifts as gaps and the
// fill staffs them: the people it chooses may then break a rule on a later
// shift (a sixth day running, the month's overtime), which moves too.
TEST_F(StreetReplan, WithoutBackupsTheFillStillMovesLittle) {
  const auto beyond = ReplanAfterLeave(false, true);
  for (const auto& b : beyond) std::cout << "  " << b << "\n";
  EXPECT_LE(beyond.size(), 2 * hit_.size());
  EXPECT_EQ(again_.gaps, 0u);
  for (const auto& b : beyond)
    EXPECT_GE(b.substr(b.find('/') + 1, 10), "2026-11-11") << "before the leave: " << b;
}

// `--fresh` plans every unpublished shift ahead again from scratch, as the
// first generate did (the behaviour before issue 19): the baseline.
TEST_F(StreetReplan, FreshPlansAgainFromScratch) {
  const auto beyond = ReplanAfterLeave(true);
  EXPECT_GT(beyond.size(), 2 * hit_.size()) << "a plan from scratch moves more";
}

}  // namespace
}  // namespace zhiban::domain
