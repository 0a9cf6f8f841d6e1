// The core's rota commands: ctl requests to the pure rota engine (domain/rota.h).
#include <algorithm>

#include <fmt/format.h>

#include "daemon/core/core.h"
#include "daemon/core/ctl_codec.h"

namespace zhiban::core {

Result<domain::Mutation> Core::PlanRota(const v1::CtlRequest& req, v1::CtlReply* reply) {
  using R = v1::CtlRequest;
  const auto ctx = RotaContext(ActorOf(req.client()));
  switch (req.command_case()) {
    case R::kRotationSet: {
      auto m = domain::SetRotation(ctx, req.rotation_set().rotation());
      if (m.ok()) *reply->mutable_rotation() = m->rotations_put.front();
      return m;
    }
    case R::kRotationRemove:
      return domain::RemoveRotation(ctx, req.rotation_remove().id());
    case R::kRotaGenerate: {
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
      }
      return m;
    }
    case R::kRotaOverride: {
      std::vector<v1::Shift> changed;
      auto m = domain::OverrideShifts(ctx, req.rota_override(), &changed);
      if (m.ok() && !changed.empty()) *reply->mutable_shift() = changed.front();
      return m;
    }
    case R::kRotaPublish:
      return domain::PublishMonth(ctx, req.rota_publish(), reply->mutable_rota_publish());
    case R::kRotaCheckin: {
      auto m = domain::CheckIn(ctx, req.rota_checkin().staff_id());
      if (m.ok()) *reply->mutable_shift() = m->shifts_put.front();
      return m;
    }
    case R::kSwapRequest: {
      auto m = domain::RequestSwap(ctx, req.swap_request(), next_seq_);
      if (m.ok()) *reply->mutable_shift_swap() = m->swaps_put.front();
      return m;
    }
    case R::kSwapDecide: {
      auto m = domain::DecideSwap(ctx, req.swap_decide());
      if (m.ok()) *reply->mutable_shift_swap() = m->swaps_put.front();
      return m;
    }
    case R::kLeaveAdd: {
      auto m = domain::AddLeave(ctx, req.leave_add().leave());
      if (m.ok()) *reply->mutable_leave() = m->leave_put.front();
      return m;
    }
    case R::kLeaveRemove:
      return domain::RemoveLeave(ctx, req.leave_remove().id());
    case R::kRulesSet: {
      auto m = domain::SetRules(ctx, req.rules_set().toml(), req.rules_set().source());
      if (m.ok()) *reply->mutable_rules() = m->rules_put.front();
      return m;
    }
    default:
      return Status::Internal("not a mutation");
  }
}

Status Core::RotaQuery(const v1::CtlRequest& req, v1::CtlReply* reply) {
  using R = v1::CtlRequest;
  const auto ctx = RotaContext();
  const auto& book = state_.rota;
  switch (req.command_case()) {
    case R::kRotationList: {
      auto* out = reply->mutable_rotation_list();
      for (const auto& [id, r] : book.rotations()) {
        if (req.rotation_list().center_id().empty() ||
            r.center_id() == req.rotation_list().center_id()) {
          *out->add_rotations() = r;
        }
      }
      return {};
    }
    case R::kRotaShow: {
      const auto& q = req.rota_show();
      auto from = ParseDate(q.from());
      if (!from.ok()) return Status::InvalidArgument("from", from.status().message());
      auto to = q.to().empty() ? from : ParseDate(q.to());
      if (!to.ok()) return Status::InvalidArgument("to", to.status().message());
      const int days = DayNumber(*to) - DayNumber(*from);
      if (days < 0) return Status::InvalidArgument("to", "is before from");
      if (days > 366) return Status::InvalidArgument("to", "a range is at most 367 days");
      auto* out = reply->mutable_shift_list();
      std::vector<const v1::Shift*> shifts;
      if (!q.staff_id().empty()) {
        if (!state_.network.FindStaff(q.staff_id())) {
          return Status::NotFound("staff_id",
                                  fmt::format("staff \"{}\" does not exist", q.staff_id()));
        }
        const int64_t lo = int64_t(DayNumber(*from) - 1) * 86400,
                      hi = int64_t(DayNumber(*to) + 2) * 86400;
        for (const auto* s : book.StaffShifts(q.staff_id(), lo, hi)) {
          if (s->date() < FormatDate(*from) || s->date() > FormatDate(*to)) continue;
          if (!q.center_id().empty() && s->center_id() != q.center_id()) continue;
          shifts.push_back(s);
        }
      } else {
        if (q.center_id().empty())
          return Status::InvalidArgument("center_id", "give a center or a staff member");
        if (!state_.network.FindCenter(q.center_id())) {
          return Status::NotFound("center_id",
                                  fmt::format("center \"{}\" does not exist", q.center_id()));
        }
        shifts = book.CenterShifts(q.center_id(), *from, *to);
      }
      out->mutable_shifts()->Reserve(static_cast<int>(shifts.size()));
      auto& names = *out->mutable_names();
      for (const auto* s : shifts) {
        *out->add_shifts() = *s;
        for (const auto* id : {&s->assignee_id(), &s->backup_id()}) {
          if (id->empty() || names.count(*id)) continue;
          if (const auto* st = state_.network.FindStaff(*id)) names[*id] = st->name();
        }
      }
      return {};
    }
    case R::kRotaNow:
      return domain::RotaNow(ctx, req.rota_now(), reply->mutable_rota_now());
    case R::kRotaCheck:
      return domain::CheckRota(ctx, req.rota_check(), reply->mutable_rota_check());
    case R::kSwapList: {
      auto* out = reply->mutable_swap_list();
      const auto& who = req.swap_list().staff_id();
      for (const auto& [id, s] : book.swaps()) {
        if (who.empty() || s.from_staff_id() == who || s.to_staff_id() == who)
          *out->add_swaps() = s;
      }
      return {};
    }
    case R::kLeaveList: {
      const auto& q = req.leave_list();
      auto* out = reply->mutable_leave_list();
      for (const auto& [id, l] : book.leave()) {
        if (!q.staff_id().empty() && l.staff_id() != q.staff_id()) continue;
        if (!q.center_id().empty()) {
          const auto* st = state_.network.FindStaff(l.staff_id());
          if (!st || st->center_id() != q.center_id()) continue;
        }
        *out->add_leave() = l;
      }
      return {};
    }
    case R::kRulesShow:
      *reply->mutable_rules() = book.rules();
      return {};
    case R::kLedger:
      return domain::Ledger(ctx, req.ledger(), reply->mutable_ledger());
    default:
      return Status::Internal("not a rota query");
  }
}

}  // namespace zhiban::core
