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
#include "daemon/domain/calendar.h"
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

// ---- published months follow the windows --------------------------------------

class PublishedFollows : public StreetReplan {
 protected:
  void SetUp() override {
    StreetReplan::SetUp();
    GenerateAll();
    v1::RotaPublishRequest pub;
    pub.set_center_id("c1");
    pub.set_month("2026-11");
    v1::RotaPublishReply reply;
    Do(PublishMonth(Ctx(), pub, &reply));
    now_ = *ParseIsoTime("2026-11-05T09:00:00+08:00");
  }
  Mutation FillC1(PlanCounts* counts) {
    v1::RotaGenerateRequest req;
    req.set_center_id("c1");
    req.set_from("2026-11-01");
    req.set_to("2026-11-30");
    req.set_fill_only(true);
    auto m = GenerateRota(Ctx(), req, counts);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? std::move(*m) : Mutation{};
  }
  std::vector<const v1::Event*> Of(const Mutation& m, v1::Event::BodyCase body) {
    std::vector<const v1::Event*> out;
    for (const auto& e : m.events) {
      if (e.body_case() == body) out.push_back(&e);
    }
    return out;
  }
};

// A closure inside a published month cancels that day's shifts and tells
// each person; the rest of the month stays as published.
TEST_F(PublishedFollows, AClosureCancelsItsShiftsAndTellsThePeople) {
  const auto before = Assignees();
  std::vector<std::string> that_day;
  for (const auto* s :
       st_.rota.CenterShifts("c1", *ParseDate("2026-11-20"), *ParseDate("2026-11-20")))
    that_day.push_back(s->id());
  ASSERT_EQ(that_day.size(), 6u) << "a Friday: two counters, noon, two counters, the evening";
  v1::CalendarException x;
  x.set_id("c1-power");
  x.set_center_id("c1");
  x.set_from("2026-11-20");
  x.set_to("2026-11-20");
  x.set_kind(v1::CLOSED);
  x.set_reason("停电检修");
  Do(AddException(st_.calendar, st_.network, x));

  PlanCounts counts;
  Mutation m = FillC1(&counts);
  EXPECT_EQ(counts.cancelled, 6u);
  EXPECT_EQ(Of(m, v1::Event::kShiftCancelled).size(), 6u);
  for (const auto* e : Of(m, v1::Event::kShiftCancelled))
    EXPECT_FALSE(e->shift_cancelled().staff().id().empty()) << "the person is named";
  EXPECT_TRUE(Of(m, v1::Event::kShiftChanged).empty());
  EXPECT_TRUE(Of(m, v1::Event::kShiftAssigned).empty());
  Apply(st_, std::move(m));
  for (const auto& id : that_day) EXPECT_EQ(st_.rota.FindShift(id), nullptr) << id;
  size_t same = 0;
  for (const auto& [id, who] : Assignees()) {
    if (before.count(id) && before.at(id) == who) ++same;
  }
  EXPECT_EQ(same, before.size() - 6);

  // Filling again changes nothing more: the month follows the windows.
  PlanCounts again;
  Mutation n = FillC1(&again);
  EXPECT_EQ(again.cancelled, 0u);
  EXPECT_EQ(again.changed, 0u);
  EXPECT_TRUE(n.events.size() == 1 && n.events[0].has_rota_generated()) << n.summary;
}

