// Queries over visits and residents: lists and a staff member's day plan (visit.h).
#include "daemon/domain/visit.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "daemon/domain/common.h"
#include "daemon/domain/state.h"
#include "daemon/domain/visit_internal.h"

namespace zhiban::domain {

using common::CenterClock;
using common::Sec;
using visit_internal::ClockOf;

namespace {

// The local day of an instant at each center, for loops over many visits.
class LocalDays {
 public:
  explicit LocalDays(const RotaCtx& ctx) : ctx_(ctx) {}
  int32_t Of(std::string_view center_id, int64_t s) {
    auto it = clocks_.find(center_id);
    if (it == clocks_.end()) {
      it = clocks_.emplace(std::string(center_id), ClockOf(ctx_, center_id)).first;
    }
    return it->second.Day(s);
  }

 private:
  const RotaCtx& ctx_;
  std::map<std::string, CenterClock, std::less<>> clocks_;
};

}  // namespace

Status ListVisits(const RotaCtx& ctx, const v1::VisitListRequest& req, v1::VisitListReply* out) {
  const auto& st = ctx.state;
  int32_t day = -1;
  if (!req.date().empty()) {
    auto d = ParseDate(req.date());
    if (!d.ok()) return Status::InvalidArgument("date", d.status().message());
    day = DayNumber(*d);
  }
  if (!v1::VisitState_IsValid(req.state()))
    return Status::InvalidArgument("state", "unknown state");
  LocalDays local(ctx);
  for (const auto& [id, v] : st.visits.visits()) {
    if (!req.center_id().empty() && v.center_id() != req.center_id()) continue;
    if (req.state() != v1::VISIT_STATE_UNSPECIFIED && v.state() != req.state()) continue;
    if (day >= 0 && local.Of(v.center_id(), Sec(v.window_start())) != day) continue;
    *out->add_visits() = v;
    if (const auto* r = st.visits.FindResident(v.resident_id()))
      (*out->mutable_residents())[r->id()] = CardOf(*r, Sec(ctx.now));
  }
  return {};
}

Status ListResidents(const RotaCtx& ctx, const v1::ResidentListRequest& q,
                     v1::ResidentListReply* out) {
  const int64_t now = Sec(ctx.now);
  uint32_t n = 0, total = 0;
  const uint32_t limit = q.limit() ? std::min<uint32_t>(q.limit(), 10000) : 1000;
  for (const auto& [id, r] : ctx.state.visits.residents()) {
    if (!q.center_id().empty() && r.home_center_id() != q.center_id()) continue;
    if (q.category() && std::find(r.categories().begin(), r.categories().end(), q.category()) ==
                            r.categories().end())
      continue;
    if (q.overdue() && !(r.care_plan().has_due() && Sec(r.care_plan().due()) < now)) continue;
    ++total;
    if (!q.after_id().empty() && id <= q.after_id()) continue;
    if (n < limit) {
      *out->add_residents() = CardOf(r, now);
      if (++n == limit) out->set_next_after_id(id);
    }
  }
  out->set_total(total);
  return {};
}

Status PlanVisits(const RotaCtx& ctx, const v1::VisitPlanRequest& req, v1::VisitListReply* out) {
  const auto& st = ctx.state;
  if (!st.network.FindStaff(req.staff_id())) {
    return Status::NotFound("staff_id", fmt::format("staff \"{}\" does not exist", req.staff_id()));
  }
  auto d = ParseDate(req.date());
  if (!d.ok()) return Status::InvalidArgument("date", d.status().message());
  std::vector<const v1::Visit*> mine;
  LocalDays local(ctx);
  for (const auto& [id, v] : st.visits.visits()) {
    const bool planned_then = v.has_planned() && v.planned().date() == req.date();
    if (v.assignee_id() == req.staff_id() && v.state() != v1::VISIT_CANCELLED &&
        (planned_then ||
         (!v.has_planned() && local.Of(v.center_id(), Sec(v.window_start())) == DayNumber(*d)))) {
      mine.push_back(&v);
    }
  }
  // A route plan of the day orders them by its planned starts.
  const std::string date = FormatDate(*d);
  auto when = [&](const v1::Visit* v) {
    return v->has_planned() && v->planned().date() == date ? Sec(v->planned().start())
                                                           : Sec(v->window_start());
  };
  std::sort(mine.begin(), mine.end(), [&](const auto* a, const auto* b) {
    return std::make_pair(when(a), a->id()) < std::make_pair(when(b), b->id());
  });
  for (const auto* v : mine) {
    *out->add_visits() = *v;
    if (const auto* r = st.visits.FindResident(v->resident_id()))
      (*out->mutable_residents())[r->id()] = CardOf(*r, Sec(ctx.now));
  }
  return {};
}

}  // namespace zhiban::domain
