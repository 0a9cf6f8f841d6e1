// State: everything the core holds in memory, and Apply(), which makes it
// match a Mutation. Pure; the core thread owns the one instance.
#pragma once

#include <string_view>

#include "daemon/domain/access.h"
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
  AccessBook access;

  // Empty again, every record and index gone, the books' options kept: by
  // value, so a book's new map cannot be left out.
  void Clear() {
    const RotaOptions rota_options = rota.options();
    const VisitOptions visit_options = visits.options();
    *this = State{};
    rota.SetOptions(rota_options);
    visits.SetOptions(visit_options);
  }
};

// The timer sources (timers.h): each module's index and how its timers fire
// — at most `limit` of them, into one mutation that records them fired.
struct TimerSource {
  std::string_view name;
  const TimerIndex& (*index)(const State&);
  Mutation (*fire)(const RotaCtx&, size_t limit);
};

// Calls f(source) for every module with timers, in the order they fire
// within one group (each sees the state before the group).
template <typename F>
void ForEachTimerSource(F&& f) {
  f(TimerSource{"rota", [](const State& s) -> const TimerIndex& { return s.rota.timers(); },
                FireTimers});
  f(TimerSource{"visits", [](const State& s) -> const TimerIndex& { return s.visits.timers(); },
                FireVisitTimers});
}

// Moves the mutation's records into the state; `m` keeps its events.
void Apply(State& state, Mutation&& m);
// Copies (for tests and tools that keep the mutation).
void Apply(State& state, const Mutation& m);

// Snapshots for long work (docs/ARCHITECTURE.md, "Threads"). A long command
// names the records it reads as a Mutation of puts (copies, taken on the core
// thread: cheap next to the computation); a worker computes on the State
// built from them, and the core commits the result only if the same records,
// read again, give the same Digest.
//
// A State holding just `reads`, with the books' options.
State StateOf(Mutation reads, const RotaOptions& rota, const VisitOptions& visits);
// The records of `reads` (puts, in the record list's order), serialized
// deterministically: equal digests, equal records.
std::string Digest(const Mutation& reads);

}  // namespace zhiban::domain
