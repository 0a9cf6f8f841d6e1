// A travel-time matrix file from a road-network tool (routes_travel.h):
// CSV lines "from,to,minutes".
#include <cstdint>
#include <string_view>

#include "daemon/domain/routes_travel.h"
#include "fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = zhiban::domain::routes::ParseTravelMatrix(text);
  if (!parsed.ok()) zhiban::fuzz::ExpectUtf8(parsed.status().message(), "the error");
  return 0;
}
