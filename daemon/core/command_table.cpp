#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "daemon/core/command.h"

#include <fmt/format.h>

#include "daemon/domain/access.h"

namespace zhiban::core {
namespace {

[[noreturn]] void Misregistered(v1::CtlRequest::CommandCase c, const char* why) {
  const auto* field = v1::CtlRequest::descriptor()->FindFieldByNumber(static_cast<int>(c));
  // A programming error found at start-up, before logging may be set up.
  const std::string name = field ? field->name() : std::to_string(static_cast<int>(c));
  std::fprintf(stderr, "zhiband: command table: %s %s\n", name.c_str(), why);
  std::abort();
}

}  // namespace

std::string TodayAt(const Zones& zones, TimePoint now) {
  auto d = zones.LocalDate(kDefaultZone, now);
  return d.ok() ? FormatDate(*d) : std::string();
}

std::string CommandEnv::Today() const { return TodayAt(zones, now); }

Status AllowAnyone(const Principal&, const v1::CtlRequest&, const domain::State&) { return {}; }

Principal Principal::Local(std::string claimed) {
  return Principal{Via::kLocal, "local", {}, std::move(claimed)};
}
Principal Principal::Open(std::string claimed) {
  return Principal{Via::kOpen, "anonymous", {}, std::move(claimed)};
}
Principal Principal::Staff(std::string_view staff_id, std::string_view channel) {
  v1::Grant g;
  g.set_role(v1::ACCESS_STAFF);
  return Principal{Via::kStaff,
                   fmt::format("staff:{}", staff_id),
                   {std::move(g)},
                   fmt::format("via {}", channel)};
}
Principal Principal::Internal() { return Principal{Via::kInternal, "zhiband", {}, {}}; }
Principal Principal::Key(const v1::AccessKey& key, std::string claimed) {
  return Principal{
      Via::kKey, key.name(), {key.grants().begin(), key.grants().end()}, std::move(claimed)};
}

std::string Principal::RolesText() const {
  if (!by_grants()) return "admin";
  std::string out;
  for (const auto& g : grants) {
    if (!out.empty()) out += ",";
    out += domain::AccessRoleName(g.role());
    if (!g.center_id().empty()) out += "@" + g.center_id();
  }
  return out.empty() ? "no role" : out;
}

namespace {

bool Satisfies(v1::AccessRole role, Need need) {
  switch (need) {
    case Need::kRead:
      return role != v1::ACCESS_ROLE_UNSPECIFIED;
    case Need::kOperate:
      return role == v1::ACCESS_ADMIN || role == v1::ACCESS_OPERATOR;
    case Need::kAudit:
      return role == v1::ACCESS_ADMIN || role == v1::ACCESS_AUDITOR;
    case Need::kAdmin:
      return role == v1::ACCESS_ADMIN;
  }
  return false;
}

const char* NeedText(Need need) {
  switch (need) {
    case Need::kRead:
      return "any role";
    case Need::kOperate:
      return "operator or admin";
    case Need::kAudit:
      return "auditor or admin";
    case Need::kAdmin:
      return "admin";
  }
  return "admin";
}

}  // namespace

bool Holds(const Principal& who, Need need) {
  if (!who.by_grants()) return true;
  return std::any_of(who.grants.begin(), who.grants.end(), [&](const auto& g) {
    // Grants are network-wide (key_add refuses scoped ones until
    // per-center authorization lands).
    return g.center_id().empty() && Satisfies(g.role(), need);
  });
}

Status Permit(const Principal& who, const Command& cmd, const v1::CtlRequest& req,
              const domain::State& state) {
  if (!Holds(who, cmd.need)) {
    const auto* field = v1::CtlRequest::descriptor()->FindFieldByNumber(cmd.request_case);
    return Status::PermissionDenied(fmt::format(
        "{} needs the role {}; {} \"{}\" holds {}; nothing was changed",
        field ? field->name() : std::string("this command"), NeedText(cmd.need),
        who.via == Principal::Via::kKey ? "key" : "principal", who.name, who.RolesText()));
  }
  return cmd.authorize(who, req, state);
}

Command AdminOnly(Command c) {
  c.need = Need::kAdmin;
  return c;
}

Command NeedsAudit(Command c) {
  c.need = Need::kAudit;
  return c;
}

Command MovesClock(Command c) {
  c.moves_clock = true;
  return c;
}

Command MakeQuery(v1::CtlRequest::CommandCase c, QueryFn fn) {
  Command cmd;
  cmd.request_case = c;
  cmd.kind = CommandKind::kQuery;
  cmd.query = fn;
  return cmd;
}

Command MakeAuditedQuery(v1::CtlRequest::CommandCase c, QueryFn fn, TargetFn target,
                         SummaryFn summary) {
  Command cmd = MakeQuery(c, fn);
  cmd.audit = AuditPolicy::kAlways;
  cmd.target = target;
  cmd.summary = summary;
  return cmd;
}

Command MakeSession(v1::CtlRequest::CommandCase c, SessionFn fn, AuditPolicy audit,
                    TargetFn target) {
  Command cmd;
  cmd.request_case = c;
  cmd.kind = CommandKind::kSession;
  cmd.need = Need::kOperate;
  cmd.audit = audit;
  cmd.target = target;
  cmd.session = fn;
  return cmd;
}

Command MakeMutation(v1::CtlRequest::CommandCase c, PlanFn fn, TargetFn target) {
  Command cmd;
  cmd.request_case = c;
  cmd.kind = CommandKind::kMutation;
  cmd.need = Need::kOperate;
  cmd.target = target;
  cmd.plan = fn;
  return cmd;
}

Command MakeLongMutation(v1::CtlRequest::CommandCase c, SnapshotFn snapshot, ComputeFn compute,
                         TargetFn target) {
  Command cmd = MakeMutation(c, nullptr, target);
  cmd.snapshot = snapshot;
  cmd.compute = compute;
  return cmd;
}

void CommandTable::Add(Command c) {
  if (c.request_case == v1::CtlRequest::COMMAND_NOT_SET) {
    Misregistered(c.request_case, "has no request case");
  }
  const bool has_handler = (c.kind == CommandKind::kQuery && c.query) ||
                           (c.kind == CommandKind::kSession && c.session) ||
                           (c.kind == CommandKind::kMutation && (c.plan || c.compute));
  if (!has_handler) Misregistered(c.request_case, "has no handler for its kind");
  if ((c.snapshot == nullptr) != (c.compute == nullptr) || (c.compute && c.plan)) {
    Misregistered(c.request_case, "long work needs a snapshot and a compute, and no plan");
  }
  if (!c.authorize) Misregistered(c.request_case, "has no authorization resolver");
  if (c.moves_clock && c.kind != CommandKind::kSession) {
    Misregistered(c.request_case, "moves the clock but is not a session");
  }
  const auto i = static_cast<size_t>(c.request_case);
  if (i >= by_case_.size()) by_case_.resize(i + 1);
  if (by_case_[i].request_case != v1::CtlRequest::COMMAND_NOT_SET) {
    Misregistered(c.request_case, "is registered twice");
  }
  by_case_[i] = c;
  ++count_;
}

const Command* CommandTable::Find(v1::CtlRequest::CommandCase c) const {
  const auto i = static_cast<size_t>(c);
  if (i >= by_case_.size() || by_case_[i].request_case == v1::CtlRequest::COMMAND_NOT_SET) {
    return nullptr;
  }
  return &by_case_[i];
}

const CommandTable& Commands() {
  static const CommandTable table = [] {
    CommandTable t;
    // The modules, one line each. A new module adds its line here.
    RegisterSystemCommands(t);
    RegisterNetworkCommands(t);
    RegisterCalendarCommands(t);
    RegisterRotaCommands(t);
    RegisterVisitCommands(t);
    RegisterAccessCommands(t);
    return t;
  }();
  return table;
}

}  // namespace zhiban::core
