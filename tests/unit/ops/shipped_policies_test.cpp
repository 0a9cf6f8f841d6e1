// The shipped examples hold together: every opening policy in ops/policies/
// is staffed for a whole year under the shipped working-time rules
// (ops/rules.toml) by a small center's staff, with no gap and no rule broken.
// Issue 36: village.toml's 24-hour holiday duty could never be staffed (one
// person on site for 24 hours breaks the daily limit), and nothing said so.
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/base/time_util.h"
#include "daemon/domain/policy.h"
#include "daemon/domain/rota.h"
#include "daemon/domain/state.h"
#include "tests/support/calendars.h"

namespace zhiban::domain {
namespace {

struct Person {
  const char* id;
  std::vector<v1::Role> roles;
  std::vector<std::string> skills;
  v1::EmploymentType employment;
};

// A small center: three social workers (全科社工), a committee cadre (两委)
// and its secretary (书记, a leader), and the station head (站长).
const std::vector<Person>& SmallStaff() {
  static const std::vector<Person> staff = {
      {"w1", {v1::WORKER}, {"social-security"}, v1::LABOUR_CONTRACT},
      {"w2", {v1::WORKER}, {"social-security"}, v1::LABOUR_CONTRACT},
      {"w3", {v1::WORKER}, {"social-security"}, v1::LABOUR_CONTRACT},
      {"c1", {v1::CADRE}, {"social-security"}, v1::ELECTED_CADRE},
      {"c2", {v1::CADRE, v1::LEADER}, {}, v1::ELECTED_CADRE},
      {"l1", {v1::LEADER, v1::CADRE}, {"social-security"}, v1::CIVIL_SERVANT},
  };
  return staff;
}

std::vector<std::string> ShippedPolicies() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(test::Source("ops/policies"))) {
    if (e.path().extension() == ".toml")
      out.push_back("ops/policies/" + e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ShippedPolicies, EachIsStaffedForAYearUnderTheShippedRules) {
  const auto files = ShippedPolicies();
  ASSERT_GE(files.size(), 2u) << "community.toml and village.toml at least";
  for (const auto& file : files) {
    SCOPED_TRACE(file);
    State st;
    test::LoadShippedCalendars(st);
    Zones zones;
    const TimePoint now = *ParseIsoTime("2025-12-01T00:00:00+08:00");
    RotaCtx ctx{st, zones, now, "tester@test"};
    auto policy = ParsePolicyToml(test::ReadSource(file), file);
    ASSERT_TRUE(policy.ok()) << policy.status().ToString();
    const std::string name = policy->name();
    auto m = SetPolicy(st.policies, std::move(*policy), "2025-01-01");
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    Apply(st, std::move(*m));
    m = SetRules(ctx, test::ReadSource("ops/rules.toml"), "ops/rules.toml");
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    Apply(st, std::move(*m));
    v1::Center c;
    c.set_id("center");
    c.set_name("示范中心");
    st.network.PutCenter(c);
    v1::PolicyAssignment a;
    a.set_center_id("center");
    a.set_policy(name);
    a.set_from("2025-01-01");
    m = AssignPolicy(st.policies, st.network, a);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    Apply(st, std::move(*m));
    for (const auto& p : SmallStaff()) {
      v1::Staff s;
      s.set_id(p.id);
      s.set_name(p.id);
      s.set_center_id("center");
      s.set_phone("13800000000");
      for (auto r : p.roles) s.add_roles(r);
      for (const auto& k : p.skills) s.add_skills(k);
      s.set_employment(p.employment);
      st.network.PutStaff(s);
    }

    v1::RotaGenerateRequest req;
    req.set_center_id("center");
    req.set_from("2026-01-01");
    req.set_to("2026-12-31");
    req.set_fill(true);
    PlanCounts counts;
    m = GenerateRota(ctx, req, &counts);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    Apply(st, std::move(*m));
    EXPECT_GT(counts.shifts, 0u);
    EXPECT_EQ(counts.gaps, 0u) << (counts.gap_list.empty()
                                       ? ""
                                       : fmt::format("{}: {}", counts.gap_list[0].first.id(),
                                                     counts.gap_list[0].second));

    v1::RotaCheckRequest q;
    q.set_center_id("center");
    q.set_from("2026-01-01");
    q.set_to("2026-12-31");
    v1::RotaCheckReply check;
    Status s = CheckRota(ctx, q, &check);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(check.gap_count(), 0u);
    EXPECT_EQ(check.uncovered_days_size(), 0);
    EXPECT_EQ(check.breaches_size(), 0)
        << fmt::format("{} {}", check.breaches(0).rule(), check.breaches(0).detail());
    fmt::print(stderr, "{} ({}): {} shifts in 2026, {} gaps, {} breaches\n", file, name,
               counts.shifts, check.gap_count(), check.breaches_size());
  }
}

}  // namespace
}  // namespace zhiban::domain
