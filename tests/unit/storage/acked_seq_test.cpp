// ACKED_SEQ and its copy (issue 37): one gone is rewritten from the other,
// both gone on a store that kept them is refused, a data dir of an older
// zhiband adopts them, and bad bytes are refused quoted escaped.
#include "daemon/storage/acked_seq.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace zhiban::storage {
namespace {

namespace fs = std::filesystem;

uint64_t Read(const fs::path& p) {
  std::ifstream in(p);
  uint64_t v = 0;
  in >> v;
  return v;
}

TEST(AckedSeqTest, TwoCopiesGuardEachOther) {
  test::TempDir dir;
  const fs::path file = fs::path(dir.path()) / AckedSeq::kFile;
  const fs::path copy = fs::path(dir.path()) / AckedSeq::kCopy;
  {
    auto a = AckedSeq::Open(dir.path().string(), 0, true);
    ASSERT_TRUE(a.ok()) << a.status().message();
    EXPECT_EQ((*a)->value(), 0u);
    ASSERT_TRUE((*a)->Record(41).ok());
  }
  EXPECT_EQ(Read(file), 41u);
  EXPECT_EQ(Read(copy), 41u);

  fs::remove(copy);
  std::string said;
  auto a = AckedSeq::Open(dir.path().string(), 41, true, &said);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->value(), 41u);
  EXPECT_NE(said.find("missing or empty"), std::string::npos) << said;
  a->reset();
  EXPECT_EQ(Read(copy), 41u);

  std::ofstream(copy, std::ios::trunc) << "40\n";  // a crash between the two writes
  a = AckedSeq::Open(dir.path().string(), 41, true, &said);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->value(), 41u);
  EXPECT_NE(said.find("behind (seq 40)"), std::string::npos) << said;
  a->reset();

  fs::remove(file);
  fs::remove(copy);
  a = AckedSeq::Open(dir.path().string(), 41, /*kept=*/true);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("both missing or empty"), std::string::npos);
  EXPECT_FALSE(fs::exists(file));
  said.clear();
  a = AckedSeq::Open(dir.path().string(), 41, /*kept=*/false, &said);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ((*a)->value(), 41u);
  EXPECT_NE(said.find("older zhiband"), std::string::npos) << said;
}

TEST(AckedSeqTest, ContentThatIsNotASeqIsRefusedEscaped) {
  test::TempDir dir;
  const fs::path file = fs::path(dir.path()) / AckedSeq::kFile;
  for (const char* bad : {" -1\n", "\x1b[2J12\xff", "18446744073709551615\n", "12abc", "x"}) {
    std::ofstream(file, std::ios::trunc) << bad;
    auto a = AckedSeq::Open(dir.path().string(), 5, true);
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_NE(a.status().message().find("is not a seq"), std::string::npos);
    EXPECT_EQ(a.status().message().find('\x1b'), std::string::npos);
  }
}

}  // namespace
}  // namespace zhiban::storage
