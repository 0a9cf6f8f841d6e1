#include "plugins/sms/sms.h"

#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "daemon/base/utf8.h"
#include "plugins/sdk/app.h"
#include "plugins/sdk/crypto.h"
#include "plugins/sms/signing.h"

namespace zhiban::sms {
namespace {

using json = nlohmann::json;
using plugin::Delivery;
using plugin::Reconciled;

constexpr size_t kMaxParam = 20;  // characters per template variable
constexpr size_t kMaxSms = 500;   // characters per message

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string HostOf(const std::string& url) {
  auto start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  return url.substr(start, url.find('/', start) - start);
}

// The first `n` characters of UTF-8 text.
std::string Prefix(std::string_view s, size_t n) {
  size_t i = 0, chars = 0;
  while (i < s.size() && chars < n) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    ++chars;
  }
  return std::string(s.substr(0, std::min(i, s.size())));
}

bool HasLink(const std::string& v) {
  std::string l;
  for (char c : v) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l.find("http://") != std::string::npos || l.find("https://") != std::string::npos ||
         l.find("www.") != std::string::npos;
}

Delivery FromHttp(const Result<plugin::HttpReply>& r, const char* provider) {
  // A transport error may come after the provider took the request (a lost or
  // slow reply): it is looked up before being sent again.
  if (!r.ok())
    return Delivery::RetryMaybeSent(fmt::format("{}: {}", provider, r.status().message()));
  if (r->status >= 500 || r->status == 429)
    return Delivery::Retry(fmt::format("{}: HTTP {}", provider, r->status));
  if (r->status != 200)
    return Delivery::Fatal(
        fmt::format("{}: HTTP {}: {}", provider, r->status, Utf8Excerpt(r->body, 200)));
  return Delivery::Ok();
}

// A provider's reply, read without trusting its shape: a field of the wrong
// type reads as absent (nlohmann's value() would throw and stop the plugin).
const json* Member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}
std::string Text(const json& j, const char* key) {
  const json* m = Member(j, key);
  return m && m->is_string() ? Utf8Excerpt(m->get<std::string>(), 500) : std::string();
}
const json& Array(const json& j, const char* key) {
  static const json empty = json::array();
  const json* m = Member(j, key);
  return m && m->is_array() ? *m : empty;
}

// ---- Tencent Cloud -------------------------------------------------------

class Tencent final : public Provider {
 public:
  explicit Tencent(SmsConfig c)
      : c_(std::move(c)), http_(std::chrono::milliseconds(c_.timeout_ms)) {}

  Delivery Send(const std::string& e164, const v1::Notification& n) override {
    json body = {{"PhoneNumberSet", {e164}},          {"SmsSdkAppId", c_.app_id},
                 {"SignName", c_.sign_name},          {"TemplateId", n.provider_template()},
                 {"TemplateParamSet", json::array()}, {"SessionContext", n.key()}};
    for (const auto& p : n.params()) body["TemplateParamSet"].push_back(p.value());
    auto r = Call("SendSms", body.dump());
    if (auto d = FromHttp(r, "tencent"); d.kind != Delivery::Kind::kOk) return d;
    return JudgeTencentSend(r->body, e164);
  }

  Reconciled Find(const std::string& e164, const v1::Notification& n) override {
    json body = {{"BeginTime", NowSeconds() - 86400},
                 {"Offset", 0},
                 {"Limit", 100},
                 {"PhoneNumber", e164},
                 {"SmsSdkAppId", c_.app_id}};
    auto r = Call("PullSmsSendStatusByPhoneNumber", body.dump());
    if (!r.ok() || r->status != 200) return Reconciled::kUnknown;
    return JudgeTencentFind(r->body, n.key());
  }

 private:
  Result<plugin::HttpReply> Call(const std::string& action, std::string body) {
    Tc3Request sig;
    sig.host = c_.host;
    sig.service = "sms";
    sig.action = action;
    sig.body = std::move(body);
    sig.timestamp = NowSeconds();
    plugin::HttpRequest req;
    req.url = c_.endpoint;
    req.headers = {{"Authorization", Tc3Authorization(sig, c_.secret_id, c_.secret_key)},
                   {"Content-Type", sig.content_type},
                   {"Host", sig.host},
                   {"X-TC-Action", action},
                   {"X-TC-Timestamp", std::to_string(sig.timestamp)},
                   {"X-TC-Version", "2021-01-11"},
                   {"X-TC-Region", c_.region}};
    req.body = std::move(sig.body);
    return http_.Call(req);
  }

