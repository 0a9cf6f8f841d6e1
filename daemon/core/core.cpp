#include "daemon/core/core.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include "daemon/base/time_util.h"
#include "daemon/base/wire.h"
#include "daemon/core/ctl_codec.h"

namespace zhiban::core {
namespace {

using google::protobuf::util::TimeUtil;
using storage::Family;

constexpr std::string_view kInstanceKey = "instance_id";
constexpr std::string_view kSimClockKey = "sim_clock_us";
constexpr uint32_t kDefaultListLimit = 1000;
constexpr uint32_t kMaxListLimit = 10000;
constexpr uint32_t kDefaultAuditLimit = 50;

google::protobuf::Timestamp ToProto(TimePoint t) {
  return TimeUtil::MicrosecondsToTimestamp(t.time_since_epoch().count());
}

uint32_t ListLimit(uint32_t asked, uint32_t dflt) {
  if (asked == 0) return dflt;
  return std::min(asked, kMaxListLimit);
}

std::string TargetOf(const v1::CtlRequest& r) {
  switch (r.command_case()) {
    case v1::CtlRequest::kCenterAdd:
      return r.center_add().center().id();
    case v1::CtlRequest::kCenterUpdate:
      return r.center_update().center().id();
    case v1::CtlRequest::kCenterRemove:
      return r.center_remove().id();
    case v1::CtlRequest::kStaffAdd:
      return r.staff_add().staff().id();
    case v1::CtlRequest::kStaffUpdate:
      return r.staff_update().staff().id();
    case v1::CtlRequest::kStaffRemove:
      return r.staff_remove().id();
    case v1::CtlRequest::kImportCommit:
      return r.import_commit().import_id();
    case v1::CtlRequest::kBackupCreate:
      return r.backup_create().dir();
    case v1::CtlRequest::kCalendarImport:
      return std::to_string(r.calendar_import().year().year());
    case v1::CtlRequest::kExceptionAdd:
      return r.exception_add().exception().id();
    case v1::CtlRequest::kExceptionRemove:
      return r.exception_remove().id();
    case v1::CtlRequest::kPolicySet:
      return r.policy_set().source();
    case v1::CtlRequest::kPolicyAssign:
      return r.policy_assign().assignment().center_id() + "=" +
             r.policy_assign().assignment().policy();
    case v1::CtlRequest::kRotationSet:
      return r.rotation_set().rotation().id();
    case v1::CtlRequest::kRotationRemove:
      return r.rotation_remove().id();
    case v1::CtlRequest::kRotaGenerate:
      return fmt::format("{} {}..{}", r.rota_generate().center_id(), r.rota_generate().from(),
                         r.rota_generate().to());
    case v1::CtlRequest::kRotaOverride:
      return r.rota_override().shift_id().empty()
                 ? fmt::format("{} {}..{} {}->{}", r.rota_override().center_id(),
                               r.rota_override().from(), r.rota_override().to(),
                               r.rota_override().replaces(), r.rota_override().staff_id())
                 : r.rota_override().shift_id() + "->" + r.rota_override().staff_id();
    case v1::CtlRequest::kRotaPublish:
      return r.rota_publish().center_id() + " " + r.rota_publish().month();
    case v1::CtlRequest::kRotaCheckin:
      return r.rota_checkin().staff_id();
    case v1::CtlRequest::kSwapRequest:
      return r.swap_request().shift_id() + "->" + r.swap_request().to_staff_id();
    case v1::CtlRequest::kSwapDecide:
      return r.swap_decide().id();
    case v1::CtlRequest::kLeaveAdd:
      return r.leave_add().leave().id();
    case v1::CtlRequest::kLeaveRemove:
      return r.leave_remove().id();
    case v1::CtlRequest::kRulesSet:
      return r.rules_set().source();
    case v1::CtlRequest::kResidentAdd:
      return r.resident_add().resident().id();
    case v1::CtlRequest::kResidentUpdate:
      return r.resident_update().resident().id();
    case v1::CtlRequest::kResidentRemove:
      return r.resident_remove().id();
    case v1::CtlRequest::kResidentShow:
      return r.resident_show().id();
    case v1::CtlRequest::kVisitRequest:
      return r.visit_request().resident_id() + " " + r.visit_request().service();
    case v1::CtlRequest::kVisitAssign:
      return r.visit_assign().id() + "->" + r.visit_assign().staff_id();
    case v1::CtlRequest::kVisitAct:
      return r.visit_act().id();
    case v1::CtlRequest::kResidentImport:
      return fmt::format("{} residents", r.resident_import().residents_size());
    case v1::CtlRequest::kResidentChange:
      return r.resident_change().resident_id() + " " + r.resident_change().kind();
    case v1::CtlRequest::kAppointmentBook:
      return r.appointment_book().center_id() + " " + r.appointment_book().for_name();
    case v1::CtlRequest::kAppointmentCancel:
      return r.appointment_cancel().id();
    default:
      return {};
  }
}

// Walks a paged, filtered, id-ordered map into `out`.
template <typename Map, typename Pred, typename Add>
void Page(const Map& m, const std::string& after, uint32_t limit, Pred pred, Add add,
          std::string* next, uint32_t* total) {
  uint32_t n = 0, matched = 0;
  for (const auto& [id, rec] : m) {
    if (!pred(rec)) continue;
    ++matched;
    if (!after.empty() && id <= after) continue;
    if (n < limit) {
      add(rec);
      ++n;
      if (n == limit) *next = id;
    }
  }
  // next_after_id only when something follows the page.
  if (!next->empty()) {
    auto it = m.upper_bound(*next);
    bool more = false;
    for (; it != m.end() && !more; ++it) more = pred(it->second);
    if (!more) next->clear();
  }
  *total = matched;
}

}  // namespace

struct Core::ImportSession {
  std::string id;
  v1::ImportKind kind = v1::IMPORT_KIND_UNSPECIFIED;
  std::string source;
  std::vector<domain::ImportRow<v1::Center>> centers;
  std::vector<domain::ImportRow<v1::Staff>> staff;
  std::chrono::steady_clock::time_point last_used;
  size_t rows() const { return centers.size() + staff.size(); }
};

struct Core::GroupCtx {
  storage::WriteBatch batch;
  std::vector<CommittedEvent>* events;
  size_t first_event = 0;  // events before this group, kept on failure
  uint64_t first_seq = 0;  // next_seq_ when the group started
  // The last staged mutation, applied to memory when the next request of the
  // group starts or, for the last one, after the group's events are out:
  // subscribers of a 100k-event import need not wait for 100k map inserts.
  std::optional<domain::Mutation> pending;
};

Core::Core(storage::Store* store, Clock* clock, SimulatedClock* sim, CoreOptions options)
    : store_(store),
      clock_(clock),
      sim_(sim),
      options_(std::move(options)),
      started_steady_(std::chrono::steady_clock::now()),
      started_(RealClock().Now()) {
  state_.rota.SetOptions(options_.rota);
  state_.visits.SetOptions(options_.visits);
}

Core::~Core() = default;

Status Core::Load() {
  auto id = store_->Get(Family::kMeta, kInstanceKey);
  if (!id.ok()) return id.status();
  if (id->has_value()) {
    instance_id_ = **id;
  } else {
    std::random_device rd;
    instance_id_ = fmt::format("{:08x}", rd());
    storage::WriteBatch b = store_->NewBatch();
    b.Put(Family::kMeta, kInstanceKey, instance_id_);
    ZB_RETURN_IF_ERROR(store_->Commit(b));
  }
  if (sim_) {
    auto stored = store_->Get(Family::kMeta, kSimClockKey);
    if (!stored.ok()) return stored.status();
    if (stored->has_value()) {
      TimePoint t{Micros(std::stoll(**stored))};
      if (t > sim_->Now()) {
        spdlog::info("simulated clock resumes at {} (recorded in the data dir)", FormatIsoTime(t));
        sim_->Set(t);
      }
    }
  }
  auto last = store_->LastKey(Family::kEvents);
  if (!last.ok()) return last.status();
  next_seq_ = last->has_value() ? storage::DecodeSeqKey(**last) + 1 : 1;
  auto last_audit = store_->LastKey(Family::kAudit);
  if (!last_audit.ok()) return last_audit.status();
  next_audit_seq_ = last_audit->has_value() ? storage::DecodeSeqKey(**last_audit) + 1 : 1;
  return LoadRecords();
}

namespace {

// Reads every record of a family into `put`.
template <typename Msg, typename Put>
Status LoadFamily(const storage::Store& store, Family f, Put put) {
  Status bad;
  ZB_RETURN_IF_ERROR(store.Scan(f, "", [&](std::string_view k, std::string_view v) {
    Msg m;
    if (!m.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
      bad = Status::Internal(
          fmt::format("stored {} record \"{}\" does not parse", storage::FamilyName(f), k));
      return false;
    }
    put(std::move(m));
    return true;
  }));
  return bad;
}

std::string PolicyKey(const v1::OpeningPolicy& p) {
  return p.name() + "/" + storage::EncodeSeqKey(p.version());
}

std::string AssignmentKey(const v1::PolicyAssignment& a) { return a.center_id() + "/" + a.from(); }

constexpr std::string_view kRulesKey = "rules";
std::string MonthKey(const v1::PublishedMonth& m) {
  return "month/" + m.center_id() + "/" + m.month();
}

template <typename Msg, typename Put>
bool ParseInto(std::string_view v, Put put) {
  Msg m;
  if (!m.ParseFromArray(v.data(), static_cast<int>(v.size()))) return false;
  put(std::move(m));
  return true;
}

}  // namespace

Status Core::LoadRecords() {
  state_.Clear();
  auto& st = state_;
  ZB_RETURN_IF_ERROR(LoadFamily<v1::Center>(
      *store_, Family::kCenters, [&](v1::Center c) { st.network.PutCenter(std::move(c)); }));
  ZB_RETURN_IF_ERROR(LoadFamily<v1::Staff>(
      *store_, Family::kStaff, [&](v1::Staff s) { st.network.PutStaff(std::move(s)); }));
  ZB_RETURN_IF_ERROR(LoadFamily<v1::CalendarYear>(
      *store_, Family::kCalendar, [&](v1::CalendarYear y) { st.calendar.PutYear(std::move(y)); }));
  ZB_RETURN_IF_ERROR(LoadFamily<v1::CalendarException>(
      *store_, Family::kExceptions,
      [&](v1::CalendarException e) { st.calendar.PutException(std::move(e)); }));
  ZB_RETURN_IF_ERROR(LoadFamily<v1::OpeningPolicy>(
      *store_, Family::kPolicies,
      [&](v1::OpeningPolicy p) { st.policies.PutPolicy(std::move(p)); }));
  ZB_RETURN_IF_ERROR(LoadFamily<v1::PolicyAssignment>(
      *store_, Family::kAssignments,
      [&](v1::PolicyAssignment a) { st.policies.PutAssignment(std::move(a)); }));
  ZB_RETURN_IF_ERROR(LoadFamily<v1::Shift>(*store_, Family::kShifts,
                                           [&](v1::Shift x) { st.rota.PutShift(std::move(x)); }));
  ZB_RETURN_IF_ERROR(LoadFamily<v1::Rotation>(
      *store_, Family::kRotations, [&](v1::Rotation x) { st.rota.PutRotation(std::move(x)); }));
  ZB_RETURN_IF_ERROR(LoadFamily<v1::Leave>(*store_, Family::kLeave,
                                           [&](v1::Leave x) { st.rota.PutLeave(std::move(x)); }));
  ZB_RETURN_IF_ERROR(LoadFamily<v1::Resident>(
      *store_, Family::kResidents, [&](v1::Resident x) { st.visits.PutResident(std::move(x)); }));
  ZB_RETURN_IF_ERROR(LoadFamily<v1::Visit>(*store_, Family::kVisits,
                                           [&](v1::Visit x) { st.visits.PutVisit(std::move(x)); }));
  ZB_RETURN_IF_ERROR(
      LoadFamily<v1::Appointment>(*store_, Family::kAppointments,
                                  [&](v1::Appointment x) { st.appointments.Put(std::move(x)); }));
  ZB_RETURN_IF_ERROR(LoadFamily<v1::ShiftSwap>(
      *store_, Family::kSwaps, [&](v1::ShiftSwap x) { st.rota.PutSwap(std::move(x)); }));
  Status bad;
  ZB_RETURN_IF_ERROR(store_->Scan(Family::kRota, "", [&](std::string_view k, std::string_view v) {
    const bool ok =
        k == kRulesKey
            ? ParseInto<v1::WorkRulesConfig>(v, [&](auto x) { st.rota.SetRules(std::move(x)); })
            : ParseInto<v1::PublishedMonth>(v, [&](auto x) { st.rota.PutMonth(std::move(x)); });
    if (!ok) bad = Status::Internal(fmt::format("stored rota record \"{}\" does not parse", k));
    return ok;
  }));
  return bad;
}

std::string Core::Today() const {
  auto d = zones_.LocalDate(kDefaultZone, clock_->Now());
  return d.ok() ? FormatDate(*d) : std::string();
}

void Core::CountRejected(const std::string& reason) { ++metrics_.commands[{"invalid", reason}]; }

void Core::ApplyPending(GroupCtx& g) {
  if (!g.pending) return;
  domain::Apply(state_, std::move(*g.pending));
  g.pending.reset();
}

Core::GroupCtx Core::BeginGroup(std::vector<CommittedEvent>* events) {
  GroupCtx g{store_->NewBatch(), events};
  g.first_event = events->size();
  g.first_seq = next_seq_;
  return g;
}

Status Core::CommitGroup(GroupCtx& g, const DurableFn& on_durable) {
  Status s = store_->Commit(g.batch);
  if (s.ok()) {
    ++metrics_.groups_committed;
    metrics_.events_committed += next_seq_ - g.first_seq;
    if (on_durable) on_durable(*g.events);
    ApplyPending(g);
    return s;
  }
  // Nothing of this group is durable: its events and seqs are forgotten.
  ++metrics_.commit_failures;
  g.pending.reset();
  g.events->resize(g.first_event);
  next_seq_ = g.first_seq;
  return s;
}

std::vector<v1::CtlReply> Core::ExecuteGroup(const std::vector<const v1::CtlRequest*>& requests,
                                             std::vector<CommittedEvent>* events,
                                             const DurableFn& on_durable) {
  GroupCtx g = BeginGroup(events);
  const uint64_t saved_audit = next_audit_seq_;
  const TimePoint saved_sim = sim_ ? sim_->Now() : TimePoint{};

  std::vector<v1::CtlReply> replies(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) Execute(*requests[i], &replies[i], g);
  if (g.batch.count() == 0) {
    ApplyPending(g);  // an unchanged update stages nothing but is harmless to apply
    return replies;
  }

  Status s = CommitGroup(g, on_durable);
  if (s.ok()) return replies;
  // Say so to every caller in the group, and rebuild memory (queries of the
  // group may have seen the lost changes).
  spdlog::error("commit of {} commands failed, group refused: {}", requests.size(), s.ToString());
  next_audit_seq_ = saved_audit;
  if (sim_) sim_->Set(saved_sim);
  if (Status r = LoadRecords(); !r.ok()) {
    // Memory no longer matches disk and cannot be rebuilt: stop loudly.
    spdlog::critical("cannot reload state after a failed commit: {}", r.ToString());
    std::abort();
  }
  for (auto& reply : replies) {
    std::string id = reply.request_id();
    reply.Clear();
    reply.set_request_id(id);
    SetError(Status::Unavailable("storage write failed; nothing was applied: " + s.message()),
             reply.mutable_error());
  }
  return replies;
}

void Core::Execute(const v1::CtlRequest& req, v1::CtlReply* reply, GroupCtx& g) {
  using R = v1::CtlRequest;
  ApplyPending(g);  // this request sees every earlier one of the group
  reply->set_request_id(req.request_id());
  const std::string actor = ActorOf(req.client());
  Status st;
  switch (req.command_case()) {
    case R::kStatus:
    case R::kClockShow:
    case R::kCenterShow:
    case R::kCenterList:
    case R::kStaffShow:
    case R::kStaffList:
    case R::kAuditList:
      st = Query(req, reply);
      break;
    case R::kCalendarShow:
    case R::kCalendarStats:
    case R::kCalendarYears:
    case R::kExceptionList:
    case R::kPolicyShow:
    case R::kPolicyList:
      st = CalendarQuery(req, reply);
      break;
    case R::kCoverageShow:
    case R::kCoverageAudit:
      st = CoverageQuery(req, reply);
      break;
    case R::kRotationList:
    case R::kRotaShow:
    case R::kRotaNow:
    case R::kRotaCheck:
    case R::kSwapList:
    case R::kLeaveList:
    case R::kRulesShow:
    case R::kLedger:
      st = RotaQuery(req, reply);
      break;
    case R::kResidentList:
    case R::kServiceList:
    case R::kVisitShow:
    case R::kVisitList:
    case R::kVisitPlan:
    case R::kAppointmentList:
      st = VisitQuery(req, reply);
      break;
    case R::kResidentShow:
      // Personal data: every read is audited, the full record with its purpose.
      st = VisitQuery(req, reply);
      Audit(req, actor, st,
            st.ok() ? fmt::format("read {} of resident {}{}",
                                  req.resident_show().full() ? "the full record" : "the card",
                                  req.resident_show().id(),
                                  req.resident_show().purpose().empty()
                                      ? ""
                                      : " for: " + req.resident_show().purpose())
                    : "",
            *reply, g);
      break;
    case R::kClockAdvance:
    case R::kClockSet: {
      TimePoint before = clock_->Now();
      st = ClockCommand(req, reply, g);
      Audit(req, actor, st,
            st.ok()
                ? fmt::format("clock {} -> {}", FormatIsoTime(before), FormatIsoTime(clock_->Now()))
                : "",
            *reply, g);
      break;
    }
    case R::kImportBegin:
    case R::kImportRows:
    case R::kImportAbort:
      st = ImportCommand(req, reply);
      break;
    case R::kBackupCreate:
      st = Backup(req.backup_create(), reply);
      Audit(req, actor, st, st.ok() ? "backup to " + req.backup_create().dir() : "", *reply, g);
      break;
    case R::kCenterAdd:
    case R::kCenterUpdate:
    case R::kCenterRemove:
    case R::kStaffAdd:
    case R::kStaffUpdate:
    case R::kStaffRemove:
    case R::kImportCommit:
    case R::kCalendarImport:
    case R::kExceptionAdd:
    case R::kExceptionRemove:
    case R::kPolicySet:
    case R::kPolicyAssign:
    case R::kRotationSet:
    case R::kRotationRemove:
    case R::kRotaGenerate:
    case R::kRotaOverride:
    case R::kRotaPublish:
    case R::kRotaCheckin:
    case R::kSwapRequest:
    case R::kSwapDecide:
    case R::kLeaveAdd:
    case R::kLeaveRemove:
    case R::kRulesSet:
    case R::kResidentAdd:
    case R::kResidentUpdate:
    case R::kResidentRemove:
    case R::kVisitRequest:
    case R::kVisitAssign:
    case R::kVisitAct:
    case R::kResidentImport:
    case R::kResidentChange:
    case R::kAppointmentBook:
    case R::kAppointmentCancel: {
      auto m = Plan(req, reply);
      std::string summary;
      if (m.ok()) {
        summary = m->summary;
        Stage(*m, actor, reply, g);
      }
      st = m.status();
      Audit(req, actor, st, summary, *reply, g);
      break;
    }
    case R::COMMAND_NOT_SET:
      st = Status(Code::kUnimplemented, "this zhiband does not know the command");
      break;
  }
  if (!st.ok()) {
    reply->clear_result();
    SetError(st, reply->mutable_error());
  }
  ++metrics_.commands[{CommandName(req), st.ok() ? "ok" : CodeName(st.code())}];
}

Result<domain::Mutation> Core::Plan(const v1::CtlRequest& req, v1::CtlReply* reply) {
  using R = v1::CtlRequest;
  switch (req.command_case()) {
    case R::kCenterAdd: {
      auto m = domain::AddCenter(state_.network, req.center_add().center());
      if (m.ok()) ZB_RETURN_IF_ERROR(CheckZones(*m));
      if (m.ok()) *reply->mutable_center() = m->centers_put.front();
      return m;
    }
    case R::kCenterUpdate: {
      auto m = domain::UpdateCenter(state_.network, req.center_update());
      if (m.ok()) ZB_RETURN_IF_ERROR(CheckZones(*m));
      if (m.ok()) {
        *reply->mutable_center() =
            m->centers_put.empty() ? *state_.network.FindCenter(req.center_update().center().id())
                                   : m->centers_put.front();
      }
      return m;
    }
    case R::kCenterRemove:
      return domain::RemoveCenter(state_.network, req.center_remove().id());
    case R::kStaffAdd: {
      auto m = domain::AddStaff(state_.network, req.staff_add().staff());
      if (m.ok()) *reply->mutable_staff() = m->staff_put.front();
      return m;
    }
    case R::kStaffUpdate: {
      auto m = domain::UpdateStaff(state_.network, req.staff_update());
      if (m.ok()) {
        *reply->mutable_staff() = m->staff_put.empty()
                                      ? *state_.network.FindStaff(req.staff_update().staff().id())
                                      : m->staff_put.front();
      }
      return m;
    }
    case R::kStaffRemove: {
      auto m = domain::RemoveStaff(state_.network, req.staff_remove().id());
      // A departure: future shifts go to their backups or become gaps.
      if (m.ok()) domain::ReleaseStaff(RotaContext(), req.staff_remove().id(), &*m);
      return m;
    }
    case R::kImportCommit:
      return ImportCommit(req.import_commit(), reply);
    case R::kCalendarImport: {
      const bool replaced = state_.calendar.HasYear(req.calendar_import().year().year());
      auto m = domain::ImportCalendarYear(state_.calendar, req.calendar_import().year());
      if (m.ok()) {
        const auto& y = m->years_put.front();
        auto* out = reply->mutable_calendar_year();
        out->set_year(y.year());
        out->set_replaced(replaced);
        for (const auto& d : y.days()) {
          if (d.off_day())
            out->set_rest_days(out->rest_days() + 1);
          else
            out->set_makeup_workdays(out->makeup_workdays() + 1);
        }
      }
      return m;
    }
    case R::kExceptionAdd: {
      auto m =
          domain::AddException(state_.calendar, state_.network, req.exception_add().exception());
      if (m.ok()) *reply->mutable_exception() = m->exceptions_put.front();
      return m;
    }
    case R::kExceptionRemove:
      return domain::RemoveException(state_.calendar, req.exception_remove().id());
    case R::kPolicySet: {
      const auto& q = req.policy_set();
      auto parsed = domain::ParsePolicyToml(q.toml(), q.source());
      if (!parsed.ok()) return parsed.status();
      const std::string name = parsed->name();
      auto m = domain::SetPolicy(state_.policies, std::move(*parsed),
                                 q.effective_from().empty() ? Today() : q.effective_from());
      if (m.ok()) {
        // Unchanged: the reply names the version already in place.
        *reply->mutable_policy() =
            m->policies_put.empty() ? *state_.policies.Find(name) : m->policies_put.front();
        reply->mutable_policy()->clear_toml();
      }
      return m;
    }
    case R::kPolicyAssign: {
      v1::PolicyAssignment a = req.policy_assign().assignment();
      if (a.from().empty()) a.set_from(Today());
      auto m = domain::AssignPolicy(state_.policies, state_.network, a);
      if (m.ok()) *reply->mutable_assignment() = a;
      return m;
    }
    case R::kResidentAdd:
    case R::kResidentUpdate:
    case R::kResidentRemove:
    case R::kResidentImport:
    case R::kResidentChange:
    case R::kVisitRequest:
    case R::kVisitAssign:
    case R::kVisitAct:
    case R::kAppointmentBook:
    case R::kAppointmentCancel:
      return PlanVisit(req, reply);
    default:
      return PlanRota(req, reply);
  }
}

namespace {

// Serializes `e`, whose body lacks its record (field 1 of every record-event
// body), with `record` spliced in as that field. The bytes are exactly what
// SerializeAsString() would give with the record set: header fields (1-6)
// come before the body (field >= 100), and in the body field 1 comes first.
// Consumes `e`'s body.
void SerializeWithRecord(v1::Event& e, std::string_view record, std::string* out) {
  static const auto* oneof = v1::Event::descriptor()->FindOneofByName("body");
  const auto* refl = e.GetReflection();
  const auto* field = refl->GetOneofFieldDescriptor(e, oneof);
  std::string body;
  body.reserve(record.size() + 64);
  wire::AppendLengthDelimited(body, 1, record);
  refl->GetMessage(e, field).AppendToString(&body);
  const auto number = static_cast<uint32_t>(field->number());
  e.clear_body();
  out->clear();
  e.AppendToString(out);
  wire::AppendLengthDelimited(*out, number, body);
}

}  // namespace

void Core::Stage(domain::Mutation& m, const std::string& actor, v1::CtlReply* reply, GroupCtx& g) {
  using Kind = domain::BodyRecord::Kind;
  for (const auto& id : m.centers_deleted) g.batch.Delete(Family::kCenters, id);
  for (const auto& id : m.staff_deleted) g.batch.Delete(Family::kStaff, id);
  // Each record is serialized once: for its family and for its event's body.
  std::vector<std::string> center_bytes(m.centers_put.size()), staff_bytes(m.staff_put.size());
  for (size_t i = 0; i < m.centers_put.size(); ++i) {
    m.centers_put[i].SerializeToString(&center_bytes[i]);
    g.batch.Put(Family::kCenters, m.centers_put[i].id(), center_bytes[i]);
  }
  for (size_t i = 0; i < m.staff_put.size(); ++i) {
    m.staff_put[i].SerializeToString(&staff_bytes[i]);
    g.batch.Put(Family::kStaff, m.staff_put[i].id(), staff_bytes[i]);
  }
  for (const auto& id : m.exceptions_deleted) g.batch.Delete(Family::kExceptions, id);
  for (const auto& y : m.years_put) {
    g.batch.Put(Family::kCalendar, std::to_string(y.year()), y.SerializeAsString());
  }
  for (const auto& e : m.exceptions_put)
    g.batch.Put(Family::kExceptions, e.id(), e.SerializeAsString());
  for (const auto& p : m.policies_put)
    g.batch.Put(Family::kPolicies, PolicyKey(p), p.SerializeAsString());
  for (const auto& a : m.assignments_put) {
    g.batch.Put(Family::kAssignments, AssignmentKey(a), a.SerializeAsString());
  }
  for (const auto& id : m.shifts_deleted) g.batch.Delete(Family::kShifts, id);
  for (const auto& id : m.rotations_deleted) g.batch.Delete(Family::kRotations, id);
  for (const auto& id : m.leave_deleted) g.batch.Delete(Family::kLeave, id);
  for (const auto& x : m.shifts_put) g.batch.Put(Family::kShifts, x.id(), x.SerializeAsString());
  for (const auto& x : m.rotations_put)
    g.batch.Put(Family::kRotations, x.id(), x.SerializeAsString());
  for (const auto& x : m.leave_put) g.batch.Put(Family::kLeave, x.id(), x.SerializeAsString());
  for (const auto& x : m.swaps_put) g.batch.Put(Family::kSwaps, x.id(), x.SerializeAsString());
  for (const auto& x : m.rules_put) g.batch.Put(Family::kRota, kRulesKey, x.SerializeAsString());
  for (const auto& x : m.months_put) g.batch.Put(Family::kRota, MonthKey(x), x.SerializeAsString());
  for (const auto& id : m.residents_deleted) g.batch.Delete(Family::kResidents, id);
  for (const auto& x : m.residents_put)
    g.batch.Put(Family::kResidents, x.id(), x.SerializeAsString());
  for (const auto& x : m.visits_put) g.batch.Put(Family::kVisits, x.id(), x.SerializeAsString());
  for (const auto& x : m.appointments_put)
    g.batch.Put(Family::kAppointments, x.id(), x.SerializeAsString());
  const auto ts = ToProto(clock_->Now());
  const uint64_t first = next_seq_;
  g.events->reserve(g.events->size() + m.events.size());
  for (size_t i = 0; i < m.events.size(); ++i) {
    v1::Event& e = m.events[i];
    const uint64_t seq = next_seq_++;
    e.set_seq(seq);
    e.set_id(fmt::format("{}-{}", instance_id_, seq));
    *e.mutable_time() = ts;
    e.set_actor(actor);
    CommittedEvent out{seq, e.topic(), {}};
    const auto& ref = m.body_records[i];
    if (ref.kind == Kind::kCenter) {
      SerializeWithRecord(e, center_bytes[ref.index], &out.bytes);
    } else if (ref.kind == Kind::kStaff) {
      SerializeWithRecord(e, staff_bytes[ref.index], &out.bytes);
    } else {
      e.SerializeToString(&out.bytes);
    }
    g.batch.Put(Family::kEvents, storage::EncodeSeqKey(seq), out.bytes);
    g.events->push_back(std::move(out));
  }
  if (!m.events.empty() && reply) {
    reply->set_first_seq(first);
    reply->set_event_count(static_cast<uint32_t>(m.events.size()));
  }
  g.pending = std::move(m);
}

void Core::Audit(const v1::CtlRequest& req, const std::string& actor, const Status& status,
                 const std::string& summary, const v1::CtlReply& reply, GroupCtx& g) {
  v1::AuditRecord a;
  const uint64_t seq = next_audit_seq_++;
  a.set_seq(seq);
  *a.mutable_time() = ToProto(clock_->Now());
  a.set_actor(actor);
  a.set_command(CommandName(req));
  a.set_target(TargetOf(req));
  a.set_code(ToProtoCode(status.code()));
  if (status.ok()) {
    a.set_message(summary);
  } else {
    a.set_message(status.field().empty() ? status.message()
                                         : status.field() + ": " + status.message());
  }
  a.set_first_event_seq(reply.first_seq());
  a.set_event_count(reply.event_count());
  g.batch.Put(Family::kAudit, storage::EncodeSeqKey(seq), a.SerializeAsString());
}

Status Core::Query(const v1::CtlRequest& req, v1::CtlReply* reply) {
  using R = v1::CtlRequest;
  switch (req.command_case()) {
    case R::kStatus: {
      auto* s = reply->mutable_status();
      s->set_version(options_.version);
      s->set_instance_id(instance_id_);
      *s->mutable_started() = ToProto(started_);
      s->set_uptime_seconds(
          static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                    std::chrono::steady_clock::now() - started_steady_)
                                    .count()));
      s->set_last_seq(last_seq());
      s->set_clock_mode(sim_ ? v1::SIMULATED : v1::REAL);
      *s->mutable_now() = ToProto(clock_->Now());
      s->set_storage_bytes(store_->TotalLiveBytes());
      s->set_data_dir(store_->dir());
      s->set_centers(static_cast<uint32_t>(state_.network.centers().size()));
      s->set_staff(static_cast<uint32_t>(state_.network.staff().size()));
      s->set_schema_version(storage::kSchemaVersion);
      return {};
    }
    case R::kClockShow:
      reply->mutable_clock()->set_mode(sim_ ? v1::SIMULATED : v1::REAL);
      *reply->mutable_clock()->mutable_now() = ToProto(clock_->Now());
      return {};
    case R::kCenterShow: {
      const auto* c = state_.network.FindCenter(req.center_show().id());
      if (!c) {
        return Status::NotFound(
            "id", fmt::format("center \"{}\" does not exist", req.center_show().id()));
      }
      *reply->mutable_center() = *c;
      return {};
    }
    case R::kCenterList: {
      const auto& q = req.center_list();
      auto* out = reply->mutable_center_list();
      std::string next;
      uint32_t total = 0;
      Page(
          state_.network.centers(), q.after_id(), ListLimit(q.limit(), kDefaultListLimit),
          [&](const v1::Center& c) {
            return q.parent_id().empty() || c.parent_id() == q.parent_id();
          },
          [&](const v1::Center& c) { *out->add_centers() = c; }, &next, &total);
      out->set_next_after_id(next);
      out->set_total(total);
      return {};
    }
    case R::kStaffShow: {
      const auto* s = state_.network.FindStaff(req.staff_show().id());
      if (!s) {
        return Status::NotFound("id",
                                fmt::format("staff \"{}\" does not exist", req.staff_show().id()));
      }
      *reply->mutable_staff() = *s;
      return {};
    }
    case R::kStaffList: {
      const auto& q = req.staff_list();
      if (!v1::Role_IsValid(q.role())) {
        return Status::InvalidArgument("role", fmt::format("unknown role value {}", int(q.role())));
      }
      auto* out = reply->mutable_staff_list();
      std::string next;
      uint32_t total = 0;
      auto pred = [&](const v1::Staff& s) {
        if (!q.center_id().empty() && s.center_id() != q.center_id()) return false;
        if (q.role() != v1::ROLE_UNSPECIFIED &&
            std::find(s.roles().begin(), s.roles().end(), q.role()) == s.roles().end()) {
          return false;
        }
        if (!q.skill().empty() &&
            std::find(s.skills().begin(), s.skills().end(), q.skill()) == s.skills().end()) {
          return false;
        }
        return true;
      };
      Page(
          state_.network.staff(), q.after_id(), ListLimit(q.limit(), kDefaultListLimit), pred,
          [&](const v1::Staff& s) { *out->add_staff() = s; }, &next, &total);
      out->set_next_after_id(next);
      out->set_total(total);
      return {};
    }
    case R::kAuditList: {
      const auto& q = req.audit_list();
      const uint32_t limit = ListLimit(q.limit(), kDefaultAuditLimit);
      auto* out = reply->mutable_audit_list();
      Status bad;
      std::string before = q.before_seq() ? storage::EncodeSeqKey(q.before_seq()) : std::string();
      ZB_RETURN_IF_ERROR(
          store_->ScanReverse(Family::kAudit, before, [&](std::string_view, std::string_view v) {
            v1::AuditRecord a;
            if (!a.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
              bad = Status::Internal("a stored audit record does not parse");
              return false;
            }
            if (q.actor().empty() || a.actor() == q.actor()) *out->add_records() = std::move(a);
            return static_cast<uint32_t>(out->records_size()) < limit;
          }));
      return bad;
    }
    default:
      return Status::Internal("not a query");
  }
}

