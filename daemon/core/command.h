// The command table: every ctl command is one entry, declared next to the
// code it drives (commands_<module>.cpp) and registered by that module's
// Register*Commands; Commands() holds them all. The core looks a request's
// case up here and runs the entry by its kind — there is no switch over
// commands in daemon/core/.
//
// An entry says:
//   request_case  the CtlRequest oneof case it answers
//   kind          how the core runs it (below)
//   audit         whether a query or session is written to the audit log
//                 (mutations always are: applied or refused)
//   need          what a principal's role must allow (Need, below): derived
//                 from the kind (queries kRead, the rest kOperate), raised
//                 with AdminOnly / NeedsAudit. Permit() is the one check.
//   authorize     (principal, request, state) -> OK or a refusal naming the
//                 reason, after Permit: what depends on the request itself
//                 (a full resident record needs a purpose and an auditor)
//   target        what the audit record names (an id, "center month", ...)
//   summary       the audit line of an audited query (a mutation's comes
//                 from its Mutation, a session's from its handler)
//   handler       query / session / plan, by kind
//   moves_clock   a session that moves the simulated clock: the daemon fires
//                 the timers it passed before the caller hears back, so
//                 `clock advance` then `events tail` is deterministic
//   snapshot      long work only (a mutation whose computation is long):
//                 the records `compute` reads, copied on the core thread;
//                 the daemon runs `compute` on a worker and commits through
//                 the core if those records are unchanged (core.h, "Long
//                 work"; docs/ARCHITECTURE.md, "Threads")
//
// Adding a command: its proto messages, a handler and one entry in its
// module's Register*Commands, the zhibanctl subcommand. A test walks
// CtlRequest's oneof and fails for a case without an entry.
//
// Thread-safety: the table is built once (Commands()) and read-only after;
// handlers run on the core thread with the CommandEnv the core gives them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/base/clock.h"
#include "daemon/base/date.h"
#include "daemon/base/status.h"
#include "daemon/domain/rota.h"
#include "daemon/domain/state.h"
#include "daemon/storage/store.h"
#include "zhiban/v1/ctl.pb.h"

namespace zhiban::core {

struct CoreOptions;
class ImportSessions;

enum class CommandKind : uint8_t {
  kQuery,     // reads state; stages nothing
  kMutation,  // plans a domain::Mutation that the core stages with its events and audit record
  kSession,   // changes what is not a record: the clock, import sessions, a backup
};

enum class AuditPolicy : uint8_t {
  kNever,   // queries and session steps that read or hold nothing personal
  kAlways,  // reads of personal data and acts on the daemon itself; mutations always
};

// Who is asking (docs/OPERATIONS.md, "Security"): established by the
// transport a request came in on, never by the request itself.
struct Principal {
  enum class Via : uint8_t {
    kKey,       // a CURVE key zhiband knows (ZAP): name and grants from its AccessKey
    kStaff,     // a staff member a StaffChannel vouched for (core/staff_channel.h)
    kLocal,     // an ipc:// socket, which only the daemon's own user can reach: admin
    kOpen,      // loopback TCP with security.curve = false (development only): admin
    kInternal,  // zhiband itself: HTTP probes, the bundled calendars
  };
  Via via = Via::kInternal;
  std::string name;               // key name, "local", "anonymous", "zhiband", "staff:<id>"
  std::vector<v1::Grant> grants;  // kKey and kStaff
  std::string claimed;            // what the client said ("user@host tool"), sanitized
  std::string staff_id;           // the staff member it is (kStaff; kKey of a staff member)

