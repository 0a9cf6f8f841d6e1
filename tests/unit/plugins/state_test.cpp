// PluginState: the free-space guard (daemon/base/disk.h) on every write.
#include "plugins/sdk/state.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace zhiban::plugin {
namespace {

v1::Notification Note(const std::string& key, uint64_t seq) {
  v1::Notification n;
  n.set_key(key);
  n.set_seq(seq);
  n.set_text("值班提醒");
  return n;
}

TEST(PluginStateDisk, BelowTheReserveEveryWriteIsRefusedAndNothingChanges) {
  test::TempDir tmp;
  const std::string dir = tmp / "state";
  {
    auto state = PluginState::Open(dir, {.min_free_bytes = 0});
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    ASSERT_TRUE((*state)->StartAt(5).ok());
  }
  {
    auto state = PluginState::Open(dir, {.min_free_bytes = UINT64_MAX / 2});
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    PluginState& s = **state;
    Status begin = s.BeginSend(Note("e5/r", 5));
    ASSERT_FALSE(begin.ok());
    EXPECT_EQ(begin.code(), Code::kUnavailable);
    EXPECT_TRUE(IsNoRoomToWrite(begin)) << begin.message();
    EXPECT_NE(begin.message().find("the disk holding " + dir + " has "), std::string::npos)
        << begin.message();
    EXPECT_NE(begin.message().find("KiB free, under the "), std::string::npos) << begin.message();
    EXPECT_NE(begin.message().find("MiB the notifier keeps in reserve"), std::string::npos)
        << begin.message();

    Status advance = s.Advance(9);
    EXPECT_EQ(advance.code(), Code::kUnavailable);
    EXPECT_TRUE(IsNoRoomToWrite(advance));
    EXPECT_EQ(s.cursor(), 5u) << "a refused Advance leaves the cursor where it was";
    EXPECT_FALSE(s.MarkSent(Note("e5/r", 5), 5).ok());
    v1::Held h;
    *h.mutable_notification() = Note("e6/r", 6);
    EXPECT_FALSE(s.Hold(h).ok());
    EXPECT_FALSE(s.StartAt(1).ok());
    EXPECT_EQ(s.cursor(), 5u);
    EXPECT_EQ(s.write_refusals(), 5u);
  }
  // Reopened without the check: nothing of the refused writes is there.
  auto state = PluginState::Open(dir, {.min_free_bytes = 0});
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  PluginState& s = **state;
  EXPECT_EQ(s.cursor(), 5u);
  int inflight = 0;
  ASSERT_TRUE(s.ListInflight([&](const v1::Notification&) { ++inflight; }).ok());
  EXPECT_EQ(inflight, 0);
  EXPECT_FALSE(s.Settled("e5/r"));
  EXPECT_EQ(s.CountHeld(), 0u);
  // With 0 it writes.
  ASSERT_TRUE(s.BeginSend(Note("e5/r", 5)).ok());
  ASSERT_TRUE(s.ListInflight([&](const v1::Notification&) { ++inflight; }).ok());
  EXPECT_EQ(inflight, 1);
  ASSERT_TRUE(s.MarkSent(Note("e5/r", 5), 5).ok());
  EXPECT_TRUE(s.Sent("e5/r"));
  EXPECT_EQ(s.cursor(), 6u);
  ASSERT_TRUE(s.Advance(9).ok());
  EXPECT_EQ(s.cursor(), 10u);
  EXPECT_EQ(s.write_refusals(), 0u);
  // RocksDB's info log is not a file there: on a full disk its periodic flush
  // would fail, and the next log line abort the plugin.
  EXPECT_FALSE(std::filesystem::exists(dir + "/LOG"));
}

TEST(PluginStateDisk, TheDefaultReserveIsZhibands) {
  EXPECT_EQ(PluginState::Options().min_free_bytes, kMinFreeBytes);
  EXPECT_EQ(kMinFreeBytes, 64ull << 20);
}

}  // namespace
}  // namespace zhiban::plugin
