// The SMS and WeCom notifier processes end to end: the real zhiband, the real
// plugin binaries, and local provider servers (tests/providers/fake_providers.py)
// that verify request signatures and answer with the documented codes.
#include <signal.h>

#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/providers.h"
#include "tests/support/source.h"

namespace zhiban::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// A Prometheus sample's value from plugin /metrics (-1 when absent).
double Metric(const std::string& addr, const std::string& prefix) {
  auto [code, body] = HttpGet(addr, "/metrics");
  if (code != 200) return -1;
  for (size_t at = 0; (at = body.find(prefix, at)) != std::string::npos; ++at) {
    if (at == 0 || body[at - 1] == '\n')
      return std::stod(body.substr(body.find(' ', at + prefix.size()) + 1));
  }
  return -1;
}

struct Plugin {
  std::string binary, config, log;
  std::unique_ptr<Process> process;
  void Start() {
    process = std::make_unique<Process>(
        std::vector<std::string>{BinDir() + "/" + binary, "--config", config}, log);
  }
  RunResult Tool(std::vector<std::string> args) {
    std::vector<std::string> argv = {BinDir() + "/" + binary, "--config", config};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::Run(argv);
  }
};

// The shared part of a plugin config: bus, state, fast retries, no quiet hours, metrics.
std::string Common(DaemonFixture& d, const TempDir& dir, int metrics_port) {
  return fmt::format(R"(
[bus]
pub = "{}"
replay = "{}"
start = "beginning"
[state]
dir = "{}"
[retry]
initial_backoff_ms = 20
max_backoff_ms = 200
max_attempts = 8
[quiet_hours]
start = "00:00"
end = "00:00"
[metrics]
listen = "127.0.0.1:{}"
)",
                     d.pub(), d.replay(), dir / "state", metrics_port);
}

void ImportStaff(DaemonFixture& d, const TempDir& dir,
                 const std::vector<std::pair<std::string, std::string>>& rows) {
  std::string csv = "id,name,center_id,phone,wecom_user_id,roles\n";
  for (const auto& [id, phone] : rows)
    csv += fmt::format("{},员工{},street,{},wx-{},WORKER\n", id, id, phone, id);
  std::ofstream(dir / "staff.csv") << csv;
  ASSERT_EQ(d.Ctl({"import", "staff", dir / "staff.csv"}).exit_code, 0);
}