  static Principal Local(std::string claimed);
  static Principal Open(std::string claimed);
  static Principal Internal();
  // Key `key`; with `staff` (the member it names, key.staff_id) it is
  // theirs: they act as themselves, with StaffGrants besides the key's own.
  static Principal Key(const v1::AccessKey& key, std::string claimed,
                       const v1::Staff* staff = nullptr);
  // Staff member `s`, vouched for by `channel` ("wecom", "web", "sms"): the
  // grants domain::StaffGrants derives from their record.
  static Principal Staff(const v1::Staff& s, std::string_view channel);
  // Whether its grants decide what it may do (a key, a staff member); the
  // local admin, an open socket and zhiband itself may do everything.
  bool by_grants() const { return via == Via::kKey || via == Via::kStaff; }
  // The name events and audit records carry.
  const std::string& actor() const { return name; }
  // "admin,operator@dongshi" (what a refusal names).
  std::string RolesText() const;
};

// What a command asks of the principal's roles, each grant within its center
// subtree (docs/OPERATIONS.md, "Security", has the table, generated from
// the command table):
//   kRead     every role; `staff` only about themselves or their own center
//   kAct      a person's own act (check in, accept a visit, ask for a swap):
//             `staff`/`leader` as themselves; `admin`/`operator` for anyone
//             in their scope (a phone call to the center)
//   kLead     a leader's decision (approve a swap, grant leave): `leader` in
//             scope, as themselves and never about their own request;
//             `admin`/`operator` in scope for a named leader
//   kOperate  admin, operator
//   kAudit    admin, auditor  (the audit log, residents' full records)
//   kContacts admin, plugin   (how to reach staff: a notifier's contact query)
//   kAdmin    admin           (keys, the clock, backups)
enum class Need : uint8_t { kRead, kAct, kLead, kOperate, kAudit, kContacts, kAdmin };

// What one request reaches, found from its target (a visit -> its resident's
// center, a swap -> both shifts' centers) by the entry's ReachFn. A grant
// allows the request when its role satisfies `need` and its subtree holds
// every center in `centers`.
struct Reach {
  enum class Where : uint8_t {
    kAnywhere,  // no center: any grant of a role that satisfies `need`
    kCenters,   // `centers`: a grant whose subtree holds each of them
    kNetwork,   // the whole network, or a target that does not exist: an unscoped grant only
  };
  Where where = Where::kNetwork;
  std::vector<std::string> centers;
  // The action's need, when the entry's varies by action (swap_decide's
  // approve is kLead, its accept kAct); unset: the entry's `need`.
  std::optional<Need> need;
  // The staff member the request acts as or reads about (`--staff`, `--by`):
  // a staff principal may only name themselves.
  std::string person;
  // Who may not decide (kLead): the swap's two people, the leave's person.
  std::vector<std::string> parties;

  static Reach Anywhere() { return Reach{Where::kAnywhere, {}, {}, {}, {}}; }
  static Reach Network() { return Reach{}; }
  static Reach At(std::vector<std::string> centers) {
    return Reach{Where::kCenters, std::move(centers), {}, {}, {}};
  }
};

using ReachFn = Reach (*)(const v1::CtlRequest&, const domain::State&);

// What a principal's lists show: the centers in its grants' subtrees (every
// center for an unscoped grant, the local admin and zhiband itself). A list
// named no center shows only these; naming one is checked by its Reach.
struct ReadScope {
  bool all = true;
  std::vector<std::string> roots;
  const domain::Network* net = nullptr;

  bool Shows(std::string_view center) const;
  static ReadScope Of(const Principal& who, const domain::Network& net);
};

// What the daemon itself is, for `status`.
struct CoreInfo {
  std::string version;
  std::string instance_id;
  TimePoint started;
  std::chrono::steady_clock::time_point started_steady;
};

// What a handler may use, built by the core for each command. References
// stay valid for the handler's call only.
struct CommandEnv {
  const domain::State& state;
  const Zones& zones;
  TimePoint now;
  std::string actor;           // the principal's name, for events and records
  uint64_t next_seq = 0;       // the seq this command's first event would get
  uint64_t durable_seq = 0;    // the newest seq on disk (earlier commands of the group are not)
  storage::Store& store;       // reads (audit list) and checkpoints (backup)
  storage::WriteBatch& batch;  // the group's batch: a session's own records (the clock)
  SimulatedClock* sim;         // null on the real clock
  ImportSessions& imports;
  const CoreOptions& options;
  const CoreInfo& info;
  ReadScope scope;  // what lists show the principal asking

  // The date of `now` in China Standard Time (defaults for "from" dates).
  std::string Today() const;
  domain::RotaCtx Rota() const { return domain::RotaCtx{state, zones, now, actor}; }
};

// The date of `now` in China Standard Time, "" if the zone cannot be loaded
// (defaults for "from" dates; the core and every CommandEnv use this one).
std::string TodayAt(const Zones& zones, TimePoint now);

using AuthorizeFn = Status (*)(const Principal&, const v1::CtlRequest&, const domain::State&);
using TargetFn = std::string (*)(const v1::CtlRequest&);
using SummaryFn = std::string (*)(const v1::CtlRequest&);
using QueryFn = Status (*)(CommandEnv&, const v1::CtlRequest&, v1::CtlReply*);
// Returns the audit line (the session changed something) or the refusal.
using SessionFn = Result<std::string> (*)(CommandEnv&, const v1::CtlRequest&, v1::CtlReply*);
using PlanFn = Result<domain::Mutation> (*)(CommandEnv&, const v1::CtlRequest&, v1::CtlReply*);
// Long work: what the computation reads, and the computation itself, which
// sees nothing but the state built from those records (any thread).
using SnapshotFn = domain::Mutation (*)(const domain::State&, const v1::CtlRequest&);
using ComputeFn = Result<domain::Mutation> (*)(const domain::RotaCtx&, const v1::CtlRequest&,
                                               v1::CtlReply*);

// Allows every principal: the resolver of every command until roles exist.
Status AllowAnyone(const Principal&, const v1::CtlRequest&, const domain::State&);

struct Command {
  v1::CtlRequest::CommandCase request_case = v1::CtlRequest::COMMAND_NOT_SET;
  CommandKind kind = CommandKind::kQuery;
  AuditPolicy audit = AuditPolicy::kNever;
  Need need = Need::kRead;
  ReachFn reach = nullptr;                  // null: the whole network (ReachOf)
  const char* where = "the whole network";  // the reach, for the role table
  const char* by_action = nullptr;  // when the need varies by action: how, for the role table
  AuthorizeFn authorize = AllowAnyone;
  TargetFn target = nullptr;
  SummaryFn summary = nullptr;
  QueryFn query = nullptr;
  SessionFn session = nullptr;
  PlanFn plan = nullptr;
  SnapshotFn snapshot = nullptr;  // long work: set with compute, instead of plan
  ComputeFn compute = nullptr;
  bool moves_clock = false;  // set with MovesClock

