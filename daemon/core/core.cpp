#include "daemon/core/core.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include "daemon/base/number.h"
#include "daemon/base/time_util.h"
#include "daemon/base/wire.h"
#include "daemon/core/command_util.h"
#include "daemon/core/ctl_codec.h"
#include "daemon/core/personal_data.h"
#include "daemon/domain/records.h"

namespace zhiban::core {

using storage::Family;

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
      imports_(ImportLimits{options_.max_import_rows, options_.max_open_imports,
                            options_.import_idle_timeout, options_.max_import_session_bytes,
                            options_.max_import_total_bytes},
               ""),
      commands_(Commands()) {
  info_.version = options_.version;
  info_.started = RealClock().Now();
  info_.started_steady = std::chrono::steady_clock::now();
  state_.rota.SetOptions(options_.rota);
  state_.visits.SetOptions(options_.visits);
}

Core::~Core() = default;

Status Core::Load() {
  ZB_ASSIGN_OR_RETURN(auto id, store_->Get(Family::kMeta, storage::meta::kInstanceId));
  if (id.has_value()) {
    info_.instance_id = *id;
  } else {
    std::random_device rd;
    info_.instance_id = fmt::format("{:08x}", rd());
    storage::WriteBatch b = store_->NewBatch();
    b.Put(Family::kMeta, storage::meta::kInstanceId, info_.instance_id);
    ZB_RETURN_IF_ERROR(store_->Commit(b));
  }
  imports_.set_instance_id(info_.instance_id);
  if (sim_) {
    ZB_ASSIGN_OR_RETURN(auto stored, store_->Get(Family::kMeta, storage::meta::kSimClock));
    if (stored.has_value()) {
      auto micros = ParseNumber<int64_t>(*stored, "meta sim_clock");
      if (!micros.ok()) {
        return Status::FailedPrecondition(fmt::format(
            "the data dir's simulated clock is damaged: {}", micros.status().ToString()));
      }
      TimePoint t{Micros(*micros)};
      if (!CheckTimeRange(*micros / 1000000, "meta sim_clock").ok()) {
        // Recorded by an older zhiband that let any time in: ignored, so a
        // start never ends on it.
        spdlog::warn(
            "the data dir's simulated clock ({} µs since 1970) is outside the times zhiband "
            "accepts; starting from {} instead",
            *micros, FormatIsoTime(sim_->Now()));
      } else if (t > sim_->Now()) {
        spdlog::info("simulated clock resumes at {} (recorded in the data dir)", FormatIsoTime(t));
        sim_->Set(t);
      }
    }
  }
  ZB_ASSIGN_OR_RETURN(auto last, store_->LastKey(Family::kEvents));
  next_seq_ = last.has_value() ? storage::DecodeSeqKey(*last) + 1 : 1;
  ZB_ASSIGN_OR_RETURN(auto last_audit, store_->LastKey(Family::kAudit));
  next_audit_seq_ = last_audit.has_value() ? storage::DecodeSeqKey(*last_audit) + 1 : 1;
  const uint64_t stored = next_seq_ - 1;
  std::string repaired;
  ZB_ASSIGN_OR_RETURN(auto kept, store_->Get(Family::kMeta, storage::meta::kAckedSeqKept));
  ZB_ASSIGN_OR_RETURN(auto acked,
                      storage::AckedSeq::Open(store_->dir(), stored, kept.has_value(), &repaired));
  if (!repaired.empty()) spdlog::warn("{}", repaired);
  acked_ = std::move(acked);
  if (acked_->value() > stored && !options_.accept_lost_events) {
    return Status::FailedPrecondition(fmt::format(
        "the store holds events up to seq {} but zhiband acknowledged up to seq {}: events "
        "{}..{} are lost (a damaged or truncated WAL?); nothing was changed. Restore the newest "
        "backup (docs/OPERATIONS.md, \"Lost events\"), or start once with --accept-lost-events "
        "to go on after seq {}, recording {}..{} as lost for every subscriber (events.lost)",
        stored, acked_->value(), stored + 1, acked_->value(), acked_->value(), stored + 1,
        acked_->value()));
  }
  if (!kept.has_value()) {
    // From now on both copies missing means someone removed them: the mark
    // goes to an SST at once, where a damaged WAL cannot take it.
    storage::WriteBatch b = store_->NewBatch();
    b.Put(Family::kMeta, storage::meta::kAckedSeqKept, "1");
    ZB_RETURN_IF_ERROR(store_->Commit(b));
    ZB_RETURN_IF_ERROR(store_->Flush(Family::kMeta));
  }
  ZB_RETURN_IF_ERROR(LoadRecords());
  ZB_RETURN_IF_ERROR(SealPlaintext());
  if (acked_->value() > stored) return AcceptLostEvents(stored, acked_->value());
  return {};
}

// The operator accepted the loss: the lost seqs are never handed out again.
// One events.lost event after them says which, and an audit record says who
// decided (the daemon, started with the flag).
Status Core::AcceptLostEvents(uint64_t stored, uint64_t acked) {
  spdlog::warn("events {}..{} are lost; going on after seq {} (--accept-lost-events)", stored + 1,
               acked, acked);
  next_seq_ = acked + 1;
  domain::Mutation m;
  v1::Event e;
  auto* lost = e.mutable_events_lost();
  lost->set_first_seq(stored + 1);
  lost->set_last_seq(acked);
  lost->set_reason("the store held fewer events than were acknowledged (damaged WAL?)");
  m.Emit(std::move(e));
  std::vector<CommittedEvent> events;  // subscribers get it by replay
  GroupCtx g = BeginGroup(&events);
  Stage(m, "zhiband", nullptr, g);
  v1::AuditRecord a;
  a.set_seq(next_audit_seq_++);
  *a.mutable_time() = ToProto(clock_->Now());
  a.set_actor("zhiband");
  a.set_command("accept_lost_events");
  a.set_target(fmt::format("{}..{}", stored + 1, acked));
  a.set_message(
      fmt::format("started with --accept-lost-events: events {}..{} lost", stored + 1, acked));
  a.set_first_event_seq(acked + 1);
  a.set_event_count(1);
  g.batch.Put(Family::kAudit, storage::EncodeSeqKey(a.seq()), a.SerializeAsString());
  return CommitGroup(g, {});
}

void Core::TryResume() {
  if (storage_error_.empty()) return;
  const uint64_t reopens = store_->reopens();
  if (Status s = store_->Resume(); !s.ok()) {
    spdlog::debug("{}", s.ToString());
    return;
  }
  if (store_->reopens() == reopens) return;
  // RocksDB was opened again and recovered what its WAL held: the newest
  // event must be the last one acknowledged, or a refused write survived in
  // the WAL and this process's state no longer matches the store. A start
  // loads the store as it is (as after kill -9): exit for the supervisor.
  // The same of the audit log: a refused group of failed commands alone
  // (audit rows, no event) must not survive either.
  for (auto [family, expect] : {std::pair{Family::kEvents, next_seq_ - 1},
                                std::pair{Family::kAudit, next_audit_seq_ - 1}}) {
    auto last = store_->LastKey(family);
    std::string found;
    if (!last.ok()) {
      found = "an unreadable log (" + last.status().ToString() + ")";
    } else {
      const uint64_t stored = last->has_value() ? storage::DecodeSeqKey(**last) : 0;
      if (stored == expect) continue;
      found = fmt::format("seq {}", stored);
    }
    spdlog::critical(
        "RocksDB reopened after a fatal error holds {} up to {} where the last acknowledged is "
        "{}; exiting so that the next start loads the store as it is",
        storage::FamilyName(family), found, expect);
    spdlog::shutdown();
    std::_Exit(75);
  }
  spdlog::warn("RocksDB reopened after a fatal error ({}); every acknowledged event is there",
               storage_error_);
}

void Core::SyncAcked() {
  if (!acked_) return;
  if (Status s = acked_->Sync(); !s.ok()) spdlog::error("{}", s.ToString());
}

namespace {

// The storage family of each kind of record, in the record list's order
// (domain/records.h names them; a name storage does not know is a
// programming error found at the first use).
const std::vector<Family>& RecordFamilies() {
  static const std::vector<Family> families = [] {
    std::vector<Family> out;
    domain::ForEachRecordKind([&](const auto& kind) {
      auto f = storage::FamilyNamed(kind.family);
      if (!f) {
        spdlog::critical("record kind {} names an unknown family {}", kind.name, kind.family);
        std::abort();
      }
      out.push_back(*f);
    });
    return out;
  }();
  return families;
}

}  // namespace

Status Core::LoadRecords() {
  state_.Clear();
  const auto& families = RecordFamilies();
  size_t k = 0;
  Status bad;
  domain::ForEachRecordKind([&](const auto& kind) {
    using Msg = typename std::decay_t<decltype(kind)>::Record;
    const Family f = families[k++];
    if (!bad.ok()) return;
    bool dropped = false;  // an erased resident's record, left sealed (OpenRecord)
    auto OpenRecord = [&](Msg& m, const std::string& key) -> Status {
      if constexpr (std::is_same_v<Msg, v1::Resident> || std::is_same_v<Msg, v1::Visit>) {
        constexpr bool kResident = std::is_same_v<Msg, v1::Resident>;
        auto* pd = options_.personal_data;
        if (!pd) {
          if (m.sealed().empty()) return {};
          return Status::FailedPrecondition(
              fmt::format("{}.sealed", kind.name),
              fmt::format("stored {} \"{}\" is encrypted and this zhiband has no key store",
                          kind.name, key));
        }
        ZB_ASSIGN_OR_RETURN(auto opened, pd->Open(m));
        if (opened == PersonalData::Opened::kPlaintext) {
          (kResident ? plaintext_residents_ : plaintext_visits_).push_back(key);
        } else if (opened == PersonalData::Opened::kErased && kResident) {
          dropped = true;  // restored from a backup older than its erasure
          spdlog::warn(
              "resident \"{}\" was erased; its stored record stays sealed and is not "
              "loaded",
              key);
        }
      } else {
        (void)m;
        (void)key;
      }
      return {};
    };
    Status scan = store_->Scan(f, kind.key_prefix, [&](std::string_view key, std::string_view v) {
      if (!key.starts_with(kind.key_prefix)) return false;  // the next kind's part of the family
      Msg m;
      if (!m.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
        bad = Status::Internal(fmt::format("stored {} record \"{}\" (family {}) does not parse",
                                           kind.name, key, kind.family));
        return false;
      }
      if (Status st = OpenRecord(m, std::string(key)); !st.ok()) {
        bad = st;
        return false;
      }
      if (dropped) {
        dropped = false;
        return true;
      }
      kind.take(state_, std::move(m));
      return true;
    });
    if (bad.ok()) bad = scan;
  });
  return bad;
}

// After a resident erasure's commit: every family flushed (so no WAL file is
// kept for a memtable) and those holding personal data compacted, so the
// erased resident's old versions leave the files. Their content is sealed
// under the deleted key already; this removes even the sealed bytes. It
// runs on the core thread: seconds on a store of millions of events, for a
// command that is rare.
void Core::CompactAfterErasure() {
  auto* pd = options_.personal_data;
  if (!pd || !pd->TakeCompaction()) return;
  for (int f = 0; f < static_cast<int>(Family::kCount); ++f) {
    if (Status st = store_->Flush(Family(f)); !st.ok()) spdlog::warn("{}", st.ToString());
  }
  for (Family f : {Family::kResidents, Family::kVisits, Family::kEvents}) {
    if (Status st = store_->Compact(f); !st.ok()) spdlog::warn("{}", st.ToString());
  }
}

Status Core::SealPlaintext() {
  auto* pd = options_.personal_data;
  if (!pd || (plaintext_residents_.empty() && plaintext_visits_.empty())) return {};
  storage::WriteBatch b = store_->NewBatch();
  std::string bytes;
  for (const auto& id : plaintext_residents_) {
    if (const auto* r = state_.visits.FindResident(id)) {
      pd->Seal(*r, &bytes);
      b.Put(Family::kResidents, id, bytes);
    }
  }
  for (const auto& id : plaintext_visits_) {
    if (const auto* v = state_.visits.FindVisit(id)) {
      pd->Seal(*v, &bytes);
      b.Put(Family::kVisits, id, bytes);
    }
  }
  ZB_RETURN_IF_ERROR(pd->keys().CommitPending());
  ZB_RETURN_IF_ERROR(store_->Commit(b));
  ZB_RETURN_IF_ERROR(store_->Compact(Family::kResidents));
  ZB_RETURN_IF_ERROR(store_->Compact(Family::kVisits));
  spdlog::info(
      "encrypted {} residents and {} visits stored in clear by an earlier zhiband (personal data "
      "at rest, docs/OPERATIONS.md); events and backups written before stay as they were",
      plaintext_residents_.size(), plaintext_visits_.size());
  plaintext_residents_.clear();
  plaintext_visits_.clear();
  return {};
}

std::string Core::Today() const { return TodayAt(zones_, clock_->Now()); }

void Core::CountRejected(const std::string& reason) { ++metrics_.commands[{"invalid", reason}]; }

CommandEnv Core::Env(const std::string& actor, storage::WriteBatch& batch, uint64_t durable_seq) {
  return CommandEnv{state_,  zones_, clock_->Now(), actor,    next_seq_, durable_seq,
                    *store_, batch,  sim_,          imports_, options_,  info_};
}

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
  // Keys before the data sealed under them: a record never lands without its key.
  Status s = options_.personal_data ? options_.personal_data->keys().CommitPending() : Status();
  if (s.ok()) s = store_->Commit(g.batch);
  if (s.ok()) {
    // Before anyone hears of these events: the record never names a seq the
    // WAL had not made durable.
    if (acked_ && next_seq_ > g.first_seq) {
      if (Status r = acked_->Record(next_seq_ - 1); !r.ok()) spdlog::error("{}", r.ToString());
    }
    ++metrics_.groups_committed;
    metrics_.events_committed += next_seq_ - g.first_seq;
    if (!storage_error_.empty()) {
      spdlog::info("storage takes writes again (it refused them: {})", storage_error_);
      storage_error_.clear();
    }
    if (on_durable) on_durable(*g.events);
    ApplyPending(g);
    CompactAfterErasure();
    return s;
  }
  // Nothing of this group is durable: its events and seqs are forgotten.
  ++metrics_.commit_failures;
  storage_error_ = s.message();
  g.pending.reset();
  g.events->resize(g.first_event);
  next_seq_ = g.first_seq;
  return s;
}

