// Commands on the calendar, opening policies and coverage (domain/calendar.h,
// domain/policy.h).
#include <fmt/format.h>

#include "daemon/core/command.h"
#include "daemon/core/command_util.h"
#include "daemon/core/reach.h"

namespace zhiban::core {
namespace {

using R = v1::CtlRequest;

// The reply to a change of a year's calendar: what the year now holds.
void YearReply(const v1::CalendarYear& y, bool replaced, v1::CtlReply* reply) {
  auto* out = reply->mutable_calendar_year();
  out->set_year(y.year());
  out->set_replaced(replaced);
  for (const auto& d : y.days()) {
    if (d.off_day()) {
      out->set_rest_days(out->rest_days() + 1);
    } else {
      out->set_makeup_workdays(out->makeup_workdays() + 1);
    }
    if (d.statutory()) out->set_statutory_days(out->statutory_days() + 1);
  }
}

Result<domain::Mutation> CalendarImport(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto& cal = env.state.calendar;
  const bool replaced = cal.HasYear(req.calendar_import().year().year());
  auto m = domain::ImportCalendarYear(cal, req.calendar_import().year());
  if (!m.ok()) return m;
  YearReply(m->years_put.front(), replaced, reply);
  const auto missing = domain::MissingFromNotice(m->years_put.front());
  for (const auto& line : missing) reply->mutable_calendar_year()->add_incomplete(line);
  if (!missing.empty()) {
    m->summary += fmt::format(" — incomplete against the law: {}", fmt::join(missing, "; "));
  }
  return m;
}

Result<domain::Mutation> CalendarStatutory(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto& cal = env.state.calendar;
  const auto& s = req.calendar_statutory().statutory();
  const bool replaced = cal.HasStatutory(s.year());
  auto m = domain::SetStatutoryDays(cal, s);
  if (m.ok()) YearReply(m->years_put.front(), replaced, reply);
  return m;
}

Status CalendarShow(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto& cal = env.state.calendar;
  const auto& q = req.calendar_show();
  ZB_ASSIGN_OR_RETURN(auto from, DateField(q.from(), "from"));
  ZB_ASSIGN_OR_RETURN(auto to, q.to().empty() ? from : DateField(q.to(), "to"));
  ZB_RETURN_IF_ERROR(CheckRange(from, to, 3660));
  if (!q.center_id().empty() && !env.state.network.FindCenter(q.center_id())) {
    return Status::NotFound("center_id",
                            fmt::format("center \"{}\" does not exist", q.center_id()));
  }
  if (auto missing = cal.MissingYears(from, to); !missing.empty()) {
    return Status::FailedPrecondition(fmt::format(
        "no national calendar is loaded for {}; day types there are unknown. Load the State "
        "Council notice with `zhibanctl calendar import <year>.json`",
        fmt::join(missing, ", ")));
  }
  auto* out = reply->mutable_calendar_show();
  for (int32_t n = DayNumber(from); n <= DayNumber(to); ++n) {
    ZB_ASSIGN_OR_RETURN(auto day, cal.Day(FromDayNumber(n), q.center_id()));
    *out->add_days() = std::move(day);
  }
  return {};
}

Status CalendarStats(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  ZB_ASSIGN_OR_RETURN(auto stats,
                      domain::YearStats(env.state.calendar, req.calendar_stats().year()));
  *reply->mutable_calendar_stats() = std::move(stats);
  return {};
}

Status CalendarYears(CommandEnv& env, const R&, v1::CtlReply* reply) {
  for (const auto& [year, y] : env.state.calendar.years()) {
    auto* out = reply->mutable_calendar_years()->add_years();
    out->set_year(year);
    *out->mutable_papers() = y.papers();
    out->set_source(y.source());
  }
  return {};
}

Result<domain::Mutation> ExceptionAdd(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m =
      domain::AddException(env.state.calendar, env.state.network, req.exception_add().exception());
  if (m.ok()) *reply->mutable_exception() = m->exceptions_put.front();
  return m;
}

Result<domain::Mutation> ExceptionRemove(CommandEnv& env, const R& req, v1::CtlReply*) {
  return domain::RemoveException(env.state.calendar, req.exception_remove().id());
}

Status ExceptionList(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto& center = req.exception_list().center_id();
  for (const auto& [id, e] : env.state.calendar.exceptions()) {
    if (center.empty() || e.center_id() == center) {
      *reply->mutable_exception_list()->add_exceptions() = e;
    }
  }
  return {};
}

Result<domain::Mutation> PolicySet(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto& q = req.policy_set();
  ZB_ASSIGN_OR_RETURN(auto parsed, domain::ParsePolicyToml(q.toml(), q.source()));
  const std::string name = parsed.name();
  const auto& policies = env.state.policies;
  auto m = domain::SetPolicy(policies, std::move(parsed),
                             q.effective_from().empty() ? env.Today() : q.effective_from());
  if (m.ok()) {
    // Unchanged: the reply names the version already in place.
    *reply->mutable_policy() =
        m->policies_put.empty() ? *policies.Find(name) : m->policies_put.front();
    reply->mutable_policy()->clear_toml();
  }
  return m;
}

Result<domain::Mutation> PolicyAssign(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  v1::PolicyAssignment a = req.policy_assign().assignment();
  if (a.from().empty()) a.set_from(env.Today());
  auto m = domain::AssignPolicy(env.state.policies, env.state.network, a);
  if (m.ok()) *reply->mutable_assignment() = a;
  return m;
}

Status PolicyShow(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto& q = req.policy_show();
  const auto* p = env.state.policies.Find(q.name(), q.version());
  if (!p) {
    return Status::NotFound(
        "name", q.version() ? fmt::format("policy \"{}\" has no version {}", q.name(), q.version())
                            : fmt::format("policy \"{}\" does not exist", q.name()));
  }
  *reply->mutable_policy() = *p;
  return {};
}

Status PolicyList(CommandEnv& env, const R&, v1::CtlReply* reply) {
  auto* out = reply->mutable_policy_list();
  for (const auto& [name, versions] : env.state.policies.policies()) {
    for (const auto& p : versions) {
      auto* x = out->add_policies();
      *x = p;
      x->clear_toml();
      x->clear_days();
    }
  }
  for (const auto& [center, list] : env.state.policies.assignments()) {
    for (const auto& a : list) *out->add_assignments() = a;
  }
  return {};
}

Status CoverageShow(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto& st = env.state;
  const auto& q = req.coverage_show();
  ZB_ASSIGN_OR_RETURN(auto from, DateField(q.from(), "from"));
  ZB_ASSIGN_OR_RETURN(auto to, q.to().empty() ? from : DateField(q.to(), "to"));
  ZB_RETURN_IF_ERROR(CheckRange(from, to, 365));
  std::vector<domain::Slot> slots;
  ZB_RETURN_IF_ERROR(domain::ExpandCoverage(st.calendar, st.policies, st.network, env.zones,
                                            q.center_id(), from, to, &slots, nullptr));
  auto* out = reply->mutable_coverage_show();
  out->mutable_windows()->Reserve(static_cast<int>(slots.size()));
  for (const auto& s : slots) *out->add_windows() = domain::ToRequiredWindow(q.center_id(), s);
  return {};
}

Status CoverageAudit(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto& st = env.state;
  auto audit =
      domain::AuditCoverage(st.calendar, st.policies, st.network, req.coverage_audit().year());
  if (!audit.ok()) return audit.status();
  *reply->mutable_coverage_audit() = std::move(*audit);
  return {};
}

}  // namespace

void RegisterCalendarCommands(CommandTable& t) {
  // The calendar, opening policies and exceptions are public: every role reads them.
  constexpr ReachFn kAnywhere = [](const R&, const domain::State&) { return Reach::Anywhere(); };
  t.Add(MakeMutation(R::kCalendarImport, CalendarImport,
                     [](const R& r) { return std::to_string(r.calendar_import().year().year()); }));
  t.Add(MakeMutation(R::kCalendarStatutory, CalendarStatutory, [](const R& r) {
    return std::to_string(r.calendar_statutory().statutory().year());
  }));
  t.Add(Reaching(MakeQuery(R::kCalendarShow, CalendarShow), kAnywhere, "anywhere"));
  t.Add(Reaching(MakeQuery(R::kCalendarStats, CalendarStats), kAnywhere, "anywhere"));
  t.Add(Reaching(MakeQuery(R::kCalendarYears, CalendarYears), kAnywhere, "anywhere"));
  t.Add(Reaching(
      MakeMutation(R::kExceptionAdd, ExceptionAdd,
                   [](const R& r) { return r.exception_add().exception().id(); }),
      [](const R& r, const domain::State& s) {
        return reach::Under(s, r.exception_add().exception().center_id());
      },
      "its center (none: the whole network)"));
  t.Add(Reaching(
      MakeMutation(R::kExceptionRemove, ExceptionRemove,
                   [](const R& r) { return r.exception_remove().id(); }),
      [](const R& r, const domain::State& s) {
        const auto* e = s.calendar.FindException(r.exception_remove().id());
        return e ? reach::Under(s, e->center_id()) : Reach::Network();
      },
      "its center (none: the whole network)"));
  t.Add(Reaching(MakeQuery(R::kExceptionList, ExceptionList), kAnywhere, "anywhere"));
  t.Add(MakeMutation(R::kPolicySet, PolicySet, [](const R& r) { return r.policy_set().source(); }));
  t.Add(Reaching(
      MakeMutation(R::kPolicyAssign, PolicyAssign,
                   [](const R& r) {
                     return r.policy_assign().assignment().center_id() + "=" +
                            r.policy_assign().assignment().policy();
                   }),
      [](const R& r, const domain::State& s) {
        return reach::Center(s, r.policy_assign().assignment().center_id());
      },
      "the center"));
  t.Add(Reaching(MakeQuery(R::kPolicyShow, PolicyShow), kAnywhere, "anywhere"));
  t.Add(Reaching(MakeQuery(R::kPolicyList, PolicyList), kAnywhere, "anywhere"));
  t.Add(Reaching(
      MakeQuery(R::kCoverageShow, CoverageShow),
      [](const R& r, const domain::State& s) {
        return reach::Filter(s, r.coverage_show().center_id());
      },
      "the center named (none: the whole network)"));
  t.Add(MakeQuery(R::kCoverageAudit, CoverageAudit));
}

}  // namespace zhiban::core
