// The visit state machine: accept, decline, start, arrive, complete, fail,
// cancel (visit.h). ActOnVisit consults one table of transitions
// (VisitTransitions) instead of a switch: each row says from which states
// an action may be taken, where it leads, who may take it, what the history
// records and which event it emits; the few actions with more to do (decline
// dispatches again, complete may open a follow-up) name their steps in the row.
#include "daemon/domain/visit.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "daemon/base/time_util.h"
#include "daemon/domain/common.h"
#include "daemon/domain/state.h"
#include "daemon/domain/visit_internal.h"

namespace zhiban::domain {

using common::CenterClock;
using common::Sec;
using common::StepWorkingDays;
using common::Ts;
using visit_internal::ActStep;
using visit_internal::CancelOrder;
using visit_internal::ClockOf;
using visit_internal::Dispatch;
using visit_internal::EmitVisit;
using visit_internal::StateName;
using visit_internal::Step;
using visit_internal::Terminal;
using visit_internal::VisitActor;
using visit_internal::VisitNote;
using visit_internal::VisitTransition;

namespace {

// What a decline, failure or cancellation says on the bus. The words a
// person typed ("老人住院了", "家属说不方便") may be about health or family,
// and the bus is kept forever: they stay in the visit's history (visit show,
// read through ctl), never in an event.
constexpr const char* kReasonKept = "原因见工单记录（visit show）";

// ---- the steps some transitions add

// A decline: the assignee joins those dispatch skips.
Status NoteDecline(ActStep& a) {
  a.v.add_declined_by(a.v.assignee_id());
  return {};
}

// A start: not earlier than start_margin_minutes before the window opens.
Status NotTooEarly(ActStep& a) {
  const int64_t margin = 60 * int64_t(a.ctx.state.visits.options().start_margin_minutes);
  const int64_t opens = Sec(a.v.window_start());
  if (a.now >= opens - margin) return {};
  return Status::FailedPrecondition(
      "id", fmt::format("visit {} can be started from {} ({} min before its window opens at {}); "
                        "it is {}",
                        a.v.id(), FormatIsoTime(TimePoint(std::chrono::seconds(opens - margin))),
                        margin / 60, FormatIsoTime(TimePoint(std::chrono::seconds(opens))),
                        FormatIsoTime(TimePoint(std::chrono::seconds(a.now)))));
}

// After a decline: the next person, or the leader.
void Redispatch(ActStep& a) {
  a.v.set_assignee_id("");
  Dispatch(a.ctx, a.v, &a.m);
}

// A completion: checks what the assignee reports and records it. A poor
// rating (差评) opens a follow-up due in N working days (within two months;
// past them, on the last day of the two), announced after the completion.
Status RecordCompletion(ActStep& a) {
  const auto& st = a.ctx.state;
  const auto& req = a.req;
  auto& v = a.v;
  if (req.rating() > 5) return Status::InvalidArgument("rating", "is 1..5 (0: not rated)");
  const auto* item = FindService(v.service());
  if (item && item->care_visit() && req.checklist().health().empty()) {
    return Status::InvalidArgument("checklist.health",
                                   "a care visit (探访关爱) records at least the health check");
  }
  v.set_outcome(req.outcome());
  *v.mutable_checklist() = req.checklist();
  v.set_rating(req.rating());
  if (req.rating() < 1 || req.rating() > 2) return {};
  const CenterClock local = ClockOf(a.ctx, v.center_id());
  const int32_t today = local.Day(a.now);
  auto step =
      StepWorkingDays(today, static_cast<int32_t>(st.visits.options().follow_up_working_days), 60,
                      [&](int32_t d) { return st.calendar.Day(FromDayNumber(d), v.center_id()); });
  if (!step.ok())
    return Status::FailedPrecondition("cannot schedule the follow-up: " + step.status().message());
  const int32_t day = step->value_or(today + 60);
  v1::Visit f;
  f.set_id(fmt::format("visit-{}", a.serial));
  f.set_resident_id(v.resident_id());
  f.set_center_id(v.center_id());
  f.set_service(v.service());
  *f.mutable_window_start() = Ts(local.At(today + 1, 9 * 60));
  *f.mutable_window_end() = Ts(local.At(day, 17 * 60));
  f.set_priority(v1::NORMAL);
  f.set_source(v1::FOLLOW_UP);
  f.set_follow_up_of(v.id());
  v.set_follow_up_id(f.id());
  a.follow_up = std::move(f);
  return {};
}

// After a completion: the follow-up, if the rating opened one, requested and dispatched.
void RequestFollowUp(ActStep& a) {
  if (!a.follow_up) return;
  v1::Visit& f = *a.follow_up;
  Step(f, v1::VISIT_REQUESTED, a.now, "follow-up",
       fmt::format("rating {} on {}", a.req.rating(), a.v.id()));
  EmitVisit(a.ctx, &a.m, f, v1::Event::kVisitRequested,
            fmt::format("follow-up of {} (rating {})", a.v.id(), a.req.rating()));
  Dispatch(a.ctx, f, &a.m);
  a.m.visits_put.push_back(std::move(f));
}

// A failure says why.
Status NeedReason(ActStep& a) {
  if (a.req.reason().empty())
    return Status::InvalidArgument("reason", "say why (nobody home, refused, ...)");
  return {};
}

}  // namespace

namespace visit_internal {

const std::vector<VisitTransition>& VisitTransitions() {
  using enum VisitActor;
  using enum VisitNote;
  static const std::vector<VisitTransition> kTable = {
      {.action = v1::ACCEPT_VISIT,
       .verb = "accept",
       .from = {v1::VISIT_ASSIGNED, v1::VISIT_ESCALATED},
       .to = v1::VISIT_ACCEPTED,
       .who = kAssignee,
       .clears_accept_by = true,
       .event = v1::Event::kVisitAccepted},
      {.action = v1::DECLINE_VISIT,
       .verb = "decline",
       .from = {v1::VISIT_ASSIGNED, v1::VISIT_ESCALATED},
       .to = v1::VISIT_DECLINED,
       .who = kAssignee,
       .clears_accept_by = true,
       .note = kReason,
       .event = v1::Event::kVisitDeclined,
       .reason_kept = true,
       .before = NoteDecline,
       .after = Redispatch},
      {.action = v1::START_VISIT,
       .verb = "start",
       .from = {v1::VISIT_ACCEPTED, v1::VISIT_OVERDUE},
       .to = v1::VISIT_EN_ROUTE,
       .who = kAssignee,
       .event = v1::Event::kVisitEnRoute,
       .before = NotTooEarly},
      {.action = v1::ARRIVE_VISIT,
       .verb = "arrive",
       .from = {v1::VISIT_EN_ROUTE},
       .to = v1::VISIT_ARRIVED,
       .who = kAssignee,
       .event = v1::Event::kVisitArrived},
      {.action = v1::COMPLETE_VISIT,
       .verb = "complete",
       .from = {v1::VISIT_ARRIVED},
       .to = v1::VISIT_COMPLETED,
       .who = kAssignee,
       .note = kOutcome,
       .event = v1::Event::kVisitCompleted,
       .before = RecordCompletion,
       .after = RequestFollowUp},
      {.action = v1::FAIL_VISIT,
       .verb = "fail",
       .from = {v1::VISIT_EN_ROUTE, v1::VISIT_ARRIVED},
       .to = v1::VISIT_FAILED,
       .who = kAssignee,
       .note = kReason,
       .event = v1::Event::kVisitFailed,
       .reason_kept = true,
       .before = NeedReason},
      // Anyone may cancel a visit that is not over (empty `from`).
      {.action = v1::CANCEL_VISIT,
       .verb = "cancel",
       .from = {},
       .to = v1::VISIT_CANCELLED,
       .who = kAnyone,
       .clears_accept_by = true,
       .note = kReason,
       .event = v1::Event::kVisitCancelled,
       .reason_kept = true},
  };
  return kTable;
}

const VisitTransition* FindVisitTransition(v1::VisitAction action) {
  for (const auto& t : VisitTransitions()) {
    if (t.action == action) return &t;
  }
  return nullptr;
}

Status MayTake(const VisitTransition& t, const v1::Visit& v, std::string_view by_staff_id) {
  if (t.from.empty()) {
    if (Terminal(v.state()))
      return Status::FailedPrecondition(
          fmt::format("visit {} is already {}", v.id(), StateName(v.state())));
  } else if (std::find(t.from.begin(), t.from.end(), v.state()) == t.from.end()) {
    std::vector<std::string> names;
    for (auto s : t.from) names.push_back(StateName(s));
    return Status::FailedPrecondition(fmt::format("visit {} is {}; {} needs {}", v.id(),
                                                  StateName(v.state()), t.verb,
                                                  fmt::join(names, " or ")));
  }
  if (t.who == VisitActor::kAssignee && by_staff_id != v.assignee_id()) {
    return Status::FailedPrecondition(
        "by_staff_id", fmt::format("only the assignee ({}) can do that",
                                   v.assignee_id().empty() ? "nobody" : v.assignee_id()));
  }
  return {};
}

}  // namespace visit_internal

Result<Mutation> ActOnVisit(const RotaCtx& ctx, const v1::VisitActRequest& req, uint64_t serial) {
  const auto& st = ctx.state;
  const auto* old = st.visits.FindVisit(req.id());
  if (!old) return Status::NotFound("id", fmt::format("visit \"{}\" does not exist", req.id()));
  const VisitTransition* t = visit_internal::FindVisitTransition(req.action());
  if (!t) return Status::InvalidArgument("action", "unknown action");
  v1::Visit v = *old;
  const int64_t now = Sec(ctx.now);
  const std::string by = req.by_staff_id().empty() ? ctx.actor : req.by_staff_id();
  ZB_RETURN_IF_ERROR(visit_internal::MayTake(*t, v, req.by_staff_id()));
  Mutation m;
  ActStep a{ctx, req, serial, now, v, m, std::nullopt};
  if (t->before) ZB_RETURN_IF_ERROR(t->before(a));
  if (t->clears_accept_by) v.clear_accept_by();
  const std::string note = t->note == VisitNote::kReason    ? req.reason()
                           : t->note == VisitNote::kOutcome ? req.outcome()
                                                            : std::string();
  Step(v, t->to, now, by, note);
  EmitVisit(ctx, &m, v, t->event, t->reason_kept ? kReasonKept : "");
  if (t->after) t->after(a);
  // The care plan follows its visits: a completed care visit sets the next
  // due date; a failed or cancelled plan order lets the plan create another.
  if (const auto* r = st.visits.FindResident(v.resident_id()); r && Terminal(v.state())) {
    const auto* item = FindService(v.service());
    const bool care_done = v.state() == v1::VISIT_COMPLETED && item && item->care_visit();
    if (care_done || r->care_plan().open_visit_id() == v.id()) {
      v1::Resident next = *r;
      if (next.care_plan().open_visit_id() == v.id())
        next.mutable_care_plan()->set_open_visit_id("");
      if (care_done) {
        const int32_t today = ClockOf(ctx, v.center_id()).Day(now);
        next.set_last_care_visit(FormatDate(FromDayNumber(today)));
        const auto* open = st.visits.FindVisit(next.care_plan().open_visit_id());
        PlanCare(ctx, next, today);
        if (open && !Terminal(open->state()) && open->state() != v1::VISIT_EN_ROUTE &&
            open->state() != v1::VISIT_ARRIVED) {
          // Another care visit did the plan's work: its open order gives way.
          CancelOrder(ctx, open->id(), fmt::format("care visit {} done", v.id()), &m);
          next.mutable_care_plan()->set_open_visit_id("");
        }
      }
      m.residents_put.push_back(std::move(next));
    }
  }
  m.summary = fmt::format("visit {} {} by {}", v.id(), StateName(v.state()), by);
  m.visits_put.insert(m.visits_put.begin(), std::move(v));
  return m;
}

}  // namespace zhiban::domain
