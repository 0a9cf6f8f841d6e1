#include "plugins/wecom/wecom.h"

#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "daemon/base/utf8.h"
#include "plugins/sdk/app.h"

namespace zhiban::wecom {
namespace {

using json = nlohmann::json;
using plugin::Delivery;

constexpr size_t kMaxText = 2048;      // bytes, robot text
constexpr size_t kMaxMarkdown = 4096;  // bytes, robot markdown

// A reply judged from an HTTP call (a transport error is retried).
WecomReply Judge(const Result<plugin::HttpReply>& r, std::chrono::milliseconds rate_wait) {
  if (!r.ok()) return {Delivery::Retry(fmt::format("wecom: {}", r.status().message()))};
  return JudgeWecomReply(r->status, r->body, rate_wait);
}

}  // namespace

WecomReply JudgeWecomReply(int status, std::string_view body, std::chrono::milliseconds rate_wait) {
  WecomReply out;
  if (status >= 500 || status == 429) {
    out.delivery = Delivery::Retry(fmt::format("wecom: HTTP {}", status));
    return out;
  }
  if (status != 200) {
    out.delivery = Delivery::Fatal(fmt::format("wecom: HTTP {}", status));
    return out;
  }
  const json reply = json::parse(body, nullptr, false);
  const auto field = [&](const char* key) -> const json* {
    if (!reply.is_object()) return nullptr;
    auto it = reply.find(key);
    return it == reply.end() ? nullptr : &*it;
  };
  const auto text = [&](const char* key) {
    const json* f = field(key);
    return f && f->is_string() ? Utf8Excerpt(f->get<std::string>(), 500) : std::string();
  };
  const json* code = field("errcode");
  if (!code || !code->is_number_integer()) {
    out.delivery = Delivery::Retry("wecom: reply is not JSON with an integer errcode");
    return out;
  }
  out.errcode = code->get<int64_t>();
  out.access_token = text("access_token");
  if (const json* ttl = field("expires_in"); ttl && ttl->is_number_integer())
    out.expires_in = ttl->get<int64_t>();
  out.invaliduser = text("invaliduser");
  if (out.errcode == 0) return out;
  const std::string why = fmt::format("wecom errcode {}: {}", out.errcode, text("errmsg"));
  if (out.errcode == -1) {
    out.delivery = Delivery::Retry(why);  // system busy
  } else if (out.errcode == 45009) {
    out.delivery = Delivery::Retry(why, rate_wait);  // frequency limit
  } else {
    out.delivery = Delivery::Fatal(why);
  }
  return out;
}

Result<WecomConfig> ParseWecomConfig(const toml::table& t, const std::string& source) {
  WecomConfig c;
  const std::string where = source + ": [wecom]";
  static const std::set<std::string> keys = {"mode",
                                             "endpoint",
                                             "format",
                                             "key",
                                             "key_env",
                                             "key_file",
                                             "corp_id",
                                             "corp_secret",
                                             "corp_secret_env",
                                             "corp_secret_file",
                                             "agent_id",
                                             "duplicate_check_interval",
                                             "timeout_ms",
                                             "rate_limit_wait_ms"};
  for (const auto& [k, v] : t) {
    if (!keys.count(std::string(k.str()))) {
      return Status::InvalidArgument(
          "wecom", fmt::format("{}:{}: [wecom]: unknown key '{}' (known: {})", source,
                               v.source().begin.line, k.str(), fmt::join(keys, ", ")));
    }
  }
  c.mode = t["mode"].value_or(std::string());
  c.endpoint = t["endpoint"].value_or(c.endpoint);
  while (c.endpoint.ends_with("/")) c.endpoint.pop_back();
  c.format = t["format"].value_or(c.format);
  c.timeout_ms = static_cast<int>(t["timeout_ms"].value_or(int64_t{10000}));
  c.rate_limit_wait_ms = t["rate_limit_wait_ms"].value_or(c.rate_limit_wait_ms);
  if (c.mode == "robot") {
    if (c.format != "text" && c.format != "markdown") {
      return Status::InvalidArgument("wecom.format",
                                     where + ": format must be \"text\" or \"markdown\"");
    }
    ZB_ASSIGN_OR_RETURN(auto key, plugin::Secret(t, "key", where));
    c.key = key;
  } else if (c.mode == "app") {
    c.corp_id = t["corp_id"].value_or(std::string());
    c.agent_id = t["agent_id"].value_or(int64_t{0});
    c.duplicate_check_interval =
        static_cast<int>(t["duplicate_check_interval"].value_or(int64_t{1800}));
    ZB_ASSIGN_OR_RETURN(auto secret, plugin::Secret(t, "corp_secret", where));
    c.corp_secret = secret;
    if (c.corp_id.empty() || c.agent_id <= 0) {
      return Status::InvalidArgument("wecom",
                                     where + ": app mode needs corp_id and agent_id (an integer)");
    }
    if (c.duplicate_check_interval < 1 || c.duplicate_check_interval > 14400) {
      return Status::InvalidArgument("wecom.duplicate_check_interval",
                                     where + ": duplicate_check_interval is 1..14400 seconds");
    }
  } else {
    return Status::InvalidArgument("wecom.mode", where + ": mode must be \"robot\" or \"app\"");
  }
  return c;
}

WecomNotifier::WecomNotifier(std::unique_ptr<plugin::Router> router, WecomConfig config)
    : RoutedNotifier(std::move(router)),
      c_(std::move(config)),
      http_(std::chrono::milliseconds(c_.timeout_ms)) {}

Delivery WecomNotifier::Send(const v1::Notification& n) {
  Delivery d = c_.mode == "robot" ? SendRobot(n) : SendApp(n);
  if (d.kind == Delivery::Kind::kOk) ++sent_;
  return d;
}

Delivery WecomNotifier::SendRobot(const v1::Notification& n) {
  json body;
  if (c_.format == "markdown") {
    std::string content = n.text();
    for (const auto& r : n.recipients()) {
      if (!r.wecom_user_id().empty()) content += fmt::format(" <@{}>", r.wecom_user_id());
    }
    if (content.size() > kMaxMarkdown)
      return Delivery::Fatal(
          fmt::format("markdown is {} bytes; a robot takes {}", content.size(), kMaxMarkdown));
    body = {{"msgtype", "markdown"}, {"markdown", {{"content", content}}}};
  } else {
    if (n.text().size() > kMaxText)
      return Delivery::Fatal(
          fmt::format("text is {} bytes; a robot takes {}", n.text().size(), kMaxText));
    json mobiles = json::array();
    for (const auto& r : n.recipients()) {
      if (!r.phone().empty()) mobiles.push_back(r.phone());
    }
    body = {{"msgtype", "text"},
            {"text", {{"content", n.text()}, {"mentioned_mobile_list", mobiles}}}};
  }
  plugin::HttpRequest req;
  req.url = fmt::format("{}/cgi-bin/webhook/send?key={}", c_.endpoint,
                        plugin::HttpClient::Escape(c_.key));
  req.headers = {{"Content-Type", "application/json"}};
  req.body = body.dump();
  return Judge(http_.Call(req), std::chrono::milliseconds(c_.rate_limit_wait_ms)).delivery;
}

Status WecomNotifier::RefreshToken() {
  plugin::HttpRequest req;
  req.method = "GET";
  req.url = fmt::format("{}/cgi-bin/gettoken?corpid={}&corpsecret={}", c_.endpoint,
                        plugin::HttpClient::Escape(c_.corp_id),
                        plugin::HttpClient::Escape(c_.corp_secret));
  const WecomReply reply = Judge(http_.Call(req), std::chrono::milliseconds(c_.rate_limit_wait_ms));
  ++token_fetches_;
  if (reply.delivery.kind != Delivery::Kind::kOk)
    return Status::Unavailable(fmt::format("gettoken: {}", reply.delivery.reason));
  token_ = reply.access_token;
  const int64_t ttl = std::max<int64_t>(reply.expires_in, 2);
  // Refresh five minutes early (or halfway through a short token).
  token_expires_ =
      std::chrono::steady_clock::now() + std::chrono::seconds(ttl > 600 ? ttl - 300 : ttl / 2);
  if (token_.empty()) return Status::Unavailable("gettoken: no access_token in the reply");
  return {};
}

Delivery WecomNotifier::SendApp(const v1::Notification& n) {
  std::vector<std::string> users;
  for (const auto& r : n.recipients()) {
    if (!r.wecom_user_id().empty()) users.push_back(r.wecom_user_id());
  }
  if (users.empty()) return Delivery::Fatal("no recipient has a WeCom userid");
  json body = {{"touser", fmt::format("{}", fmt::join(users, "|"))},
               {"msgtype", "text"},
               {"agentid", c_.agent_id},
               {"text", {{"content", n.text()}}},
               {"enable_duplicate_check", 1},
               {"duplicate_check_interval", c_.duplicate_check_interval}};
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (token_.empty() || std::chrono::steady_clock::now() >= token_expires_) {
      if (auto s = RefreshToken(); !s.ok()) return Delivery::Retry(s.message());
    }
    plugin::HttpRequest req;
    req.url = fmt::format("{}/cgi-bin/message/send?access_token={}", c_.endpoint,
                          plugin::HttpClient::Escape(token_));
    req.headers = {{"Content-Type", "application/json"}};
    req.body = body.dump();
    const WecomReply reply =
        Judge(http_.Call(req), std::chrono::milliseconds(c_.rate_limit_wait_ms));
    if (reply.errcode == 40014 || reply.errcode == 42001) {  // token invalid or expired: once more
      spdlog::info("wecom access token refused ({}); fetching a new one", reply.errcode);
      token_.clear();
      continue;
    }
    if (reply.delivery.kind == Delivery::Kind::kOk && !reply.invaliduser.empty()) {
      ++invalid_users_;
      spdlog::warn("{}: WeCom did not know {}; sent to the others", n.key(), reply.invaliduser);
    }
    return reply.delivery;
  }
  return Delivery::Retry("wecom: the access token was refused twice");
}

