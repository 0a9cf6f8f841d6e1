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

// Each key's values are declared with it: a value out of range, or a string
// not of its key's form, is refused naming the key, the value and what it
// takes; the defaults all pass.
TEST(Config, ValuesOutsideWhatTheirKeyTakesAreRefusedNamingIt) {
  EXPECT_TRUE(ValidateConfig(Config{}).ok()) << ValidateConfig(Config{}).ToString();
  auto refused = [](auto change) {
    Config c;
    change(c);
    return ValidateConfig(c).ToString();
  };
  EXPECT_EQ(refused([](Config& c) { c.heartbeat_ms = -5; }),
            "INVALID_ARGUMENT: bus.heartbeat_ms: bus.heartbeat_ms: -5 is outside 10..60000");
  EXPECT_NE(refused([](Config& c) { c.visits_accept_minutes = 0; }).find("1..1440"),
            std::string::npos);
  EXPECT_NE(refused([](Config& c) { c.rota_timer_batch = 0; }).find("rota.timer_batch"),
            std::string::npos);
  EXPECT_NE(refused([](Config& c) { c.rota_reminder_eve = "25:00"; }).find("is not a time HH:MM"),
            std::string::npos);
  EXPECT_NE(refused([](Config& c) { c.clock = "simulated:yesterday"; }).find("clock"),
            std::string::npos);
  EXPECT_NE(refused([](Config& c) { c.clock = "fast"; }).find("neither"), std::string::npos);
  EXPECT_NE(refused([](Config& c) { c.log_level = "loud"; }).find("log.level"), std::string::npos);
  EXPECT_NE(refused([](Config& c) { c.ctl_max_message_bytes = 2048; }).find("smaller than"),
            std::string::npos);
  Config edge;
  edge.heartbeat_ms = 10;
  edge.rota_reminder_eve = "23:59";
  edge.clock = "simulated:2026-12-06T20:00:00+08:00";
  EXPECT_TRUE(ValidateConfig(edge).ok()) << ValidateConfig(edge).ToString();
}

TEST(Config, TheSampleSaysEachIntegersRange) {
  const std::string sample = SampleConfig();
  EXPECT_NE(sample.find("# From 10 to 60000.\nheartbeat_ms = 1000\n"), std::string::npos);
  EXPECT_NE(sample.find("# From 1 to 1440.\naccept_minutes = 15\n"), std::string::npos);
}

TEST(Config, LocalMinutes) {
  EXPECT_EQ(*ParseLocalMinute("20:00"), 1200u);
  EXPECT_EQ(*ParseLocalMinute("00:00"), 0u);
  for (const char* bad : {"24:00", "2000", "20:0", "20:60", "", "ab:cd", "-1:00"})
    EXPECT_FALSE(ParseLocalMinute(bad).ok()) << bad;
}

}  // namespace
}  // namespace zhiban::app
