// Residents in care and their care plans: validation, masking (the cards ctl
// and the bus show), adding, importing, changing and removing (visit.h).
#include "daemon/domain/visit.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include <fmt/format.h>
#include <google/protobuf/util/field_mask_util.h>

#include "daemon/domain/common.h"
#include "daemon/domain/state.h"
#include "daemon/domain/visit_internal.h"

namespace zhiban::domain {

using common::CenterClock;
using common::kDay;
using common::Sec;
using common::StepWorkingDays;
using common::Ts;
using common::WorkingDay;
using visit_internal::CancelOrder;
using visit_internal::ClockOf;
using visit_internal::CreateCareOrder;
using visit_internal::Dispatch;
using visit_internal::EmitVisit;
using visit_internal::StateName;
using visit_internal::Step;
using visit_internal::Terminal;

namespace {

constexpr const char* kCareService = "care-visit";

// Whether `day` is a working day at `center`; false when the calendar cannot say.
bool WorkingDayAt(const State& st, int32_t day, std::string_view center) {
  auto info = st.calendar.Day(FromDayNumber(day), center);
  return info.ok() && WorkingDay(*info);
}

Status CheckResident(const State& st, const v1::Resident& r) {
  if (r.id().empty() || r.id().size() > kMaxIdLength)
    return Status::InvalidArgument("resident.id", "is required (at most 64 characters)");
  // The id stays in clear at rest and outlives an erasure: it must not be
  // personal data itself. 11 digits in a row are a mobile number or part of
  // an ID-card number.
  for (size_t i = 0, run = 0; i < r.id().size(); ++i) {
    run = std::isdigit(static_cast<unsigned char>(r.id()[i])) ? run + 1 : 0;
    if (run >= 11) {
      return Status::InvalidArgument(
          "resident.id",
          fmt::format("\"{}\" holds 11 or more digits in a row, like a mobile or ID-card "
                      "number: a resident id is your own reference (it is kept in clear and "
                      "outlives an erasure), never personal data",
                      r.id()));
    }
  }
  if (!r.sealed().empty()) {
    return Status::InvalidArgument("resident.sealed",
                                   "is zhiband's own (the encrypted form it stores); leave it out");
  }
  using common::ValidateText;
  ZB_RETURN_IF_ERROR(ValidateText(r.name(), "resident.name", kMaxNameBytes, true));
  ZB_RETURN_IF_ERROR(ValidateText(r.address(), "resident.address", kMaxAddressBytes, false));
  ZB_RETURN_IF_ERROR(ValidateText(r.room(), "resident.room", kMaxNameBytes, false));
  ZB_RETURN_IF_ERROR(ValidateText(r.health_notes(), "resident.health_notes", kMaxResidentNotesBytes,
                                  false, /*multiline=*/true));
  ZB_RETURN_IF_ERROR(ValidateText(r.emergency_contact().name(), "resident.emergency_contact.name",
                                  kMaxNameBytes, false));
  ZB_RETURN_IF_ERROR(ValidateText(r.emergency_contact().relation(),
                                  "resident.emergency_contact.relation", kMaxNameBytes, false));
  if (!st.network.FindCenter(r.home_center_id())) {
    return Status::NotFound("resident.home_center_id",
                            fmt::format("center \"{}\" does not exist", r.home_center_id()));
  }
  auto digits = [](const std::string& p) {
    return std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (!r.phone().empty() && (!digits(r.phone()) || r.phone().size() < 7 || r.phone().size() > 15)) {
    return Status::InvalidArgument("resident.phone", "must be 7-15 digits");
  }
  if (!r.emergency_contact().phone().empty() && !digits(r.emergency_contact().phone())) {
    return Status::InvalidArgument("resident.emergency_contact.phone", "must be digits");
  }
  const auto& idn = r.id_number();
  if (!idn.empty() && (idn.size() != 18 || !digits(idn.substr(0, 17)) ||
                       !(std::isdigit(idn[17]) || idn[17] == 'X'))) {
    return Status::InvalidArgument("resident.id_number",
                                   "must be 18 characters: 17 digits and a digit or X");
  }
  for (int c : r.categories()) {
    if (!v1::CareCategory_IsValid(c) || c == 0)
      return Status::InvalidArgument("resident.categories", fmt::format("unknown category {}", c));
  }
  const bool disabled =
      std::find(r.categories().begin(), r.categories().end(), v1::DISABLED) != r.categories().end();
  if (disabled && (r.disability_level() < 1 || r.disability_level() > 4)) {
    return Status::InvalidArgument("resident.disability_level", "DISABLED needs a level 1..4");
  }
  if (!v1::CareTier_IsValid(r.care_tier()))
    return Status::InvalidArgument("resident.care_tier", "unknown tier");
  if (r.legal_basis() == v1::LEGAL_BASIS_UNSPECIFIED || !v1::LegalBasis_IsValid(r.legal_basis())) {
    return Status::InvalidArgument(
        "resident.legal_basis",
        "is required: STATUTORY_DUTY or CONSENT (personal information needs a legal basis)");
  }
  if (r.legal_basis() == v1::CONSENT && !ParseDate(r.consent_date()).ok()) {
    return Status::InvalidArgument("resident.consent_date",
                                   "CONSENT needs the date consent was given (YYYY-MM-DD)");
  }
  if (!r.last_care_visit().empty()) {
    auto d = ParseDate(r.last_care_visit());
    if (!d.ok()) return Status::InvalidArgument("resident.last_care_visit", d.status().message());
  }
  if (r.has_location() &&
      (std::abs(r.location().lat()) > 90 || std::abs(r.location().lon()) > 180)) {
    return Status::InvalidArgument("resident.location",
                                   "latitude within ±90, longitude within ±180");
  }
  return {};
}

v1::Event ResidentEvent(const v1::Resident& r) {
  v1::Event e;
  e.set_center_id(r.home_center_id());
  return e;
}

}  // namespace

namespace visit_internal {

// Cancels visit `id` (an open care-plan order being superseded) into `m`.
void CancelOrder(const RotaCtx& ctx, const std::string& id, const std::string& why, Mutation* m) {
  const auto* open = ctx.state.visits.FindVisit(id);
  if (!open || Terminal(open->state())) return;
  v1::Visit v = *open;
  v.clear_accept_by();
  Step(v, v1::VISIT_CANCELLED, Sec(ctx.now), "care-plan", why);
  EmitVisit(ctx, m, v, v1::Event::kVisitCancelled, why);
  m->visits_put.push_back(std::move(v));
}

// The care-plan work order for `r`'s plan as it stands, dispatched; `r`
// records it as the open order. `taken` names ids already used in this batch.
v1::Visit CreateCareOrder(const RotaCtx& ctx, v1::Resident& r, Mutation* m,
                          const std::set<std::string>& taken) {
  const auto& st = ctx.state;
  const auto& plan = r.care_plan();
  const int64_t now = Sec(ctx.now);
  int64_t due = Sec(plan.due()), from = std::max(Sec(plan.window_start()), now);
  if (due <= now)
    due = now + 3600 * int64_t(st.visits.options().major_change_hours);  // we were down past it
  if (from >= due) from = now;
  const std::string base = fmt::format(
      "care-{}-{}", r.id(), FormatDate(FromDayNumber(ClockOf(ctx, r.home_center_id()).Day(due))));
  std::string id = base;
  for (int n = 2; st.visits.FindVisit(id) || taken.count(id); ++n)
    id = fmt::format("{}-{}", base, n);
  v1::Visit v;
  v.set_id(id);
  v.set_resident_id(r.id());
  v.set_center_id(r.home_center_id());
  v.set_service(kCareService);
  *v.mutable_window_start() = Ts(from);
  *v.mutable_window_end() = Ts(due);
  v.set_priority(v1::NORMAL);
  v.set_source(v1::CARE_PLAN);
  v.set_note(plan.reason());
  Step(v, v1::VISIT_REQUESTED, now, "care-plan", plan.reason());
  // The plan's reason names the tier or the life event ("every 7 days
  // (HIGH_RISK)", "major change: hospital discharge - ..."): the visit keeps
  // it, the bus says only which kind of care visit this is.
  EmitVisit(
      ctx, m, v, v1::Event::kVisitRequested,
      plan.reason().starts_with("major change") ? "探访关爱（重大变故后）" : "探访关爱（按计划）");
  Dispatch(ctx, v, m);
  r.mutable_care_plan()->set_open_visit_id(id);
  return v;
}

}  // namespace visit_internal

void PlanCare(const RotaCtx& ctx, v1::Resident& r, int32_t base_day) {
  const auto& st = ctx.state;
  const auto& o = st.visits.options();
  const uint32_t interval =
      size_t(r.care_tier()) < o.care_days.size() ? o.care_days[r.care_tier()] : 0;
  const std::string open = r.care_plan().open_visit_id();
  r.clear_care_plan();
  if (!open.empty()) r.mutable_care_plan()->set_open_visit_id(open);
  if (interval == 0) return;
  const int64_t now = Sec(ctx.now);
  int32_t last = base_day;
  if (auto d = ParseDate(r.last_care_visit()); !r.last_care_visit().empty() && d.ok())
    last = DayNumber(*d);
  const int32_t due_day = last + static_cast<int32_t>(interval);
  const CenterClock local = ClockOf(ctx, r.home_center_id());
  int64_t due = local.At(due_day, o.care_due_minute), from = 0;
  std::string reason =
      fmt::format("every {} days ({})", interval, v1::CareTier_Name(r.care_tier()));
  if (due <= now) {
    // Behind already (records migrated late): catch up within the major-change time.
    due = now + 3600 * int64_t(o.major_change_hours);
    from = now;
    reason = fmt::format("{}: overdue since {}, due within {} h", reason,
                         FormatDate(FromDayNumber(due_day)), o.major_change_hours);
  } else {
    // A due day that is not a working day: the window opens on the last
    // working day before it (节前走访), never back to the last visit.
    // Within two weeks; a calendar that cannot say opens it on the due day.
    int32_t first = due_day;
    if (!WorkingDayAt(st, due_day, r.home_center_id())) {
      auto before = StepWorkingDays(due_day, -1, std::min(13, due_day - last - 1), [&](int32_t d) {
        return st.calendar.Day(FromDayNumber(d), r.home_center_id());
      });
      if (before.ok() && before->has_value()) first = **before;
    }
    from = std::max(local.At(first, o.care_window_minute), now);
    if (from >= due) from = now;
  }
  auto* p = r.mutable_care_plan();
  *p->mutable_due() = Ts(due);
  *p->mutable_window_start() = Ts(from);
  *p->mutable_generate_at() = Ts(from - int64_t(o.care_ahead_days) * kDay);
  p->set_reason(std::move(reason));
}

std::string MaskPhone(std::string_view phone) {
  if (phone.size() >= 11)
    return fmt::format("{}****{}", phone.substr(0, 3), phone.substr(phone.size() - 4));
  if (phone.size() > 4) return fmt::format("****{}", phone.substr(phone.size() - 4));
  return phone.empty() ? "" : "****";
}

v1::ResidentCard CardOf(const v1::Resident& r, int64_t now) {
  v1::ResidentCard c;
  c.set_id(r.id());
  c.set_name(r.name());
  c.set_masked_phone(MaskPhone(r.phone()));
  c.set_address(r.address());
  if (r.has_location()) *c.mutable_location() = r.location();
  *c.mutable_categories() = r.categories();
  c.set_care_tier(r.care_tier());
  c.set_home_center_id(r.home_center_id());
  if (r.care_plan().has_due()) {
    *c.mutable_care_due() = r.care_plan().due();
    c.set_care_overdue(now > 0 && Sec(r.care_plan().due()) < now);
  }
  return c;
}

v1::ResidentCard BusCardOf(const v1::Resident& r, int64_t now) {
  v1::ResidentCard c = CardOf(r, now);
  c.clear_categories();
  c.clear_care_tier();
  if (c.has_location()) {
    auto round3 = [](double x) { return std::round(x * 1000) / 1000; };
    c.mutable_location()->set_lat(round3(c.location().lat()));
    c.mutable_location()->set_lon(round3(c.location().lon()));
  }
  return c;
}

v1::Visit BusVisitOf(const v1::Visit& v) {
  v1::Visit out = v;
  out.clear_checklist();
  out.clear_outcome();
  out.clear_note();
  for (auto& step : *out.mutable_history()) step.clear_note();
  return out;
}

// ---- residents -------------------------------------------------------------------

Result<Mutation> AddResident(const RotaCtx& ctx, v1::Resident r) {
  v1::ResidentImportRequest req;
  *req.add_residents() = std::move(r);
  auto m = ImportResidents(ctx, req);
  if (m.ok())
    m->summary = fmt::format("resident {} added at {}", req.residents(0).id(),
                             req.residents(0).home_center_id());
  return m;
}

Result<Mutation> ImportResidents(const RotaCtx& ctx, const v1::ResidentImportRequest& req) {
  if (req.residents().empty()) return Status::InvalidArgument("residents", "names no resident");
  if (size_t(req.residents_size()) > kMaxResidentImport) {
    return Status::InvalidArgument(
        "residents", fmt::format("{} residents in one request; at most {} (split the file)",
                                 req.residents_size(), kMaxResidentImport));
  }
  std::map<std::string, int, std::less<>> first_at;  // id -> its 1-based place in the request
  Mutation m;
  size_t planned = 0;
  for (int i = 0; i < req.residents_size(); ++i) {
    v1::Resident r = req.residents(i);
    r.clear_care_plan();  // zhiband's to compute
    auto where = [&](Status st) {
      return req.residents_size() == 1
                 ? st
                 : Status(st.code(),
                          fmt::format("resident {} ({}): {}", i + 1, r.id(), st.message()));
    };
    if (Status st = CheckResident(ctx.state, r); !st.ok()) return where(st);
    const int32_t today = ClockOf(ctx, r.home_center_id()).Day(Sec(ctx.now));
    if (!r.last_care_visit().empty() && DayNumber(*ParseDate(r.last_care_visit())) > today) {
      return where(Status::InvalidArgument("resident.last_care_visit", "is in the future"));
    }
    if (auto [it, fresh] = first_at.emplace(r.id(), i + 1); !fresh) {
      return where(Status::InvalidArgument(
          "resident.id", fmt::format("\"{}\" appears twice in this import (first as resident {})",
                                     r.id(), it->second)));
    }
    if (ctx.state.visits.FindResident(r.id())) {
      return where(
          Status::AlreadyExists("resident.id", fmt::format("resident \"{}\" exists", r.id())));
    }
    PlanCare(ctx, r, today);
    planned += r.care_plan().has_due();
    auto e = ResidentEvent(r);
    *e.mutable_resident_added()->mutable_resident() = BusCardOf(r, Sec(ctx.now));
    m.Emit(std::move(e));
    m.residents_put.push_back(std::move(r));
  }
  m.summary =
      fmt::format("{} residents imported, {} with a care plan", m.residents_put.size(), planned);
  return m;
}

Result<Mutation> ResidentChange(const RotaCtx& ctx, const v1::ResidentChangeRequest& req) {
  const auto& st = ctx.state;
  const auto* old = st.visits.FindResident(req.resident_id());
  if (!old)
    return Status::NotFound("resident_id",
                            fmt::format("resident \"{}\" does not exist", req.resident_id()));
  static const std::map<std::string, const char*, std::less<>> kKinds = {
      {"hospital-discharge", "hospital discharge (出院)"},
      {"bereavement", "bereavement (丧偶/丧亲)"},
      {"other", "major change"}};
  auto kind = kKinds.find(req.kind());
  if (kind == kKinds.end()) {
    return Status::InvalidArgument(
        "kind",
        fmt::format("unknown change \"{}\" (hospital-discharge, bereavement, other)", req.kind()));
  }
  if (req.note().size() > 1000) return Status::InvalidArgument("note", "at most 1000 bytes");
  v1::Resident r = *old;
  Mutation m;
  if (const auto* open = st.visits.FindVisit(r.care_plan().open_visit_id());
      open && !Terminal(open->state())) {
    if (open->state() == v1::VISIT_EN_ROUTE || open->state() == v1::VISIT_ARRIVED) {
      return Status::FailedPrecondition(
          fmt::format("care visit {} is under way ({}); record the change in its outcome",
                      open->id(), StateName(open->state())));
    }
    CancelOrder(ctx, open->id(), "superseded by a major change", &m);
  }
  const int64_t now = Sec(ctx.now);
  auto* p = r.mutable_care_plan();
  p->set_open_visit_id("");
  *p->mutable_due() = Ts(now + 3600 * int64_t(st.visits.options().major_change_hours));
  *p->mutable_window_start() = Ts(now);
  *p->mutable_generate_at() = Ts(now);
  p->set_reason(fmt::format("major change: {}{}", kind->second,
                            req.note().empty() ? "" : " - " + req.note()));
  std::set<std::string> taken;
  for (const auto& v : m.visits_put) taken.insert(v.id());
  m.visits_put.push_back(CreateCareOrder(ctx, r, &m, taken));
  m.summary = fmt::format("resident {}: {}; care visit {} due within {} h", r.id(), kind->second,
                          r.care_plan().open_visit_id(), st.visits.options().major_change_hours);
  m.residents_put.push_back(std::move(r));
  return m;
}

Result<Mutation> UpdateResident(const RotaCtx& ctx, const v1::ResidentUpdateRequest& req) {
  const auto* old = ctx.state.visits.FindResident(req.resident().id());
  if (!old)
    return Status::NotFound("resident.id",
                            fmt::format("resident \"{}\" does not exist", req.resident().id()));
  using google::protobuf::util::FieldMaskUtil;
  if (req.update_mask().paths().empty())
    return Status::InvalidArgument("update_mask", "names no field to change");
  for (const auto& p : req.update_mask().paths()) {
    if (p == "id" || p == "sealed" || p.starts_with("care_plan") ||
        !FieldMaskUtil::GetFieldDescriptors(v1::Resident::descriptor(), p, nullptr)) {
      return Status::InvalidArgument(
          "update_mask", fmt::format("\"{}\" is not a field a resident update may change", p));
    }
  }
  v1::Resident r = *old;
  FieldMaskUtil::MergeOptions opts;
  opts.set_replace_message_fields(true);
  opts.set_replace_repeated_fields(true);
  FieldMaskUtil::MergeMessageTo(req.resident(), req.update_mask(), opts, &r);
  ZB_RETURN_IF_ERROR(CheckResident(ctx.state, r));
  Mutation m;
  auto changed = ChangedFields(*old, r);
  if (changed.empty()) return m;
  if (r.care_tier() != old->care_tier() || r.last_care_visit() != old->last_care_visit()) {
    const int32_t today = ClockOf(ctx, r.home_center_id()).Day(Sec(ctx.now));
    if (!r.last_care_visit().empty() && DayNumber(*ParseDate(r.last_care_visit())) > today) {
      return Status::InvalidArgument("resident.last_care_visit", "is in the future");
    }
    PlanCare(ctx, r, today);
    // An open care-plan order due later than the new plan (or with no plan
    // left) gives way; the plan creates the next one.
    const auto* open = ctx.state.visits.FindVisit(r.care_plan().open_visit_id());
    if (open && !Terminal(open->state()) && open->state() != v1::VISIT_EN_ROUTE &&
        open->state() != v1::VISIT_ARRIVED &&
        (!r.care_plan().has_due() || Sec(open->window_end()) > Sec(r.care_plan().due()))) {
      CancelOrder(ctx, open->id(), "superseded: the care plan changed", &m);
      r.mutable_care_plan()->set_open_visit_id("");
    }
  }
  auto e = ResidentEvent(r);
  *e.mutable_resident_updated()->mutable_resident() = BusCardOf(r, Sec(ctx.now));
  // Only what the bus card shows: "health_notes changed" is health data too.
  static const std::set<std::string, std::less<>> kOnTheCard = {
      "name", "phone", "address", "location", "home_center_id", "last_care_visit"};
  for (auto& f : changed) {
    if (kOnTheCard.count(f)) e.mutable_resident_updated()->add_changed_fields(f);
  }
  m.Emit(std::move(e));
  m.summary = fmt::format("resident {} updated ({})", r.id(), fmt::join(changed, ","));
  m.residents_put.push_back(std::move(r));
  return m;
}

Result<Mutation> RemoveResident(const RotaCtx& ctx, std::string_view id) {
  const auto* r = ctx.state.visits.FindResident(id);
  if (!r) return Status::NotFound("id", fmt::format("resident \"{}\" does not exist", id));
  Mutation m;
  for (const auto& [vid, v] : ctx.state.visits.visits()) {
    if (v.resident_id() != id || Terminal(v.state())) continue;
    const bool started = v.state() == v1::VISIT_EN_ROUTE || v.state() == v1::VISIT_ARRIVED;
    if (vid == r->care_plan().open_visit_id() && !started)
      continue;  // the plan's own order goes with it
    return Status::FailedPrecondition(fmt::format(
        "resident {} has an open visit {} ({}); cancel it first", id, vid, StateName(v.state())));
  }
  if (!r->care_plan().open_visit_id().empty())
    CancelOrder(ctx, r->care_plan().open_visit_id(), "resident removed", &m);
  auto e = ResidentEvent(*r);
  *e.mutable_resident_removed()->mutable_resident() = BusCardOf(*r, Sec(ctx.now));
  m.Emit(std::move(e));
  m.summary = fmt::format("resident {} removed", id);
  m.residents_deleted.emplace_back(id);
  return m;
}

Result<Mutation> EraseResident(const RotaCtx& ctx, std::string_view id, bool known) {
  const auto* r = ctx.state.visits.FindResident(id);
  if (!r && !known) {
    return Status::NotFound(
        "id", fmt::format("resident \"{}\" does not exist and has no key to erase", id));
  }
  Mutation m;
  if (r) {
    ZB_ASSIGN_OR_RETURN(m, RemoveResident(ctx, id));
    // Every card the erasure's events carry (resident.removed, the care-plan
    // order's visit.cancelled) keeps the id and home center only: an
    // erasure tells subscribers who, not what.
    static const auto* oneof = v1::Event::descriptor()->FindOneofByName("body");
    for (auto& e : m.events) {
      const auto* field = e.GetReflection()->GetOneofFieldDescriptor(e, oneof);
      if (!field || !field->message_type()) continue;
      auto* body = e.GetReflection()->MutableMessage(&e, field);
      const auto* d = body->GetDescriptor();
      for (int i = 0; i < d->field_count(); ++i) {
        const auto* f = d->field(i);
        if (f->is_repeated() || f->message_type() != v1::ResidentCard::descriptor() ||
            !body->GetReflection()->HasField(*body, f)) {
          continue;
        }
        auto* card = static_cast<v1::ResidentCard*>(body->GetReflection()->MutableMessage(body, f));
        if (card->id() != id) continue;
        const std::string center = card->home_center_id();
        card->Clear();
        card->set_id(std::string(id));
        card->set_home_center_id(center);
      }
    }
  }
  size_t cleared = 0;
  auto clear = [&](v1::Visit v) {
    v.clear_outcome();
    v.clear_note();
    v.clear_checklist();
    for (auto& step : *v.mutable_history()) step.clear_note();
    m.visits_put.push_back(std::move(v));
    ++cleared;
  };
  for (auto& v : m.visits_put) {  // the care-plan order RemoveResident cancelled
    if (v.resident_id() == id) {
      v.clear_outcome();
      v.clear_note();
      v.clear_checklist();
      for (auto& step : *v.mutable_history()) step.clear_note();
    }
  }
  auto written = [](const v1::Visit& v) {
    bool any = !v.outcome().empty() || !v.note().empty() || v.has_checklist();
    for (const auto& step : v.history()) any = any || !step.note().empty();
    return any;
  };
  std::set<std::string> done;
  for (const auto& v : m.visits_put) done.insert(v.id());
  for (const auto& [vid, v] : ctx.state.visits.visits()) {
    if (v.resident_id() == id && !done.count(vid) && written(v)) clear(v);
  }
  m.summary = fmt::format("resident {} erased: {}its key deleted, {} visits cleared", id,
                          r ? "record removed, " : "", cleared);
  return m;
}

}  // namespace zhiban::domain
