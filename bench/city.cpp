#include "bench/city.h"

#include <fmt/format.h>

#include "tests/support/calendars.h"

namespace zhiban::bench {

std::string CityCenterId(int i) { return fmt::format("center-{:03}", i); }

void BuildCity(domain::State& state, int centers) {
  test::LoadShippedCalendars(state);
  for (const char* f : {"ops/policies/community.toml", "ops/policies/village.toml"}) {
    domain::Apply(state, domain::SetPolicy(state.policies,
                                           domain::ParsePolicyToml(test::ReadSource(f), f).value(),
                                           "2025-01-01")
                             .value());
  }
  for (int i = 0; i < centers; ++i) {
    v1::Center c;
    c.set_id(CityCenterId(i));
    c.set_name(c.id());
    state.network.PutCenter(c);
    v1::PolicyAssignment a;
    a.set_center_id(c.id());
    a.set_policy(CityVillage(i) ? "village-standard" : "community-standard");
    a.set_from("2025-01-01");
    domain::Apply(state, domain::AssignPolicy(state.policies, state.network, a).value());
  }
}

v1::Staff CityStaff(int c, int k) {
  v1::Staff s;
  s.set_id(fmt::format("s{:03}-{}", c, k));
  s.set_name(s.id());
  s.set_center_id(CityCenterId(c));
  s.set_phone(fmt::format("138{:08}", c * 10 + k));
  if (k < 2) {
    s.add_roles(v1::LEADER);
    s.add_roles(v1::CADRE);
  } else if (k < 5) {
    s.add_roles(v1::CADRE);
  } else {
    s.add_roles(v1::WORKER);
  }
  if (k >= 3) s.add_skills("social-security");
  return s;
}

std::string CityRulesToml(int centers) {
  std::string t = "# 24-hour village holiday duty (with sleep) is allowed there\n";
  for (int i = 0; i < centers; ++i) {
    if (CityVillage(i))
      t += fmt::format("[center.{}]\ndaily_overtime_hours = 16\nmin_rest_hours = 0\n",
                       CityCenterId(i));
  }
  return t;
}

}  // namespace zhiban::bench
