// The slot through which a staff member acting from their phone becomes a
// principal (core/staff_channel.h), with a test double for the channels to
// come (WeCom callbacks, web login, SMS replies).
#include "daemon/core/staff_channel.h"

#include <map>

#include <gtest/gtest.h>

#include "daemon/domain/state.h"
#include "zhiban/v1/ctl.pb.h"

namespace zhiban::core {
namespace {

// Vouches for the staff id a token was issued to, until it expires.
class FakeChannel : public StaffChannel {
 public:
  struct Token {
    std::string staff_id;
    TimePoint expires;
  };
  std::map<std::string, Token, std::less<>> tokens;
  std::string_view name() const override { return "web"; }
  Result<std::string> Attest(std::string_view proof, TimePoint now) override {
    auto it = tokens.find(proof);
    if (it == tokens.end()) return Status::PermissionDenied("the session is not one issued here");
    if (now >= it->second.expires) return Status::PermissionDenied("the session has expired");
    return it->second.staff_id;
  }
};

TimePoint At(int64_t sec) { return TimePoint{std::chrono::seconds(sec)}; }

domain::State WithStaff(const std::string& id) {
  domain::State state;
  v1::Center c;
  c.set_id("c1");
  state.network.PutCenter(c);
  v1::Staff s;
  s.set_id(id);
  s.set_name("王芳");
  s.set_center_id("c1");
  state.network.PutStaff(s);
  return state;
}

TEST(StaffChannel, AVouchedForStaffMemberActsAsThemselvesWithTheStaffRole) {
  const domain::State state = WithStaff("s1");
  FakeChannel web;
  web.tokens["t1"] = {"s1", At(100)};
  auto who = StaffPrincipal(web, "t1", state, At(50));
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->via, Principal::Via::kStaff);
  EXPECT_EQ(who->actor(), "staff:s1");
  EXPECT_EQ(who->claimed, "via web");
  EXPECT_TRUE(who->by_grants());
  EXPECT_EQ(who->RolesText(), "staff@c1");
}

TEST(StaffChannel, AProofTheChannelRefusesOrANameNobodyHasMakesNoPrincipal) {
  const domain::State state = WithStaff("s1");
  FakeChannel web;
  web.tokens["t1"] = {"s1", At(100)};
  web.tokens["ghost"] = {"s9", At(100)};
  for (auto [proof, now, words] :
       {std::tuple{"forged", 50, "not one issued here"}, std::tuple{"t1", 100, "expired"},
        std::tuple{"ghost", 50, "does not know"}}) {
    auto who = StaffPrincipal(web, proof, state, At(now));
    ASSERT_FALSE(who.ok()) << proof;
    EXPECT_EQ(who.status().code(), Code::kPermissionDenied) << proof;
    EXPECT_NE(who.status().message().find(words), std::string::npos) << who.status().message();
    EXPECT_TRUE(who.status().message().starts_with("web")) << who.status().message();
  }
}

// The staff role reads its own center and acts as its holder
// (authorization_test.cpp has every case); it operates nothing and never
// reads a resident's full record.
TEST(StaffChannel, TheStaffRoleNeitherOperatesNorReadsFullRecords) {
  const domain::State state = WithStaff("s1");
  const Principal who = Principal::Staff(*state.network.FindStaff("s1"), "wecom");
  v1::CtlRequest list;
  list.mutable_center_list()->set_parent_id("c1");
  EXPECT_TRUE(Permit(who, *Commands().Find(v1::CtlRequest::kCenterList), list, state).ok());
  v1::CtlRequest add;
  add.mutable_center_add()->mutable_center()->set_id("c1");
  const Status s = Permit(who, *Commands().Find(v1::CtlRequest::kCenterAdd), add, state);
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_NE(s.message().find("principal \"staff:s1\" holds staff@c1"), std::string::npos)
      << s.message();
  v1::CtlRequest full;
  full.mutable_resident_show()->set_id("r1");
  full.mutable_resident_show()->set_full(true);
  full.mutable_resident_show()->set_purpose("核实");
  EXPECT_EQ(Permit(who, *Commands().Find(v1::CtlRequest::kResidentShow), full, state).code(),
            Code::kPermissionDenied);
}

}  // namespace
}  // namespace zhiban::core
