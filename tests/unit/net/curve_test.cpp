// CURVE key files and endpoint classes (daemon/net/curve.h).
#include <sys/stat.h>

#include <fstream>

#include <gtest/gtest.h>

#include "daemon/domain/access.h"
#include "daemon/net/curve.h"
#include "tests/support/process.h"

namespace zhiban::net {
namespace {

TEST(Curve, AKeyPairRoundTripsThroughItsFileWhichIsOwnerOnly) {
  test::TempDir dir;
  auto keys = NewCurveKeys();
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_TRUE(domain::IsZ85Key(keys->public_key));
  EXPECT_TRUE(domain::IsZ85Key(keys->secret_key));
  const std::string path = dir / "ops.key";
  ASSERT_TRUE(WriteKeyFile(path, *keys, "test").ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = ReadKeyFile(path, true);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->public_key, keys->public_key);
  EXPECT_EQ(back->secret_key, keys->secret_key);

  ::chmod(path.c_str(), 0644);
  auto loose = ReadKeyFile(path, true);
  ASSERT_FALSE(loose.ok());
  EXPECT_NE(loose.status().message().find("chmod 600"), std::string::npos)
      << loose.status().message();
}

TEST(Curve, APublicKeyFileIsNoClientKeyAndGarbageIsNoKey) {
  test::TempDir dir;
  auto keys = NewCurveKeys();
  ASSERT_TRUE(keys.ok());
  const std::string pub = dir / "zhiband.pub";
  ASSERT_TRUE(WriteKeyFile(pub, {keys->public_key, {}}, "server").ok());
  EXPECT_TRUE(ReadKeyFile(pub, false).ok());
  EXPECT_FALSE(ReadKeyFile(pub, true).ok());
  EXPECT_EQ(*ReadPublicKey(pub), keys->public_key);
  EXPECT_EQ(*ReadPublicKey(keys->public_key), keys->public_key) << "the 40 characters themselves";
  const std::string junk = dir / "junk";
  std::ofstream(junk) << "public-key = \"short\"\n";
  EXPECT_FALSE(ReadKeyFile(junk, false).ok());
  EXPECT_FALSE(ReadKeyFile(dir / "missing", false).ok());
  EXPECT_FALSE(ReadPublicKey("not-a-key").ok());
}

TEST(Curve, LocalEndpointsAreIpcAndLoopback) {
  EXPECT_TRUE(IsLocalEndpoint("ipc:///tmp/x.sock"));
  EXPECT_TRUE(IsLocalEndpoint("tcp://127.0.0.1:7600"));
  EXPECT_TRUE(IsLocalEndpoint("tcp://127.0.0.2:7600"));
  EXPECT_TRUE(IsLocalEndpoint("tcp://localhost:7600"));
  EXPECT_TRUE(IsLocalEndpoint("tcp://[::1]:7600"));
  EXPECT_FALSE(IsLocalEndpoint("tcp://0.0.0.0:7600"));
  EXPECT_FALSE(IsLocalEndpoint("tcp://*:7600"));
  EXPECT_FALSE(IsLocalEndpoint("tcp://10.0.0.5:7600"));
  EXPECT_FALSE(IsLocalEndpoint("tcp://[::]:7600"));
  EXPECT_FALSE(IsLocalEndpoint("tcp://eth0:7600"));
  EXPECT_TRUE(IsIpcEndpoint("ipc://x"));
  EXPECT_FALSE(IsIpcEndpoint("tcp://127.0.0.1:1"));
}

}  // namespace
}  // namespace zhiban::net
