#include "daemon/core/ctl_codec.h"

#include <gtest/gtest.h>

#include "zhiban/v1/events.pb.h"

namespace zhiban::core {
namespace {

TEST(CtlCodec, AcceptsAWellFormedRequest) {
  v1::CtlRequest req;
  req.mutable_center_add()->mutable_center()->set_id("c1");
  auto parsed = ParseCtlRequest(req.SerializeAsString(), kDefaultMaxRequestBytes);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(CommandName(*parsed), "center_add");
}

TEST(CtlCodec, RefusesGarbage) {
  auto r = ParseCtlRequest("\xff\xff\xff\xff garbage", kDefaultMaxRequestBytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("not a zhiban.v1.CtlRequest"), std::string::npos);
}

TEST(CtlCodec, RefusesOversizedRequests) {
  std::string big(kDefaultMaxRequestBytes + 1, 'x');
  auto r = ParseCtlRequest(big, kDefaultMaxRequestBytes);
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted);
  EXPECT_NE(r.status().message().find("ctl.max_request_bytes"), std::string::npos);
}

TEST(CtlCodec, RefusesUnknownFieldsAtAnyDepth) {
  v1::CtlRequest req;
  req.mutable_center_add()->mutable_center()->set_id("c1");
  std::string bytes = req.SerializeAsString();
  // Field 99 (varint) inside a new top-level field 7 would be unknown at top level:
  std::string top = bytes + std::string("\x38\x01", 2);  // field 7, varint 1
  auto r = ParseCtlRequest(top, kDefaultMaxRequestBytes);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("zhiban.v1.CtlRequest field 7"), std::string::npos)
      << r.status().message();

  // ... and nested: an unknown field inside Center.
  v1::Center c;
  c.set_id("c1");
  std::string center = c.SerializeAsString() + std::string("\xf8\x06\x01", 3);  // field 111, varint
  v1::CenterAddRequest add;
  ASSERT_TRUE(add.mutable_center()->ParseFromString(center));
  v1::CtlRequest nested;
  *nested.mutable_center_add() = add;
  auto n = ParseCtlRequest(nested.SerializeAsString(), kDefaultMaxRequestBytes);
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("zhiban.v1.Center field 111"), std::string::npos)
      << n.status().message();
}

TEST(CtlCodec, RefusesAnotherMessageType) {
  v1::Event e;  // a plugin's event sent to ctl by mistake
  e.set_seq(5);
  e.set_topic("center.added");
  auto r = ParseCtlRequest(e.SerializeAsString(), kDefaultMaxRequestBytes);
  EXPECT_FALSE(r.ok());
}

TEST(CtlCodec, RefusesARequestWithoutCommand) {
  v1::CtlRequest req;
  req.set_request_id("7");
  auto r = ParseCtlRequest(req.SerializeAsString(), kDefaultMaxRequestBytes);
  EXPECT_EQ(r.status().field(), "command");
}

}  // namespace
}  // namespace zhiban::core
