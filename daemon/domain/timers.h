// Timers: one kind of entry for every module's timers, ordered by when they
// are due. A book keeps its timers in a TimerIndex as a derived index of its
// records (a published shift's reminders, a visit's deadlines), so they are
// exactly as durable as the records: a firing sets the record's "fired" state
// and the timer leaves the index with the commit that records it.
//
// How each kind fires is registered once in state.h (ForEachTimerSource);
// the core fires whatever is due, every source in one group.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <tuple>

namespace zhiban::domain {

enum class TimerKind : uint8_t {
  kShift = 1,        // a published shift's reminder, handoff or no-show (`bit`: v1::ShiftTimer)
  kVisitAcceptance,  // an assigned visit's acceptance deadline (escalation)
  kVisitWindowEnd,   // a visit's window ended before it started (overdue)
  kCareOrder,        // a resident's next care-plan visit is due to be created (`id`: resident)
};

struct Timer {
  int64_t due = 0;  // Unix seconds
  TimerKind kind = TimerKind::kShift;
  uint32_t bit = 0;  // which timer of a shift; 0 for the others
  std::string id;    // the shift, visit or resident
  bool operator<(const Timer& o) const {
    return std::tie(due, kind, bit, id) < std::tie(o.due, o.kind, o.bit, o.id);
  }
};

using TimerIndex = std::set<Timer>;

// What a timer is, for operators: SHIFT_REMINDER_EVE, VISIT_ACCEPTANCE, ...
std::string TimerName(const Timer& t);

}  // namespace zhiban::domain
