// zhibanctl calls that must succeed, for integration tests (gtest): a
// refused command fails the test with the command line and zhibanctl's stderr.
#pragma once

#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/process.h"

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

}  // namespace zhiban::test
