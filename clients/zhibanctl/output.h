// How zhibanctl prints: aligned tables for people (CJK-aware widths), or one
// JSON document per command (-o json) with proto field names and enum names.
// Errors go to stderr.
#pragma once

#include <string>
#include <vector>

#include <google/protobuf/message.h>

#include "zhiban/v1/types.pb.h"

namespace zhiban::ctl {

// Exit codes (docs/OPERATIONS.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;      // zhiband answered with an error
inline constexpr int kExitUsage = 2;        // bad flags or a bad input file; nothing sent
inline constexpr int kExitUnavailable = 3;  // zhiband did not answer

enum class Format { kTable, kJson };

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Terminal columns taken by a UTF-8 string (East Asian wide characters count 2).
size_t DisplayWidth(const std::string& s);

std::string ToJson(const google::protobuf::Message& m);
void PrintJson(const google::protobuf::Message& m);

// Prints a refused request to stderr (as JSON with -o json); returns kExitRefused.
int PrintError(const v1::Error& e, Format format);
// Prints a local or transport problem to stderr; returns `code`.
int PrintProblem(const std::string& message, int code, Format format);

}  // namespace zhiban::ctl
