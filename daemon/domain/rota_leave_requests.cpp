// Leave requests (请假申请): asked by the person, decided by a leader of their
// center (rota.h RequestLeave, DecideLeave). Planning is AddLeave's: a
// request runs it without applying it, an approval applies it.
#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "daemon/domain/access.h"
#include "daemon/domain/common.h"
#include "daemon/domain/rota.h"
#include "daemon/domain/rota_internal.h"

namespace zhiban::domain {

using common::Sec;
using common::Ts;
using rota_internal::Emit;
using rota_internal::HalfNote;
using rota_internal::NewEvent;

namespace {

// What AddLeave's mutation `m` does to `staff`'s rota: the shifts taken off
// them with their covers (the backup who took each, else the proposal its
// coverage.gap carries), the AB岗 posts handed on and the visits moved.
void PlanOf(const State& st, const std::string& staff, const Mutation& m, v1::LeaveRequest* r) {
  std::map<std::string, const v1::Shift*> after;  // by id: the last put of each shift
  for (const auto& s : m.shifts_put) after[s.id()] = &s;
  std::map<std::string, std::string> proposals;  // shift id -> proposed staff
  for (const auto& e : m.events) {
    if (e.has_coverage_gap() && e.coverage_gap().has_proposal())
      proposals[e.coverage_gap().shift().id()] = e.coverage_gap().proposal().id();
  }
  r->clear_covers();
  uint32_t posts = 0;
  for (const auto& [id, now] : after) {
    const v1::Shift* before = st.rota.FindShift(id);
    if (!before) continue;
    if (before->assignee_id() == staff && now->assignee_id() != staff) {
      auto* c = r->add_covers();
      *c->mutable_shift() = *before;
      if (!now->assignee_id().empty()) {
        c->set_kind(v1::LEAVE_COVER_BACKUP);
        c->set_cover_staff_id(now->assignee_id());
      } else if (auto p = proposals.find(id); p != proposals.end()) {
        c->set_kind(v1::LEAVE_COVER_PROPOSED);
        c->set_cover_staff_id(p->second);
      } else {
        c->set_kind(v1::LEAVE_COVER_NONE);
      }
    } else if (before->backup_id() == staff && now->backup_id() != staff) {
      ++posts;
    }
  }
  std::sort(r->mutable_covers()->begin(), r->mutable_covers()->end(),
            [](const auto& a, const auto& b) {
              return std::pair(Sec(a.shift().start()), a.shift().id()) <
                     std::pair(Sec(b.shift().start()), b.shift().id());
            });
  r->set_backup_posts(posts);
  r->set_visits(static_cast<uint32_t>(m.visits_put.size()));
}

uint32_t Covered(const v1::LeaveRequest& r) {
  uint32_t n = 0;
  for (const auto& c : r.covers()) n += c.kind() != v1::LEAVE_COVER_NONE ? 1 : 0;
  return n;
}

// "李娜 (backup)", "王芳 (proposed)", "nobody": who a cover names, for `changes`.
std::string CoverText(const v1::LeaveCover& c) {
  switch (c.kind()) {
    case v1::LEAVE_COVER_BACKUP:
      return c.cover_staff_id() + " (backup)";
    case v1::LEAVE_COVER_PROPOSED:
      return c.cover_staff_id() + " (proposed)";
    default:
      return "nobody";
  }
}

// How the plan `now` differs from the plan `asked` showed, one line a shift.
std::vector<std::string> Changes(const v1::LeaveRequest& asked, const v1::LeaveRequest& now) {
  std::map<std::string, const v1::LeaveCover*> was, is;
  for (const auto& c : asked.covers()) was[c.shift().id()] = &c;
  for (const auto& c : now.covers()) is[c.shift().id()] = &c;
  std::vector<std::string> out;
  for (const auto& [id, c] : was) {
    auto it = is.find(id);
    if (it == is.end()) {
      out.push_back(fmt::format("{}: no longer theirs (was to go to {})", id, CoverText(*c)));
    } else if (it->second->kind() != c->kind() ||
               it->second->cover_staff_id() != c->cover_staff_id()) {
      out.push_back(
          fmt::format("{}: goes to {}, not {}", id, CoverText(*it->second), CoverText(*c)));
    }
  }
  for (const auto& [id, c] : is) {
    if (!was.count(id))
      out.push_back(fmt::format("{}: theirs since, goes to {}", id, CoverText(*c)));
  }
  if (now.backup_posts() != asked.backup_posts())
    out.push_back(
        fmt::format("AB岗 posts handed on: {}, not {}", now.backup_posts(), asked.backup_posts()));
  if (now.visits() != asked.visits())
    out.push_back(fmt::format("visits re-dispatched: {}, not {}", now.visits(), asked.visits()));
  return out;
}

v1::Event StepEvent(const RotaCtx& ctx, const v1::LeaveRequest& r,
                    v1::LeaveRequestEvent* (v1::Event::*body)()) {
  const auto& net = ctx.state.network;
  const v1::Staff* person = net.FindStaff(r.leave().staff_id());
  auto e = NewEvent(person ? person->center_id() : "");
  auto* b = (e.*body)();
  *b->mutable_leave_request() = r;
  if (person) *b->mutable_staff() = *person;
  *b->mutable_leave() = r.leave();
  b->set_shifts_affected(static_cast<uint32_t>(r.covers_size()));
  b->set_shifts_covered(Covered(r));
  b->set_note(r.answer());
  return e;
}

Status CheckNote(const std::string& note, const char* field) {
  if (note.size() > kMaxNoteBytes) {
    return Status::InvalidArgument(
        field, fmt::format("is at most {} bytes ({} given)", kMaxNoteBytes, note.size()));
  }
  return {};
}

}  // namespace

Result<Mutation> RequestLeave(const RotaCtx& ctx, v1::Leave leave, uint64_t serial) {
  const auto& st = ctx.state;
  if (leave.id().empty()) leave.set_id(fmt::format("leave-{}", serial));
  if (leave.id().size() > kMaxIdLength)
    return Status::InvalidArgument("leave.id", "is at most 64 characters");
  if (st.rota.leave_requests().count(leave.id())) {
    return Status::AlreadyExists("leave.id",
                                 fmt::format("leave request \"{}\" exists", leave.id()));
  }
  ZB_RETURN_IF_ERROR(CheckNote(leave.reason(), "leave.reason"));
  if (leave.to().empty()) leave.set_to(leave.from());
  // The rules, the dates and the plan: AddLeave's, applied to nothing.
  ZB_ASSIGN_OR_RETURN(Mutation plan, AddLeave(ctx, leave, /*force=*/false));
  for (const auto& [id, other] : st.rota.leave_requests()) {
    if (other.state() == v1::LEAVE_REQUEST_PENDING &&
        other.leave().staff_id() == leave.staff_id() && LeavesOverlap(leave, other.leave())) {
      return Status::AlreadyExists(
          "leave.from", fmt::format("{} overlaps pending leave request {} ({}..{})", leave.id(), id,
                                    other.leave().from(), other.leave().to()));
    }
  }
  v1::LeaveRequest r;
  r.set_id(leave.id());
  *r.mutable_leave() = leave;
  r.set_state(v1::LEAVE_REQUEST_PENDING);
  r.set_requested_by(ctx.actor);
  *r.mutable_requested() = Ts(Sec(ctx.now));
  PlanOf(st, leave.staff_id(), plan, &r);
  Mutation m;
  auto e = StepEvent(ctx, r, &v1::Event::mutable_leave_requested);
  const v1::Staff* person = st.network.FindStaff(leave.staff_id());
  // Asked now: the leader on duty now, else at the first shift it opens.
  const int64_t first = r.covers().empty() ? Sec(ctx.now) : Sec(r.covers(0).shift().start());
  if (person) {
    if (const auto* l =
            LeaderToAlarm(ctx, person->center_id(), {Sec(ctx.now), first}, leave.staff_id()))
      *e.mutable_leave_requested()->mutable_leader() = *l;
  }
  Emit(&m, std::move(e));
  m.summary = fmt::format(
      "leave request {} for {} {}..{}{}: {} shift(s) it would open, {} with a cover", r.id(),
      leave.staff_id(), leave.from(), leave.to(), HalfNote(leave), r.covers_size(), Covered(r));
  m.leave_requests_put.push_back(std::move(r));
  return m;
}

namespace {

// Whether staff `by` may decide request `r`: a LEADER homed at or covering
// the person's home center or a center above it (the street decides for its
// community), never the person.
Status CheckDecider(const State& st, const v1::LeaveRequest& r, const std::string& by) {
  const auto* leader = st.network.FindStaff(by);
  if (!leader)
    return Status::NotFound("by_staff_id", fmt::format("staff \"{}\" does not exist", by));
  const std::string& staff = r.leave().staff_id();
  if (by == staff) {
    return Status::FailedPrecondition(
        "by_staff_id",
        fmt::format("{} asked for this leave; a leader of their center decides", by));
  }
  if (std::find(leader->roles().begin(), leader->roles().end(), v1::LEADER) ==
      leader->roles().end()) {
    return Status::FailedPrecondition(
        "by_staff_id", fmt::format("{} is not a LEADER; a leader decides leave", by));
  }
  const auto* person = st.network.FindStaff(staff);
  auto leads = [&](const std::string& center) {
    return person && Covers(st.network, center, person->center_id());
  };
  if (person && !leads(leader->center_id()) &&
      std::none_of(leader->cover_center_ids().begin(), leader->cover_center_ids().end(), leads)) {
    return Status::FailedPrecondition(
        "by_staff_id", fmt::format("{} leads {}, which is neither {}'s center nor above it", by,
                                   leader->center_id(), staff));
  }
  return {};
}

}  // namespace

Result<Mutation> DecideLeave(const RotaCtx& ctx, const v1::LeaveDecideRequest& req) {
  const auto& st = ctx.state;
  auto it = st.rota.leave_requests().find(req.id());
  if (req.id().empty()) return Status::InvalidArgument("id", "is required");
  if (it == st.rota.leave_requests().end())
    return Status::NotFound("id", fmt::format("leave request \"{}\" does not exist", req.id()));
  ZB_RETURN_IF_ERROR(CheckNote(req.note(), "note"));
  v1::LeaveRequest r = it->second;
  if (r.state() != v1::LEAVE_REQUEST_PENDING) {
    return Status::FailedPrecondition(
        "id", fmt::format("leave request {} is {} already; only a pending one is decided", r.id(),
                          v1::LeaveRequestState_Name(r.state())));
  }
  if (!req.by_staff_id().empty() && req.action() != v1::LEAVE_WITHDRAW) {
    ZB_RETURN_IF_ERROR(CheckDecider(st, r, req.by_staff_id()));
    r.set_decided_by(req.by_staff_id());
  } else {
    if (req.action() == v1::LEAVE_WITHDRAW && !req.by_staff_id().empty())
      return Status::InvalidArgument("by_staff_id", "a withdrawal is the person's own act");
    r.set_decided_by(ctx.actor);
  }
  if (req.force() && req.action() != v1::LEAVE_APPROVE)
    return Status::InvalidArgument("force", "only an approval is forced");
  *r.mutable_decided() = Ts(Sec(ctx.now));
  r.set_answer(req.note());
  Mutation m;
  switch (req.action()) {
    case v1::LEAVE_APPROVE: {
      // Planned again against the rota as it is now: what the request
      // showed may have changed (another leave, a swap, a fill).
      ZB_ASSIGN_OR_RETURN(m, AddLeave(ctx, r.leave(), req.force()));
      for (auto& e : m.events) {
        if (e.has_leave_added()) e.mutable_leave_added()->set_by_request(true);
      }
      v1::LeaveRequest now = r;
      PlanOf(st, r.leave().staff_id(), m, &now);
      for (auto& c : Changes(r, now)) now.add_changes(std::move(c));
      r = std::move(now);
      r.set_state(v1::LEAVE_REQUEST_APPROVED);
      Emit(&m, StepEvent(ctx, r, &v1::Event::mutable_leave_approved));
      m.summary = fmt::format("leave request {} approved: {}{}", r.id(), m.summary,
                              r.changes().empty()
                                  ? std::string()
                                  : fmt::format("; {} change(s) since the request: {}",
                                                r.changes_size(), fmt::join(r.changes(), "; ")));
      break;
    }
    case v1::LEAVE_REJECT:
      if (req.note().empty())
        return Status::InvalidArgument("note", "a rejection says why (--reason)");
      r.set_state(v1::LEAVE_REQUEST_REJECTED);
      Emit(&m, StepEvent(ctx, r, &v1::Event::mutable_leave_rejected));
      m.summary = fmt::format("leave request {} rejected: {}", r.id(), req.note());
      break;
    case v1::LEAVE_WITHDRAW:
      r.set_state(v1::LEAVE_REQUEST_WITHDRAWN);
      Emit(&m, StepEvent(ctx, r, &v1::Event::mutable_leave_withdrawn));
      m.summary = fmt::format("leave request {} withdrawn", r.id());
      break;
    default:
      return Status::InvalidArgument("action",
                                     "must be LEAVE_APPROVE, LEAVE_REJECT or LEAVE_WITHDRAW");
  }
  m.leave_requests_put.push_back(std::move(r));
  return m;
}

}  // namespace zhiban::domain
