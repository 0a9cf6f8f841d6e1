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
  for (const auto& id : m.shifts_deleted) state.rota.EraseShift(id);
  for (const auto& id : m.rotations_deleted) state.rota.EraseRotation(id);
  for (const auto& id : m.leave_deleted) state.rota.EraseLeave(id);
  for (auto& s : m.shifts_put) state.rota.PutShift(std::move(s));
  for (auto& r : m.rotations_put) state.rota.PutRotation(std::move(r));
  for (auto& l : m.leave_put) state.rota.PutLeave(std::move(l));
  for (auto& s : m.swaps_put) state.rota.PutSwap(std::move(s));
  for (auto& r : m.rules_put) state.rota.SetRules(std::move(r));
  for (auto& x : m.months_put) state.rota.PutMonth(std::move(x));
  for (const auto& id : m.residents_deleted) state.visits.EraseResident(id);
  for (auto& r : m.residents_put) state.visits.PutResident(std::move(r));
  for (auto& v : m.visits_put) state.visits.PutVisit(std::move(v));
  for (auto& a : m.appointments_put) state.appointments.Put(std::move(a));
  m.centers_put.clear();
  m.staff_put.clear();
  m.years_put.clear();
  m.exceptions_put.clear();
  m.policies_put.clear();
  m.assignments_put.clear();
  m.shifts_put.clear();
  m.rotations_put.clear();
  m.leave_put.clear();
  m.swaps_put.clear();
  m.rules_put.clear();
  m.months_put.clear();
  m.residents_put.clear();
  m.visits_put.clear();
  m.appointments_put.clear();
}

void Apply(State& state, const Mutation& m) {
  Mutation copy = m;
  Apply(state, std::move(copy));
}

}  // namespace zhiban::domain