std::vector<v1::CtlReply> Core::ExecuteGroup(const std::vector<const v1::CtlRequest*>& requests,
                                             std::vector<CommittedEvent>* events,
                                             const DurableFn& on_durable,
                                             const std::vector<Principal>* who) {
  std::vector<v1::CtlReply> replies(requests.size());
  if (!store_->is_open()) {
    // RocksDB is closed between a failed reopen and the next (Store::Resume):
    // nothing is executed, so nothing reaches memory that the store lacks.
    for (size_t i = 0; i < requests.size(); ++i) {
      replies[i].set_request_id(requests[i]->request_id());
      SetError(
          Status::Unavailable("storage is being reopened; nothing was applied: " + storage_error_),
          replies[i].mutable_error());
    }
    return replies;
  }
  GroupCtx g = BeginGroup(events);
  const uint64_t saved_audit = next_audit_seq_;
  const TimePoint saved_sim = sim_ ? sim_->Now() : TimePoint{};

  for (size_t i = 0; i < requests.size(); ++i) {
    if (who) {
      Execute(*requests[i], (*who)[i], &replies[i], g);
    } else {
      Execute(*requests[i], Principal::Local(ClaimOf(requests[i]->client())), &replies[i], g);
    }
  }
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

void Core::Execute(const v1::CtlRequest& req, const Principal& who, v1::CtlReply* reply,
                   GroupCtx& g) {
  ApplyPending(g);  // this request sees every earlier one of the group
  reply->set_request_id(req.request_id());
  const std::string& actor = who.actor();
  const Command* cmd = commands_.Find(req.command_case());
  Status st;
  std::vector<v1::RotaGenerateRequest> follow;
  if (!cmd) {
    st = Status::Unimplemented("this zhiband does not know the command");
  } else {
    CommandEnv env = Env(actor, g.batch, g.first_seq - 1);
    env.scope = ReadScope::Of(who, state_.network);
    st = Permit(who, *cmd, req, state_);
    std::string summary;
    if (st.ok()) {
      switch (cmd->kind) {
        case CommandKind::kQuery:
          st = cmd->query(env, req, reply);
          if (st.ok() && cmd->summary) summary = cmd->summary(req);
          break;
        case CommandKind::kSession: {
          auto done = cmd->session(env, req, reply);
          st = done.status();
          if (done.ok()) summary = std::move(*done);
          break;
        }
        case CommandKind::kMutation: {
          // Long work runs inline here (tests, tools); the daemon takes it
          // off the core thread with BeginLong.
          auto m = cmd->plan ? cmd->plan(env, req, reply) : cmd->compute(env.Rota(), req, reply);
          st = m.status();
          if (m.ok()) {
            summary = m->summary;
            follow = domain::PublishedMonthsTouched(state_, *m, Today());
            Stage(*m, actor, reply, g);
          }
          break;
        }
      }
    }
    if (cmd->audited()) Audit(*cmd, req, who, st, summary, *reply, g);
    // Published months follow their windows: zhiband fills each one the
    // change reached, in this group, after it (rota_follow.cpp).
    for (auto& q : follow) {
      v1::CtlRequest f;
      *f.mutable_rota_generate() = std::move(q);
      v1::CtlReply fr;
      Execute(f, Principal::Internal(), &fr, g);
      const auto& r = f.rota_generate();
      if (fr.has_error()) {
        reply->add_followed(fmt::format("{} {}..{}: not filled again: {}", r.center_id(), r.from(),
                                        r.to(), fr.error().message()));
        continue;
      }
      const auto& p = fr.rota_plan();
      reply->add_followed(fmt::format(
          "{} {}..{} (published) follows the change: {} shift(s) added or changed, {} "
          "cancelled, {} gap(s) ({})",
          r.center_id(), r.from(), r.to(), p.changed(), p.cancelled(), p.gaps(),
          fr.event_count() > 1  // rota.generated alone: nothing else changed
              ? fmt::format("events {}..{}", fr.first_seq(), fr.first_seq() + fr.event_count() - 1)
              : "nothing else changed"));
    }
  }
  if (!st.ok()) {
    reply->clear_result();
    SetError(st, reply->mutable_error());
  }
  ++metrics_.commands[{CommandName(req), st.ok() ? "ok" : CodeName(st.code())}];
}

namespace {

// Serializes `e`, whose body lacks its record (field 1 of every record-event
// body), with `record` spliced in as that field. The bytes are exactly what
// SerializeAsString() would give with the record set: header fields (1-7)
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

// Events say who, not how to reach them (docs/PROTOCOL.md, "Contacts"):
// every Staff an event carries leaves without its phone and WeCom id (the
// stored record keeps them; a notifier asks contact_query). Only message
// types that can hold a Staff are walked (found once per type; core thread).
bool MayHoldStaff(const google::protobuf::Descriptor* d) {
  static std::map<const google::protobuf::Descriptor*, bool> known;
  if (d == v1::Staff::descriptor()) return true;
  if (auto it = known.find(d); it != known.end()) return it->second;
  known[d] = false;  // a type that holds itself is settled by its other fields
  bool holds = false;
  for (int i = 0; i < d->field_count() && !holds; ++i) {
    const auto* f = d->field(i);
    holds = f->message_type() && MayHoldStaff(f->message_type());
  }
  return known[d] = holds;
}

void RedactContacts(google::protobuf::Message* m) {
  if (m->GetDescriptor() == v1::Staff::descriptor()) {
    domain::records::StaffCard(*static_cast<v1::Staff*>(m));
    return;
  }
  if (!MayHoldStaff(m->GetDescriptor())) return;
  const auto* refl = m->GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  refl->ListFields(*m, &fields);
  for (const auto* f : fields) {
    if (!f->message_type() || !MayHoldStaff(f->message_type())) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < refl->FieldSize(*m, f); ++i) {
        RedactContacts(refl->MutableRepeatedMessage(m, f, i));
      }
    } else {
      RedactContacts(refl->MutableMessage(m, f));
    }
  }
}

