// Files of the source tree (shipped calendars, example policies) for tests
// and benchmarks.
//
// The tree's path is compiled into one file (source.cpp) and nowhere else:
// a path on a compiler's command line differs between two clones, and ccache
// would compile every test again in a fresh clone of a commit it has built.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace zhiban::test {

// The source tree this build was configured from.
const char* SourceDir();

// The path of `rel` in the source tree ("ops/demo/centers.csv").
inline std::string Source(const std::string& rel) { return std::string(SourceDir()) + "/" + rel; }

inline std::string ReadSource(const std::string& rel) {
  std::ifstream f(std::string(SourceDir()) + "/" + rel);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace zhiban::test

// For the tests' own paths: std::string(ZHIBAN_SOURCE_DIR) + "/ops/…".
#define ZHIBAN_SOURCE_DIR (::zhiban::test::SourceDir())
