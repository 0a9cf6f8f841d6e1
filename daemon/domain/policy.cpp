#include "daemon/domain/policy.h"

#include <algorithm>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <toml++/toml.h>

#include "daemon/domain/common.h"
#include "daemon/domain/routes_travel.h"

namespace zhiban::domain {
namespace {

using common::ClockText;

constexpr size_t kMaxWindowsPerDay = 32;
constexpr size_t kMaxPolicyGapsListed = 10000;

struct DayKey {
  const char* key;
  v1::DayType type;
};
constexpr DayKey kDayKeys[] = {{"workday", v1::WORKDAY},
                               {"weekend", v1::WEEKEND},
                               {"holiday", v1::HOLIDAY},
                               {"makeup_workday", v1::MAKEUP_WORKDAY}};

std::string Where(std::string_view source, const toml::source_region& r) {
  return fmt::format("{}:{}", source.empty() ? "policy" : source, r.begin.line);
}

Status Bad(std::string_view source, const toml::source_region& r, std::string field,
           std::string msg) {
  return Status::InvalidArgument(std::move(field), fmt::format("{}: {}", Where(source, r), msg));
}

// "08:30" -> 510; "08:00+1" -> 1920 when next_day allowed; "24:00" -> 1440.
bool ParseClock(std::string_view s, bool allow_next_day, uint32_t* out) {
  uint32_t add = 0;
  if (allow_next_day && s.ends_with("+1")) {
    add = 1440;
    s.remove_suffix(2);
  }
  if (s.size() != 5 || s[2] != ':') return false;
  for (int i : {0, 1, 3, 4}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  const uint32_t h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return false;
  *out = h * 60 + m + add;
  return true;
}

bool IsSlug(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

Status ParseWindow(const toml::table& t, std::string_view source, const std::string& field,
                   v1::ServiceWindow* w) {
  static const char* kKeys[] = {"kind", "start", "end", "min_staff", "roles", "skills"};
  for (const auto& [k, v] : t) {
    if (std::find(std::begin(kKeys), std::end(kKeys), k.str()) == std::end(kKeys)) {
      return Bad(source, v.source(), field,
                 fmt::format("unknown key \"{}\" (a window has kind, start, end, min_staff, "
                             "roles, skills)",
                             k.str()));
    }
  }
  auto kind = t["kind"].value<std::string>();
  v1::WindowKind wk;
  if (!kind || !v1::WindowKind_Parse(*kind, &wk) || wk == v1::WINDOW_KIND_UNSPECIFIED) {
    return Bad(source, t.source(), field + ".kind",
               "kind must be REGULAR, EXTENDED, NOON, STAGGERED, DUTY, APPOINTMENT, ON_CALL or "
               "HOME_SERVICE");
  }
  w->set_kind(wk);
  auto start = t["start"].value<std::string>();
  uint32_t s = 0, e = 0;
  if (!start || !ParseClock(*start, false, &s) || s >= 1440) {
    const auto& r = t["start"].node() ? t["start"].node()->source() : t.source();
    return Bad(source, r, field + ".start", "start must be a time \"HH:MM\" from 00:00 to 23:59");
  }
  auto end = t["end"].value<std::string>();
  const auto& end_region = t["end"].node() ? t["end"].node()->source() : t.source();
  if (!end || !ParseClock(*end, true, &e)) {
    return Bad(source, end_region, field + ".end",
               "end must be a time \"HH:MM\" (or \"HH:MM+1\" for the next day)");
  }
  if (e <= s) {
    return Bad(source, end_region, field + ".end",
               fmt::format("end {} is not after start {}; write \"{}+1\" for a window that ends "
                           "the next day",
                           *end, *start, *end));
  }
  if (e - s > 1440) {
    return Bad(source, end_region, field + ".end", "a window lasts at most 24 hours");
  }
  w->set_start_minute(s);
  w->set_end_minute(e);
  auto* cov = w->mutable_coverage();
  int64_t min_staff = 1;
  if (auto n = t["min_staff"]; n) {
    if (!n.is_integer())
      return Bad(source, n.node()->source(), field + ".min_staff", "min_staff must be an integer");
    min_staff = *n.value<int64_t>();
    if (min_staff < 0 || min_staff > 1000) {
      return Bad(source, n.node()->source(), field + ".min_staff", "min_staff must be 0..1000");
    }
    if (min_staff == 0 && wk != v1::APPOINTMENT) {
      return Bad(source, n.node()->source(), field + ".min_staff",
                 fmt::format("a {} window needs at least one person (min_staff 0 is only for "
                             "APPOINTMENT windows, staffed when booked)",
                             v1::WindowKind_Name(wk)));
    }
  }
  cov->set_min_staff(static_cast<uint32_t>(min_staff));
  for (const char* list : {"roles", "skills"}) {
    auto node = t[list];
    if (!node) continue;
    const auto* arr = node.as_array();
    if (!arr)
      return Bad(source, node.node()->source(), field + "." + list,
                 fmt::format("{} must be a list of strings", list));
    for (const auto& item : *arr) {
      auto v = item.value<std::string>();
      if (!v)
        return Bad(source, item.source(), field + "." + list,
                   fmt::format("{} must be a list of strings", list));
      if (std::string_view(list) == "roles") {
        v1::Role r;
        if (!v1::Role_Parse(*v, &r) || r == v1::ROLE_UNSPECIFIED) {
          return Bad(
              source, item.source(), field + ".roles",
              fmt::format("\"{}\" is not a role (WORKER, CADRE, LEADER, VOLUNTEER, MANAGER)", *v));
        }
        cov->add_roles(r);
      } else {
        if (!IsSlug(*v)) {
          return Bad(source, item.source(), field + ".skills",
                     fmt::format("\"{}\" is not a skill name (a-z 0-9 -)", *v));
        }
        cov->add_skills(*v);
      }
    }
  }
  return {};
}

}  // namespace

Result<v1::OpeningPolicy> ParsePolicyToml(std::string_view text, std::string_view source) {
  if (text.size() > (256u << 10)) {
    return Status::InvalidArgument("toml", "a policy is at most 256 KiB of TOML");
  }
  toml::table doc;
  try {
    doc = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(
        "toml", fmt::format("{}: {}", Where(source, e.source()), e.description()));
  }
  v1::OpeningPolicy p;
  for (const auto& [k, v] : doc) {
    const auto key = k.str();
    bool known = key == "name" || key == "description" || key == "travel";
    for (const auto& d : kDayKeys) known = known || key == d.key;
    if (!known) {
      return Bad(source, v.source(), std::string(key),
                 fmt::format("unknown key \"{}\" (a policy has name, description, travel, "
                             "workday, weekend, holiday, makeup_workday)",
                             key));
    }
  }
  auto name = doc["name"].value<std::string>();
  if (!name || name->empty() || name->size() > 64 ||
      !std::all_of(name->begin(), name->end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      })) {
    return Bad(source, doc["name"].node() ? doc["name"].node()->source() : doc.source(), "name",
               "name must be an id (A-Z a-z 0-9 _ - ., at most 64)");
  }
  p.set_name(*name);
  if (auto d = doc["description"]; d) {
    if (!d.is_string())
      return Bad(source, d.node()->source(), "description", "description must be a string");
    p.set_description(*d.value<std::string>());
  }
  // [travel]: how the center's staff reach residents (routes_travel.h).
  if (auto t = doc["travel"]; t) {
    const auto* table = t.as_table();
    if (!table)
      return Bad(source, t.node()->source(), "travel", "write travel as a [travel] table");
    for (const auto& [tk, tv] : *table) {
      std::optional<double> number;
      if (tv.is_number()) number = tv.value<double>();
      const std::string str = tv.value_or(std::string());
      if (Status st = routes::SetTravelKey(tk.str(), number, str, p.mutable_travel()); !st.ok())
        return Bad(source, tv.source(), st.field(), st.message());
    }
  }
  size_t total = 0;
  for (const auto& dk : kDayKeys) {
    auto node = doc[dk.key];
    if (!node) continue;
    const auto* arr = node.as_array();
    if (!arr || !arr->is_array_of_tables()) {
      return Bad(source, node.node()->source(), dk.key,
                 fmt::format("write the {} windows as [[{}]] tables", dk.key, dk.key));
    }
    if (arr->size() > kMaxWindowsPerDay) {
      return Bad(source, node.node()->source(), dk.key,
                 fmt::format("at most {} windows per day type", kMaxWindowsPerDay));
    }
    auto* day = p.add_days();
    day->set_day_type(dk.type);
    std::vector<toml::source_region> regions;
    for (size_t i = 0; i < arr->size(); ++i) {
      const auto& t = *arr->get(i)->as_table();
      std::string field = fmt::format("{}[{}]", dk.key, i);
      ZB_RETURN_IF_ERROR(ParseWindow(t, source, field, day->add_windows()));
      regions.push_back(t.source());
    }
    // Windows of one kind must not overlap on the same day.
    for (int i = 0; i < day->windows_size(); ++i) {
      for (int j = 0; j < i; ++j) {
        const auto &a = day->windows(i), &b = day->windows(j);
        if (a.kind() == b.kind() && a.start_minute() < b.end_minute() &&
            b.start_minute() < a.end_minute()) {
          return Bad(source, regions[i], fmt::format("{}[{}]", dk.key, i),
                     fmt::format("{} {}-{} overlaps the {} window {}-{} at line {}",
                                 v1::WindowKind_Name(a.kind()), ClockText(a.start_minute()),
                                 ClockText(a.end_minute()), v1::WindowKind_Name(b.kind()),
                                 ClockText(b.start_minute()), ClockText(b.end_minute()),
                                 regions[j].begin.line));
        }
      }
    }
    std::sort(day->mutable_windows()->begin(), day->mutable_windows()->end(),
              [](const auto& a, const auto& b) { return a.start_minute() < b.start_minute(); });
    total += day->windows_size();
  }
  if (total == 0) {
    return Status::InvalidArgument(
        "", fmt::format("{}: the policy has no window at all (add [[workday]], [[weekend]], "
                        "[[holiday]] tables)",
                        source.empty() ? "policy" : source));
  }
  p.set_toml(std::string(text));
  return p;
}

// ---- PolicyBook ----------------------------------------------------------------

const v1::OpeningPolicy* PolicyBook::Find(std::string_view name, uint32_t version) const {
  auto it = policies_.find(name);
  if (it == policies_.end() || it->second.empty()) return nullptr;
  if (version == 0) return &it->second.back();
  for (const auto& p : it->second) {
    if (p.version() == version) return &p;
  }
  return nullptr;
}

const v1::OpeningPolicy* PolicyBook::InForce(std::string_view name, std::string_view date) const {
  auto it = policies_.find(name);
  if (it == policies_.end()) return nullptr;
  const v1::OpeningPolicy* best = nullptr;
  for (const auto& p : it->second) {  // versions ascend
    if (p.effective_from() <= date && (!best || p.effective_from() >= best->effective_from())) {
      best = &p;
    }
  }
  return best;
}

const v1::PolicyAssignment* PolicyBook::AssignmentOn(std::string_view center,
                                                     std::string_view date) const {
  auto it = assignments_.find(center);
  if (it == assignments_.end()) return nullptr;
  const v1::PolicyAssignment* best = nullptr;
  for (const auto& a : it->second) {  // ordered by from
    if (a.from() <= date) best = &a;
  }
  return best;
}

void PolicyBook::PutPolicy(v1::OpeningPolicy p) {
  auto& versions = policies_[p.name()];
  std::erase_if(versions, [&](const auto& x) { return x.version() == p.version(); });
  versions.push_back(std::move(p));
  std::sort(versions.begin(), versions.end(),
            [](const auto& a, const auto& b) { return a.version() < b.version(); });
}

void PolicyBook::PutAssignment(v1::PolicyAssignment a) {
  auto& list = assignments_[a.center_id()];
  std::erase_if(list, [&](const auto& x) { return x.from() == a.from(); });
  list.push_back(std::move(a));
  std::sort(list.begin(), list.end(),
            [](const auto& x, const auto& y) { return x.from() < y.from(); });
}

// ---- commands -----------------------------------------------------------------------

Result<Mutation> SetPolicy(const PolicyBook& book, v1::OpeningPolicy policy,
                           std::string_view effective_from) {
  auto* p = &policy;
  auto from = ParseDate(effective_from);
  if (!from.ok()) return Status::InvalidArgument("effective_from", from.status().message());
  const auto* newest = book.Find(p->name());
  if (newest && newest->description() == p->description() &&
      newest->travel().SerializeAsString() == p->travel().SerializeAsString() &&
      newest->days_size() == p->days_size() &&
      std::equal(newest->days().begin(), newest->days().end(), p->days().begin(),
                 [](const auto& a, const auto& b) {
                   return a.SerializeAsString() == b.SerializeAsString();
                 })) {
    Mutation unchanged;  // same windows as the newest version: nothing to do
    unchanged.summary =
        fmt::format("policy {} unchanged (version {})", newest->name(), newest->version());
    return unchanged;
  }
  p->set_version(newest ? newest->version() + 1 : 1);
  p->set_effective_from(std::string(effective_from));
  Mutation m;
  m.summary = fmt::format("policy {} version {} from {}", p->name(), p->version(), effective_from);
  v1::Event e;
  auto* b = e.mutable_policy_updated();
  b->set_name(p->name());
  b->set_version(p->version());
  b->set_effective_from(p->effective_from());
  m.Emit(std::move(e));
  m.policies_put.push_back(std::move(policy));
  return m;
}

Result<Mutation> AssignPolicy(const PolicyBook& book, const Network& net, v1::PolicyAssignment a) {
  if (!net.FindCenter(a.center_id())) {
    return Status::NotFound("assignment.center_id",
                            fmt::format("center \"{}\" does not exist", a.center_id()));
  }
  if (!book.Find(a.policy())) {
    return Status::NotFound("assignment.policy",
                            fmt::format("policy \"{}\" does not exist; set it first with "
                                        "`zhibanctl policy set --file`",
                                        a.policy()));
  }
  auto from = ParseDate(a.from());
  if (!from.ok()) return Status::InvalidArgument("assignment.from", from.status().message());
  Mutation m;
  if (const auto* same = book.AssignmentOn(a.center_id(), a.from());
      same && same->from() == a.from() && same->policy() == a.policy()) {
    m.summary =
        fmt::format("center {} already follows {} from {}", a.center_id(), a.policy(), a.from());
    return m;
  }
  m.summary =
      fmt::format("center {} follows policy {} from {}", a.center_id(), a.policy(), a.from());
  v1::Event e;
  e.set_center_id(a.center_id());
  *e.mutable_policy_assigned()->mutable_assignment() = a;
  m.Emit(std::move(e));
  m.assignments_put.push_back(std::move(a));
  return m;
}

// ---- coverage -----------------------------------------------------------------------

namespace {

const v1::DayPolicy* DayPolicyFor(const v1::OpeningPolicy& p, v1::DayType type) {
  const v1::DayPolicy* workday = nullptr;
  for (const auto& d : p.days()) {
    if (d.day_type() == type) return &d;
    if (d.day_type() == v1::WORKDAY) workday = &d;
  }
  return type == v1::MAKEUP_WORKDAY ? workday : nullptr;  // 调休 works like a workday
}

}  // namespace

namespace {

// Walks the days of one center: `on_day(date, iso, info, rules, policy)` for a
// day with windows, `on_gap(iso, reason)` for a day without. No allocation
// per day beyond the date text.
template <typename OnDay, typename OnGap>
Status Walk(const Calendar& cal, const PolicyBook& book, std::string_view center_id, Date from,
            Date to, OnDay on_day, OnGap on_gap) {
  if (auto missing = cal.MissingYears(from, to); !missing.empty()) {
    return Status::FailedPrecondition(fmt::format(
        "no national calendar is loaded for {}; load the State Council notice with `zhibanctl "
        "calendar import <year>.json`",
        fmt::join(missing, ", ")));
  }
  std::string iso;
  for (int32_t n = DayNumber(from); n <= DayNumber(to); ++n) {
    const Date d = FromDayNumber(n);
    iso = FormatDate(d);
    const auto info = cal.Info(d, iso, center_id);
    if (info.closed()) {
      on_gap(iso, [&] {
        return fmt::format("closed ({}: {})", info.exception->id(), info.exception->reason());
      });
      continue;
    }
    const auto* assignment = book.AssignmentOn(center_id, iso);
    if (!assignment) {
      on_gap(iso, [] { return std::string("no policy assigned"); });
      continue;
    }
    const auto* policy = book.InForce(assignment->policy(), iso);
    if (!policy) {
      on_gap(iso, [&] {
        return fmt::format("policy {} has no version in force", assignment->policy());
      });
      continue;
    }
    const auto* rules = DayPolicyFor(*policy, info.type);
    if (!rules || rules->windows_size() == 0) {
      on_gap(iso, [&] {
        return fmt::format("policy {} v{} has no window on {} days", policy->name(),
                           policy->version(), v1::DayType_Name(info.type));
      });
      continue;
    }
    ZB_RETURN_IF_ERROR(on_day(d, iso, info, *rules, *policy));
  }
  return {};
}

}  // namespace

Status ExpandCoverage(const Calendar& cal, const PolicyBook& book, const Network& net,
                      const Zones& zones, std::string_view center_id, Date from, Date to,
                      std::vector<Slot>* out, std::vector<v1::CoverageGap>* gaps) {
  const v1::Center* center = net.FindCenter(center_id);
  if (!center) {
    return Status::NotFound("center_id", fmt::format("center \"{}\" does not exist", center_id));
  }
  ZB_ASSIGN_OR_RETURN(auto zone, zones.Find(center->time_zone()));
  auto on_gap = [&](const std::string& iso, auto reason) {
    if (!gaps) return;
    v1::CoverageGap g;
    g.set_center_id(std::string(center_id));
    g.set_date(iso);
    g.set_reason(reason());
    gaps->push_back(std::move(g));
  };
  auto on_day = [&](Date d, const std::string&, const Calendar::DayInfo& info,
                    const v1::DayPolicy& rules, const v1::OpeningPolicy& policy) -> Status {
    for (const auto& w : rules.windows()) {
      out->push_back(
          {d, info.type, &w, &policy, zone.At(d, w.start_minute()), zone.At(d, w.end_minute())});
    }
    return {};
  };
  return Walk(cal, book, center_id, from, to, on_day, on_gap);
}

v1::RequiredWindow ToRequiredWindow(std::string_view center, const Slot& s) {
  v1::RequiredWindow rw;
  rw.set_center_id(std::string(center));
  rw.set_date(FormatDate(s.date));
  rw.set_day_type(s.day_type);
  rw.set_kind(s.window->kind());
  rw.mutable_start()->set_seconds(
      std::chrono::duration_cast<std::chrono::seconds>(s.start.time_since_epoch()).count());
  rw.mutable_end()->set_seconds(
      std::chrono::duration_cast<std::chrono::seconds>(s.end.time_since_epoch()).count());
  *rw.mutable_coverage() = s.window->coverage();
  rw.set_policy(s.policy->name());
  rw.set_policy_version(s.policy->version());
  rw.set_start_local(ClockText(s.window->start_minute()));
  rw.set_end_local(ClockText(s.window->end_minute()));
  return rw;
}

Result<v1::CoverageAuditReply> AuditCoverage(const Calendar& cal, const PolicyBook& book,
                                             const Network& net, int year) {
  if (!cal.HasYear(year)) {
    return Status::FailedPrecondition("year",
                                      fmt::format("no national calendar is loaded for {}", year));
  }
  const Date first{std::chrono::year(year), std::chrono::January, std::chrono::day(1)};
  const Date last{std::chrono::year(year), std::chrono::December, std::chrono::day(31)};
  v1::CoverageAuditReply out;
  uint64_t windows = 0, gaps = 0;
  for (const auto& [center_id, c] : net.centers()) {
    const std::string& id = center_id;  // a lambda may not capture a binding (clang 14)
    auto on_gap = [&](const std::string& iso, auto reason) {
      if (gaps++ >= kMaxPolicyGapsListed) return;
      auto* g = out.add_gaps();
      g->set_center_id(id);
      g->set_date(iso);
      g->set_reason(reason());
    };
    auto on_day = [&](Date, const std::string&, const Calendar::DayInfo&,
                      const v1::DayPolicy& rules, const v1::OpeningPolicy&) -> Status {
      windows += static_cast<uint64_t>(rules.windows_size());
      return {};
    };
    ZB_RETURN_IF_ERROR(Walk(cal, book, id, first, last, on_day, on_gap));
  }
  out.set_centers(static_cast<uint32_t>(net.centers().size()));
  out.set_center_days(out.centers() *
                      static_cast<uint32_t>(DayNumber(last) - DayNumber(first) + 1));
  out.set_windows(static_cast<uint32_t>(windows));
  out.set_gap_count(static_cast<uint32_t>(gaps));
  return out;
}

}  // namespace zhiban::domain
