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

// Whether code point `c` can forge or disguise a line where text is shown:
// C0 controls, DEL, C1 controls, the line and paragraph separators
// (U+2028/2029) and the bidirectional marks, embeddings, overrides and
// isolates (U+061C, U+200E/F, U+202A-E, U+2066-9).
bool IsUnsafeCodePoint(char32_t c);

// Offset of the first unsafe code point of `s`, or of its first ill-formed
// byte; std::string_view::npos when there is none. With `multiline`, '\n',
// '\t' and "\r\n" are allowed (a TOML document, notes kept as lines).
size_t FindUnsafeText(std::string_view s, bool multiline = false);

// `s` made safe to show on one line: every ill-formed byte and unsafe code
// point written as \xNN or \u{NNNN}; at most `max_bytes`, cut at a
// character ("…" appended when cut).
std::string EscapeForLine(std::string_view s, size_t max_bytes = 200);

}  // namespace zhiban