namespace {

// Parses an ISO date field of a request.
Result<Date> DateField(const std::string& text, const char* field) {
  auto d = ParseDate(text);
  if (!d.ok()) return Status::InvalidArgument(field, d.status().message());
  return d;
}

Status CheckRange(Date from, Date to, int max_days) {
  const int days = DayNumber(to) - DayNumber(from);
  if (days < 0) return Status::InvalidArgument("to", "is before from");
  if (days > max_days) {
    return Status::InvalidArgument("to", fmt::format("a range is at most {} days", max_days + 1));
  }
  return {};
}

}  // namespace

Status Core::CalendarQuery(const v1::CtlRequest& req, v1::CtlReply* reply) {
  using R = v1::CtlRequest;
  const auto& cal = state_.calendar;
  switch (req.command_case()) {
    case R::kCalendarShow: {
      const auto& q = req.calendar_show();
      auto from = DateField(q.from(), "from");
      if (!from.ok()) return from.status();
      auto to = q.to().empty() ? from : DateField(q.to(), "to");
      if (!to.ok()) return to.status();
      ZB_RETURN_IF_ERROR(CheckRange(*from, *to, 3660));
      if (!q.center_id().empty() && !state_.network.FindCenter(q.center_id())) {
        return Status::NotFound("center_id",
                                fmt::format("center \"{}\" does not exist", q.center_id()));
      }
      if (auto missing = cal.MissingYears(*from, *to); !missing.empty()) {
        return Status::FailedPrecondition(fmt::format(
            "no national calendar is loaded for {}; day types there are unknown. Load the State "
            "Council notice with `zhibanctl calendar import <year>.json`",
            fmt::join(missing, ", ")));
      }
      auto* out = reply->mutable_calendar_show();
      for (int32_t n = DayNumber(*from); n <= DayNumber(*to); ++n) {
        auto day = cal.Day(FromDayNumber(n), q.center_id());
        if (!day.ok()) return day.status();
        *out->add_days() = std::move(*day);
      }
      return {};
    }
    case R::kCalendarStats: {
      auto stats = domain::YearStats(cal, req.calendar_stats().year());
      if (!stats.ok()) return stats.status();
      *reply->mutable_calendar_stats() = std::move(*stats);
      return {};
    }
    case R::kCalendarYears: {
      for (const auto& [year, y] : cal.years()) {
        auto* out = reply->mutable_calendar_years()->add_years();
        out->set_year(year);
        *out->mutable_papers() = y.papers();
        out->set_source(y.source());
      }
      return {};
    }
    case R::kExceptionList: {
      const auto& center = req.exception_list().center_id();
      for (const auto& [id, e] : cal.exceptions()) {
        if (center.empty() || e.center_id() == center) {
          *reply->mutable_exception_list()->add_exceptions() = e;
        }
      }
      return {};
    }
    case R::kPolicyShow: {
      const auto& q = req.policy_show();
      const auto* p = state_.policies.Find(q.name(), q.version());
      if (!p) {
        return Status::NotFound(
            "name", q.version()
                        ? fmt::format("policy \"{}\" has no version {}", q.name(), q.version())
                        : fmt::format("policy \"{}\" does not exist", q.name()));
      }
      *reply->mutable_policy() = *p;
      return {};
    }
    case R::kPolicyList: {
      auto* out = reply->mutable_policy_list();
      for (const auto& [name, versions] : state_.policies.policies()) {
        for (const auto& p : versions) {
          auto* x = out->add_policies();
          *x = p;
          x->clear_toml();
          x->clear_days();
        }
      }
      for (const auto& [center, list] : state_.policies.assignments()) {
        for (const auto& a : list) *out->add_assignments() = a;
      }
      return {};
    }
    default:
      return Status::Internal("not a calendar query");
  }
}

