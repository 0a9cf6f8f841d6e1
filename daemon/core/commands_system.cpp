// Commands on the daemon itself: status, the clock, pending timers, the audit
// log, bulk import sessions, backups.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include "daemon/base/time_util.h"
#include "daemon/core/command.h"
#include "daemon/core/command_util.h"
#include "daemon/core/core.h"
#include "daemon/core/import.h"
#include "daemon/core/personal_data.h"
#include "daemon/domain/common.h"
#include "daemon/storage/acked_seq.h"

namespace zhiban::core {
namespace {

using google::protobuf::util::TimeUtil;
using R = v1::CtlRequest;
using storage::Family;

Status StatusQuery(CommandEnv& env, const R&, v1::CtlReply* reply) {
  auto* s = reply->mutable_status();
  s->set_version(env.info.version);
  s->set_instance_id(env.info.instance_id);
  *s->mutable_started() = ToProto(env.info.started);
  s->set_uptime_seconds(
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::steady_clock::now() - env.info.started_steady)
                                .count()));
  s->set_last_seq(env.durable_seq);
  s->set_clock_mode(env.sim ? v1::SIMULATED : v1::REAL);
  *s->mutable_now() = ToProto(env.now);
  s->set_storage_bytes(env.store.TotalLiveBytes());
  s->set_data_dir(env.store.dir());
  s->set_centers(static_cast<uint32_t>(env.state.network.centers().size()));
  s->set_staff(static_cast<uint32_t>(env.state.network.staff().size()));
  s->set_schema_version(storage::kSchemaVersion);
  s->set_server_public_key(env.options.server_public_key);
  s->set_principal(env.actor);
  for (auto& n : domain::CalendarNotices(env.state.calendar, domain::common::Sec(env.now)))
    s->add_notices(std::move(n));
  return {};
}

Status ClockShow(CommandEnv& env, const R&, v1::CtlReply* reply) {
  reply->mutable_clock()->set_mode(env.sim ? v1::SIMULATED : v1::REAL);
  *reply->mutable_clock()->mutable_now() = ToProto(env.now);
  return {};
}

// Moves the simulated clock to `target` and records it (a restart resumes there).
Result<std::string> MoveClock(CommandEnv& env, TimePoint target, v1::CtlReply* reply) {
  const TimePoint before = env.sim->Now();
  env.sim->Set(target);
  env.batch.Put(Family::kMeta, storage::meta::kSimClock,
                std::to_string(target.time_since_epoch().count()));
  reply->mutable_clock()->set_mode(v1::SIMULATED);
  *reply->mutable_clock()->mutable_now() = ToProto(target);
  return fmt::format("clock {} -> {}", FormatIsoTime(before), FormatIsoTime(target));
}

Status RequireSimulated(const CommandEnv& env) {
  if (env.sim) return {};
  return Status::FailedPrecondition(
      "zhiband runs on the real clock; only a daemon started with "
      "--clock simulated:<ISO time> can have its time moved");
}

Result<std::string> ClockAdvance(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  ZB_RETURN_IF_ERROR(RequireSimulated(env));
  const auto& by = req.clock_advance().by();
  if (!(by.seconds() >= -315576000000 && by.seconds() <= 315576000000 && by.nanos() > -1000000000 &&
        by.nanos() < 1000000000)) {
    return Status::InvalidArgument("by", "is not a valid duration");
  }
  const int64_t us = TimeUtil::DurationToMicroseconds(by);
  if (us <= 0) return Status::InvalidArgument("by", "must be positive; time only moves forward");
  if (us > int64_t(3660) * 86400 * 1000000) {
    return Status::InvalidArgument("by", "is more than ten years");
  }
  const TimePoint target = env.sim->Now() + Micros(us);
  ZB_RETURN_IF_ERROR(CheckTimeRange(
      std::chrono::floor<std::chrono::seconds>(target.time_since_epoch()).count(), "by"));
  return MoveClock(env, target, reply);
}

