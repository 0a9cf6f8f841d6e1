// Core: the one writer. It owns the in-memory state (the network), runs
// every ctl command against the pure domain logic, and commits each group of
// commands as one RocksDB WriteBatch holding the state changes, their events
// (consecutive seqs) and the audit records, before any event leaves.
//
// Life of a group (see docs/ARCHITECTURE.md):
//   requests -> for each: query (answered from memory) or mutation
//   (domain validates and plans; core stamps events with seq/id/time, writes
//   records + events + audit into the batch; the mutation reaches memory
//   before the next command of the group runs) -> one Commit (synced) ->
//   on_durable(events) -> the last mutation reaches memory -> replies.
// If the commit fails, the whole group is answered UNAVAILABLE and memory is
// reloaded from RocksDB: nothing half-applied survives.
//
// Thread-safety: every method runs on the core thread, except ComputeLong.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/base/clock.h"
#include "daemon/base/date.h"
#include "daemon/base/status.h"
#include "daemon/core/command.h"
#include "daemon/core/import.h"
#include "daemon/domain/state.h"
#include "daemon/storage/acked_seq.h"
#include "daemon/storage/store.h"
#include "zhiban/v1/ctl.pb.h"

namespace zhiban::core {

// An event committed by a group, ready to publish.
struct CommittedEvent {
  uint64_t seq = 0;
  std::string topic;
  std::string bytes;  // serialized zhiban.v1.Event
};

// Long work (docs/ARCHITECTURE.md, "Threads"): a command whose table entry
// is long work, taken off the core thread. BeginLong copies what it reads
// (core thread); ComputeLong plans on that copy (any thread: it touches
// nothing of the core's state); FinishLong (core thread) commits the plan as
// a group of its own, audited like any mutation, if those records read again
// are unchanged and the simulated clock has not moved — else the job gets a
// fresh copy to compute again, and after kLongAttempts it is refused
// (UNAVAILABLE: transient, send it again), nothing changed.
struct LongJob {
  v1::CtlRequest request;
  Principal who;
  TimePoint now;           // the clock when the records were read
  domain::Mutation reads;  // the copies; ComputeLong consumes them
  int attempt = 1;
};
struct LongOutcome {
  std::string digest;  // of the records the plan was computed on
  Status status;       // the plan's refusal, or OK
  domain::Mutation plan;
  v1::CtlReply reply;
};
inline constexpr int kLongAttempts = 3;

class PersonalData;  // personal_data.h

struct CoreOptions {
  std::string version = "dev";
  size_t max_import_rows = 1'000'000;  // rows in one import session
  size_t max_open_imports = 4;         // concurrent import sessions
  std::chrono::seconds import_idle_timeout{600};
  size_t max_import_session_bytes = size_t{128} << 20;  // rows' memory in one import session
  size_t max_import_total_bytes = size_t{256} << 20;    // in every open session together
  domain::RotaOptions rota;
  domain::VisitOptions visits;
  size_t timer_batch = 5000;      // most timers fired per FireTimers call
  std::string backup_root;        // backups go only under this directory (absolute)
  std::string key_backup_root;    // key store backups (backup create --keys): only here
  std::string server_public_key;  // Z85, when the TCP endpoints use CURVE (status shows it)
  // Start although the store lost acknowledged events (storage/acked_seq.h):
  // continue after the highest acknowledged seq, recording the lost range
  // as an events.lost event. Otherwise Load refuses.
  bool accept_lost_events = false;
  // Set: residents' personal data is sealed at rest under their own keys
  // (personal_data.h; not owned). nullptr: stored in clear (unit tests, the
  // benchmark's encryption-off case).
  PersonalData* personal_data = nullptr;
};

// Counters for /metrics. Read on the core thread.
struct CoreMetrics {
  std::map<std::pair<std::string, std::string>, uint64_t> commands;  // (command, result) -> n
  uint64_t groups_committed = 0;
  uint64_t events_committed = 0;
  uint64_t commit_failures = 0;
  uint64_t imports_expired = 0;
  uint64_t timers_fired = 0;
  uint64_t long_recomputed = 0;  // long work computed again: what it read had changed
};

class Core {
 public:
  // `sim` is the same object as `clock` in simulated mode, else nullptr.
  Core(storage::Store* store, Clock* clock, SimulatedClock* sim, CoreOptions options);
  ~Core();

  // Reads records, counters and the instance id from the store. Refuses
  // (FAILED_PRECONDITION, naming the range) when the store holds fewer
  // events than were acknowledged, unless accept_lost_events.
  Status Load();
  // Makes the record of the highest acknowledged seq durable (fdatasync).
  // Called by the scheduler; the WAL itself is synced with every group.
  void SyncAcked();
  // Why the store refuses writes, since the last commit failed (a full
  // disk); empty while commits succeed. /healthz reports it as degraded.
  const std::string& storage_error() const { return storage_error_; }
  // Called by the scheduler while storage_error() is set: asks RocksDB to
  // take writes again (a full disk that has space again resumes by itself).
  void TryResume();

  // Called once the group's events are durable, before the replies are
  // returned; the daemon publishes them there.
  using DurableFn = std::function<void(const std::vector<CommittedEvent>& events)>;