  SmsConfig c_;
  plugin::HttpClient http_;
};

// ---- Alibaba Cloud -------------------------------------------------------

class Alibaba final : public Provider {
 public:
  explicit Alibaba(SmsConfig c)
      : c_(std::move(c)), http_(std::chrono::milliseconds(c_.timeout_ms)) {}

  Delivery Send(const std::string& e164, const v1::Notification& n) override {
    json params = json::object();
    for (const auto& p : n.params()) params[p.name()] = p.value();
    auto r = Call({{"Action", "SendSms"},
                   {"PhoneNumbers", Domestic(e164)},
                   {"SignName", c_.sign_name},
                   {"TemplateCode", n.provider_template()},
                   {"TemplateParam", params.dump()},
                   {"OutId", n.key()}});
    if (!r.ok()) return FromHttp(r, "alibaba");
    return JudgeAlibabaSend(r->status, r->body, e164);
  }

  Reconciled Find(const std::string& e164, const v1::Notification& n) override {
    // Today and yesterday (China time), where a send of the last day is recorded.
    for (int64_t back : {0, 1}) {
      const int64_t t = NowSeconds() + 8 * 3600 - back * 86400;
      std::string date = UtcDate(t);
      date.erase(std::remove(date.begin(), date.end(), '-'), date.end());
      auto r = Call({{"Action", "QuerySendDetails"},
                     {"PhoneNumber", Domestic(e164)},
                     {"SendDate", date},
                     {"PageSize", "50"},
                     {"CurrentPage", "1"}});
      if (!r.ok() || r->status != 200) return Reconciled::kUnknown;
      if (auto found = JudgeAlibabaFind(r->body, n.key()); found != Reconciled::kNotSent)
        return found;
    }
    return Reconciled::kNotSent;
  }

 private:
  static std::string Domestic(const std::string& e164) {
    return e164.starts_with("+86") ? e164.substr(3) : "00" + e164.substr(1);
  }

  Result<plugin::HttpReply> Call(std::map<std::string, std::string> params) {
    params["AccessKeyId"] = c_.secret_id;
    params["Format"] = "JSON";
    params["RegionId"] = c_.region;
    params["SignatureMethod"] = "HMAC-SHA1";
    params["SignatureNonce"] = plugin::RandomHex(16);
    params["SignatureVersion"] = "1.0";
    params["Timestamp"] = UtcIso(NowSeconds());
    params["Version"] = "2017-05-25";
    const std::string signature = RpcSignature("POST", params, c_.secret_key);
    plugin::HttpRequest req;
    req.url = c_.endpoint;
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Host", c_.host}};
    req.body = RpcCanonicalQuery(params) + "&Signature=" + RpcPercentEncode(signature);
    return http_.Call(req);
  }

  SmsConfig c_;
  plugin::HttpClient http_;
};

}  // namespace

Delivery JudgeTencentSend(std::string_view body, const std::string& e164) {
  const json reply = json::parse(body, nullptr, false);
  const json* resp = reply.is_discarded() ? nullptr : Member(reply, "Response");
  if (!resp || !resp->is_object())
    return Delivery::Retry("tencent: reply is not JSON with Response");
  if (const json* error = Member(*resp, "Error")) {
    const std::string code = Text(*error, "Code");
    const std::string why =
        fmt::format("tencent {}: {}", code.empty() ? "(no code)" : code, Text(*error, "Message"));
    if (code.starts_with("InternalError") || code.starts_with("RequestLimitExceeded"))
      return Delivery::Retry(why);
    return Delivery::Fatal(why);
  }
  const json& set = Array(*resp, "SendStatusSet");
  if (set.size() != 1)
    return Delivery::Retry(fmt::format("tencent: {} send statuses for one number", set.size()));
  const std::string code = Text(set[0], "Code");
  if (code == "Ok") return Delivery::Ok();  // that casing: Tencent's success
  const std::string why = fmt::format("tencent {} for {}: {}", code.empty() ? "(no code)" : code,
                                      e164, Text(set[0], "Message"));
  if (code.starts_with("InternalError") || code.empty()) return Delivery::Retry(why);
  return Delivery::Fatal(
      why);  // per-number limits, invalid numbers, templates: retrying does not help
}

