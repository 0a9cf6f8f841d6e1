// Commands on principals: CURVE client keys (admin only) and their grants
// (the admin anywhere; an operator within its subtree), domain/access.h.
// Every change is audited like every mutation, and the daemon refreshes the
// ZAP handler's key ring after keys change (app/daemon.cpp).
#include <fmt/format.h>

#include "daemon/core/command.h"
#include "daemon/core/command_util.h"
#include "daemon/core/reach.h"
#include "daemon/domain/access.h"

namespace zhiban::core {
namespace {

using R = v1::CtlRequest;

Result<domain::Mutation> KeyAdd(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto& k = req.key_add().key();
  auto m = domain::AddKey(env.state.access, env.state.network, k, env.actor, ToProto(env.now));
  if (m.ok()) *reply->mutable_access_key() = m->keys_put.front();
  return m;
}

Result<domain::Mutation> KeyRevoke(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::RevokeKey(env.state.access, req.key_revoke(), env.actor, ToProto(env.now));
  if (m.ok()) *reply->mutable_access_key() = m->keys_put.front();
  return m;
}

Status KeyList(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto* out = reply->mutable_key_list();
  for (const auto& [name, k] : env.state.access.keys()) {
    if (k.has_revoked() && !req.key_list().include_revoked()) continue;
    *out->add_keys() = k;
  }
  return {};
}

const v1::Grant& GrantOf(const R& r) {
  return r.has_grant_add() ? r.grant_add().grant() : r.grant_remove().grant();
}
const std::string& GrantKey(const R& r) {
  return r.has_grant_add() ? r.grant_add().key() : r.grant_remove().key();
}

Result<domain::Mutation> GrantAdd(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m = domain::AddGrant(env.state.access, env.state.network, req.grant_add().key(),
                            req.grant_add().grant());
  if (m.ok()) *reply->mutable_access_key() = m->keys_put.front();
  return m;
}

Result<domain::Mutation> GrantRemove(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  auto m =
      domain::RemoveGrant(env.state.access, req.grant_remove().key(), req.grant_remove().grant());
  if (m.ok()) *reply->mutable_access_key() = m->keys_put.front();
  return m;
}

Status GrantList(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const std::string& under = req.grant_list().center_id();
  auto* out = reply->mutable_grant_list();
  for (const auto& [name, k] : env.state.access.keys()) {
    if (k.has_revoked()) continue;
    for (const auto& g : k.grants()) {
      if (!under.empty() && !domain::Covers(env.state.network, under, g.center_id())) continue;
      auto* row = out->add_grants();
      row->set_key(name);
      *row->mutable_grant() = g;
      row->set_staff_id(k.staff_id());
    }
  }
  return {};
}

// Within the subtree Permit checked, an operator hands on what it holds
// itself (operator, viewer); the other roles are the network admin's to
// give. No key changes its own grants: none widens its own scope.
Status AuthorizeGrant(const Principal& who, const R& req, const domain::State& st) {
  if (!who.by_grants()) return {};
  const v1::Grant& g = GrantOf(req);
  if (who.via == Principal::Via::kKey && who.name == GrantKey(req)) {
    return Status::PermissionDenied(fmt::format(
        "no key changes its own grants: \"{}\" cannot {} {}; ask an admin; nothing was changed",
        who.name, req.has_grant_add() ? "give itself" : "take its own", domain::GrantText(g)));
  }
  const bool passable = g.role() == v1::ACCESS_OPERATOR || g.role() == v1::ACCESS_VIEWER;
  if (!passable && !Allows(who, Reach::Network(), Need::kAdmin, st.network)) {
    return Status::PermissionDenied(fmt::format(
        "{} of the role {} needs the role admin over the whole network (an operator hands on "
        "operator and viewer within its subtree); key \"{}\" holds {}; nothing was changed",
        req.has_grant_add() ? "grant_add" : "grant_remove", domain::AccessRoleName(g.role()),
        who.name, who.RolesText()));
  }
  return {};
}

Reach GrantReach(const R& r, const domain::State& s) {
  return reach::Under(s, GrantOf(r).center_id());
}

std::string GrantTarget(const R& r) { return GrantKey(r) + " " + domain::GrantText(GrantOf(r)); }

}  // namespace

void RegisterAccessCommands(CommandTable& t) {
  t.Add(AdminOnly(
      MakeMutation(R::kKeyAdd, KeyAdd, [](const R& r) { return r.key_add().key().name(); })));
  t.Add(AdminOnly(
      MakeMutation(R::kKeyRevoke, KeyRevoke, [](const R& r) { return r.key_revoke().name(); })));
  t.Add(AdminOnly(MakeQuery(R::kKeyList, KeyList)));
  for (auto [c, fn] : {std::pair<R::CommandCase, PlanFn>{R::kGrantAdd, GrantAdd},
                       std::pair<R::CommandCase, PlanFn>{R::kGrantRemove, GrantRemove}}) {
    Command g = Reaching(MakeMutation(c, fn, GrantTarget), GrantReach,
                         "the grant's center (none: the whole network)");
    g.authorize = AuthorizeGrant;
    g.by_action =
        "operator and viewer grants; the other roles: the network admin; never its own key";
    t.Add(g);
  }
  t.Add(Reaching(
      Needing(MakeQuery(R::kGrantList, GrantList), Need::kOperate),
      [](const R& r, const domain::State& s) {
        return reach::Filter(s, r.grant_list().center_id());
      },
      "the center named (none: the whole network)"));
}

}  // namespace zhiban::core
