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

}  // namespace zhiban::bench