TEST(FakeProviders, SignaturesMatchTheDocumentedExamples) {
  auto r = test::Run({"/usr/bin/python3",
                      std::string(ZHIBAN_SOURCE_DIR) + "/tests/providers/fake_providers.py",
                      "--selftest"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(NotifySms, TencentKilledMidStreamSendsEachSmsOnceWithRetriesAndDeadLetters) {
  DaemonFixture d;
  d.Start();
  TempDir dir;
  FakeProviders fake(dir / "providers.log");
  ASSERT_TRUE(fake.started());
  // "timeout": the provider takes the SMS but its reply comes after the
  // plugin's 400 ms timeout; the plugin must find it sent, not send it twice.
  ASSERT_TRUE(fake.Control(
      {{"delay_ms", 25},
       {"fail", {{"tencent", {"InternalError", "http500", "timeout", "RequestLimitExceeded"}}}}}));
  ASSERT_EQ(d.Ctl({"center", "add", "--id", "street", "--name", "街道"}).exit_code, 0);
  const int metrics = FreeTcpPort();
  Plugin p{"zhiban-notify-sms", dir / "sms.toml", dir / "sms.log"};
  std::ofstream(p.config) << Common(d, dir, metrics)
                          << fmt::format(R"(
[sms]
provider = "tencent"
endpoint = "{}"
host = "sms.tencentcloudapi.com"
secret_id = "AKIDtest"
secret_key_file = "{}"
app_id = "1400000001"
sign_name = "幸福街道"
timeout_ms = 400
)",
                                         fake.url("/"), dir / "key")
                          << kWelcomeSmsRoute;
  std::ofstream(dir / "key") << "tencent-secret\n";
  p.Start();

  std::vector<std::pair<std::string, std::string>> rows;
  for (int i = 0; i < 80; ++i)
    rows.emplace_back(fmt::format("s{:02}", i), fmt::format("139{:08}", 10000001 + i));
  rows.emplace_back("limited",
                    "13900000000");  // ends 0000: the provider's daily limit for that number
  ImportStaff(d, dir, rows);
  const uint64_t last = d.LastSeq();

  ASSERT_TRUE(Eventually([&] { return fake.Sent().size() >= 15; }));
  p.process->Signal(SIGKILL);  // mid-stream, most likely inside a request
  p.process->Wait();
  const size_t at_kill = fake.Sent().size();
  ASSERT_LT(at_kill, rows.size() - 1) << "the kill must land mid-stream";
  p.Start();
  ASSERT_TRUE(Eventually([&] {
    return Metric(fmt::format("127.0.0.1:{}", metrics), "zhiban_notify_cursor") == double(last + 1);
  })) << "cursor "
      << Metric(fmt::format("127.0.0.1:{}", metrics), "zhiban_notify_cursor") << " want "
      << last + 1;

  // Every SMS once, none twice, the signatures all good.
  std::map<std::string, int> per_phone;
  for (const auto& m : fake.Sent()) {
    ++per_phone[m["phone"].get<std::string>()];
    EXPECT_EQ(m["sign"], "幸福街道");
    EXPECT_EQ(m["template"], "2001234");
    EXPECT_EQ(m["params"][1], "street");
    EXPECT_TRUE(m["key"].get<std::string>().ends_with("/welcome/" +
                                                      m["params"][0].get<std::string>().substr(6)))
        << m.dump();
  }
  EXPECT_EQ(per_phone.size(), rows.size() - 1);
  for (const auto& [phone, n] : per_phone) EXPECT_EQ(n, 1) << phone << " sent " << n << " times";
  EXPECT_EQ(fake.Stats()["bad_signature"], 0);
  const std::string m = fmt::format("127.0.0.1:{}", metrics);
  EXPECT_GE(Metric(m, "zhiban_notify_sms_segments_total"), 1.0);  // after the restart
  EXPECT_EQ(Metric(m, "zhiban_notify_uncertain_total"), 0.0);
  RecordProperty("sent_at_kill", static_cast<int>(at_kill));
  RecordProperty("reconciled_after_kill",
                 static_cast<int>(Metric(m, "zhiban_notify_reconciled_total")));
  p.process->Signal(SIGTERM);
  EXPECT_EQ(p.process->Wait(), 0);

  auto dead = p.Tool({"dead", "list"});
  ASSERT_EQ(dead.exit_code, 0) << dead.err;
  EXPECT_NE(dead.out.find("/welcome/limited"), std::string::npos) << dead.out;
  EXPECT_NE(dead.out.find("LimitExceeded.PhoneNumberDailyLimit"), std::string::npos) << dead.out;
  EXPECT_NE(dead.out.find("attempts 1"), std::string::npos)
      << "a per-number limit is not retried: " << dead.out;
  const std::string key = dead.out.substr(0, dead.out.find("  "));
  auto redrive = p.Tool({"dead", "redrive", "--id", key});
  EXPECT_EQ(redrive.exit_code, 1);  // still limited: it stays dead
  EXPECT_NE(redrive.err.find("LimitExceeded.PhoneNumberDailyLimit"), std::string::npos)
      << redrive.err;
  EXPECT_EQ(d.Stop(), 0);
}

TEST(NotifySms, AlibabaNamedParamsThrottlingRetriedIllegalNumberDeadLetteredAndRedriven) {
  DaemonFixture d;
  d.Start();
  TempDir dir;
  FakeProviders fake(dir / "providers.log");
  ASSERT_TRUE(fake.started());
  ASSERT_TRUE(fake.Control({{"fail", {{"alibaba", {"Throttling.User", "http500"}}}}}));
  ASSERT_EQ(d.Ctl({"center", "add", "--id", "street", "--name", "街道"}).exit_code, 0);
  const int metrics = FreeTcpPort();
  Plugin p{"zhiban-notify-sms", dir / "sms.toml", dir / "sms.log"};
  std::ofstream(p.config) << Common(d, dir, metrics)
                          << fmt::format(R"(
[sms]
provider = "alibaba"
endpoint = "{}"
secret_id = "LTAItest"
secret_key_env = "ZHIBAN_TEST_ALIBABA_SECRET"
sign_name = "幸福街道"
)",
                                         fake.url("/alibaba/"))
                          << kWelcomeSmsRoute;
  setenv("ZHIBAN_TEST_ALIBABA_SECRET", "alibaba-secret", 1);
  p.Start();
  ImportStaff(
      d, dir,
      {{"a", "13900000001"}, {"b", "13900000002"}, {"bad", "13900009999"}, {"c", "13900000003"}});
  ASSERT_TRUE(Eventually([&] { return fake.Sent().size() == 3; })) << fake.Sent().dump();
  ASSERT_TRUE(Eventually([&] {
    return Metric(fmt::format("127.0.0.1:{}", metrics), "zhiban_notify_dead_letters") == 1;
  }));
  const auto sent = fake.Sent();
  EXPECT_EQ(sent[0]["phone"], "13900000001");
  EXPECT_EQ(sent[0]["params"], (json{{"name", "员工a"}, {"center", "street"}}));
  EXPECT_TRUE(sent[0]["key"].get<std::string>().ends_with("/welcome/a"));
  EXPECT_GE(Metric(fmt::format("127.0.0.1:{}", metrics), "zhiban_notify_retries_total"), 2.0);
  p.process->Signal(SIGTERM);
  EXPECT_EQ(p.process->Wait(), 0);

  auto dead = p.Tool({"dead", "list"});
  EXPECT_NE(dead.out.find("isv.MOBILE_NUMBER_ILLEGAL"), std::string::npos) << dead.out;
  // The provider refuses that number for good: a re-drive fails and keeps the letter.
  EXPECT_EQ(p.Tool({"dead", "redrive", "--id", dead.out.substr(0, dead.out.find("  "))}).exit_code,
            1);

  // A wrong secret is refused by the provider's signature check: dead, not retried forever.
  setenv("ZHIBAN_TEST_ALIBABA_SECRET", "wrong", 1);
  ImportStaff(d, dir, {{"d", "13900000004"}});
  p.Start();
  ASSERT_TRUE(Eventually([&] {
    return Metric(fmt::format("127.0.0.1:{}", metrics), "zhiban_notify_dead_letters") == 2;
  }));
  EXPECT_GE(fake.Stats()["bad_signature"].get<int>(), 1);
  p.process->Signal(SIGTERM);
  EXPECT_EQ(p.process->Wait(), 0);
  dead = p.Tool({"dead", "list"});
  EXPECT_NE(dead.out.find("SignatureDoesNotMatch"), std::string::npos) << dead.out;
  // Fixed: re-drive sends it.
  setenv("ZHIBAN_TEST_ALIBABA_SECRET", "alibaba-secret", 1);
  std::string key;
  for (std::istringstream lines(dead.out); std::getline(lines, key);) {
    if (key.find("SignatureDoesNotMatch") != std::string::npos) break;
  }
  key = key.substr(0, key.find("  "));
  auto r = p.Tool({"dead", "redrive", "--id", key});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fake.Sent().size(), 4u);
  EXPECT_EQ(fake.Sent()[3]["phone"], "13900000004");
  EXPECT_EQ(d.Stop(), 0);
}

