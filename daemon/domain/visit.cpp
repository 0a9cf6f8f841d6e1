#include "daemon/domain/visit.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>
#include <google/protobuf/util/field_mask_util.h>

#include "daemon/domain/state.h"

namespace zhiban::domain {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kUtc8 = 8 * 3600;

int64_t Sec(const google::protobuf::Timestamp& t) { return t.seconds(); }
int64_t Sec(TimePoint t) { return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count(); }
google::protobuf::Timestamp Ts(int64_t s) {
  google::protobuf::Timestamp t;
  t.set_seconds(s);
  return t;
}
int32_t DayOfSec(int64_t s) { return static_cast<int32_t>((s + kUtc8) / kDay); }

bool Terminal(v1::VisitState s) {
  return s == v1::VISIT_COMPLETED || s == v1::VISIT_CANCELLED || s == v1::VISIT_FAILED;
}

std::string StateName(v1::VisitState s) {
  const std::string& n = v1::VisitState_Name(s);
  return n.starts_with("VISIT_") ? n.substr(6) : n;
}

bool HasSkill(const v1::Staff& s, const std::string& skill) {
  return skill.empty() || std::find(s.skills().begin(), s.skills().end(), skill) != s.skills().end();
}

bool MayServe(const v1::Staff& s, std::string_view center) {
  return s.center_id() == center || std::find(s.cover_center_ids().begin(), s.cover_center_ids().end(), center) !=
                                        s.cover_center_ids().end();
}

void Step(v1::Visit& v, v1::VisitState state, int64_t at, const std::string& by, const std::string& note) {
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

// Emits `topic` with the visit as it is now.
void EmitVisit(const RotaCtx& ctx, Mutation* m, const v1::Visit& v, const char* topic, const std::string& reason,
               const v1::Staff* backup = nullptr) {
  const auto& st = ctx.state;
  v1::Event e;
  e.set_center_id(v.center_id());
  e.set_topic(topic);
  const auto* field = v1::Event::descriptor()->FindFieldByName(std::string(topic).replace(5, 1, "_"));
  auto* body = static_cast<v1::VisitEvent*>(e.GetReflection()->MutableMessage(&e, field));
  *body->mutable_visit() = v;
  if (const auto* r = st.visits.FindResident(v.resident_id())) *body->mutable_resident() = CardOf(*r);
  if (const auto* s = v.assignee_id().empty() ? nullptr : st.network.FindStaff(v.assignee_id())) *body->mutable_staff() = *s;
  if (backup) *body->mutable_backup() = *backup;
  if (const auto* l = LeaderFor(ctx, v)) *body->mutable_leader() = *l;
  body->set_reason(reason);
  if (const auto* item = FindService(v.service())) body->set_service_name(item->name());
  m->Emit(std::move(e));
}

int64_t Deadline(const RotaCtx& ctx, const v1::Visit& v) {
  const auto& o = ctx.state.visits.options();
  return Sec(ctx.now) + 60 * int64_t(v.priority() == v1::URGENT ? o.urgent_accept_minutes : o.accept_minutes);
}

// The shift `staff` is on (on site) at `t`, if any.
const v1::Shift* OnDuty(const State& st, std::string_view staff, int64_t t) {
  for (const auto* s : st.rota.StaffShifts(staff, t - 2 * kDay, t + 1)) {
    if (s->kind() != v1::ON_CALL && Sec(s->start()) <= t && t < Sec(s->end())) return s;
  }
  return nullptr;
}

// Picks the assignee: on duty at the window's start (at the resident's
// center or one they cover), with the skill, not among those who declined;
// nearest (their center to the resident), then least loaded that day, then id.
const v1::Staff* Choose(const RotaCtx& ctx, const v1::Visit& v) {
  const auto& st = ctx.state;
  const auto* item = FindService(v.service());
  const auto* resident = st.visits.FindResident(v.resident_id());
  const int64_t t = Sec(v.window_start());
  const v1::Staff* best = nullptr;
  std::tuple<double, uint32_t> best_score{};
  for (const auto& [id, s] : st.network.staff()) {
    if (!MayServe(s, v.center_id()) || !HasSkill(s, item ? item->skill() : "")) continue;
    if (std::find(v.declined_by().begin(), v.declined_by().end(), id) != v.declined_by().end()) continue;
    const auto* shift = OnDuty(st, id, t);
    if (!shift) continue;
    double km = 0;
    const auto* c = st.network.FindCenter(shift->center_id());
    if (c && c->has_location() && resident && resident->has_location()) km = TravelKm(c->location(), resident->location());
    std::tuple<double, uint32_t> score{std::round(km * 10) / 10, st.visits.LoadOn(id, DayOfSec(t))};
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
    EmitVisit(ctx, m, v, "visit.assigned", "");
    return;
  }
  const auto* leader = LeaderFor(ctx, v);
  v.set_assignee_id(leader ? leader->id() : "");
  v.set_escalation(2);
  v.clear_accept_by();
  const std::string why = "nobody on duty with the skill in the window";
  Step(v, v1::VISIT_ESCALATED, now, "dispatch", why);
  EmitVisit(ctx, m, v, "visit.escalated", why);
}

Status CheckResident(const State& st, const v1::Resident& r) {
  if (r.id().empty() || r.id().size() > kMaxIdLength) return Status::InvalidArgument("resident.id", "is required (at most 64 characters)");
  if (r.name().empty() || r.name().size() > kMaxNameBytes) return Status::InvalidArgument("resident.name", "is required");
  if (!st.network.FindCenter(r.home_center_id())) {
    return Status::NotFound("resident.home_center_id", fmt::format("center \"{}\" does not exist", r.home_center_id()));
  }
  auto digits = [](const std::string& p) { return std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }); };
  if (!r.phone().empty() && (!digits(r.phone()) || r.phone().size() < 7 || r.phone().size() > 15)) {
    return Status::InvalidArgument("resident.phone", "must be 7-15 digits");
  }
  if (!r.emergency_contact().phone().empty() && !digits(r.emergency_contact().phone())) {
    return Status::InvalidArgument("resident.emergency_contact.phone", "must be digits");
  }
  const auto& idn = r.id_number();
  if (!idn.empty() && (idn.size() != 18 || !digits(idn.substr(0, 17)) || !(std::isdigit(idn[17]) || idn[17] == 'X'))) {
    return Status::InvalidArgument("resident.id_number", "must be 18 characters: 17 digits and a digit or X");
  }
  for (int c : r.categories()) {
    if (!v1::CareCategory_IsValid(c) || c == 0) return Status::InvalidArgument("resident.categories", fmt::format("unknown category {}", c));
  }
  const bool disabled = std::find(r.categories().begin(), r.categories().end(), v1::DISABLED) != r.categories().end();
  if (disabled && (r.disability_level() < 1 || r.disability_level() > 4)) {
    return Status::InvalidArgument("resident.disability_level", "DISABLED needs a level 1..4");
  }
  if (!v1::CareTier_IsValid(r.care_tier())) return Status::InvalidArgument("resident.care_tier", "unknown tier");
  if (r.legal_basis() == v1::LEGAL_BASIS_UNSPECIFIED || !v1::LegalBasis_IsValid(r.legal_basis())) {
    return Status::InvalidArgument("resident.legal_basis",
                                   "is required: STATUTORY_DUTY or CONSENT (personal information needs a legal basis)");
  }
  if (r.legal_basis() == v1::CONSENT && !ParseDate(r.consent_date()).ok()) {
    return Status::InvalidArgument("resident.consent_date", "CONSENT needs the date consent was given (YYYY-MM-DD)");
  }
  if (r.has_location() && (std::abs(r.location().lat()) > 90 || std::abs(r.location().lon()) > 180)) {
    return Status::InvalidArgument("resident.location", "latitude within ±90, longitude within ±180");
  }
  return {};
}

