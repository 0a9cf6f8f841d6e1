// What every harness asserts beyond "no crash": text built from the input
// is valid UTF-8 (a proto3 string, a JSON reply, an audit record must be),
// and text shown on one line cannot forge another.
#pragma once

#include <cstdio>
#include <string_view>

#include "daemon/base/utf8.h"

namespace zhiban::fuzz {

inline void ExpectUtf8(std::string_view text, const char* what) {
  if (!IsValidUtf8(text)) {
    std::fprintf(stderr, "%s is not valid UTF-8: %.*s\n", what, static_cast<int>(text.size()),
                 text.data());
    __builtin_trap();
  }
}

// Text shown on one line (an error, a log line, an audit row) holds nothing
// that could forge or disguise a line (base/utf8.h, IsUnsafeCodePoint).
inline void ExpectOneLine(std::string_view text, const char* what) {
  ExpectUtf8(text, what);
  if (FindUnsafeText(text) != std::string_view::npos) {
    std::fprintf(stderr, "%s holds a control or direction character\n", what);
    __builtin_trap();
  }
}

}  // namespace zhiban::fuzz
