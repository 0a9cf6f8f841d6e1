// Notifiers look contacts up with their own key (issue 35, docs/PROTOCOL.md
// "Contacts"): the real zhiband under CURVE, the real zhiban-notify-sms with
// a plugin key and the local provider servers. A number changed by `staff
// update` is the one the next message goes to; a key without the plugin role
// learns no number and sends nothing; every lookup is in the audit log under
// the plugin's key with the event it served.
#include <signal.h>

#include <fstream>
#include <iterator>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/ctl_expect.h"
#include "tests/support/process.h"
#include "tests/support/providers.h"

namespace zhiban::test {
namespace {

using namespace std::chrono_literals;

double Metric(int port, const std::string& name) {
  auto [code, body] = HttpGet(fmt::format("127.0.0.1:{}", port), "/metrics");
  if (code != 200) return -1;
  for (size_t at = 0; (at = body.find(name, at)) != std::string::npos; ++at) {
    if (at == 0 || body[at - 1] == '\n') {
      return std::stod(body.substr(body.find(' ', at + name.size()) + 1));
    }
  }
  return -1;
}

// An SMS notifier of key `key` (made by `zhibanctl key create`), on zhiband's
// CURVE endpoints, telling each staff member added or updated.
std::string SmsConfig(DaemonFixture& d, const std::string& dir, const std::string& key,
                      const std::string& provider, int metrics) {
  return fmt::format(R"(
[bus]
pub = "{}"
replay = "{}"
ctl = "{}"
key = "{}/{}.key"
server_key = "{}/zhiband.pub"
start = "beginning"
[state]
dir = "{}/state-{}"
[retry]
initial_backoff_ms = 20
max_backoff_ms = 100
max_attempts = 3
[quiet_hours]
start = "00:00"
end = "00:00"
[metrics]
listen = "127.0.0.1:{}"
[sms]
provider = "tencent"
endpoint = "{}"
host = "sms.tencentcloudapi.com"
secret_id = "AKIDtest"
secret_key = "tencent-secret"
app_id = "1400000001"
sign_name = "幸福街道"
[[route]]
name = "welcome"
topics = ["staff.added", "staff.updated"]
to = ["subject"]
template = "welcome"
[templates.welcome]
text = "{{staff.name}}，您已加入{{center_id}}值班队伍，请留意排班通知。"
sms_template = "2001234"
sms_params = ["name={{staff.name}}", "center={{center_id}}"]
)",
                     d.pub(), d.replay(), d.curve_ctl(), dir, key, d.data_dir(), dir, key, metrics,
                     provider);
}

TEST(Contacts, TheSmsNotifierLooksUpWithItsKeyAndSendsToTheNumberAsChanged) {
  DaemonFixture d({}, Transport::kCurve);
  d.Start();
  TempDir dir;
  FakeProviders fake(dir / "providers.log");
  ASSERT_TRUE(fake.started());
  CtlOk(d, {"center", "add", "--id", "street", "--name", "街道"});
  for (const char* key : {"sms", "nosy"}) {
    CtlOk(d, {"key", "create", key, "--role", std::string(key) == "sms" ? "plugin" : "viewer",
              "--out", dir / (std::string(key) + ".key")});
  }
  const int m_sms = FreeTcpPort(), m_nosy = FreeTcpPort();
  std::ofstream(dir / "sms.toml") << SmsConfig(d, dir.path().string(), "sms", fake.url("/"), m_sms);
  std::ofstream(dir / "nosy.toml")
      << SmsConfig(d, dir.path().string(), "nosy", fake.url("/"), m_nosy);
  Process sms({BinDir() + "/zhiban-notify-sms", "--config", dir / "sms.toml"}, dir / "sms.log");
  Process nosy({BinDir() + "/zhiban-notify-sms", "--config", dir / "nosy.toml"}, dir / "nosy.log");

  CtlOk(d, {"staff", "add", "--id", "s1", "--name", "李娜", "--center", "street", "--roles",
            "WORKER", "--phone", "13900000001"});
  ASSERT_TRUE(Eventually([&] { return fake.Sent().size() >= 1; })) << Slurp(dir / "sms.log");
  CtlOk(d, {"staff", "update", "--id", "s1", "--phone", "13900000002"});
  ASSERT_TRUE(Eventually([&] { return fake.Sent().size() >= 2; })) << Slurp(dir / "sms.log");
  // The viewer-keyed notifier was refused every lookup: its two messages
  // are dead letters, never sent to anyone.
  ASSERT_TRUE(Eventually([&] { return Metric(m_nosy, "zhiban_notify_dead_total") >= 2; }))
      << Slurp(dir / "nosy.log");
  const auto sent = fake.Sent();
  ASSERT_EQ(sent.size(), 2u) << sent.dump();
  EXPECT_EQ(sent[0]["phone"], "+8613900000001");  // E.164 for Tencent
  EXPECT_EQ(sent[1]["phone"], "+8613900000002");
  EXPECT_GE(Metric(m_sms, "zhiban_notify_contact_refreshes_total"), 1);
  EXPECT_NE(Slurp(dir / "nosy.log").find("PERMISSION_DENIED"), std::string::npos);

  // Each lookup is audited under the key that asked, with the event served.
  const auto audit = CtlJson(d, {"audit", "list", "--principal", "sms"});
  int lookups = 0;
  for (const auto& a : audit["records"]) {
    if (a["command"] != "contact_query") continue;
    ++lookups;
    EXPECT_EQ(a["code"], "ERROR_CODE_UNSPECIFIED");
    EXPECT_NE(a["target"].get<std::string>().find("s1 for event "), std::string::npos);
  }
  EXPECT_EQ(lookups, 2) << audit.dump();  // the update dropped the cached number
  const auto refused = CtlJson(d, {"audit", "list", "--principal", "nosy"});
  ASSERT_FALSE(refused["records"].empty());
  EXPECT_EQ(refused["records"][0]["code"], "PERMISSION_DENIED");
  sms.Signal(SIGTERM);
  nosy.Signal(SIGTERM);
  EXPECT_EQ(sms.Wait(), 0);
  EXPECT_EQ(nosy.Wait(), 0);
}

// A backlog (a notifier started after the events) is replayed in chunks;
// each chunk's people are looked up in one audited request naming the run of
// events, and each welcome still goes to the number zhiband has now — also
// for someone whose number changed inside the run.
TEST(Contacts, ABacklogIsLookedUpOnceAChunkAndSentToTheNumbersAsTheyAreNow) {
  DaemonFixture d({}, Transport::kCurve);
  d.Start();
  TempDir dir;
  FakeProviders fake(dir / "providers.log");
  ASSERT_TRUE(fake.started());
  CtlOk(d, {"center", "add", "--id", "street", "--name", "街道"});
  CtlOk(d, {"key", "create", "sms", "--role", "plugin", "--out", dir / "sms.key"});
  constexpr int kStaff = 40;
  std::string csv = "id,name,center_id,roles,phone\n";
  for (int i = 1; i <= kStaff; ++i) {
    csv += fmt::format("s{},员工{},street,WORKER,139{:08}\n", i, i, i);
  }
  std::ofstream(dir / "staff.csv") << csv;
  CtlOk(d, {"import", "staff", dir / "staff.csv"});
  CtlOk(d, {"staff", "update", "--id", "s7", "--phone", "13700000007"});
  const uint64_t last = d.LastSeq();  // s7's update; the 40 staff.added before it
  const int metrics = FreeTcpPort();
  std::ofstream(dir / "sms.toml") << SmsConfig(d, dir.path().string(), "sms", fake.url("/"),
                                               metrics);
  Process sms({BinDir() + "/zhiban-notify-sms", "--config", dir / "sms.toml"}, dir / "sms.log");
  // 40 welcomes for staff.added and one more for s7's staff.updated.
  ASSERT_TRUE(Eventually([&] { return fake.Sent().size() >= kStaff + 1; }))
      << Slurp(dir / "sms.log");
  int to_s7 = 0;
  for (const auto& m : fake.Sent()) {
    if (m["phone"] == "+8613900000007") ADD_FAILURE() << "sent to s7's old number";
    if (m["phone"] == "+8613700000007") ++to_s7;
  }
  EXPECT_EQ(to_s7, 2);
  EXPECT_GE(Metric(metrics, "zhiban_notify_contact_lookups_ahead_total"), 1);
  const auto audit =
      CtlJson(d, {"audit", "list", "--principal", "sms", "--command", "contact_query"});
  ASSERT_EQ(audit["records"].size(), 1u) << audit.dump();
  const std::string target = audit["records"][0]["target"];
  // 20 named and 20 more, for the events with welcomes (not center.added, key.created).
  EXPECT_NE(target.find(fmt::format(" +20 for events {}..{}", last - kStaff, last)),
            std::string::npos)
      << target;
  sms.Signal(SIGTERM);
  EXPECT_EQ(sms.Wait(), 0);
}

// The Python example asks the same query with its key (--ctl), and prints
// each person's channels as zhiband has them when it asks.
TEST(Contacts, ThePythonExampleLooksUpWithItsKey) {
  DaemonFixture d({}, Transport::kCurve);
  d.Start();
  CtlOk(d, {"key", "create", "py", "--role", "plugin", "--out", d.dir() / "py.key"});
  CtlOk(d, {"center", "add", "--id", "street", "--name", "街道"});
  CtlOk(d, {"staff", "add", "--id", "s1", "--name", "李娜", "--center", "street", "--roles",
            "WORKER", "--phone", "13900000001", "--wecom", "lina"});
  CtlOk(d, {"staff", "update", "--id", "s1", "--phone", "13900000002"});
  const auto last = CtlJson(d, {"status"})["last_seq"].get<std::string>();
  auto r =
      zhiban::test::Run({"/usr/bin/python3",
                         std::string(ZHIBAN_SOURCE_DIR) + "/plugins/examples/python/subscriber.py",
                         "--pub", d.pub(), "--replay", d.replay(), "--ctl", d.curve_ctl(), "--key",
                         d.dir() / "py.key", "--server-key", d.data_dir() + "/zhiband.pub",
                         "--cache", d.dir() / "py", "--topic", "staff.", "--until-seq", last});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("staff.updated"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  s1 李娜 13900000002 lina"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("13900000001"), std::string::npos) << r.out;
  const auto audit =
      CtlJson(d, {"audit", "list", "--principal", "py", "--command", "contact_query"});
  EXPECT_EQ(audit["records"].size(), 2u) << audit.dump();
}

}  // namespace
}  // namespace zhiban::test
