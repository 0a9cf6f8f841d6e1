#include <cstdio>
#include <cstdlib>
#include <string>

#include "daemon/core/command.h"

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
  cmd.audit = audit;
  cmd.target = target;
  cmd.session = fn;
  return cmd;
}

Command MakeMutation(v1::CtlRequest::CommandCase c, PlanFn fn, TargetFn target) {
  Command cmd;
  cmd.request_case = c;
  cmd.kind = CommandKind::kMutation;
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
    return t;
  }();
  return table;
}

}  // namespace zhiban::core
