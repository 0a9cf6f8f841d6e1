// Byte-level encodings: protobuf wire-format helpers for the two places zhiban
// splices already serialized bytes into a message instead of re-encoding them
// (event bodies in core.cpp, replay chunks in replay_server.cpp; everything
// else uses the generated code), and big-endian keys that sort as numbers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace zhiban::wire {

inline void AppendVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Appends field `number` as a length-delimited field (wire type 2) holding `bytes`.
inline void AppendLengthDelimited(std::string& out, uint32_t number, std::string_view bytes) {
  AppendVarint(out, (static_cast<uint64_t>(number) << 3) | 2);
  AppendVarint(out, bytes.size());
  out.append(bytes.data(), bytes.size());
}

// 8 bytes, big-endian: keys that sort in numeric order (event seqs, versions).
inline std::string BigEndian64(uint64_t v) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i) {
    k[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return k;
}

}  // namespace zhiban::wire
