// HttpServer: a small HTTP/1.1 server (Boost.Beast) on the core's io_context,
// dispatching by a route table (method + exact path -> handler). It serves
// zhiband's /healthz and /metrics, the notifier plugins' /metrics, and is what
// staff pages and provider callbacks are routed through.
//
// Limits (each named, each answered rather than silently dropped where HTTP
// allows it):
//   kMaxHeaderBytes   8 KiB of request line + headers; more: 431
//   route.body_limit  per route (default 0: no body); more: 413
//   kRequestTimeout   5 s to receive one request; then the connection closes
//   kIdleTimeout      30 s of keep-alive between requests; then it closes
// Keep-alive is honoured (HTTP/1.1 default, "Connection: close" ends it).
// Unknown path: 404; known path, other method: 405 with Allow. HEAD is
// answered wherever GET is, without the body.
//
// Thread-safety: runs on the io_context thread; handlers are called there.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/base/status.h"

namespace boost::asio {
class io_context;
}

namespace zhiban::net {

inline constexpr size_t kMaxHeaderBytes = 8 * 1024;

// One request, as a handler sees it. Header and cookie names are lower case.
struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent
  std::string path;    // target without the query
  std::string query;   // after '?', undecoded
  std::map<std::string, std::string> headers;
  std::map<std::string, std::string> cookies;
  std::string body;
  // Who is asking, when the route's authentication step has established it
  // (staff pages: a session cookie; callbacks: a verified signature). Empty
  // for anonymous routes.
  std::string principal;

  // The value of `name` in the query (percent-decoded), or "".
  std::string QueryParam(std::string_view name) const;
  std::string Header(std::string_view lower_name) const;
  std::string Cookie(std::string_view name) const;
};

// Parses one whole request from `raw` with the server's own parser and
// header limit, and a body of at most `body_limit` bytes: the request a
// handler would see for these bytes, or INVALID_ARGUMENT naming what is
// wrong (incomplete, malformed, too large). The fuzz harness uses it.
Result<HttpRequest> ParseHttpRequest(std::string_view raw, size_t body_limit);

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra: Set-Cookie, Location, ...
};

struct HttpRoute {
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  std::string method;     // "GET" (also answers HEAD), "POST", ...
  std::string path;       // exact: "/healthz"
  size_t body_limit = 0;  // most body bytes this route reads
  Handler handler;
};

// The route table. Built before the server starts; read-only after.
class HttpRouter {
 public:
  // A second route for the same method and path is a programming error: the
  // process aborts, naming it.
  void Add(HttpRoute route);
  // The route for a method and path, or nullptr; `allowed` lists the methods
  // the path has (for 405) when the method is not among them.
  const HttpRoute* Find(std::string_view method, std::string_view path, std::string* allowed) const;
  // Runs the request through the table: 404, 405 or the handler's response.
  // A handler that throws is answered 500, logged and counted: no exception
  // leaves the dispatcher (base/status.h).
  HttpResponse Dispatch(const HttpRequest& req) const;
  size_t size() const { return routes_.size(); }
  // Requests whose handler threw, since the router was built.
  uint64_t handler_failures() const { return handler_failures_.load(std::memory_order_relaxed); }

 private:
  std::vector<HttpRoute> routes_;
  mutable std::atomic<uint64_t> handler_failures_{0};
};

// What one client may hold (issue 37: 1,100 idle connections that each sent
// one header line spun the accept loop and starved zhiband's descriptors).
struct HttpLimits {
  // Connections open at once. At the cap, a new one closes the oldest idle
  // connection (waiting for a request) to make room, or is closed itself
  // when none is idle. Start lowers it to the descriptors left above
  // `fd_reserve` under RLIMIT_NOFILE.
  size_t max_connections = 512;
  size_t fd_reserve = 320;               // descriptors kept for RocksDB, ZeroMQ and the logs
  std::chrono::seconds first_header{5};  // to send the first request's header
  std::chrono::seconds request{5};       // to send a body, and to take the reply
  std::chrono::seconds idle{30};         // between requests on a kept-alive connection
};

struct HttpCounters {
  uint64_t open = 0;           // connections open now
  uint64_t idle_closed = 0;    // idle ones closed to make room at the cap
  uint64_t refused = 0;        // new ones closed at the cap with none idle
  uint64_t accept_errors = 0;  // accept failed (EMFILE...): retried after a pause
  size_t max_connections = 0;  // the cap in force
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, std::string listen,
             std::shared_ptr<const HttpRouter> router, HttpLimits limits = {});
  ~HttpServer();

  Status Start();  // "host:port"; port 0 picks a free one
  void Stop();
  std::string address() const;           // host:port actually bound
  const HttpCounters& counters() const;  // read on the io thread

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace zhiban::net