TEST(NotifySms, MissingTemplateParameterIsAStartUpError) {
  DaemonFixture d;
  TempDir dir;
  Plugin p{"zhiban-notify-sms", dir / "sms.toml", dir / "sms.log"};
  std::string routes = kWelcomeSmsRoute;
  routes.replace(routes.find("{center_id}\"]"), 11, "{centre}");
  std::ofstream(p.config) << Common(d, dir, FreeTcpPort()) << R"(
[sms]
provider = "tencent"
secret_id = "x"
secret_key = "y"
app_id = "1"
sign_name = "幸福街道"
)" << routes;
  auto r = p.Tool({"check"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("parameter {centre} is not a field of staff.added"), std::string::npos)
      << r.err;
}

TEST(NotifyWecom, RobotRateLimitBacksOffAndMentionsTheStaff) {
  DaemonFixture d;
  d.Start();
  TempDir dir;
  FakeProviders fake(dir / "providers.log", {"--robot-limit", "5", "--robot-window", "1.5"});
  ASSERT_TRUE(fake.started());
  ASSERT_TRUE(fake.Control({{"fail", {{"wecom", {"-1"}}}}}));
  ASSERT_EQ(d.Ctl({"center", "add", "--id", "street", "--name", "街道"}).exit_code, 0);
  const int metrics = FreeTcpPort();
  Plugin p{"zhiban-notify-wecom", dir / "wecom.toml", dir / "wecom.log"};
  std::ofstream(p.config) << Common(d, dir, metrics)
                          << fmt::format(R"(
[rate_limit]
per_minute = 6000
[wecom]
mode = "robot"
endpoint = "{}"
key = "robot-key"
rate_limit_wait_ms = 500
[[route]]
topics = ["staff.added"]
to = ["subject"]
template = "t"
[templates.t]
text = "新同事{{staff.name}}加入{{center_id}}"
)",
                                         fake.url(""));
  p.Start();
  std::vector<std::pair<std::string, std::string>> rows;
  for (int i = 0; i < 12; ++i)
    rows.emplace_back(fmt::format("r{}", i), fmt::format("139{:08}", 20000001 + i));
  ImportStaff(d, dir, rows);
  ASSERT_TRUE(Eventually([&] { return fake.Sent().size() == rows.size(); })) << fake.Sent().size();
  const auto sent = fake.Sent();
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(sent[i]["content"],
              fmt::format("新同事员工{}加入street", rows[i].first));  // in order
    EXPECT_EQ(sent[i]["mentioned_mobile_list"], json::array({rows[i].second}));
  }
  EXPECT_GE(fake.Stats()["rate_limited"].get<int>(), 1) << "the robot's limit must have been hit";
  EXPECT_GE(Metric(fmt::format("127.0.0.1:{}", metrics), "zhiban_notify_retries_total"), 2.0);
  p.process->Signal(SIGTERM);
  EXPECT_EQ(p.process->Wait(), 0);
  EXPECT_EQ(d.Stop(), 0);
}