Reconciled JudgeTencentFind(std::string_view body, const std::string& key) {
  const json reply = json::parse(body, nullptr, false);
  const json* resp = reply.is_discarded() ? nullptr : Member(reply, "Response");
  if (!resp || !resp->is_object() || Member(*resp, "Error")) return Reconciled::kUnknown;
  for (const auto& s : Array(*resp, "PullSmsSendStatusSet")) {
    if (Text(s, "SessionContext") == key) return Reconciled::kSent;
  }
  return Reconciled::kNotSent;
}

Delivery JudgeAlibabaSend(int http_status, std::string_view body, const std::string& e164) {
  // Business and gateway errors (the latter with HTTP 4xx/5xx) both carry a Code.
  const json reply = json::parse(body, nullptr, false);
  const std::string code = reply.is_discarded() ? std::string() : Text(reply, "Code");
  if (code.empty()) {
    if (http_status >= 500 || http_status == 429)
      return Delivery::Retry(fmt::format("alibaba: HTTP {}", http_status));
    if (http_status != 200)
      return Delivery::Fatal(
          fmt::format("alibaba: HTTP {}: {}", http_status, Utf8Excerpt(body, 200)));
    return Delivery::Retry("alibaba: reply is not JSON with Code");
  }
  if (code == "OK") return Delivery::Ok();  // upper-case: Alibaba's success
  const std::string why = fmt::format("alibaba {} for {}: {}", code, e164, Text(reply, "Message"));
  if (code.starts_with("Throttling") || code == "SignatureNonceUsed" ||
      code == "ServiceUnavailable" || code.starts_with("InternalError")) {
    return Delivery::Retry(why);
  }
  return Delivery::Fatal(
      why);  // isv.BUSINESS_LIMIT_CONTROL, isv.MOBILE_NUMBER_ILLEGAL, auth, templates
}

Reconciled JudgeAlibabaFind(std::string_view body, const std::string& key) {
  const json reply = json::parse(body, nullptr, false);
  if (reply.is_discarded() || Text(reply, "Code") != "OK") return Reconciled::kUnknown;
  const json* dtos = Member(reply, "SmsSendDetailDTOs");
  if (!dtos) return Reconciled::kNotSent;
  for (const auto& d : Array(*dtos, "SmsSendDetailDTO")) {
    if (Text(d, "OutId") == key) return Reconciled::kSent;
  }
  return Reconciled::kNotSent;
}

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

int Segments(std::string_view s) {
  const size_t n = CodePoints(s);
  if (n <= 70) return 1;
  return static_cast<int>((n + 66) / 67);
}

std::string E164(const std::string& phone) {
  std::string digits;
  for (char c : phone) {
    if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
  }
  if (phone.starts_with("+")) return "+" + digits;
  if (digits.starts_with("00")) return "+" + digits.substr(2);
  if (digits.size() == 11 && digits[0] == '1') return "+86" + digits;
  return "+" + digits;
}

std::unique_ptr<Provider> MakeTencent(const SmsConfig& c) { return std::make_unique<Tencent>(c); }
std::unique_ptr<Provider> MakeAlibaba(const SmsConfig& c) { return std::make_unique<Alibaba>(c); }

Result<SmsConfig> ParseSmsConfig(const toml::table& t, const std::string& source) {
  SmsConfig c;
  const std::string where = source + ": [sms]";
  for (const auto& [k, v] : t) {
    static const std::set<std::string> keys = {
        "provider",       "endpoint",        "host",   "region",    "secret_id", "secret_key",
        "secret_key_env", "secret_key_file", "app_id", "sign_name", "timeout_ms"};
    if (!keys.count(std::string(k.str()))) {
      return Status::InvalidArgument(
          "sms", fmt::format("{}:{}: [sms]: unknown key '{}' (known: {})", source,
                             v.source().begin.line, k.str(), fmt::join(keys, ", ")));
    }
  }
  c.provider = t["provider"].value_or(std::string());
  if (c.provider != "tencent" && c.provider != "alibaba") {
    return Status::InvalidArgument("sms.provider",
                                   where + ": provider must be \"tencent\" or \"alibaba\"");
  }
  const bool tencent = c.provider == "tencent";
  c.endpoint = t["endpoint"].value_or(
      std::string(tencent ? "https://sms.tencentcloudapi.com/" : "https://dysmsapi.aliyuncs.com/"));
  c.host = t["host"].value_or(HostOf(c.endpoint));
  c.region = t["region"].value_or(std::string(tencent ? "ap-guangzhou" : "cn-hangzhou"));
  c.secret_id = t["secret_id"].value_or(std::string());
  c.app_id = t["app_id"].value_or(std::string());
  c.sign_name = t["sign_name"].value_or(std::string());
  c.timeout_ms = static_cast<int>(t["timeout_ms"].value_or(int64_t{10000}));
  ZB_ASSIGN_OR_RETURN(auto key, plugin::Secret(t, "secret_key", where));
  c.secret_key = key;
  if (c.secret_id.empty())
    return Status::InvalidArgument("sms.secret_id", where + ": secret_id is required");
  if (tencent && c.app_id.empty())
    return Status::InvalidArgument("sms.app_id",
                                   where + ": app_id (SmsSdkAppId) is required for tencent");
  const size_t sign = CodePoints(c.sign_name);
  if (sign < 2 || sign > 12) {
    return Status::InvalidArgument(
        "sms.sign_name", where + ": sign_name (the approved 签名, e.g. 某某街道) is required");
  }
  return c;
}

