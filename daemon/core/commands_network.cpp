// Commands on the network: centers and staff (domain/network.h).
#include <algorithm>

#include <fmt/format.h>

#include "daemon/core/command.h"
#include "daemon/core/command_util.h"
#include "daemon/core/reach.h"
#include "daemon/domain/access.h"

namespace zhiban::core {
namespace {

using R = v1::CtlRequest;

// The domain checks a zone's spelling; whether the tz database knows it is
// checked here, where the database is.
Status CheckZones(const CommandEnv& env, const domain::Mutation& m) {
  for (const auto& c : m.centers_put) {
    if (Status z = env.zones.Check(c.time_zone()); !z.ok()) {
      return Status::InvalidArgument("center.time_zone", z.message());
    }
  }
  return {};
}

Result<domain::Mutation> CenterAdd(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::AddCenter(env.state.network, req.center_add().center());
  if (m.ok()) ZB_RETURN_IF_ERROR(CheckZones(env, *m));
  if (m.ok()) *reply->mutable_center() = m->centers_put.front();
  return m;
}

Result<domain::Mutation> CenterUpdate(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto& net = env.state.network;
  auto m = domain::UpdateCenter(net, req.center_update());
  if (m.ok()) ZB_RETURN_IF_ERROR(CheckZones(env, *m));
  if (m.ok()) {
    *reply->mutable_center() = m->centers_put.empty()
                                   ? *net.FindCenter(req.center_update().center().id())
                                   : m->centers_put.front();
  }
  return m;
}

Result<domain::Mutation> CenterRemove(CommandEnv& env, const R& req, v1::CtlReply*) {
  // A grant naming a removed center would steer whatever reuses its id.
  const std::string& id = req.center_remove().id();
  for (const auto& [name, k] : env.state.access.keys()) {
    if (k.has_revoked()) continue;
    for (const auto& g : k.grants()) {
      if (g.center_id() == id) {
        return Status::FailedPrecondition(
            "id", fmt::format("key \"{}\" holds {} there: take the grant first (zhibanctl grant "
                              "remove {} --role {})",
                              name, domain::GrantText(g), name, domain::GrantText(g)));
      }
    }
  }
  return domain::RemoveCenter(env.state.network, id);
}

Status CenterShow(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto* c = env.state.network.FindCenter(req.center_show().id());
  if (!c) {
    return Status::NotFound("id",
                            fmt::format("center \"{}\" does not exist", req.center_show().id()));
  }
  *reply->mutable_center() = *c;
  return {};
}

Status CenterList(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto& q = req.center_list();
  auto* out = reply->mutable_center_list();
  std::string next;
  uint32_t total = 0;
  Page(
      env.state.network.centers(), q.after_id(), ListLimit(q.limit(), kDefaultListLimit),
      [&](const v1::Center& c) {
        return (q.parent_id().empty() || c.parent_id() == q.parent_id()) && env.scope.Shows(c.id());
      },
      [&](const v1::Center& c) { *out->add_centers() = c; }, &next, &total);
  out->set_next_after_id(next);
  out->set_total(total);
  return {};
}

Result<domain::Mutation> StaffAdd(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::AddStaff(env.state.network, req.staff_add().staff());
  if (m.ok()) *reply->mutable_staff() = m->staff_put.front();
  return m;
}

Result<domain::Mutation> StaffUpdate(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto& net = env.state.network;
  auto m = domain::UpdateStaff(net, req.staff_update());
  if (m.ok()) {
    *reply->mutable_staff() = m->staff_put.empty() ? *net.FindStaff(req.staff_update().staff().id())
                                                   : m->staff_put.front();
  }
  return m;
}

Result<domain::Mutation> StaffRemove(CommandEnv& env, const R& req, v1::CtlReply*) {
  // A key of theirs would act again for whoever reuses the id.
  for (const auto& [name, k] : env.state.access.keys()) {
    if (!k.has_revoked() && k.staff_id() == req.staff_remove().id()) {
      return Status::FailedPrecondition(
          "id", fmt::format("key \"{}\" is {}'s: revoke it first (zhibanctl key revoke {})", name,
                            k.staff_id(), name));
    }
  }
  auto m = domain::RemoveStaff(env.state.network, req.staff_remove().id());
  // A departure: future shifts go to their backups or become gaps.
  if (m.ok()) domain::ReleaseStaff(env.Rota(), req.staff_remove().id(), &*m);
  return m;
}

Status StaffShow(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto* s = env.state.network.FindStaff(req.staff_show().id());
  if (!s) {
    return Status::NotFound("id",
                            fmt::format("staff \"{}\" does not exist", req.staff_show().id()));
  }
  *reply->mutable_staff() = *s;
  return {};
}

Status StaffList(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto& q = req.staff_list();
  if (!v1::Role_IsValid(q.role())) {
    return Status::InvalidArgument("role", fmt::format("unknown role value {}", int(q.role())));
  }
  auto* out = reply->mutable_staff_list();
  std::string next;
  uint32_t total = 0;
  auto pred = [&](const v1::Staff& s) {
    if (!q.center_id().empty() && s.center_id() != q.center_id()) return false;
    if (!env.scope.Shows(s.center_id())) return false;
    if (q.role() != v1::ROLE_UNSPECIFIED &&
        std::find(s.roles().begin(), s.roles().end(), q.role()) == s.roles().end()) {
      return false;
    }
    if (!q.skill().empty() &&
        std::find(s.skills().begin(), s.skills().end(), q.skill()) == s.skills().end()) {
      return false;
    }
    return true;
  };
  Page(
      env.state.network.staff(), q.after_id(), ListLimit(q.limit(), kDefaultListLimit), pred,
      [&](const v1::Staff& s) { *out->add_staff() = s; }, &next, &total);
  out->set_next_after_id(next);
  out->set_total(total);
  return {};
}

// The center, and when the update moves it, its old and new parents: a
// center made a root, or moved from a root, reaches the whole network (the
// update is planned here to see where it goes; the handler plans it again).
Reach CenterUpdateReach(const domain::State& s, const v1::CenterUpdateRequest& req) {
  Reach out = reach::Center(s, req.center().id());
  const v1::Center* old = s.network.FindCenter(req.center().id());
  auto planned = domain::UpdateCenter(s.network, req);
  if (!old || !planned.ok() || planned->centers_put.empty()) return out;
  const std::string& to = planned->centers_put.front().parent_id();
  if (to == old->parent_id()) return out;
  for (const std::string* parent : {&old->parent_id(), &to}) {
    reach::Join(out, parent->empty() ? Reach::Network() : reach::Center(s, *parent));
  }
  return out;
}

// A staff record as written: the home and cover centers it names (an update
// may name none; one that does not exist reaches the whole network, and the
// handler names it).
Reach NewStaffReach(const domain::State& s, const v1::Staff& p) {
  Reach out = Reach::At({});
  if (!p.center_id().empty()) reach::Join(out, reach::Center(s, p.center_id()));
  for (const auto& c : p.cover_center_ids()) reach::Join(out, reach::Center(s, c));
  return out;
}

}  // namespace

void RegisterNetworkCommands(CommandTable& t) {
  t.Add(Reaching(
      MakeMutation(R::kCenterAdd, CenterAdd,
                   [](const R& r) { return r.center_add().center().id(); }),
      [](const R& r, const domain::State& s) {
        return reach::Under(s, r.center_add().center().parent_id());
      },
      "its parent (a root center: the whole network)"));
  t.Add(Reaching(
      MakeMutation(R::kCenterUpdate, CenterUpdate,
                   [](const R& r) { return r.center_update().center().id(); }),
      [](const R& r, const domain::State& s) { return CenterUpdateReach(s, r.center_update()); },
      "the center; a move: its old and new parents (a root: the whole network)"));
  t.Add(Reaching(
      MakeMutation(R::kCenterRemove, CenterRemove,
                   [](const R& r) { return r.center_remove().id(); }),
      [](const R& r, const domain::State& s) { return reach::Center(s, r.center_remove().id()); },
      "the center"));
  t.Add(Reaching(
      MakeQuery(R::kCenterShow, CenterShow),
      [](const R& r, const domain::State& s) { return reach::Center(s, r.center_show().id()); },
      "the center"));
  t.Add(Reaching(
      MakeQuery(R::kCenterList, CenterList),
      [](const R& r, const domain::State& s) {
        return reach::Narrowed(s, r.center_list().parent_id());
      },
      "the parent named (none: the centers its grants hold)"));
  t.Add(Reaching(
      MakeMutation(R::kStaffAdd, StaffAdd, [](const R& r) { return r.staff_add().staff().id(); }),
      [](const R& r, const domain::State& s) { return NewStaffReach(s, r.staff_add().staff()); },
      "their home and cover centers"));
  t.Add(Reaching(
      MakeMutation(R::kStaffUpdate, StaffUpdate,
                   [](const R& r) { return r.staff_update().staff().id(); }),
      [](const R& r, const domain::State& s) {
        const auto& p = r.staff_update().staff();
        Reach out = reach::StaffMember(s, p.id());
        reach::Join(out, NewStaffReach(s, p));
        out.person.clear();
        return out;
      },
      "their home and cover centers, before and after"));
  t.Add(Reaching(
      MakeMutation(R::kStaffRemove, StaffRemove, [](const R& r) { return r.staff_remove().id(); }),
      [](const R& r, const domain::State& s) {
        Reach out = reach::StaffMember(s, r.staff_remove().id());
        out.person.clear();
        return out;
      },
      "their home and cover centers"));
  t.Add(Reaching(
      MakeQuery(R::kStaffShow, StaffShow),
      [](const R& r, const domain::State& s) { return reach::StaffMember(s, r.staff_show().id()); },
      "the person (a staff member: themselves)"));
  t.Add(Reaching(
      MakeQuery(R::kStaffList, StaffList),
      [](const R& r, const domain::State& s) {
        return reach::Narrowed(s, r.staff_list().center_id());
      },
      "the center named (none: the centers its grants hold)"));
}

}  // namespace zhiban::core