  bool audited() const { return kind == CommandKind::kMutation || audit == AuditPolicy::kAlways; }
  bool long_work() const { return compute != nullptr; }
};

// Whether `who`'s grants allow `r` (the local admin, an open socket and
// zhiband itself always do).
bool Allows(const Principal& who, const Reach& r, Need need, const domain::Network& net);

// What `req` reaches by `cmd`'s resolver (the whole network without one).
Reach ReachOf(const Command& cmd, const v1::CtlRequest& req, const domain::State& state);

// The one check, before every command runs: the role the entry (or its
// action) needs over the centers the request reaches, then the entry's own
// resolver. OK, or PERMISSION_DENIED naming the command, the role and scope
// it needs and the roles the principal holds; nothing has changed.
Status Permit(const Principal& who, const Command& cmd, const v1::CtlRequest& req,
              const domain::State& state);

// Entry builders, so a module's list reads as one line a command. Queries
// need kRead; mutations and sessions kOperate.
Command MakeQuery(v1::CtlRequest::CommandCase c, QueryFn fn);
// A query whose every call is audited (personal data): target and summary say what was read.
Command MakeAuditedQuery(v1::CtlRequest::CommandCase c, QueryFn fn, TargetFn target,
                         SummaryFn summary);
Command MakeSession(v1::CtlRequest::CommandCase c, SessionFn fn, AuditPolicy audit,
                    TargetFn target = nullptr);
Command MakeMutation(v1::CtlRequest::CommandCase c, PlanFn fn, TargetFn target);
// A mutation that is long work: computed on a snapshot of what it reads.
Command MakeLongMutation(v1::CtlRequest::CommandCase c, SnapshotFn snapshot, ComputeFn compute,
                         TargetFn target);

// `c`, needing admin (keys, clock, backups) or auditor (audit log).
Command AdminOnly(Command c);
Command NeedsAudit(Command c);
// `c`, reaching what `fn` finds; `where` says it in the role table ("the
// visit's resident's center").
Command Reaching(Command c, ReachFn fn, const char* where);
// `c`, needing `need` (a person's act, a leader's decision); `by_action`
// says how the need varies with the request's action, when it does.
Command Needing(Command c, Need need, const char* by_action = nullptr);
// `c`, a session that moves the simulated clock (timers fire before its reply).
Command MovesClock(Command c);

class CommandTable {
 public:
  // Registers `c`. A second entry for a case, or an entry without the
  // handler its kind needs, is a programming error: the process aborts,
  // naming the command.
  void Add(Command c);
  // The entry for `c`, or nullptr.
  const Command* Find(v1::CtlRequest::CommandCase c) const;
  size_t size() const { return count_; }

 private:
  std::vector<Command> by_case_;  // indexed by the oneof field number
  size_t count_ = 0;
};

// Every module's commands, registered once on first use (command_table.cpp).
const CommandTable& Commands();

// Who may run each command and where, as the Markdown table in
// docs/OPERATIONS.md, "Security" (a test keeps the two the same).
std::string RoleTable();

// Each module registers its own commands (commands_<module>.cpp).
void RegisterSystemCommands(CommandTable& t);    // status, clock, audit, import, backup
void RegisterNetworkCommands(CommandTable& t);   // centers, staff
void RegisterCalendarCommands(CommandTable& t);  // calendar, exceptions, policies, coverage
void RegisterRotaCommands(CommandTable& t);      // rotations, shifts, swaps, leave, rules
void RegisterVisitCommands(CommandTable& t);     // residents, visits, appointments
void RegisterAccessCommands(CommandTable& t);    // keys
void RegisterContactCommands(CommandTable& t);   // the notifiers' contact query

}  // namespace zhiban::core