TEST(NotifyWecom, AppRefreshesAnExpiredTokenAndSendsPastUnknownUsers) {
  DaemonFixture d;
  d.Start();
  TempDir dir;
  FakeProviders fake(dir / "providers.log");
  ASSERT_TRUE(fake.started());
  ASSERT_EQ(d.Ctl({"center", "add", "--id", "street", "--name", "街道"}).exit_code, 0);
  const int metrics = FreeTcpPort();
  const std::string m = fmt::format("127.0.0.1:{}", metrics);
  Plugin p{"zhiban-notify-wecom", dir / "wecom.toml", dir / "wecom.log"};
  std::ofstream(p.config) << Common(d, dir, metrics)
                          << fmt::format(R"(
[wecom]
mode = "app"
endpoint = "{}"
corp_id = "wwcorp"
corp_secret = "corp-secret"
agent_id = 1000002
[groups.duty]
members = [{{ name = "值班组", wecom_user_id = "duty-lead" }}, {{ name = "离职", wecom_user_id = "unknown-1" }}]
[[route]]
topics = ["staff.added"]
to = ["subject", "group:duty"]
template = "t"
[templates.t]
text = "{{staff.name}}加入{{center_id}}"
)",
                                         fake.url(""));
  p.Start();
  ImportStaff(d, dir, {{"a", ""}, {"b", ""}});
  ASSERT_TRUE(Eventually([&] { return fake.Sent().size() == 2; }));
  ASSERT_TRUE(fake.Control({{"expire_tokens", true}}));
  ImportStaff(d, dir, {{"c", ""}, {"d", ""}});
  ASSERT_TRUE(Eventually([&] { return fake.Sent().size() == 4; }));
  const auto sent = fake.Sent();
  EXPECT_EQ(sent[2]["touser"],
            json::array({"wx-c", "duty-lead"}));  // unknown-1 reported invalid, others sent
  EXPECT_EQ(Metric(m, "zhiban_notify_wecom_token_fetches_total"), 2.0);
  EXPECT_GE(Metric(m, "zhiban_notify_wecom_invalid_users_total"), 4.0);
  p.process->Signal(SIGTERM);
  EXPECT_EQ(p.process->Wait(), 0);
  EXPECT_EQ(d.Stop(), 0);
}

