#include "daemon/app/config.h"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/process.h"
#include "tests/support/source.h"

namespace zhiban::app {
namespace {

std::string Write(const test::TempDir& dir, const std::string& text) {
  std::string path = dir / "zhiband.toml";
  std::ofstream(path) << text;
  return path;
}

TEST(Config, SampleConfigLoadsToTheDefaults) {
  test::TempDir dir;
  Config c;
  c.ctl_endpoint = "changed";
  ASSERT_TRUE(LoadConfigFile(Write(dir, SampleConfig()), &c).ok());
  EXPECT_EQ(c.ctl_endpoint, Config{}.ctl_endpoint);
}

TEST(Config, ShippedSampleMatchesTheKeyTable) {
  // ops/zhiband.toml is `zhiband --print-config`; keep it in step.
  std::ifstream f(std::string(ZHIBAN_SOURCE_DIR) + "/ops/zhiband.toml");
  ASSERT_TRUE(f.good());
  std::string shipped((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(shipped, SampleConfig());
}

TEST(Config, ReadsValues) {
  test::TempDir dir;
  Config c;
  ASSERT_TRUE(LoadConfigFile(Write(dir,
                                   "data_dir = \"/srv/zhiban\"\n[storage]\nsync = false\n"
                                   "[bus]\npub_hwm = 5000\n"),
                             &c)
                  .ok());
  EXPECT_EQ(c.data_dir, "/srv/zhiban");
  EXPECT_FALSE(c.storage_sync);
  EXPECT_EQ(c.pub_hwm, 5000);
}

TEST(Config, UnknownKeyNamesKeyAndLine) {
  test::TempDir dir;
  Config c;
  Status s =
      LoadConfigFile(Write(dir, "[ctl]\nendpoint = \"tcp://127.0.0.1:1\"\nendpont = \"x\"\n"), &c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("ctl.endpont"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(":3:"), std::string::npos) << s.message();
}

TEST(Config, WrongTypeIsRefused) {
  test::TempDir dir;
  Config c;
  Status s = LoadConfigFile(Write(dir, "[bus]\npub_hwm = \"lots\"\n"), &c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("must be an integer"), std::string::npos) << s.message();
  s = LoadConfigFile(Write(dir, "[bus\n"), &c);
  EXPECT_FALSE(s.ok());
}

}  // namespace
}  // namespace zhiban::app
