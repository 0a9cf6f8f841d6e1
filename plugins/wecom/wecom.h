// zhiban-notify-wecom: WeCom (企业微信) notifications.
//   robot: a group robot webhook (text or markdown, @-mentions of the
//          recipients' mobiles or userids; 20 messages a minute per robot);
//   app:   application messages to the recipients' userids (`gettoken`, the
//          access token cached and refreshed on expiry codes; `message/send`
//          with the provider's duplicate check on, so a resend after a crash
//          is de-duplicated by WeCom).
// A non-zero errcode in an HTTP 200 reply is a failure.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "plugins/sdk/http_client.h"
#include "plugins/sdk/runner.h"

namespace zhiban::wecom {

struct WecomConfig {
  std::string mode;  // robot | app
  std::string endpoint = "https://qyapi.weixin.qq.com";
  std::string format = "text";  // robot: text | markdown
  std::string key;              // robot webhook key
  std::string corp_id, corp_secret;
  int64_t agent_id = 0;
  int duplicate_check_interval = 1800;  // seconds (app)
  int timeout_ms = 10000;
  int64_t rate_limit_wait_ms = 60000;  // after errcode 45009 (the robot's per-minute window)
};

Result<WecomConfig> ParseWecomConfig(const toml::table& section, const std::string& source);

// A WeCom API answer as read: HTTP status first, then errcode; a reply of
// any shape is judged (a field of the wrong type reads as absent), never
// thrown on. Apart from the HTTP call so tests and fuzz/ can feed it bytes.
struct WecomReply {
  plugin::Delivery delivery;
  int64_t errcode = 0;
  std::string access_token;   // gettoken
  int64_t expires_in = 7200;  // gettoken, seconds
  std::string invaliduser;    // message/send: recipients WeCom did not know
};
WecomReply JudgeWecomReply(int http_status, std::string_view body,
                           std::chrono::milliseconds rate_wait);

class WecomNotifier final : public plugin::RoutedNotifier {
 public:
  WecomNotifier(std::unique_ptr<plugin::Router> router, WecomConfig config);
  plugin::Delivery Send(const v1::Notification& n) override;
  plugin::Reconciled Reconcile(const v1::Notification& n) override;
  std::string Metrics() const override;

 private:
  plugin::Delivery SendRobot(const v1::Notification& n);
  plugin::Delivery SendApp(const v1::Notification& n);
  Status RefreshToken();

  WecomConfig c_;
  plugin::HttpClient http_;
  std::string token_;
  std::chrono::steady_clock::time_point token_expires_{};
  std::atomic<uint64_t> sent_{0}, token_fetches_{0}, invalid_users_{0};
};

}  // namespace zhiban::wecom
