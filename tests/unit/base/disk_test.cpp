// The free-space guard zhiband's store and every notifier's state share.
#include "daemon/base/disk.h"

#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace zhiban {
namespace {

TEST(Disk, FreeBytesOfATempDirIsSomethingAndOfNoDirAnErrorNamingIt) {
  test::TempDir dir;
  auto free = FreeBytes(dir.path().string());
  ASSERT_TRUE(free.ok()) << free.status().ToString();
  EXPECT_GT(*free, 0u);
  auto none = FreeBytes(dir / "absent");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), Code::kUnavailable);
  EXPECT_NE(none.status().message().find(dir / "absent"), std::string::npos)
      << none.status().message();
}

TEST(Disk, AWriteThatWouldEatIntoTheReserveIsRefusedInZhibandsWords) {
  test::TempDir dir;
  const std::string d = dir.path().string();
  auto free = FreeBytes(d);
  ASSERT_TRUE(free.ok());
  EXPECT_TRUE(CheckRoomToWrite(d, 0, UINT64_MAX, "zhiband").ok()) << "0: no check";
  EXPECT_TRUE(CheckRoomToWrite(d, 1, 0, "zhiband").ok());

  Status s = CheckRoomToWrite(d, *free + (1ull << 30), 0, "zhiband");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_TRUE(IsNoRoomToWrite(s));
  EXPECT_TRUE(s.message().starts_with("No space left on device: the disk holding " + d + " has "))
      << s.message();
  EXPECT_NE(s.message().find("MiB zhiband keeps in reserve; writes resume by themselves once "
                             "there is room"),
            std::string::npos)
      << s.message();
  // The reserve counts the write itself, and a reserve near UINT64_MAX does not wrap.
  EXPECT_FALSE(CheckRoomToWrite(d, 1, UINT64_MAX - 1, "zhiband").ok());
  EXPECT_FALSE(CheckRoomToWrite(d, UINT64_MAX, UINT64_MAX, "zhiband").ok());

  EXPECT_FALSE(IsNoRoomToWrite(Status::Unavailable("plugin state: writing: IO error")));
  EXPECT_FALSE(IsNoRoomToWrite(Status::Ok()));
}

}  // namespace
}  // namespace zhiban
