#include "daemon/domain/visit.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <google/protobuf/util/field_mask_util.h>

#include "daemon/domain/common.h"
#include "daemon/domain/indexed.h"
#include "daemon/domain/state.h"

namespace zhiban::domain {

using common::CenterClock;
using common::HasSkill;
using common::kDay;
using common::MayWorkAt;
using common::Sec;
using common::StepWorkingDays;
using common::Ts;
using common::WorkingDay;

namespace {

// The clock of a center by id (the default zone when it is gone).
CenterClock ClockOf(const RotaCtx& ctx, std::string_view center_id) {
  return CenterClock(ctx.zones, ctx.state.network.FindCenter(center_id));
}

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

constexpr const char* kCareService = "care-visit";

// Whether `day` is a working day at `center`; false when the calendar cannot say.
bool WorkingDayAt(const State& st, int32_t day, std::string_view center) {
  auto info = st.calendar.Day(FromDayNumber(day), center);
  return info.ok() && WorkingDay(*info);
}

bool Terminal(v1::VisitState s) {
  return s == v1::VISIT_COMPLETED || s == v1::VISIT_CANCELLED || s == v1::VISIT_FAILED;
}

std::string StateName(v1::VisitState s) {
  const std::string& n = v1::VisitState_Name(s);
  return n.starts_with("VISIT_") ? n.substr(6) : n;
}

void Step(v1::Visit& v, v1::VisitState state, int64_t at, const std::string& by,
          const std::string& note) {
  v.set_state(state);
  auto* h = v.add_history();
  h->set_state(state);
  *h->mutable_at() = Ts(at);
  h->set_by(by);
  h->set_note(note);
}

// The leader on duty now, or else at the window's start.
const v1::Staff* LeaderFor(const RotaCtx& ctx, const v1::Visit& v) {
  if (const auto* l = LeaderOnDuty(ctx.state, v.center_id(), Sec(ctx.now))) return l;
  return LeaderOnDuty(ctx.state, v.center_id(), Sec(v.window_start()));
}

// What a decline, failure or cancellation says on the bus. The words a
// person typed ("老人住院了", "家属说不方便") may be about health or family,
// and the bus is kept forever: they stay in the visit's history (visit show,
// read through ctl), never in an event.
constexpr const char* kReasonKept = "原因见工单记录（visit show）";

// Emits the visit event `which` (a VisitEvent body) with the visit as it is now.
void EmitVisit(const RotaCtx& ctx, Mutation* m, const v1::Visit& v, v1::Event::BodyCase which,
               const std::string& reason, const v1::Staff* backup = nullptr) {
  const auto& st = ctx.state;
  v1::Event e;
  e.set_center_id(v.center_id());
  const auto* field = v1::Event::descriptor()->FindFieldByNumber(which);
  auto* body = static_cast<v1::VisitEvent*>(e.GetReflection()->MutableMessage(&e, field));
  *body->mutable_visit() = BusVisitOf(v);
  if (const auto* r = st.visits.FindResident(v.resident_id()))
    *body->mutable_resident() = BusCardOf(*r, Sec(ctx.now));
  if (const auto* s = v.assignee_id().empty() ? nullptr : st.network.FindStaff(v.assignee_id()))
    *body->mutable_staff() = *s;
  if (backup) *body->mutable_backup() = *backup;
  if (const auto* l = LeaderFor(ctx, v)) *body->mutable_leader() = *l;
  body->set_reason(reason);
  if (const auto* item = FindService(v.service())) body->set_service_name(item->name());
  m->Emit(std::move(e));
}

int64_t Deadline(const RotaCtx& ctx, const v1::Visit& v) {
  const auto& o = ctx.state.visits.options();
  return Sec(ctx.now) +
         60 * int64_t(v.priority() == v1::URGENT ? o.urgent_accept_minutes : o.accept_minutes);
}

// The first on-site shift of `staff` overlapping the visit's window, if any
// (a visit is done by someone on duty, or on a home-visit block, in it).
const v1::Shift* OnDuty(const State& st, std::string_view staff, const v1::Visit& v) {
  const int64_t from = Sec(v.window_start()), to = Sec(v.window_end());
  for (const auto* s : st.rota.StaffShifts(staff, from - 2 * kDay, to)) {
    if (s->kind() != v1::ON_CALL && Sec(s->end()) > from && Sec(s->start()) < to) return s;
  }
  return nullptr;
}

// Picks the assignee: on duty in the window (at the resident's center or
// one they cover), with the skill, not among those who declined;
// nearest (their center to the resident), then least loaded that day, then id.
const v1::Staff* Choose(const RotaCtx& ctx, const v1::Visit& v) {
  const auto& st = ctx.state;
  const auto* item = FindService(v.service());
  const auto* resident = st.visits.FindResident(v.resident_id());
  // "That day" is the local day of the window's start at the visit's center.
  const CenterClock local = ClockOf(ctx, v.center_id());
  const int32_t day = local.Day(Sec(v.window_start()));
  const int64_t day_from = local.At(day, 0), day_to = local.At(day + 1, 0);
  const v1::Staff* best = nullptr;
  std::tuple<double, uint32_t> best_score{};
  for (const auto& [id, s] : st.network.staff()) {
    if (!MayWorkAt(s, v.center_id()) || !HasSkill(s, item ? item->skill() : "")) continue;
    if (std::find(v.declined_by().begin(), v.declined_by().end(), id) != v.declined_by().end())
      continue;
    const auto* shift = OnDuty(st, id, v);
    if (!shift) continue;
    double km = 0;
    const auto* c = st.network.FindCenter(shift->center_id());
    if (c && c->has_location() && resident && resident->has_location())
      km = TravelKm(c->location(), resident->location());
    std::tuple<double, uint32_t> score{std::round(km * 10) / 10,
                                       st.visits.LoadBetween(id, day_from, day_to)};
    if (!best || score < best_score) {
      best = &s;
      best_score = score;
    }
  }
  return best;
}

// Assigns by dispatch, or escalates to the leader on duty when nobody fits.
void Dispatch(const RotaCtx& ctx, v1::Visit& v, Mutation* m) {
  const int64_t now = Sec(ctx.now);
  if (const auto* s = Choose(ctx, v)) {
    v.set_assignee_id(s->id());
    v.set_escalation(0);
    *v.mutable_accept_by() = Ts(Deadline(ctx, v));
    Step(v, v1::VISIT_ASSIGNED, now, "dispatch", "");
    EmitVisit(ctx, m, v, v1::Event::kVisitAssigned, "");
    return;
  }
  const auto* leader = LeaderFor(ctx, v);
  v.set_assignee_id(leader ? leader->id() : "");
  v.set_escalation(2);
  v.clear_accept_by();
  const std::string why = "nobody on duty with the skill in the window";
  Step(v, v1::VISIT_ESCALATED, now, "dispatch", why);
  EmitVisit(ctx, m, v, v1::Event::kVisitEscalated, why);
}

Status CheckResident(const State& st, const v1::Resident& r) {
  if (r.id().empty() || r.id().size() > kMaxIdLength)
    return Status::InvalidArgument("resident.id", "is required (at most 64 characters)");
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

}  // namespace

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

const std::vector<v1::ServiceItem>& ServiceCatalogue() {
  static const std::vector<v1::ServiceItem> items = [] {
    std::vector<v1::ServiceItem> v;
    auto add = [&](const char* id, const char* name, const char* skill, uint32_t minutes,
                   bool care = false) {
      v1::ServiceItem s;
      s.set_id(id);
      s.set_name(name);
      s.set_skill(skill);
      s.set_minutes(minutes);
      s.set_care_visit(care);
      v.push_back(std::move(s));
    };
    add("care-visit", "探访关爱", "elderly-care", 45, true);
    add("social-security-certification", "代办社保认证", "social-security", 30);
    add("disability-card-renewal", "残疾证换领", "disability", 45);
    add("elderly-allowance", "高龄津贴申请", "elderly-care", 30);
    add("meal-delivery", "助餐送餐", "elderly-care", 20);
    add("medical-insurance", "医保代办", "medical", 30);
    return v;
  }();
  return items;
}

const v1::ServiceItem* FindService(std::string_view id) {
  for (const auto& s : ServiceCatalogue()) {
    if (s.id() == id) return &s;
  }
  return nullptr;
}

double TravelKm(const v1::GeoPoint& a, const v1::GeoPoint& b) {
  constexpr double kR = 6371.0, kRad = 3.14159265358979323846 / 180;
  const double dlat = (b.lat() - a.lat()) * kRad, dlon = (b.lon() - a.lon()) * kRad;
  const double h =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(a.lat() * kRad) * std::cos(b.lat() * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kR * std::asin(std::min(1.0, std::sqrt(h)));
}

// ---- the book --------------------------------------------------------------------

const v1::Resident* VisitBook::FindResident(std::string_view id) const {
  auto it = residents_.find(id);
  return it == residents_.end() ? nullptr : &it->second;
}

const v1::Visit* VisitBook::FindVisit(std::string_view id) const {
  auto it = visits_.find(id);
  return it == visits_.end() ? nullptr : &it->second;
}

uint32_t VisitBook::LoadBetween(std::string_view staff, int64_t from, int64_t to) const {
  auto it = load_.find(std::string(staff));
  if (it == load_.end()) return 0;
  uint32_t n = 0;
  for (auto d = it->second.lower_bound(from); d != it->second.end() && d->first < to; ++d) {
    n += d->second;
  }
  return n;
}

void VisitBook::Index(const v1::Visit& v, int sign) {
  if (!v.assignee_id().empty() && v.state() != v1::VISIT_CANCELLED) {
    auto& starts = load_[v.assignee_id()];
    const int64_t start = Sec(v.window_start());
    if (sign > 0) {
      ++starts[start];
    } else if (auto d = starts.find(start); d != starts.end() && --d->second == 0) {
      starts.erase(d);
    }
  }
  auto timer = [&](TimerKind kind, int64_t due) {
    Timer t{due, kind, 0, v.id()};
    if (sign > 0)
      timers_.insert(t);
    else
      timers_.erase(t);
  };
  if (v.state() == v1::VISIT_ASSIGNED && v.has_accept_by())
    timer(TimerKind::kVisitAcceptance, Sec(v.accept_by()));
  const bool started = v.state() == v1::VISIT_EN_ROUTE || v.state() == v1::VISIT_ARRIVED;
  if (!Terminal(v.state()) && !started && !v.overdue_reported())
    timer(TimerKind::kVisitWindowEnd, Sec(v.window_end()));
}

void VisitBook::Index(const v1::Resident& r, int sign) {
  if (!r.care_plan().has_due() || !r.care_plan().open_visit_id().empty()) return;
  Timer t{Sec(r.care_plan().generate_at()), TimerKind::kCareOrder, 0, r.id()};
  if (sign > 0)
    timers_.insert(t);
  else
    timers_.erase(t);
}

void VisitBook::PutResident(v1::Resident r) {
  PutIndexed(residents_, std::move(r), [this](const v1::Resident& x, int sign) { Index(x, sign); });
}

void VisitBook::EraseResident(std::string_view id) {
  auto it = residents_.find(id);
  if (it == residents_.end()) return;
  Index(it->second, -1);
  residents_.erase(it);
}

void VisitBook::PutVisit(v1::Visit v) {
  PutIndexed(visits_, std::move(v), [this](const v1::Visit& x, int sign) { Index(x, sign); });
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
    if (p == "id" || p.starts_with("care_plan") ||
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

// ---- visits ----------------------------------------------------------------------

Result<Mutation> RequestVisit(const RotaCtx& ctx, const v1::VisitRequestRequest& req,
                              uint64_t serial) {
  const auto& st = ctx.state;
  const auto* r = st.visits.FindResident(req.resident_id());
  if (!r)
    return Status::NotFound("resident_id",
                            fmt::format("resident \"{}\" does not exist", req.resident_id()));
  if (!FindService(req.service())) {
    std::vector<std::string> ids;
    for (const auto& s : ServiceCatalogue()) ids.push_back(s.id());
    return Status::InvalidArgument(
        "service", fmt::format("unknown service \"{}\" ({})", req.service(), fmt::join(ids, ", ")));
  }
  const int64_t from = Sec(req.window_start()), to = Sec(req.window_end());
  if (from <= 0 || to <= from)
    return Status::InvalidArgument("window_end", "the window must end after it starts");
  if (to - from > 14 * kDay)
    return Status::InvalidArgument("window_end", "a window is at most 14 days");
  if (to <= Sec(ctx.now))
    return Status::InvalidArgument("window_end", "the window is already over");
  if (!v1::VisitPriority_IsValid(req.priority()) || !v1::VisitSource_IsValid(req.source())) {
    return Status::InvalidArgument("priority", "unknown priority or source");
  }
  v1::Visit v;
  v.set_id(req.id().empty() ? fmt::format("visit-{}", serial) : req.id());
  if (st.visits.FindVisit(v.id()))
    return Status::AlreadyExists("id", fmt::format("visit \"{}\" exists", v.id()));
  v.set_resident_id(r->id());
  v.set_center_id(r->home_center_id());
  v.set_service(req.service());
  *v.mutable_window_start() = req.window_start();
  *v.mutable_window_end() = req.window_end();
  v.set_priority(req.priority() == v1::VISIT_PRIORITY_UNSPECIFIED ? v1::NORMAL : req.priority());
  v.set_source(req.source() == v1::VISIT_SOURCE_UNSPECIFIED ? v1::PHONE : req.source());
  v.set_note(req.note());
  Mutation m;
  Step(v, v1::VISIT_REQUESTED, Sec(ctx.now), ctx.actor, req.note());
  EmitVisit(ctx, &m, v, v1::Event::kVisitRequested, "");
  Dispatch(ctx, v, &m);
  m.summary = fmt::format("visit {} for {} ({}): {} {}", v.id(), v.resident_id(), v.service(),
                          StateName(v.state()), v.assignee_id());
  m.visits_put.push_back(std::move(v));
  return m;
}

Result<Mutation> AssignVisit(const RotaCtx& ctx, const v1::VisitAssignRequest& req) {
  const auto& st = ctx.state;
  const auto* old = st.visits.FindVisit(req.id());
  if (!old) return Status::NotFound("id", fmt::format("visit \"{}\" does not exist", req.id()));
  const auto* s = st.network.FindStaff(req.staff_id());
  if (!s)
    return Status::NotFound("staff_id", fmt::format("staff \"{}\" does not exist", req.staff_id()));
  if (Terminal(old->state()) || old->state() == v1::VISIT_EN_ROUTE ||
      old->state() == v1::VISIT_ARRIVED) {
    return Status::FailedPrecondition(
        fmt::format("visit {} is {}; only a visit not yet started can be (re)assigned", old->id(),
                    StateName(old->state())));
  }
  const auto* item = FindService(old->service());
  if (item && !HasSkill(*s, item->skill())) {
    return Status::FailedPrecondition(
        "staff_id",
        fmt::format("{} lacks the skill {} that {} needs", s->id(), item->skill(), item->name()));
  }
  v1::Visit v = *old;
  v.set_assignee_id(s->id());
  v.set_escalation(0);
  *v.mutable_accept_by() = Ts(Deadline(ctx, v));
  Step(v, v1::VISIT_ASSIGNED, Sec(ctx.now), ctx.actor, "assigned by an operator");
  Mutation m;
  EmitVisit(ctx, &m, v, v1::Event::kVisitAssigned,
            OnDuty(st, s->id(), v) ? "" : "not on duty in the window");
  m.summary = fmt::format("visit {} assigned to {}", v.id(), s->id());
  m.visits_put.push_back(std::move(v));
  return m;
}

Result<Mutation> ActOnVisit(const RotaCtx& ctx, const v1::VisitActRequest& req, uint64_t serial) {
  const auto& st = ctx.state;
  const auto* old = st.visits.FindVisit(req.id());
  if (!old) return Status::NotFound("id", fmt::format("visit \"{}\" does not exist", req.id()));
  v1::Visit v = *old;
  const int64_t now = Sec(ctx.now);
  const std::string by = req.by_staff_id().empty() ? ctx.actor : req.by_staff_id();
  auto need = [&](std::initializer_list<v1::VisitState> from, const char* verb) -> Status {
    if (std::find(from.begin(), from.end(), v.state()) != from.end()) return {};
    std::vector<std::string> names;
    for (auto s : from) names.push_back(StateName(s));
    return Status::FailedPrecondition(fmt::format("visit {} is {}; {} needs {}", v.id(),
                                                  StateName(v.state()), verb,
                                                  fmt::join(names, " or ")));
  };
  auto assignee_only = [&]() -> Status {
    if (req.by_staff_id() != v.assignee_id()) {
      return Status::FailedPrecondition(
          "by_staff_id", fmt::format("only the assignee ({}) can do that",
                                     v.assignee_id().empty() ? "nobody" : v.assignee_id()));
    }
    return {};
  };
  Mutation m;
  switch (req.action()) {
    case v1::ACCEPT_VISIT:
      ZB_RETURN_IF_ERROR(need({v1::VISIT_ASSIGNED, v1::VISIT_ESCALATED}, "accept"));
      ZB_RETURN_IF_ERROR(assignee_only());
      v.clear_accept_by();
      Step(v, v1::VISIT_ACCEPTED, now, by, "");
      EmitVisit(ctx, &m, v, v1::Event::kVisitAccepted, "");
      break;
    case v1::DECLINE_VISIT:
      ZB_RETURN_IF_ERROR(need({v1::VISIT_ASSIGNED, v1::VISIT_ESCALATED}, "decline"));
      ZB_RETURN_IF_ERROR(assignee_only());
      v.add_declined_by(v.assignee_id());
      v.clear_accept_by();
      Step(v, v1::VISIT_DECLINED, now, by, req.reason());
      EmitVisit(ctx, &m, v, v1::Event::kVisitDeclined, kReasonKept);
      v.set_assignee_id("");
      Dispatch(ctx, v, &m);  // the next person, or the leader
      break;
    case v1::START_VISIT:
      ZB_RETURN_IF_ERROR(need({v1::VISIT_ACCEPTED, v1::VISIT_OVERDUE}, "start"));
      ZB_RETURN_IF_ERROR(assignee_only());
      Step(v, v1::VISIT_EN_ROUTE, now, by, "");
      EmitVisit(ctx, &m, v, v1::Event::kVisitEnRoute, "");
      break;
    case v1::ARRIVE_VISIT:
      ZB_RETURN_IF_ERROR(need({v1::VISIT_EN_ROUTE}, "arrive"));
      ZB_RETURN_IF_ERROR(assignee_only());
      Step(v, v1::VISIT_ARRIVED, now, by, "");
      EmitVisit(ctx, &m, v, v1::Event::kVisitArrived, "");
      break;
    case v1::COMPLETE_VISIT: {
      ZB_RETURN_IF_ERROR(need({v1::VISIT_ARRIVED}, "complete"));
      ZB_RETURN_IF_ERROR(assignee_only());
      if (req.rating() > 5) return Status::InvalidArgument("rating", "is 1..5 (0: not rated)");
      const auto* item = FindService(v.service());
      if (item && item->care_visit() && req.checklist().health().empty()) {
        return Status::InvalidArgument("checklist.health",
                                       "a care visit (探访关爱) records at least the health check");
      }
      v.set_outcome(req.outcome());
      *v.mutable_checklist() = req.checklist();
      v.set_rating(req.rating());
      Step(v, v1::VISIT_COMPLETED, now, by, req.outcome());
      if (req.rating() >= 1 && req.rating() <= 2) {
        // A poor rating (差评) opens a follow-up due in N working days.
        // Within two months; past them, on the last day of the two.
        const CenterClock local = ClockOf(ctx, v.center_id());
        const int32_t today = local.Day(now);
        auto step = StepWorkingDays(
            today, static_cast<int32_t>(st.visits.options().follow_up_working_days), 60,
            [&](int32_t d) { return st.calendar.Day(FromDayNumber(d), v.center_id()); });
        if (!step.ok())
          return Status::FailedPrecondition("cannot schedule the follow-up: " +
                                            step.status().message());
        const int32_t day = step->value_or(today + 60);
        v1::Visit f;
        f.set_id(fmt::format("visit-{}", serial));
        f.set_resident_id(v.resident_id());
        f.set_center_id(v.center_id());
        f.set_service(v.service());
        *f.mutable_window_start() = Ts(local.At(today + 1, 9 * 60));
        *f.mutable_window_end() = Ts(local.At(day, 17 * 60));
        f.set_priority(v1::NORMAL);
        f.set_source(v1::FOLLOW_UP);
        f.set_follow_up_of(v.id());
        v.set_follow_up_id(f.id());
        EmitVisit(ctx, &m, v, v1::Event::kVisitCompleted, "");
        Step(f, v1::VISIT_REQUESTED, now, "follow-up",
             fmt::format("rating {} on {}", req.rating(), v.id()));
        EmitVisit(ctx, &m, f, v1::Event::kVisitRequested,
                  fmt::format("follow-up of {} (rating {})", v.id(), req.rating()));
        Dispatch(ctx, f, &m);
        m.visits_put.push_back(std::move(f));
      } else {
        EmitVisit(ctx, &m, v, v1::Event::kVisitCompleted, "");
      }
      break;
    }
    case v1::FAIL_VISIT:
      ZB_RETURN_IF_ERROR(need({v1::VISIT_EN_ROUTE, v1::VISIT_ARRIVED}, "fail"));
      ZB_RETURN_IF_ERROR(assignee_only());
      if (req.reason().empty())
        return Status::InvalidArgument("reason", "say why (nobody home, refused, ...)");
      Step(v, v1::VISIT_FAILED, now, by, req.reason());
      EmitVisit(ctx, &m, v, v1::Event::kVisitFailed, kReasonKept);
      break;
    case v1::CANCEL_VISIT:
      if (Terminal(v.state()))
        return Status::FailedPrecondition(
            fmt::format("visit {} is already {}", v.id(), StateName(v.state())));
      v.clear_accept_by();
      Step(v, v1::VISIT_CANCELLED, now, by, req.reason());
      EmitVisit(ctx, &m, v, v1::Event::kVisitCancelled, kReasonKept);
      break;
    default:
      return Status::InvalidArgument("action", "unknown action");
  }
  // The care plan follows its visits: a completed care visit sets the next
  // due date; a failed or cancelled plan order lets the plan create another.
  if (const auto* r = st.visits.FindResident(v.resident_id()); r && Terminal(v.state())) {
    const auto* item = FindService(v.service());
    const bool care_done = v.state() == v1::VISIT_COMPLETED && item && item->care_visit();
    if (care_done || r->care_plan().open_visit_id() == v.id()) {
      v1::Resident next = *r;
      if (next.care_plan().open_visit_id() == v.id())
        next.mutable_care_plan()->set_open_visit_id("");
      if (care_done) {
        const int32_t today = ClockOf(ctx, v.center_id()).Day(now);
        next.set_last_care_visit(FormatDate(FromDayNumber(today)));
        const auto* open = st.visits.FindVisit(next.care_plan().open_visit_id());
        PlanCare(ctx, next, today);
        if (open && !Terminal(open->state()) && open->state() != v1::VISIT_EN_ROUTE &&
            open->state() != v1::VISIT_ARRIVED) {
          // Another care visit did the plan's work: its open order gives way.
          CancelOrder(ctx, open->id(), fmt::format("care visit {} done", v.id()), &m);
          next.mutable_care_plan()->set_open_visit_id("");
        }
      }
      m.residents_put.push_back(std::move(next));
    }
  }
  m.summary = fmt::format("visit {} {} by {}", v.id(), StateName(v.state()), by);
  m.visits_put.insert(m.visits_put.begin(), std::move(v));
  return m;
}

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
      const auto& o = st.visits.options();
      const uint32_t minutes =
          v.priority() == v1::URGENT ? o.urgent_accept_minutes : o.accept_minutes;
      const std::string why =
          fmt::format("{} did not accept within {} min", v.assignee_id(), minutes);
      // First the AB岗 backup of the assignee's shift, then the leader on duty.
      const v1::Staff* backup = nullptr;
      if (v.escalation() == 0) {
        const auto* shift = OnDuty(st, v.assignee_id(), v);
        const auto* item = FindService(v.service());
        const auto* b = shift && !shift->backup_id().empty()
                            ? st.network.FindStaff(shift->backup_id())
                            : nullptr;
        if (b && b->id() != v.assignee_id() && HasSkill(*b, item ? item->skill() : "")) backup = b;
      }
      if (backup) {
        v.set_assignee_id(backup->id());
        v.set_escalation(1);
        *v.mutable_accept_by() = Ts(Deadline(ctx, v));
        Step(v, v1::VISIT_ASSIGNED, now, "deadline", why + ": to the backup");
        EmitVisit(ctx, &m, v, v1::Event::kVisitEscalated, why + ": to the backup", backup);
      } else {
        const auto* leader = LeaderFor(ctx, v);
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
    if (v.assignee_id() == req.staff_id() && v.state() != v1::VISIT_CANCELLED &&
        local.Of(v.center_id(), Sec(v.window_start())) == DayNumber(*d)) {
      mine.push_back(&v);
    }
  }
  std::sort(mine.begin(), mine.end(), [](const auto* a, const auto* b) {
    return std::make_pair(Sec(a->window_start()), a->id()) <
           std::make_pair(Sec(b->window_start()), b->id());
  });
  for (const auto* v : mine) {
    *out->add_visits() = *v;
    if (const auto* r = st.visits.FindResident(v->resident_id()))
      (*out->mutable_residents())[r->id()] = CardOf(*r, Sec(ctx.now));
  }
  return {};
}

}  // namespace zhiban::domain
