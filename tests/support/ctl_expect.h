// zhibanctl calls that must succeed, for integration tests (gtest): a
// refused command fails the test with the command line and zhibanctl's stderr.
#pragma once

#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/process.h"
#include "tests/support/source.h"

namespace zhiban::test {

inline RunResult CtlOk(DaemonFixture& d, const std::vector<std::string>& args) {
  auto r = d.Ctl(args);
  EXPECT_EQ(r.exit_code, 0) << fmt::format("{}", fmt::join(args, " ")) << "\n" << r.err;
  return r;
}

// `-o json` output as a document (empty when the command failed).
inline nlohmann::json CtlJson(DaemonFixture& d, std::vector<std::string> args) {
  args.insert(args.begin(), {"-o", "json"});
  auto r = CtlOk(d, args);
  return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
}

// The demo street (ops/demo: 朝阳街道 and its three communities, twelve
// staff) with xingfu's January 2026 generated, filled and published.
inline void LoadDemoStreet(DaemonFixture& d) {
  CtlOk(d, {"import", "centers", Source("ops/demo/centers.csv")});
  CtlOk(d, {"import", "staff", Source("ops/demo/staff.csv")});
  CtlOk(d,
        {"policy", "set", "--file", Source("ops/policies/community.toml"), "--from", "2025-01-01"});
  CtlOk(d, {"policy", "assign", "--center", "xingfu", "--policy", "community-standard", "--from",
            "2025-01-01"});
  CtlOk(d, {"rota", "generate", "--center", "xingfu", "--from", "2026-01-05", "--to", "2026-01-31",
            "--fill"});
  CtlOk(d, {"rota", "publish", "--center", "xingfu", "--month", "2026-01"});
}

}  // namespace zhiban::test
