// wire::FindLengthDelimited reads one field of an encoded message without
// decoding it (the replay server's topic filter): it must agree with the
// generated code and never read past a cut or malformed buffer.
#include "daemon/base/wire.h"

#include <string>

#include <gtest/gtest.h>

#include "zhiban/v1/events.pb.h"

namespace zhiban::wire {
namespace {

TEST(WireTest, FindsTheTopicOfAStoredEvent) {
  v1::Event e;
  e.set_seq(123456789);
  e.set_id("evt-1");
  e.mutable_time()->set_seconds(1767571200);
  e.set_topic("visit.escalated");
  e.set_center_id("xingfu");
  e.mutable_center_added()->mutable_center()->set_name(std::string(300, 'x'));
  const std::string bytes = e.SerializeAsString();
  std::string_view topic;
  ASSERT_TRUE(FindLengthDelimited(bytes, 4, &topic));
  EXPECT_EQ(topic, "visit.escalated");
  ASSERT_TRUE(FindLengthDelimited(bytes, 5, &topic));
  EXPECT_EQ(topic, "xingfu");
  EXPECT_FALSE(FindLengthDelimited(bytes, 6, &topic)) << "absent";
  v1::Event no_topic;
  no_topic.set_seq(1);
  EXPECT_FALSE(FindLengthDelimited(no_topic.SerializeAsString(), 4, &topic));
}

TEST(WireTest, NeverReadsPastACutOrMalformedBuffer) {
  v1::Event e;
  e.set_seq(7);
  e.set_id(std::string(200, 'i'));
  e.set_topic("center.added");
  const std::string bytes = e.SerializeAsString();
  std::string_view topic;
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    const std::string head = bytes.substr(0, cut);  // a copy: ASan sees any overread
    if (FindLengthDelimited(head, 4, &topic)) {
      EXPECT_EQ(topic, "center.added");
    }
  }
  for (const char* bad :
       {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "\x22\xff\x01", "\x0b", "\x09\x01\x02"}) {
    EXPECT_FALSE(FindLengthDelimited(std::string(bad), 4, &topic)) << bad;
  }
}

}  // namespace
}  // namespace zhiban::wire
