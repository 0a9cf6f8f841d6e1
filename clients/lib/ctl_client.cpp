#include "clients/lib/ctl_client.h"

#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

namespace zhiban::client {

v1::ClientInfo LocalClientInfo(const std::string& tool) {
  v1::ClientInfo info;
  const char* user = std::getenv("USER");
  if (!user || !*user) {
    if (const passwd* pw = getpwuid(getuid())) user = pw->pw_name;
  }
  info.set_user(user ? user : "unknown");
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) info.set_host(host);
  info.set_tool(tool);
  return info;
}

struct CtlClient::Impl {
  zmq::context_t& ctx;
  std::string endpoint;
  std::chrono::milliseconds timeout;
  net::CurveClient curve;
  std::unique_ptr<zmq::socket_t> sock;
  uint64_t counter = 0;
  v1::ClientInfo info = LocalClientInfo("zhiban-client");

  void Connect() {
    sock = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::dealer);
    sock->set(zmq::sockopt::linger, 0);
    if (curve.enabled() && !net::IsIpcEndpoint(endpoint)) net::MakeCurveClient(*sock, curve);
    sock->connect(endpoint);
  }

  Result<std::string> Roundtrip(const std::string& body) {
    try {
      if (!sock) Connect();
      sock->send(zmq::message_t(), zmq::send_flags::sndmore);
      sock->send(zmq::buffer(body), zmq::send_flags::none);
      zmq::pollitem_t item{sock->handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, timeout) == 0) {
        sock.reset();  // a late reply must not be taken for the next call's
        return Status::Unavailable(
            fmt::format("no answer from zhiband at {} within {} ms; is it running?", endpoint,
                        timeout.count()));
      }
      std::vector<zmq::message_t> frames;
      (void)zmq::recv_multipart(*sock, std::back_inserter(frames));
      if (frames.size() == 2 && frames[0].size() == 0) return frames[1].to_string();
      if (frames.size() == 1) return frames[0].to_string();
      return Status::Internal(fmt::format("unexpected reply of {} frames", frames.size()));
    } catch (const zmq::error_t& e) {
      sock.reset();
      return Status::Unavailable(fmt::format("ctl {}: {}", endpoint, e.what()));
    }
  }
};

CtlClient::CtlClient(zmq::context_t& ctx, std::string endpoint, std::chrono::milliseconds timeout,
                     net::CurveClient curve)
    : impl_(std::make_unique<Impl>(Impl{ctx, std::move(endpoint), timeout, std::move(curve)})) {}

CtlClient::~CtlClient() = default;

Result<v1::CtlReply> CtlClient::Call(v1::CtlRequest& request) {
  if (request.request_id().empty()) request.set_request_id(std::to_string(++impl_->counter));
  if (!request.has_client()) *request.mutable_client() = impl_->info;
  ZB_ASSIGN_OR_RETURN(auto raw, impl_->Roundtrip(request.SerializeAsString()));
  v1::CtlReply reply;
  if (!reply.ParseFromString(raw)) return Status::Internal("the reply is not a zhiban.v1.CtlReply");
  if (reply.request_id() != request.request_id() && !reply.has_error()) {
    return Status::Internal(fmt::format("reply to request {} arrived for request {}",
                                        reply.request_id(), request.request_id()));
  }
  return reply;
}

Result<std::string> CtlClient::CallRaw(const std::string& body) { return impl_->Roundtrip(body); }

const std::string& CtlClient::endpoint() const { return impl_->endpoint; }

}  // namespace zhiban::client
