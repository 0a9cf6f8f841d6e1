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

// Text that could forge a line where it is shown — a newline, an escape, a
// direction override — is refused at the codec, naming the field; notes may
// run over lines; the client's claim is escaped later, not refused.
TEST(CtlCodec, RefusesTextThatCouldForgeALine) {
  v1::CtlRequest req;
  req.set_request_id("1");
  auto* book = req.mutable_appointment_book();
  book->set_center_id("c1");
  book->set_for_name("张三\n[fake] #1 伪造通知");
  auto r = ParseCtlRequest(req.SerializeAsString(), kDefaultMaxRequestBytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "for_name");
  EXPECT_NE(r.status().message().find("\\x0a[fake]"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);

  for (const char* bad : {"a\x1b[31mb",
                          "a\xe2\x80\xae"
                          "b",
                          "a\xc2\x85"
                          "b",
                          "a\rb"}) {
    book->set_for_name("张三");
    book->set_note(bad);
    r = ParseCtlRequest(req.SerializeAsString(), kDefaultMaxRequestBytes);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().field(), "note");
  }
  book->set_note("第一行\n第二行\t备注");
  req.mutable_client()->set_host("evil\nhost");
  EXPECT_TRUE(ParseCtlRequest(req.SerializeAsString(), kDefaultMaxRequestBytes).ok());

  v1::CtlRequest import;
  import.set_request_id("2");
  auto* rows = import.mutable_import_rows();
  rows->add_centers()->set_name("东区");
  rows->add_centers()->set_name("西区\xe2\x81\xa6");  // U+2066
  r = ParseCtlRequest(import.SerializeAsString(), kDefaultMaxRequestBytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "centers[1].name");
  EXPECT_NE(r.status().message().find("record 2 of this chunk, column name"), std::string::npos)
      << r.status().message();
  rows->add_row_numbers(7);
  rows->add_row_numbers(8);
  r = ParseCtlRequest(import.SerializeAsString(), kDefaultMaxRequestBytes);
  EXPECT_NE(r.status().message().find("row 8, column name"), std::string::npos)
      << r.status().message();

  // A TOML file saved with Windows line endings is a document, not a forgery.
  v1::CtlRequest policy;
  policy.set_request_id("3");
  policy.mutable_policy_set()->set_toml("[center]\r\nid = \"x\"\r\n");
  EXPECT_TRUE(ParseCtlRequest(policy.SerializeAsString(), kDefaultMaxRequestBytes).ok());
}

}  // namespace
}  // namespace zhiban::core