// The name of center `id` as this mutation leaves it: its own put first (a
// center added or renamed), else the state's record; removed ones keep their
// last name, taken from the event's body by the caller's order of look-up.
std::string CenterName(const domain::State& st, const domain::Mutation& m, const std::string& id) {
  for (auto it = m.centers_put.rbegin(); it != m.centers_put.rend(); ++it) {
    if (it->id() == id) return it->name();
  }
  const auto* c = st.network.FindCenter(id);
  return c ? c->name() : std::string();
}

}  // namespace

void Core::Stage(domain::Mutation& m, const std::string& actor, v1::CtlReply* reply, GroupCtx& g) {
  // Each record is serialized once: for its family and, when an event
  // announces it (BodyRecord), for that event's body too — or, for a kind
  // with an event projection, its card serialized for the event. Only the
  // kinds an event of this mutation names keep their bytes.
  const auto& families = RecordFamilies();
  std::vector<std::vector<std::string>> kept(families.size());
  std::vector<bool> announced(families.size(), false);
  for (const auto& b : m.body_records) {
    if (b.kind != domain::BodyRecord::kNone) announced.at(b.kind) = true;
  }
  size_t k = 0;
  std::string bytes, sealed;
  domain::ForEachRecordKind([&](const auto& kind) {
    const size_t index = k++;
    const Family f = families[index];
    if (kind.deleted) {
      for (const auto& id : m.*kind.deleted) g.batch.Delete(f, id);
    }
    auto& puts = m.*kind.put;
    std::vector<std::string>* keep = announced[index] ? &kept[index] : nullptr;
    if (keep) keep->resize(puts.size());
    for (size_t i = 0; i < puts.size(); ++i) {
      std::string& out = keep && !kind.project ? (*keep)[i] : bytes;
      using Msg = typename std::decay_t<decltype(kind)>::Record;
      if constexpr (std::is_same_v<Msg, v1::Resident> || std::is_same_v<Msg, v1::Visit>) {
        if (auto* pd = options_.personal_data) {
          pd->Seal(puts[i], &sealed);
          g.batch.Put(f, kind.key(puts[i]), sealed);
          if (keep && !kind.project) puts[i].SerializeToString(&out);
          continue;
        }
      }
      puts[i].SerializeToString(&out);
      g.batch.Put(f, kind.key(puts[i]), out);
      if (keep && kind.project) {
        auto card = puts[i];
        kind.project(card);
        card.SerializeToString(&(*keep)[i]);
      }
    }
  });
  const auto ts = ToProto(clock_->Now());
  const uint64_t first = next_seq_;
  g.events->reserve(g.events->size() + m.events.size());
  for (size_t i = 0; i < m.events.size(); ++i) {
    v1::Event& e = m.events[i];
    const uint64_t seq = next_seq_++;
    e.set_seq(seq);
    e.set_id(fmt::format("{}-{}", info_.instance_id, seq));
    *e.mutable_time() = ts;
    e.set_actor(actor);
    if (!e.center_id().empty()) e.set_center_name(CenterName(state_, m, e.center_id()));
    RedactContacts(&e);
    CommittedEvent out{seq, e.topic(), {}};
    const auto& ref = m.body_records[i];
    if (ref.kind != domain::BodyRecord::kNone) {
      SerializeWithRecord(e, kept[ref.kind].at(ref.index), &out.bytes);
    } else {
      e.SerializeToString(&out.bytes);
    }
    // Stored with its resident cards sealed; published as made.
    // (An event carrying a record of its own carries no card; its body is spent.)
    if (auto* pd = options_.personal_data;
        pd && ref.kind == domain::BodyRecord::kNone && pd->SealEvent(e, &sealed)) {
      g.batch.Put(Family::kEvents, storage::EncodeSeqKey(seq), sealed);
    } else {
      g.batch.Put(Family::kEvents, storage::EncodeSeqKey(seq), out.bytes);
    }
    g.events->push_back(std::move(out));
  }
  if (!m.events.empty() && reply) {
    reply->set_first_seq(first);
    reply->set_event_count(static_cast<uint32_t>(m.events.size()));
  }
  g.pending = std::move(m);
}