Status Core::CoverageQuery(const v1::CtlRequest& req, v1::CtlReply* reply) {
  if (req.has_coverage_audit()) {
    auto audit = domain::AuditCoverage(state_.calendar, state_.policies, state_.network,
                                       req.coverage_audit().year());
    if (!audit.ok()) return audit.status();
    *reply->mutable_coverage_audit() = std::move(*audit);
    return {};
  }
  const auto& q = req.coverage_show();
  auto from = DateField(q.from(), "from");
  if (!from.ok()) return from.status();
  auto to = q.to().empty() ? from : DateField(q.to(), "to");
  if (!to.ok()) return to.status();
  ZB_RETURN_IF_ERROR(CheckRange(*from, *to, 365));
  std::vector<domain::Slot> slots;
  ZB_RETURN_IF_ERROR(domain::ExpandCoverage(state_.calendar, state_.policies, state_.network,
                                            zones_, q.center_id(), *from, *to, &slots, nullptr));
  auto* out = reply->mutable_coverage_show();
  out->mutable_windows()->Reserve(static_cast<int>(slots.size()));
  for (const auto& s : slots) *out->add_windows() = domain::ToRequiredWindow(q.center_id(), s);
  return {};
}

Status Core::ClockCommand(const v1::CtlRequest& req, v1::CtlReply* reply, GroupCtx& g) {
  if (!sim_) {
    return Status::FailedPrecondition(
        "zhiband runs on the real clock; only a daemon started with "
        "--clock simulated:<ISO time> can have its time moved");
  }
  const TimePoint now = sim_->Now();
  TimePoint target;
  if (req.has_clock_advance()) {
    const auto& by = req.clock_advance().by();
    if (!(by.seconds() >= -315576000000 && by.seconds() <= 315576000000 &&
          by.nanos() > -1000000000 && by.nanos() < 1000000000)) {
      return Status::InvalidArgument("by", "is not a valid duration");
    }
    int64_t us = TimeUtil::DurationToMicroseconds(by);
    if (us <= 0) return Status::InvalidArgument("by", "must be positive; time only moves forward");
    if (us > int64_t(3660) * 86400 * 1000000) {
      return Status::InvalidArgument("by", "is more than ten years");
    }
    target = now + Micros(us);
  } else {
    const auto& to = req.clock_set().to();
    if (!(to.seconds() >= -62135596800 && to.seconds() <= 253402300799 && to.nanos() >= 0 &&
          to.nanos() < 1000000000))
      return Status::InvalidArgument("to", "is not a valid time");
    target = TimePoint(Micros(TimeUtil::TimestampToMicroseconds(to)));
    if (target < now) {
      return Status::InvalidArgument(
          "to", fmt::format("{} is before the simulated now ({}); time only moves forward",
                            FormatIsoTime(target), FormatIsoTime(now)));
    }
  }
  sim_->Set(target);
  g.batch.Put(Family::kMeta, kSimClockKey, std::to_string(target.time_since_epoch().count()));
  reply->mutable_clock()->set_mode(v1::SIMULATED);
  *reply->mutable_clock()->mutable_now() = ToProto(target);
  return {};
}