// A policy version taking effect inside a published month: evening service
// to 21:00 and two people at weekends from 2026-11-23. The evening shifts
// keep their people (told the new times), the weekends' new posts are
// staffed like a fill and announced; the shifts before the 23rd stand.
TEST_F(PublishedFollows, APolicyVersionMovesAndAddsShiftsAndSaysWhatChanged) {
  const auto before = Assignees();
  std::string toml = test::ReadSource("ops/policies/community.toml");
  auto replace = [&](const std::string& a, const std::string& b) {
    const auto at = toml.find(a);
    ASSERT_NE(at, std::string::npos) << a;
    toml.replace(at, a.size(), b);
  };
  replace("start = \"17:30\"\nend = \"20:00\"", "start = \"17:30\"\nend = \"21:00\"");
  replace("start = \"09:00\"\nend = \"17:00\"\nmin_staff = 1",
          "start = \"09:00\"\nend = \"17:00\"\nmin_staff = 2");
  Do(SetPolicy(st_.policies, ParsePolicyToml(toml, "c").value(), "2026-11-23"));

  PlanCounts counts;
  Mutation m = FillC1(&counts);
  // Nov 23-27 and 30: six evenings; Nov 28-29: two new weekend posts.
  std::vector<const v1::Event*> changed;  // in times; the rest name a new AB岗 backup
  for (const auto* e : Of(m, v1::Event::kShiftChanged)) {
    if (e->shift_changed().previous_start_local().empty()) {
      EXPECT_TRUE(e->shift_changed().has_previous_backup()) << e->ShortDebugString();
      continue;
    }
    changed.push_back(e);
  }
  const auto assigned = Of(m, v1::Event::kShiftAssigned);
  EXPECT_EQ(changed.size(), 6u);
  EXPECT_EQ(assigned.size(), 2u);
  EXPECT_EQ(counts.changed, 8u);
  EXPECT_EQ(counts.cancelled, 0u);
  for (const auto* e : changed) {
    const auto& c = e->shift_changed();
    EXPECT_EQ(c.shift().end_local(), "21:00");
    EXPECT_EQ(c.previous_start_local(), "17:30");
    EXPECT_EQ(c.previous_end_local(), "20:00");
    EXPECT_EQ(c.staff().id(), c.previous().id()) << "who held it keeps it: " << c.shift().id();
  }
  for (const auto* e : assigned) {
    EXPECT_FALSE(e->shift_assigned().at_publication());
    EXPECT_TRUE(e->shift_assigned().shift().published());
    EXPECT_EQ(e->shift_assigned().shift().position(), 1u);
  }
  Apply(st_, std::move(m));
  for (const auto& [id, who] : before) {
    if (!id.starts_with("c1/")) continue;
    const auto* s = st_.rota.FindShift(id);
    ASSERT_NE(s, nullptr) << id;
    EXPECT_EQ(s->assignee_id(), who) << id;
    EXPECT_TRUE(s->published()) << id;
  }
}

// A version dropping the morning counters and moving the afternoon's to
// 14:00: each afternoon shift keeps its person (told the new times) — never
// a morning shift's person, though both are REGULAR posts of the day — and
// the morning shifts are cancelled.
TEST_F(PublishedFollows, AMovedWindowKeepsItsOwnShiftsPeopleNotAnotherWindows) {
  std::map<std::string, std::string> afternoon;  // shift id -> person, Nov 23
  for (const auto* x :
       st_.rota.CenterShifts("c1", *ParseDate("2026-11-23"), *ParseDate("2026-11-23"))) {
    if (x->start_local() == "13:30") afternoon[x->id()] = x->assignee_id();
  }
  ASSERT_EQ(afternoon.size(), 2u);
  std::string toml = test::ReadSource("ops/policies/community.toml");
  const std::string morning =
      "[[workday]]\nkind = \"REGULAR\"\nstart = \"08:30\"\nend = \"12:00\"\nmin_staff = 2\n"
      "skills = [\"social-security\"]\n";
  ASSERT_NE(toml.find(morning), std::string::npos);
  toml.erase(toml.find(morning), morning.size());
  const std::string later = "start = \"13:30\"\nend = \"17:30\"";
  ASSERT_NE(toml.find(later), std::string::npos);
  toml.replace(toml.find(later), later.size(), "start = \"14:00\"\nend = \"17:30\"");
  Do(SetPolicy(st_.policies, ParsePolicyToml(toml, "c").value(), "2026-11-23"));
  PlanCounts counts;
  Mutation m = FillC1(&counts);
  size_t moved_on_23 = 0;
  for (const auto* e : Of(m, v1::Event::kShiftChanged)) {
    const auto& c = e->shift_changed();
    if (c.previous_start_local().empty()) continue;
    EXPECT_EQ(c.previous_start_local(), "13:30") << c.ShortDebugString();
    EXPECT_EQ(c.shift().start_local(), "14:00");
    EXPECT_EQ(c.staff().id(), c.previous().id());
    if (c.shift().date() == "2026-11-23") ++moved_on_23;
  }
  EXPECT_EQ(moved_on_23, 2u);
  for (const auto* e : Of(m, v1::Event::kShiftCancelled))
    EXPECT_EQ(e->shift_cancelled().shift().start_local(), "08:30");
  EXPECT_EQ(counts.cancelled, 12u) << "two morning posts on 6 weekdays from the 23rd";
  Apply(st_, std::move(m));
  std::map<std::string, std::string> now;
  for (const auto* x :
       st_.rota.CenterShifts("c1", *ParseDate("2026-11-23"), *ParseDate("2026-11-23"))) {
    if (x->start_local() == "14:00")
      now[std::string(x->id().substr(x->id().rfind('-')))] = x->assignee_id();
  }
  std::map<std::string, std::string> was;
  for (const auto& [id, who] : afternoon) was[id.substr(id.rfind('-'))] = who;
  EXPECT_EQ(now, was) << "each post keeps its person";
}