void Core::Audit(const Command& cmd, const v1::CtlRequest& req, const Principal& who,
                 const Status& status, const std::string& summary, const v1::CtlReply& reply,
                 GroupCtx& g) {
  v1::AuditRecord a;
  const uint64_t seq = next_audit_seq_++;
  a.set_seq(seq);
  *a.mutable_time() = ToProto(clock_->Now());
  a.set_actor(who.actor());
  a.set_claimed(who.claimed);
  a.set_command(CommandName(req));
  if (cmd.target) a.set_target(cmd.target(req));
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

void Core::ExpireImports(std::chrono::steady_clock::time_point now) {
  metrics_.imports_expired += imports_.Expire(now);
}

}  // namespace zhiban::core

namespace zhiban::core {

domain::RotaCtx Core::RotaContext() const {
  return domain::RotaCtx{state_, zones_, clock_->Now(), {}};
}

size_t Core::FireTimers(std::vector<CommittedEvent>* events, const DurableFn& on_durable) {
  const int64_t now = clock_->Now().time_since_epoch().count() / 1000000;
  // Every source with a timer due fires into one group, up to timer_batch
  // records; each sees the state as it was before the group.
  domain::Mutation m;
  size_t touched = 0;
  domain::ForEachTimerSource([&](const domain::TimerSource& source) {
    const auto& index = source.index(state_);
    if (index.empty() || index.begin()->due > now || touched >= options_.timer_batch) return;
    domain::Mutation fired = source.fire(RotaContext(), options_.timer_batch - touched);
    domain::ForEachRecordKind([&](const auto& kind) { touched += (fired.*kind.put).size(); });
    m.Append(std::move(fired));
  });
  const size_t fired = m.events.size();
  if (touched == 0) return 0;
  if (Status s = Commit(std::move(m), events, on_durable); !s.ok()) {
    spdlog::error("commit of fired timers failed (they fire again on the next tick): {}",
                  s.ToString());
    return 0;
  }
  metrics_.timers_fired += fired;
  return touched;
}

Status Core::Commit(domain::Mutation m, std::vector<CommittedEvent>* events,
                    const DurableFn& on_durable) {
  GroupCtx g = BeginGroup(events);
  Stage(m, "", nullptr, g);  // no request: not audited
  return CommitGroup(g, on_durable);
}

v1::CtlReply Core::Query(const v1::CtlRequest& req, const Principal& who) {
  v1::CtlReply reply;
  reply.set_request_id(req.request_id());
  const Command* cmd = commands_.Find(req.command_case());
  Status st;
  if (!cmd || cmd->kind != CommandKind::kQuery || cmd->audited()) {
    st = Status::FailedPrecondition(
        fmt::format("{} is not a query that may be answered here", CommandName(req)));
  } else {
    st = Permit(who, *cmd, req, state_);
    if (st.ok()) {
      storage::WriteBatch unused = store_->NewBatch();  // queries stage nothing
      CommandEnv env = Env(who.actor(), unused, next_seq_ - 1);
      env.scope = ReadScope::Of(who, state_.network);
      st = cmd->query(env, req, &reply);
    }
  }
  if (!st.ok()) {
    reply.clear_result();
    SetError(st, reply.mutable_error());
  }
  return reply;
}

bool Core::IsLongWork(const v1::CtlRequest& req) const {
  const Command* cmd = commands_.Find(req.command_case());
  return cmd && cmd->long_work();
}

bool Core::MovesClock(const v1::CtlRequest& req) const {
  const Command* cmd = commands_.Find(req.command_case());
  return cmd && cmd->moves_clock;
}

std::optional<LongJob> Core::BeginLong(const v1::CtlRequest& req, const Principal& who) {
  if (!IsLongWork(req)) return std::nullopt;
  const Command* cmd = commands_.Find(req.command_case());
  LongJob job{req, who, clock_->Now(), {}, 1};
  if (!Permit(who, *cmd, req, state_).ok()) return std::nullopt;
  job.reads = cmd->snapshot(state_, req);
  return job;
}

LongOutcome Core::ComputeLong(LongJob& job) const {
  LongOutcome out;
  out.digest = domain::Digest(job.reads);
  const domain::State copy = domain::StateOf(std::move(job.reads), options_.rota, options_.visits);
  job.reads = {};
  const Command* cmd = commands_.Find(job.request.command_case());
  auto m = cmd->compute(domain::RotaCtx{copy, zones_, job.now, job.who.actor()}, job.request,
                        &out.reply);
  out.status = m.status();
  if (m.ok()) out.plan = std::move(*m);
  return out;
}

std::optional<v1::CtlReply> Core::FinishLong(LongJob* job, LongOutcome out,
                                             std::vector<CommittedEvent>* events,
                                             const DurableFn& on_durable) {
  const v1::CtlRequest& req = job->request;
  const Command& cmd = *commands_.Find(req.command_case());
  domain::Mutation reads = cmd.snapshot(state_, req);
  const bool clock_moved = sim_ && sim_->Now() != job->now;
  Status st = out.status;
  if (clock_moved || domain::Digest(reads) != out.digest) {
    if (job->attempt < kLongAttempts) {
      ++metrics_.long_recomputed;
      job->reads = std::move(reads);
      job->now = clock_->Now();
      ++job->attempt;
      return std::nullopt;
    }
    st = Status::Unavailable(
        fmt::format("what it reads changed while it was computed, {} times running; "
                    "nothing was changed: send it again",
                    kLongAttempts));
  }
  v1::CtlReply reply = std::move(out.reply);
  reply.set_request_id(req.request_id());
  GroupCtx g = BeginGroup(events);
  const uint64_t saved_audit = next_audit_seq_;
  std::string summary;
  if (st.ok()) {
    summary = out.plan.summary;
    Stage(out.plan, job->who.actor(), &reply, g);
  } else {
    reply.clear_result();
    SetError(st, reply.mutable_error());
  }
  Audit(cmd, req, job->who, st, summary, reply, g);
  if (Status s = CommitGroup(g, on_durable); !s.ok()) {
    // Nothing of the group reached memory (CommitGroup dropped it).
    spdlog::error("commit of {} failed: {}", CommandName(req), s.ToString());
    next_audit_seq_ = saved_audit;
    reply.Clear();
    reply.set_request_id(req.request_id());
    st = Status::Unavailable("storage write failed; nothing was applied: " + s.message());
    SetError(st, reply.mutable_error());
  }
  ++metrics_.commands[{CommandName(req), st.ok() ? "ok" : CodeName(st.code())}];
  return reply;
}

}  // namespace zhiban::core