v1::Event ResidentEvent(const v1::Resident& r, const char* topic) {
  v1::Event e;
  e.set_center_id(r.home_center_id());
  e.set_topic(topic);
  return e;
}

}  // namespace

std::string MaskPhone(std::string_view phone) {
  if (phone.size() >= 11) return fmt::format("{}****{}", phone.substr(0, 3), phone.substr(phone.size() - 4));
  if (phone.size() > 4) return fmt::format("****{}", phone.substr(phone.size() - 4));
  return phone.empty() ? "" : "****";
}

v1::ResidentCard CardOf(const v1::Resident& r) {
  v1::ResidentCard c;
  c.set_id(r.id());
  c.set_name(r.name());
  c.set_masked_phone(MaskPhone(r.phone()));
  c.set_address(r.address());
  if (r.has_location()) *c.mutable_location() = r.location();
  *c.mutable_categories() = r.categories();
  c.set_care_tier(r.care_tier());
  c.set_home_center_id(r.home_center_id());
  return c;
}

const std::vector<v1::ServiceItem>& ServiceCatalogue() {
  static const std::vector<v1::ServiceItem> items = [] {
    std::vector<v1::ServiceItem> v;
    auto add = [&](const char* id, const char* name, const char* skill, uint32_t minutes, bool care = false) {
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
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
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

uint32_t VisitBook::LoadOn(std::string_view staff, int32_t day) const {
  auto it = load_.find(std::string(staff));
  if (it == load_.end()) return 0;
  auto d = it->second.find(day);
  return d == it->second.end() ? 0 : d->second;
}

void VisitBook::Index(const v1::Visit& v, int sign) {
  if (!v.assignee_id().empty() && v.state() != v1::VISIT_CANCELLED) {
    auto& days = load_[v.assignee_id()];
    const int32_t day = DayOfSec(Sec(v.window_start()));
    if (sign > 0) {
      ++days[day];
    } else if (auto d = days.find(day); d != days.end() && --d->second == 0) {
      days.erase(d);
    }
  }
  auto timer = [&](uint32_t kind, int64_t due) {
    Timer t{due, kind, v.id()};
    if (sign > 0) timers_.insert(t);
    else timers_.erase(t);
  };
  if (v.state() == v1::VISIT_ASSIGNED && v.has_accept_by()) timer(1, Sec(v.accept_by()));
  const bool started = v.state() == v1::VISIT_EN_ROUTE || v.state() == v1::VISIT_ARRIVED;
  if (!Terminal(v.state()) && !started && !v.overdue_reported()) timer(2, Sec(v.window_end()));
}

void VisitBook::EraseResident(std::string_view id) {
  auto it = residents_.find(id);
  if (it != residents_.end()) residents_.erase(it);
}

void VisitBook::PutVisit(v1::Visit v) {
  auto it = visits_.find(v.id());
  if (it != visits_.end()) {
    Index(it->second, -1);
    it->second = std::move(v);
  } else {
    it = visits_.emplace(v.id(), std::move(v)).first;
  }
  Index(it->second, +1);
}

void VisitBook::Clear() {
  residents_.clear();
  visits_.clear();
  timers_.clear();
  load_.clear();
}

// ---- residents -------------------------------------------------------------------

Result<Mutation> AddResident(const RotaCtx& ctx, v1::Resident r) {
  ZB_RETURN_IF_ERROR(CheckResident(ctx.state, r));
  if (ctx.state.visits.FindResident(r.id())) {
    return Status::AlreadyExists("resident.id", fmt::format("resident \"{}\" exists", r.id()));
  }
  Mutation m;
  auto e = ResidentEvent(r, "resident.added");
  *e.mutable_resident_added()->mutable_resident() = CardOf(r);
  m.Emit(std::move(e));
  m.summary = fmt::format("resident {} added at {}", r.id(), r.home_center_id());
  m.residents_put.push_back(std::move(r));
  return m;
}

Result<Mutation> UpdateResident(const RotaCtx& ctx, const v1::ResidentUpdateRequest& req) {
  const auto* old = ctx.state.visits.FindResident(req.resident().id());
  if (!old) return Status::NotFound("resident.id", fmt::format("resident \"{}\" does not exist", req.resident().id()));
  using google::protobuf::util::FieldMaskUtil;
  if (req.update_mask().paths().empty()) return Status::InvalidArgument("update_mask", "names no field to change");
  for (const auto& p : req.update_mask().paths()) {
    if (p == "id" || !FieldMaskUtil::GetFieldDescriptors(v1::Resident::descriptor(), p, nullptr)) {
      return Status::InvalidArgument("update_mask", fmt::format("\"{}\" is not a field a resident update may change", p));
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
  auto e = ResidentEvent(r, "resident.updated");
  *e.mutable_resident_updated()->mutable_resident() = CardOf(r);
  for (auto& f : changed) e.mutable_resident_updated()->add_changed_fields(f);
  m.Emit(std::move(e));
  m.summary = fmt::format("resident {} updated ({})", r.id(), fmt::join(changed, ","));
  m.residents_put.push_back(std::move(r));
  return m;
}

Result<Mutation> RemoveResident(const RotaCtx& ctx, std::string_view id) {
  const auto* r = ctx.state.visits.FindResident(id);
  if (!r) return Status::NotFound("id", fmt::format("resident \"{}\" does not exist", id));
  for (const auto& [vid, v] : ctx.state.visits.visits()) {
    if (v.resident_id() == id && !Terminal(v.state())) {
      return Status::FailedPrecondition(fmt::format("resident {} has an open visit {} ({}); cancel it first", id, vid,
                                                    StateName(v.state())));
    }
  }
  Mutation m;
  auto e = ResidentEvent(*r, "resident.removed");
  *e.mutable_resident_removed()->mutable_resident() = CardOf(*r);
  m.Emit(std::move(e));
  m.summary = fmt::format("resident {} removed", id);
  m.residents_deleted.emplace_back(id);
  return m;
}

// ---- visits ----------------------------------------------------------------------

Result<Mutation> RequestVisit(const RotaCtx& ctx, const v1::VisitRequestRequest& req, uint64_t serial) {
  const auto& st = ctx.state;
  const auto* r = st.visits.FindResident(req.resident_id());
  if (!r) return Status::NotFound("resident_id", fmt::format("resident \"{}\" does not exist", req.resident_id()));
  if (!FindService(req.service())) {
    std::vector<std::string> ids;
    for (const auto& s : ServiceCatalogue()) ids.push_back(s.id());
    return Status::InvalidArgument("service", fmt::format("unknown service \"{}\" ({})", req.service(), fmt::join(ids, ", ")));
  }
  const int64_t from = Sec(req.window_start()), to = Sec(req.window_end());
  if (from <= 0 || to <= from) return Status::InvalidArgument("window_end", "the window must end after it starts");
  if (to - from > 14 * kDay) return Status::InvalidArgument("window_end", "a window is at most 14 days");
  if (to <= Sec(ctx.now)) return Status::InvalidArgument("window_end", "the window is already over");
  if (!v1::VisitPriority_IsValid(req.priority()) || !v1::VisitSource_IsValid(req.source())) {
    return Status::InvalidArgument("priority", "unknown priority or source");
  }
  v1::Visit v;
  v.set_id(req.id().empty() ? fmt::format("visit-{}", serial) : req.id());
  if (st.visits.FindVisit(v.id())) return Status::AlreadyExists("id", fmt::format("visit \"{}\" exists", v.id()));
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
  EmitVisit(ctx, &m, v, "visit.requested", "");
  Dispatch(ctx, v, &m);
  m.summary = fmt::format("visit {} for {} ({}): {} {}", v.id(), v.resident_id(), v.service(), StateName(v.state()),
                          v.assignee_id());
  m.visits_put.push_back(std::move(v));
  return m;
}

Result<Mutation> AssignVisit(const RotaCtx& ctx, const v1::VisitAssignRequest& req) {
  const auto& st = ctx.state;
  const auto* old = st.visits.FindVisit(req.id());
  if (!old) return Status::NotFound("id", fmt::format("visit \"{}\" does not exist", req.id()));
  const auto* s = st.network.FindStaff(req.staff_id());
  if (!s) return Status::NotFound("staff_id", fmt::format("staff \"{}\" does not exist", req.staff_id()));
  if (Terminal(old->state()) || old->state() == v1::VISIT_EN_ROUTE || old->state() == v1::VISIT_ARRIVED) {
    return Status::FailedPrecondition(fmt::format("visit {} is {}; only a visit not yet started can be (re)assigned",
                                                  old->id(), StateName(old->state())));
  }
  const auto* item = FindService(old->service());
  if (item && !HasSkill(*s, item->skill())) {
    return Status::FailedPrecondition(fmt::format("{} lacks the skill {} that {} needs", s->id(), item->skill(), item->name()),
                                      "staff_id");
  }
  v1::Visit v = *old;
  v.set_assignee_id(s->id());
  v.set_escalation(0);
  *v.mutable_accept_by() = Ts(Deadline(ctx, v));
  Step(v, v1::VISIT_ASSIGNED, Sec(ctx.now), ctx.actor, "assigned by an operator");
  Mutation m;
  EmitVisit(ctx, &m, v, "visit.assigned", OnDuty(st, s->id(), Sec(v.window_start())) ? "" : "not on duty in the window");
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
    return Status::FailedPrecondition(fmt::format("visit {} is {}; {} needs {}", v.id(), StateName(v.state()), verb,
                                                  fmt::join(names, " or ")));
  };
  auto assignee_only = [&]() -> Status {
    if (req.by_staff_id() != v.assignee_id()) {
      return Status::FailedPrecondition(
          fmt::format("only the assignee ({}) can do that", v.assignee_id().empty() ? "nobody" : v.assignee_id()),
          "by_staff_id");
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
      EmitVisit(ctx, &m, v, "visit.accepted", "");
      break;
    case v1::DECLINE_VISIT:
      ZB_RETURN_IF_ERROR(need({v1::VISIT_ASSIGNED, v1::VISIT_ESCALATED}, "decline"));
      ZB_RETURN_IF_ERROR(assignee_only());
      v.add_declined_by(v.assignee_id());
      v.clear_accept_by();
      Step(v, v1::VISIT_DECLINED, now, by, req.reason());
      EmitVisit(ctx, &m, v, "visit.declined", req.reason());
      v.set_assignee_id("");
      Dispatch(ctx, v, &m);  // the next person, or the leader
      break;
    case v1::START_VISIT:
      ZB_RETURN_IF_ERROR(need({v1::VISIT_ACCEPTED, v1::VISIT_OVERDUE}, "start"));
      ZB_RETURN_IF_ERROR(assignee_only());
      Step(v, v1::VISIT_EN_ROUTE, now, by, "");
      EmitVisit(ctx, &m, v, "visit.en_route", "");
      break;
    case v1::ARRIVE_VISIT:
      ZB_RETURN_IF_ERROR(need({v1::VISIT_EN_ROUTE}, "arrive"));
      ZB_RETURN_IF_ERROR(assignee_only());
      Step(v, v1::VISIT_ARRIVED, now, by, "");
      EmitVisit(ctx, &m, v, "visit.arrived", "");
      break;
    case v1::COMPLETE_VISIT: {
      ZB_RETURN_IF_ERROR(need({v1::VISIT_ARRIVED}, "complete"));
      ZB_RETURN_IF_ERROR(assignee_only());
      if (req.rating() > 5) return Status::InvalidArgument("rating", "is 1..5 (0: not rated)");
      const auto* item = FindService(v.service());
      if (item && item->care_visit() && req.checklist().health().empty()) {
        return Status::InvalidArgument("checklist.health", "a care visit (探访关爱) records at least the health check");
      }
      v.set_outcome(req.outcome());
      *v.mutable_checklist() = req.checklist();
      v.set_rating(req.rating());
      Step(v, v1::VISIT_COMPLETED, now, by, req.outcome());
      if (req.rating() >= 1 && req.rating() <= 2) {
        // A poor rating (差评) opens a follow-up due in N working days.
        const int32_t today = DayOfSec(now);
        int32_t day = today, found = 0;
        while (found < static_cast<int32_t>(st.visits.options().follow_up_working_days) && day < today + 60) {
          ++day;
          auto info = st.calendar.Day(FromDayNumber(day), v.center_id());
          if (!info.ok()) return Status::FailedPrecondition("cannot schedule the follow-up: " + info.status().message());
          if (!info->closed() && (info->day_type() == v1::WORKDAY || info->day_type() == v1::MAKEUP_WORKDAY)) ++found;
        }
        v1::Visit f;
        f.set_id(fmt::format("visit-{}", serial));
        f.set_resident_id(v.resident_id());
        f.set_center_id(v.center_id());
        f.set_service(v.service());
        *f.mutable_window_start() = Ts(int64_t(today + 1) * kDay - kUtc8 + 9 * 3600);
        *f.mutable_window_end() = Ts(int64_t(day) * kDay - kUtc8 + 17 * 3600);
        f.set_priority(v1::NORMAL);
        f.set_source(v1::FOLLOW_UP);
        f.set_follow_up_of(v.id());
        v.set_follow_up_id(f.id());
        EmitVisit(ctx, &m, v, "visit.completed", "");
        Step(f, v1::VISIT_REQUESTED, now, "follow-up", fmt::format("rating {} on {}", req.rating(), v.id()));
        EmitVisit(ctx, &m, f, "visit.requested", fmt::format("follow-up of {} (rating {})", v.id(), req.rating()));
        Dispatch(ctx, f, &m);
        m.visits_put.push_back(std::move(f));
      } else {
        EmitVisit(ctx, &m, v, "visit.completed", "");
      }
      break;
    }
    case v1::FAIL_VISIT:
      ZB_RETURN_IF_ERROR(need({v1::VISIT_EN_ROUTE, v1::VISIT_ARRIVED}, "fail"));
      ZB_RETURN_IF_ERROR(assignee_only());
      if (req.reason().empty()) return Status::InvalidArgument("reason", "say why (nobody home, refused, ...)");
      Step(v, v1::VISIT_FAILED, now, by, req.reason());
      EmitVisit(ctx, &m, v, "visit.failed", req.reason());
      break;
    case v1::CANCEL_VISIT:
      if (Terminal(v.state())) return Status::FailedPrecondition(fmt::format("visit {} is already {}", v.id(), StateName(v.state())));
      v.clear_accept_by();
      Step(v, v1::VISIT_CANCELLED, now, by, req.reason());
      EmitVisit(ctx, &m, v, "visit.cancelled", req.reason());
      break;
    default:
      return Status::InvalidArgument("action", "unknown action");
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
  size_t n = 0;
  for (const auto& t : st.visits.timers()) {
    if (t.due > now || n >= limit) break;
    auto it = touched.find(t.id);
    if (it == touched.end()) it = touched.emplace(t.id, *st.visits.FindVisit(t.id)).first;
    v1::Visit& v = it->second;
    ++n;
    if (t.kind == 1 && v.state() == v1::VISIT_ASSIGNED && v.has_accept_by() && Sec(v.accept_by()) <= now) {
      const auto& o = st.visits.options();
      const uint32_t minutes = v.priority() == v1::URGENT ? o.urgent_accept_minutes : o.accept_minutes;
      const std::string why = fmt::format("{} did not accept within {} min", v.assignee_id(), minutes);
      // First the AB岗 backup of the assignee's shift, then the leader on duty.
      const v1::Staff* backup = nullptr;
      if (v.escalation() == 0) {
        const auto* shift = OnDuty(st, v.assignee_id(), Sec(v.window_start()));
        const auto* item = FindService(v.service());
        const auto* b = shift && !shift->backup_id().empty() ? st.network.FindStaff(shift->backup_id()) : nullptr;
        if (b && b->id() != v.assignee_id() && HasSkill(*b, item ? item->skill() : "")) backup = b;
      }
      if (backup) {
        v.set_assignee_id(backup->id());
        v.set_escalation(1);
        *v.mutable_accept_by() = Ts(Deadline(ctx, v));
        Step(v, v1::VISIT_ASSIGNED, now, "deadline", why + ": to the backup");
        EmitVisit(ctx, &m, v, "visit.escalated", why + ": to the backup", backup);
      } else {
        const auto* leader = LeaderFor(ctx, v);
        v.set_assignee_id(leader ? leader->id() : "");
        v.set_escalation(2);
        v.clear_accept_by();
        Step(v, v1::VISIT_ESCALATED, now, "deadline", why + ": to the leader on duty");
        EmitVisit(ctx, &m, v, "visit.escalated", why + ": to the leader on duty");
      }
    } else if (t.kind == 2 && !v.overdue_reported() && !Terminal(v.state()) && v.state() != v1::VISIT_EN_ROUTE &&
               v.state() != v1::VISIT_ARRIVED) {
      v.set_overdue_reported(true);
      v.clear_accept_by();
      Step(v, v1::VISIT_OVERDUE, now, "deadline", "the window ended");
      EmitVisit(ctx, &m, v, "visit.overdue", "the window ended before the visit started");
    }
  }
  for (auto& [id, v] : touched) m.visits_put.push_back(std::move(v));
  if (!m.visits_put.empty()) m.summary = fmt::format("{} visit deadline(s)", n);
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
  if (!v1::VisitState_IsValid(req.state())) return Status::InvalidArgument("state", "unknown state");
  for (const auto& [id, v] : st.visits.visits()) {
    if (!req.center_id().empty() && v.center_id() != req.center_id()) continue;
    if (req.state() != v1::VISIT_STATE_UNSPECIFIED && v.state() != req.state()) continue;
    if (day >= 0 && DayOfSec(Sec(v.window_start())) != day) continue;
    *out->add_visits() = v;
    if (const auto* r = st.visits.FindResident(v.resident_id())) (*out->mutable_residents())[r->id()] = CardOf(*r);
  }
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
  for (const auto& [id, v] : st.visits.visits()) {
    if (v.assignee_id() == req.staff_id() && DayOfSec(Sec(v.window_start())) == DayNumber(*d) &&
        v.state() != v1::VISIT_CANCELLED) {
      mine.push_back(&v);
    }
  }
  std::sort(mine.begin(), mine.end(), [](const auto* a, const auto* b) {
    return std::make_pair(Sec(a->window_start()), a->id()) < std::make_pair(Sec(b->window_start()), b->id());
  });
  for (const auto* v : mine) {
    *out->add_visits() = *v;
    if (const auto* r = st.visits.FindResident(v->resident_id())) (*out->mutable_residents())[r->id()] = CardOf(*r);
  }
  return {};
}

}  // namespace zhiban::domain
