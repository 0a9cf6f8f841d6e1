// A national holiday calendar (data/holiday-cn format) or a year's statutory
// holidays (data/statutory-cn format) an operator imports.
#include <cstdint>
#include <string_view>

#include "daemon/domain/holiday_json.h"
#include "fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto year = zhiban::domain::ParseHolidayJson(text, "fuzz.json");
  if (!year.ok()) zhiban::fuzz::ExpectUtf8(year.status().message(), "the error");
  auto statutory = zhiban::domain::ParseStatutoryJson(text, "fuzz.json");
  if (!statutory.ok()) zhiban::fuzz::ExpectUtf8(statutory.status().message(), "the error");
  return 0;
}
