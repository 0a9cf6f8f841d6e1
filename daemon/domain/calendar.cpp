#include "daemon/domain/calendar.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "daemon/domain/common.h"
#include "daemon/domain/network.h"

namespace zhiban::domain {
namespace {

constexpr int kMinYear = 2000, kMaxYear = 2100;
constexpr int kMaxExceptionDays = 366;

v1::Event CalendarUpdatedEvent(const std::string& from, const std::string& to,
                               const std::string& center, std::string reason) {
  v1::Event e;
  e.set_center_id(center);
  auto* b = e.mutable_calendar_updated();
  b->set_from(from);
  b->set_to(to);
  b->set_center_id(center);
  b->set_reason(std::move(reason));
  return e;
}

Status NoNotice(int year) {
  return Status::FailedPrecondition(
      fmt::format("no national calendar is loaded for {}; load the State Council notice with "
                  "`zhibanctl calendar import {}.json`",
                  year, year));
}

bool Overlaps(const v1::CalendarException& a, const v1::CalendarException& b) {
  // ISO dates compare correctly as strings.
  return a.center_id() == b.center_id() && a.from() <= b.to() && b.from() <= a.to();
}

}  // namespace

// ---- Calendar ---------------------------------------------------------------

const v1::CalendarException* Calendar::FindException(std::string_view id) const {
  auto it = exceptions_.find(id);
  return it == exceptions_.end() ? nullptr : &it->second;
}

void Calendar::Reindex() {
  listed_.clear();
  // A date's own notice wins over an adjacent year's notice listing it.
  for (const auto& [year, y] : years_) {
    for (const auto& d : y.days()) {
      auto date = ParseDate(d.date());
      if (!date.ok()) continue;  // validated on import
      const int32_t key = DayNumber(*date);
      const bool own = int(date->year()) == year;
      auto it = listed_.find(key);
      if (it == listed_.end() || own) listed_[key] = {d.off_day(), d.name(), year, d.statutory()};
    }
  }
}

void Calendar::PutYear(v1::CalendarYear y) {
  const int year = y.year();
  years_[year] = std::move(y);
  Reindex();
}

void Calendar::PutException(v1::CalendarException e) {
  EraseException(e.id());
  std::string id = e.id();
  by_center_[e.center_id()].push_back(id);
  exceptions_[id] = std::move(e);
}

void Calendar::EraseException(std::string_view id) {
  auto it = exceptions_.find(id);
  if (it == exceptions_.end()) return;
  auto& ids = by_center_[it->second.center_id()];
  std::erase(ids, it->first);
  exceptions_.erase(it);
}

bool Calendar::HasStatutory(int year) const {
  auto it = years_.find(year);
  return it != years_.end() && !it->second.statutory_law().empty();
}

Result<DayClass> Calendar::ClassOf(Date d) const {
  const int year = int(d.year());
  if (!HasYear(year)) return NoNotice(year);
  if (!HasStatutory(year)) {
    return Status::FailedPrecondition(fmt::format(
        "the statutory holidays of {} are not loaded, so pay cannot be reckoned; load them with "
        "`zhibanctl calendar statutory {}.json` (data/statutory-cn/README.md)",
        year, year));
  }
  const DayInfo info = Info(d, {}, {});
  if (info.statutory) return DayClass::kStatutory;
  if (info.type == v1::HOLIDAY || info.type == v1::WEEKEND) return DayClass::kRest;
  return DayClass::kWorking;
}

Result<DayClass> Calendar::ClassOf(Date d, const v1::Staff& s) const {
  ZB_ASSIGN_OR_RETURN(const DayClass national, ClassOf(d));
  if (s.rest_week() != v1::REST_WEEK_FIXED || national == DayClass::kStatutory) return national;
  const auto weekday = std::chrono::weekday(std::chrono::sys_days(d)).iso_encoding();
  const auto& rest = s.rest_weekdays();
  return std::find(rest.begin(), rest.end(), weekday) != rest.end() ? DayClass::kRest
                                                                    : DayClass::kWorking;
}

std::vector<int> Calendar::MissingYears(Date from, Date to) const {
  std::vector<int> out;
  for (int y = int(from.year()); y <= int(to.year()); ++y) {
    if (!HasYear(y)) out.push_back(y);
  }
  return out;
}

Calendar::DayInfo Calendar::Info(Date d, std::string_view iso, std::string_view center_id) const {
  DayInfo info;
  if (auto it = listed_.find(DayNumber(d)); it != listed_.end()) {
    info.type = it->second.off_day ? v1::HOLIDAY : v1::MAKEUP_WORKDAY;
    info.name = &it->second.name;
    info.statutory = it->second.statutory;
  } else {
    info.type = IsWeekend(d) ? v1::WEEKEND : v1::WORKDAY;
  }
  if (center_id.empty()) return info;
  auto ids = by_center_.find(center_id);
  if (ids == by_center_.end()) return info;
  for (const auto& id : ids->second) {
    const auto& e = exceptions_.find(id)->second;
    if (iso < e.from() || iso > e.to()) continue;
    info.exception = &e;
    if (e.kind() == v1::AS_DAY_TYPE) info.type = e.day_type();
    break;  // exceptions of a center never overlap
  }
  return info;
}

Result<v1::CalendarDay> Calendar::Day(Date d, std::string_view center_id) const {
  const int year = int(d.year());
  if (!HasYear(year)) return NoNotice(year);
  v1::CalendarDay day;
  day.set_date(FormatDate(d));
  const DayInfo info = Info(d, day.date(), center_id);
  day.set_day_type(info.type);
  if (info.name) day.set_name(*info.name);
  day.set_statutory(info.statutory);
  if (info.exception) {
    day.set_exception_id(info.exception->id());
    day.set_reason(info.exception->reason());
    day.set_closed(info.closed());
  }
  return day;
}

// ---- commands ------------------------------------------------------------------

Status ValidateCalendarYear(const v1::CalendarYear& y) {
  if (y.year() < kMinYear || y.year() > kMaxYear) {
    return Status::InvalidArgument(
        "year", fmt::format("{} is not a year between {} and {}", y.year(), kMinYear, kMaxYear));
  }
  std::set<std::string> seen;
  for (int i = 0; i < y.days_size(); ++i) {
    const auto& d = y.days(i);
    const std::string field = fmt::format("days[{}]", i);
    auto date = ParseDate(d.date());
    if (!date.ok()) return Status::InvalidArgument(field + ".date", date.status().message());
    const int dy = int(date->year());
    if (dy < y.year() - 1 || dy > y.year() + 1) {
      return Status::InvalidArgument(
          field + ".date", fmt::format("{} is not in {} or an adjacent year", d.date(), y.year()));
    }
    if (!seen.insert(d.date()).second) {
      return Status::InvalidArgument(field + ".date", fmt::format("{} is listed twice", d.date()));
    }
    if (d.name().empty()) {
      return Status::InvalidArgument(field + ".name", fmt::format("{} has no name", d.date()));
    }
    if (d.name().size() > 100) return Status::InvalidArgument(field + ".name", "is too long");
    if (!d.off_day() && !IsWeekend(*date)) {
      return Status::InvalidArgument(
          field + ".isOffDay",
          fmt::format("{} ({}) is listed as a make-up workday but is not a Saturday or Sunday",
                      d.date(), d.name()));
    }
  }
  return {};
}

std::vector<std::string> MissingFromNotice(const v1::CalendarYear& y) {
  struct Festival {
    std::string_view name;
    int days_before_2025, days;
  };
  static constexpr Festival kLaw[] = {{"元旦", 1, 1},   {"春节", 3, 4},   {"清明节", 1, 1},
                                      {"劳动节", 1, 2}, {"端午节", 1, 1}, {"中秋节", 1, 1},
                                      {"国庆节", 3, 3}};
  // Rest days by the name they are listed under ("国庆节、中秋节" is one name).
  std::map<std::string, std::vector<int32_t>> rest;
  for (const auto& d : y.days()) {
    auto date = ParseDate(d.date());
    if (d.off_day() && date.ok()) rest[d.name()].push_back(DayNumber(*date));
  }
  auto in_year = [&](const std::vector<int32_t>& days) {
    return static_cast<int>(std::count_if(days.begin(), days.end(), [&](int32_t n) {
      return int(FromDayNumber(n).year()) == y.year();
    }));
  };
  std::vector<std::string> out;
  for (const Festival& f : kLaw) {
    int listed = 0, combined_law = 0;
    bool named = false;
    for (const auto& [name, days] : rest) {
      bool has = false;
      int law = 0;  // the days the law gives every festival this name covers
      for (const Festival& g : kLaw) {
        if (name.find(g.name) == std::string::npos) continue;
        if (g.name == f.name) has = true;
        law += y.year() >= 2025 ? g.days : g.days_before_2025;
      }
      if (!has) continue;
      named = true;
      listed += in_year(days);
      combined_law += law;
    }
    if (!named) {
      out.push_back(fmt::format("{} is not listed", f.name));
    } else if (listed < combined_law) {
      out.push_back(
          fmt::format("{} has {} day(s) off; the law gives {}", f.name, listed, combined_law));
    }
  }
  for (auto& [name, days] : rest) {
    std::sort(days.begin(), days.end());
    for (size_t i = 1; i < days.size(); ++i) {
      // A hole inside a block; a festival listed again a year on (the next
      // 元旦 in this year's notice) is a block of its own.
      const int32_t step = days[i] - days[i - 1];
      if (step > 1 && step < 30) {
        out.push_back(fmt::format("{}'s days off are not one block ({} is missing)", name,
                                  FormatDate(FromDayNumber(days[i - 1] + 1))));
        break;
      }
    }
  }
  return out;
}

std::vector<std::string> CalendarNotices(const Calendar& cal, int64_t now) {
  const Date today = FromDayNumber(common::BeijingDay(now));
  const int year = int(today.year());
  std::vector<std::string> out;
  auto missing = [&](int y, std::string_view when) {
    out.push_back(fmt::format(
        "the national calendar for {} is not loaded{}: holidays and make-up workdays there are "
        "unknown, and rotas planned for {} treat every holiday as an ordinary day; import the "
        "State Council notice with `zhibanctl calendar import {}.json` (and `zhibanctl calendar "
        "statutory` for its statutory days)",
        y, when, y, y));
  };
  if (!cal.HasYear(year)) missing(year, "");
  if (unsigned(today.month()) >= 11 && !cal.HasYear(year + 1)) {
    missing(year + 1,
            fmt::format(" ({} starts in {} days)", year + 1,
                        DayNumber(Date(std::chrono::year(year + 1) / 1 / 1)) - DayNumber(today)));
  }
  return out;
}

Result<Mutation> ImportCalendarYear(const Calendar& cal, v1::CalendarYear y) {
  for (auto& d : *y.mutable_days()) d.clear_statutory();  // never from a notice
  y.clear_statutory_law();
  ZB_RETURN_IF_ERROR(ValidateCalendarYear(y));
  Mutation m;
  const bool replaced = cal.HasYear(y.year());
  if (replaced && cal.HasStatutory(y.year())) {
    // The statutory days stay where the new notice still lists a rest day.
    const auto& old = cal.years().at(y.year());
    std::set<std::string> statutory;
    for (const auto& d : old.days()) {
      if (d.statutory()) statutory.insert(d.date());
    }
    size_t kept = 0;
    for (auto& d : *y.mutable_days()) {
      if (d.off_day() && statutory.count(d.date())) {
        d.set_statutory(true);
        ++kept;
      }
    }
    if (kept == statutory.size()) y.set_statutory_law(old.statutory_law());
    if (kept != statutory.size()) {
      for (auto& d : *y.mutable_days()) d.clear_statutory();
    }
  }
  std::string from = fmt::format("{}-01-01", y.year()), to = fmt::format("{}-12-31", y.year());
  for (const auto& d : y.days()) {  // an adjacent year's dates are affected too
    from = std::min(from, d.date());
    to = std::max(to, d.date());
  }
  m.summary = fmt::format("{} the national calendar {} ({} entries)",
                          replaced ? "replaced" : "loaded", y.year(), y.days_size());
  m.Emit(CalendarUpdatedEvent(
      from, to, "",
      fmt::format("national calendar {} {}", y.year(), replaced ? "replaced" : "loaded")));
  m.years_put.push_back(std::move(y));
  return m;
}

Result<Mutation> SetStatutoryDays(const Calendar& cal, const v1::StatutoryYear& s) {
  auto it = cal.years().find(s.year());
  if (it == cal.years().end()) {
    return Status::FailedPrecondition(
        "statutory.year",
        fmt::format("no national calendar is loaded for {}: import its notice first "
                    "(`zhibanctl calendar import {}.json`)",
                    s.year(), s.year()));
  }
  if (s.law().empty()) {
    return Status::InvalidArgument("statutory.law", "is required: the law the days follow");
  }
  ZB_RETURN_IF_ERROR(common::ValidateText(s.law(), "statutory.law", 300, true));
  if (s.days_size() == 0 || s.days_size() > 30) {
    return Status::InvalidArgument("statutory.days",
                                   fmt::format("lists {} days; a year has 1 to 30", s.days_size()));
  }
  v1::CalendarYear y = it->second;
  std::map<std::string, v1::HolidayDay*> rest;  // the year's own rest days
  for (auto& d : *y.mutable_days()) {
    d.clear_statutory();
    if (d.off_day() && d.date().starts_with(std::to_string(s.year()))) rest[d.date()] = &d;
  }
  std::set<std::string> seen;
  for (int i = 0; i < s.days_size(); ++i) {
    const auto& d = s.days(i);
    const std::string field = fmt::format("statutory.days[{}]", i);
    auto date = ParseDate(d.date());
    if (!date.ok()) return Status::InvalidArgument(field + ".date", date.status().message());
    if (int(date->year()) != s.year()) {
      return Status::InvalidArgument(field + ".date",
                                     fmt::format("{} is not in {}", d.date(), s.year()));
    }
    if (d.name().empty()) {
      return Status::InvalidArgument(field + ".name", fmt::format("{} has no name", d.date()));
    }
    if (!seen.insert(d.date()).second) {
      return Status::InvalidArgument(field + ".date", fmt::format("{} is listed twice", d.date()));
    }
    auto r = rest.find(d.date());
    if (r == rest.end()) {
      return Status::InvalidArgument(
          field + ".date",
          fmt::format("{} ({}) is not a rest day of the {} notice: a statutory holiday always is",
                      d.date(), d.name(), s.year()));
    }
    r->second->set_statutory(true);
  }
  const bool replaced = cal.HasStatutory(s.year());
  y.set_statutory_law(s.law());
  Mutation m;
  m.summary = fmt::format("{} the {} statutory holidays of {} ({})", replaced ? "replaced" : "set",
                          s.days_size(), s.year(), s.law());
  m.Emit(CalendarUpdatedEvent(
      fmt::format("{}-01-01", s.year()), fmt::format("{}-12-31", s.year()), "",
      fmt::format("statutory holidays of {} {}", s.year(), replaced ? "replaced" : "set")));
  m.years_put.push_back(std::move(y));
  return m;
}

Result<Mutation> AddException(const Calendar& cal, const Network& net, v1::CalendarException e) {
  if (e.id().empty()) return Status::InvalidArgument("exception.id", "is required");
  if (e.id().size() > 64) return Status::InvalidArgument("exception.id", "is longer than 64");
  if (cal.FindException(e.id())) {
    return Status::AlreadyExists("exception.id",
                                 fmt::format("exception \"{}\" already exists", e.id()));
  }
  if (!net.FindCenter(e.center_id())) {
    return Status::NotFound("exception.center_id",
                            fmt::format("center \"{}\" does not exist", e.center_id()));
  }
  auto from = ParseDate(e.from());
  if (!from.ok()) return Status::InvalidArgument("exception.from", from.status().message());
  if (e.to().empty()) e.set_to(e.from());
  auto to = ParseDate(e.to());
  if (!to.ok()) return Status::InvalidArgument("exception.to", to.status().message());
  const int days = DayNumber(*to) - DayNumber(*from) + 1;
  if (days < 1) {
    return Status::InvalidArgument("exception.to",
                                   fmt::format("{} is before {}", e.to(), e.from()));
  }
  if (days > kMaxExceptionDays) {
    return Status::InvalidArgument(
        "exception.to", fmt::format("an exception spans at most {} days", kMaxExceptionDays));
  }
  if (e.kind() != v1::CLOSED && e.kind() != v1::AS_DAY_TYPE) {
    return Status::InvalidArgument("exception.kind", "must be CLOSED or AS_DAY_TYPE");
  }
  if (e.kind() == v1::AS_DAY_TYPE &&
      (!v1::DayType_IsValid(e.day_type()) || e.day_type() == v1::DAY_TYPE_UNSPECIFIED)) {
    return Status::InvalidArgument("exception.day_type",
                                   "AS_DAY_TYPE needs WORKDAY, WEEKEND, HOLIDAY or MAKEUP_WORKDAY");
  }
  if (e.kind() == v1::CLOSED) e.clear_day_type();
  if (e.reason().size() > 200) return Status::InvalidArgument("exception.reason", "is too long");
  for (const auto& [id, other] : cal.exceptions()) {
    if (Overlaps(e, other)) {
      return Status::FailedPrecondition(
          "exception.from",
          fmt::format("overlaps exception \"{}\" ({}..{}) of the same center; remove it first", id,
                      other.from(), other.to()));
    }
  }
  Mutation m;
  m.summary = fmt::format("exception {} for {}: {}..{} {}", e.id(), e.center_id(), e.from(), e.to(),
                          v1::ExceptionKind_Name(e.kind()));
  m.Emit(CalendarUpdatedEvent(e.from(), e.to(), e.center_id(),
                              fmt::format("exception {} added: {}", e.id(), e.reason())));
  m.exceptions_put.push_back(std::move(e));
  return m;
}

Result<Mutation> RemoveException(const Calendar& cal, std::string_view id) {
  const auto* e = cal.FindException(id);
  if (!e) return Status::NotFound("id", fmt::format("exception \"{}\" does not exist", id));
  Mutation m;
  m.summary = fmt::format("removed exception {}", id);
  m.Emit(CalendarUpdatedEvent(e->from(), e->to(), e->center_id(),
                              fmt::format("exception {} removed", id)));
  m.exceptions_deleted.emplace_back(id);
  return m;
}

Result<v1::CalendarStatsReply> YearStats(const Calendar& cal, int year) {
  auto it = cal.years().find(year);
  if (it == cal.years().end()) {
    return Status::FailedPrecondition("year",
                                      fmt::format("no national calendar is loaded for {}", year));
  }
  v1::CalendarStatsReply out;
  out.set_year(year);
  out.set_statutory_law(it->second.statutory_law());
  for (const auto& d : it->second.days()) {
    if (d.off_day() && d.date().starts_with(std::to_string(year))) {
      out.set_listed_rest_days(out.listed_rest_days() + 1);
      if (d.statutory()) out.set_statutory_days(out.statutory_days() + 1);
    }
  }
  const Date first{std::chrono::year(year), std::chrono::January, std::chrono::day(1)};
  const Date last{std::chrono::year(year), std::chrono::December, std::chrono::day(31)};
  for (int32_t n = DayNumber(first); n <= DayNumber(last); ++n) {
    ZB_ASSIGN_OR_RETURN(auto day, cal.Day(FromDayNumber(n)));
    switch (day.day_type()) {
      case v1::WORKDAY:
        out.set_workdays(out.workdays() + 1);
        break;
      case v1::WEEKEND:
        out.set_weekend_days(out.weekend_days() + 1);
        break;
      case v1::HOLIDAY:
        out.set_holidays(out.holidays() + 1);
        break;
      case v1::MAKEUP_WORKDAY:
        out.set_makeup_workdays(out.makeup_workdays() + 1);
        break;
      default:
        break;
    }
  }
  return out;
}

}  // namespace zhiban::domain
