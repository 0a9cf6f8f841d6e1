#include "daemon/storage/cipher.h"

#include <sys/stat.h>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace zhiban::storage {
namespace {

TEST(Cipher, SealOpensWithTheSameKeyAndContext) {
  const Key k = RandomKey();
  const std::string sealed = Seal(k, "13800138000", "resident/R1");
  EXPECT_EQ(sealed.find("13800138000"), std::string::npos);
  auto plain = Unseal(k, sealed, "resident/R1", "resident.sealed");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(*plain, "13800138000");
  // A fresh nonce each time: the same text never seals to the same bytes.
  EXPECT_NE(Seal(k, "13800138000", "resident/R1"), sealed);
}

TEST(Cipher, WrongKeyTamperOrContextIsAnErrorNamingTheField) {
  const Key k = RandomKey();
  std::string sealed = Seal(k, "110101194001011234", "resident/R1");
  auto wrong = Unseal(RandomKey(), sealed, "resident/R1", "resident.sealed");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().field(), "resident.sealed");
  EXPECT_NE(wrong.status().message().find("resident/R1"), std::string::npos);
  EXPECT_NE(wrong.status().message().find("wrong key"), std::string::npos);

  auto moved = Unseal(k, sealed, "resident/R2", "resident.sealed");
  EXPECT_FALSE(moved.ok());

  sealed[sealed.size() / 2] ^= 1;
  auto tampered = Unseal(k, sealed, "resident/R1", "resident.sealed");
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(tampered.status().field(), "resident.sealed");

  auto cut = Unseal(k, "\x01short", "resident/R1", "visit.sealed");
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().field(), "visit.sealed");
}

TEST(Cipher, MasterKeyFileMustBeTheOwnersOnly) {
  test::TempDir dir;
  const std::string path = dir / "keys/master.key";
  auto made = CreateMasterKey(path);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(CreateMasterKey(path).ok());  // never over an existing key
  auto read = ReadMasterKey(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, *made);

  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  auto open = ReadMasterKey(path);
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.status().field(), "personal_data.master_key_file");
  EXPECT_NE(open.status().message().find("chmod 600"), std::string::npos);

  const std::string short_file = dir / "short.key";
  std::ofstream(short_file) << "not 32 bytes";
  ASSERT_EQ(::chmod(short_file.c_str(), 0600), 0);
  EXPECT_FALSE(ReadMasterKey(short_file).ok());
}

TEST(KeyStore, KeysSurviveReopenAndAnErasureIsFinal) {
  test::TempDir dir;
  const Key master = RandomKey();
  Key k1;
  {
    auto ks = KeyStore::Open(dir / "keys", master, true);
    ASSERT_TRUE(ks.ok()) << ks.status().ToString();
    k1 = (*ks)->Ensure("R1");
    (*ks)->Ensure("R2");
    EXPECT_EQ((*ks)->Ensure("R1"), k1);
    ASSERT_TRUE((*ks)->CommitPending().ok());
  }
  {
    auto ks = KeyStore::Open(dir / "keys", master, true);
    ASSERT_TRUE(ks.ok()) << ks.status().ToString();
    Key found;
    ASSERT_TRUE((*ks)->Find("R1", &found));
    EXPECT_EQ(found, k1);
    EXPECT_EQ((*ks)->size(), 2u);
    ASSERT_TRUE((*ks)->Erase("R1").ok());
    EXPECT_FALSE((*ks)->Find("R1", &found));
    EXPECT_EQ((*ks)->Has("R1"), KeyStore::Holds::kErased);
    EXPECT_EQ((*ks)->Has("R9"), KeyStore::Holds::kNone);
  }
  {
    auto ks = KeyStore::Open(dir / "keys", master, true);
    ASSERT_TRUE(ks.ok());
    EXPECT_EQ((*ks)->Has("R1"), KeyStore::Holds::kErased);
    EXPECT_EQ((*ks)->Has("R2"), KeyStore::Holds::kKey);
  }
  auto other = KeyStore::Open(dir / "keys", RandomKey(), true);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().field(), "personal_data.master_key_file");
}

TEST(KeyStore, RewrapMovesEveryKeyToTheNewMaster) {
  test::TempDir dir;
  const Key old_master = RandomKey(), next = RandomKey();
  Key k1;
  {
    auto ks = KeyStore::Open(dir / "keys", old_master, true);
    ASSERT_TRUE(ks.ok());
    k1 = (*ks)->Ensure("R1");
    ASSERT_TRUE((*ks)->Rewrap(next).ok());  // commits the pending key first
    (*ks)->Ensure("R2");                    // wrapped under the new master
    ASSERT_TRUE((*ks)->CommitPending().ok());
  }
  EXPECT_FALSE(KeyStore::Open(dir / "keys", old_master, true).ok());
  auto ks = KeyStore::Open(dir / "keys", next, true);
  ASSERT_TRUE(ks.ok()) << ks.status().ToString();
  Key found;
  ASSERT_TRUE((*ks)->Find("R1", &found));
  EXPECT_EQ(found, k1);
  EXPECT_EQ((*ks)->Has("R2"), KeyStore::Holds::kKey);
}

}  // namespace
}  // namespace zhiban::storage
