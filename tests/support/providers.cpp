#include "tests/support/providers.h"
#include "tests/support/source.h"

#include <fmt/format.h>

namespace zhiban::test {

const char* const kWelcomeSmsRoute = R"(
[[route]]
name = "welcome"
topics = ["staff.added"]
to = ["subject"]
template = "welcome"
[templates.welcome]
text = "{staff.name}，您已加入{center_id}值班队伍，请留意排班通知。"
sms_template = "2001234"
sms_params = ["name={staff.name}", "center={center_id}"]
)";

FakeProviders::FakeProviders(const std::string& log, std::vector<std::string> extra) {
  std::vector<std::string> argv = {
      "/usr/bin/python3", std::string(ZHIBAN_SOURCE_DIR) + "/tests/providers/fake_providers.py",
      "--port", "0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  process_ = std::make_unique<Process>(argv, log);
  // The server prints "listening on 127.0.0.1:PORT" once bound (other lines,
  // e.g. interpreter warnings, may come first).
  const std::string marker = "listening on 127.0.0.1:";
  for (size_t n = 1; n <= 20 && WaitForLines(log, n, std::chrono::seconds(20)); ++n) {
    for (const auto& l : Lines(log)) {
      if (l.starts_with(marker)) {
        port_ = std::stoi(l.substr(marker.size()));
        return;
      }
    }
  }
}

std::string FakeProviders::addr() const { return fmt::format("127.0.0.1:{}", port_); }
std::string FakeProviders::url(const std::string& path) const {
  return fmt::format("http://{}{}", addr(), path);
}

nlohmann::json FakeProviders::Sent() const {
  return nlohmann::json::parse(HttpGet(addr(), "/_sent").second, nullptr, false);
}

nlohmann::json FakeProviders::Stats() const {
  return nlohmann::json::parse(HttpGet(addr(), "/_stats").second, nullptr, false);
}

bool FakeProviders::Control(const nlohmann::json& c) {
  return HttpPost(addr(), "/_control", c.dump()).first == 200;
}

}  // namespace zhiban::test
