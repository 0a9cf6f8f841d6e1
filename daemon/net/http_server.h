// HttpServer: a tiny HTTP/1.1 server (Boost.Beast) on the core's io_context
// for /healthz and /metrics. One request per connection; requests larger than
// 8 KiB or slower than 5 s are dropped.
//
// Thread-safety: runs on the io_context thread; the handler is called there.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "daemon/base/status.h"

namespace boost::asio {
class io_context;
}

namespace zhiban::net {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  // Called with the request target (path and query).
  using Handler = std::function<HttpResponse(const std::string& target)>;

  HttpServer(boost::asio::io_context& io, std::string listen, Handler handler);
  ~HttpServer();

  Status Start();  // "host:port"; port 0 picks a free one
  void Stop();
  std::string address() const;  // host:port actually bound

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace zhiban::net
