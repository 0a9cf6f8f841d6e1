#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "daemon/core/command.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

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
Principal Principal::Staff(const v1::Staff& s, std::string_view channel) {
  return Principal{Via::kStaff, fmt::format("staff:{}", s.id()), domain::StaffGrants(s),
                   fmt::format("via {}", channel), s.id()};
}
Principal Principal::Internal() { return Principal{Via::kInternal, "zhiband", {}, {}}; }
Principal Principal::Key(const v1::AccessKey& key, std::string claimed, const v1::Staff* staff) {
  Principal p{
      Via::kKey, key.name(), {key.grants().begin(), key.grants().end()}, std::move(claimed), {}};
  if (staff) {
    p.staff_id = staff->id();
    for (auto& g : domain::StaffGrants(*staff)) p.grants.push_back(std::move(g));
  }
  return p;
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
  const bool steers = role == v1::ACCESS_ADMIN || role == v1::ACCESS_OPERATOR;
  switch (need) {
    case Need::kRead:
      return role != v1::ACCESS_ROLE_UNSPECIFIED;
    case Need::kAct:
      return steers || role == v1::ACCESS_STAFF || role == v1::ACCESS_LEADER;
    case Need::kLead:
      return steers || role == v1::ACCESS_LEADER;
    case Need::kOperate:
      return steers;
    case Need::kAudit:
      return role == v1::ACCESS_ADMIN || role == v1::ACCESS_AUDITOR;
    case Need::kContacts:
      return role == v1::ACCESS_ADMIN || role == v1::ACCESS_PLUGIN;
    case Need::kAdmin:
      return role == v1::ACCESS_ADMIN;
  }
  return false;
}

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool InScope(const v1::Grant& g, const Reach& r, const domain::Network& net) {
  switch (r.where) {
    case Reach::Where::kAnywhere:
      return true;
    case Reach::Where::kNetwork:
      return g.center_id().empty();
    case Reach::Where::kCenters:
      // No center named: nothing narrower than the network was shown.
      if (r.centers.empty()) return g.center_id().empty();
      return std::all_of(r.centers.begin(), r.centers.end(),
                         [&](const auto& c) { return domain::Covers(net, g.center_id(), c); });
  }
  return false;
}

// Whether grant `g` of `who` allows `r` needing `need` (the rules beside Need).
bool GrantAllows(const Principal& who, const v1::Grant& g, const Reach& r, Need need,
                 const domain::Network& net) {
  const v1::AccessRole role = g.role();
  if (!Satisfies(role, need)) return false;
  const bool person = role == v1::ACCESS_STAFF || role == v1::ACCESS_LEADER;
  const bool self = !who.staff_id.empty() && r.person == who.staff_id;
  // A staff member decides nothing about their own request, whatever else
  // they hold (an operator who is also staff included).
  if (need == Need::kLead && !who.staff_id.empty() && Contains(r.parties, who.staff_id)) {
    return false;
  }
  // The staff and leader roles are a person's: on a key of nobody's they act
  // and decide for nobody.
  if (person && who.staff_id.empty() && (need == Need::kAct || need == Need::kLead)) return false;
  switch (need) {
    case Need::kRead:
      // A staff member reads about themselves, or their own center.
      if (role == v1::ACCESS_STAFF && !r.person.empty()) return self;
      return InScope(g, r, net);
    case Need::kAct:
      return person ? self : InScope(g, r, net);
    case Need::kLead:
      if (role == v1::ACCESS_LEADER) {
        // As themselves (or naming nobody), never about their own request.
        if (!who.staff_id.empty() &&
            ((!r.person.empty() && !self) || Contains(r.parties, who.staff_id))) {
          return false;
        }
      }
      return InScope(g, r, net);
    case Need::kOperate:
    case Need::kAudit:
    case Need::kContacts:
    case Need::kAdmin:
      return InScope(g, r, net);
  }
  return false;
}

