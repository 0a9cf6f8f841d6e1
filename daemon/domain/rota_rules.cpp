// Working-time rules: the rules TOML, resolved per person and center (rota.h).
#include "daemon/domain/rota.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "daemon/domain/rota_internal.h"

namespace zhiban::domain {

using rota_internal::Emit;

namespace {

// What extra time earns when no rules level says: the law for contract
// staff, comp rest for civil servants, nothing paid for cadres and volunteers.
v1::OvertimePay OvertimePayOf(v1::EmploymentType type) {
  switch (type) {
    case v1::CIVIL_SERVANT:
      return v1::OVERTIME_PAY_COMP_TIME;
    case v1::ELECTED_CADRE:
    case v1::VOLUNTEER_SERVICE:
      return v1::OVERTIME_PAY_NONE;
    default:
      return v1::OVERTIME_PAY_LABOUR_LAW;
  }
}

// The rules' words for the enums of the rules TOML, each with its value.
template <typename E>
struct Word {
  std::string_view word;
  E value;
};

constexpr Word<v1::OvertimePay> kOvertimePays[] = {{"labour_law", v1::OVERTIME_PAY_LABOUR_LAW},
                                                   {"comp_time", v1::OVERTIME_PAY_COMP_TIME},
                                                   {"subsidy", v1::OVERTIME_PAY_SUBSIDY},
                                                   {"none", v1::OVERTIME_PAY_NONE}};
constexpr Word<v1::WorkingTime> kWorkingTimes[] = {
    {"standard", v1::WORKING_TIME_STANDARD}, {"comprehensive", v1::WORKING_TIME_COMPREHENSIVE}};
constexpr Word<v1::ComprehensivePeriod> kPeriods[] = {
    {"week", v1::COMPREHENSIVE_PERIOD_WEEK},
    {"month", v1::COMPREHENSIVE_PERIOD_MONTH},
    {"quarter", v1::COMPREHENSIVE_PERIOD_QUARTER}};
constexpr Word<v1::OvertimeCount> kCounts[] = {{"all", v1::OVERTIME_COUNT_ALL},
                                               {"extended", v1::OVERTIME_COUNT_EXTENDED}};
constexpr Word<v1::OnCallCount> kOnCall[] = {{"allowance", v1::ON_CALL_COUNT_ALLOWANCE},
                                             {"hours", v1::ON_CALL_COUNT_HOURS}};

template <typename E, size_t N>
std::optional<E> WordNamed(const Word<E> (&words)[N], std::string_view name) {
  for (const auto& w : words) {
    if (w.word == name) return w.value;
  }
  return std::nullopt;
}

template <typename E, size_t N>
std::string WordList(const Word<E> (&words)[N]) {
  std::string out;
  for (size_t i = 0; i < N; ++i) {
    out += fmt::format("{}\"{}\"", i == 0 ? "" : i + 1 == N ? " or " : ", ", words[i].word);
  }
  return out;
}

Status ParseRulesTable(const toml::table& t, std::string_view source, const std::string& where,
                       v1::WorkRules* out) {
  for (const auto& [k, node] : t) {
    const std::string key(k.str());
    const toml::node& v = node;                     // a lambda may not capture a binding (clang 14)
    if (where.empty() && key == "leave") continue;  // ParseLeaveTable's
    if (v.is_table() && where.empty() && (key == "employment" || key == "center")) continue;
    auto bad = [&](const std::string& msg) {
      return Status::InvalidArgument(
          where + key,
          fmt::format("{}:{}: {}", source.empty() ? "rules" : source, v.source().begin.line, msg));
    };
    // A word of one of the enums: sets it, or says which words there are.
    auto word = [&](const auto& words, auto set) -> Status {
      const auto value = WordNamed(words, v.value<std::string>().value_or(""));
      if (!value) return bad(fmt::format("{} must be {}", key, WordList(words)));
      set(*value);
      return {};
    };
    std::optional<Status> worded;
    if (key == "overtime_pay")
      worded = word(kOvertimePays, [&](auto x) { out->set_overtime_pay(x); });
    else if (key == "working_time")
      worded = word(kWorkingTimes, [&](auto x) { out->set_working_time(x); });
    else if (key == "comprehensive_period")
      worded = word(kPeriods, [&](auto x) { out->set_comprehensive_period(x); });
    else if (key == "monthly_overtime_counts")
      worded = word(kCounts, [&](auto x) { out->set_monthly_overtime_counts(x); });
    else if (key == "on_call")
      worded = word(kOnCall, [&](auto x) { out->set_on_call(x); });
    if (worded) {
      ZB_RETURN_IF_ERROR(*worded);
      continue;
    }
    auto num = v.value<double>();
    if (!num || *num < 0 || *num > 10000)
      return bad(fmt::format("{} must be a non-negative number", key));
    const auto minutes = static_cast<uint32_t>(*num * 60 + 0.5);
    const auto whole = static_cast<uint32_t>(*num + 0.5);
    if (key == "daily_standard_hours")
      out->set_daily_standard_minutes(minutes);
    else if (key == "daily_overtime_hours")
      out->set_daily_overtime_minutes(minutes);
    else if (key == "weekly_standard_hours")
      out->set_weekly_standard_minutes(minutes);
    else if (key == "monthly_overtime_hours")
      out->set_monthly_overtime_minutes(minutes);
    else if (key == "min_rest_hours")
      out->set_min_rest_minutes(minutes);
    else if (key == "max_consecutive_days")
      out->set_max_consecutive_days(whole);
    else if (key == "min_rest_days_per_week")
      out->set_min_rest_days_per_week(whole);
    else if (key == "day_max_hours")
      out->set_day_max_minutes(minutes);
    else if (key == "on_call_allowance_yuan")
      out->set_on_call_allowance_fen(static_cast<uint32_t>(*num * 100 + 0.5));
    else {
      return bad(fmt::format(
          "unknown key \"{}\" (daily_standard_hours, daily_overtime_hours, weekly_standard_hours, "
          "monthly_overtime_hours, min_rest_hours, max_consecutive_days, min_rest_days_per_week, "
          "day_max_hours, overtime_pay, working_time, comprehensive_period, "
          "monthly_overtime_counts, on_call, on_call_allowance_yuan)",
          key));
    }
    const bool zero = key == "max_consecutive_days" ? whole == 0 : minutes == 0;
    if ((key == "daily_standard_hours" || key == "max_consecutive_days" ||
         key == "weekly_standard_hours") &&
        zero) {
      return bad(key + " must be above 0");
    }
  }
  return {};
}

// A key set (even to 0: no overtime, no rest rule) overrides; an unset one
// keeps the level below. Rules stored before keys had presence read their
// zeros as unset, as they were then.
void ApplyRules(const v1::WorkRules& w, Rules* r) {
  if (w.has_daily_standard_minutes()) r->daily_standard = w.daily_standard_minutes();
  if (w.has_daily_overtime_minutes()) r->daily_overtime = w.daily_overtime_minutes();
  if (w.has_weekly_standard_minutes()) r->weekly_standard = w.weekly_standard_minutes();
  if (w.has_monthly_overtime_minutes()) r->monthly_overtime = w.monthly_overtime_minutes();
  if (w.has_min_rest_minutes()) r->min_rest = w.min_rest_minutes();
  if (w.has_max_consecutive_days()) r->max_consecutive = w.max_consecutive_days();
  if (w.has_min_rest_days_per_week()) r->min_rest_days_week = w.min_rest_days_per_week();
  if (w.overtime_pay() != v1::OVERTIME_PAY_UNSPECIFIED) r->overtime_pay = w.overtime_pay();
  if (w.working_time() != v1::WORKING_TIME_UNSPECIFIED) r->working_time = w.working_time();
  if (w.comprehensive_period() != v1::COMPREHENSIVE_PERIOD_UNSPECIFIED)
    r->period = w.comprehensive_period();
  if (w.has_day_max_minutes()) r->day_max = w.day_max_minutes();
  if (w.monthly_overtime_counts() != v1::OVERTIME_COUNT_UNSPECIFIED)
    r->monthly_counts = w.monthly_overtime_counts();
  if (w.on_call() != v1::ON_CALL_COUNT_UNSPECIFIED) r->on_call = w.on_call();
  if (w.has_on_call_allowance_fen()) r->on_call_allowance_fen = w.on_call_allowance_fen();
}

// The kinds whose length the rules give, and what the law gives when they
// do not (none: not checked).
struct LeaveLaw {
  v1::LeaveKind kind;
  std::optional<v1::LeaveLength> national;
  bool calendar_days;  // how a [leave.<KIND>] without `count` counts
};

v1::LeaveLength Length(uint32_t days, bool calendar) {
  v1::LeaveLength l;
  l.set_days(days);
  l.set_calendar_days(calendar);
  return l;
}

// 婚丧假 1-3 days (国家劳动总局、财政部 1980); 产假 98 days (女职工劳动保护
// 特别规定 第七条); 探亲假 30 days at most, rest days and holidays
// included (国务院关于职工探亲待遇的规定 第三、四条); 陪产假: provinces only.
const std::array<LeaveLaw, 5>& LeaveLaws() {
  static const std::array<LeaveLaw, 5> kLaws = {{
      {v1::MARRIAGE, Length(3, false), false},
      {v1::MATERNITY, Length(98, true), true},
      {v1::PATERNITY, std::nullopt, true},
      {v1::BEREAVEMENT, Length(3, false), false},
      {v1::HOME_VISIT, Length(30, true), true},
  }};
  return kLaws;
}

// [leave.<KIND>]: days = N, count = "working" | "calendar".
Status ParseLeaveTable(const toml::table& t, std::string_view source, v1::WorkRulesConfig* cfg) {
  for (const auto& [k, node] : t) {
    const std::string kind(k.str());
    const toml::node& v = node;
    auto bad = [&](const toml::node& at, const std::string& field, const std::string& msg) {
      return Status::InvalidArgument(
          fmt::format("leave.{}{}", kind, field),
          fmt::format("{}:{}: {}", source.empty() ? "rules" : source, at.source().begin.line, msg));
    };
    v1::LeaveKind lk{};
    const LeaveLaw* law = nullptr;
    if (v1::LeaveKind_Parse(kind, &lk)) {
      for (const auto& l : LeaveLaws()) {
        if (l.kind == lk) law = &l;
      }
    }
    if (!law) {
      return bad(
          v, "",
          fmt::format("\"{}\" is not a kind of leave with a length (MARRIAGE 婚假, "
                      "MATERNITY 产假, PATERNITY 陪产假, BEREAVEMENT 丧假, HOME_VISIT 探亲假)",
                      kind));
    }
    const auto* table = v.as_table();
    if (!table) return bad(v, "", "must be a table: days = N, count = \"working\" or \"calendar\"");
    v1::LeaveLength len;
    len.set_calendar_days(law->calendar_days);
    for (const auto& [fk, fnode] : *table) {
      const std::string field(fk.str());
      const toml::node& f = fnode;
      if (field == "days") {
        // Only an integer: toml++ casts a float to int64 unchecked (1e100 is UB).
        const auto days = f.is_integer() ? f.value<int64_t>() : std::nullopt;
        if (!days || *days < 1 || *days > 366)
          return bad(f, ".days", "days must be a whole number of days, 1 to 366");
        len.set_days(static_cast<uint32_t>(*days));
      } else if (field == "count") {
        const std::string count = f.value<std::string>().value_or("");
        if (count != "working" && count != "calendar")
          return bad(f, ".count",
                     "count must be \"working\" (the person's working days) or "
                     "\"calendar\" (every day)");
        len.set_calendar_days(count == "calendar");
      } else {
        return bad(f, "." + field, fmt::format("unknown key \"{}\" (days, count)", field));
      }
    }
    if (len.days() == 0) return bad(v, ".days", "days is required");
    (*cfg->mutable_leave())[kind] = len;
  }
  return {};
}

}  // namespace

std::optional<v1::LeaveLength> LeaveLengthOf(const v1::WorkRulesConfig& cfg, v1::LeaveKind kind) {
  if (auto it = cfg.leave().find(v1::LeaveKind_Name(kind)); it != cfg.leave().end())
    return it->second;
  for (const auto& law : LeaveLaws()) {
    if (law.kind == kind) return law.national;
  }
  return std::nullopt;
}

Result<v1::WorkRulesConfig> ParseRulesToml(std::string_view text, std::string_view source) {
  toml::table t;
  try {
    t = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(
        "toml", fmt::format("{}:{}: {}", source.empty() ? "rules" : source, e.source().begin.line,
                            e.description()));
  }
  v1::WorkRulesConfig cfg;
  ZB_RETURN_IF_ERROR(ParseRulesTable(t, source, "", cfg.mutable_defaults()));
  if (const auto* emp = t["employment"].as_table()) {
    for (const auto& [k, v] : *emp) {
      v1::EmploymentType type;
      if (!v1::EmploymentType_Parse(std::string(k.str()), &type) ||
          type == v1::EMPLOYMENT_TYPE_UNSPECIFIED) {
        return Status::InvalidArgument(
            "employment",
            fmt::format("{}:{}: unknown employment type \"{}\" (LABOUR_CONTRACT, CIVIL_SERVANT, "
                        "ELECTED_CADRE, VOLUNTEER_SERVICE)",
                        source, v.source().begin.line, k.str()));
      }
      if (!v.is_table())
        return Status::InvalidArgument(
            "employment", fmt::format("{}:{}: must be a table", source, v.source().begin.line));
      ZB_RETURN_IF_ERROR(ParseRulesTable(*v.as_table(), source,
                                         fmt::format("employment.{}.", k.str()),
                                         &(*cfg.mutable_by_employment())[std::string(k.str())]));
    }
  }
  if (const auto* centers = t["center"].as_table()) {
    for (const auto& [k, v] : *centers) {
      if (!v.is_table())
        return Status::InvalidArgument(
            "center", fmt::format("{}:{}: must be a table", source, v.source().begin.line));
      ZB_RETURN_IF_ERROR(ParseRulesTable(*v.as_table(), source, fmt::format("center.{}.", k.str()),
                                         &(*cfg.mutable_by_center())[std::string(k.str())]));
    }
  }
  if (const auto* leave = t["leave"].as_table()) {
    ZB_RETURN_IF_ERROR(ParseLeaveTable(*leave, source, &cfg));
  } else if (t.contains("leave")) {
    return Status::InvalidArgument("leave",
                                   fmt::format("{}:{}: must be a table of [leave.<KIND>]", source,
                                               t["leave"].node()->source().begin.line));
  }
  // A period for a system nobody works is a mistake the operator should see.
  std::vector<const v1::WorkRules*> levels = {&cfg.defaults()};
  for (const auto& [k, w] : cfg.by_employment()) levels.push_back(&w);
  for (const auto& [k, w] : cfg.by_center()) levels.push_back(&w);
  const bool any_comprehensive = std::any_of(levels.begin(), levels.end(), [](const auto* w) {
    return w->working_time() == v1::WORKING_TIME_COMPREHENSIVE;
  });
  const bool any_period = std::any_of(levels.begin(), levels.end(), [](const auto* w) {
    return w->comprehensive_period() != v1::COMPREHENSIVE_PERIOD_UNSPECIFIED;
  });
  if (any_period && !any_comprehensive) {
    return Status::InvalidArgument(
        "comprehensive_period",
        fmt::format("{}: comprehensive_period is set but no table sets working_time = "
                    "\"comprehensive\" (综合计算工时制): it would change nothing",
                    source.empty() ? "rules" : source));
  }
  cfg.set_toml(std::string(text));
  cfg.set_source(std::string(source));
  return cfg;
}

Rules ResolveRules(const v1::WorkRulesConfig& cfg, const v1::Staff& staff,
                   std::string_view center) {
  const auto type = staff.employment() == v1::EMPLOYMENT_TYPE_UNSPECIFIED ? v1::LABOUR_CONTRACT
                                                                          : staff.employment();
  Rules r;
  r.overtime_pay = OvertimePayOf(type);
  ApplyRules(cfg.defaults(), &r);
  if (auto it = cfg.by_employment().find(v1::EmploymentType_Name(type));
      it != cfg.by_employment().end()) {
    ApplyRules(it->second, &r);
  }
  if (auto it = cfg.by_center().find(std::string(center)); it != cfg.by_center().end())
    ApplyRules(it->second, &r);
  r.rest_week =
      staff.rest_week() == v1::REST_WEEK_UNSPECIFIED ? v1::REST_WEEK_REGULAR : staff.rest_week();
  for (uint32_t d : staff.rest_weekdays()) {
    if (d >= 1 && d <= 7) r.rest_weekdays |= static_cast<uint8_t>(1u << (d - 1));
  }
  return r;
}

bool Rules::OffDay(int32_t day, bool weekend, bool holiday) const {
  if (holiday) return true;
  switch (rest_week) {
    case v1::REST_WEEK_FIXED:
      return (rest_weekdays >> (day - rota_internal::MondayOf(day))) & 1;
    case v1::REST_WEEK_ROTA:
      return false;
    default:
      return weekend;
  }
}

Result<Mutation> SetRules(const RotaCtx&, std::string_view toml, std::string_view source) {
  ZB_ASSIGN_OR_RETURN(auto cfg, ParseRulesToml(toml, source));
  Mutation m;
  m.summary = fmt::format("working-time rules from {}", source.empty() ? "(inline)" : source);
  v1::Event e;
  e.mutable_rules_updated()->set_source(std::string(source));
  Emit(&m, std::move(e));
  m.rules_put.push_back(std::move(cfg));
  return m;
}

}  // namespace zhiban::domain