SmsNotifier::SmsNotifier(std::unique_ptr<plugin::Router> router, SmsConfig config,
                         std::unique_ptr<Provider> provider)
    : RoutedNotifier(std::move(router)),
      config_(std::move(config)),
      provider_(std::move(provider)) {}

plugin::Delivery SmsNotifier::Send(const v1::Notification& in) {
  if (in.recipients_size() != 1 || in.recipients(0).phone().empty())
    return Delivery::Fatal("no phone number");
  v1::Notification n = in;
  for (auto& p : *n.mutable_params()) {
    if (HasLink(p.value())) {
      return Delivery::Fatal(fmt::format(
          "template variable {} contains a link, which SMS templates may not carry", p.name()));
    }
    if (CodePoints(p.value()) > kMaxParam) {
      ++truncated_;
      spdlog::warn("{}: variable {} is {} characters; sent as its first {}", n.key(), p.name(),
                   CodePoints(p.value()), kMaxParam);
      p.set_value(Prefix(p.value(), kMaxParam));
    }
  }
  const std::string full = fmt::format("【{}】{}", config_.sign_name, n.text());
  if (CodePoints(full) > kMaxSms) {
    return Delivery::Fatal(fmt::format("the message is {} characters; an SMS takes at most {}",
                                       CodePoints(full), kMaxSms));
  }
  Delivery d = provider_->Send(E164(n.recipients(0).phone()), n);
  if (d.kind == Delivery::Kind::kOk) {
    const int segs = Segments(full);
    ++messages_;
    segments_ += static_cast<uint64_t>(segs);
    std::lock_guard lock(mu_);
    ++by_segments_[std::min(segs, 4)];
  }
  return d;
}

plugin::Reconciled SmsNotifier::Reconcile(const v1::Notification& n) {
  if (n.recipients_size() != 1) return Reconciled::kUnknown;
  return provider_->Find(E164(n.recipients(0).phone()), n);
}

std::string SmsNotifier::Metrics() const {
  std::string out = fmt::format(
      "# HELP zhiban_notify_sms_messages_total SMS the provider accepted.\n# TYPE "
      "zhiban_notify_sms_messages_total counter\n"
      "zhiban_notify_sms_messages_total{{provider=\"{0}\"}} {1}\n"
      "# HELP zhiban_notify_sms_segments_total Billing segments of those SMS (70 characters, then "
      "67 each).\n"
      "# TYPE zhiban_notify_sms_segments_total "
      "counter\nzhiban_notify_sms_segments_total{{provider=\"{0}\"}} {2}\n"
      "# HELP zhiban_notify_sms_params_truncated_total Template variables cut to 20 characters.\n"
      "# TYPE zhiban_notify_sms_params_truncated_total "
      "counter\nzhiban_notify_sms_params_truncated_total{{provider=\"{0}\"}} {3}\n"
      "# HELP zhiban_notify_sms_by_segments_total SMS by segment count (4 = four or more).\n"
      "# TYPE zhiban_notify_sms_by_segments_total counter\n",
      config_.provider, messages_.load(), segments_.load(), truncated_.load());
  std::lock_guard lock(mu_);
  for (int s = 1; s <= 4; ++s) {
    auto it = by_segments_.find(s);
    out +=
        fmt::format("zhiban_notify_sms_by_segments_total{{provider=\"{}\",segments=\"{}\"}} {}\n",
                    config_.provider, s, it == by_segments_.end() ? 0 : it->second);
  }
  return out;
}

}  // namespace zhiban::sms
