// The core's resident and visit commands: ctl requests to the pure visit
// logic (domain/visit.h).
#include <fmt/format.h>

#include "daemon/core/core.h"
#include "daemon/core/ctl_codec.h"

namespace zhiban::core {

Result<domain::Mutation> Core::PlanVisit(const v1::CtlRequest& req, v1::CtlReply* reply) {
  using R = v1::CtlRequest;
  const auto ctx = RotaContext(ActorOf(req.client()));
  switch (req.command_case()) {
    case R::kResidentAdd: {
      auto m = domain::AddResident(ctx, req.resident_add().resident());
      if (m.ok())
        *reply->mutable_resident_card() =
            domain::CardOf(m->residents_put.front(), ctx.now.time_since_epoch().count() / 1000000);
      return m;
    }
    case R::kResidentUpdate: {
      auto m = domain::UpdateResident(ctx, req.resident_update());
      if (m.ok()) {
        const auto& r = m->residents_put.empty()
                            ? *state_.visits.FindResident(req.resident_update().resident().id())
                            : m->residents_put.front();
        *reply->mutable_resident_card() =
            domain::CardOf(r, ctx.now.time_since_epoch().count() / 1000000);
      }
      return m;
    }
    case R::kResidentRemove:
      return domain::RemoveResident(ctx, req.resident_remove().id());
    case R::kResidentImport: {
      auto m = domain::ImportResidents(ctx, req.resident_import());
      if (m.ok()) {
        auto* out = reply->mutable_resident_import();
        out->set_added(static_cast<uint32_t>(m->residents_put.size()));
        for (const auto& r : m->residents_put)
          out->set_with_care_plan(out->with_care_plan() + r.care_plan().has_due());
      }
      return m;
    }
    case R::kResidentChange: {
      auto m = domain::ResidentChange(ctx, req.resident_change());
      if (m.ok()) *reply->mutable_visit() = m->visits_put.back();
      return m;
    }
    case R::kAppointmentBook: {
      auto m = domain::BookAppointment(ctx, req.appointment_book(), next_seq_);
      if (m.ok()) *reply->mutable_appointment() = m->appointments_put.front();
      return m;
    }
    case R::kAppointmentCancel: {
      auto m = domain::CancelAppointment(ctx, req.appointment_cancel());
      if (m.ok()) *reply->mutable_appointment() = m->appointments_put.front();
      return m;
    }
    case R::kVisitRequest: {
      auto m = domain::RequestVisit(ctx, req.visit_request(), next_seq_);
      if (m.ok()) *reply->mutable_visit() = m->visits_put.front();
      return m;
    }
    case R::kVisitAssign: {
      auto m = domain::AssignVisit(ctx, req.visit_assign());
      if (m.ok()) *reply->mutable_visit() = m->visits_put.front();
      return m;
    }
    case R::kVisitAct: {
      auto m = domain::ActOnVisit(ctx, req.visit_act(), next_seq_);
      if (m.ok()) *reply->mutable_visit() = m->visits_put.front();
      return m;
    }
    default:
      return Status::Internal("not a visit mutation");
  }
}

Status Core::VisitQuery(const v1::CtlRequest& req, v1::CtlReply* reply) {
  using R = v1::CtlRequest;
  const auto ctx = RotaContext();
  switch (req.command_case()) {
    case R::kResidentShow: {
      const auto* r = state_.visits.FindResident(req.resident_show().id());
      if (!r)
        return Status::NotFound(
            "id", fmt::format("resident \"{}\" does not exist", req.resident_show().id()));
      if (req.resident_show().full()) {
        *reply->mutable_resident() = *r;
      } else {
        *reply->mutable_resident_card() =
            domain::CardOf(*r, ctx.now.time_since_epoch().count() / 1000000);
      }
      return {};
    }
    case R::kResidentList:
      return domain::ListResidents(ctx, req.resident_list(), reply->mutable_resident_list());
    case R::kServiceList:
      for (const auto& s : domain::ServiceCatalogue())
        *reply->mutable_service_list()->add_services() = s;
      return {};
    case R::kVisitShow: {
      const auto* v = state_.visits.FindVisit(req.visit_show().id());
      if (!v)
        return Status::NotFound("id",
                                fmt::format("visit \"{}\" does not exist", req.visit_show().id()));
      *reply->mutable_visit() = *v;
      return {};
    }
    case R::kVisitList:
      return domain::ListVisits(ctx, req.visit_list(), reply->mutable_visit_list());
    case R::kVisitPlan:
      return domain::PlanVisits(ctx, req.visit_plan(), reply->mutable_visit_list());
    case R::kAppointmentList:
      return domain::ListAppointments(ctx, req.appointment_list(),
                                      reply->mutable_appointment_list());
    default:
      return Status::Internal("not a visit query");
  }
}

}  // namespace zhiban::core
