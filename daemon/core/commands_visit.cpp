// Commands on residents, home visits and appointments: ctl requests to the
// pure visit and appointment logic (domain/visit.h, domain/appointment.h).
#include <fmt/format.h>

#include "daemon/core/command.h"
#include "daemon/core/command_util.h"
#include "daemon/domain/common.h"

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
// admin, and always for a stated purpose, which the audit line keeps; the
// card (masked) by any role.
Status AuthorizeResidentShow(const Principal& who, const R& req, const domain::State&) {
  const auto& q = req.resident_show();
  if (!q.full()) return {};
  if (q.purpose().empty()) {
    return Status::InvalidArgument(
        "purpose",
        "a resident's full record is read for a stated purpose (--purpose), which the "
        "audit log keeps; nothing was read");
  }
  ZB_RETURN_IF_ERROR(domain::common::ValidateText(q.purpose(), "purpose", 500, true));
  if (Holds(who, Need::kAudit)) return {};
  return Status::PermissionDenied(
      fmt::format("a resident's full record needs the role auditor or admin; \"{}\" holds "
                  "{}; nothing was read",
                  who.name, who.RolesText()));
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
  return domain::ListVisits(env.Rota(), req.visit_list(), reply->mutable_visit_list());
}

Status VisitPlan(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  return domain::PlanVisits(env.Rota(), req.visit_plan(), reply->mutable_visit_list());
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
  return domain::ListAppointments(env.Rota(), req.appointment_list(),
                                  reply->mutable_appointment_list());
}

}  // namespace

void RegisterVisitCommands(CommandTable& t) {
  t.Add(MakeMutation(R::kResidentAdd, ResidentAdd,
                     [](const R& r) { return r.resident_add().resident().id(); }));
  t.Add(MakeMutation(R::kResidentUpdate, ResidentUpdate,
                     [](const R& r) { return r.resident_update().resident().id(); }));
  t.Add(MakeMutation(R::kResidentRemove, ResidentRemove,
                     [](const R& r) { return r.resident_remove().id(); }));
  t.Add(MakeMutation(R::kResidentImport, ResidentImport, [](const R& r) {
    return fmt::format("{} residents", r.resident_import().residents_size());
  }));
  t.Add(MakeMutation(R::kResidentChange, ResidentChange, [](const R& r) {
    return r.resident_change().resident_id() + " " + r.resident_change().kind();
  }));
  Command show = MakeAuditedQuery(
      R::kResidentShow, ResidentShow, [](const R& r) { return r.resident_show().id(); },
      ResidentShowSummary);
  show.authorize = AuthorizeResidentShow;
  t.Add(show);
  t.Add(MakeQuery(R::kResidentList, ResidentList));
  t.Add(MakeQuery(R::kServiceList, ServiceList));
  t.Add(MakeMutation(R::kVisitRequest, VisitRequest, [](const R& r) {
    return r.visit_request().resident_id() + " " + r.visit_request().service();
  }));
  t.Add(MakeMutation(R::kVisitAssign, VisitAssign, [](const R& r) {
    return r.visit_assign().id() + "->" + r.visit_assign().staff_id();
  }));
  t.Add(MakeMutation(R::kVisitAct, VisitAct, [](const R& r) { return r.visit_act().id(); }));
  t.Add(MakeQuery(R::kVisitShow, VisitShow));
  t.Add(MakeQuery(R::kVisitList, VisitList));
  t.Add(MakeQuery(R::kVisitPlan, VisitPlan));
  t.Add(MakeMutation(R::kAppointmentBook, AppointmentBook, [](const R& r) {
    return r.appointment_book().center_id() + " " + r.appointment_book().for_name();
  }));
  t.Add(MakeMutation(R::kAppointmentCancel, AppointmentCancel,
                     [](const R& r) { return r.appointment_cancel().id(); }));
  t.Add(MakeQuery(R::kAppointmentList, AppointmentList));
}

}  // namespace zhiban::core
