// The benchmark city shared by the calendar and rota suites: the shipped
// 2025/2026 national calendars, ops/policies/community.toml and village.toml,
// and `centers` centers named center-000.. (every fifth a village).
#pragma once

#include <string>

#include "daemon/domain/state.h"

namespace zhiban::bench {

std::string CityCenterId(int i);
inline bool CityVillage(int i) { return i % 5 == 0; }
void BuildCity(domain::State& state, int centers);
// Staff member k of center c (ten a center: two leaders, three cadres, the
// rest workers; social-security from the fourth on).
v1::Staff CityStaff(int c, int k);
// The working-time rules of the first `centers` centers: a village's
// 24-hour holiday duty (with sleep) is allowed there.
std::string CityRulesToml(int centers);

}  // namespace zhiban::bench
