#include "clients/zhibanctl/output.h"

#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

namespace zhiban::ctl {

size_t DisplayWidth(const std::string& s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp = c;
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    if (len > 1 && i + len <= s.size()) {
      cp = c & (0x7F >> len);
      for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    i += len;
    bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
    w += wide ? 2 : 1;
  }
  return w;
}

void Table::Print() const {
  std::vector<size_t> width(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& r) {
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], DisplayWidth(r[i]));
    }
  };
  measure(header_);
  for (const auto& r : rows_) measure(r);
  auto print = [&](const std::vector<std::string>& r) {
    std::string line;
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line.append(width[i] - DisplayWidth(r[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
  };
  print(header_);
  for (const auto& r : rows_) print(r);
}

std::string ToJson(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  opts.add_whitespace = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

void PrintJson(const google::protobuf::Message& m) { std::cout << ToJson(m); }

int PrintError(const v1::Error& e, Format format) {
  if (format == Format::kJson) {
    v1::Error copy = e;
    std::cerr << "{\"error\": " << ToJson(copy) << "}\n";
    return kExitRefused;
  }
  std::string where = e.field().empty() ? "" : e.field() + ": ";
  std::cerr << fmt::format("error: {}: {}{}\n", v1::ErrorCode_Name(e.code()), where, e.message());
  for (const auto& r : e.row_errors()) {
    std::cerr << fmt::format("  row {}, column {}: {}\n", r.row(), r.column(), r.message());
  }
  if (e.row_error_count() > static_cast<uint32_t>(e.row_errors_size())) {
    std::cerr << fmt::format("  ... and {} more\n", e.row_error_count() - e.row_errors_size());
  }
  return kExitRefused;
}

int PrintProblem(const std::string& message, int code, Format format) {
  if (format == Format::kJson) {
    nlohmann::json j = {{"error", {{"message", message}}}};
    std::cerr << j.dump(2) << "\n";
  } else {
    std::cerr << "error: " << message << "\n";
  }
  return code;
}

}  // namespace zhiban::ctl
