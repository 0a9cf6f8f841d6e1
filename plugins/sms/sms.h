// zhiban-notify-sms: the SMS notifier and its two providers.
//   Tencent Cloud SMS API 3.0 SendSms (TC3-HMAC-SHA256);
//   Alibaba Cloud dysmsapi SendSms (RPC signature, HMAC-SHA1).
// One message per recipient. A number the provider refused is a failure even
// in an HTTP 200 reply; what to retry follows ../shared/PROVIDERS.md.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "plugins/sdk/http_client.h"
#include "plugins/sdk/runner.h"

namespace zhiban::sms {

struct SmsConfig {
  std::string provider;    // tencent | alibaba
  std::string endpoint;    // default: the provider's public endpoint
  std::string host;        // Host header (and Tencent's signed host); default: from endpoint
  std::string region;      // Tencent X-TC-Region / Alibaba RegionId
  std::string secret_id;   // Tencent SecretId / Alibaba AccessKeyId
  std::string secret_key;  // Tencent SecretKey / Alibaba AccessKeySecret
  std::string app_id;      // Tencent SmsSdkAppId
  std::string sign_name;   // 签名, e.g. 某某街道
  int timeout_ms = 10000;
};

Result<SmsConfig> ParseSmsConfig(const toml::table& section, const std::string& source);

// Characters (Unicode code points) of UTF-8 text.
size_t CodePoints(std::string_view utf8);
// Segments an SMS of this text takes: up to 70 characters is one, longer ones 67 each.
int Segments(std::string_view utf8);
// Mainland numbers: "13800000000", "+8613800000000", "008613800000000" → E.164.
std::string E164(const std::string& phone);

class Provider {
 public:
  virtual ~Provider() = default;
  virtual plugin::Delivery Send(const std::string& e164, const v1::Notification& n) = 0;
  // Did the provider take `n` (by our key) for this number in the last day?
  virtual plugin::Reconciled Find(const std::string& e164, const v1::Notification& n) = 0;
};

// How each provider's answer is read, apart from the HTTP call so tests and
// fuzz/ can feed it any bytes: a reply of any shape is judged (a field of the
// wrong type reads as absent), never thrown on.
plugin::Delivery JudgeTencentSend(std::string_view body, const std::string& e164);
plugin::Reconciled JudgeTencentFind(std::string_view body, const std::string& key);
plugin::Delivery JudgeAlibabaSend(int http_status, std::string_view body, const std::string& e164);
// kSent, kNotSent (not on this page) or kUnknown (the reply says nothing usable).
plugin::Reconciled JudgeAlibabaFind(std::string_view body, const std::string& key);

std::unique_ptr<Provider> MakeTencent(const SmsConfig& c);
std::unique_ptr<Provider> MakeAlibaba(const SmsConfig& c);

class SmsNotifier final : public plugin::RoutedNotifier {
 public:
  SmsNotifier(std::unique_ptr<plugin::Router> router, SmsConfig config,
              std::unique_ptr<Provider> provider);
  plugin::Delivery Send(const v1::Notification& n) override;
  plugin::Reconciled Reconcile(const v1::Notification& n) override;
  std::string Metrics() const override;

 private:
  SmsConfig config_;
  std::unique_ptr<Provider> provider_;
  std::atomic<uint64_t> messages_{0}, segments_{0}, truncated_{0};
  mutable std::mutex mu_;
  std::map<int, uint64_t> by_segments_;  // segments → messages sent
};

}  // namespace zhiban::sms
