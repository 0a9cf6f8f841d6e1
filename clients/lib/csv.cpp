#include "clients/lib/csv.h"

#include <fmt/format.h>

namespace zhiban::client {

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (int k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are invalid.
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return false;
    }
    i += len;
  }
  return true;
}

Result<CsvTable> ParseCsv(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  CsvTable table;
  std::vector<std::string> fields;
  std::string field;
  uint32_t line = 1;         // physical line being read
  uint32_t record_line = 1;  // line where the current record started
  bool in_quotes = false, field_started = false, after_quote = false;
  bool have_header = false;

  auto end_field = [&] {
    fields.push_back(std::move(field));
    field.clear();
    field_started = false;
    after_quote = false;
  };
  auto end_record = [&]() -> Status {
    end_field();
    bool blank = fields.size() == 1 && fields[0].empty();
    if (!blank) {
      for (size_t c = 0; c < fields.size(); ++c) {
        std::string col =
            have_header && c < table.header.size() ? table.header[c] : fmt::format("#{}", c + 1);
        if (fields[c].size() > kMaxCsvCellBytes) {
          return Status::InvalidArgument(
              "", fmt::format("row {}, column {}: a cell of {} bytes; at most {} KiB", record_line,
                              col, fields[c].size(), kMaxCsvCellBytes >> 10));
        }
        if (!IsValidUtf8(fields[c])) {
          return Status::InvalidArgument(
              "", fmt::format("row {}, column {}: not valid UTF-8 (save the file as UTF-8)",
                              record_line, col));
        }
      }
      if (!have_header) {
        table.header = std::move(fields);
        have_header = true;
      } else if (fields.size() != table.header.size()) {
        return Status::InvalidArgument(
            "", fmt::format("row {}: has {} fields; the header has {}", record_line, fields.size(),
                            table.header.size()));
      } else {
        table.rows.push_back({record_line, std::move(fields)});
      }
    }
    fields.clear();
    record_line = line;
    return {};
  };

  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
          after_quote = true;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == ',') {
      end_field();
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      ++line;
      ZB_RETURN_IF_ERROR(end_record());
    } else if (c == '"') {
      if (field_started) {
        return Status::InvalidArgument(
            "", fmt::format("row {}: a quote inside an unquoted field (quote the whole field and "
                            "double the quote: \"\")",
                            line));
      }
      in_quotes = true;
      field_started = true;
    } else {
      if (after_quote) {
        return Status::InvalidArgument("", fmt::format("row {}: text after a closing quote", line));
      }
      field += c;
      field_started = true;
    }
  }
  if (in_quotes) {
    return Status::InvalidArgument(
        "", fmt::format("row {}: a quoted field is never closed", record_line));
  }
  if (field_started || !fields.empty()) ZB_RETURN_IF_ERROR(end_record());
  if (!have_header) return Status::InvalidArgument("", "the file is empty (no header row)");
  return table;
}

void AppendCsvRow(const std::vector<std::string>& fields, std::string* out) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out->push_back(',');
    const auto& f = fields[i];
    bool quote = f.find_first_of(",\"\r\n") != std::string::npos ||
                 (!f.empty() && (f.front() == ' ' || f.back() == ' '));
    if (!quote) {
      *out += f;
      continue;
    }
    out->push_back('"');
    for (char c : f) {
      if (c == '"') out->push_back('"');
      out->push_back(c);
    }
    out->push_back('"');
  }
  *out += "\r\n";
}

}  // namespace zhiban::client
