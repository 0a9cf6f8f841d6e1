#include "daemon/base/utf8.h"

#include <cstdio>

namespace zhiban {
namespace {

// Length of the well-formed sequence at s[i], or 0 when it is ill-formed
// (RFC 3629, Table 3-7 of the Unicode standard).
size_t SequenceAt(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (b(k) < 0x80 || b(k) > 0xBF) return 0;
  }
  return len;
}

// Appends `piece` when it fits in `max_bytes`; otherwise "…" and false.
bool AppendWithin(std::string& out, std::string_view piece, size_t max_bytes) {
  if (out.size() + piece.size() > max_bytes) {
    out += "…";
    return false;
  }
  out += piece;
  return true;
}

// The code point of the well-formed sequence of `n` bytes at s[i].
char32_t Decode(std::string_view s, size_t i, size_t n) {
  const auto b = [&](size_t k) {
    return static_cast<char32_t>(static_cast<unsigned char>(s[i + k]));
  };
  switch (n) {
    case 1:
      return b(0);
    case 2:
      return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3:
      return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default:
      return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
}

}  // namespace

bool IsUnsafeCodePoint(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029 || c == 0x061C ||
         c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

size_t FindUnsafeText(std::string_view s, bool multiline) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = SequenceAt(s, i);
    if (n == 0) return i;
    const char32_t c = Decode(s, i, n);
    // Multi-line text may break lines as Windows does (a TOML file saved
    // there): "\r" only right before "\n".
    const bool line_break =
        c == U'\n' || c == U'\t' || (c == U'\r' && i + 1 < s.size() && s[i + 1] == '\n');
    if (IsUnsafeCodePoint(c) && !(multiline && line_break)) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::string EscapeForLine(std::string_view s, size_t max_bytes) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const size_t n = SequenceAt(s, i);
    char buf[16];
    std::string_view piece;
    if (n == 0) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(s[i]));
      piece = buf;
    } else if (const char32_t c = Decode(s, i, n); IsUnsafeCodePoint(c)) {
      std::snprintf(buf, sizeof buf, c < 0x100 ? "\\x%02x" : "\\u{%04x}", static_cast<unsigned>(c));
      piece = buf;
    } else {
      piece = s.substr(i, n);
    }
    if (!AppendWithin(out, piece, max_bytes)) return out;
    i += n ? n : 1;
  }
  return out;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = SequenceAt(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string Utf8Excerpt(std::string_view s, size_t max_bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(std::min(s.size(), max_bytes));
  for (size_t i = 0; i < s.size();) {
    const size_t n = SequenceAt(s, i);
    const std::string_view piece = n ? s.substr(i, n) : kReplacement;
    if (!AppendWithin(out, piece, max_bytes)) return out;
    i += n ? n : 1;
  }
  return out;
}

}  // namespace zhiban
