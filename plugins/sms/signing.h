// Request signing of the two SMS providers, exactly as their documentation
// describes it (../shared/PROVIDERS.md; tests check the documented worked examples).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace zhiban::sms {

// Tencent Cloud API 3.0, TC3-HMAC-SHA256.
struct Tc3Request {
  std::string host;     // sms.tencentcloudapi.com
  std::string service;  // sms
  std::string action;   // SendSms (signed lower-cased)
  std::string content_type = "application/json; charset=utf-8";
  std::string body;  // the bytes exactly as sent
  int64_t timestamp = 0;
  std::vector<std::string> signed_headers = {"content-type", "host", "x-tc-action"};
};

std::string Tc3CanonicalRequest(const Tc3Request& r);
std::string Tc3Signature(const Tc3Request& r, std::string_view secret_key);  // hex
std::string Tc3Authorization(const Tc3Request& r, std::string_view secret_id,
                             std::string_view secret_key);
std::string UtcDate(int64_t unix_seconds);  // YYYY-MM-DD

// Alibaba Cloud RPC signature, HMAC-SHA1, SignatureVersion 1.0.
std::string RpcPercentEncode(std::string_view s);
// "k=v&..." of every parameter, sorted by byte order, percent-encoded.
std::string RpcCanonicalQuery(const std::map<std::string, std::string>& params);
std::string RpcStringToSign(std::string_view method,
                            const std::map<std::string, std::string>& params);
std::string RpcSignature(std::string_view method, const std::map<std::string, std::string>& params,
                         std::string_view access_secret);  // base64
std::string UtcIso(int64_t unix_seconds);                  // yyyy-MM-ddTHH:mm:ssZ

}  // namespace zhiban::sms
