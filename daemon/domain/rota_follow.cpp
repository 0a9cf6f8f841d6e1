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

}  // namespace

std::vector<v1::RotaGenerateRequest> PublishedMonthsTouched(const State& before, const Mutation& m,
                                                            std::string_view today) {
  std::vector<Reached> reached;
  for (const auto& p : m.policies_put) {  // a version: every center it is assigned to
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
  for (const auto& y : m.years_put)  // the nation's holidays and make-up days
    reached.push_back(
        {"", fmt::format("{:04}-01-01", y.year()), fmt::format("{:04}-12-31", y.year())});
  if (reached.empty()) return {};

  // One request per published month reached, over the days it reaches from today.
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> ranges;
  for (const auto& [key, pm] : before.rota.months()) {
    const std::string first = pm.month() + "-01";
    const std::string last =
        pm.month() + "-31";  // a date string past the month's end compares right
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
    // The month's real last day: "-31" stands for it above.
    if (range.second.ends_with("-31") && range.second.substr(0, 7) == key.second) {
      auto first = ParseDate(key.second + "-01");
      if (first.ok()) q.set_to(FormatDate(first->year() / first->month() / std::chrono::last));
    } else {
      q.set_to(range.second);
    }
    q.set_fill_only(true);
    out.push_back(std::move(q));
  }
  return out;
}

}  // namespace zhiban::domain
