#include "daemon/domain/access.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "daemon/domain/common.h"

namespace zhiban::domain {
namespace {

constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

constexpr std::array<std::string_view, 8> kRoleNames = {"",      "admin",   "operator", "leader",
                                                        "staff", "auditor", "viewer",   "plugin"};

Status ValidateName(std::string_view name) {
  if (name.empty() || name.size() > kMaxIdLength) {
    return Status::InvalidArgument("key.name", fmt::format("a key name is 1 to {} characters, "
                                                           "got {}",
                                                           kMaxIdLength, name.size()));
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '@';
    if (!ok) {
      return Status::InvalidArgument(
          "key.name",
          "a key name holds letters, digits and . _ - @ only (it is printed in the "
          "audit log)");
    }
  }
  return {};
}

// The staff and leader roles are a person's, from their record
// (StaffGrants): a key gets them by being that person's (--staff), never
// as a grant, or it would act and decide for nobody in particular.
Status PersonRole(const v1::Grant& g, std::string_view field) {
  if (g.role() != v1::ACCESS_STAFF && g.role() != v1::ACCESS_LEADER) return {};
  return Status::InvalidArgument(
      std::string(field),
      fmt::format("the {} role comes from a staff member's record: make the key theirs "
                  "(zhibanctl key create NAME --staff ID) instead of granting it",
                  AccessRoleName(g.role())));
}

void KeyEvent(Mutation& m, bool added, const v1::AccessKey& k) {
  v1::Event e;
  *(added ? e.mutable_key_added() : e.mutable_key_revoked())->mutable_key() = k;
  m.Emit(std::move(e));
}

}  // namespace

const v1::AccessKey* AccessBook::Find(std::string_view name) const {
  auto it = keys_.find(name);
  return it == keys_.end() ? nullptr : &it->second;
}

const v1::AccessKey* AccessBook::FindByPublicKey(std::string_view z85) const {
  auto it = by_public_.find(std::string(z85));
  return it == by_public_.end() ? nullptr : Find(it->second);
}

void AccessBook::Put(v1::AccessKey k) {
  by_public_[k.public_key()] = k.name();
  std::string name = k.name();
  keys_.insert_or_assign(std::move(name), std::move(k));
  ++generation_;
}

bool IsZ85Key(std::string_view z85) {
  if (z85.size() != kZ85KeyLength) return false;
  for (size_t i = 0; i < z85.size(); i += 5) {
    uint64_t v = 0;
    for (size_t j = i; j < i + 5; ++j) {
      const auto d = kZ85Alphabet.find(z85[j]);
      if (d == std::string_view::npos) return false;
      v = v * 85 + d;
    }
    if (v > 0xffffffffULL) return false;
  }
  return true;
}

bool Covers(const Network& net, std::string_view scope, std::string_view center) {
  if (scope.empty()) return true;
  // The tree is at most kMaxTreeDepth deep; the bound also stops a cycle a
  // damaged store could hold.
  for (int depth = 0; depth <= kMaxTreeDepth && !center.empty(); ++depth) {
    if (center == scope) return true;
    const v1::Center* c = net.FindCenter(center);
    if (!c) return false;
    center = c->parent_id();
  }
  return false;
}

std::vector<v1::Grant> StaffGrants(const v1::Staff& s) {
  std::vector<v1::Grant> out;
  auto add = [&](v1::AccessRole role, const std::string& center) {
    v1::Grant g;
    g.set_role(role);
    g.set_center_id(center);
    out.push_back(std::move(g));
  };
  // A record always has a home (ValidateStaffFields); without one the
  // grants would be network-wide, so none are given.
  if (s.center_id().empty()) return out;
  add(v1::ACCESS_STAFF, s.center_id());
  if (std::find(s.roles().begin(), s.roles().end(), v1::LEADER) != s.roles().end()) {
    add(v1::ACCESS_LEADER, s.center_id());
    for (const auto& c : s.cover_center_ids()) add(v1::ACCESS_LEADER, c);
  }
  return out;
}

std::string_view AccessRoleName(v1::AccessRole r) {
  const auto i = static_cast<size_t>(r);
  return i < kRoleNames.size() && i > 0 ? kRoleNames[i] : std::string_view("none");
}

bool ParseAccessRole(std::string_view name, v1::AccessRole* out) {
  for (size_t i = 1; i < kRoleNames.size(); ++i) {
    if (kRoleNames[i] == name) {
      *out = static_cast<v1::AccessRole>(i);
      return true;
    }
  }
  return false;
}

Result<Mutation> AddKey(const AccessBook& book, const Network& net, v1::AccessKey key,
                        const std::string& actor, const google::protobuf::Timestamp& now) {
  ZB_RETURN_IF_ERROR(ValidateName(key.name()));
  if (!IsZ85Key(key.public_key())) {
    return Status::InvalidArgument(
        "key.public_key",
        "not a CURVE public key: expected 40 Z85 characters (zhibanctl key "
        "create makes one)");
  }
  if (const auto* old = book.Find(key.name())) {
    return Status::AlreadyExists(
        "key.name", old->has_revoked()
                        ? fmt::format("key \"{}\" was revoked; a revoked name is never reused, "
                                      "choose another",
                                      key.name())
                        : fmt::format("key \"{}\" already exists", key.name()));
  }
  if (const auto* same = book.FindByPublicKey(key.public_key())) {
    return Status::AlreadyExists(
        "key.public_key", fmt::format("this public key is already key \"{}\"", same->name()));
  }
  if (!key.staff_id().empty() && !net.FindStaff(key.staff_id())) {
    return Status::NotFound("key.staff_id",
                            fmt::format("staff member \"{}\" does not exist", key.staff_id()));
  }
  if (key.grants().empty() && key.staff_id().empty()) {
    return Status::InvalidArgument("key.grants",
                                   "a key needs at least one role (--role) or a staff member whose "
                                   "key it is (--staff)");
  }
  if (static_cast<size_t>(key.grants_size()) > kMaxGrants) {
    return Status::InvalidArgument("key.grants", fmt::format("at most {} grants", kMaxGrants));
  }
  for (const auto& g : key.grants()) {
    if (AccessRoleName(g.role()) == "none") {
      return Status::InvalidArgument(
          "key.grants",
          "unknown role; one of admin, operator, leader, staff, auditor, viewer, "
          "plugin");
    }
    if (Status s = PersonRole(g, "key.grants"); !s.ok()) return s;
    if (!g.center_id().empty() && !net.FindCenter(g.center_id())) {
      return Status::NotFound("key.grants",
                              fmt::format("center \"{}\" does not exist", g.center_id()));
    }
  }
  ZB_RETURN_IF_ERROR(common::ValidateText(key.note(), "key.note", kMaxNoteBytes, false));
  key.clear_revoked();
  key.clear_revoked_by();
  key.clear_revoke_reason();
  *key.mutable_created() = now;
  key.set_created_by(actor);
  Mutation m;
  std::vector<std::string> roles;
  for (const auto& g : key.grants()) roles.push_back(GrantText(g));
  if (!key.staff_id().empty()) roles.push_back("staff member " + key.staff_id());
  m.summary = fmt::format("added key {} ({})", key.name(), fmt::join(roles, ","));
  KeyEvent(m, true, key);
  m.keys_put.push_back(std::move(key));
  return m;
}

Result<Mutation> RevokeKey(const AccessBook& book, const v1::KeyRevokeRequest& req,
                           const std::string& actor, const google::protobuf::Timestamp& now) {
  const auto* old = book.Find(req.name());
  if (!old) return Status::NotFound("name", fmt::format("key \"{}\" does not exist", req.name()));
  if (old->has_revoked()) {
    return Status::FailedPrecondition("name",
                                      fmt::format("key \"{}\" is already revoked", req.name()));
  }
  ZB_RETURN_IF_ERROR(common::ValidateText(req.reason(), "reason", kMaxNoteBytes, false));
  v1::AccessKey k = *old;
  *k.mutable_revoked() = now;
  k.set_revoked_by(actor);
  k.set_revoke_reason(req.reason());
  Mutation m;
  m.summary = fmt::format("revoked key {}", k.name());
  KeyEvent(m, false, k);
  m.keys_put.push_back(std::move(k));
  return m;
}

std::string GrantText(const v1::Grant& g) {
  return g.center_id().empty() ? std::string(AccessRoleName(g.role()))
                               : fmt::format("{}@{}", AccessRoleName(g.role()), g.center_id());
}

namespace {

Result<v1::AccessKey> LiveKey(const AccessBook& book, std::string_view name) {
  const auto* k = book.Find(name);
  if (!k) return Status::NotFound("key", fmt::format("key \"{}\" does not exist", name));
  if (k->has_revoked()) {
    return Status::FailedPrecondition("key", fmt::format("key \"{}\" was revoked", name));
  }
  return *k;
}

bool SameGrant(const v1::Grant& a, const v1::Grant& b) {
  return a.role() == b.role() && a.center_id() == b.center_id();
}

Mutation GrantMutation(v1::AccessKey k, const v1::Grant& g, bool added) {
  Mutation m;
  m.summary = fmt::format("{} {} {} key {}", added ? "granted" : "took", GrantText(g),
                          added ? "to" : "from", k.name());
  v1::Event e;
  auto* b = added ? e.mutable_key_granted() : e.mutable_key_ungranted();
  *b->mutable_key() = k;
  *b->mutable_grant() = g;
  m.Emit(std::move(e));
  m.keys_put.push_back(std::move(k));
  return m;
}

}  // namespace

Result<Mutation> AddGrant(const AccessBook& book, const Network& net, std::string_view name,
                          const v1::Grant& grant) {
  ZB_ASSIGN_OR_RETURN(v1::AccessKey k, LiveKey(book, name));
  if (AccessRoleName(grant.role()) == "none") {
    return Status::InvalidArgument(
        "grant.role",
        "unknown role; one of admin, operator, leader, staff, auditor, viewer, plugin");
  }
  ZB_RETURN_IF_ERROR(PersonRole(grant, "grant.role"));
  if (!grant.center_id().empty() && !net.FindCenter(grant.center_id())) {
    return Status::NotFound("grant.center_id",
                            fmt::format("center \"{}\" does not exist", grant.center_id()));
  }
  for (const auto& g : k.grants()) {
    if (SameGrant(g, grant)) {
      return Status::AlreadyExists(
          "grant", fmt::format("key \"{}\" already holds {}", name, GrantText(grant)));
    }
  }
  if (static_cast<size_t>(k.grants_size()) >= kMaxGrants) {
    return Status::ResourceExhausted(
        fmt::format("key \"{}\" holds {} grants, the most a key may", name, kMaxGrants));
  }
  *k.add_grants() = grant;
  return GrantMutation(std::move(k), grant, true);
}

Result<Mutation> RemoveGrant(const AccessBook& book, std::string_view name,
                             const v1::Grant& grant) {
  ZB_ASSIGN_OR_RETURN(v1::AccessKey k, LiveKey(book, name));
  auto* gs = k.mutable_grants();
  auto it =
      std::find_if(gs->begin(), gs->end(), [&](const auto& g) { return SameGrant(g, grant); });
  if (it == gs->end()) {
    return Status::NotFound("grant",
                            fmt::format("key \"{}\" does not hold {}", name, GrantText(grant)));
  }
  if (gs->size() == 1 && k.staff_id().empty()) {
    return Status::FailedPrecondition(
        "grant", fmt::format("{} is key \"{}\"'s last role; revoke the key instead (zhibanctl "
                             "key revoke {})",
                             GrantText(grant), name, name));
  }
  gs->erase(it);
  return GrantMutation(std::move(k), grant, false);
}

}  // namespace zhiban::domain
