// TOML an operator loads: working-time rules (rota rules set).
#include <cstdint>
#include <string_view>

#include "daemon/domain/rota.h"
#include "fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = zhiban::domain::ParseRulesToml(text, "fuzz.toml");
  if (!parsed.ok()) zhiban::fuzz::ExpectUtf8(parsed.status().message(), "the error");
  return 0;
}