Status Core::ImportCommand(const v1::CtlRequest& req, v1::CtlReply* reply) {
  auto now = std::chrono::steady_clock::now();
  if (req.has_import_begin()) {
    const auto& b = req.import_begin();
    if (b.kind() != v1::CENTERS && b.kind() != v1::STAFF) {
      return Status::InvalidArgument("kind", "must be CENTERS or STAFF");
    }
    if (imports_.size() >= options_.max_open_imports) {
      return Status::ResourceExhausted(fmt::format(
          "{} imports are already open (the limit); commit or abort one, or wait for it to expire",
          imports_.size()));
    }
    auto s = std::make_unique<ImportSession>();
    s->id = fmt::format("import-{}-{}", instance_id_, ++import_counter_);
    s->kind = b.kind();
    s->source = b.source();
    s->last_used = now;
    reply->mutable_import()->set_import_id(s->id);
    imports_.emplace(s->id, std::move(s));
    return {};
  }
  const std::string& id =
      req.has_import_rows() ? req.import_rows().import_id() : req.import_abort().import_id();
  auto it = imports_.find(id);
  if (it == imports_.end()) {
    return Status::NotFound(
        "import_id",
        fmt::format("import \"{}\" is not open (committed, aborted, or idle for more than {}s)", id,
                    options_.import_idle_timeout.count()));
  }
  ImportSession& s = *it->second;
  if (req.has_import_abort()) {
    reply->mutable_import()->set_import_id(id);
    reply->mutable_import()->set_rows(static_cast<uint32_t>(s.rows()));
    imports_.erase(it);
    return {};
  }
  const auto& r = req.import_rows();
  if ((s.kind == v1::CENTERS && r.staff_size() > 0) ||
      (s.kind == v1::STAFF && r.centers_size() > 0)) {
    return Status::InvalidArgument(
        "", fmt::format("import \"{}\" is a {} import; the chunk carries other records", id,
                        v1::ImportKind_Name(s.kind)));
  }
  const size_t incoming = static_cast<size_t>(r.centers_size() + r.staff_size());
  if (s.rows() + incoming > options_.max_import_rows) {
    return Status::ResourceExhausted(
        fmt::format("an import holds at most {} rows", options_.max_import_rows));
  }
  if (r.row_numbers_size() != 0 && static_cast<size_t>(r.row_numbers_size()) != incoming) {
    return Status::InvalidArgument("row_numbers", fmt::format("has {} entries for {} records",
                                                              r.row_numbers_size(), incoming));
  }
  size_t k = 0;
  auto row_of = [&] {
    const size_t i = k++;
    return r.row_numbers_size() ? r.row_numbers(static_cast<int>(i))
                                : static_cast<uint32_t>(s.rows() + 2);
  };
  for (const auto& c : r.centers()) s.centers.push_back({row_of(), c});
  for (const auto& st : r.staff()) s.staff.push_back({row_of(), st});
  s.last_used = now;
  reply->mutable_import()->set_import_id(id);
  reply->mutable_import()->set_rows(static_cast<uint32_t>(s.rows()));
  return {};
}

