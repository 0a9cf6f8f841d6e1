// Published months that follow their windows (rota.h, PublishedMonthsTouched):
// which published months a change of the required windows reaches, so that
// the core fills them again right after it (GenerateRota makes, moves and
// cancels their shifts and tells the people).
#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "daemon/domain/rota.h"
#include "daemon/domain/state.h"

namespace zhiban::domain {

namespace {

// Dates a change reaches at one center ("" every center), inclusive.
struct Reached {
  std::string center, from, to;
};

constexpr const char* kNoEnd = "9999-12-31";

bool SameWindows(const v1::OpeningPolicy& a, const v1::OpeningPolicy& b) {
  return a.days_size() == b.days_size() &&
         std::equal(a.days().begin(), a.days().end(), b.days().begin(),
                    [](const auto& x, const auto& y) {
                      return x.SerializeAsString() == y.SerializeAsString();
                    });
}

// The same days with the same day types and names (the statutory marks
// aside: they decide pay, not windows).
bool SameDays(const v1::CalendarYear& a, const v1::CalendarYear& b) {
  if (a.days_size() != b.days_size()) return false;
  for (int i = 0; i < a.days_size(); ++i) {
    v1::HolidayDay x = a.days(i), y = b.days(i);
    x.clear_statutory();
    y.clear_statutory();
    if (x.SerializeAsString() != y.SerializeAsString()) return false;
  }
  return true;
}

}  // namespace

std::vector<v1::RotaGenerateRequest> PublishedMonthsTouched(const State& before, const Mutation& m,
                                                            std::string_view today) {
  std::vector<Reached> reached;
  for (const auto& p : m.policies_put) {  // a version: every center it is assigned to
    // A version whose windows are the newest's (a new description, travel
    // settings) changes no shift.
    const auto* newest = before.policies.Find(p.name());
    if (newest && SameWindows(*newest, p)) continue;
    for (const auto& [center, list] : before.policies.assignments()) {
      if (std::any_of(list.begin(), list.end(),
                      [&](const auto& a) { return a.policy() == p.name(); }))
        reached.push_back({center, p.effective_from(), kNoEnd});
    }
  }
  for (const auto& a : m.assignments_put) reached.push_back({a.center_id(), a.from(), kNoEnd});
  auto exception = [&](const v1::CalendarException& e) {
    reached.push_back({e.center_id(), e.from(), e.to()});
  };
  for (const auto& e : m.exceptions_put) {
    exception(e);
    if (const auto* was = before.calendar.FindException(e.id())) exception(*was);  // moved
  }
  for (const auto& id : m.exceptions_deleted) {
    if (const auto* was = before.calendar.FindException(id)) exception(*was);
  }
  for (const auto& y : m.years_put) {
    // The nation's holidays and make-up days, over every date the notice
    // lists (it may list days of the year before or after) and every date
    // the one it replaces listed; statutory marks alone change no window.
    const auto was = before.calendar.years().find(y.year());
    const v1::CalendarYear* old = was == before.calendar.years().end() ? nullptr : &was->second;
    if (old && SameDays(*old, y)) continue;
    std::string lo = fmt::format("{:04}-01-01", y.year()),
                hi = fmt::format("{:04}-12-31", y.year());
    for (const auto* year : {&y, old}) {
      if (!year) continue;
      for (const auto& d : year->days()) {
        lo = std::min(lo, d.date());
        hi = std::max(hi, d.date());
      }
    }
    reached.push_back({"", lo, hi});
  }
  if (reached.empty()) return {};

  // One request per published month reached, over the days it reaches from today.
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> ranges;
  for (const auto& [key, pm] : before.rota.months()) {
    const auto start = ParseDate(pm.month() + "-01");
    if (!start.ok()) continue;
    const std::string first = FormatDate(*start);
    const std::string last = FormatDate(start->year() / start->month() / std::chrono::last);
    for (const auto& r : reached) {
      if (!r.center.empty() && r.center != pm.center_id()) continue;
      const std::string lo = std::max({first, r.from, std::string(today)});
      const std::string hi = std::min(last, r.to);
      if (lo > hi) continue;
      auto [it, fresh] = ranges.try_emplace({pm.center_id(), pm.month()}, lo, hi);
      if (!fresh) {
        it->second.first = std::min(it->second.first, lo);
        it->second.second = std::max(it->second.second, hi);
      }
    }
  }
  std::vector<v1::RotaGenerateRequest> out;
  for (const auto& [key, range] : ranges) {
    v1::RotaGenerateRequest q;
    q.set_center_id(key.first);
    q.set_from(range.first);
    q.set_to(range.second);
    q.set_fill_only(true);
    out.push_back(std::move(q));
  }
  return out;
}

}  // namespace zhiban::domain
