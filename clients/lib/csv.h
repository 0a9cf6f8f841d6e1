// CSV as spreadsheets write it: RFC 4180 (quotes, doubled quotes, line breaks
// inside quotes), CRLF or LF, UTF-8 with or without a BOM. Errors name the
// row (1-based, header = row 1) and column.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/base/status.h"

namespace zhiban::client {

struct CsvRow {
  uint32_t row = 0;  // source row number of this record
  std::vector<std::string> fields;
};

struct CsvTable {
  std::vector<std::string> header;
  std::vector<CsvRow> rows;
};

// No cell of a roster or resident file is longer (health notes are 4000
// bytes at most): a larger one is a broken file, named by row and column.
inline constexpr size_t kMaxCsvCellBytes = 64 << 10;

// Parses a whole document. Blank lines are skipped. Every record must have as
// many fields as the header, every cell at most kMaxCsvCellBytes.
Result<CsvTable> ParseCsv(std::string_view text);

// Appends one record, quoting fields that need it, CRLF-terminated (what
// spreadsheet programs expect).
void AppendCsvRow(const std::vector<std::string>& fields, std::string* out);

// False when `s` is not valid UTF-8.
bool IsValidUtf8(std::string_view s);

}  // namespace zhiban::client
