// Principals' keys: what key_add and key_revoke accept, and what they refuse.
#include <gtest/gtest.h>

#include "daemon/domain/access.h"
#include "daemon/domain/state.h"

namespace zhiban::domain {
namespace {

// A valid Z85 key (zmq_curve_keypair output shape).
constexpr const char* kKeyA = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
constexpr const char* kKeyB = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";

v1::AccessKey Key(const std::string& name, const char* pub, v1::AccessRole role) {
  v1::AccessKey k;
  k.set_name(name);
  k.set_public_key(pub);
  k.add_grants()->set_role(role);
  return k;
}

google::protobuf::Timestamp At(int64_t s) {
  google::protobuf::Timestamp t;
  t.set_seconds(s);
  return t;
}

TEST(Access, Z85KeysAreFortyCharactersThatDecode) {
  EXPECT_TRUE(IsZ85Key(kKeyA));
  EXPECT_FALSE(IsZ85Key(""));
  EXPECT_FALSE(IsZ85Key(std::string(kKeyA).substr(1)));
  EXPECT_FALSE(IsZ85Key(std::string(39, 'a') + "\""));  // not in the alphabet
  EXPECT_FALSE(IsZ85Key(std::string(40, '#')));         // 85^5-1 > 2^32: no 4 bytes
}

TEST(Access, RolesHaveTheirNamesBothWays) {
  for (auto r : {v1::ACCESS_ADMIN, v1::ACCESS_OPERATOR, v1::ACCESS_LEADER, v1::ACCESS_STAFF,
                 v1::ACCESS_AUDITOR, v1::ACCESS_VIEWER, v1::ACCESS_PLUGIN}) {
    v1::AccessRole back{};
    ASSERT_TRUE(ParseAccessRole(AccessRoleName(r), &back)) << AccessRoleName(r);
    EXPECT_EQ(back, r);
  }
  v1::AccessRole none{};
  EXPECT_FALSE(ParseAccessRole("root", &none));
  EXPECT_EQ(AccessRoleName(v1::ACCESS_ROLE_UNSPECIFIED), "none");
}

TEST(Access, AKeyIsAddedWithWhoAddedItAndWhen) {
  State st;
  auto m = AddKey(st.access, st.network, Key("ops-1", kKeyA, v1::ACCESS_OPERATOR), "local", At(7));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->keys_put.size(), 1u);
  EXPECT_EQ(m->keys_put[0].created_by(), "local");
  EXPECT_EQ(m->keys_put[0].created().seconds(), 7);
  ASSERT_EQ(m->events.size(), 1u);
  EXPECT_EQ(m->events[0].topic(), "key.added");
  EXPECT_EQ(m->summary, "added key ops-1 (operator)");
  Apply(st, std::move(*m));
  ASSERT_NE(st.access.FindByPublicKey(kKeyA), nullptr);
  EXPECT_EQ(st.access.FindByPublicKey(kKeyA)->name(), "ops-1");
}

TEST(Access, BadKeysAreRefusedNamingTheField) {
  State st;
  auto refuse = [&](v1::AccessKey k, const std::string& field) {
    auto m = AddKey(st.access, st.network, std::move(k), "local", At(1));
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().field(), field) << m.status().ToString();
  };
  refuse(Key("", kKeyA, v1::ACCESS_ADMIN), "key.name");
  refuse(Key("ops\n1", kKeyA, v1::ACCESS_ADMIN), "key.name");
  refuse(Key("\x1b[31mops", kKeyA, v1::ACCESS_ADMIN), "key.name");
  refuse(Key(std::string(65, 'a'), kKeyA, v1::ACCESS_ADMIN), "key.name");
  refuse(Key("ops", "not-a-key", v1::ACCESS_ADMIN), "key.public_key");
  refuse(Key("ops", kKeyA, v1::ACCESS_ROLE_UNSPECIFIED), "key.grants");
  v1::AccessKey no_role = Key("ops", kKeyA, v1::ACCESS_ADMIN);
  no_role.clear_grants();
  refuse(no_role, "key.grants");
  v1::AccessKey far = Key("ops", kKeyA, v1::ACCESS_OPERATOR);
  far.mutable_grants(0)->set_center_id("nowhere");
  refuse(far, "key.grants");
  v1::AccessKey note = Key("ops", kKeyA, v1::ACCESS_OPERATOR);
  note.set_note("a\x07");
  refuse(note, "key.note");
  refuse(Key("ops", kKeyA, v1::ACCESS_LEADER), "key.grants");  // a person's role: --staff
  v1::AccessKey nobody = Key("ops", kKeyA, v1::ACCESS_STAFF);
  nobody.set_staff_id("s404");
  refuse(nobody, "key.staff_id");
}

