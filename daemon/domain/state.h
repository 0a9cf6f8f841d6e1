// State: everything the core holds in memory, and Apply(), which makes it
// match a Mutation. Pure; the core thread owns the one instance.
#pragma once

#include "daemon/domain/appointment.h"
#include "daemon/domain/calendar.h"
#include "daemon/domain/mutation.h"
#include "daemon/domain/network.h"
#include "daemon/domain/policy.h"
#include "daemon/domain/rota.h"
#include "daemon/domain/visit.h"

namespace zhiban::domain {

struct State {
  Network network;
  Calendar calendar;
  PolicyBook policies;
  RotaBook rota;
  VisitBook visits;
  AppointmentBook appointments;

  void Clear() {
    network.Clear();
    calendar.Clear();
    policies.Clear();
    rota.Clear();
    visits.Clear();
    appointments.Clear();
  }
};

// Moves the mutation's records into the state; `m` keeps its events.
void Apply(State& state, Mutation&& m);
// Copies (for tests and tools that keep the mutation).
void Apply(State& state, const Mutation& m);

}  // namespace zhiban::domain