Result<std::string> ClockSet(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  ZB_RETURN_IF_ERROR(RequireSimulated(env));
  const auto& to = req.clock_set().to();
  if (to.nanos() < 0 || to.nanos() >= 1000000000) {
    return Status::InvalidArgument("to", "is not a valid time");
  }
  ZB_RETURN_IF_ERROR(CheckTimeRange(to.seconds(), "to"));
  const TimePoint target(Micros(TimeUtil::TimestampToMicroseconds(to)));
  const TimePoint now = env.sim->Now();
  if (target < now) {
    return Status::InvalidArgument(
        "to", fmt::format("{} is before the simulated now ({}); time only moves forward",
                          FormatIsoTime(target), FormatIsoTime(now)));
  }
  return MoveClock(env, target, reply);
}

// A resident is named by the target of the commands on them ("r1",
// "r1 moved") and in the summary of reads and visits ("resident r1").
bool Matches(const v1::AuditListRequest& q, const v1::AuditRecord& a) {
  if (!q.actor().empty() && a.actor() != q.actor()) return false;
  if (!q.command().empty() && a.command() != q.command()) return false;
  if (!q.resident().empty()) {
    const auto& t = a.target();
    const bool in_target = t == q.resident() || t.starts_with(q.resident() + " ");
    const std::string named = "resident " + q.resident();
    const auto at = a.message().find(named);
    const bool in_message = at != std::string::npos && (at + named.size() == a.message().size() ||
                                                        a.message()[at + named.size()] == ' ' ||
                                                        a.message()[at + named.size()] == ',');
    if (!in_target && !in_message) return false;
  }
  return true;
}

Status AuditList(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto& q = req.audit_list();
  const uint32_t limit = ListLimit(q.limit(), kDefaultAuditLimit);
  auto* out = reply->mutable_audit_list();
  Status bad;
  std::string before = q.before_seq() ? storage::EncodeSeqKey(q.before_seq()) : std::string();
  ZB_RETURN_IF_ERROR(
      env.store.ScanReverse(Family::kAudit, before, [&](std::string_view, std::string_view v) {
        v1::AuditRecord a;
        if (!a.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
          bad = Status::Internal("a stored audit record does not parse");
          return false;
        }
        if (Matches(q, a)) *out->add_records() = std::move(a);
        return static_cast<uint32_t>(out->records_size()) < limit;
      }));
  return bad;
}

Result<std::string> ImportBegin(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  ZB_RETURN_IF_ERROR(
      env.imports.Begin(req.import_begin(), std::chrono::steady_clock::now(), reply));
  return std::string();
}

Result<std::string> ImportRows(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  ZB_RETURN_IF_ERROR(env.imports.Rows(req.import_rows(), std::chrono::steady_clock::now(), reply));
  return std::string();
}

Result<std::string> ImportAbort(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  ZB_RETURN_IF_ERROR(env.imports.Abort(req.import_abort(), reply));
  return std::string();
}