std::string NeedText(Need need, const Reach& r) {
  std::string who;
  switch (need) {
    case Need::kRead:
      who = "any role";
      break;
    case Need::kAct:
      who = r.person.empty() ? "the role operator or admin"
                             : fmt::format(
                                   "staff member {} themselves, or the role operator or "
                                   "admin",
                                   r.person);
      break;
    case Need::kLead:
      who = r.parties.empty() ? "the role leader, operator or admin"
                              : fmt::format("the role leader (not {}), operator or admin",
                                            fmt::join(r.parties, " or "));
      break;
    case Need::kOperate:
      who = "the role operator or admin";
      break;
    case Need::kAudit:
      who = "the role auditor or admin";
      break;
    case Need::kContacts:
      who = "the role plugin or admin";
      break;
    case Need::kAdmin:
      who = "the role admin";
      break;
  }
  switch (r.where) {
    case Reach::Where::kAnywhere:
      return who;
    case Reach::Where::kNetwork:
      return who + " over the whole network";
    case Reach::Where::kCenters:
      return fmt::format("{} whose scope holds {}", who, fmt::join(r.centers, " and "));
  }
  return who;
}

}  // namespace

bool Allows(const Principal& who, const Reach& r, Need need, const domain::Network& net) {
  if (!who.by_grants()) return true;
  return std::any_of(who.grants.begin(), who.grants.end(),
                     [&](const auto& g) { return GrantAllows(who, g, r, need, net); });
}

bool ReadScope::Shows(std::string_view center) const {
  if (all) return true;
  return std::any_of(roots.begin(), roots.end(),
                     [&](const auto& r) { return domain::Covers(*net, r, center); });
}

ReadScope ReadScope::Of(const Principal& who, const domain::Network& net) {
  ReadScope s;
  if (!who.by_grants()) return s;
  s.all = false;
  s.net = &net;
  for (const auto& g : who.grants) {
    if (g.role() == v1::ACCESS_ROLE_UNSPECIFIED) continue;
    if (g.center_id().empty()) {
      s.all = true;
      s.roots.clear();
      return s;
    }
    s.roots.push_back(g.center_id());
  }
  return s;
}

Reach ReachOf(const Command& cmd, const v1::CtlRequest& req, const domain::State& state) {
  return cmd.reach ? cmd.reach(req, state) : Reach::Network();
}

Status Permit(const Principal& who, const Command& cmd, const v1::CtlRequest& req,
              const domain::State& state) {
  if (who.by_grants()) {
    const Reach r = ReachOf(cmd, req, state);
    const Need need = r.need.value_or(cmd.need);
    if (!Allows(who, r, need, state.network)) {
      const auto* field = v1::CtlRequest::descriptor()->FindFieldByNumber(cmd.request_case);
      return Status::PermissionDenied(fmt::format(
          "{} needs {}; {} \"{}\" holds {}; nothing was changed",
          field ? field->name() : std::string("this command"), NeedText(need, r),
          who.via == Principal::Via::kKey ? "key" : "principal", who.name, who.RolesText()));
    }
  }
  return cmd.authorize(who, req, state);
}

namespace {

const char* WhoMay(Need need) {
  switch (need) {
    case Need::kRead:
      return "any role";
    case Need::kAct:
      return "the person themselves (`staff`, `leader`); `operator`, `admin` for them";
    case Need::kLead:
      return "`leader`, never about their own request; `operator`, `admin` for a named leader";
    case Need::kOperate:
      return "`operator`, `admin`";
    case Need::kAudit:
      return "`auditor`, `admin`";
    case Need::kContacts:
      return "`plugin`, `admin`";
    case Need::kAdmin:
      return "`admin`";
  }
  return "`admin`";
}

}  // namespace

std::string RoleTable() {
  std::string out =
      "| command | who may | where: a grant's subtree must hold |\n| --- | --- | --- |\n";
  const auto* oneof = v1::CtlRequest::descriptor()->FindOneofByName("command");
  for (int i = 0; i < oneof->field_count(); ++i) {
    const auto* field = oneof->field(i);
    const Command* cmd = Commands().Find(static_cast<v1::CtlRequest::CommandCase>(field->number()));
    if (!cmd) continue;
    out += fmt::format("| `{}` | {}{} | {} |\n", field->name(), WhoMay(cmd->need),
                       cmd->by_action ? fmt::format(" ({})", cmd->by_action) : std::string(),
                       cmd->where);
  }
  return out;
}

Command Needing(Command c, Need need, const char* by_action) {
  c.need = need;
  c.by_action = by_action;
  return c;
}

Command Reaching(Command c, ReachFn fn, const char* where) {
  c.reach = fn;
  c.where = where;
  return c;
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
    RegisterContactCommands(t);
    return t;
  }();
  return table;
}

}  // namespace zhiban::core
