// The VisitBook: residents, visits and the indexes kept with them (loads,
// timers), and the service catalogue (visit.h).
#include "daemon/domain/visit.h"

#include <string>
#include <vector>

#include <fmt/format.h>

#include "daemon/domain/common.h"
#include "daemon/domain/indexed.h"
#include "daemon/domain/visit_internal.h"

namespace zhiban::domain {

using common::Sec;
using visit_internal::Terminal;

const std::vector<v1::ServiceItem>& ServiceCatalogue() {
  static const std::vector<v1::ServiceItem> items = [] {
    std::vector<v1::ServiceItem> v;
    auto add = [&](const char* id, const char* name, const char* skill, uint32_t minutes,
                   bool care = false) {
      v1::ServiceItem s;
      s.set_id(id);
      s.set_name(name);
      s.set_skill(skill);
      s.set_minutes(minutes);
      s.set_care_visit(care);
      v.push_back(std::move(s));
    };
    add("care-visit", "探访关爱", "elderly-care", 45, true);
    add("social-security-certification", "代办社保认证", "social-security", 30);
    add("disability-card-renewal", "残疾证换领", "disability", 45);
    add("elderly-allowance", "高龄津贴申请", "elderly-care", 30);
    add("meal-delivery", "助餐送餐", "elderly-care", 20);
    add("medical-insurance", "医保代办", "medical", 30);
    return v;
  }();
  return items;
}

const v1::ServiceItem* FindService(std::string_view id) {
  for (const auto& s : ServiceCatalogue()) {
    if (s.id() == id) return &s;
  }
  return nullptr;
}

const v1::Resident* VisitBook::FindResident(std::string_view id) const {
  auto it = residents_.find(id);
  return it == residents_.end() ? nullptr : &it->second;
}

const v1::Visit* VisitBook::FindVisit(std::string_view id) const {
  auto it = visits_.find(id);
  return it == visits_.end() ? nullptr : &it->second;
}

uint32_t VisitBook::LoadBetween(std::string_view staff, int64_t from, int64_t to) const {
  auto it = load_.find(std::string(staff));
  if (it == load_.end()) return 0;
  uint32_t n = 0;
  for (auto d = it->second.lower_bound(from); d != it->second.end() && d->first < to; ++d) {
    n += d->second;
  }
  return n;
}

void VisitBook::Index(const v1::Visit& v, int sign) {
  if (!v.assignee_id().empty() && !Terminal(v.state())) {
    if (sign > 0) {
      open_[v.assignee_id()].insert(v.id());
    } else if (auto o = open_.find(v.assignee_id()); o != open_.end()) {
      o->second.erase(v.id());
      if (o->second.empty()) open_.erase(o);
    }
  }
  if (!v.assignee_id().empty() && v.state() != v1::VISIT_CANCELLED) {
    auto& starts = load_[v.assignee_id()];
    const int64_t start = Sec(v.window_start());
    if (sign > 0) {
      ++starts[start];
    } else if (auto d = starts.find(start); d != starts.end() && --d->second == 0) {
      starts.erase(d);
    }
  }
  auto timer = [&](TimerKind kind, int64_t due) {
    Timer t{due, kind, 0, v.id()};
    if (sign > 0)
      timers_.insert(t);
    else
      timers_.erase(t);
  };
  if (v.state() == v1::VISIT_ASSIGNED && v.has_accept_by())
    timer(TimerKind::kVisitAcceptance, Sec(v.accept_by()));
  const bool started = v.state() == v1::VISIT_EN_ROUTE || v.state() == v1::VISIT_ARRIVED;
  if (!Terminal(v.state()) && !started && !v.overdue_reported())
    timer(TimerKind::kVisitWindowEnd, Sec(v.window_end()));
}

void VisitBook::Index(const v1::Resident& r, int sign) {
  if (!r.care_plan().has_due() || !r.care_plan().open_visit_id().empty()) return;
  Timer t{Sec(r.care_plan().generate_at()), TimerKind::kCareOrder, 0, r.id()};
  if (sign > 0)
    timers_.insert(t);
  else
    timers_.erase(t);
}

void VisitBook::PutResident(v1::Resident r) {
  PutIndexed(residents_, std::move(r), [this](const v1::Resident& x, int sign) { Index(x, sign); });
}

void VisitBook::EraseResident(std::string_view id) {
  auto it = residents_.find(id);
  if (it == residents_.end()) return;
  Index(it->second, -1);
  residents_.erase(it);
}

void VisitBook::PutVisit(v1::Visit v) {
  PutIndexed(visits_, std::move(v), [this](const v1::Visit& x, int sign) { Index(x, sign); });
}

}  // namespace zhiban::domain
