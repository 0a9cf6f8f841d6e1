// Files of the source tree (shipped calendars, example policies) for tests
// and benchmarks; the including target defines ZHIBAN_SOURCE_DIR.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace zhiban::test {

inline std::string ReadSource(const std::string& rel) {
  std::ifstream f(std::string(ZHIBAN_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace zhiban::test