// HH:MM:SS in Asia/Shanghai (UTC+8), `offset` from now.
std::string ShanghaiClock(std::chrono::seconds offset) {
  const std::time_t t =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + offset + 8h);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

TEST(NotifyQuietHours, NonUrgentHeldThenSentUrgentNeverHeld) {
  DaemonFixture d;
  d.Start();
  TempDir dir;
  ASSERT_EQ(d.Ctl({"center", "add", "--id", "street", "--name", "街道"}).exit_code, 0);
  const std::string out = dir / "out.txt";
  const std::string config = dir / "console.toml";
  // Quiet from a minute ago until 6 s from now.
  const auto hold = 6s;
  std::ofstream(config) << fmt::format(R"(
[bus]
pub = "{}"
replay = "{}"
start = "beginning"
[state]
dir = "{}"
[quiet_hours]
start = "{}"
end = "{}"
[[route]]
name = "welcome"
topics = ["staff.added"]
to = ["subject"]
template = "welcome"
[[route]]
name = "changed"
topics = ["staff.updated"]
to = ["subject"]
template = "changed"
urgent = true
[templates.welcome]
text = "欢迎{{staff.name}}"
[templates.changed]
text = "{{staff.name}}的信息已更新"
)",
                                       d.pub(), d.replay(), dir / "state", ShanghaiClock(-60s),
                                       ShanghaiClock(hold));
  const auto started = std::chrono::steady_clock::now();
  Process plugin({BinDir() + "/zhiban-notify-console", "--config", config, "--out", out},
                 dir / "console.log");
  ImportStaff(d, dir, {{"a", "13900000001"}});
  ASSERT_EQ(d.Ctl({"staff", "update", "--id", "a", "--name", "阿明"}).exit_code, 0);
  auto text = [&] {
    std::ifstream f(out);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  };
  ASSERT_TRUE(Eventually([&] { return text().find("阿明的信息已更新") != std::string::npos; }, 20s))
      << text();
  if (std::chrono::steady_clock::now() - started < hold - 1s) {
    EXPECT_EQ(text().find("欢迎"), std::string::npos)
        << "a non-urgent notification went out in quiet hours";
  }
  ASSERT_TRUE(Eventually([&] { return text().find("欢迎员工a") != std::string::npos; }, 30s))
      << text();
  EXPECT_GE(std::chrono::steady_clock::now() - started, hold - 1s)
      << "released before the hold ended";
  // Held then released: the welcome comes after the urgent update.
  EXPECT_LT(text().find("阿明的信息已更新"), text().find("欢迎员工a"));
  plugin.Signal(SIGTERM);
  EXPECT_EQ(plugin.Wait(), 0);
  EXPECT_EQ(d.Stop(), 0);
}

