// Commands on duty rotas: ctl requests to the pure rota engine (domain/rota.h).
#include <fmt/format.h>

#include "daemon/core/command.h"
#include "daemon/core/command_util.h"
#include "daemon/core/reach.h"

namespace zhiban::core {
namespace {

using R = v1::CtlRequest;

Result<domain::Mutation> RotationSet(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::SetRotation(env.Rota(), req.rotation_set().rotation());
  if (m.ok()) *reply->mutable_rotation() = m->rotations_put.front();
  return m;
}

Result<domain::Mutation> RotationRemove(CommandEnv& env, const R& req, v1::CtlReply*) {
  return domain::RemoveRotation(env.Rota(), req.rotation_remove().id());
}

Status RotationList(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto* out = reply->mutable_rotation_list();
  const auto& center = req.rotation_list().center_id();
  for (const auto& [id, r] : env.state.rota.rotations()) {
    if ((center.empty() || r.center_id() == center) && env.scope.Shows(r.center_id())) {
      *out->add_rotations() = r;
    }
  }
  return {};
}

domain::Mutation RotaGenerateReads(const domain::State& state, const R& req) {
  return domain::GenerateReads(state, req.rota_generate());
}

// Long work: a city's year is 500 of these, each ~10 ms of planning.
Result<domain::Mutation> RotaGenerate(const domain::RotaCtx& ctx, const R& req,
                                      v1::CtlReply* reply) {
  domain::PlanCounts counts;
  auto m = domain::GenerateRota(ctx, req.rota_generate(), &counts);
  if (m.ok()) {
    auto* out = reply->mutable_rota_plan();
    out->set_shifts(counts.shifts);
    out->set_assigned(counts.assigned);
    out->set_gaps(counts.gaps);
    out->set_kept(counts.kept);
    for (auto& [shift, why] : counts.gap_list) {
      *out->add_gap_shifts() = std::move(shift);
      out->add_gap_reasons(std::move(why));
    }
    out->set_changed(counts.changed);
    out->set_turns_skipped(counts.turns_skipped);
    for (auto& shift : counts.changed_list) *out->add_changed_shifts() = std::move(shift);
    out->set_reassigned(counts.reassigned);
    out->set_cancelled(counts.cancelled);
    for (auto& [shift, from] : counts.reassigned_list) {
      *out->add_reassigned_shifts() = std::move(shift);
      out->add_reassigned_from(std::move(from));
    }
  }
  return m;
}

Status RotaShow(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto& book = env.state.rota;
  const auto& net = env.state.network;
  const auto& q = req.rota_show();
  ZB_ASSIGN_OR_RETURN(auto from, DateField(q.from(), "from"));
  ZB_ASSIGN_OR_RETURN(auto to, q.to().empty() ? from : DateField(q.to(), "to"));
  ZB_RETURN_IF_ERROR(CheckRange(from, to, 366));
  auto* out = reply->mutable_shift_list();
  std::vector<const v1::Shift*> shifts;
  if (!q.staff_id().empty()) {
    if (!net.FindStaff(q.staff_id())) {
      return Status::NotFound("staff_id", fmt::format("staff \"{}\" does not exist", q.staff_id()));
    }
    const int64_t lo = int64_t(DayNumber(from) - 1) * 86400;
    const int64_t hi = int64_t(DayNumber(to) + 2) * 86400;
    for (const auto* s : book.StaffShifts(q.staff_id(), lo, hi)) {
      if (s->date() < FormatDate(from) || s->date() > FormatDate(to)) continue;
      if (!q.center_id().empty() && s->center_id() != q.center_id()) continue;
      shifts.push_back(s);
    }
  } else {
    if (q.center_id().empty()) {
      return Status::InvalidArgument("center_id", "give a center or a staff member");
    }
    if (!net.FindCenter(q.center_id())) {
      return Status::NotFound("center_id",
                              fmt::format("center \"{}\" does not exist", q.center_id()));
    }
    shifts = book.CenterShifts(q.center_id(), from, to);
  }
  out->mutable_shifts()->Reserve(static_cast<int>(shifts.size()));
  auto& names = *out->mutable_names();
  for (const auto* s : shifts) {
    *out->add_shifts() = *s;
    for (const auto* id : {&s->assignee_id(), &s->backup_id()}) {
      if (id->empty() || names.count(*id)) continue;
      if (const auto* st = net.FindStaff(*id)) names[*id] = st->name();
    }
  }
  return {};
}

Status RotaNow(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto* out = reply->mutable_rota_now();
  ZB_RETURN_IF_ERROR(domain::RotaNow(env.Rota(), req.rota_now(), out));
  // Only the centers the asker's grants hold.
  KeepIf(out->mutable_on_duty(),
         [&](const v1::OnDuty& d) { return env.scope.Shows(d.center_id()); });
  KeepIf(out->mutable_gaps(), [&](const v1::Shift& s) { return env.scope.Shows(s.center_id()); });
  for (auto it = out->mutable_leaders()->begin(); it != out->mutable_leaders()->end();) {
    it = env.scope.Shows(it->first) ? std::next(it) : out->mutable_leaders()->erase(it);
  }
  return {};
}

Status RotaCheck(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  return domain::CheckRota(env.Rota(), req.rota_check(), reply->mutable_rota_check());
}

Result<domain::Mutation> RotaOverride(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  std::vector<v1::Shift> changed;
  auto m = domain::OverrideShifts(env.Rota(), req.rota_override(), &changed);
  if (m.ok() && !changed.empty()) *reply->mutable_shift() = changed.front();
  return m;
}

Result<domain::Mutation> RotaPublish(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  return domain::PublishMonth(env.Rota(), req.rota_publish(), reply->mutable_rota_publish());
}

Result<domain::Mutation> RotaCheckin(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::CheckIn(env.Rota(), req.rota_checkin().staff_id());
  if (m.ok()) *reply->mutable_shift() = m->shifts_put.front();
  return m;
}

Result<domain::Mutation> SwapRequest(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::RequestSwap(env.Rota(), req.swap_request(), env.next_seq);
  if (m.ok()) *reply->mutable_shift_swap() = m->swaps_put.front();
  return m;
}

Result<domain::Mutation> SwapDecide(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::DecideSwap(env.Rota(), req.swap_decide());
  if (m.ok()) *reply->mutable_shift_swap() = m->swaps_put.front();
  return m;
}

Status SwapList(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto* out = reply->mutable_swap_list();
  const auto& who = req.swap_list().staff_id();
  for (const auto& [id, s] : env.state.rota.swaps()) {
    if (!who.empty() && s.from_staff_id() != who && s.to_staff_id() != who) continue;
    bool shown = true;  // both shifts' centers
    for (const std::string* shift_id : {&s.shift_id(), &s.return_shift_id()}) {
      if (shift_id->empty()) continue;
      const v1::Shift* shift = env.state.rota.FindShift(*shift_id);
      shown = shown && env.scope.Shows(shift ? shift->center_id() : std::string());
    }
    if (!shown) continue;
    *out->add_swaps() = s;
  }
  return {};
}

Result<domain::Mutation> LeaveAdd(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::AddLeave(env.Rota(), req.leave_add().leave(), req.leave_add().force());
  if (m.ok()) *reply->mutable_leave() = m->leave_put.front();
  return m;
}

Result<domain::Mutation> LeaveRemove(CommandEnv& env, const R& req, v1::CtlReply*) {
  return domain::RemoveLeave(env.Rota(), req.leave_remove().id());
}

Status LeaveList(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto& q = req.leave_list();
  auto* out = reply->mutable_leave_list();
  for (const auto& [id, l] : env.state.rota.leave()) {
    if (!q.staff_id().empty() && l.staff_id() != q.staff_id()) continue;
    const auto* st = env.state.network.FindStaff(l.staff_id());
    if (!q.center_id().empty() && (!st || st->center_id() != q.center_id())) continue;
    if (!env.scope.Shows(st ? st->center_id() : std::string())) continue;
    *out->add_leave() = l;
  }
  return {};
}

Result<domain::Mutation> LeaveRequest(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::RequestLeave(env.Rota(), req.leave_request().leave(), env.next_seq);
  if (m.ok()) *reply->mutable_leave_request() = m->leave_requests_put.front();
  return m;
}

Result<domain::Mutation> LeaveDecide(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::DecideLeave(env.Rota(), req.leave_decide());
  if (m.ok()) *reply->mutable_leave_request() = m->leave_requests_put.front();
  return m;
}

Status LeaveRequestList(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto& q = req.leave_request_list();
  auto* out = reply->mutable_leave_request_list();
  for (const auto& [id, r] : env.state.rota.leave_requests()) {
    if (!q.staff_id().empty() && r.leave().staff_id() != q.staff_id()) continue;
    if (q.state() != v1::LEAVE_REQUEST_STATE_UNSPECIFIED && r.state() != q.state()) continue;
    const auto* st = env.state.network.FindStaff(r.leave().staff_id());
    if (!q.center_id().empty() && (!st || st->center_id() != q.center_id())) continue;
    if (!env.scope.Shows(st ? st->center_id() : std::string())) continue;
    *out->add_leave_requests() = r;
  }
  return {};
}

Result<domain::Mutation> RulesSet(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::SetRules(env.Rota(), req.rules_set().toml(), req.rules_set().source());
  if (m.ok()) *reply->mutable_rules() = m->rules_put.front();
  return m;
}

Status RulesShow(CommandEnv& env, const R&, v1::CtlReply* reply) {
  *reply->mutable_rules() = env.state.rota.rules();
  return {};
}

Status Ledger(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  return domain::Ledger(env.Rota(), req.ledger(), reply->mutable_ledger());
}

Status LeaveBalance(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  return domain::LeaveBalance(env.Rota(), req.leave_balance(), reply->mutable_leave_balance());
}

std::string OverrideTarget(const R& r) {
  const auto& o = r.rota_override();
  if (!o.shift_id().empty()) return o.shift_id() + "->" + o.staff_id();
  return fmt::format("{} {}..{} {}->{}", o.center_id(), o.from(), o.to(), o.replaces(),
                     o.staff_id());
}

// What each rota request reaches (command.h, "Reach").

Reach StaffFilter(const domain::State& s, std::string_view staff_id, std::string_view center_id) {
  if (staff_id.empty()) return reach::Filter(s, center_id);
  Reach r = reach::StaffMember(s, staff_id);
  if (!center_id.empty()) reach::Join(r, reach::Center(s, center_id));
  return r;
}

// As StaffFilter, but naming nobody and no center lists what the grants hold.
Reach NarrowedStaffFilter(const domain::State& s, std::string_view staff_id,
                          std::string_view center_id) {
  if (staff_id.empty()) return reach::Narrowed(s, center_id);
  Reach r = reach::StaffMember(s, staff_id);
  if (!center_id.empty()) reach::Join(r, reach::Center(s, center_id));
  return r;
}

Reach OverrideReach(const R& r, const domain::State& s) {
  const auto& o = r.rota_override();
  Reach out =
      o.shift_id().empty() ? reach::Center(s, o.center_id()) : reach::Shift(s, o.shift_id());
  out.person.clear();
  return out;
}

// The swap's shifts' centers; who may not decide: its two people.
Reach SwapReach(const domain::State& s, const v1::ShiftSwap& sw) {
  Reach out = reach::Shift(s, sw.shift_id());
  if (!sw.return_shift_id().empty()) reach::Join(out, reach::Shift(s, sw.return_shift_id()));
  out.person.clear();
  return out;
}

Reach SwapRequestReach(const R& r, const domain::State& s) {
  const auto& q = r.swap_request();
  Reach out = reach::Shift(s, q.shift_id());  // person: who holds the shift asks
  if (!q.return_shift_id().empty()) reach::Join(out, reach::Shift(s, q.return_shift_id()));
  return out;
}

// Accepting is the asked person's act; approving a leader's decision by
// neither party; rejecting is either, by who rejects.
Reach SwapDecideReach(const R& r, const domain::State& s) {
  const auto& q = r.swap_decide();
  auto it = s.rota.swaps().find(q.id());
  if (it == s.rota.swaps().end()) return Reach::Network();
  const v1::ShiftSwap& sw = it->second;
  Reach out = SwapReach(s, sw);
  out.person = q.by_staff_id();
  const bool asked = q.by_staff_id() == sw.to_staff_id();
  if (q.action() == v1::ACCEPT || (q.action() == v1::REJECT && asked)) {
    out.need = Need::kAct;
  } else {
    out.need = Need::kLead;
    out.parties = {sw.from_staff_id(), sw.to_staff_id()};
  }
  return out;
}

// Leave is granted by a leader of the person's centers other than them.
Reach LeaveReach(const domain::State& s, std::string_view staff_id) {
  Reach out = reach::StaffMember(s, staff_id);
  out.person.clear();
  if (!staff_id.empty()) out.parties = {std::string(staff_id)};
  return out;
}

// Approving or rejecting a request is a leader's decision, never the
// person's; withdrawing it is the person's own act (or an operator's for them).
Reach LeaveDecideReach(const R& r, const domain::State& s) {
  const auto& q = r.leave_decide();
  auto it = s.rota.leave_requests().find(q.id());
  if (it == s.rota.leave_requests().end()) return Reach::Network();
  const std::string& staff = it->second.leave().staff_id();
  if (q.action() == v1::LEAVE_WITHDRAW) {
    Reach out = reach::StaffMember(s, staff);
    out.need = Need::kAct;
    return out;
  }
  Reach out = LeaveReach(s, staff);
  out.person = q.by_staff_id();  // a leader's own key decides as themselves
  out.need = Need::kLead;
  return out;
}

}  // namespace

void RegisterRotaCommands(CommandTable& t) {
  using S = const domain::State&;
  t.Add(Reaching(
      MakeMutation(R::kRotationSet, RotationSet,
                   [](const R& r) { return r.rotation_set().rotation().id(); }),
      [](const R& r, S s) { return reach::Center(s, r.rotation_set().rotation().center_id()); },
      "its center"));
  t.Add(Reaching(
      MakeMutation(R::kRotationRemove, RotationRemove,
                   [](const R& r) { return r.rotation_remove().id(); }),
      [](const R& r, S s) {
        auto it = s.rota.rotations().find(r.rotation_remove().id());
        return it == s.rota.rotations().end() ? Reach::Network()
                                              : reach::Center(s, it->second.center_id());
      },
      "its center"));
  t.Add(Reaching(
      MakeQuery(R::kRotationList, RotationList),
      [](const R& r, S s) { return reach::Narrowed(s, r.rotation_list().center_id()); },
      "the center named (none: the centers its grants hold)"));
  t.Add(Reaching(
      MakeLongMutation(R::kRotaGenerate, RotaGenerateReads, RotaGenerate,
                       [](const R& r) {
                         const auto& g = r.rota_generate();
                         return fmt::format("{} {}..{}", g.center_id(), g.from(), g.to());
                       }),
      [](const R& r, S s) { return reach::Center(s, r.rota_generate().center_id()); },
      "the center"));
  t.Add(Reaching(
      MakeQuery(R::kRotaShow, RotaShow),
      [](const R& r, S s) {
        return StaffFilter(s, r.rota_show().staff_id(), r.rota_show().center_id());
      },
      "the person or center named (neither: the whole network)"));
  t.Add(Reaching(
      MakeQuery(R::kRotaNow, RotaNow),
      [](const R& r, S s) { return reach::Narrowed(s, r.rota_now().center_id()); },
      "the center named (none: the centers its grants hold)"));
  t.Add(Reaching(
      MakeQuery(R::kRotaCheck, RotaCheck),
      [](const R& r, S s) { return reach::Filter(s, r.rota_check().center_id()); },
      "the center named (none: the whole network)"));
  t.Add(Reaching(MakeMutation(R::kRotaOverride, RotaOverride, OverrideTarget), OverrideReach,
                 "the shift's center"));
  t.Add(Reaching(
      MakeMutation(
          R::kRotaPublish, RotaPublish,
          [](const R& r) { return r.rota_publish().center_id() + " " + r.rota_publish().month(); }),
      [](const R& r, S s) { return reach::Center(s, r.rota_publish().center_id()); },
      "the center"));
  t.Add(Reaching(
      Needing(MakeMutation(R::kRotaCheckin, RotaCheckin,
                           [](const R& r) { return r.rota_checkin().staff_id(); }),
              Need::kAct),
      [](const R& r, S s) { return reach::StaffMember(s, r.rota_checkin().staff_id()); },
      "the person's home and cover centers"));
  t.Add(Reaching(Needing(MakeMutation(R::kSwapRequest, SwapRequest,
                                      [](const R& r) {
                                        return r.swap_request().shift_id() + "->" +
                                               r.swap_request().to_staff_id();
                                      }),
                         Need::kAct),
                 SwapRequestReach, "the shifts' centers; the person: who holds the shift"));
  t.Add(Reaching(
      Needing(
          MakeMutation(R::kSwapDecide, SwapDecide, [](const R& r) { return r.swap_decide().id(); }),
          Need::kLead,
          "accept, and reject by the asked person: their act; approve, and reject by "
          "anyone else: a leader's decision, by neither party"),
      SwapDecideReach, "both shifts' centers"));
  t.Add(Reaching(
      MakeQuery(R::kSwapList, SwapList),
      [](const R& r, S s) { return NarrowedStaffFilter(s, r.swap_list().staff_id(), ""); },
      "the person named (none: the centers its grants hold)"));
  t.Add(Reaching(
      Needing(MakeMutation(R::kLeaveAdd, LeaveAdd,
                           [](const R& r) { return r.leave_add().leave().id(); }),
              Need::kLead),
      [](const R& r, S s) { return LeaveReach(s, r.leave_add().leave().staff_id()); },
      "the person's home and cover centers; never by the person"));
  t.Add(Reaching(
      Needing(MakeMutation(R::kLeaveRemove, LeaveRemove,
                           [](const R& r) { return r.leave_remove().id(); }),
              Need::kLead),
      [](const R& r, S s) {
        auto it = s.rota.leave().find(r.leave_remove().id());
        return it == s.rota.leave().end() ? Reach::Network() : LeaveReach(s, it->second.staff_id());
      },
      "the person's home and cover centers; never by the person"));
  t.Add(Reaching(
      MakeQuery(R::kLeaveList, LeaveList),
      [](const R& r, S s) {
        return NarrowedStaffFilter(s, r.leave_list().staff_id(), r.leave_list().center_id());
      },
      "the person or center named (neither: the centers its grants hold)"));
  t.Add(Reaching(
      Needing(MakeMutation(R::kLeaveRequest, LeaveRequest,
                           [](const R& r) { return r.leave_request().leave().staff_id(); }),
              Need::kAct),
      [](const R& r, S s) { return reach::StaffMember(s, r.leave_request().leave().staff_id()); },
      "the person's home and cover centers"));
  t.Add(Reaching(
      Needing(MakeMutation(R::kLeaveDecide, LeaveDecide,
                           [](const R& r) { return r.leave_decide().id(); }),
              Need::kLead,
              "approve and reject: a leader's decision, never by the person; withdraw: the "
              "person's act"),
      LeaveDecideReach, "the person's home and cover centers"));
  t.Add(Reaching(
      MakeQuery(R::kLeaveRequestList, LeaveRequestList),
      [](const R& r, S s) {
        return NarrowedStaffFilter(s, r.leave_request_list().staff_id(),
                                   r.leave_request_list().center_id());
      },
      "the person or center named (neither: the centers its grants hold)"));
  t.Add(MakeMutation(R::kRulesSet, RulesSet, [](const R& r) { return r.rules_set().source(); }));
  t.Add(Reaching(
      MakeQuery(R::kRulesShow, RulesShow), [](const R&, S) { return Reach::Anywhere(); },
      "anywhere"));
  t.Add(Reaching(
      MakeQuery(R::kLedger, Ledger),
      [](const R& r, S s) { return StaffFilter(s, r.ledger().staff_id(), r.ledger().center_id()); },
      "the person or center named (neither: the whole network)"));
  t.Add(Reaching(
      MakeQuery(R::kLeaveBalance, LeaveBalance),
      [](const R& r, S s) { return reach::StaffMember(s, r.leave_balance().staff_id()); },
      "the person (a staff member: themselves)"));
}

}  // namespace zhiban::core
