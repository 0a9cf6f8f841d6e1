// Commands on principals: CURVE client keys (domain/access.h). Admin only;
// key_add and key_revoke are audited like every mutation, and the daemon
// refreshes the ZAP handler's key ring after they commit (app/daemon.cpp).
#include "daemon/core/command.h"
#include "daemon/core/command_util.h"
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

}  // namespace

void RegisterAccessCommands(CommandTable& t) {
  t.Add(AdminOnly(
      MakeMutation(R::kKeyAdd, KeyAdd, [](const R& r) { return r.key_add().key().name(); })));
  t.Add(AdminOnly(
      MakeMutation(R::kKeyRevoke, KeyRevoke, [](const R& r) { return r.key_revoke().name(); })));
  t.Add(AdminOnly(MakeQuery(R::kKeyList, KeyList)));
}

}  // namespace zhiban::core
