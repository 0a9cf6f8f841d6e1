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

// Reads a varint at msg[*pos], advancing *pos; false when cut short or over
// 10 bytes.
inline bool ReadVarint(std::string_view msg, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && *pos < msg.size(); shift += 7) {
    const auto b = static_cast<unsigned char>(msg[(*pos)++]);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) return true;
  }
  return false;
}

// The bytes of the first length-delimited field `number` at the top level of
// the encoded message `msg`, without decoding the rest (the replay server's
// topic filter reads Event.topic so); false when it is absent or `msg` is
// not well-formed up to it.
inline bool FindLengthDelimited(std::string_view msg, uint32_t number, std::string_view* out) {
  size_t pos = 0;
  while (pos < msg.size()) {
    uint64_t tag = 0, v = 0;
    if (!ReadVarint(msg, &pos, &tag)) return false;
    switch (tag & 7) {
      case 0:
        if (!ReadVarint(msg, &pos, &v)) return false;
        break;
      case 1:
        if (msg.size() - pos < 8) return false;
        pos += 8;
        break;
      case 2:
        if (!ReadVarint(msg, &pos, &v) || v > msg.size() - pos) return false;
        if ((tag >> 3) == number) {
          *out = msg.substr(pos, v);
          return true;
        }
        pos += v;
        break;
      case 5:
        if (msg.size() - pos < 4) return false;
        pos += 4;
        break;
      default:
        return false;  // groups: never in zhiban's messages
    }
  }
  return false;
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
