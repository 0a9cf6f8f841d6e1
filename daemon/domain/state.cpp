#include "daemon/domain/state.h"

namespace zhiban::domain {

void Apply(State& state, Mutation&& m) {
  for (const auto& id : m.centers_deleted) state.network.EraseCenter(id);
  for (const auto& id : m.staff_deleted) state.network.EraseStaff(id);
  for (const auto& id : m.exceptions_deleted) state.calendar.EraseException(id);
  for (auto& c : m.centers_put) state.network.PutCenter(std::move(c));
  for (auto& s : m.staff_put) state.network.PutStaff(std::move(s));
  for (auto& y : m.years_put) state.calendar.PutYear(std::move(y));
  for (auto& e : m.exceptions_put) state.calendar.PutException(std::move(e));
  for (auto& p : m.policies_put) state.policies.PutPolicy(std::move(p));
  for (auto& a : m.assignments_put) state.policies.PutAssignment(std::move(a));
  m.centers_put.clear();
  m.staff_put.clear();
  m.years_put.clear();
  m.exceptions_put.clear();
  m.policies_put.clear();
  m.assignments_put.clear();
}

void Apply(State& state, const Mutation& m) {
  Mutation copy = m;
  Apply(state, std::move(copy));
}

}  // namespace zhiban::domain
