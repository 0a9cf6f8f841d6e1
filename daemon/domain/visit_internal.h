// Internal to the visit engine: what its files (daemon/domain/visit_*.cpp)
// share. Not part of visit.h's interface; nothing else includes it but the
// unit test of the state machine's table.
//
// The seconds, local-time and working-day helpers are domain-wide
// (common.h). The small helpers here are inline; LeaderFor, EmitVisit,
// Deadline, OnDuty and Dispatch are defined in visit_dispatch.cpp,
// CancelOrder and CreateCareOrder in visit_residents.cpp, the transition
// table in visit_states.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/domain/common.h"
#include "daemon/domain/mutation.h"
#include "daemon/domain/rota.h"
#include "daemon/domain/state.h"
#include "daemon/domain/visit.h"

namespace zhiban::domain::visit_internal {

// The clock of a center by id (the default zone when it is gone).
inline common::CenterClock ClockOf(const RotaCtx& ctx, std::string_view center_id) {
  return common::CenterClock(ctx.zones, ctx.state.network.FindCenter(center_id));
}

inline bool Terminal(v1::VisitState s) {
  return s == v1::VISIT_COMPLETED || s == v1::VISIT_CANCELLED || s == v1::VISIT_FAILED;
}

inline std::string StateName(v1::VisitState s) {
  const std::string& n = v1::VisitState_Name(s);
  return n.starts_with("VISIT_") ? n.substr(6) : n;
}

inline void Step(v1::Visit& v, v1::VisitState state, int64_t at, const std::string& by,
                 const std::string& note) {
  v.set_state(state);
  auto* h = v.add_history();
  h->set_state(state);
  *h->mutable_at() = common::Ts(at);
  h->set_by(by);
  h->set_note(note);
}

// ---- dispatch (visit_dispatch.cpp)

// The leader to tell about `v`: the leader on duty at its center now, or
// else at the window's start; with none, the same at the parent center, and
// so on up the tree (LeaderToAlarm). Never `skip` (the one who did not
// accept) nor anyone away.
const v1::Staff* LeaderFor(const RotaCtx& ctx, const v1::Visit& v, std::string_view skip = {});

// Emits the visit event `which` (a VisitEvent body) with the visit as it is
// now. Its `leader` is who was told: the assignee of a visit escalated to the
// leader (none when nobody was found), else LeaderFor.
void EmitVisit(const RotaCtx& ctx, Mutation* m, const v1::Visit& v, v1::Event::BodyCase which,
               const std::string& reason, const v1::Staff* backup = nullptr);

// The acceptance deadline of `v` from now (urgent visits have less time).
int64_t Deadline(const RotaCtx& ctx, const v1::Visit& v);

// The first on-site shift of `staff` overlapping the visit's window that
// they are not away from (AwayFrom), if any (a visit is done by someone on
// duty, or on a home-visit block, in it).
const v1::Shift* OnDuty(const RotaCtx& ctx, std::string_view staff, const v1::Visit& v);

// Assigns by dispatch, or escalates to the leader on duty when nobody fits.
// `cause`, when given, says why it is dispatched (again): in the history
// step and the event's reason.
void Dispatch(const RotaCtx& ctx, v1::Visit& v, Mutation* m, const std::string& cause = {});

// ---- care plans (visit_residents.cpp)

// Cancels visit `id` (an open care-plan order being superseded) into `m`.
void CancelOrder(const RotaCtx& ctx, const std::string& id, const std::string& why, Mutation* m);

// The care-plan work order for `r`'s plan as it stands, dispatched; `r`
// records it as the open order. `taken` names ids already used in this batch.
v1::Visit CreateCareOrder(const RotaCtx& ctx, v1::Resident& r, Mutation* m,
                          const std::set<std::string>& taken);

// ---- the state machine (visit_states.cpp)

// Who may take a transition.
enum class VisitActor { kAnyone, kAssignee };

// What the history step of a transition records as its note.
enum class VisitNote { kNoNote, kReason, kOutcome };

// One ActOnVisit in the making, for the steps a transition adds.
struct ActStep {
  const RotaCtx& ctx;
  const v1::VisitActRequest& req;
  uint64_t serial;  // names a follow-up
  int64_t now;
  v1::Visit& v;  // the visit, changed as it goes
  Mutation& m;
  std::optional<v1::Visit> follow_up;  // a completion's follow-up, if any
};

// One row of the visit state machine. ActOnVisit takes the row of the
// action: refuses unless the visit is in one of `from` (empty: any state
// but a terminal one) and, for kAssignee, the request comes from the
// assignee; runs `before` (which may refuse); clears the acceptance
// deadline when `clears_accept_by`; steps to `to` recording `note`; emits
// `event` (saying kReasonKept when `reason_kept`, else nothing); runs `after`.
struct VisitTransition {
  v1::VisitAction action = v1::VISIT_ACTION_UNSPECIFIED;
  const char* verb = "";  // in refusals: "accept needs ASSIGNED or ESCALATED"
  std::vector<v1::VisitState> from;
  v1::VisitState to = v1::VISIT_STATE_UNSPECIFIED;
  VisitActor who = VisitActor::kAssignee;
  bool clears_accept_by = false;
  VisitNote note = VisitNote::kNoNote;
  v1::Event::BodyCase event = v1::Event::BODY_NOT_SET;
  bool reason_kept = false;
  Status (*before)(ActStep&) = nullptr;  // null: nothing more
  void (*after)(ActStep&) = nullptr;     // null: nothing more
};

// Every transition, one per action (VISIT_ACTION_UNSPECIFIED has none).
const std::vector<VisitTransition>& VisitTransitions();
// The row of `action`; null when there is none.
const VisitTransition* FindVisitTransition(v1::VisitAction action);
// Whether `t` may be taken on `v` by `by_staff_id`: OK, or FailedPrecondition
// naming the visit's state and the states the action needs, or the assignee.
Status MayTake(const VisitTransition& t, const v1::Visit& v, std::string_view by_staff_id);

}  // namespace zhiban::domain::visit_internal
