// UTF-8 for text built from untrusted bytes: a provider's reply, a file's
// cell. proto3 string fields and JSON output must be valid UTF-8, so text
// quoted into a message goes through here.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace zhiban {

// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);

// At most `max_bytes` of `s`, cut at a character boundary, every ill-formed
// byte replaced by U+FFFD ("…" appended when cut).
std::string Utf8Excerpt(std::string_view s, size_t max_bytes);

}  // namespace zhiban
