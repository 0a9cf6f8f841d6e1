// Access: the principals zhiband knows (CURVE client keys, AccessKey) and
// what each may do (roles, Grant). docs/OPERATIONS.md, "Security", is the
// operator's view; this is the rule book the core's one check consults.
//
// Pure domain logic, like network.h: key_add and key_revoke are planned here
// as Mutations; nothing here sees a socket or a secret key.
//
// Thread-safety: none; the core thread owns the book (the daemon copies what
// the ZAP handler needs into a KeyRing, net/zap_handler.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/base/status.h"
#include "daemon/domain/mutation.h"
#include "daemon/domain/network.h"
#include "zhiban/v1/ctl.pb.h"
#include "zhiban/v1/types.pb.h"

namespace zhiban::domain {

namespace v1 = ::zhiban::v1;

inline constexpr size_t kZ85KeyLength = 40;  // a 32-byte CURVE key in Z85
inline constexpr size_t kMaxGrants = 64;
inline constexpr size_t kMaxNoteBytes = 500;

class AccessBook {
 public:
  const v1::AccessKey* Find(std::string_view name) const;
  // The key whose public half is `z85`, revoked or not; nullptr if unknown.
  const v1::AccessKey* FindByPublicKey(std::string_view z85) const;
  const std::map<std::string, v1::AccessKey, std::less<>>& keys() const { return keys_; }
  // Bumped by every Put: the daemon refreshes its KeyRing when it moves.
  uint64_t generation() const { return generation_; }

  void Put(v1::AccessKey k);

 private:
  std::map<std::string, v1::AccessKey, std::less<>> keys_;
  std::unordered_map<std::string, std::string> by_public_;  // z85 -> name
  uint64_t generation_ = 0;
};

// True when `z85` is a 40-character Z85 string that decodes to 32 bytes.
bool IsZ85Key(std::string_view z85);

// The role's name as operators type it ("operator"), and back.
std::string_view AccessRoleName(v1::AccessRole r);
bool ParseAccessRole(std::string_view name, v1::AccessRole* out);

// Whether a grant scoped to `scope` ("" = the whole network) reaches center
// `center`: `center` is `scope` or lies below it in the center tree. An
// unknown center is reached by the whole network only.
bool Covers(const Network& net, std::string_view scope, std::string_view center);

// What a staff member holds by being one (docs/OPERATIONS.md, "Security"):
// `staff` at their home center, and with the LEADER role `leader` at their
// home and at each center they cover.
std::vector<v1::Grant> StaffGrants(const v1::Staff& s);

// Plans: `actor` is the principal asking, `now` the daemon clock.
// Grants name centers of `net`.
Result<Mutation> AddKey(const AccessBook& book, const Network& net, v1::AccessKey key,
                        const std::string& actor, const google::protobuf::Timestamp& now);
// A grant given to or taken from key `name` (who may do it is the core's
// check: command.h, Permit). Refused: an unknown or revoked key, an unknown
// role or center, a grant the key already holds (add) or does not (remove),
// a key's last grant (a key of nobody's with no role would open nothing).
Result<Mutation> AddGrant(const AccessBook& book, const Network& net, std::string_view name,
                          const v1::Grant& grant);
Result<Mutation> RemoveGrant(const AccessBook& book, std::string_view name, const v1::Grant& grant);
// "operator@dongshi", "admin".
std::string GrantText(const v1::Grant& g);

Result<Mutation> RevokeKey(const AccessBook& book, const v1::KeyRevokeRequest& req,
                           const std::string& actor, const google::protobuf::Timestamp& now);

}  // namespace zhiban::domain
