// HttpClient: one keep-alive libcurl handle for a notifier's provider calls.
// Network errors and timeouts come back as Unavailable (retry); any HTTP
// reply, whatever its status, is a reply for the provider code to judge.
//
// Thread-safety: one thread per client.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "daemon/base/status.h"

namespace zhiban::plugin {

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpReply {
  long status = 0;
  std::string body;
};

class HttpClient {
 public:
  explicit HttpClient(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Result<HttpReply> Call(const HttpRequest& request);

  // "a b&c" → "a%20b%26c" (RFC 3986 unreserved kept), for query strings.
  static std::string Escape(const std::string& s);

 private:
  void* curl_;
  std::chrono::milliseconds timeout_;
};

}  // namespace zhiban::plugin