// A window that has begun in a published month is not made: nobody was
// told of it and nobody is there (removing today's closure at 10:00).
TEST_F(PublishedFollows, AWindowThatHasBegunIsNotMadeAfterTheFact) {
  v1::CalendarException x;
  x.set_id("c1-shut");
  x.set_center_id("c1");
  x.set_from("2026-11-05");
  x.set_to("2026-11-05");
  x.set_kind(v1::CLOSED);
  x.set_reason("停电检修");
  now_ = *ParseIsoTime("2026-11-04T09:00:00+08:00");
  Do(AddException(st_.calendar, st_.network, x));
  PlanCounts closed;
  Apply(st_, FillC1(&closed));
  ASSERT_EQ(closed.cancelled, 6u);
  now_ = *ParseIsoTime("2026-11-05T10:00:00+08:00");
  Do(RemoveException(st_.calendar, "c1-shut"));
  PlanCounts reopened;
  Mutation m = FillC1(&reopened);
  std::vector<std::string> made;
  for (const auto& s : m.shifts_put) {
    if (s.date() == "2026-11-05") made.push_back(s.start_local());
  }
  EXPECT_EQ(made, (std::vector<std::string>{"12:00", "13:30", "13:30", "17:30"}))
      << "only the windows still ahead at 10:00";
}

// Which published months a change reaches, from today: the core fills each
// again right after the change (rota_follow.cpp).
TEST_F(PublishedFollows, AChangeNamesThePublishedMonthsItReachesFromToday) {
  auto touched = [&](const Mutation& m) {
    std::vector<std::string> out;
    for (const auto& q : PublishedMonthsTouched(st_, m, "2026-11-05"))
      out.push_back(fmt::format("{} {}..{}{}", q.center_id(), q.from(), q.to(),
                                q.fill_only() ? "" : " (not a fill)"));
    return out;
  };
  using V = std::vector<std::string>;
  Mutation closure;
  v1::CalendarException x;
  x.set_id("x");
  x.set_center_id("c1");
  x.set_from("2026-11-20");
  x.set_to("2026-12-02");
  x.set_kind(v1::CLOSED);
  closure.exceptions_put.push_back(x);
  EXPECT_EQ(touched(closure), V{"c1 2026-11-20..2026-11-30"}) << "December is not published";
  closure.exceptions_put.back().set_center_id("c2");
  EXPECT_EQ(touched(closure), V{}) << "c2 published nothing";
  closure.exceptions_put.back().set_center_id("");  // the whole network
  EXPECT_EQ(touched(closure), V{"c1 2026-11-20..2026-11-30"});

  Mutation version;
  version.policies_put.push_back(*st_.policies.Find("community-standard"));
  version.policies_put.back().set_effective_from("2026-10-01");
  version.policies_put.back().set_description("社区党群服务中心（新说明）");
  EXPECT_EQ(touched(version), V{}) << "the same windows: nothing to follow";
  version.policies_put.back().mutable_days(0)->mutable_windows(0)->set_end_minute(21 * 60);
  EXPECT_EQ(touched(version), V{"c1 2026-11-05..2026-11-30"}) << "from today, not the past";

  Mutation year;
  year.years_put.emplace_back().set_year(2027);
  EXPECT_EQ(touched(year), V{});
  year.years_put.back().set_year(2026);
  EXPECT_EQ(touched(year), V{"c1 2026-11-05..2026-11-30"});
  EXPECT_EQ(touched(Mutation{}), V{});
}

}  // namespace
}  // namespace zhiban::domain