Result<domain::Mutation> Core::ImportCommit(const v1::ImportCommitRequest& req,
                                            v1::CtlReply* reply) {
  auto it = imports_.find(req.import_id());
  if (it == imports_.end()) {
    return Status::NotFound("import_id", fmt::format("import \"{}\" is not open", req.import_id()));
  }
  std::unique_ptr<ImportSession> s = std::move(it->second);
  imports_.erase(it);  // a commit closes the session whatever its outcome
  domain::ImportCounts counts;
  domain::ImportErrors errors;
  const size_t rows = s->rows();
  // Time zones are checked against the tz database here, by row, with the rest.
  for (const auto& r : s->centers) {
    if (Status z = zones_.Check(r.record.time_zone()); !z.ok()) {
      errors.Add(r.row, "time_zone", z.message());
    }
  }
  auto m = s->kind == v1::CENTERS
               ? domain::ImportCenters(state_.network, std::move(s->centers), &counts, &errors)
               : domain::ImportStaff(state_.network, std::move(s->staff), &counts, &errors);
  if (!m.ok()) {
    auto* e = reply->mutable_error();
    for (auto& re : errors.errors) *e->add_row_errors() = std::move(re);
    e->set_row_error_count(errors.total);
    return m.status();
  }
  auto* out = reply->mutable_import();
  out->set_import_id(s->id);
  out->set_rows(static_cast<uint32_t>(rows));
  out->set_added(counts.added);
  out->set_updated(counts.updated);
  out->set_unchanged(counts.unchanged);
  if (req.dry_run()) {
    domain::Mutation none;
    none.summary = "dry run of " + m->summary;
    return none;
  }
  out->set_committed(true);
  if (!s->source.empty()) m->summary += " from " + s->source;
  return m;
}

