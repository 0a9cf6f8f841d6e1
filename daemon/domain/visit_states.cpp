// The visit state machine: accept, decline, start, arrive, complete, fail,
// cancel (visit.h).
#include "daemon/domain/visit.h"

#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "daemon/domain/common.h"
#include "daemon/domain/state.h"
#include "daemon/domain/visit_internal.h"

namespace zhiban::domain {

using common::CenterClock;
using common::Sec;
using common::StepWorkingDays;
using common::Ts;
using visit_internal::CancelOrder;
using visit_internal::ClockOf;
using visit_internal::Dispatch;
using visit_internal::EmitVisit;
using visit_internal::StateName;
using visit_internal::Step;
using visit_internal::Terminal;

namespace {

// What a decline, failure or cancellation says on the bus. The words a
// person typed ("老人住院了", "家属说不方便") may be about health or family,
// and the bus is kept forever: they stay in the visit's history (visit show,
// read through ctl), never in an event.
constexpr const char* kReasonKept = "原因见工单记录（visit show）";

}  // namespace

Result<Mutation> ActOnVisit(const RotaCtx& ctx, const v1::VisitActRequest& req, uint64_t serial) {
  const auto& st = ctx.state;
  const auto* old = st.visits.FindVisit(req.id());
  if (!old) return Status::NotFound("id", fmt::format("visit \"{}\" does not exist", req.id()));
  v1::Visit v = *old;
  const int64_t now = Sec(ctx.now);
  const std::string by = req.by_staff_id().empty() ? ctx.actor : req.by_staff_id();
  auto need = [&](std::initializer_list<v1::VisitState> from, const char* verb) -> Status {
    if (std::find(from.begin(), from.end(), v.state()) != from.end()) return {};
    std::vector<std::string> names;
    for (auto s : from) names.push_back(StateName(s));
    return Status::FailedPrecondition(fmt::format("visit {} is {}; {} needs {}", v.id(),
                                                  StateName(v.state()), verb,
                                                  fmt::join(names, " or ")));
  };
  auto assignee_only = [&]() -> Status {
    if (req.by_staff_id() != v.assignee_id()) {
      return Status::FailedPrecondition(
          "by_staff_id", fmt::format("only the assignee ({}) can do that",
                                     v.assignee_id().empty() ? "nobody" : v.assignee_id()));
    }
    return {};
  };
  Mutation m;
  switch (req.action()) {
    case v1::ACCEPT_VISIT:
      ZB_RETURN_IF_ERROR(need({v1::VISIT_ASSIGNED, v1::VISIT_ESCALATED}, "accept"));
      ZB_RETURN_IF_ERROR(assignee_only());
      v.clear_accept_by();
      Step(v, v1::VISIT_ACCEPTED, now, by, "");
      EmitVisit(ctx, &m, v, v1::Event::kVisitAccepted, "");
      break;
    case v1::DECLINE_VISIT:
      ZB_RETURN_IF_ERROR(need({v1::VISIT_ASSIGNED, v1::VISIT_ESCALATED}, "decline"));
      ZB_RETURN_IF_ERROR(assignee_only());
      v.add_declined_by(v.assignee_id());
      v.clear_accept_by();
      Step(v, v1::VISIT_DECLINED, now, by, req.reason());
      EmitVisit(ctx, &m, v, v1::Event::kVisitDeclined, kReasonKept);
      v.set_assignee_id("");
      Dispatch(ctx, v, &m);  // the next person, or the leader
      break;
    case v1::START_VISIT:
      ZB_RETURN_IF_ERROR(need({v1::VISIT_ACCEPTED, v1::VISIT_OVERDUE}, "start"));
      ZB_RETURN_IF_ERROR(assignee_only());
      Step(v, v1::VISIT_EN_ROUTE, now, by, "");
      EmitVisit(ctx, &m, v, v1::Event::kVisitEnRoute, "");
      break;
    case v1::ARRIVE_VISIT:
      ZB_RETURN_IF_ERROR(need({v1::VISIT_EN_ROUTE}, "arrive"));
      ZB_RETURN_IF_ERROR(assignee_only());
      Step(v, v1::VISIT_ARRIVED, now, by, "");
      EmitVisit(ctx, &m, v, v1::Event::kVisitArrived, "");
      break;
    case v1::COMPLETE_VISIT: {
      ZB_RETURN_IF_ERROR(need({v1::VISIT_ARRIVED}, "complete"));
      ZB_RETURN_IF_ERROR(assignee_only());
      if (req.rating() > 5) return Status::InvalidArgument("rating", "is 1..5 (0: not rated)");
      const auto* item = FindService(v.service());
      if (item && item->care_visit() && req.checklist().health().empty()) {
        return Status::InvalidArgument("checklist.health",
                                       "a care visit (探访关爱) records at least the health check");
      }
      v.set_outcome(req.outcome());
      *v.mutable_checklist() = req.checklist();
      v.set_rating(req.rating());
      Step(v, v1::VISIT_COMPLETED, now, by, req.outcome());
      if (req.rating() >= 1 && req.rating() <= 2) {
        // A poor rating (差评) opens a follow-up due in N working days.
        // Within two months; past them, on the last day of the two.
        const CenterClock local = ClockOf(ctx, v.center_id());
        const int32_t today = local.Day(now);
        auto step = StepWorkingDays(
            today, static_cast<int32_t>(st.visits.options().follow_up_working_days), 60,
            [&](int32_t d) { return st.calendar.Day(FromDayNumber(d), v.center_id()); });
        if (!step.ok())
          return Status::FailedPrecondition("cannot schedule the follow-up: " +
                                            step.status().message());
        const int32_t day = step->value_or(today + 60);
        v1::Visit f;
        f.set_id(fmt::format("visit-{}", serial));
        f.set_resident_id(v.resident_id());
        f.set_center_id(v.center_id());
        f.set_service(v.service());
        *f.mutable_window_start() = Ts(local.At(today + 1, 9 * 60));
        *f.mutable_window_end() = Ts(local.At(day, 17 * 60));
        f.set_priority(v1::NORMAL);
        f.set_source(v1::FOLLOW_UP);
        f.set_follow_up_of(v.id());
        v.set_follow_up_id(f.id());
        EmitVisit(ctx, &m, v, v1::Event::kVisitCompleted, "");
        Step(f, v1::VISIT_REQUESTED, now, "follow-up",
             fmt::format("rating {} on {}", req.rating(), v.id()));
        EmitVisit(ctx, &m, f, v1::Event::kVisitRequested,
                  fmt::format("follow-up of {} (rating {})", v.id(), req.rating()));
        Dispatch(ctx, f, &m);
        m.visits_put.push_back(std::move(f));
      } else {
        EmitVisit(ctx, &m, v, v1::Event::kVisitCompleted, "");
      }
      break;
    }
    case v1::FAIL_VISIT:
      ZB_RETURN_IF_ERROR(need({v1::VISIT_EN_ROUTE, v1::VISIT_ARRIVED}, "fail"));
      ZB_RETURN_IF_ERROR(assignee_only());
      if (req.reason().empty())
        return Status::InvalidArgument("reason", "say why (nobody home, refused, ...)");
      Step(v, v1::VISIT_FAILED, now, by, req.reason());
      EmitVisit(ctx, &m, v, v1::Event::kVisitFailed, kReasonKept);
      break;
    case v1::CANCEL_VISIT:
      if (Terminal(v.state()))
        return Status::FailedPrecondition(
            fmt::format("visit {} is already {}", v.id(), StateName(v.state())));
      v.clear_accept_by();
      Step(v, v1::VISIT_CANCELLED, now, by, req.reason());
      EmitVisit(ctx, &m, v, v1::Event::kVisitCancelled, kReasonKept);
      break;
    default:
      return Status::InvalidArgument("action", "unknown action");
  }
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
