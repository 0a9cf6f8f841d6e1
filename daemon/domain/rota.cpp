#include "daemon/domain/rota.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include <fmt/format.h>
#include <google/protobuf/util/message_differencer.h>
#include <toml++/toml.h>

#include "daemon/domain/indexed.h"
#include "daemon/domain/policy.h"
#include "daemon/domain/state.h"

namespace zhiban::domain {
namespace {

constexpr int64_t kDay = 86400;
constexpr size_t kMaxGapsListed = 100;
constexpr int kMaxRangeDays = 366;
constexpr int64_t kCheckinEarly = 30 * 60;  // check in up to 30 min before start

int64_t Sec(const google::protobuf::Timestamp& t) { return t.seconds(); }
google::protobuf::Timestamp Ts(int64_t sec) {
  google::protobuf::Timestamp t;
  t.set_seconds(sec);
  return t;
}
int64_t Sec(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Our own records hold well-formed ISO dates; parse without allocating.
int32_t DayOf(std::string_view iso) {
  auto num = [&](size_t pos, size_t n) {
    int v = 0;
    for (size_t i = pos; i < pos + n && i < iso.size(); ++i) v = v * 10 + (iso[i] - '0');
    return v;
  };
  if (iso.size() < 10) return 0;
  return DayNumber(std::chrono::year(num(0, 4)) / std::chrono::month(num(5, 2)) /
                   std::chrono::day(num(8, 2)));
}
std::string IsoOf(int32_t day) { return FormatDate(FromDayNumber(day)); }
int32_t MondayOf(int32_t day) { return day - ((day + 3) % 7); }  // 1970-01-01 was a Thursday

uint32_t ClockMinute(std::string_view hhmm) {
  if (hhmm.size() < 5) return 0;
  return static_cast<uint32_t>(((hhmm[0] - '0') * 10 + (hhmm[1] - '0')) * 60 +
                               (hhmm[3] - '0') * 10 + (hhmm[4] - '0'));
}

bool HasRole(const v1::Staff& s, int role) {
  return std::find(s.roles().begin(), s.roles().end(), role) != s.roles().end();
}

bool MayWorkAt(const v1::Staff& s, std::string_view center) {
  return s.center_id() == center ||
         std::find(s.cover_center_ids().begin(), s.cover_center_ids().end(), center) !=
             s.cover_center_ids().end();
}

std::string Hours(int64_t minutes) {
  return minutes % 60 ? fmt::format("{:.1f}h", minutes / 60.0) : fmt::format("{}h", minutes / 60);
}

v1::Event NewEvent(std::string_view center) {
  v1::Event e;
  e.set_center_id(std::string(center));
  return e;
}

void Emit(Mutation* m, v1::Event e, const char* topic) {
  e.set_topic(topic);
  m->Emit(std::move(e));
}

// Hard eligibility (not forceable): center, roles, skills, leave.
std::string Ineligible(const RotaBook& book, const v1::Staff& st, const v1::Shift& s, int32_t day) {
  if (!MayWorkAt(st, s.center_id())) {
    return fmt::format("{} is neither homed at nor covers {}", st.id(), s.center_id());
  }
  for (int r : s.roles()) {
    if (!HasRole(st, r)) return fmt::format("{} is not a {}", st.id(), v1::Role_Name(r));
  }
  for (const auto& sk : s.skills()) {
    if (std::find(st.skills().begin(), st.skills().end(), sk) == st.skills().end()) {
      return fmt::format("{} lacks the skill {}", st.id(), sk);
    }
  }
  if (const auto* l = book.LeaveOn(st.id(), day)) {
    return fmt::format("{} is on leave {} ({}) {}..{}", st.id(), l->id(),
                       v1::LeaveKind_Name(l->kind()), l->from(), l->to());
  }
  return {};
}

// Copies of the loads of the people a plan touches, changed as it goes.
class Overlay {
 public:
  Overlay(const RotaBook& book, const Network& net) : book_(book), net_(net) {}
  StaffLoad& Of(const std::string& staff) {
    auto it = loads_.find(staff);
    if (it != loads_.end()) return it->second;
    const StaffLoad* base = book_.Load(staff);
    return loads_.emplace(staff, base ? *base : StaffLoad{}).first->second;
  }
  const Rules& RulesOf(const v1::Staff& st, std::string_view center) {
    auto key = st.id() + '\n' + std::string(center);
    auto it = rules_.find(key);
    if (it == rules_.end()) it = rules_.emplace(key, ResolveRules(book_.rules(), st, center)).first;
    return it->second;
  }
  // Why `st` cannot take `s` (hard reasons first), or empty.
  std::vector<std::string> Why(const v1::Staff& st, const v1::Shift& s, const ShiftFacts& f) {
    if (auto r = Ineligible(book_, st, s, f.day); !r.empty()) return {r};
    return RuleBreaches(Of(st.id()), RulesOf(st, s.center_id()), f);
  }
  bool HardOk(const v1::Staff& st, const v1::Shift& s, const ShiftFacts& f) const {
    return Ineligible(book_, st, s, f.day).empty();
  }
  const Network& net() const { return net_; }

 private:
  const RotaBook& book_;
  const Network& net_;
  std::unordered_map<std::string, StaffLoad> loads_;
  std::unordered_map<std::string, Rules> rules_;
};

// The staff who may work at a center, in id order.
std::vector<const v1::Staff*> PoolOf(const Network& net, std::string_view center) {
  std::vector<const v1::Staff*> pool;
  for (const auto& [id, st] : net.staff()) {
    if (MayWorkAt(st, center)) pool.push_back(&st);
  }
  return pool;
}

// Auto-fill's choice: the eligible person with the fewest duties of the
// shift's kind so far (weekend days, holiday days, evenings; then minutes),
// ties by id. `skip` is not considered (the current assignee).
const v1::Staff* BestCandidate(Overlay& ov, const std::vector<const v1::Staff*>& pool,
                               const v1::Shift& s, const ShiftFacts& f,
                               std::string_view skip = {}) {
  const v1::Staff* best = nullptr;
  std::tuple<uint64_t, uint64_t> best_score{};
  for (const auto* st : pool) {
    if (st->id() == skip) continue;
    if (!ov.HardOk(*st, s, f)) continue;
    StaffLoad& load = ov.Of(st->id());
    uint64_t kind = f.holiday   ? load.holiday_days.size()
                    : f.weekend ? load.weekend_days.size()
                    : f.evening ? load.evenings
                                : 0;
    std::tuple<uint64_t, uint64_t> score{kind, load.minutes};
    if (best && score >= best_score) continue;
    if (!RuleBreaches(load, ov.RulesOf(*st, s.center_id()), f).empty()) continue;
    best = st;
    best_score = score;
  }
  return best;
}

bool Same(const v1::Shift& a, const v1::Shift& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

const v1::Staff* StaffOrNull(const Network& net, std::string_view id) {
  return id.empty() ? nullptr : net.FindStaff(id);
}

void SetStaff(const Network& net, std::string_view id, v1::Staff* out) {
  if (const auto* st = StaffOrNull(net, id)) *out = *st;
}

// A shift losing its assignee (leave, departure): the backup takes it when
// the rules allow; otherwise it is a gap, announced with the replacement
// that changes no other shift (when there is one).
void Reassign(const RotaCtx& ctx, Overlay& ov, v1::Shift s, const std::string& reason,
              Mutation* m) {
  const auto& net = ctx.state.network;
  const ShiftFacts f = FactsOf(s);
  const std::string previous = s.assignee_id();
  if (!previous.empty()) ov.Of(previous).Remove(f);
  const v1::Staff* backup = StaffOrNull(net, s.backup_id());
  const bool backup_ok = backup && backup->id() != previous && ov.Why(*backup, s, f).empty();
  if (backup_ok) {
    s.set_assignee_id(backup->id());
    s.set_backup_id("");
    s.set_source(v1::BACKUP);
    s.set_forced(false);
    ov.Of(backup->id()).Add(f);
  } else {
    s.set_assignee_id("");
    s.set_source(v1::SHIFT_SOURCE_UNSPECIFIED);
    s.set_forced(false);
  }
  if (s.published()) {
    auto e = NewEvent(s.center_id());
    auto* b = e.mutable_shift_changed();
    *b->mutable_shift() = s;
    SetStaff(net, s.assignee_id(), b->mutable_staff());
    SetStaff(net, previous, b->mutable_previous());
    b->set_reason(backup_ok ? reason + ": the backup takes it" : reason);
    Emit(m, std::move(e), "shift.changed");
  }
  if (!backup_ok) {
    auto e = NewEvent(s.center_id());
    auto* g = e.mutable_coverage_gap();
    *g->mutable_shift() = s;
    g->set_reason(reason);
    SetStaff(net, previous, g->mutable_absent());
    SetStaff(net, s.backup_id(), g->mutable_backup());
    if (const auto* l = LeaderOnDuty(ctx.state, s.center_id(), Sec(s.start())))
      *g->mutable_leader() = *l;
    auto pool = PoolOf(net, s.center_id());
    if (const auto* p = BestCandidate(ov, pool, s, f, previous)) *g->mutable_proposal() = *p;
    Emit(m, std::move(e), "coverage.gap");
  }
  m->shifts_put.push_back(std::move(s));
}

Result<Date> DateArg(const std::string& text, const char* field) {
  auto d = ParseDate(text);
  if (!d.ok()) return Status::InvalidArgument(field, d.status().message());
  return d;
}

Status RangeArgs(const std::string& from, const std::string& to, Date* f, Date* t) {
  auto a = DateArg(from, "from");
  if (!a.ok()) return a.status();
  auto b = to.empty() ? a : DateArg(to, "to");
  if (!b.ok()) return b.status();
  if (DayNumber(*b) < DayNumber(*a)) return Status::InvalidArgument("to", "is before from");
  if (DayNumber(*b) - DayNumber(*a) > kMaxRangeDays) {
    return Status::InvalidArgument("to",
                                   fmt::format("a range is at most {} days", kMaxRangeDays + 1));
  }
  *f = *a;
  *t = *b;
  return {};
}

Status NeedCenter(const State& st, const std::string& id) {
  if (id.empty()) return Status::InvalidArgument("center_id", "is required");
  if (!st.network.FindCenter(id)) {
    return Status::NotFound("center_id", fmt::format("center \"{}\" does not exist", id));
  }
  return {};
}

Result<const v1::Staff*> NeedStaff(const State& st, const std::string& id, const char* field) {
  if (id.empty()) return Status::InvalidArgument(field, "is required");
  const auto* s = st.network.FindStaff(id);
  if (!s) return Status::NotFound(field, fmt::format("staff \"{}\" does not exist", id));
  return s;
}

}  // namespace

std::string ShiftIdPrefix(std::string_view center, std::string_view date, uint32_t minute) {
  return fmt::format("{}/{}/{:02}{:02}-", center, date, minute / 60, minute % 60);
}

// ---- rules -----------------------------------------------------------------

namespace {

Status ParseRulesTable(const toml::table& t, std::string_view source, const std::string& where,
                       v1::WorkRules* out) {
  for (const auto& [k, v] : t) {
    const std::string key(k.str());
    if (v.is_table() && where.empty() && (key == "employment" || key == "center")) continue;
    auto bad = [&](const std::string& msg) {
      return Status::InvalidArgument(
          where + key,
          fmt::format("{}:{}: {}", source.empty() ? "rules" : source, v.source().begin.line, msg));
    };
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
    else {
      return bad(fmt::format(
          "unknown key \"{}\" (daily_standard_hours, daily_overtime_hours, weekly_standard_hours, "
          "monthly_overtime_hours, min_rest_hours, max_consecutive_days, min_rest_days_per_week)",
          key));
    }
    if ((key == "daily_standard_hours" || key == "max_consecutive_days") && whole == 0) {
      return bad(key + " must be above 0");
    }
  }
  return {};
}

void ApplyRules(const v1::WorkRules& w, Rules* r) {
  if (w.daily_standard_minutes()) r->daily_standard = w.daily_standard_minutes();
  if (w.daily_overtime_minutes()) r->daily_overtime = w.daily_overtime_minutes();
  if (w.weekly_standard_minutes()) r->weekly_standard = w.weekly_standard_minutes();
  if (w.monthly_overtime_minutes()) r->monthly_overtime = w.monthly_overtime_minutes();
  if (w.min_rest_minutes()) r->min_rest = w.min_rest_minutes();
  if (w.max_consecutive_days()) r->max_consecutive = w.max_consecutive_days();
  if (w.min_rest_days_per_week()) r->min_rest_days_week = w.min_rest_days_per_week();
}

}  // namespace

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
  cfg.set_toml(std::string(text));
  cfg.set_source(std::string(source));
  return cfg;
}

Rules ResolveRules(const v1::WorkRulesConfig& cfg, const v1::Staff& staff,
                   std::string_view center) {
  Rules r;
  ApplyRules(cfg.defaults(), &r);
  const auto type = staff.employment() == v1::EMPLOYMENT_TYPE_UNSPECIFIED ? v1::LABOUR_CONTRACT
                                                                          : staff.employment();
  if (auto it = cfg.by_employment().find(v1::EmploymentType_Name(type));
      it != cfg.by_employment().end()) {
    ApplyRules(it->second, &r);
  }
  if (auto it = cfg.by_center().find(std::string(center)); it != cfg.by_center().end())
    ApplyRules(it->second, &r);
  return r;
}

// ---- loads and rule checks ------------------------------------------------------

ShiftFacts FactsOf(const v1::Shift& s) {
  ShiftFacts f;
  f.start = Sec(s.start());
  f.end = Sec(s.end());
  f.day = DayOf(s.date());
  f.working = s.kind() != v1::ON_CALL;
  f.weekend = s.day_type() == v1::WEEKEND;
  f.holiday = s.day_type() == v1::HOLIDAY;
  f.evening = s.kind() == v1::EXTENDED;
  return f;
}

void StaffLoad::Add(const ShiftFacts& f) {
  intervals.emplace(f.start, f);
  if (f.working) {
    Day& d = days[f.day];
    if (d.working == 0) {
      d.first_start = f.start;
      d.last_end = f.end;
    } else {
      d.first_start = std::min(d.first_start, f.start);
      d.last_end = std::max(d.last_end, f.end);
    }
    d.minutes += f.minutes();
    ++d.working;
    minutes += f.minutes();
  }
  if (f.weekend) ++weekend_days[f.day];
  if (f.holiday) ++holiday_days[f.day];
  if (f.evening) ++evenings;
}

void StaffLoad::Remove(const ShiftFacts& f) {
  auto [lo, hi] = intervals.equal_range(f.start);
  auto it = std::find_if(lo, hi, [&](const auto& kv) {
    return kv.second.end == f.end && kv.second.day == f.day && kv.second.working == f.working;
  });
  if (it == hi) return;  // not held: nothing to undo
  intervals.erase(it);
  if (f.working) {
    auto d = days.find(f.day);
    if (d != days.end()) {
      d->second.minutes -= std::min(d->second.minutes, f.minutes());
      minutes -= std::min<uint64_t>(minutes, f.minutes());
      if (--d->second.working == 0) {
        days.erase(d);
      } else {
        // Recompute the day's span from what is left.
        d->second.first_start = std::numeric_limits<int64_t>::max();
        d->second.last_end = std::numeric_limits<int64_t>::min();
        for (auto j = intervals.lower_bound(f.start - 2 * kDay);
             j != intervals.end() && j->first < f.start + 2 * kDay; ++j) {
          if (j->second.day != f.day || !j->second.working) continue;
          d->second.first_start = std::min(d->second.first_start, j->second.start);
          d->second.last_end = std::max(d->second.last_end, j->second.end);
        }
      }
    }
  }
  auto dec = [&](std::unordered_map<int32_t, uint16_t>& m) {
    auto j = m.find(f.day);
    if (j != m.end() && --j->second == 0) m.erase(j);
  };
  if (f.weekend) dec(weekend_days);
  if (f.holiday) dec(holiday_days);
  if (f.evening && evenings) --evenings;
}

std::vector<std::string> RuleBreaches(const StaffLoad& load, const Rules& r, const ShiftFacts& f) {
  std::vector<std::string> out;
  for (auto it = load.intervals.lower_bound(f.start - 2 * kDay);
       it != load.intervals.end() && it->first < f.end; ++it) {
    const ShiftFacts& g = it->second;
    if (g.end > f.start && g.start < f.end && g.working == f.working) {
      out.push_back(fmt::format("overlap: already on duty {} {}", IsoOf(g.day),
                                g.working ? "on site" : "on call"));
      return out;  // the rest would be noise
    }
  }
  if (!f.working) return out;
  const auto* today = load.DayAt(f.day);
  const uint32_t day_minutes = (today ? today->minutes : 0) + f.minutes();
  if (day_minutes > r.daily_standard + r.daily_overtime) {
    out.push_back(fmt::format("daily_hours: {} on {} (at most {} + {} overtime)",
                              Hours(day_minutes), IsoOf(f.day), Hours(r.daily_standard),
                              Hours(r.daily_overtime)));
  }
  const int64_t first = today ? std::min(today->first_start, f.start) : f.start;
  const int64_t last = today ? std::max(today->last_end, f.end) : f.end;
  if (const auto* prev = load.DayAt(f.day - 1);
      prev && first - prev->last_end < int64_t(r.min_rest) * 60) {
    out.push_back(fmt::format("min_rest: {} between {} and {} (at least {})",
                              Hours((first - prev->last_end) / 60), IsoOf(f.day - 1), IsoOf(f.day),
                              Hours(r.min_rest)));
  }
  if (const auto* next = load.DayAt(f.day + 1);
      next && next->first_start - last < int64_t(r.min_rest) * 60) {
    out.push_back(fmt::format("min_rest: {} between {} and {} (at least {})",
                              Hours((next->first_start - last) / 60), IsoOf(f.day),
                              IsoOf(f.day + 1), Hours(r.min_rest)));
  }
  uint32_t run = 1;
  for (int32_t d = f.day - 1; load.DayAt(d) && run <= r.max_consecutive; --d) ++run;
  for (int32_t d = f.day + 1; load.DayAt(d) && run <= r.max_consecutive; ++d) ++run;
  if (run > r.max_consecutive) {
    out.push_back(fmt::format("consecutive_days: {} working days in a row around {} (at most {})",
                              run, IsoOf(f.day), r.max_consecutive));
  }
  const int32_t monday = MondayOf(f.day);
  uint32_t worked = 0;
  for (int32_t d = monday; d < monday + 7; ++d) worked += (d == f.day || load.DayAt(d)) ? 1 : 0;
  if (7 - worked < r.min_rest_days_week) {
    out.push_back(fmt::format("weekly_rest: no rest day in the week of {} (at least {})",
                              IsoOf(monday), r.min_rest_days_week));
  }
  // Overtime of a month: over the weeks whose Monday lies in it, each week's
  // larger of (daily excess summed) and (week minutes - weekly standard).
  const Date date = FromDayNumber(f.day);
  const int32_t month_first = DayNumber(date.year() / date.month() / std::chrono::day(1));
  const int32_t month_end = DayNumber(date.year() / date.month() / std::chrono::last) + 1;
  int32_t first_monday = month_first + (7 - (month_first + 3) % 7) % 7;
  if (monday >= first_monday && monday < month_end) {
    int64_t overtime = 0;
    for (int32_t w = first_monday; w < month_end; w += 7) {
      int64_t week = 0, excess = 0;
      for (int32_t d = w; d < w + 7; ++d) {
        int64_t m = 0;
        if (const auto* x = load.DayAt(d)) m = x->minutes;
        if (d == f.day) m += f.minutes();
        week += m;
        excess += std::max<int64_t>(0, m - r.daily_standard);
      }
      overtime += std::max<int64_t>(excess, week - r.weekly_standard);
    }
    if (overtime > r.monthly_overtime) {
      out.push_back(fmt::format("monthly_overtime: {} in {} (at most {})", Hours(overtime),
                                IsoOf(f.day).substr(0, 7), Hours(r.monthly_overtime)));
    }
  }
  return out;
}

// ---- the book ---------------------------------------------------------------

const v1::Shift* RotaBook::FindShift(std::string_view id) const {
  auto it = shifts_.find(id);
  return it == shifts_.end() ? nullptr : &it->second;
}

const StaffLoad* RotaBook::Load(std::string_view staff) const {
  auto it = loads_.find(std::string(staff));
  return it == loads_.end() ? nullptr : &it->second;
}

const v1::Leave* RotaBook::LeaveOn(std::string_view staff, int32_t day) const {
  auto it = leave_by_staff_.find(std::string(staff));
  if (it == leave_by_staff_.end()) return nullptr;
  for (const auto& id : it->second) {
    const auto& l = leave_.find(id)->second;
    if (DayOf(l.from()) <= day && day <= DayOf(l.to())) return &l;
  }
  return nullptr;
}

bool RotaBook::MonthPublished(std::string_view center, std::string_view month) const {
  return months_.count(fmt::format("{}/{}", center, month)) > 0;
}

std::vector<const v1::Shift*> RotaBook::CenterShifts(std::string_view center, Date from,
                                                     Date to) const {
  std::vector<const v1::Shift*> out;
  const std::string lo = fmt::format("{}/{}", center, FormatDate(from));
  const std::string hi = fmt::format("{}/{}~", center, FormatDate(to));
  for (auto it = shifts_.lower_bound(lo); it != shifts_.end() && it->first < hi; ++it)
    out.push_back(&it->second);
  return out;
}

std::vector<const v1::Shift*> RotaBook::StaffShifts(std::string_view staff, int64_t from,
                                                    int64_t to) const {
  std::vector<const v1::Shift*> out;
  const auto* load = Load(staff);
  if (!load) return out;
  // Intervals do not name their shift; find it by the center-free id search
  // over the assignee's shifts (kept as a side index).
  auto it = by_staff_.find(std::string(staff));
  if (it == by_staff_.end()) return out;
  for (auto j = it->second.lower_bound({from, {}}); j != it->second.end() && j->first < to; ++j) {
    if (const auto* s = FindShift(j->second)) out.push_back(s);
  }
  return out;
}

void RotaBook::Index(const v1::Shift& s, int sign) {
  const ShiftFacts f = FactsOf(s);
  if (!s.assignee_id().empty()) {
    auto& load = loads_[s.assignee_id()];
    auto& mine = by_staff_[s.assignee_id()];
    if (sign > 0) {
      load.Add(f);
      mine.emplace(f.start, s.id());
    } else {
      load.Remove(f);
      mine.erase({f.start, s.id()});
    }
  }
  if (!s.published()) return;
  const int64_t midnight = f.start - int64_t(ClockMinute(s.start_local())) * 60;
  auto timer = [&](uint32_t bit, int64_t due) {
    if (s.timers_fired() & bit) return;
    Timer t{due, bit, s.id()};
    if (sign > 0)
      timers_.insert(t);
    else
      timers_.erase(t);
  };
  timer(v1::HANDOFF, f.start);
  if (s.assignee_id().empty()) return;
  timer(v1::REMINDER_EVE, midnight - kDay + int64_t(options_.reminder_eve_minute) * 60);
  timer(v1::REMINDER_BEFORE, f.start - int64_t(options_.reminder_before_minutes) * 60);
  if (f.working && !s.has_checked_in())
    timer(v1::NO_SHOW, f.start + int64_t(options_.checkin_grace_minutes) * 60);
}

void RotaBook::PutShift(v1::Shift s) {
  PutIndexed(shifts_, std::move(s), [this](const v1::Shift& x, int sign) { Index(x, sign); });
}

void RotaBook::EraseShift(std::string_view id) {
  auto it = shifts_.find(id);
  if (it == shifts_.end()) return;
  Index(it->second, -1);
  shifts_.erase(it);
}

void RotaBook::EraseRotation(std::string_view id) {
  auto it = rotations_.find(id);
  if (it != rotations_.end()) rotations_.erase(it);
}

void RotaBook::PutLeave(v1::Leave l) {
  auto& ids = leave_by_staff_[l.staff_id()];
  if (std::find(ids.begin(), ids.end(), l.id()) == ids.end()) ids.push_back(l.id());
  leave_[l.id()] = std::move(l);
}

void RotaBook::EraseLeave(std::string_view id) {
  auto it = leave_.find(id);
  if (it == leave_.end()) return;
  auto& ids = leave_by_staff_[it->second.staff_id()];
  ids.erase(std::remove(ids.begin(), ids.end(), it->second.id()), ids.end());
  leave_.erase(it);
}

void RotaBook::PutMonth(v1::PublishedMonth m) {
  months_[fmt::format("{}/{}", m.center_id(), m.month())] = std::move(m);
}

void RotaBook::Clear() {
  shifts_.clear();
  rotations_.clear();
  leave_.clear();
  swaps_.clear();
  rules_.Clear();
  months_.clear();
  loads_.clear();
  by_staff_.clear();
  leave_by_staff_.clear();
  timers_.clear();
}

const v1::Staff* LeaderOnDuty(const State& state, std::string_view center, int64_t t) {
  const int32_t day = static_cast<int32_t>((t + 8 * 3600) / kDay);
  const v1::Staff* fallback = nullptr;
  for (const auto* s :
       state.rota.CenterShifts(center, FromDayNumber(day - 1), FromDayNumber(day + 1))) {
    if (s->assignee_id().empty() || Sec(s->start()) > t || Sec(s->end()) <= t) continue;
    const auto* st = state.network.FindStaff(s->assignee_id());
    if (!st || !HasRole(*st, v1::LEADER)) continue;
    if (std::find(s->roles().begin(), s->roles().end(), v1::LEADER) != s->roles().end()) return st;
    if (!fallback) fallback = st;
  }
  return fallback;
}

// ---- rotations ------------------------------------------------------------------

Result<Mutation> SetRotation(const RotaCtx& ctx, v1::Rotation r) {
  const auto& st = ctx.state;
  if (r.id().empty() || r.id().size() > kMaxIdLength) {
    return Status::InvalidArgument("rotation.id", "is required (at most 64 characters)");
  }
  ZB_RETURN_IF_ERROR(NeedCenter(st, r.center_id()));
  if (const auto* old = [&]() -> const v1::Rotation* {
        auto it = st.rota.rotations().find(r.id());
        return it == st.rota.rotations().end() ? nullptr : &it->second;
      }();
      old && old->center_id() != r.center_id()) {
    return Status::FailedPrecondition(
        "rotation.center_id", fmt::format("rotation \"{}\" belongs to center {}; remove it first",
                                          r.id(), old->center_id()));
  }
  if (r.members().empty())
    return Status::InvalidArgument("rotation.members", "needs at least one staff id");
  std::set<std::string> seen;
  for (const auto& id : r.members()) {
    const auto* s = st.network.FindStaff(id);
    if (!s)
      return Status::NotFound("rotation.members", fmt::format("staff \"{}\" does not exist", id));
    if (!MayWorkAt(*s, r.center_id())) {
      return Status::FailedPrecondition(
          "rotation.members",
          fmt::format(
              "{} is neither homed at nor covers {}; add it to the staff's cover_center_ids first",
              id, r.center_id()));
    }
    if (!seen.insert(id).second)
      return Status::InvalidArgument("rotation.members", fmt::format("{} is listed twice", id));
  }
  if (r.period_days() < 1 || r.period_days() > 366) {
    return Status::InvalidArgument("rotation.period_days", "must be 1..366 (1 daily, 7 weekly)");
  }
  if (r.handoff().empty()) r.set_handoff("00:00");
  const auto& h = r.handoff();
  if (h.size() != 5 || h[2] != ':' || ClockMinute(h) >= 1440 || h[3] > '5' || !std::isdigit(h[0]) ||
      !std::isdigit(h[1]) || !std::isdigit(h[3]) || !std::isdigit(h[4])) {
    return Status::InvalidArgument("rotation.handoff",
                                   fmt::format("\"{}\" is not a time of day HH:MM", h));
  }
  if (auto d = DateArg(r.start_date(), "rotation.start_date"); !d.ok()) return d.status();
  for (int k : r.kinds()) {
    if (!v1::WindowKind_IsValid(k) || k == v1::WINDOW_KIND_UNSPECIFIED) {
      return Status::InvalidArgument("rotation.kinds", fmt::format("unknown window kind {}", k));
    }
  }
  for (int k : r.day_types()) {
    if (!v1::DayType_IsValid(k) || k == v1::DAY_TYPE_UNSPECIFIED) {
      return Status::InvalidArgument("rotation.day_types", fmt::format("unknown day type {}", k));
    }
  }
  Mutation m;
  m.summary = fmt::format("rotation {} at {}: {} members every {} days", r.id(), r.center_id(),
                          r.members_size(), r.period_days());
  auto e = NewEvent(r.center_id());
  *e.mutable_rotation_updated()->mutable_rotation() = r;
  Emit(&m, std::move(e), "rotation.updated");
  m.rotations_put.push_back(std::move(r));
  return m;
}

Result<Mutation> RemoveRotation(const RotaCtx& ctx, std::string_view id) {
  auto it = ctx.state.rota.rotations().find(id);
  if (it == ctx.state.rota.rotations().end()) {
    return Status::NotFound("id", fmt::format("rotation \"{}\" does not exist", id));
  }
  Mutation m;
  m.summary = fmt::format("rotation {} removed", id);
  auto e = NewEvent(it->second.center_id());
  *e.mutable_rotation_removed()->mutable_rotation() = it->second;
  Emit(&m, std::move(e), "rotation.removed");
  m.rotations_deleted.emplace_back(id);
  return m;
}

// ---- generation -----------------------------------------------------------------

namespace {

bool Serves(const v1::Rotation& r, v1::WindowKind kind, v1::DayType type) {
  if (!r.kinds().empty() && std::find(r.kinds().begin(), r.kinds().end(), kind) == r.kinds().end())
    return false;
  if (r.day_types().empty()) return true;
  auto has = [&](int t) {
    return std::find(r.day_types().begin(), r.day_types().end(), t) != r.day_types().end();
  };
  return has(type) || (type == v1::MAKEUP_WORKDAY && has(v1::WORKDAY));
}

std::string ShiftId(std::string_view center, const Slot& slot, uint32_t pos) {
  return fmt::format("{}{}-{}",
                     ShiftIdPrefix(center, FormatDate(slot.date), slot.window->start_minute()),
                     v1::WindowKind_Name(slot.window->kind()), pos);
}

std::string ClockText(uint32_t minute) {
  if (minute == 1440) return "24:00";
  return fmt::format("{:02}:{:02}{}", (minute % 1440) / 60, minute % 60, minute > 1440 ? "+1" : "");
}

v1::Shift NewShift(std::string_view center, const Slot& slot, uint32_t pos,
                   const std::string& holiday) {
  v1::Shift s;
  s.set_id(ShiftId(center, slot, pos));
  s.set_center_id(std::string(center));
  s.set_date(FormatDate(slot.date));
  s.set_day_type(slot.day_type);
  if (slot.day_type == v1::HOLIDAY) s.set_holiday(holiday);
  s.set_kind(slot.window->kind());
  *s.mutable_start() = Ts(Sec(slot.start));
  *s.mutable_end() = Ts(Sec(slot.end));
  s.set_start_local(ClockText(slot.window->start_minute()));
  s.set_end_local(ClockText(slot.window->end_minute()));
  s.set_position(pos);
  const auto& cov = slot.window->coverage();
  const uint32_t n = std::max<uint32_t>(1, cov.min_staff());
  for (int i = 0; i < cov.roles_size(); ++i) {
    if (static_cast<uint32_t>(i) % n == pos) s.add_roles(static_cast<v1::Role>(cov.roles(i)));
  }
  for (int i = 0; i < cov.skills_size(); ++i) {
    if (static_cast<uint32_t>(i) % n == pos) s.add_skills(cov.skills(i));
  }
  s.set_policy(slot.policy ? slot.policy->name() : "");
  return s;
}

}  // namespace

Result<Mutation> GenerateRota(const RotaCtx& ctx, const v1::RotaGenerateRequest& req,
                              PlanCounts* counts) {
  const auto& st = ctx.state;
  const auto& book = st.rota;
  ZB_RETURN_IF_ERROR(NeedCenter(st, req.center_id()));
  Date from, to;
  ZB_RETURN_IF_ERROR(RangeArgs(req.from(), req.to(), &from, &to));
  const std::string& center = req.center_id();
  std::vector<Slot> slots;
  ZB_RETURN_IF_ERROR(ExpandCoverage(st.calendar, st.policies, st.network, ctx.zones, center, from,
                                    to, &slots, nullptr));

  std::vector<const v1::Rotation*> layers;
  for (const auto& [id, r] : book.rotations()) {
    if (r.center_id() == center) layers.push_back(&r);
  }
  std::stable_sort(layers.begin(), layers.end(),
                   [](const auto* a, const auto* b) { return a->precedence() < b->precedence(); });
  const auto pool = PoolOf(st.network, center);
  const int64_t now = Sec(ctx.now);
  const bool fill = req.fill() || req.fill_only();

  Overlay ov(book, st.network);
  std::map<std::string, const v1::Shift*, std::less<>> existing;
  for (const auto* s : book.CenterShifts(center, from, to)) {
    if (s->kind() == v1::APPOINTMENT)
      continue;  // booked, not planned: appointment cancel releases it
    existing.emplace(s->id(), s);
    const bool kept = s->published() || Sec(s->start()) <= now;
    // Re-planned shifts leave their assignee's load until decided again.
    if (!kept && !s->assignee_id().empty()) ov.Of(s->assignee_id()).Remove(FactsOf(*s));
  }

  Mutation m;
  std::set<std::string, std::less<>> seen;
  auto add_gap = [&](const v1::Shift& s, std::string why) {
    ++counts->gaps;
    if (counts->gap_list.size() < kMaxGapsListed) counts->gap_list.emplace_back(s, std::move(why));
  };
  for (const Slot& slot : slots) {
    const uint32_t n = slot.window->coverage().min_staff();
    std::string holiday;
    if (slot.day_type == v1::HOLIDAY) {
      auto day = st.calendar.Day(slot.date, center);
      if (day.ok()) holiday = day->name();
    }
    for (uint32_t pos = 0; pos < n; ++pos) {
      v1::Shift s = NewShift(center, slot, pos, holiday);
      ++counts->shifts;
      seen.insert(s.id());
      auto ex = existing.find(s.id());
      const v1::Shift* old = ex == existing.end() ? nullptr : ex->second;
      if (old && (old->published() || Sec(old->start()) <= now)) {
        ++counts->kept;
        if (old->assignee_id().empty()) add_gap(*old, "kept as it is (published or past)");
        continue;
      }
      const ShiftFacts f = FactsOf(s);
      std::string why;
      auto try_assign = [&](const v1::Staff* person, v1::ShiftSource source) {
        if (!person) return false;
        auto breaches = ov.Why(*person, s, f);
        if (!breaches.empty()) {
          if (why.empty()) why = fmt::format("{}", fmt::join(breaches, "; "));
          return false;
        }
        s.set_assignee_id(person->id());
        s.set_source(source);
        return true;
      };
      bool done = false;
      if (old) {
        *s.mutable_checked_in() = old->checked_in();
        if (!s.has_checked_in()) s.clear_checked_in();
        s.set_timers_fired(old->timers_fired());
        s.set_backup_id(old->backup_id());
        const bool manual = old->source() == v1::OVERRIDE || old->source() == v1::SWAP ||
                            old->source() == v1::BACKUP;
        if ((manual || req.fill_only()) && !old->assignee_id().empty()) {
          const auto* person = st.network.FindStaff(old->assignee_id());
          if (person &&
              (old->forced() ? ov.HardOk(*person, s, f) : ov.Why(*person, s, f).empty())) {
            s.set_assignee_id(person->id());
            s.set_source(old->source());
            s.set_rotation_id(old->rotation_id());
            s.set_forced(old->forced());
            done = true;
          }
        }
      }
      if (!done && !req.fill_only()) {
        for (const auto* r : layers) {
          if (!Serves(*r, slot.window->kind(), slot.day_type)) continue;
          const int32_t start_day = DayOf(r->start_date());
          int32_t eff = DayNumber(slot.date);
          if (slot.window->start_minute() < ClockMinute(r->handoff())) --eff;
          if (eff < start_day) continue;
          const int64_t turn = (eff - start_day) / static_cast<int32_t>(r->period_days());
          const int nm = r->members_size();
          const int idx = static_cast<int>((turn + pos) % nm);
          s.set_rotation_id(r->id());
          s.set_backup_id(!r->no_backup() && nm > 1 ? r->members((idx + 1) % nm) : "");
          done = try_assign(st.network.FindStaff(r->members(idx)), v1::ROTATION);
          if (!done && why.empty())
            why = fmt::format("rotation {}: {} is gone", r->id(), r->members(idx));
          break;  // the layer with precedence decides
        }
      }
      if (!done && fill) {
        const auto* best = BestCandidate(ov, pool, s, f);
        done = try_assign(best, v1::FILL);
        if (done && s.backup_id().empty()) {
          ov.Of(best->id()).Add(f);
          if (const auto* second = BestCandidate(ov, pool, s, f, best->id()))
            s.set_backup_id(second->id());
          ov.Of(best->id()).Remove(f);
        }
        if (!done && why.empty())
          why = pool.empty() ? "nobody works at or covers this center"
                             : "no eligible staff (roles, skills, leave, rules)";
      }
      if (done) {
        ov.Of(s.assignee_id()).Add(f);
        ++counts->assigned;
        if (s.backup_id() == s.assignee_id()) s.set_backup_id("");
      } else {
        s.set_assignee_id("");
        s.set_source(v1::SHIFT_SOURCE_UNSPECIFIED);
        add_gap(s, why.empty() ? "no rotation serves this window (run rota fill)" : why);
      }
      if (!old || !Same(s, *old)) m.shifts_put.push_back(std::move(s));
    }
  }
  for (const auto& [id, s] : existing) {
    if (seen.count(id) || s->published() || Sec(s->start()) <= now) continue;
    m.shifts_deleted.push_back(id);  // its window is no longer required
  }
  m.summary = fmt::format("rota {} {}..{}: {} shifts, {} assigned, {} gaps, {} kept", center,
                          FormatDate(from), FormatDate(to), counts->shifts, counts->assigned,
                          counts->gaps, counts->kept);
  auto e = NewEvent(center);
  auto* g = e.mutable_rota_generated();
  g->set_from(FormatDate(from));
  g->set_to(FormatDate(to));
  g->set_shifts(counts->shifts);
  g->set_assigned(counts->assigned);
  g->set_gaps(counts->gaps);
  g->set_kept(counts->kept);
  g->set_fill(fill);
  Emit(&m, std::move(e), "rota.generated");
  return m;
}

// ---- manual changes -----------------------------------------------------------------

namespace {

// Applies `person` to each shift (in order), checking as it goes. Refuses on
// a hard reason, or on a rule unless `force`.
Status Assign(const RotaCtx& ctx, Overlay& ov, std::vector<v1::Shift>& shifts,
              const v1::Staff& person, v1::ShiftSource source, bool force,
              const std::string& reason, Mutation* m) {
  const auto& net = ctx.state.network;
  for (auto& s : shifts) {
    const ShiftFacts f = FactsOf(s);
    if (s.assignee_id() == person.id()) continue;
    if (f.end <= Sec(ctx.now)) {
      return Status::FailedPrecondition(
          "shift_id", fmt::format("shift {} is over; the past is not changed", s.id()));
    }
    if (auto hard = Ineligible(ctx.state.rota, person, s, f.day); !hard.empty()) {
      return Status::FailedPrecondition(
          "staff_id", fmt::format("{} cannot take {}: {}", person.id(), s.id(), hard));
    }
    const std::string previous = s.assignee_id();
    if (!previous.empty()) ov.Of(previous).Remove(f);
    auto breaches = RuleBreaches(ov.Of(person.id()), ov.RulesOf(person, s.center_id()), f);
    if (!breaches.empty() && breaches.front().starts_with("overlap")) {
      return Status::FailedPrecondition(
          "staff_id",
          fmt::format("{} cannot take {}: {} (one person cannot hold two posts at once)",
                      person.id(), s.id(), breaches.front()));
    }
    if (!breaches.empty() && !force) {
      return Status::FailedPrecondition(
          "staff_id",
          fmt::format("{} taking {} breaks working-time rules: {} (--force overrides; it is "
                      "audited and reported)",
                      person.id(), s.id(), fmt::join(breaches, "; ")));
    }
    ov.Of(person.id()).Add(f);
    s.set_assignee_id(person.id());
    s.set_source(source);
    s.set_forced(!breaches.empty());
    if (s.backup_id() == person.id()) s.set_backup_id(previous);
    if (s.published()) {
      auto e = NewEvent(s.center_id());
      auto* b = e.mutable_shift_changed();
      *b->mutable_shift() = s;
      *b->mutable_staff() = person;
      SetStaff(net, previous, b->mutable_previous());
      b->set_reason(reason);
      Emit(m, std::move(e), "shift.changed");
      if (previous.empty()) {
        auto r = NewEvent(s.center_id());
        *r.mutable_coverage_restored()->mutable_shift() = s;
        *r.mutable_coverage_restored()->mutable_staff() = person;
        Emit(m, std::move(r), "coverage.restored");
      }
    }
    if (!breaches.empty()) {
      auto e = NewEvent(s.center_id());
      auto* v = e.mutable_rule_violation();
      *v->mutable_shift() = s;
      *v->mutable_staff() = person;
      for (auto& b : breaches) v->add_rules(std::move(b));
      v->set_forced_by(ctx.actor);
      Emit(m, std::move(e), "rule.violation");
    }
  }
  return {};
}

}  // namespace

Result<Mutation> OverrideShifts(const RotaCtx& ctx, const v1::RotaOverrideRequest& req,
                                std::vector<v1::Shift>* changed) {
  const auto& st = ctx.state;
  auto person = NeedStaff(st, req.staff_id(), "staff_id");
  if (!person.ok()) return person.status();
  std::vector<v1::Shift> shifts;
  if (!req.shift_id().empty()) {
    const auto* s = st.rota.FindShift(req.shift_id());
    if (!s)
      return Status::NotFound("shift_id",
                              fmt::format("shift \"{}\" does not exist", req.shift_id()));
    shifts.push_back(*s);
  } else {
    ZB_RETURN_IF_ERROR(NeedCenter(st, req.center_id()));
    Date from, to;
    ZB_RETURN_IF_ERROR(RangeArgs(req.from(), req.to(), &from, &to));
    if (req.replaces().empty()) {
      return Status::InvalidArgument("replaces",
                                     "give --shift, or --center/--from/--to with --replaces STAFF");
    }
    for (const auto* s : st.rota.CenterShifts(req.center_id(), from, to)) {
      if (s->assignee_id() == req.replaces() && Sec(s->end()) > Sec(ctx.now)) shifts.push_back(*s);
    }
    if (shifts.empty()) {
      return Status::FailedPrecondition(fmt::format("{} has no future shift at {} from {} to {}",
                                                    req.replaces(), req.center_id(), req.from(),
                                                    req.to()));
    }
  }
  Overlay ov(st.rota, st.network);
  Mutation m;
  const std::string reason = req.reason().empty() ? "override" : "override: " + req.reason();
  ZB_RETURN_IF_ERROR(Assign(ctx, ov, shifts, **person, v1::OVERRIDE, req.force(), reason, &m));
  m.summary =
      fmt::format("{} covers {} shift(s){}{}", req.staff_id(), shifts.size(),
                  shifts.size() == 1 ? " " + shifts[0].id() : "", req.force() ? " (forced)" : "");
  *changed = shifts;
  m.shifts_put = std::move(shifts);
  return m;
}

Result<Mutation> PublishMonth(const RotaCtx& ctx, const v1::RotaPublishRequest& req,
                              v1::RotaPublishReply* reply) {
  const auto& st = ctx.state;
  ZB_RETURN_IF_ERROR(NeedCenter(st, req.center_id()));
  auto first = ParseDate(req.month() + "-01");
  if (req.month().size() != 7 || !first.ok()) {
    return Status::InvalidArgument("month",
                                   fmt::format("\"{}\" is not a month YYYY-MM", req.month()));
  }
  if (st.rota.MonthPublished(req.center_id(), req.month())) {
    return Status::AlreadyExists(
        "month", fmt::format("{} of {} is already published", req.month(), req.center_id()));
  }
  const Date last = first->year() / first->month() / std::chrono::last;
  auto shifts = st.rota.CenterShifts(req.center_id(), *first, last);
  if (shifts.empty()) {
    return Status::FailedPrecondition(fmt::format(
        "{} has no shifts in {}; run `zhibanctl rota generate --center {} --from {} --to {} "
        "--fill` first",
        req.center_id(), req.month(), req.center_id(), FormatDate(*first), FormatDate(last)));
  }
  Mutation m;
  uint32_t gaps = 0;
  for (const auto* p : shifts) {
    v1::Shift s = *p;
    s.set_published(true);
    auto e = NewEvent(s.center_id());
    if (s.assignee_id().empty()) {
      ++gaps;
      auto* g = e.mutable_coverage_gap();
      *g->mutable_shift() = s;
      g->set_reason("unstaffed at publication");
      Emit(&m, std::move(e), "coverage.gap");
    } else {
      auto* a = e.mutable_shift_assigned();
      *a->mutable_shift() = s;
      SetStaff(st.network, s.assignee_id(), a->mutable_staff());
      SetStaff(st.network, s.backup_id(), a->mutable_backup());
      Emit(&m, std::move(e), "shift.assigned");
    }
    m.shifts_put.push_back(std::move(s));
  }
  const int64_t notice = int64_t(st.rota.options().publish_notice_days) * kDay;
  const int64_t month_start = Sec(shifts.front()->start());
  const bool late = Sec(ctx.now) > month_start - notice;
  v1::PublishedMonth pm;
  pm.set_center_id(req.center_id());
  pm.set_month(req.month());
  *pm.mutable_published_at() = Ts(Sec(ctx.now));
  m.months_put.push_back(pm);
  auto e = NewEvent(req.center_id());
  auto* b = e.mutable_rota_published();
  b->set_month(req.month());
  b->set_shifts(static_cast<uint32_t>(shifts.size()));
  b->set_gaps(gaps);
  b->set_late(late);
  Emit(&m, std::move(e), "rota.published");
  reply->set_month(req.month());
  reply->set_shifts(static_cast<uint32_t>(shifts.size()));
  reply->set_gaps(gaps);
  if (late) {
    reply->set_warning(
        fmt::format("published less than {} days before the month starts; staff have short notice",
                    st.rota.options().publish_notice_days));
  }
  m.summary = fmt::format("published {} of {}: {} shifts, {} gaps", req.month(), req.center_id(),
                          shifts.size(), gaps);
  return m;
}

Result<Mutation> CheckIn(const RotaCtx& ctx, std::string_view staff) {
  const auto& st = ctx.state;
  auto person = NeedStaff(st, std::string(staff), "staff_id");
  if (!person.ok()) return person.status();
  const int64_t now = Sec(ctx.now);
  for (const auto* s : st.rota.StaffShifts(staff, now - 2 * kDay, now + kCheckinEarly + 1)) {
    if (Sec(s->end()) <= now || Sec(s->start()) - kCheckinEarly > now || s->has_checked_in())
      continue;
    if (s->kind() == v1::ON_CALL) continue;
    v1::Shift c = *s;
    *c.mutable_checked_in() = Ts(now);
    Mutation m;
    m.summary = fmt::format("{} checked in to {}", staff, c.id());
    auto e = NewEvent(c.center_id());
    *e.mutable_shift_checked_in()->mutable_shift() = c;
    *e.mutable_shift_checked_in()->mutable_staff() = **person;
    Emit(&m, std::move(e), "shift.checked_in");
    m.shifts_put.push_back(std::move(c));
    return m;
  }
  return Status::FailedPrecondition(fmt::format(
      "{} has no on-site shift running now or starting within 30 minutes (not yet checked in)",
      staff));
}

// ---- swaps ----------------------------------------------------------------------

namespace {

v1::Event SwapEvent(const RotaCtx& ctx, const v1::ShiftSwap& s) {
  const auto* shift = ctx.state.rota.FindShift(s.shift_id());
  auto e = NewEvent(shift ? shift->center_id() : "");
  auto* b = e.mutable_swap_updated();
  *b->mutable_shift_swap() = s;
  SetStaff(ctx.state.network, s.from_staff_id(), b->mutable_requester());
  SetStaff(ctx.state.network, s.to_staff_id(), b->mutable_counterpart());
  e.set_topic("swap.updated");
  return e;
}

// The swap applied to copies of its shifts (checked), into `m`.
Status ApplySwap(const RotaCtx& ctx, const v1::ShiftSwap& sw, bool force, bool dry, Mutation* m) {
  const auto& st = ctx.state;
  const auto* a = st.rota.FindShift(sw.shift_id());
  if (!a)
    return Status::NotFound("shift_id", fmt::format("shift \"{}\" does not exist", sw.shift_id()));
  if (a->assignee_id() != sw.from_staff_id()) {
    return Status::FailedPrecondition(
        fmt::format("shift {} is no longer {}'s", a->id(), sw.from_staff_id()));
  }
  const auto* from = st.network.FindStaff(sw.from_staff_id());
  const auto* to = st.network.FindStaff(sw.to_staff_id());
  if (!from || !to)
    return Status::FailedPrecondition("a staff member of the swap no longer exists");
  Overlay ov(st.rota, st.network);
  std::vector<v1::Shift> give{*a}, back;
  if (!sw.return_shift_id().empty()) {
    const auto* b = st.rota.FindShift(sw.return_shift_id());
    if (!b)
      return Status::NotFound("return_shift_id",
                              fmt::format("shift \"{}\" does not exist", sw.return_shift_id()));
    if (b->assignee_id() != sw.to_staff_id()) {
      return Status::FailedPrecondition(
          "return_shift_id", fmt::format("shift {} is not {}'s", b->id(), sw.to_staff_id()));
    }
    back.push_back(*b);
    // Both leave their old shift before either takes the other's.
    ov.Of(to->id()).Remove(FactsOf(*b));
  }
  Mutation local;
  Mutation* out = dry ? &local : m;
  const std::string reason = fmt::format("swap {}", sw.id());
  ZB_RETURN_IF_ERROR(Assign(ctx, ov, give, *to, v1::SWAP, force, reason, out));
  if (!back.empty()) ZB_RETURN_IF_ERROR(Assign(ctx, ov, back, *from, v1::SWAP, force, reason, out));
  if (!dry) {
    for (auto& s : give) m->shifts_put.push_back(std::move(s));
    for (auto& s : back) m->shifts_put.push_back(std::move(s));
  }
  return {};
}

}  // namespace

Result<Mutation> RequestSwap(const RotaCtx& ctx, v1::SwapRequestRequest req, uint64_t serial) {
  const auto& st = ctx.state;
  const auto* shift = st.rota.FindShift(req.shift_id());
  if (!shift)
    return Status::NotFound("shift_id", fmt::format("shift \"{}\" does not exist", req.shift_id()));
  if (shift->assignee_id().empty())
    return Status::FailedPrecondition("shift_id", "the shift has nobody to swap");
  auto to = NeedStaff(st, req.to_staff_id(), "to_staff_id");
  if (!to.ok()) return to.status();
  if (req.to_staff_id() == shift->assignee_id())
    return Status::InvalidArgument("to_staff_id", "is the shift's own assignee");
  v1::ShiftSwap sw;
  sw.set_id(req.id().empty() ? fmt::format("swap-{}", serial) : req.id());
  if (st.rota.swaps().count(sw.id()))
    return Status::AlreadyExists("id", fmt::format("swap \"{}\" exists", sw.id()));
  sw.set_shift_id(req.shift_id());
  sw.set_from_staff_id(shift->assignee_id());
  sw.set_to_staff_id(req.to_staff_id());
  sw.set_return_shift_id(req.return_shift_id());
  sw.set_state(v1::REQUESTED);
  sw.set_reason(req.reason());
  Mutation scratch;
  // Refused now rather than after two people agreed: roles, skills, leave, rules.
  ZB_RETURN_IF_ERROR(ApplySwap(ctx, sw, /*force=*/false, /*dry=*/true, &scratch));
  Mutation m;
  m.summary = fmt::format("swap {} requested: {} -> {} for {}", sw.id(), sw.from_staff_id(),
                          sw.to_staff_id(), sw.shift_id());
  m.Emit(SwapEvent(ctx, sw));
  m.swaps_put.push_back(std::move(sw));
  return m;
}

Result<Mutation> DecideSwap(const RotaCtx& ctx, const v1::SwapDecideRequest& req) {
  const auto& st = ctx.state;
  auto it = st.rota.swaps().find(req.id());
  if (it == st.rota.swaps().end())
    return Status::NotFound("id", fmt::format("swap \"{}\" does not exist", req.id()));
  v1::ShiftSwap sw = it->second;
  auto by = NeedStaff(st, req.by_staff_id(), "by_staff_id");
  if (!by.ok()) return by.status();
  const bool leader = HasRole(**by, v1::LEADER);
  Mutation m;
  switch (req.action()) {
    case v1::ACCEPT:
      if (sw.state() != v1::REQUESTED)
        return Status::FailedPrecondition(
            fmt::format("swap {} is {}, not REQUESTED", sw.id(), v1::SwapState_Name(sw.state())));
      if (req.by_staff_id() != sw.to_staff_id()) {
        return Status::FailedPrecondition(
            "by_staff_id", fmt::format("only {} (asked) can accept", sw.to_staff_id()));
      }
      sw.set_state(v1::ACCEPTED);
      break;
    case v1::APPROVE:
      if (sw.state() != v1::ACCEPTED) {
        return Status::FailedPrecondition(fmt::format("swap {} is {}; {} must accept it first",
                                                      sw.id(), v1::SwapState_Name(sw.state()),
                                                      sw.to_staff_id()));
      }
      if (!leader)
        return Status::FailedPrecondition(
            "by_staff_id",
            fmt::format("{} is not a LEADER; only a leader approves swaps", req.by_staff_id()));
      ZB_RETURN_IF_ERROR(ApplySwap(ctx, sw, req.force(), /*dry=*/false, &m));
      sw.set_state(v1::APPROVED);
      sw.set_decided_by(req.by_staff_id());
      break;
    case v1::REJECT:
      if (sw.state() != v1::REQUESTED && sw.state() != v1::ACCEPTED) {
        return Status::FailedPrecondition(
            fmt::format("swap {} is already {}", sw.id(), v1::SwapState_Name(sw.state())));
      }
      if (req.by_staff_id() != sw.to_staff_id() && !leader) {
        return Status::FailedPrecondition(
            "by_staff_id", fmt::format("only {} or a LEADER can reject", sw.to_staff_id()));
      }
      sw.set_state(v1::REJECTED);
      sw.set_decided_by(req.by_staff_id());
      break;
    default:
      return Status::InvalidArgument("action", "must be ACCEPT, APPROVE or REJECT");
  }
  m.summary =
      fmt::format("swap {} {} by {}", sw.id(), v1::SwapState_Name(sw.state()), req.by_staff_id());
  m.Emit(SwapEvent(ctx, sw));
  m.swaps_put.push_back(std::move(sw));
  return m;
}

// ---- leave ----------------------------------------------------------------------

Result<Mutation> AddLeave(const RotaCtx& ctx, v1::Leave leave) {
  const auto& st = ctx.state;
  if (leave.id().empty() || leave.id().size() > kMaxIdLength)
    return Status::InvalidArgument("leave.id", "is required (at most 64 characters)");
  if (st.rota.leave().count(leave.id()))
    return Status::AlreadyExists("leave.id", fmt::format("leave \"{}\" exists", leave.id()));
  auto person = NeedStaff(st, leave.staff_id(), "leave.staff_id");
  if (!person.ok()) return person.status();
  if (!v1::LeaveKind_IsValid(leave.kind()) || leave.kind() == v1::LEAVE_KIND_UNSPECIFIED) {
    return Status::InvalidArgument("leave.kind", "must be ANNUAL, SICK, COMPENSATORY or PERSONAL");
  }
  Date from, to;
  if (leave.to().empty()) leave.set_to(leave.from());
  ZB_RETURN_IF_ERROR(RangeArgs(leave.from(), leave.to(), &from, &to));
  for (int32_t d = DayNumber(from); d <= DayNumber(to); ++d) {
    if (const auto* other = st.rota.LeaveOn(leave.staff_id(), d)) {
      return Status::AlreadyExists(
          "leave.from", fmt::format("{} overlaps leave {} ({}..{})", leave.id(), other->id(),
                                    other->from(), other->to()));
    }
  }
  Mutation m;
  m.leave_put.push_back(leave);
  Overlay ov(st.rota, st.network);
  std::vector<v1::Shift> hit;
  for (const auto* s : st.rota.StaffShifts(leave.staff_id(), DayNumber(from) * kDay - kDay,
                                           (DayNumber(to) + 2) * kDay)) {
    const int32_t d = DayOf(s->date());
    if (d < DayNumber(from) || d > DayNumber(to) || Sec(s->end()) <= Sec(ctx.now)) continue;
    hit.push_back(*s);
  }
  const std::string reason =
      fmt::format("leave {} ({})", leave.id(), v1::LeaveKind_Name(leave.kind()));
  // The leave must be visible to the eligibility checks of the replacements:
  // the person on leave is the only one it concerns, and they are skipped.
  for (auto& s : hit) Reassign(ctx, ov, std::move(s), reason, &m);
  auto e = NewEvent((*person)->center_id());
  auto* b = e.mutable_leave_added();
  *b->mutable_leave() = leave;
  *b->mutable_staff() = **person;
  b->set_shifts_affected(static_cast<uint32_t>(hit.size()));
  Emit(&m, std::move(e), "leave.added");
  m.summary = fmt::format("leave {} for {} {}..{}: {} shift(s) affected", leave.id(),
                          leave.staff_id(), leave.from(), leave.to(), hit.size());
  return m;
}

Result<Mutation> RemoveLeave(const RotaCtx& ctx, std::string_view id) {
  auto it = ctx.state.rota.leave().find(id);
  if (it == ctx.state.rota.leave().end())
    return Status::NotFound("id", fmt::format("leave \"{}\" does not exist", id));
  Mutation m;
  m.leave_deleted.emplace_back(id);
  const auto* person = ctx.state.network.FindStaff(it->second.staff_id());
  auto e = NewEvent(person ? person->center_id() : "");
  *e.mutable_leave_removed()->mutable_leave() = it->second;
  if (person) *e.mutable_leave_removed()->mutable_staff() = *person;
  Emit(&m, std::move(e), "leave.removed");
  m.summary = fmt::format(
      "leave {} removed (its shifts stay as re-planned; run rota fill to use the person again)",
      id);
  return m;
}

void ReleaseStaff(const RotaCtx& ctx, std::string_view staff, Mutation* m) {
  const auto& st = ctx.state;
  Overlay ov(st.rota, st.network);
  const int64_t now = Sec(ctx.now);
  std::vector<v1::Shift> hit;
  for (const auto* s :
       st.rota.StaffShifts(staff, now - 2 * kDay, std::numeric_limits<int64_t>::max())) {
    if (Sec(s->end()) > now) hit.push_back(*s);
  }
  for (auto& s : hit) Reassign(ctx, ov, std::move(s), "staff removed", m);
  // Backups who leave stop being backups.
  for (const auto& [id, s] : st.rota.shifts()) {
    if (s.backup_id() == staff && Sec(s.end()) > now && s.assignee_id() != staff) {
      v1::Shift c = s;
      c.set_backup_id("");
      m->shifts_put.push_back(std::move(c));
    }
  }
  for (const auto& [id, r] : st.rota.rotations()) {
    if (std::find(r.members().begin(), r.members().end(), staff) == r.members().end()) continue;
    v1::Rotation c = r;
    c.clear_members();
    for (const auto& x : r.members()) {
      if (x != staff) c.add_members(x);
    }
    if (c.members().empty()) {
      m->rotations_deleted.push_back(id);
      continue;
    }
    auto e = NewEvent(c.center_id());
    *e.mutable_rotation_updated()->mutable_rotation() = c;
    Emit(m, std::move(e), "rotation.updated");
    m->rotations_put.push_back(std::move(c));
  }
  if (!hit.empty()) m->summary += fmt::format("; {} future shift(s) released", hit.size());
}

Result<Mutation> SetRules(const RotaCtx&, std::string_view toml, std::string_view source) {
  auto cfg = ParseRulesToml(toml, source);
  if (!cfg.ok()) return cfg.status();
  Mutation m;
  m.summary = fmt::format("working-time rules from {}", source.empty() ? "(inline)" : source);
  v1::Event e;
  e.mutable_rules_updated()->set_source(std::string(source));
  Emit(&m, std::move(e), "rules.updated");
  m.rules_put.push_back(std::move(*cfg));
  return m;
}

// ---- timers ---------------------------------------------------------------------

Mutation FireTimers(const RotaCtx& ctx, size_t limit) {
  const auto& st = ctx.state;
  const auto& net = st.network;
  const int64_t now = Sec(ctx.now);
  Mutation m;
  std::map<std::string, v1::Shift, std::less<>> touched;
  auto shift_of = [&](const std::string& id) -> v1::Shift* {
    auto it = touched.find(id);
    if (it != touched.end()) return &it->second;
    const auto* s = st.rota.FindShift(id);
    return s ? &touched.emplace(id, *s).first->second : nullptr;
  };
  size_t fired = 0;
  for (const Timer& t : st.rota.timers()) {
    if (t.due > now || fired >= limit) break;
    v1::Shift* s = shift_of(t.shift_id);
    if (!s || (s->timers_fired() & t.bit)) continue;
    ++fired;
    s->set_timers_fired(s->timers_fired() | t.bit);
    const bool late = now - t.due > 120;
    const auto* leader = LeaderOnDuty(st, s->center_id(), Sec(s->start()));
    auto e = NewEvent(s->center_id());
    if (t.bit == v1::REMINDER_EVE || t.bit == v1::REMINDER_BEFORE) {
      auto* r = e.mutable_shift_reminder();
      *r->mutable_shift() = *s;
      SetStaff(net, s->assignee_id(), r->mutable_staff());
      if (leader) *r->mutable_leader() = *leader;
      r->set_lead(t.bit == v1::REMINDER_EVE ? "eve" : "before");
      r->set_late(late);
      Emit(&m, std::move(e), "shift.reminder");
    } else if (t.bit == v1::NO_SHOW) {
      if (s->has_checked_in()) continue;
      auto* g = e.mutable_coverage_gap();
      *g->mutable_shift() = *s;
      g->set_reason(fmt::format("no-show: not checked in {} minutes after the start",
                                st.rota.options().checkin_grace_minutes));
      SetStaff(net, s->assignee_id(), g->mutable_absent());
      SetStaff(net, s->backup_id(), g->mutable_backup());
      if (leader) *g->mutable_leader() = *leader;
      Emit(&m, std::move(e), "coverage.gap");
    } else if (t.bit == v1::HANDOFF) {
      // Every shift of the center starting at this instant, handed off together.
      const int64_t at = Sec(s->start());
      const std::string prefix =
          ShiftIdPrefix(s->center_id(), s->date(), ClockMinute(s->start_local()));
      std::set<std::string> incoming_ids, before_ids;
      auto* h = e.mutable_shift_handoff();
      for (auto it = st.rota.shifts().lower_bound(prefix);
           it != st.rota.shifts().end() && it->first.starts_with(prefix); ++it) {
        v1::Shift* x = shift_of(it->first);
        if (Sec(x->start()) != at) continue;
        x->set_timers_fired(x->timers_fired() | v1::HANDOFF);
        h->add_shift_ids(x->id());
        if (!x->assignee_id().empty()) incoming_ids.insert(x->assignee_id());
      }
      const int32_t day = DayOf(s->date());
      for (const auto* x :
           st.rota.CenterShifts(s->center_id(), FromDayNumber(day - 1), FromDayNumber(day))) {
        if (Sec(x->start()) < at && Sec(x->end()) >= at && !x->assignee_id().empty())
          before_ids.insert(x->assignee_id());
      }
      for (const auto& id : before_ids) {
        if (!incoming_ids.count(id)) SetStaff(net, id, h->add_outgoing());
      }
      for (const auto& id : incoming_ids) {
        if (!before_ids.count(id)) SetStaff(net, id, h->add_incoming());
      }
      if (h->outgoing().empty() && h->incoming().empty()) continue;  // the same people stay on
      *h->mutable_at() = Ts(at);
      h->set_at_local(fmt::format("{} {}", s->date(), s->start_local()));
      if (leader) *h->mutable_leader() = *leader;
      h->set_late(late);
      Emit(&m, std::move(e), "shift.handoff");
    }
  }
  for (auto& [id, s] : touched) m.shifts_put.push_back(std::move(s));
  if (!m.shifts_put.empty()) m.summary = fmt::format("{} timer(s) fired", fired);
  return m;
}

// ---- queries --------------------------------------------------------------------

Status CheckRota(const RotaCtx& ctx, const v1::RotaCheckRequest& req, v1::RotaCheckReply* out) {
  const auto& st = ctx.state;
  ZB_RETURN_IF_ERROR(NeedCenter(st, req.center_id()));
  Date from, to;
  ZB_RETURN_IF_ERROR(RangeArgs(req.from(), req.to(), &from, &to));
  std::vector<v1::CoverageGap> uncovered;
  std::vector<Slot> slots;
  ZB_RETURN_IF_ERROR(ExpandCoverage(st.calendar, st.policies, st.network, ctx.zones,
                                    req.center_id(), from, to, &slots, &uncovered));
  for (auto& g : uncovered) *out->add_uncovered_days() = std::move(g);
  const auto shifts = st.rota.CenterShifts(req.center_id(), from, to);
  out->set_shifts(static_cast<uint32_t>(shifts.size()));
  // Windows with no shift yet are gaps too (not generated).
  std::set<std::string> have;
  for (const auto* s : shifts) have.insert(s->id());
  uint32_t gaps = 0;
  for (const auto& slot : slots) {
    for (uint32_t p = 0; p < slot.window->coverage().min_staff(); ++p) {
      if (have.count(ShiftId(req.center_id(), slot, p))) continue;
      if (++gaps <= 1000) *out->add_gaps() = NewShift(req.center_id(), slot, p, "");
    }
  }
  Overlay ov(st.rota, st.network);
  for (const auto* s : shifts) {
    if (s->assignee_id().empty()) {
      if (++gaps <= 1000) *out->add_gaps() = *s;
      continue;
    }
    const auto* person = st.network.FindStaff(s->assignee_id());
    if (!person) continue;
    const ShiftFacts f = FactsOf(*s);
    StaffLoad& load = ov.Of(person->id());
    load.Remove(f);
    auto why = ov.Why(*person, *s, f);
    load.Add(f);
    for (auto& w : why) {
      auto* b = out->add_breaches();
      b->set_shift_id(s->id());
      b->set_staff_id(person->id());
      b->set_rule(w.substr(0, w.find(':')));
      b->set_detail(std::move(w));
      b->set_forced(s->forced());
    }
  }
  out->set_gap_count(gaps);
  const int64_t lo = DayNumber(from) * kDay - kDay, hi = (DayNumber(to) + 2) * kDay;
  uint32_t mins[3] = {UINT32_MAX, UINT32_MAX, UINT32_MAX}, maxs[3] = {0, 0, 0};
  for (const auto* person : PoolOf(st.network, req.center_id())) {
    auto* row = out->add_fairness();
    row->set_staff_id(person->id());
    row->set_name(person->name());
    std::set<int32_t> weekend, holiday;
    for (const auto* s : st.rota.StaffShifts(person->id(), lo, hi)) {
      const ShiftFacts f = FactsOf(*s);
      if (f.day < DayNumber(from) || f.day > DayNumber(to)) continue;
      if (f.weekend) weekend.insert(f.day);
      if (f.holiday) holiday.insert(f.day);
      if (f.evening) row->set_evenings(row->evenings() + 1);
      if (f.working) row->set_minutes(row->minutes() + f.minutes());
    }
    row->set_weekend_days(static_cast<uint32_t>(weekend.size()));
    row->set_holiday_days(static_cast<uint32_t>(holiday.size()));
    const uint32_t v[3] = {row->weekend_days(), row->holiday_days(), row->evenings()};
    for (int i = 0; i < 3; ++i) {
      mins[i] = std::min(mins[i], v[i]);
      maxs[i] = std::max(maxs[i], v[i]);
    }
  }
  if (out->fairness_size()) {
    out->set_spread_weekend_days(maxs[0] - mins[0]);
    out->set_spread_holiday_days(maxs[1] - mins[1]);
    out->set_spread_evenings(maxs[2] - mins[2]);
  }
  return {};
}

Status RotaNow(const RotaCtx& ctx, const v1::RotaNowRequest& req, v1::RotaNowReply* out) {
  const auto& st = ctx.state;
  if (!req.center_id().empty()) ZB_RETURN_IF_ERROR(NeedCenter(st, req.center_id()));
  const int64_t now = Sec(ctx.now);
  *out->mutable_now() = Ts(now);
  const int32_t day = static_cast<int32_t>((now + 8 * 3600) / kDay);
  auto one = [&](const std::string& center) {
    for (const auto* s :
         st.rota.CenterShifts(center, FromDayNumber(day - 1), FromDayNumber(day + 1))) {
      if (Sec(s->start()) > now || Sec(s->end()) <= now) continue;
      if (s->assignee_id().empty()) {
        *out->add_gaps() = *s;
        continue;
      }
      auto* d = out->add_on_duty();
      d->set_center_id(center);
      *d->mutable_shift() = *s;
      SetStaff(st.network, s->assignee_id(), d->mutable_staff());
      SetStaff(st.network, s->backup_id(), d->mutable_backup());
    }
    if (const auto* l = LeaderOnDuty(st, center, now)) (*out->mutable_leaders())[center] = *l;
  };
  if (!req.center_id().empty()) {
    one(req.center_id());
  } else {
    for (const auto& [id, c] : st.network.centers()) one(id);
  }
  return {};
}

Status Ledger(const RotaCtx& ctx, const v1::LedgerRequest& req, v1::LedgerReply* out) {
  const auto& st = ctx.state;
  if (req.year() < 1970 || req.year() > 9999)
    return Status::InvalidArgument("year", "is required (e.g. 2026)");
  std::vector<const v1::Staff*> people;
  if (!req.staff_id().empty()) {
    auto p = NeedStaff(st, req.staff_id(), "staff_id");
    if (!p.ok()) return p.status();
    people.push_back(*p);
  } else {
    if (!req.center_id().empty()) ZB_RETURN_IF_ERROR(NeedCenter(st, req.center_id()));
    for (const auto& [id, s] : st.network.staff()) {
      if (req.center_id().empty() || s.center_id() == req.center_id()) people.push_back(&s);
    }
  }
  const int32_t y0 = DayNumber(std::chrono::year(req.year()) / 1 / 1);
  const int32_t y1 = DayNumber(std::chrono::year(req.year()) / 12 / 31);
  const int64_t now = Sec(ctx.now);
  out->set_year(req.year());
  for (const auto* p : people) {
    auto* row = out->add_rows();
    row->set_staff_id(p->id());
    row->set_name(p->name());
    row->set_center_id(p->center_id());
    std::set<int32_t> holiday_days;
    for (const auto* s : st.rota.StaffShifts(p->id(), y0 * kDay - kDay, (y1 + 2) * kDay)) {
      const ShiftFacts f = FactsOf(*s);
      if (f.day < y0 || f.day > y1 || !f.working || f.end > now) continue;  // worked shifts only
      row->set_total_minutes(row->total_minutes() + f.minutes());
      if (f.weekend) row->set_weekend_minutes(row->weekend_minutes() + f.minutes());
      if (f.holiday) {
        row->set_holiday_minutes(row->holiday_minutes() + f.minutes());
        holiday_days.insert(f.day);
      }
    }
    row->set_holiday_days(static_cast<uint32_t>(holiday_days.size()));
    row->set_comp_earned_minutes(row->weekend_minutes());
    const Rules rules = ResolveRules(st.rota.rules(), *p, p->center_id());
    uint32_t taken = 0;
    for (const auto& [id, l] : st.rota.leave()) {
      if (l.staff_id() != p->id() || l.kind() != v1::COMPENSATORY) continue;
      for (int32_t d = std::max(DayOf(l.from()), y0); d <= std::min(DayOf(l.to()), y1); ++d)
        taken += rules.daily_standard;
    }
    row->set_comp_taken_minutes(taken);
    row->set_comp_balance_minutes(static_cast<int32_t>(row->comp_earned_minutes()) -
                                  static_cast<int32_t>(taken));
  }
  return {};
}

Result<v1::Shift> StaffExtraShift(const RotaCtx& ctx, v1::Shift s, Mutation* m) {
  const auto& st = ctx.state;
  const ShiftFacts f = FactsOf(s);
  Overlay ov(st.rota, st.network);
  const auto pool = PoolOf(st.network, s.center_id());
  const v1::Staff* best = BestCandidate(ov, pool, s, f);
  if (!best) {
    std::vector<std::string> why;
    for (const auto* p : pool) {
      if (why.size() == 5) {
        why.push_back("...");
        break;
      }
      auto w = ov.Why(*p, s, f);
      if (!w.empty()) why.push_back(w.front());
    }
    return Status::FailedPrecondition(
        fmt::format("nobody at {} can take {} {}-{}: {}", s.center_id(), s.date(), s.start_local(),
                    s.end_local(),
                    why.empty() ? "nobody works there" : fmt::format("{}", fmt::join(why, "; "))));
  }
  s.set_assignee_id(best->id());
  s.set_source(v1::FILL);
  s.set_published(st.rota.MonthPublished(s.center_id(), s.date().substr(0, 7)));
  if (s.published()) {
    auto e = NewEvent(s.center_id());
    auto* a = e.mutable_shift_assigned();
    *a->mutable_shift() = s;
    *a->mutable_staff() = *best;
    Emit(m, std::move(e), "shift.assigned");
  }
  m->shifts_put.push_back(s);
  return s;
}

void CancelShift(const RotaCtx& ctx, const v1::Shift& s, const std::string& reason, Mutation* m) {
  if (s.published()) {
    auto e = NewEvent(s.center_id());
    auto* c = e.mutable_shift_cancelled();
    *c->mutable_shift() = s;
    SetStaff(ctx.state.network, s.assignee_id(), c->mutable_staff());
    c->set_reason(reason);
    Emit(m, std::move(e), "shift.cancelled");
  }
  m->shifts_deleted.push_back(s.id());
}

}  // namespace zhiban::domain
