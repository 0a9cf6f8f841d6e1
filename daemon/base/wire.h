// Protobuf wire-format helpers for the two places zhiban splices already
// serialized bytes into a message instead of re-encoding them (event bodies in
// core.cpp, replay chunks in replay_server.cpp). Everything else uses the
// generated code.
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

}  // namespace zhiban::wire
