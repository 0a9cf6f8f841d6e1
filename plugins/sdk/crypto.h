// The digests and MACs provider request signing needs (OpenSSL).
#pragma once

#include <string>
#include <string_view>

namespace zhiban::plugin {

std::string Sha256(std::string_view data);                            // raw 32 bytes
std::string HmacSha256(std::string_view key, std::string_view data);  // raw
std::string HmacSha1(std::string_view key, std::string_view data);    // raw
std::string Hex(std::string_view raw);                                // lower-case
std::string Base64(std::string_view raw);
std::string RandomHex(size_t bytes);  // nonces

}  // namespace zhiban::plugin
