#include "daemon/net/http_server.h"

#include <sys/resource.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <list>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "daemon/base/number.h"

namespace zhiban::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session;

// The connections open, oldest first, and what the server counts of them.
// One thread (the io_context's) touches it.
struct Registry {
  HttpLimits limits;
  HttpCounters counters;
  std::list<std::weak_ptr<Session>> sessions;
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding ('+' is a space); a bad escape stays as sent.
std::string Decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

void ParseCookies(std::string_view header, std::map<std::string, std::string>* out) {
  while (!header.empty()) {
    const size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    out->emplace(std::string(pair.substr(0, eq)), std::string(pair.substr(eq + 1)));
  }
}

// The request a handler sees, from what Beast parsed.
HttpRequest ToRequest(http::request<http::string_body>&& msg) {
  HttpRequest req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  const size_t q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);
  for (const auto& f : msg) {
    req.headers[Lower(f.name_string())] = std::string(f.value());
  }
  if (auto it = req.headers.find("cookie"); it != req.headers.end()) {
    ParseCookies(it->second, &req.cookies);
  }
  req.body = std::move(msg.body());
  return req;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<const HttpRouter> router,
          std::shared_ptr<Registry> registry)
      : stream_(std::move(socket)), router_(std::move(router)), registry_(std::move(registry)) {}

  ~Session() {
    if (!counted_) return;
    if (!dropped_) --registry_->counters.open;
    registry_->sessions.erase(self_);
  }

  void Start() {
    registry_->sessions.push_back(weak_from_this());
    self_ = std::prev(registry_->sessions.end());
    counted_ = true;
    ++registry_->counters.open;
    ReadHeader(registry_->limits.first_header);
  }

  // Waiting for a request: may be closed to make room.
  bool idle() const { return idle_; }

  // Closes the socket now (its descriptor is free at once); the pending
  // read ends with an error and the session goes.
  void Drop() {
    if (dropped_) return;
    dropped_ = true;
    idle_ = false;
    --registry_->counters.open;  // its descriptor is free now, before its handler runs
    beast::error_code ignored;
    stream_.socket().close(ignored);
  }

 private:
  void ReadHeader(std::chrono::seconds timeout) {
    idle_ = !dropped_;
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    // Beast would judge Content-Length against the limit while parsing the
    // header; the route's own limit is applied once the route is known.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    idle_ = false;
    if (ec == http::error::header_limit) {
      return Reply({431, "text/plain; charset=utf-8", "request headers too large\n", {}}, false);
    }
    if (ec) return Close();  // idle, timeout, malformed or gone: close
    const auto& h = parser_->get();
    const std::string method(h.method_string());
    const std::string target(h.target());
    const std::string path = target.substr(0, target.find('?'));
    std::string allowed;
    const HttpRoute* route = router_->Find(method, path, &allowed);
    const auto length = parser_->content_length();
    if (route && length && *length > route->body_limit) {
      return Reply({413,
                    "text/plain; charset=utf-8",
                    fmt::format("a request body here is at most {} bytes\n", route->body_limit),
                    {}},
                   false);
    }
    parser_->body_limit(route ? route->body_limit : 0);
    stream_.expires_after(registry_->limits.request);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code e, size_t) { self->OnBody(e); });
  }

  void OnBody(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return Reply({413, "text/plain; charset=utf-8", "request body too large\n", {}}, false);
    }
    if (ec) return Close();
    auto& msg = parser_->get();
    const bool head = msg.method() == http::verb::head;
    const bool keep = msg.keep_alive();
    HttpResponse r = router_->Dispatch(ToRequest(std::move(msg)));
    if (head) r.body.clear();
    Reply(std::move(r), keep, head);
  }

  void Reply(HttpResponse r, bool keep_alive, bool head = false) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<http::status>(r.status));
    res->set(http::field::content_type, r.content_type);
    res->set(http::field::server, "zhiband");
    for (auto& [k, v] : r.headers) res->insert(k, v);
    res->keep_alive(keep_alive);
    const size_t length = r.body.size();
    res->body() = std::move(r.body);
    res->prepare_payload();
    if (head) res->content_length(length);
    stream_.expires_after(registry_->limits.request);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                        if (ec || !keep_alive) return self->Close();
                        self->ReadHeader(self->registry_->limits.idle);
                      });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<const HttpRouter> router_;  // shared: a session may outlive the server
  std::shared_ptr<Registry> registry_;        // likewise
  std::list<std::weak_ptr<Session>>::iterator self_;
  bool counted_ = false, idle_ = false, dropped_ = false;
};

}  // namespace

std::string HttpRequest::QueryParam(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (Decode(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : Decode(pair.substr(eq + 1));
    }
  }
  return {};
}

std::string HttpRequest::Header(std::string_view lower_name) const {
  auto it = headers.find(std::string(lower_name));
  return it == headers.end() ? std::string() : it->second;
}

std::string HttpRequest::Cookie(std::string_view name) const {
  auto it = cookies.find(std::string(name));
  return it == cookies.end() ? std::string() : it->second;
}

void HttpRouter::Add(HttpRoute route) {
  for (const auto& r : routes_) {
    if (r.method == route.method && r.path == route.path) {
      std::fprintf(stderr, "zhiband: HTTP route %s %s is registered twice\n", route.method.c_str(),
                   route.path.c_str());
      std::abort();
    }
  }
  routes_.push_back(std::move(route));
}