Result<domain::Mutation> ImportCommit(CommandEnv& env, const R& r, v1::CtlReply* reply) {
  const auto& req = r.import_commit();
  ZB_ASSIGN_OR_RETURN(auto taken, env.imports.Take(req.import_id()));
  std::unique_ptr<ImportSession> s = std::move(taken);
  domain::ImportCounts counts;
  domain::ImportErrors errors;
  const size_t rows = s->rows();
  // Time zones are checked against the tz database here, by row, with the rest.
  for (const auto& row : s->centers) {
    if (Status z = env.zones.Check(row.record.time_zone()); !z.ok()) {
      errors.Add(row.row, "time_zone", z.message());
    }
  }
  auto m = s->kind == v1::CENTERS
               ? domain::ImportCenters(env.state.network, std::move(s->centers), &counts, &errors)
               : domain::ImportStaff(env.state.network, std::move(s->staff), &counts, &errors);
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

// Backups hold residents' data: they go only under the configured root
// (storage.backup_root), owner-only like the data dir.
Result<std::string> BackupCreate(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  namespace fs = std::filesystem;
  const std::string& asked = req.backup_create().dir();
  // --keys: the key store of residents' keys, under a root of its own, never
  // with the data (a data backup must not hold the keys that open it).
  const bool keys = req.backup_create().keys();
  auto* pd = env.options.personal_data;
  if (keys && !pd) {
    return Status::FailedPrecondition("keys", "this zhiband keeps no key store");
  }
  const fs::path root(keys ? env.options.key_backup_root : env.options.backup_root);
  const char* root_key = keys ? "<key_dir>-backups" : "storage.backup_root";
  if (root.empty() || !root.is_absolute()) {
    return Status::FailedPrecondition(
        "dir", fmt::format("this zhiband has no backup root ({})", root_key));
  }
  if (asked.empty()) {
    return Status::InvalidArgument(
        "dir", fmt::format("name the backup: a directory under {}", root.string()));
  }
  const fs::path target =
      (asked.front() == '/' ? fs::path(asked) : root / asked).lexically_normal();
  const fs::path inside = target.lexically_relative(root);
  if (inside.empty() || inside == "." || *inside.begin() == "..") {
    return Status::FailedPrecondition(
        "dir", fmt::format("backups go only under {} ({}); {} is outside it", root.string(),
                           root_key, target.string()));
  }
  const std::string dir = target.string();
  // The error_code overloads: a path the OS refuses (a component over
  // NAME_MAX, a parent that is a file) is the caller's mistake, not a throw
  // that ends the daemon.
  std::error_code ec;
  if (!fs::exists(root, ec)) {
    fs::create_directories(root, ec);
    if (!ec) fs::permissions(root, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) {
      return Status::FailedPrecondition(
          "dir", fmt::format("cannot create the backup root {}: {}", root.string(), ec.message()));
    }
  }
  const bool exists = fs::exists(target, ec);
  if (ec) {
    return Status::InvalidArgument("dir", fmt::format("cannot use that path: {}", ec.message()));
  }
  if (exists) return Status::AlreadyExists("dir", fmt::format("{} already exists", dir));
  if (!fs::is_directory(target.parent_path(), ec)) {
    return Status::InvalidArgument("dir", fmt::format("the parent directory {} does not exist",
                                                      target.parent_path().string()));
  }
  // Everything durable is in the checkpoint: the core is the only writer.
  // Earlier commands of this group are not on disk yet, so not in it.
  const uint64_t last = env.durable_seq;
  if (keys) {
    ZB_RETURN_IF_ERROR(pd->keys().Checkpoint(dir));
    reply->mutable_backup()->set_dir(dir);
    spdlog::info("key store backup ({} residents' keys) written to {}", pd->keys().size(), dir);
    return "key store backup to " + dir;
  }
  ZB_RETURN_IF_ERROR(env.store.Checkpoint(dir));
  // The backup is a data dir of its own: it starts knowing what it holds.
  if (Status s = storage::AckedSeq::WriteCopies(dir, last); !s.ok()) {
    fs::remove_all(target, ec);
    return Status::Unavailable(
        fmt::format("the backup's ACKED_SEQ could not be written, so it was removed: {}; nothing "
                    "was written",
                    s.message()));
  }
  // A backup is of every resident's data: one that exists is audited. Should
  // the copy have taken the room its audit record needs, it is removed.
  if (Status room = env.store.RoomFor(64 << 10); !room.ok()) {
    fs::remove_all(target, ec);
    return Status::Unavailable(fmt::format(
        "the backup would leave no room for its audit record, so it was removed: {}; nothing "
        "was written",
        room.message()));
  }
  reply->mutable_backup()->set_dir(dir);
  reply->mutable_backup()->set_last_seq(last);
  spdlog::info("backup of seq 1..{} written to {}", last, dir);
  return "backup to " + dir;
}

// Rotation without downtime: every resident's key rewrapped under the new
// master key in one synced batch; the old file opens nothing afterwards.
Result<std::string> MasterKeyRotate(CommandEnv& env, const R& req, v1::CtlReply*) {
  auto* pd = env.options.personal_data;
  if (!pd) return Status::FailedPrecondition("file", "this zhiband keeps no key store");
  const std::string& path = req.master_key_rotate().file();
  if (path.empty() || path.front() != '/') {
    return Status::InvalidArgument(
        "file", "the new master key file: an absolute path on zhiband's machine");
  }
  ZB_ASSIGN_OR_RETURN(auto next, storage::ReadMasterKey(path));
  ZB_RETURN_IF_ERROR(pd->keys().Rewrap(next));
  spdlog::warn(
      "master key rotated to {}: set personal_data.master_key_file to it before the next start",
      path);
  return fmt::format("master key rotated to {}: {} residents' keys rewrapped", path,
                     pd->keys().size());
}

// The pending timers of every source (domain/state.h), soonest first.
Status TimerList(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const size_t limit = ListLimit(req.timer_list().limit(), kDefaultTimerLimit);
  std::vector<const domain::Timer*> soonest;
  size_t total = 0;
  domain::ForEachTimerSource([&](const domain::TimerSource& source) {
    const auto& index = source.index(env.state);
    total += index.size();
    size_t taken = 0;  // each index is in due order: its first `limit` suffice
    for (auto it = index.begin(); it != index.end() && taken < limit; ++it, ++taken)
      soonest.push_back(&*it);
  });
  std::sort(soonest.begin(), soonest.end(), [](const auto* a, const auto* b) { return *a < *b; });
  if (soonest.size() > limit) soonest.resize(limit);
  auto* out = reply->mutable_timer_list();
  out->set_total(static_cast<uint32_t>(total));
  for (const auto* t : soonest) {
    auto* p = out->add_timers();
    *p->mutable_due() = SecondsToProto(t->due);
    p->set_kind(domain::TimerName(*t));
    p->set_record_id(t->id);
  }
  return {};
}

}  // namespace

