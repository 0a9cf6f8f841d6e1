// Instances, zhiban's own plan of them, its figures, and the replay of the
// optimum through `rota override` (rota_optimum.h). The integer program is
// rota_optimum.cpp's.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "bench/city.h"
#include "bench/rota_optimum.h"
#include "clients/lib/csv.h"
#include "clients/lib/records_csv.h"
#include "daemon/base/time_util.h"
#include "daemon/domain/network.h"
#include "daemon/domain/policy.h"
#include "tests/support/calendars.h"
#include "tests/support/source.h"

namespace zhiban::bench::optimum {

namespace {

const Zones& SharedZones() {
  static Zones zones;
  return zones;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream f(path);
  if (!f) return Status::NotFound("file", fmt::format("{}: cannot be read", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string InTree(const std::string& path) {
  return !path.empty() && path[0] == '/' ? path : test::Source(path);
}

Status Named(const Status& s, const std::string& where) {
  return s.ok() ? s : Status::InvalidArgument(where, s.ToString());
}

// Applies a domain function's mutation, or says where it failed.
Status ApplyOr(domain::State& st, Result<domain::Mutation> m, const std::string& where) {
  if (!m.ok()) return Named(m.status(), where);
  domain::Apply(st, std::move(*m));
  return {};
}

// The month's first and last dates, and a time ten days before it.
Status SetMonth(RotaInstance& inst, const std::string& month) {
  auto first = ParseDate(month + "-01");
  if (month.size() != 7 || !first.ok())
    return Status::InvalidArgument("month", fmt::format("\"{}\" is not YYYY-MM", month));
  const Date last = first->year() / first->month() / std::chrono::last;
  inst.from = FormatDate(*first);
  inst.to = FormatDate(last);
  inst.now = TimePoint(std::chrono::seconds(int64_t{DayNumber(*first) - 10} * 86400));
  return {};
}

Status LoadPolicy(RotaInstance& inst, const std::string& path) {
  auto& st = inst.state;
  ZB_ASSIGN_OR_RETURN(auto text, ReadFile(InTree(path)));
  inst.policies.push_back({path, text, "2024-01-01"});
  auto p = domain::ParsePolicyToml(text, path);
  if (!p.ok()) return Named(p.status(), path);
  return ApplyOr(st, domain::SetPolicy(st.policies, std::move(*p), "2024-01-01"), path);
}

}  // namespace

domain::RotaCtx RotaInstance::Ctx(const domain::State& st) const {
  return domain::RotaCtx{st, SharedZones(), now, "bench"};
}

Result<RotaInstance> LoadInstance(const std::string& dir) {
  const std::string root = InTree(dir);
  const std::string toml_path = root + "/instance.toml";
  ZB_ASSIGN_OR_RETURN(auto text, ReadFile(toml_path));
  toml::table t;
  try {
    t = toml::parse(text, toml_path);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(toml_path, std::string(e.description()));
  }
  RotaInstance inst;
  inst.name = t["name"].value_or(std::string());
  ZB_RETURN_IF_ERROR(Named(SetMonth(inst, t["month"].value_or(std::string())), toml_path));
  auto& st = inst.state;
  test::LoadShippedCalendars(st, {2025, 2026});
  if (const auto* ps = t["policies"].as_array()) {
    for (const auto& p : *ps) ZB_RETURN_IF_ERROR(LoadPolicy(inst, p.value_or(std::string())));
  }
  // Centers and staff through the CSV import's readers and validation.
  for (const char* file : {"centers.csv", "staff.csv"}) {
    const std::string path = root + "/" + file;
    ZB_ASSIGN_OR_RETURN(auto csv_text, ReadFile(path));
    auto table = client::ParseCsv(csv_text);
    if (!table.ok()) return Named(table.status(), path);
    std::vector<client::CellError> errors;
    domain::ImportCounts counts;
    domain::ImportErrors import_errors;
    if (std::string(file) == "centers.csv") {
      std::vector<v1::Center> rows;
      ZB_RETURN_IF_ERROR(Named(client::CentersFromCsv(*table, &rows, &errors), path));
      std::vector<domain::ImportRow<v1::Center>> in;
      for (auto& c : rows) in.push_back({static_cast<uint32_t>(in.size() + 2), std::move(c)});
      ZB_RETURN_IF_ERROR(ApplyOr(
          st, domain::ImportCenters(st.network, std::move(in), &counts, &import_errors), path));
    } else {
      std::vector<v1::Staff> rows;
      ZB_RETURN_IF_ERROR(Named(client::StaffFromCsv(*table, &rows, &errors), path));
      std::vector<domain::ImportRow<v1::Staff>> in;
      for (auto& s : rows) in.push_back({static_cast<uint32_t>(in.size() + 2), std::move(s)});
      ZB_RETURN_IF_ERROR(ApplyOr(
          st, domain::ImportStaff(st.network, std::move(in), &counts, &import_errors), path));
    }
    if (!errors.empty()) {
      return Status::InvalidArgument(
          path, fmt::format("row {} {}: {}", errors[0].row, errors[0].column, errors[0].message));
    }
  }
  if (const auto* assign = t["assign"].as_table()) {
    for (const auto& [center, policy] : *assign) {
      v1::PolicyAssignment a;
      a.set_center_id(std::string(center.str()));
      a.set_policy(policy.value_or(std::string()));
      a.set_from("2024-01-01");
      ZB_RETURN_IF_ERROR(ApplyOr(st, domain::AssignPolicy(st.policies, st.network, a),
                                 toml_path + ": assign." + a.center_id()));
      inst.assignments.push_back(a);
    }
  }
  const std::string rules_path = t["rules"].value_or(std::string("ops/rules.toml"));
  ZB_ASSIGN_OR_RETURN(auto rules_text, ReadFile(InTree(rules_path)));
  inst.rules_source = rules_path;
  inst.rules_toml = rules_text;
  ZB_RETURN_IF_ERROR(
      ApplyOr(st, domain::SetRules(inst.Ctx(st), rules_text, rules_path), rules_path));
  // Leave through `leave add`'s domain function (its checks, no force).
  if (const auto* leave = t["leave"].as_array()) {
    for (const auto& node : *leave) {
      const auto* l = node.as_table();
      if (!l) return Status::InvalidArgument(toml_path, "[[leave]] must be tables");
      v1::Leave x;
      x.set_id((*l)["id"].value_or(std::string()));
      x.set_staff_id((*l)["staff"].value_or(std::string()));
      v1::LeaveKind kind{};
      if (!v1::LeaveKind_Parse((*l)["kind"].value_or(std::string()), &kind))
        return Status::InvalidArgument(toml_path, fmt::format("leave {}: unknown kind", x.id()));
      x.set_kind(kind);
      x.set_from((*l)["from"].value_or(std::string()));
      x.set_to((*l)["to"].value_or(std::string()));
      ZB_RETURN_IF_ERROR(
          ApplyOr(st, domain::AddLeave(inst.Ctx(st), x), toml_path + ": leave " + x.id()));
      inst.leave.push_back(x);
    }
  }
  return inst;
}

RotaInstance CityInstance(const std::string& month) {
  RotaInstance inst;
  inst.name = "city";
  (void)SetMonth(inst, month);
  BuildCity(inst.state, 2);
  for (int c = 0; c < 2; ++c) {
    for (int k = 0; k < 10; ++k) inst.state.network.PutStaff(CityStaff(c, k));
  }
  const std::string rules = CityRulesToml(2);
  inst.state.rota.SetRules(domain::ParseRulesToml(rules, "bench").value());
  inst.rules_source = "bench";
  inst.rules_toml = rules;
  for (const char* f : {"ops/policies/community.toml", "ops/policies/village.toml"})
    inst.policies.push_back({f, test::ReadSource(f), "2025-01-01"});
  for (int c = 0; c < 2; ++c) {
    v1::PolicyAssignment a;
    a.set_center_id(CityCenterId(c));
    a.set_policy(CityVillage(c) ? "village-standard" : "community-standard");
    a.set_from("2025-01-01");
    inst.assignments.push_back(a);
  }
  return inst;
}

void Narrow(RotaInstance& inst, const std::string& from, const std::string& to) {
  inst.from = from;
  inst.to = to;
}

PlanFigures Measure(const RotaInstance& inst, const domain::State& st) {
  PlanFigures out;
  for (const auto& [id, center] : st.network.centers()) {
    v1::RotaCheckRequest q;
    q.set_center_id(id);
    q.set_from(inst.from);
    q.set_to(inst.to);
    v1::RotaCheckReply r;
    (void)domain::CheckRota(inst.Ctx(st), q, &r);
    CenterFigures c;
    c.center = id;
    c.shifts = r.shifts();
    c.gaps = r.gap_count();
    c.breaches = static_cast<uint32_t>(r.breaches_size());
    c.spread = {r.spread_weekend_days(), r.spread_holiday_days(), r.spread_evenings()};
    out.shifts += c.shifts;
    out.gaps += c.gaps;
    out.breaches += c.breaches;
    for (int k = 0; k < 3; ++k) out.spread[k] += c.spread[k];
    out.centers.push_back(std::move(c));
  }
  return out;
}

Status Generate(const RotaInstance& inst, bool fill, domain::State* out, double* ms,
                std::vector<std::string>* gaps) {
  *out = inst.state;
  const auto t0 = std::chrono::steady_clock::now();
  // `rota generate --center all`: every center in id order (zhibanctl's
  // AllCenters lists them so), one request each, each committed before the next.
  std::vector<std::string> centers;
  for (const auto& [id, center] : out->network.centers()) centers.push_back(id);
  for (const auto& id : centers) {
    v1::RotaGenerateRequest q;
    q.set_center_id(id);
    q.set_from(inst.from);
    q.set_to(inst.to);
    q.set_fill(fill);
    domain::PlanCounts counts;
    ZB_RETURN_IF_ERROR(ApplyOr(*out, domain::GenerateRota(inst.Ctx(*out), q, &counts),
                               "rota generate --center " + id));
    if (gaps) {
      for (const auto& [shift, why] : counts.gap_list)
        gaps->push_back(fmt::format("{} ({})", shift.id(), why));
    }
  }
  *ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return {};
}

std::map<std::string, std::string> PlanOf(const RotaInstance& inst, const domain::State& st) {
  std::map<std::string, std::string> out;
  const Date from = ParseDate(inst.from).value(), to = ParseDate(inst.to).value();
  for (const auto& [id, center] : st.network.centers()) {
    for (const auto* s : st.rota.CenterShifts(id, from, to))
      if (!s->assignee_id().empty()) out[s->id()] = s->assignee_id();
  }
  return out;
}

Replay ReplayOverrides(const RotaInstance& inst, const Optimum& opt, domain::State* st) {
  Replay out;
  for (const auto& [shift, staff] : opt.assignee) {
    v1::RotaOverrideRequest q;
    q.set_shift_id(shift);
    q.set_staff_id(staff);
    q.set_reason("bench optimum");
    std::vector<v1::Shift> changed;
    auto m = domain::OverrideShifts(inst.Ctx(*st), q, &changed);
    if (!m.ok()) {
      ++out.refused;
      if (out.refusals.size() < 20)
        out.refusals.push_back(fmt::format("{} {}: {}", shift, staff, m.status().ToString()));
      continue;
    }
    domain::Apply(*st, std::move(*m));
    ++out.accepted;
  }
  return out;
}

}  // namespace zhiban::bench::optimum