// The domain checks a zone's spelling; whether the tz database knows it is
// checked here, where the database is.
Status Core::CheckZones(const domain::Mutation& m) const {
  for (const auto& c : m.centers_put) {
    if (Status z = zones_.Check(c.time_zone()); !z.ok()) {
      return Status::InvalidArgument("center.time_zone", z.message());
    }
  }
  return {};
}

Status Core::Backup(const v1::BackupCreateRequest& req, v1::CtlReply* reply) {
  const std::string& dir = req.dir();
  if (dir.empty() || dir.front() != '/') {
    return Status::InvalidArgument("dir", "must be an absolute path on the daemon's machine");
  }
  if (std::filesystem::exists(dir)) {
    return Status::AlreadyExists("dir", fmt::format("{} already exists", dir));
  }
  // Everything acknowledged so far is in the checkpoint: the core is the only
  // writer and runs this between groups.
  const uint64_t last = last_seq();
  ZB_RETURN_IF_ERROR(store_->Checkpoint(dir));
  reply->mutable_backup()->set_dir(dir);
  reply->mutable_backup()->set_last_seq(last);
  spdlog::info("backup of seq 1..{} written to {}", last, dir);
  return {};
}

void Core::ExpireImports(std::chrono::steady_clock::time_point now) {
  for (auto it = imports_.begin(); it != imports_.end();) {
    if (now - it->second->last_used > options_.import_idle_timeout) {
      spdlog::info("import {} expired after {}s idle ({} rows dropped)", it->first,
                   options_.import_idle_timeout.count(), it->second->rows());
      ++metrics_.imports_expired;
      it = imports_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace zhiban::core

namespace zhiban::core {

domain::RotaCtx Core::RotaContext(const std::string& actor) const {
  return domain::RotaCtx{state_, zones_, clock_->Now(), actor};
}

size_t Core::FireTimers(std::vector<CommittedEvent>* events, const DurableFn& on_durable) {
  const int64_t now = clock_->Now().time_since_epoch().count() / 1000000;
  const auto& shift_timers = state_.rota.timers();
  const auto& visit_timers = state_.visits.timers();
  const bool shifts_due = !shift_timers.empty() && shift_timers.begin()->due <= now;
  const bool visits_due = !visit_timers.empty() && visit_timers.begin()->due <= now;
  if (!shifts_due && !visits_due) return 0;
  domain::Mutation m;
  if (shifts_due) m = domain::FireTimers(RotaContext(), options_.timer_batch);
  if (visits_due && m.shifts_put.size() < options_.timer_batch) {
    // Visit deadlines see the rota as it is; both go in one group.
    domain::Mutation v =
        domain::FireVisitTimers(RotaContext(), options_.timer_batch - m.shifts_put.size());
    m.Append(std::move(v));
  }
  const size_t fired = m.events.size(),
               touched = m.shifts_put.size() + m.visits_put.size() + m.residents_put.size();
  if (touched == 0) return 0;
  GroupCtx g = BeginGroup(events);
  Stage(m, "", nullptr, g);  // no request: not audited
  if (Status s = CommitGroup(g, on_durable); !s.ok()) {
    spdlog::error("commit of fired timers failed (they fire again on the next tick): {}",
                  s.ToString());
    return 0;
  }
  metrics_.timers_fired += fired;
  return touched;
}

}  // namespace zhiban::core
