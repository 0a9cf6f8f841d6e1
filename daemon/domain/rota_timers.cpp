// The timers of published shifts: reminders, no-shows, handoffs (rota.h).
#include "daemon/domain/rota.h"

#include <map>
#include <set>
#include <string>

#include <fmt/format.h>

#include "daemon/domain/common.h"
#include "daemon/domain/rota_internal.h"

namespace zhiban::domain {

using common::Sec;
using common::Ts;
using rota_internal::ClockMinute;
using rota_internal::DayOf;
using rota_internal::Emit;
using rota_internal::NewEvent;
using rota_internal::SetStaff;

Mutation FireTimers(const RotaCtx& ctx, size_t limit) {
  const auto& st = ctx.state;
  const auto& net = st.network;
  const int64_t now = Sec(ctx.now);
  Mutation m;
  std::map<std::string, v1::Shift, std::less<>> touched;
  auto shift_of = [&](const std::string& id) -> v1::Shift* {
    auto it = touched.find(id);
    if (it != touched.end()) return &it->second;
    const auto* s = st.rota.FindShift(id);
    return s ? &touched.emplace(id, *s).first->second : nullptr;
  };
  size_t fired = 0;
  for (const Timer& t : st.rota.timers()) {
    if (t.due > now || fired >= limit) break;
    v1::Shift* s = shift_of(t.id);
    if (!s || (s->timers_fired() & t.bit)) continue;
    ++fired;
    s->set_timers_fired(s->timers_fired() | t.bit);
    // Reminders and the no-show belong to the duty period: its first shift
    // raises them for all of it.
    const bool per_period =
        t.bit == v1::REMINDER_EVE || t.bit == v1::REMINDER_BEFORE || t.bit == v1::NO_SHOW;
    if (per_period && st.rota.PeriodBefore(*s)) continue;
    const bool late = now - t.due > 120;
    // A no-show's leader is never the one who did not show; with no leader
    // on duty at the center, the alarm goes up the tree.
    const auto* leader = t.bit == v1::NO_SHOW ? LeaderToAlarm(ctx, s->center_id(),
                                                              {Sec(s->start())}, s->assignee_id())
                                              : LeaderOnDuty(ctx, s->center_id(), Sec(s->start()));
    auto e = NewEvent(s->center_id());
    if (t.bit == v1::REMINDER_EVE || t.bit == v1::REMINDER_BEFORE) {
      auto* r = e.mutable_shift_reminder();
      *r->mutable_shift() = *s;
      SetStaff(net, s->assignee_id(), r->mutable_staff());
      if (leader) *r->mutable_leader() = *leader;
      r->set_lead(t.bit == v1::REMINDER_EVE ? "eve" : "before");
      if (t.bit == v1::REMINDER_EVE) s->set_eve_reminded_staff_id(s->assignee_id());
      r->set_reminded_eve(t.bit == v1::REMINDER_BEFORE && !s->assignee_id().empty() &&
                          s->eve_reminded_staff_id() == s->assignee_id());
      for (const auto* x : st.rota.PeriodFrom(*s)) {
        r->add_period_shift_ids(x->id());
        r->set_period_end_local(x->end_local());
      }
      r->set_late(late);
      Emit(&m, std::move(e));
    } else if (t.bit == v1::NO_SHOW) {
      if (s->has_checked_in()) continue;
      auto* g = e.mutable_coverage_gap();
      *g->mutable_shift() = *s;
      g->set_reason(fmt::format("no-show: not checked in {} minutes after the start",
                                st.rota.options().checkin_grace_minutes));
      SetStaff(net, s->assignee_id(), g->mutable_absent());
      SetStaff(net, s->backup_id(), g->mutable_backup());
      if (leader) *g->mutable_leader() = *leader;
      Emit(&m, std::move(e));
    } else if (t.bit == v1::HANDOFF) {
      // Every shift of the center starting at this instant, handed off together.
      const int64_t at = Sec(s->start());
      const std::string prefix =
          ShiftIdPrefix(s->center_id(), s->date(), ClockMinute(s->start_local()));
      std::set<std::string> incoming_ids, before_ids;
      auto* h = e.mutable_shift_handoff();
      for (auto it = st.rota.shifts().lower_bound(prefix);
           it != st.rota.shifts().end() && it->first.starts_with(prefix); ++it) {
        v1::Shift* x = shift_of(it->first);
        if (Sec(x->start()) != at) continue;
        x->set_timers_fired(x->timers_fired() | v1::HANDOFF);
        h->add_shift_ids(x->id());
        if (!x->assignee_id().empty()) incoming_ids.insert(x->assignee_id());
      }
      const int32_t day = DayOf(s->date());
      for (const auto* x :
           st.rota.CenterShifts(s->center_id(), FromDayNumber(day - 1), FromDayNumber(day))) {
        if (Sec(x->start()) < at && Sec(x->end()) >= at && !x->assignee_id().empty())
          before_ids.insert(x->assignee_id());
      }
      for (const auto& id : before_ids) {
        if (!incoming_ids.count(id)) SetStaff(net, id, h->add_outgoing());
      }
      for (const auto& id : incoming_ids) {
        if (!before_ids.count(id)) SetStaff(net, id, h->add_incoming());
      }
      if (h->outgoing().empty() && h->incoming().empty()) continue;  // the same people stay on
      *h->mutable_at() = Ts(at);
      h->set_at_local(fmt::format("{} {}", s->date(), s->start_local()));
      if (leader) *h->mutable_leader() = *leader;
      h->set_late(late);
      Emit(&m, std::move(e));
    }
  }
  for (auto& [id, s] : touched) m.shifts_put.push_back(std::move(s));
  if (!m.shifts_put.empty()) m.summary = fmt::format("{} timer(s) fired", fired);
  return m;
}

}  // namespace zhiban::domain