void RegisterSystemCommands(CommandTable& t) {
  // What the daemon is and its clock: anyone it knows may ask.
  constexpr ReachFn kAnywhere = [](const R&, const domain::State&) { return Reach::Anywhere(); };
  t.Add(Reaching(MakeQuery(R::kStatus, StatusQuery), kAnywhere, "anywhere"));
  t.Add(Reaching(MakeQuery(R::kClockShow, ClockShow), kAnywhere, "anywhere"));
  t.Add(MakeQuery(R::kTimerList, TimerList));
  t.Add(MovesClock(AdminOnly(MakeSession(R::kClockAdvance, ClockAdvance, AuditPolicy::kAlways))));
  t.Add(MovesClock(AdminOnly(MakeSession(R::kClockSet, ClockSet, AuditPolicy::kAlways))));
  t.Add(NeedsAudit(MakeQuery(R::kAuditList, AuditList)));
  t.Add(MakeSession(R::kImportBegin, ImportBegin, AuditPolicy::kNever));
  t.Add(MakeSession(R::kImportRows, ImportRows, AuditPolicy::kNever));
  t.Add(MakeSession(R::kImportAbort, ImportAbort, AuditPolicy::kNever));
  t.Add(MakeMutation(R::kImportCommit, ImportCommit,
                     [](const R& r) { return r.import_commit().import_id(); }));
  t.Add(AdminOnly(MakeSession(R::kBackupCreate, BackupCreate, AuditPolicy::kAlways,
                              [](const R& r) { return r.backup_create().dir(); })));
  t.Add(AdminOnly(MakeSession(R::kMasterKeyRotate, MasterKeyRotate, AuditPolicy::kAlways,
                              [](const R& r) { return r.master_key_rotate().file(); })));
}

}  // namespace zhiban::core
