// The timers of visits and care plans: acceptance deadlines (to the AB岗
// backup, then the leader on duty), window ends (overdue) and care-plan
// orders due to be created (visit.h).
#include "daemon/domain/visit.h"

#include <chrono>
#include <map>
#include <set>
#include <string>

#include <fmt/format.h>

#include "daemon/base/time_util.h"
#include "daemon/domain/common.h"
#include "daemon/domain/state.h"
#include "daemon/domain/visit_internal.h"

namespace zhiban::domain {

using common::HasSkill;
using common::Sec;
using common::Ts;
using visit_internal::CreateCareOrder;
using visit_internal::Deadline;
using visit_internal::EmitVisit;
using visit_internal::LeaderFor;
using visit_internal::OnDuty;
using visit_internal::Step;
using visit_internal::Terminal;

Mutation FireVisitTimers(const RotaCtx& ctx, size_t limit) {
  const auto& st = ctx.state;
  const int64_t now = Sec(ctx.now);
  Mutation m;
  std::map<std::string, v1::Visit, std::less<>> touched;
  std::set<std::string> created;
  size_t n = 0;
  for (const auto& t : st.visits.timers()) {
    if (t.due > now || n >= limit) break;
    if (t.kind == TimerKind::kCareOrder) {
      // A care-plan order due to be created.
      const auto* r = st.visits.FindResident(t.id);
      if (!r || !r->care_plan().open_visit_id().empty()) continue;
      ++n;
      v1::Resident next = *r;
      v1::Visit v = CreateCareOrder(ctx, next, &m, created);
      created.insert(v.id());
      m.visits_put.push_back(std::move(v));
      m.residents_put.push_back(std::move(next));
      continue;
    }
    auto it = touched.find(t.id);
    if (it == touched.end()) it = touched.emplace(t.id, *st.visits.FindVisit(t.id)).first;
    v1::Visit& v = it->second;
    ++n;
    if (t.kind == TimerKind::kVisitAcceptance && v.state() == v1::VISIT_ASSIGNED &&
        v.has_accept_by() && Sec(v.accept_by()) <= now) {
      const std::string why =
          fmt::format("{} did not accept by {}", v.assignee_id(),
                      FormatIsoTime(TimePoint(std::chrono::seconds(Sec(v.accept_by())))));
      // First the AB岗 backup of the assignee's shift, then the leader on duty.
      const v1::Staff* backup = nullptr;
      if (v.escalation() == 0) {
        const auto* shift = OnDuty(ctx, v.assignee_id(), v);
        const auto* item = FindService(v.service());
        const auto* b = shift && !shift->backup_id().empty()
                            ? st.network.FindStaff(shift->backup_id())
                            : nullptr;
        if (b && b->id() != v.assignee_id() && HasSkill(*b, item ? item->skill() : "") &&
            !AwayFrom(ctx, b->id(), *shift))
          backup = b;
      }
      if (backup) {
        v.set_assignee_id(backup->id());
        v.set_escalation(1);
        *v.mutable_accept_by() = Ts(Deadline(ctx, v));
        Step(v, v1::VISIT_ASSIGNED, now, "deadline", why + ": to the backup");
        EmitVisit(ctx, &m, v, v1::Event::kVisitEscalated, why + ": to the backup", backup);
      } else {
        // Never the one who did not accept, though they lead the center.
        const auto* leader = LeaderFor(ctx, v, v.assignee_id());
        v.set_assignee_id(leader ? leader->id() : "");
        v.set_escalation(2);
        v.clear_accept_by();
        Step(v, v1::VISIT_ESCALATED, now, "deadline", why + ": to the leader on duty");
        EmitVisit(ctx, &m, v, v1::Event::kVisitEscalated, why + ": to the leader on duty");
      }
    } else if (t.kind == TimerKind::kVisitWindowEnd && !v.overdue_reported() &&
               !Terminal(v.state()) && v.state() != v1::VISIT_EN_ROUTE &&
               v.state() != v1::VISIT_ARRIVED) {
      v.set_overdue_reported(true);
      v.clear_accept_by();
      Step(v, v1::VISIT_OVERDUE, now, "deadline", "the window ended");
      EmitVisit(ctx, &m, v, v1::Event::kVisitOverdue, "the window ended before the visit started");
    }
  }
  for (auto& [id, v] : touched) m.visits_put.push_back(std::move(v));
  if (!m.visits_put.empty()) m.summary = fmt::format("{} visit timer(s)", n);
  return m;
}

}  // namespace zhiban::domain
