// Commands on residents, home visits and appointments: ctl requests to the
// pure visit and appointment logic (domain/visit.h, domain/appointment.h).
#include <set>

#include <fmt/format.h>

#include "daemon/core/command.h"
#include "daemon/core/command_util.h"
#include "daemon/core/core.h"
#include "daemon/core/personal_data.h"
#include "daemon/core/reach.h"
#include "daemon/domain/common.h"
#include "daemon/domain/visit_plan.h"

namespace zhiban::core {
namespace {

using R = v1::CtlRequest;

int64_t NowSec(const CommandEnv& env) { return env.now.time_since_epoch().count() / 1000000; }

Result<domain::Mutation> ResidentAdd(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::AddResident(env.Rota(), req.resident_add().resident());
  if (m.ok())
    *reply->mutable_resident_card() = domain::CardOf(m->residents_put.front(), NowSec(env));
  return m;
}

Result<domain::Mutation> ResidentUpdate(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::UpdateResident(env.Rota(), req.resident_update());
  if (m.ok()) {
    const auto& r = m->residents_put.empty()
                        ? *env.state.visits.FindResident(req.resident_update().resident().id())
                        : m->residents_put.front();
    *reply->mutable_resident_card() = domain::CardOf(r, NowSec(env));
  }
  return m;
}

Result<domain::Mutation> ResidentRemove(CommandEnv& env, const R& req, v1::CtlReply*) {
  return domain::RemoveResident(env.Rota(), req.resident_remove().id());
}

// Crypto-shredding: the key goes first (synced), so from this moment every
// stored copy is sealed for good, whatever happens to the rest of the group
// (a reload drops a record whose key is erased). The store's old versions are
// compacted away after the commit (PersonalData::TakeCompaction).
Result<domain::Mutation> ResidentErase(CommandEnv& env, const R& req, v1::CtlReply*) {
  const auto& q = req.resident_erase();
  auto* pd = env.options.personal_data;
  if (!pd) {
    return Status::FailedPrecondition(
        "this zhiband keeps no key store (personal data at rest is off); nothing was erased");
  }
  const bool known = pd->keys().Has(q.id()) == storage::KeyStore::Holds::kKey;
  ZB_ASSIGN_OR_RETURN(auto m, domain::EraseResident(env.Rota(), q.id(), known));
  ZB_RETURN_IF_ERROR(pd->Erase(q.id()));
  m.summary += " (reason: " + q.reason() + ")";
  return m;
}

Status AuthorizeResidentErase(const Principal&, const R& req, const domain::State&) {
  const auto& q = req.resident_erase();
  if (q.reason().empty()) {
    return Status::InvalidArgument(
        "reason",
        "an erasure is done for a stated reason (--reason), which the audit log keeps; "
        "nothing was erased");
  }
  return domain::common::ValidateText(q.reason(), "reason", 500, true);
}

Result<domain::Mutation> ResidentImport(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::ImportResidents(env.Rota(), req.resident_import());
  if (m.ok()) {
    auto* out = reply->mutable_resident_import();
    out->set_added(static_cast<uint32_t>(m->residents_put.size()));
    for (const auto& r : m->residents_put) {
      out->set_with_care_plan(out->with_care_plan() + r.care_plan().has_due());
    }
  }
  return m;
}

Result<domain::Mutation> ResidentChange(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::ResidentChange(env.Rota(), req.resident_change());
  if (m.ok()) *reply->mutable_visit() = m->visits_put.back();
  return m;
}

// Personal data: every read is audited, the full record with its purpose.
Status ResidentShow(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto& q = req.resident_show();
  const auto* r = env.state.visits.FindResident(q.id());
  if (!r) return Status::NotFound("id", fmt::format("resident \"{}\" does not exist", q.id()));
  if (q.full()) {
    *reply->mutable_resident() = *r;
  } else {
    *reply->mutable_resident_card() = domain::CardOf(*r, NowSec(env));
  }
  return {};
}

// The full record (phone, ID number, health) is read by an auditor or an
// admin whose scope holds the resident (ResidentShowReach), and always for a
// stated purpose, which the audit line keeps; the card (masked) by any role.
Status AuthorizeResidentShow(const Principal&, const R& req, const domain::State&) {
  const auto& q = req.resident_show();
  if (!q.full()) return {};
  if (q.purpose().empty()) {
    return Status::InvalidArgument(
        "purpose",
        "a resident's full record is read for a stated purpose (--purpose), which the "
        "audit log keeps; nothing was read");
  }
  return domain::common::ValidateText(q.purpose(), "purpose", 500, true);
}

Reach ResidentShowReach(const R& r, const domain::State& s) {
  Reach out = reach::Resident(s, r.resident_show().id());
  if (r.resident_show().full()) out.need = Need::kAudit;
  return out;
}

Reach ResidentWriteReach(const domain::State& s, const v1::Resident& res) {
  Reach out = reach::Resident(s, res.id());
  if (out.where == Reach::Where::kNetwork) return reach::Under(s, res.home_center_id());
  if (!res.home_center_id().empty()) reach::Join(out, reach::Center(s, res.home_center_id()));
  return out;
}

// Cancelling is the center's decision; the rest (accept .. fail) the
// assignee's own act.
Reach VisitActReach(const R& r, const domain::State& s) {
  const auto& q = r.visit_act();
  Reach out = reach::Visit(s, q.id());
  if (q.action() == v1::CANCEL_VISIT) {
    out.need = Need::kOperate;
  } else {
    out.person = q.by_staff_id();
  }
  return out;
}

std::string ResidentShowSummary(const R& req) {
  const auto& q = req.resident_show();
  return fmt::format("read {} of resident {}{}", q.full() ? "the full record" : "the card", q.id(),
                     q.purpose().empty() ? "" : " for: " + q.purpose());
}

Status ResidentList(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  return domain::ListResidents(env.Rota(), req.resident_list(), reply->mutable_resident_list());
}

Status ServiceList(CommandEnv&, const R&, v1::CtlReply* reply) {
  for (const auto& s : domain::ServiceCatalogue())
    *reply->mutable_service_list()->add_services() = s;
  return {};
}

Result<domain::Mutation> VisitRequest(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::RequestVisit(env.Rota(), req.visit_request(), env.next_seq);
  if (m.ok()) *reply->mutable_visit() = m->visits_put.front();
  return m;
}

Result<domain::Mutation> VisitAssign(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::AssignVisit(env.Rota(), req.visit_assign());
  if (m.ok()) *reply->mutable_visit() = m->visits_put.front();
  return m;
}

Result<domain::Mutation> VisitAct(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::ActOnVisit(env.Rota(), req.visit_act(), env.next_seq);
  if (m.ok()) *reply->mutable_visit() = m->visits_put.front();
  return m;
}

Status VisitShow(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto* v = env.state.visits.FindVisit(req.visit_show().id());
  if (!v) {
    return Status::NotFound("id",
                            fmt::format("visit \"{}\" does not exist", req.visit_show().id()));
  }
  *reply->mutable_visit() = *v;
  return {};
}

Status VisitList(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto* out = reply->mutable_visit_list();
  ZB_RETURN_IF_ERROR(domain::ListVisits(env.Rota(), req.visit_list(), out));
  // Only the centers the asker's grants hold, and the residents of those visits.
  KeepIf(out->mutable_visits(), [&](const v1::Visit& v) { return env.scope.Shows(v.center_id()); });
  std::set<std::string> kept;
  for (const auto& v : out->visits()) kept.insert(v.resident_id());
  for (auto it = out->mutable_residents()->begin(); it != out->mutable_residents()->end();) {
    it = kept.count(it->first) ? std::next(it) : out->mutable_residents()->erase(it);
  }
  return {};
}

Status VisitPlan(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  return domain::PlanVisits(env.Rota(), req.visit_plan(), reply->mutable_visit_list());
}

// Long work: a center's day is solved on a copy of what it reads (issue 22).
domain::Mutation VisitRoutePlanReads(const domain::State& state, const R& req) {
  return domain::PlanDayReads(state, req.visit_route_plan());
}

Result<domain::Mutation> VisitRoutePlan(const domain::RotaCtx& ctx, const R& req,
                                        v1::CtlReply* reply) {
  return domain::PlanCenterDay(ctx, req.visit_route_plan(), reply->mutable_route_plan());
}

Result<domain::Mutation> AppointmentBook(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::BookAppointment(env.Rota(), req.appointment_book(), env.next_seq);
  if (m.ok()) *reply->mutable_appointment() = m->appointments_put.front();
  return m;
}

Result<domain::Mutation> AppointmentCancel(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::CancelAppointment(env.Rota(), req.appointment_cancel());
  if (m.ok()) *reply->mutable_appointment() = m->appointments_put.front();
  return m;
}

Status AppointmentList(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto* out = reply->mutable_appointment_list();
  ZB_RETURN_IF_ERROR(domain::ListAppointments(env.Rota(), req.appointment_list(), out));
  KeepIf(out->mutable_appointments(),
         [&](const v1::Appointment& a) { return env.scope.Shows(a.center_id()); });
  return {};
}

}  // namespace

void RegisterVisitCommands(CommandTable& t) {
  using S = const domain::State&;
  t.Add(Reaching(
      MakeMutation(R::kResidentAdd, ResidentAdd,
                   [](const R& r) { return r.resident_add().resident().id(); }),
      [](const R& r, S s) { return reach::Under(s, r.resident_add().resident().home_center_id()); },
      "their home center"));
  t.Add(Reaching(
      MakeMutation(R::kResidentUpdate, ResidentUpdate,
                   [](const R& r) { return r.resident_update().resident().id(); }),
      [](const R& r, S s) { return ResidentWriteReach(s, r.resident_update().resident()); },
      "their home center, before and after"));
  t.Add(Reaching(
      MakeMutation(R::kResidentRemove, ResidentRemove,
                   [](const R& r) { return r.resident_remove().id(); }),
      [](const R& r, S s) { return reach::Resident(s, r.resident_remove().id()); },
      "their home center"));
  t.Add(Reaching(
      MakeMutation(R::kResidentImport, ResidentImport,
                   [](const R& r) {
                     return fmt::format("{} residents", r.resident_import().residents_size());
                   }),
      [](const R& r, S s) {
        Reach out = Reach::At({});
        for (const auto& res : r.resident_import().residents()) {
          reach::Join(out, ResidentWriteReach(s, res));
        }
        return out;
      },
      "every row's home center"));
  t.Add(Reaching(
      MakeMutation(R::kResidentChange, ResidentChange,
                   [](const R& r) {
                     return r.resident_change().resident_id() + " " + r.resident_change().kind();
                   }),
      [](const R& r, S s) { return reach::Resident(s, r.resident_change().resident_id()); },
      "their home center"));
  Command erase = MakeMutation(R::kResidentErase, ResidentErase,
                               [](const R& r) { return r.resident_erase().id(); });
  erase.authorize = AuthorizeResidentErase;
  t.Add(Reaching(
      NeedsAudit(erase),
      [](const R& r, S s) { return reach::Resident(s, r.resident_erase().id()); },
      "their home center"));
  Command show = MakeAuditedQuery(
      R::kResidentShow, ResidentShow, [](const R& r) { return r.resident_show().id(); },
      ResidentShowSummary);
  show.authorize = AuthorizeResidentShow;
  t.Add(Reaching(Needing(show, Need::kRead, "the card: any role; --full: auditor or admin"),
                 ResidentShowReach, "their home center"));
  t.Add(Reaching(
      MakeQuery(R::kResidentList, ResidentList),
      [](const R& r, S s) { return reach::Filter(s, r.resident_list().center_id()); },
      "the center named (none: the whole network)"));
  t.Add(Reaching(
      MakeQuery(R::kServiceList, ServiceList), [](const R&, S) { return Reach::Anywhere(); },
      "anywhere"));
  t.Add(Reaching(
      MakeMutation(R::kVisitRequest, VisitRequest,
                   [](const R& r) {
                     return r.visit_request().resident_id() + " " + r.visit_request().service();
                   }),
      [](const R& r, S s) { return reach::Resident(s, r.visit_request().resident_id()); },
      "the resident's home center"));
  t.Add(Reaching(
      MakeMutation(
          R::kVisitAssign, VisitAssign,
          [](const R& r) { return r.visit_assign().id() + "->" + r.visit_assign().staff_id(); }),
      [](const R& r, S s) {
        Reach out = reach::Visit(s, r.visit_assign().id());
        if (r.visit_assign().staff_id().empty()) return out;  // refused by the handler
        Reach to = reach::StaffMember(s, r.visit_assign().staff_id());
        to.person.clear();
        reach::Join(out, to);
        return out;
      },
      "the visit's center, and the assignee's home and cover centers"));
  t.Add(Reaching(
      Needing(MakeMutation(R::kVisitAct, VisitAct, [](const R& r) { return r.visit_act().id(); }),
              Need::kAct, "cancel: operator or admin; the rest: the assignee's own act"),
      VisitActReach, "the visit's center"));
  t.Add(Reaching(
      MakeQuery(R::kVisitShow, VisitShow),
      [](const R& r, S s) { return reach::Visit(s, r.visit_show().id()); }, "the visit's center"));
  t.Add(Reaching(
      MakeQuery(R::kVisitList, VisitList),
      [](const R& r, S s) { return reach::Narrowed(s, r.visit_list().center_id()); },
      "the center named (none: the centers its grants hold)"));
  t.Add(Reaching(
      MakeQuery(R::kVisitPlan, VisitPlan),
      [](const R& r, S s) { return reach::StaffMember(s, r.visit_plan().staff_id()); },
      "the person (a staff member: themselves)"));
  t.Add(Reaching(
      MakeLongMutation(R::kVisitRoutePlan, VisitRoutePlanReads, VisitRoutePlan,
                       [](const R& r) {
                         return r.visit_route_plan().center_id() + " " +
                                r.visit_route_plan().date();
                       }),
      [](const R& r, S s) { return reach::Center(s, r.visit_route_plan().center_id()); },
      "the center"));
  t.Add(Reaching(
      MakeMutation(R::kAppointmentBook, AppointmentBook,
                   [](const R& r) {
                     return r.appointment_book().center_id() + " " +
                            r.appointment_book().for_name();
                   }),
      [](const R& r, S s) { return reach::Center(s, r.appointment_book().center_id()); },
      "the center"));
  t.Add(Reaching(
      MakeMutation(R::kAppointmentCancel, AppointmentCancel,
                   [](const R& r) { return r.appointment_cancel().id(); }),
      [](const R& r, S s) {
        const auto* a = s.appointments.Find(r.appointment_cancel().id());
        return a ? reach::Center(s, a->center_id()) : Reach::Network();
      },
      "the appointment's center"));
  t.Add(Reaching(
      MakeQuery(R::kAppointmentList, AppointmentList),
      [](const R& r, S s) { return reach::Narrowed(s, r.appointment_list().center_id()); },
      "the center named (none: the centers its grants hold)"));
}

}  // namespace zhiban::core
