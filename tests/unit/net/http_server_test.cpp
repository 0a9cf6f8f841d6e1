// The HTTP route table and server: methods, limits, keep-alive, cookies,
// over a real socket.
#include "daemon/net/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace zhiban::net {
namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto router = std::make_shared<HttpRouter>();
    router->Add({"GET", "/hello", 0, [](const HttpRequest& r) {
                   return HttpResponse{200,
                                       "text/plain; charset=utf-8",
                                       "hi " + r.QueryParam("name") + " " + r.Cookie("sid") + "\n",
                                       {{"X-Test", "1"}}};
                 }});
    router->Add(
        {"POST", "/echo", 16, [](const HttpRequest& r) {
           return HttpResponse{
               200, "text/plain; charset=utf-8", r.Header("content-type") + ":" + r.body, {}};
         }});
    router->Add({"GET", "/throws", 0, [](const HttpRequest& r) -> HttpResponse {
                   if (r.QueryParam("what") == "int") throw 42;
                   throw std::out_of_range("stoi");
                 }});
    router_ = router;
    server_ = std::make_unique<HttpServer>(io_, "127.0.0.1:0", router);
    ASSERT_TRUE(server_->Start().ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    boost::asio::post(io_, [this] { server_->Stop(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  // Sends `raw` on one connection and reads until the server closes it.
  std::string Exchange(const std::string& raw) {
    const std::string addr = server_->address();
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(std::stoi(addr.substr(addr.rfind(':') + 1))));
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    EXPECT_EQ(write(fd, raw.data(), raw.size()), static_cast<ssize_t>(raw.size()));
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
    close(fd);
    return out;
  }

  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      boost::asio::make_work_guard(io_)};
  std::shared_ptr<const HttpRouter> router_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

TEST_F(HttpServerTest, RoutesByMethodAndPathWithQueryCookiesAndHeaders) {
  std::string r = Exchange(
      "GET /hello?name=%E5%BC%A0+san HTTP/1.1\r\nHost: x\r\nCookie: a=1; sid=s3\r\n"
      "Connection: close\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  EXPECT_NE(r.find("X-Test: 1"), std::string::npos) << r;
  EXPECT_NE(r.find("hi 张 san s3\n"), std::string::npos) << r;

  r = Exchange("HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  EXPECT_EQ(r.find("hi "), std::string::npos) << "HEAD has no body: " << r;

  r = Exchange("DELETE /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 405", 0), 0u) << r;
  EXPECT_NE(r.find("Allow: GET, HEAD"), std::string::npos) << r;

  r = Exchange("GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 404", 0), 0u) << r;
  EXPECT_NE(r.find("/hello"), std::string::npos) << "names what is there: " << r;
}

TEST_F(HttpServerTest, BodiesWithinTheRouteLimitOthersRefused) {
  std::string r = Exchange(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
      "Connection: close\r\n\r\nhello");
  EXPECT_NE(r.find("text/plain:hello"), std::string::npos) << r;
  r = Exchange(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\nConnection: close\r\n\r\n"
      "12345678901234567");
  EXPECT_EQ(r.rfind("HTTP/1.1 413", 0), 0u) << r;
  r = Exchange("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') +
               "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 431", 0), 0u) << r;
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  const std::string r = Exchange(
      "GET /hello?name=a HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /hello?name=b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(r.find("hi a"), std::string::npos) << r;
  EXPECT_NE(r.find("hi b"), std::string::npos) << r;
}

// An exception in a handler is answered 500 and counted; the server keeps
// serving (before: it ran out of the io_context and ended the process).
TEST_F(HttpServerTest, AHandlerThatThrowsIsAnswered500AndCounted) {
  EXPECT_EQ(router_->handler_failures(), 0u);
  std::string r = Exchange("GET /throws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 500", 0), 0u) << r;
  EXPECT_NE(r.find("internal error answering GET /throws"), std::string::npos) << r;
  EXPECT_EQ(r.find("stoi"), std::string::npos) << "the cause stays in the log: " << r;
  r = Exchange("GET /throws?what=int HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 500", 0), 0u) << r;
  EXPECT_EQ(router_->handler_failures(), 2u);
  r = Exchange("GET /hello?name=a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(r.find("hi a"), std::string::npos) << "still serving: " << r;
}

// The parser the sessions use, on bytes alone (the fuzz harness drives it).
TEST(ParseHttpRequest, DecodesWhatHandlersReadAndRefusesTheRest) {
  auto r = ParseHttpRequest(
      "POST /cb?code=%E5%BC%A0&x HTTP/1.1\r\nHost: h\r\nCookie: sid=s1; b=2\r\n"
      "Content-Length: 3\r\n\r\nabc",
      16);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->path, "/cb");
  EXPECT_EQ(r->QueryParam("code"), "张");
  EXPECT_EQ(r->QueryParam("x"), "");
  EXPECT_EQ(r->Cookie("sid"), "s1");
  EXPECT_EQ(r->Header("host"), "h");
  EXPECT_EQ(r->body, "abc");
  EXPECT_FALSE(ParseHttpRequest("GET / HTTP/1.1\r\nHost: h\r\n", 0).ok()) << "incomplete";
  EXPECT_FALSE(ParseHttpRequest("GET / HTTP/9\r\n\r\n", 0).ok());
  EXPECT_FALSE(
      ParseHttpRequest("POST / HTTP/1.1\r\nContent-Length: 17\r\n\r\n12345678901234567", 16).ok())
      << "over the body limit";
  auto extra = ParseHttpRequest("GET / HTTP/1.1\r\n\r\nGET /again HTTP/1.1\r\n\r\n", 0);
  ASSERT_FALSE(extra.ok());
  EXPECT_NE(extra.status().message().find("after the request"), std::string::npos);
}

TEST(HttpRouter, ARouteRegisteredTwiceStopsTheProcess) {
  HttpRouter r;
  r.Add({"GET", "/x", 0, [](const HttpRequest&) { return HttpResponse{}; }});
  EXPECT_DEATH(r.Add({"GET", "/x", 0, [](const HttpRequest&) { return HttpResponse{}; }}),
               "registered twice");
}

TEST(HttpServer, RefusesAPortOutOfRange) {
  boost::asio::io_context io;
  HttpServer s(io, "127.0.0.1:93216", std::make_shared<HttpRouter>());
  Status st = s.Start();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("93216"), std::string::npos) << st.message();
  for (const char* bad : {"127.0.0.1:80x", "127.0.0.1:", "127.0.0.1:-1", "127.0.0.1:+80"}) {
    HttpServer b(io, bad, std::make_shared<HttpRouter>());
    st = b.Start();
    EXPECT_FALSE(st.ok()) << bad;
    EXPECT_NE(st.message().find("no valid port"), std::string::npos) << st.message();
  }
}

}  // namespace
}  // namespace zhiban::net
