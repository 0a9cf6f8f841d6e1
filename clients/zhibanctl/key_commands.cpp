// zhibanctl key create|list|revoke, and how zhibanctl finds its own CURVE
// key (docs/OPERATIONS.md, "Security").
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "clients/zhibanctl/commands.h"
#include "daemon/domain/access.h"

namespace zhiban::ctl {
namespace {

std::string DefaultPath(const char* leaf) {
  const char* home = std::getenv("HOME");
  if (!home || !*home) return {};
  auto p = std::filesystem::path(home) / ".config" / "zhiban" / leaf;
  return std::filesystem::exists(p) ? p.string() : std::string();
}

std::string Grants(const v1::AccessKey& k) {
  std::string out;
  for (const auto& g : k.grants()) {
    if (!out.empty()) out += ",";
    out += domain::AccessRoleName(g.role());
    if (!g.center_id().empty()) out += "@" + g.center_id();
  }
  if (!k.staff_id().empty())
    out += (out.empty() ? "" : ",") + std::string("staff member ") + k.staff_id();
  return out;
}

// ROLE or ROLE@CENTER: the role within that center's subtree.
Status ParseGrant(const std::string& text, v1::Grant* g) {
  const auto at = text.find('@');
  v1::AccessRole role = v1::ACCESS_ROLE_UNSPECIFIED;
  if (!domain::ParseAccessRole(text.substr(0, at), &role)) {
    return Status::InvalidArgument(
        "--role", fmt::format("\"{}\" is not a role: one of admin, operator, leader, staff, "
                              "auditor, viewer, plugin, each optionally @CENTER",
                              text));
  }
  g->set_role(role);
  if (at != std::string::npos) g->set_center_id(text.substr(at + 1));
  return {};
}

// ---- key create|list|revoke ----------------------------------------------------

// Makes the pair, writes the secret (owner-only) and registers the public half.
int RunKeyCreate(Context& ctx, const std::string& name, const std::vector<std::string>& roles,
                 const std::string& staff, const std::string& out, const std::string& note) {
  v1::CtlRequest req;
  auto* k = req.mutable_key_add()->mutable_key();
  k->set_name(name);
  k->set_note(note);
  k->set_staff_id(staff);
  if (roles.empty() && staff.empty()) {
    return Usage(ctx, Status::InvalidArgument(
                          "--role",
                          "a key needs a role (--role ROLE[@CENTER]) or the staff member "
                          "whose key it is (--staff ID)"));
  }
  for (const auto& r : roles) {
    if (Status s = ParseGrant(r, k->add_grants()); !s.ok()) return Usage(ctx, s);
  }
  const std::string path = out.empty() ? name + ".key" : out;
  if (std::filesystem::exists(path)) {
    return Usage(ctx, Status::AlreadyExists("--out", fmt::format("{} exists; a key file is never "
                                                                 "overwritten (choose --out)",
                                                                 path)));
  }
  auto pair = net::NewCurveKeys();
  if (!pair.ok()) return Usage(ctx, pair.status());
  k->set_public_key(pair->public_key);
  // The secret is on disk (owner-only) before zhiband hears of the
  // key, and removed again if zhiband refuses it.
  if (Status w = net::WriteKeyFile(path, *pair, "zhiban key " + name); !w.ok()) {
    return Usage(ctx, w);
  }
  const int rc = Send(ctx, req, [&](const v1::CtlReply& r) {
    std::cout << fmt::format(
        "key {} added ({}); {}\nits key file, with the secret half, is {} (mode 0600: "
        "give it to its holder only)\n",
        r.access_key().name(), Grants(r.access_key()), SeqNote(r), path);
  });
  if (rc != kExitOk) std::filesystem::remove(path);
  return rc;
}

Command KeyCreate() {
  return {"key", "create",
          "make a CURVE key pair here, register its public half as a principal (admin only)",
          [](CLI::App* app) -> Runner {
            auto name = std::make_shared<std::string>();
            auto roles = std::make_shared<std::vector<std::string>>();
            auto staff = std::make_shared<std::string>();
            auto out = std::make_shared<std::string>();
            auto note = std::make_shared<std::string>();
            app->add_option("name", *name, "the principal's name: letters, digits, . _ - @")
                ->required();
            app->add_option("--role", *roles,
                            "admin, operator, leader, staff, auditor, viewer or plugin, each "
                            "optionally @CENTER: within that center's subtree (repeatable)");
            app->add_option("--staff", *staff,
                            "the staff member whose key it is: they act as themselves, with "
                            "what their record gives (staff; a LEADER leads their centers)");
            app->add_option("--out", *out, "where the key file goes (default ./<name>.key)");
            app->add_option("--note", *note, "who or what holds it");
            return
                [=](Context& ctx) { return RunKeyCreate(ctx, *name, *roles, *staff, *out, *note); };
          }};
}

Command KeyList() {
  return {
      "key", "list", "the principals' keys (public halves)", [](CLI::App* app) -> Runner {
        auto all = std::make_shared<bool>(false);
        app->add_flag("--all", *all, "revoked keys too");
        return [=](Context& ctx) {
          v1::CtlRequest req;
          req.mutable_key_list()->set_include_revoked(*all);
          return Send(ctx, req, [](const v1::CtlReply& r) {
            Table t({"NAME", "ROLES", "PUBLIC KEY", "CREATED", "BY", "REVOKED", "NOTE"});
            for (const auto& k : r.key_list().keys()) {
              t.Add({k.name(), Grants(k), k.public_key(), Time(k.created()), k.created_by(),
                     k.has_revoked() ? Time(k.revoked()) + " " + k.revoked_by() : "", k.note()});
            }
            t.Print();
          });
        };
      }};
}

Command KeyRevoke() {
  return {"key", "revoke",
          "refuse a key from now on: its next ctl or replay request, and its subscription at once",
          [](CLI::App* app) -> Runner {
            auto name = std::make_shared<std::string>();
            auto reason = std::make_shared<std::string>();
            app->add_option("name", *name, "the key's name")->required();
            app->add_option("--reason", *reason, "why (kept with the key)");
            return [=](Context& ctx) {
              v1::CtlRequest req;
              req.mutable_key_revoke()->set_name(*name);
              req.mutable_key_revoke()->set_reason(*reason);
              return Send(ctx, req, [](const v1::CtlReply& r) {
                std::cout << fmt::format("key {} revoked; {}\n", r.access_key().name(), SeqNote(r));
              });
            };
          }};
}

// ---- grant add|remove|list ------------------------------------------------------

Command GrantChange(bool add) {
  return {
      "grant", add ? "add" : "remove",
      add ? "give a key a role within a center's subtree (the admin: any role; an operator: "
            "operator or viewer within its own subtree)"
          : "take a role from a key",
      [add](CLI::App* app) -> Runner {
        auto key = std::make_shared<std::string>();
        auto role = std::make_shared<std::string>();
        app->add_option("key", *key, "the key's name")->required();
        app->add_option("--role", *role, "ROLE or ROLE@CENTER")->required();
        return [=](Context& ctx) {
          v1::CtlRequest req;
          v1::Grant* g = add ? req.mutable_grant_add()->mutable_grant()
                             : req.mutable_grant_remove()->mutable_grant();
          if (Status s = ParseGrant(*role, g); !s.ok()) return Usage(ctx, s);
          (add ? req.mutable_grant_add()->mutable_key() : req.mutable_grant_remove()->mutable_key())
              ->assign(*key);
          return Send(ctx, req, [add](const v1::CtlReply& r) {
            std::cout << fmt::format("key {} {} {}; {}\n", r.access_key().name(),
                                     add ? "now holds" : "holds", Grants(r.access_key()),
                                     SeqNote(r));
          });
        };
      }};
}

Command GrantList() {
  return {"grant", "list", "who holds which role where (keys not revoked)",
          [](CLI::App* app) -> Runner {
            auto center = std::make_shared<std::string>();
            app->add_option("--center", *center, "grants at this center or below it");
            return [=](Context& ctx) {
              v1::CtlRequest req;
              req.mutable_grant_list()->set_center_id(*center);
              return Send(ctx, req, [](const v1::CtlReply& r) {
                Table t({"KEY", "ROLE", "CENTER", "STAFF"});
                for (const auto& row : r.grant_list().grants()) {
                  t.Add({row.key(), std::string(domain::AccessRoleName(row.grant().role())),
                         row.grant().center_id().empty() ? "(network)" : row.grant().center_id(),
                         row.staff_id()});
                }
                t.Print();
              });
            };
          }};
}

}  // namespace

int LoadCurve(Context& ctx) {
  std::string key = ctx.g.key.empty() ? DefaultPath("zhibanctl.key") : ctx.g.key;
  std::string server = ctx.g.server_key.empty() ? DefaultPath("zhiband.pub") : ctx.g.server_key;
  if (key.empty() && server.empty()) return kExitOk;
  if (key.empty() || server.empty()) {
    return PrintProblem(
        "CURVE needs both this client's key (--key) and zhiband's public key (--server-key); got "
        "only the " +
            std::string(key.empty() ? "server key" : "client key"),
        kExitUsage, ctx.g.format());
  }
  auto keys = net::ReadKeyFile(key, true);
  if (!keys.ok()) return PrintProblem(keys.status().message(), kExitUsage, ctx.g.format());
  auto pub = net::ReadPublicKey(server);
  if (!pub.ok()) return PrintProblem(pub.status().message(), kExitUsage, ctx.g.format());
  ctx.g.curve = net::CurveClient{*pub, *keys};
  return kExitOk;
}

void AddKeyCommands(std::vector<Command>& cmds) {
  cmds.push_back(KeyCreate());
  cmds.push_back(KeyList());
  cmds.push_back(KeyRevoke());
  cmds.push_back(GrantChange(true));
  cmds.push_back(GrantChange(false));
  cmds.push_back(GrantList());
}

}  // namespace zhiban::ctl
