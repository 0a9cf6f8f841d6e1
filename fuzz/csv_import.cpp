// CSV files operators import (centers, staff, residents): the parser and
// the row converters, with every cell error's message valid UTF-8.
#include <cstdint>
#include <string_view>

#include "clients/lib/records_csv.h"
#include "fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto table = zhiban::client::ParseCsv(text);
  if (!table.ok()) {
    zhiban::fuzz::ExpectUtf8(table.status().message(), "the CSV error");
    return 0;
  }
  std::vector<zhiban::client::CellError> errors;
  std::vector<zhiban::v1::Center> centers;
  std::vector<zhiban::v1::Staff> staff;
  std::vector<zhiban::v1::Resident> residents;
  auto check = [&](const zhiban::Status& s) {
    zhiban::fuzz::ExpectUtf8(s.message(), "the import error");
    for (const auto& e : errors) zhiban::fuzz::ExpectUtf8(e.message, "a cell error");
    errors.clear();
  };
  check(zhiban::client::CentersFromCsv(*table, &centers, &errors));
  check(zhiban::client::StaffFromCsv(*table, &staff, &errors));
  check(zhiban::client::ResidentsFromCsv(*table, &residents, &errors));
  return 0;
}