// plugins/examples/python follows PROTOCOL.md from another language: every
// event once, in order, and it resumes from its cursor file.
TEST(PythonExample, FollowsTheBusAndResumesFromItsCursor) {
  DaemonFixture d;
  d.Start();
  TempDir dir;
  ASSERT_EQ(d.Ctl({"center", "add", "--id", "street", "--name", "街道"}).exit_code, 0);
  const std::string script =
      std::string(ZHIBAN_SOURCE_DIR) + "/plugins/examples/python/subscriber.py";
  const std::string out = dir / "out.txt";
  auto start = [&](uint64_t until) {
    return std::make_unique<Process>(
        std::vector<std::string>{
            "/bin/sh", "-c",
            fmt::format("exec /usr/bin/python3 {} --pub {} --replay {} --cursor {} --cache {} "
                        "--until-seq {} >> {}",
                        script, d.pub(), d.replay(), dir / "cursor", dir / "py", until, out)},
        dir / "py.log");
  };
  auto lines = [&] {
    std::ifstream f(out);
    std::vector<uint64_t> seqs;
    for (std::string l; std::getline(f, l);) seqs.push_back(std::stoull(l));
    return seqs;
  };
  const uint64_t before = d.LastSeq();
  auto py = start(before + 3000);
  // Live events while it replays and follows.
  std::vector<std::pair<std::string, std::string>> rows;
  for (int i = 0; i < 1500; ++i) rows.emplace_back(fmt::format("p{}", i), "");
  ImportStaff(d, dir, rows);
  ASSERT_TRUE(Eventually([&] { return !lines().empty() && lines().back() == d.LastSeq(); }))
      << lines().size();
  py->Signal(SIGTERM);
  EXPECT_EQ(py->Wait(), 0);
  const size_t first_run = lines().size();
  // Away while more happens; back from the cursor file.
  rows.clear();
  for (int i = 0; i < 1500; ++i) rows.emplace_back(fmt::format("q{}", i), "");
  ImportStaff(d, dir, rows);
  const uint64_t last = d.LastSeq();
  py = start(last);
  EXPECT_EQ(py->Wait(), 0) << "exits once it has handled seq " << last;
  const auto seqs = lines();
  ASSERT_EQ(seqs.size(), last) << "first run printed " << first_run;
  for (size_t i = 0; i < seqs.size(); ++i)
    ASSERT_EQ(seqs[i], i + 1) << "every event once, in order";
  EXPECT_EQ(d.Stop(), 0);
}

TEST(NotifyConfigs, ShippedExamplesPassCheck) {
  setenv("TENCENTCLOUD_SECRET_KEY", "x", 1);
  setenv("ZHIBAN_WECOM_ROBOT_KEY", "x", 1);
  struct Example {
    std::string bin, config, routes;
  };
  for (const auto& [bin, config, routes] : std::vector<Example>{
           {"zhiban-notify-sms", "plugins/sms/zhiban-notify-sms.toml", "3 routes"},
           {"zhiban-notify-wecom", "plugins/wecom/zhiban-notify-wecom.toml", "8 routes"}}) {
    auto r = test::Run(
        {BinDir() + "/" + bin, "--config", std::string(ZHIBAN_SOURCE_DIR) + "/" + config, "check"});
    EXPECT_EQ(r.exit_code, 0) << config << ": " << r.err;
    EXPECT_NE(r.out.find(routes), std::string::npos) << r.out;
  }
  unsetenv("TENCENTCLOUD_SECRET_KEY");
  auto r =
      test::Run({BinDir() + "/zhiban-notify-sms", "--config",
                 std::string(ZHIBAN_SOURCE_DIR) + "/plugins/sms/zhiban-notify-sms.toml", "check"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("$TENCENTCLOUD_SECRET_KEY, which is not set"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace zhiban::test
