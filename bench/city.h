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

}  // namespace zhiban::bench
