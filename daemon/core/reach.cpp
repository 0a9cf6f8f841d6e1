#include "daemon/core/reach.h"

#include <algorithm>
#include <string>

namespace zhiban::core::reach {

Reach Center(const domain::State& s, std::string_view id) {
  if (id.empty() || !s.network.FindCenter(id)) return Reach::Network();
  return Reach::At({std::string(id)});
}

Reach Filter(const domain::State& s, std::string_view center_id) { return Center(s, center_id); }

Reach Narrowed(const domain::State& s, std::string_view center_id) {
  return center_id.empty() ? Reach::Anywhere() : Center(s, center_id);
}

Reach Under(const domain::State& s, std::string_view id) { return Center(s, id); }

Reach StaffMember(const domain::State& s, std::string_view id) {
  const v1::Staff* p = s.network.FindStaff(id);
  if (!p) return Reach::Network();
  Reach r = Reach::At({p->center_id()});
  for (const auto& c : p->cover_center_ids()) Join(r, Center(s, c));
  r.person = p->id();
  return r;
}

Reach Shift(const domain::State& s, std::string_view id) {
  const v1::Shift* sh = s.rota.FindShift(id);
  if (!sh) return Reach::Network();
  Reach r = Center(s, sh->center_id());
  r.person = sh->assignee_id();
  return r;
}

Reach Resident(const domain::State& s, std::string_view id) {
  const v1::Resident* r = s.visits.FindResident(id);
  return r ? Center(s, r->home_center_id()) : Reach::Network();
}

Reach Visit(const domain::State& s, std::string_view id) {
  const v1::Visit* v = s.visits.FindVisit(id);
  return v ? Center(s, v->center_id()) : Reach::Network();
}

void Join(Reach& into, const Reach& more) {
  if (into.where == Reach::Where::kNetwork) return;
  if (more.where == Reach::Where::kNetwork) {
    into.where = Reach::Where::kNetwork;
    into.centers.clear();
    return;
  }
  if (more.where == Reach::Where::kAnywhere) return;
  if (into.where == Reach::Where::kAnywhere) into.where = Reach::Where::kCenters;
  for (const auto& c : more.centers) {
    if (std::find(into.centers.begin(), into.centers.end(), c) == into.centers.end()) {
      into.centers.push_back(c);
    }
  }
}

}  // namespace zhiban::core::reach
