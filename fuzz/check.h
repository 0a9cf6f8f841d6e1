// What every harness asserts beyond "no crash": text built from the input
// is valid UTF-8 (a proto3 string, a JSON reply, an audit record must be).
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

}  // namespace zhiban::fuzz
