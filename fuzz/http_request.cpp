// The HTTP request parser every page and callback goes through: Beast's
// parser with zhiband's limits, then the query, cookie and header decoding
// handlers read (net::ParseHttpRequest, HttpRequest::QueryParam/Cookie/Header),
// then the route table. Asserts: no crash; a decoded value is never longer
// than what it was decoded from; the path has no query; header names are
// lower case; the router answers 200, 404 or 405.
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/net/http_server.h"

namespace {

const zhiban::net::HttpRouter& Router() {
  static const auto* router = [] {
    auto* r = new zhiban::net::HttpRouter();
    r->Add({"GET", "/staff/login", 0, [](const zhiban::net::HttpRequest& q) {
              return zhiban::net::HttpResponse{200, "text/plain", q.QueryParam("code"), {}};
            }});
    r->Add({"POST", "/wecom/callback", 4096, [](const zhiban::net::HttpRequest& q) {
              return zhiban::net::HttpResponse{200, "text/plain", q.body, {}};
            }});
    return r;
  }();
  return *router;
}

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto req = zhiban::net::ParseHttpRequest(bytes, 4096);
  if (!req.ok()) {
    Check(!req.status().message().empty());
    return 0;
  }
  Check(req->path.find('?') == std::string::npos);
  Check(req->path.size() + req->query.size() <= req->target.size());
  for (const auto& [name, value] : req->headers) {
    for (char c : name) Check(!std::isupper(static_cast<unsigned char>(c)));
    Check(req->Header(name) == value);
  }
  // Every name the query holds, and a few it may not.
  std::string_view rest = req->query;
  for (int i = 0; i < 64 && !rest.empty(); ++i) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const std::string name(pair.substr(0, pair.find('=')));
    Check(req->QueryParam(name).size() <= req->query.size());
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
  }
  for (const char* name : {"", "code", "state", "sid"}) {
    Check(req->QueryParam(name).size() <= req->query.size());
    Check(req->Cookie(name).size() <= req->Header("cookie").size());
  }
  const auto answer = Router().Dispatch(*req);
  Check(answer.status == 200 || answer.status == 404 || answer.status == 405);
  return 0;
}
