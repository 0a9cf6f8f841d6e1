#include "plugins/sms/signing.h"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "plugins/sdk/crypto.h"
#include "plugins/sdk/http_client.h"

namespace zhiban::sms {

using plugin::Base64;
using plugin::Hex;
using plugin::HmacSha1;
using plugin::HmacSha256;
using plugin::Sha256;

namespace {

std::tm Utc(int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::string UtcDate(int64_t t) {
  const auto tm = Utc(t);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

std::string UtcIso(int64_t t) {
  const auto tm = Utc(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string Tc3CanonicalRequest(const Tc3Request& r) {
  auto sorted = r.signed_headers;
  std::sort(sorted.begin(), sorted.end());
  std::string headers;
  for (const auto& h : sorted) {
    std::string value;
    if (h == "content-type")
      value = r.content_type;
    else if (h == "host")
      value = r.host;
    else if (h == "x-tc-action")
      value = Lower(r.action);
    headers += fmt::format("{}:{}\n", h, value);
  }
  return fmt::format("POST\n/\n\n{}\n{}\n{}", headers, fmt::join(sorted, ";"), Hex(Sha256(r.body)));
}

std::string Tc3Signature(const Tc3Request& r, std::string_view secret_key) {
  const std::string date = UtcDate(r.timestamp);
  const std::string scope = fmt::format("{}/{}/tc3_request", date, r.service);
  const std::string to_sign = fmt::format("TC3-HMAC-SHA256\n{}\n{}\n{}", r.timestamp, scope,
                                          Hex(Sha256(Tc3CanonicalRequest(r))));
  const std::string k_date = HmacSha256(fmt::format("TC3{}", secret_key), date);
  const std::string k_service = HmacSha256(k_date, r.service);
  const std::string k_signing = HmacSha256(k_service, "tc3_request");
  return Hex(HmacSha256(k_signing, to_sign));
}

std::string Tc3Authorization(const Tc3Request& r, std::string_view secret_id,
                             std::string_view secret_key) {
  auto sorted = r.signed_headers;
  std::sort(sorted.begin(), sorted.end());
  return fmt::format(
      "TC3-HMAC-SHA256 Credential={}/{}/{}/tc3_request, SignedHeaders={}, Signature={}", secret_id,
      UtcDate(r.timestamp), r.service, fmt::join(sorted, ";"), Tc3Signature(r, secret_key));
}

// RFC 3986: unreserved characters kept, everything else %XX (space %20, * %2A).
std::string RpcPercentEncode(std::string_view s) {
  return plugin::HttpClient::Escape(std::string(s));
}

std::string RpcCanonicalQuery(const std::map<std::string, std::string>& params) {
  std::string q;
  for (const auto& [k, v] : params) {  // std::map: byte order
    if (!q.empty()) q += '&';
    q += RpcPercentEncode(k);
    q += '=';
    q += RpcPercentEncode(v);
  }
  return q;
}

std::string RpcStringToSign(std::string_view method,
                            const std::map<std::string, std::string>& params) {
  return fmt::format("{}&{}&{}", method, RpcPercentEncode("/"),
                     RpcPercentEncode(RpcCanonicalQuery(params)));
}

std::string RpcSignature(std::string_view method, const std::map<std::string, std::string>& params,
                         std::string_view access_secret) {
  return Base64(HmacSha1(fmt::format("{}&", access_secret), RpcStringToSign(method, params)));
}

}  // namespace zhiban::sms
