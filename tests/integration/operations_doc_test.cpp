// docs/OPERATIONS.md's examples, run as written against a real zhiband: a
// section's ```sh block is read from the doc, each zhibanctl line (with its
// continuation lines, without its comment) run, and each must succeed.
// Issue 36: the room booking example was refused by the shipped policy.
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/ctl_expect.h"
#include "tests/support/source.h"

namespace zhiban::test {
namespace {

// The zhibanctl command lines of the first ```sh block after `heading`, as
// argument lists without "zhibanctl". Empty when the heading is missing.
std::vector<std::vector<std::string>> DocCommands(const std::string& heading) {
  const std::string doc = ReadSource("docs/OPERATIONS.md");
  size_t at = doc.find("\n" + heading + "\n");
  if (at == std::string::npos) return {};
  at = doc.find("```sh\n", at);
  const size_t end = doc.find("\n```", at);
  if (at == std::string::npos || end == std::string::npos) return {};
  std::istringstream block(doc.substr(at + 6, end - at - 6));
  std::vector<std::vector<std::string>> out;
  std::string line, command;
  while (std::getline(block, line)) {
    if (auto hash = line.find(" #"); hash != std::string::npos) line.erase(hash);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    const bool more = !line.empty() && line.back() == '\\';
    if (more) line.pop_back();
    command += line + " ";
    if (more) continue;
    std::istringstream words(command);
    std::vector<std::string> args;
    for (std::string w; words >> w;) args.push_back(w);
    command.clear();
    if (args.empty()) continue;
    EXPECT_EQ(args.front(), "zhibanctl") << line;
    args.erase(args.begin());
    out.push_back(std::move(args));
  }
  return out;
}

class OperationsDoc : public ::testing::Test {
 protected:
  // The demo network with the shipped community policy and rules, December
  // 2026 generated and filled, ten days before the doc's dates.
  void SetUp() override {
    d_.Start();
    CtlOk(d_, {"import", "centers", Source("ops/demo/centers.csv")});
    CtlOk(d_, {"import", "staff", Source("ops/demo/staff.csv")});
    CtlOk(d_, {"rota", "rules", "set", "--file", Source("ops/rules.toml")});
    CtlOk(d_, {"policy", "set", "--file", Source("ops/policies/community.toml"), "--from",
               "2026-01-01"});
    CtlOk(d_, {"policy", "assign", "--center", "xingfu", "--policy", "community-standard", "--from",
               "2026-01-01"});
    CtlOk(d_, {"rota", "generate", "--center", "xingfu", "--from", "2026-12-01", "--to",
               "2026-12-31", "--fill"});
  }
  void TearDown() override { EXPECT_EQ(d_.Stop(), 0); }

  DaemonFixture d_{{"--clock", "simulated:2026-11-20T09:00:00+08:00"}};
};

TEST_F(OperationsDoc, AppointmentsExampleRunsAsWritten) {
  const auto commands = DocCommands("### Appointments (预约)");
  ASSERT_EQ(commands.size(), 5u);
  for (const auto& args : commands) CtlOk(d_, args);
  // The evening room booking went into the policy's APPOINTMENT window and
  // was staffed like a fill; cancelled, it is over.
  auto list =
      CtlJson(d_, {"appointment", "list", "--center", "xingfu", "--date", "2026-12-02", "--all"});
  bool choir = false;
  for (const auto& a : list["appointments"]) {
    if (a["id"] != "choir-1202") continue;
    choir = true;
    EXPECT_NE(a.value("state", "").find("CANCELLED"), std::string::npos) << a.dump();
    EXPECT_FALSE(a.value("shift_id", "").empty()) << a.dump();
    EXPECT_FALSE(a.value("staff_id", "").empty()) << a.dump();
  }
  EXPECT_TRUE(choir) << list.dump();
}

}  // namespace
}  // namespace zhiban::test