plugin::Reconciled WecomNotifier::Reconcile(const v1::Notification&) {
  // App messages go with enable_duplicate_check: WeCom drops a resend of the
  // same content to the same users within the interval. Robots cannot say.
  return c_.mode == "app" ? plugin::Reconciled::kProviderDeduplicates
                          : plugin::Reconciled::kUnknown;
}

std::string WecomNotifier::Metrics() const {
  return fmt::format(
      "# HELP zhiban_notify_wecom_messages_total WeCom messages accepted.\n# TYPE "
      "zhiban_notify_wecom_messages_total counter\n"
      "zhiban_notify_wecom_messages_total{{mode=\"{0}\"}} {1}\n"
      "# HELP zhiban_notify_wecom_token_fetches_total gettoken calls.\n# TYPE "
      "zhiban_notify_wecom_token_fetches_total counter\n"
      "zhiban_notify_wecom_token_fetches_total{{mode=\"{0}\"}} {2}\n"
      "# HELP zhiban_notify_wecom_invalid_users_total Messages WeCom sent with some recipients "
      "unknown.\n"
      "# TYPE zhiban_notify_wecom_invalid_users_total "
      "counter\nzhiban_notify_wecom_invalid_users_total{{mode=\"{0}\"}} {3}\n",
      c_.mode, sent_.load(), token_fetches_.load(), invalid_users_.load());
}

}  // namespace zhiban::wecom