  // Runs `requests` in order as one group commit; returns one reply each and
  // appends the committed events (in seq order) to `events`. `who[i]` asked
  // for request i (the daemon finds them from the transport); without `who`
  // every request is the local admin's (tests, the bundled calendars).
  std::vector<v1::CtlReply> ExecuteGroup(const std::vector<const v1::CtlRequest*>& requests,
                                         std::vector<CommittedEvent>* events,
                                         const DurableFn& on_durable = {},
                                         const std::vector<Principal>* who = nullptr);

  // Fires the timers due now, of every source (domain/state.h
  // ForEachTimerSource: shift reminders, handoffs, no-shows; visit deadlines;
  // care-plan orders), as one group commit: the firing is recorded with its
  // events, so a restart neither repeats nor loses one. Returns how many
  // records it settled (0: nothing was due). Called by the scheduler.
  size_t FireTimers(std::vector<CommittedEvent>* events, const DurableFn& on_durable = {});

  // Commits a planned mutation as a group of its own, with no request (not
  // audited): fired timers, and work planned off the core thread. On failure
  // nothing of it is applied or published.
  Status Commit(domain::Mutation m, std::vector<CommittedEvent>* events,
                const DurableFn& on_durable = {});

  // Answers a registered query that is not audited, outside any group: HTTP
  // handlers answer from the handlers ctl uses instead of reading state
  // themselves. Anything else is refused (FAILED_PRECONDITION). Not counted
  // in the command metrics (scrapes would swamp them).
  v1::CtlReply Query(const v1::CtlRequest& req, const Principal& who);

  // Long work (see LongJob). BeginLong: the job, or nullopt when `req` is
  // not long work or its principal is refused (run it with ExecuteGroup then:
  // it is answered and audited as usual).
  std::optional<LongJob> BeginLong(const v1::CtlRequest& req, const Principal& who);
  bool IsLongWork(const v1::CtlRequest& req) const;
  // Whether `req` moves the simulated clock (its entry's moves_clock): the
  // daemon fires the timers it passed before answering.
  bool MovesClock(const v1::CtlRequest& req) const;
  // Any thread; reads only the command table, the options and the zones.
  LongOutcome ComputeLong(LongJob& job) const;
  // The reply, committed (or refused) and audited; nullopt when `job` was
  // given fresh records and must be computed again.
  std::optional<v1::CtlReply> FinishLong(LongJob* job, LongOutcome out,
                                         std::vector<CommittedEvent>* events,
                                         const DurableFn& on_durable = {});

  // Closes import sessions idle longer than the timeout. Called by the scheduler.
  void ExpireImports(std::chrono::steady_clock::time_point now);

  uint64_t last_seq() const { return next_seq_ - 1; }
  const std::string& instance_id() const { return info_.instance_id; }
  const domain::Network& network() const { return state_.network; }
  const domain::State& state() const { return state_; }
  // The daemon clock's date in China Standard Time (defaults for "from" dates).
  std::string Today() const;
  const CoreMetrics& metrics() const { return metrics_; }
  const ImportSessions& imports() const { return imports_; }
  size_t open_imports() const { return imports_.size(); }
  const CommandTable& commands() const { return commands_; }
  void CountRejected(const std::string& reason);  // malformed requests, for /metrics

 private:
  struct GroupCtx;

  Status LoadRecords();
  // Rewrites, sealed, the residents and visits LoadRecords found stored in
  // clear (a data dir of a zhiband before encryption), then compacts their
  // families so the clear copies leave the files.
  Status SealPlaintext();
  // After an erasure's commit: flush and compact the families that held it.
  void CompactAfterErasure();
  // The environment a handler runs in; `durable_seq`: the newest seq on disk.
  CommandEnv Env(const std::string& actor, storage::WriteBatch& batch, uint64_t durable_seq);
  void Execute(const v1::CtlRequest& req, const Principal& who, v1::CtlReply* reply, GroupCtx& g);
  void ApplyPending(GroupCtx& g);
  // Stages a planned mutation into the group: records, events stamped with seqs.
  void Stage(domain::Mutation& m, const std::string& actor, v1::CtlReply* reply, GroupCtx& g);
  void Audit(const Command& cmd, const v1::CtlRequest& req, const Principal& who,
             const Status& status, const std::string& summary, const v1::CtlReply& reply,
             GroupCtx& g);
  domain::RotaCtx RotaContext() const;
  // A group: staged records and events go into one batch; CommitGroup makes
  // it durable and publishes (on_durable) then applies it, or forgets its
  // events and seqs. Requests (ExecuteGroup) and timers (FireTimers) share it.
  GroupCtx BeginGroup(std::vector<CommittedEvent>* events);
  Status CommitGroup(GroupCtx& g, const DurableFn& on_durable);

  Status AcceptLostEvents(uint64_t stored, uint64_t acked);

  storage::Store* store_;
  std::unique_ptr<storage::AckedSeq> acked_;
  Clock* clock_;
  SimulatedClock* sim_;
  CoreOptions options_;
  domain::State state_;
  Zones zones_;
  uint64_t next_seq_ = 1;
  uint64_t next_audit_seq_ = 1;
  CoreInfo info_;  // for `status`
  ImportSessions imports_;
  const CommandTable& commands_;
  CoreMetrics metrics_;
  std::string storage_error_;
  std::vector<std::string> plaintext_residents_;  // found by LoadRecords
  std::vector<std::string> plaintext_visits_;
};

}  // namespace zhiban::core
