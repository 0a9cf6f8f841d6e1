// The SDK's contact book (plugins/sdk/contacts.h): asks once per person,
// answers from its cache after, forgets a person on their staff.* event, and
// a failed lookup is an error the Runner retries.
#include "plugins/sdk/contacts.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace zhiban::plugin {
namespace {

// A stand-in for zhiband's contact query: a directory, and a switch to fail.
class FakeSource : public ContactSource {
 public:
  Result<v1::ContactQueryReply> Lookup(const std::vector<std::string>& ids, uint64_t first_seq,
                                       uint64_t last_seq) override {
    asked.push_back(ids);
    seqs.push_back(first_seq);
    last_seqs.push_back(last_seq);
    if (down) return Status::Unavailable("no answer from zhiband");
    v1::ContactQueryReply r;
    r.set_as_of_seq(as_of);
    for (const auto& id : ids) {
      auto it = phones.find(id);
      if (it == phones.end()) {
        r.add_missing_ids(id);
        continue;
      }
      auto* c = r.add_contacts();
      c->set_staff_id(id);
      c->set_phone(it->second);
      c->set_wecom_user_id("wx-" + id);
    }
    return r;
  }
  std::map<std::string, std::string> phones;
  std::vector<std::vector<std::string>> asked;
  std::vector<uint64_t> seqs;
  std::vector<uint64_t> last_seqs;
  uint64_t as_of = 0;  // the answers' as_of_seq (0: as an older zhiband, unknown)
  bool down = false;
};

v1::Notification To(uint64_t seq, std::vector<std::string> staff) {
  v1::Notification n;
  n.set_seq(seq);
  for (const auto& s : staff) {
    auto* r = n.add_recipients();
    r->set_staff_id(s);
    r->set_name(s);
  }
  auto* group = n.add_recipients();  // a configured group member: left as configured
  group->set_name("王主任");
  group->set_phone("13800000009");
  return n;
}

v1::Event StaffUpdated(const std::string& id, uint64_t seq = 0) {
  v1::Event e;
  e.set_seq(seq);
  e.set_topic("staff.updated");
  e.mutable_staff_updated()->mutable_staff()->set_id(id);
  return e;
}

TEST(ContactBook, AsksOnceForEveryoneThenAnswersFromItsCache) {
  FakeSource src;
  src.phones = {{"s1", "13900000001"}, {"s2", "13900000002"}};
  ContactBook book(&src);
  auto n = To(7, {"s1", "s2", "s1"});
  ASSERT_TRUE(book.Resolve(&n).ok());
  ASSERT_EQ(src.asked.size(), 1u);
  EXPECT_EQ(src.asked[0], (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(src.seqs[0], 7u);  // the purpose: the event it serves
  EXPECT_EQ(n.recipients(0).phone(), "13900000001");
  EXPECT_EQ(n.recipients(1).wecom_user_id(), "wx-s2");
  EXPECT_EQ(n.recipients(3).phone(), "13800000009");
  auto again = To(8, {"s2"});
  ASSERT_TRUE(book.Resolve(&again).ok());
  EXPECT_EQ(src.asked.size(), 1u);
  EXPECT_EQ(again.recipients(0).phone(), "13900000002");
  EXPECT_EQ(book.stats().hits.load(), 1u);
}

TEST(ContactBook, AStaffEventDropsTheCachedNumberSoTheNextMessageHasTheNewOne) {
  FakeSource src;
  src.phones = {{"s1", "13900000001"}};
  ContactBook book(&src);
  auto n = To(7, {"s1"});
  ASSERT_TRUE(book.Resolve(&n).ok());
  src.phones["s1"] = "13900000002";  // staff update in zhiband ...
  book.Observe(StaffUpdated("s1"));  // ... and its event on the bus
  auto next = To(9, {"s1"});
  ASSERT_TRUE(book.Resolve(&next).ok());
  EXPECT_EQ(next.recipients(0).phone(), "13900000002");
  EXPECT_EQ(book.stats().refreshed.load(), 1u);
  // Forget (a retried send) asks again too.
  src.phones["s1"] = "13900000003";
  book.Forget(next);
  ASSERT_TRUE(book.Resolve(&next).ok());
  EXPECT_EQ(next.recipients(0).phone(), "13900000003");
}

TEST(ContactBook, AFailedLookupIsAnErrorAndANumberFromTheEventIsNeverKept) {
  FakeSource src;
  src.down = true;
  ContactBook book(&src);
  auto n = To(7, {"s1"});
  n.mutable_recipients(0)->set_phone("13700000000");  // what an old event carried
  const Status s = book.Resolve(&n);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_NE(s.message().find("contact lookup"), std::string::npos);
  EXPECT_EQ(book.stats().failures.load(), 1u);
  src.down = false;  // someone removed: no contact at all, not the event's
  ASSERT_TRUE(book.Resolve(&n).ok());
  EXPECT_EQ(n.recipients(0).phone(), "");
}

// A run of events (a replayed chunk) costs one lookup for all its people,
// audited as serving the events whose messages need them; a staff.* event inside the run does not
// undo it (the answer is as of a later event), one after the answer does.
TEST(ContactBook, ARunOfEventsIsLookedUpAtOnceAndItsOwnStaffEventsKeepTheAnswer) {
  FakeSource src;
  src.phones = {{"s1", "13900000001"}, {"s2", "13900000002"}, {"s3", "13900000003"}};
  src.as_of = 20;
  ContactBook book(&src);
  auto cached = To(10, {"s3", "s2"});
  ASSERT_TRUE(book.Resolve(&cached).ok());  // s2 and s3 known (as of 20) before the run
  ASSERT_EQ(src.asked.size(), 1u);
  src.as_of = 30;

  const v1::Event first = StaffUpdated("s1", 21);  // s1's number changed at 21 ...
  v1::Event plain;
  plain.set_seq(22);
  const v1::Event& second = plain;
  const v1::Event third = StaffUpdated("s3", 23);
  const auto n21 = To(21, {"s1"});
  const auto n22 = To(22, {"s2", "s1", "s3"});
  ASSERT_TRUE(book.Prefetch({&first, &second, &third}, {&n21, &n22}).ok());
  ASSERT_EQ(src.asked.size(), 2u);
  // s1 unknown; s3 known from before its staff.updated at 23; s2 still good.
  EXPECT_EQ(src.asked[1], (std::vector<std::string>{"s1", "s3"}));
  EXPECT_EQ(src.seqs[1], 21u);  // the events whose messages it serves
  EXPECT_EQ(src.last_seqs[1], 22u);
  EXPECT_EQ(book.stats().ahead.load(), 1u);

  src.as_of = 40;
  for (const v1::Event* e : std::vector<const v1::Event*>{&first, &second, &third}) {
    book.Observe(*e);
  }  // ... and handled in turn
  auto m = n22;
  ASSERT_TRUE(book.Resolve(&m).ok());
  EXPECT_EQ(src.asked.size(), 2u);  // no lookup per message
  EXPECT_EQ(m.recipients(0).phone(), "13900000002");
  EXPECT_EQ(m.recipients(2).phone(), "13900000003");
  EXPECT_EQ(book.stats().refreshed.load(), 0u);

  src.phones["s2"] = "13900000022";
  book.Observe(StaffUpdated("s2", 31));  // after the answer: asked again
  ASSERT_TRUE(book.Resolve(&m).ok());
  ASSERT_EQ(src.asked.size(), 3u);
  EXPECT_EQ(src.asked[2], (std::vector<std::string>{"s2"}));
  EXPECT_EQ(m.recipients(0).phone(), "13900000022");
  EXPECT_EQ(book.stats().refreshed.load(), 1u);
}

TEST(ContactBook, ARunWhoseLookupFailsChangesNothingAndEachMessageAsksAgain) {
  FakeSource src;
  src.phones = {{"s1", "13900000001"}};
  src.down = true;
  ContactBook book(&src);
  v1::Event e;
  e.set_seq(5);
  const auto n = To(5, {"s1"});
  EXPECT_EQ(book.Prefetch({&e, &e}, {&n}).code(), Code::kUnavailable);
  src.down = false;
  auto m = n;
  ASSERT_TRUE(book.Resolve(&m).ok());
  EXPECT_EQ(m.recipients(0).phone(), "13900000001");
  EXPECT_EQ(src.asked.size(), 2u);
}

TEST(ContactBook, WithoutASourceRecipientsKeepWhatTheyHave) {
  ContactBook book(nullptr);
  auto n = To(7, {"s1"});
  n.mutable_recipients(0)->set_phone("13700000000");
  ASSERT_TRUE(book.Resolve(&n).ok());
  EXPECT_EQ(n.recipients(0).phone(), "13700000000");
  EXPECT_FALSE(book.enabled());
}

}  // namespace
}  // namespace zhiban::plugin