const HttpRoute* HttpRouter::Find(std::string_view method, std::string_view path,
                                  std::string* allowed) const {
  // HEAD is answered by the GET route.
  const std::string_view want = method == "HEAD" ? std::string_view("GET") : method;
  for (const auto& r : routes_) {
    if (r.path != path) continue;
    if (r.method == want) return &r;
    if (allowed) {
      if (!allowed->empty()) *allowed += ", ";
      *allowed += r.method == "GET" ? "GET, HEAD" : r.method;
    }
  }
  return nullptr;
}

Result<HttpRequest> ParseHttpRequest(std::string_view raw, size_t body_limit) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(body_limit);
  parser.eager(true);
  beast::error_code ec;
  const size_t used = parser.put(asio::buffer(raw.data(), raw.size()), ec);
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec) return Status::InvalidArgument("request", ec.message());
  if (!parser.is_done()) return Status::InvalidArgument("request", "incomplete");
  if (used != raw.size()) {
    return Status::InvalidArgument("request",
                                   fmt::format("{} bytes after the request", raw.size() - used));
  }
  return ToRequest(parser.release());
}

HttpResponse HttpRouter::Dispatch(const HttpRequest& req) const {
  std::string allowed;
  const HttpRoute* r = Find(req.method, req.path, &allowed);
  if (r) {
    std::string what;
    try {
      return r->handler(req);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
      what = "an exception that is not a std::exception";
    }
    handler_failures_.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("http: {} {} failed: {}", req.method, req.path, what);
    return {
        500,
        "text/plain; charset=utf-8",
        fmt::format("internal error answering {} {}; the server logged it\n", req.method, req.path),
        {}};
  }
  if (!allowed.empty()) {
    return {405,
            "text/plain; charset=utf-8",
            fmt::format("{} is not served at {}; allowed: {}\n", req.method, req.path, allowed),
            {{"Allow", allowed}}};
  }
  std::string known;
  for (const auto& x : routes_) {
    if (known.find(x.path) == std::string::npos) known += (known.empty() ? "" : ", ") + x.path;
  }
  return {404, "text/plain; charset=utf-8", fmt::format("not found; try {}\n", known), {}};
}

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  asio::io_context& io;
  std::string listen;
  std::shared_ptr<const HttpRouter> router;
  std::shared_ptr<Registry> registry;
  tcp::acceptor acceptor;
  asio::steady_timer pause;
  bool stopped = false;

  Impl(asio::io_context& i, std::string l, std::shared_ptr<const HttpRouter> r, HttpLimits limits)
      : io(i),
        listen(std::move(l)),
        router(std::move(r)),
        registry(std::make_shared<Registry>()),
        acceptor(i),
        pause(i) {
    registry->limits = limits;
  }

  // At the cap: the oldest idle connection closed to make room; false when
  // none is idle.
  bool MakeRoom() {
    for (auto& w : registry->sessions) {
      auto s = w.lock();
      if (s && s->idle()) {
        s->Drop();
        ++registry->counters.idle_closed;
        return true;
      }
    }
    return false;
  }

  void Accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (self->stopped) return;
      if (ec) {
        // EMFILE and its kind: accepting again at once would spin on the
        // same error while the listen queue holds the peer. A pause, then
        // again (the connections' timeouts free descriptors meanwhile).
        if (self->registry->counters.accept_errors++ % 100 == 0)
          spdlog::warn("http: accept failed: {}; retrying in 100 ms", ec.message());
        self->pause.expires_after(std::chrono::milliseconds(100));
        self->pause.async_wait([self](beast::error_code e) {
          if (!e && !self->stopped) self->Accept();
        });
        return;
      }
      Registry& reg = *self->registry;
      if (reg.counters.open >= reg.counters.max_connections && !self->MakeRoom()) {
        ++reg.counters.refused;
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<Session>(std::move(socket), self->router, self->registry)->Start();
      }
      self->Accept();
    });
  }
};

HttpServer::HttpServer(asio::io_context& io, std::string listen,
                       std::shared_ptr<const HttpRouter> router, HttpLimits limits)
    : impl_(std::make_shared<Impl>(io, std::move(listen), std::move(router), limits)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  auto colon = impl_->listen.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("http", fmt::format("\"{}\" is not host:port", impl_->listen));
  }
  std::string host = impl_->listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  beast::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument("http", fmt::format("\"{}\" is not an IP address", host));
  auto port = ParseNumber<uint16_t>(std::string_view(impl_->listen).substr(colon + 1), "http");
  if (!port.ok()) {
    return Status::InvalidArgument(
        "http", fmt::format("\"{}\" has no valid port (0..65535)", impl_->listen));
  }
  tcp::endpoint ep(addr, *port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Status::Unavailable(fmt::format("cannot listen on {}: {}", impl_->listen, ec.message()));
  // The cap leaves fd_reserve descriptors under the soft limit for the rest
  // of the process.
  size_t cap = impl_->registry->limits.max_connections;
  if (rlimit rl{}; ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    const size_t reserve = impl_->registry->limits.fd_reserve;
    const size_t room = rl.rlim_cur > reserve + 16 ? rl.rlim_cur - reserve : 16;
    if (room < cap) {
      spdlog::warn(
          "http: at most {} connections (not {}): the descriptor limit is {} and {} are kept for "
          "the store and the sockets; raise LimitNOFILE to allow more",
          room, cap, rl.rlim_cur, reserve);
      cap = room;
    }
  }
  impl_->registry->counters.max_connections = cap;
  impl_->Accept();
  return {};
}

const HttpCounters& HttpServer::counters() const { return impl_->registry->counters; }

void HttpServer::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  beast::error_code ec;
  impl_->acceptor.close(ec);
  impl_->pause.cancel();
}

std::string HttpServer::address() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  if (ec) return {};
  return fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

}  // namespace zhiban::net