// A staff member's key: their record gives its grants; a subtree covers
// the centers below its root, never its parent or siblings.
TEST(Access, AStaffKeyNeedsNoRoleAndALeaderLeadsHomeAndCoverSubtrees) {
  State st;
  for (auto [id, parent] :
       {std::pair{"street", ""}, {"a", "street"}, {"a1", "a"}, {"b", "street"}}) {
    v1::Center c;
    c.set_id(id);
    c.set_parent_id(parent);
    st.network.PutCenter(c);
  }
  v1::Staff s;
  s.set_id("s1");
  s.set_center_id("a");
  s.add_roles(v1::LEADER);
  s.add_cover_center_ids("b");
  st.network.PutStaff(s);
  v1::AccessKey k = Key("s1-phone", kKeyA, v1::ACCESS_STAFF);
  k.clear_grants();
  k.set_staff_id("s1");
  EXPECT_TRUE(AddKey(st.access, st.network, k, "local", At(1)).ok());
  const auto grants = StaffGrants(s);
  ASSERT_EQ(grants.size(), 3u);
  EXPECT_EQ(grants[0].role(), v1::ACCESS_STAFF);
  EXPECT_EQ(grants[0].center_id(), "a");
  EXPECT_EQ(grants[1].role(), v1::ACCESS_LEADER);
  EXPECT_EQ(grants[2].center_id(), "b");
  EXPECT_TRUE(Covers(st.network, "a", "a"));
  EXPECT_TRUE(Covers(st.network, "a", "a1"));
  EXPECT_TRUE(Covers(st.network, "street", "a1"));
  EXPECT_TRUE(Covers(st.network, "", "a1"));
  EXPECT_FALSE(Covers(st.network, "a1", "a")) << "the parent";
  EXPECT_FALSE(Covers(st.network, "b", "a")) << "a sibling";
  EXPECT_FALSE(Covers(st.network, "a", "nowhere")) << "an unknown center";
}

TEST(Access, ANameOrAPublicKeyIsTakenOnceAndARevokedNameIsNeverReused) {
  State st;
  Apply(st, *AddKey(st.access, st.network, Key("ops", kKeyA, v1::ACCESS_ADMIN), "local", At(1)));
  auto again = AddKey(st.access, st.network, Key("ops", kKeyB, v1::ACCESS_ADMIN), "local", At(2));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  auto same_key =
      AddKey(st.access, st.network, Key("ops2", kKeyA, v1::ACCESS_ADMIN), "local", At(2));
  ASSERT_FALSE(same_key.ok());
  EXPECT_NE(same_key.status().message().find("already key \"ops\""), std::string::npos);

  v1::KeyRevokeRequest rv;
  rv.set_name("ops");
  rv.set_reason("laptop lost");
  auto revoked = RevokeKey(st.access, rv, "admin-1", At(3));
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(revoked->events[0].topic(), "key.revoked");
  EXPECT_EQ(revoked->keys_put[0].revoked_by(), "admin-1");
  EXPECT_EQ(revoked->keys_put[0].revoke_reason(), "laptop lost");
  Apply(st, std::move(*revoked));
  EXPECT_TRUE(st.access.Find("ops")->has_revoked());
  EXPECT_EQ(RevokeKey(st.access, rv, "admin-1", At(4)).status().code(), Code::kFailedPrecondition);
  auto reuse = AddKey(st.access, st.network, Key("ops", kKeyB, v1::ACCESS_ADMIN), "local", At(5));
  ASSERT_FALSE(reuse.ok());
  EXPECT_NE(reuse.status().message().find("never reused"), std::string::npos);
  rv.set_name("ghost");
  EXPECT_EQ(RevokeKey(st.access, rv, "x", At(6)).status().code(), Code::kNotFound);
}

TEST(Access, AGrantIsGivenOnceTakenIfHeldAndNeverTheLastOne) {
  State st;
  v1::Center c;
  c.set_id("a");
  st.network.PutCenter(c);
  Apply(st, *AddKey(st.access, st.network, Key("ops", kKeyA, v1::ACCESS_OPERATOR), "local", At(1)));
  v1::Grant viewer;
  viewer.set_role(v1::ACCESS_VIEWER);
  viewer.set_center_id("a");
  auto m = AddGrant(st.access, st.network, "ops", viewer);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->summary, "granted viewer@a to key ops");
  ASSERT_EQ(m->events.size(), 1u);
  EXPECT_TRUE(m->events[0].has_key_granted());
  Apply(st, *m);
  EXPECT_EQ(st.access.Find("ops")->grants_size(), 2);
  EXPECT_EQ(AddGrant(st.access, st.network, "ops", viewer).status().code(), Code::kAlreadyExists);
  EXPECT_EQ(AddGrant(st.access, st.network, "nobody", viewer).status().code(), Code::kNotFound);
  v1::Grant far = viewer;
  far.set_center_id("nowhere");
  EXPECT_EQ(AddGrant(st.access, st.network, "ops", far).status().field(), "grant.center_id");
  Apply(st, *RemoveGrant(st.access, "ops", viewer));
  EXPECT_EQ(RemoveGrant(st.access, "ops", viewer).status().code(), Code::kNotFound);
  const auto last = RemoveGrant(st.access, "ops", st.access.Find("ops")->grants(0));
  EXPECT_EQ(last.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(last.status().message().find("revoke the key instead"), std::string::npos);
}

}  // namespace
}  // namespace zhiban::domain
