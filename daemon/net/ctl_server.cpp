#include "daemon/net/ctl_server.h"

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "daemon/net/curve.h"
#include "daemon/net/peer_guard.h"
#include "daemon/net/zmq_util.h"

namespace zhiban::net {

namespace asio = boost::asio;

struct CtlCall::Envelope {
  std::vector<zmq::message_t> frames;  // routing id and any further envelope frames
  bool delimited = true;               // the request had the empty delimiter
};

struct CtlServer::Impl {
  asio::io_context& io;
  zmq::socket_t sock;
  CtlServerOptions options;
  Handler handler;
  std::string bound;
  std::optional<asio::posix::stream_descriptor> fd;
  bool stopped = false;

  Impl(asio::io_context& i, zmq::context_t& ctx, CtlServerOptions o, Handler h)
      : io(i), sock(ctx, zmq::socket_type::router), options(std::move(o)), handler(std::move(h)) {}

  void Arm() {
    if (stopped) return;
    fd->async_wait(asio::posix::stream_descriptor::wait_read,
                   [this](const boost::system::error_code& ec) {
                     if (!ec && !stopped) Drain();
                   });
  }

  // A SIGTERM landing just after a reply used to turn EINTR here into an
  // uncaught throw that aborted zhiband; any error other than EINTR is
  // logged and read as no input (the FD wait notices what follows).
  bool InputPending() {
    try {
      return (RetryOnEintr([&] { return sock.get(zmq::sockopt::events); }) & ZMQ_POLLIN) != 0;
    } catch (const zmq::error_t& e) {
      spdlog::error("ctl socket events: {}", e.what());
      return false;
    }
  }

  CtlCall Split(std::vector<zmq::message_t>&& frames) const {
    CtlCall call;
    call.local = options.local;
    if (!options.curve_secret_key.empty()) call.user_id = UserIdOf(frames.back());
    call.envelope = std::make_shared<CtlCall::Envelope>();
    size_t delim = 1;
    while (delim < frames.size() && frames[delim].size() != 0) ++delim;
    if (delim >= frames.size()) {
      // No empty delimiter: [id][body...] from a bare DEALER.
      call.envelope->delimited = false;
      call.envelope->frames.push_back(std::move(frames[0]));
      call.frame_error = Status::InvalidArgument(
          "", "malformed message: expected [empty delimiter][CtlRequest] frames");
      return call;
    }
    for (size_t i = 0; i < delim; ++i) call.envelope->frames.push_back(std::move(frames[i]));
    if (frames.size() - delim != 2) {
      call.frame_error = Status::InvalidArgument(
          "", fmt::format("malformed message: expected one CtlRequest frame after the delimiter, "
                          "got {}",
                          frames.size() - delim - 1));
      return call;
    }
    call.body = frames[delim + 1].to_string();
    return call;
  }

  void Send(CtlCall& call) {
    try {
      constexpr auto more = zmq::send_flags::sndmore | zmq::send_flags::dontwait;
      for (auto& f : call.envelope->frames) RetryOnEintr([&] { return sock.send(f, more); });
      if (call.envelope->delimited) RetryOnEintr([&] { return sock.send(zmq::message_t(), more); });
      RetryOnEintr([&] { return sock.send(zmq::buffer(call.reply), zmq::send_flags::dontwait); });
    } catch (const zmq::error_t& e) {
      spdlog::warn("ctl reply not sent: {}", e.what());
    }
  }

  void Drain() {
    std::vector<CtlCall> calls;
    try {
      while (calls.size() < options.max_group) {
        std::vector<zmq::message_t> frames;
        auto got = RetryOnEintr([&] {
          frames.clear();
          return zmq::recv_multipart(sock, std::back_inserter(frames), zmq::recv_flags::dontwait);
        });
        if (!got) break;
        calls.push_back(Split(std::move(frames)));
      }
    } catch (const zmq::error_t& e) {
      spdlog::error("ctl receive failed: {}", e.what());
    }
    if (!calls.empty()) {
      handler(calls);
      for (auto& c : calls) {
        if (!c.deferred) Send(c);
      }
    }
    if (stopped) return;
    // Edge-triggered FD: more may be queued without a new signal.
    if (InputPending()) {
      asio::post(io, [this] {
        if (!stopped) Drain();
      });
    } else {
      Arm();
    }
  }
};

CtlServer::CtlServer(asio::io_context& io, zmq::context_t& ctx, CtlServerOptions options,
                     Handler handler)
    : impl_(std::make_unique<Impl>(io, ctx, std::move(options), std::move(handler))) {}

CtlServer::~CtlServer() { Stop(); }

Status CtlServer::Start() {
  auto& s = impl_->sock;
  s.set(zmq::sockopt::maxmsgsize, impl_->options.max_message_bytes);
  s.set(zmq::sockopt::sndhwm, impl_->options.hwm);
  s.set(zmq::sockopt::rcvhwm, impl_->options.hwm);
  s.set(zmq::sockopt::linger, 1000);
  if (!impl_->options.curve_secret_key.empty()) MakeCurveServer(s, impl_->options.curve_secret_key);
  if (impl_->options.guard) ZB_RETURN_IF_ERROR(impl_->options.guard->Watch(s));
  ZB_ASSIGN_OR_RETURN(auto bound, Bind(s, impl_->options.endpoint));
  impl_->bound = bound;
  impl_->fd.emplace(impl_->io, s.get(zmq::sockopt::fd));
  // Input may already be pending: drain once before sleeping on the FD.
  asio::post(impl_->io, [this] {
    if (!impl_->stopped) impl_->Drain();
  });
  return {};
}

void CtlServer::Reply(CtlCall& call) {
  if (impl_ && !impl_->stopped) impl_->Send(call);
}

void CtlServer::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  if (impl_->fd) {
    boost::system::error_code ec;
    impl_->fd->cancel(ec);
    (void)impl_->fd->release();  // ZeroMQ owns the descriptor
    impl_->fd.reset();
  }
  impl_->sock.close();
}

const std::string& CtlServer::endpoint() const { return impl_->bound; }

}  // namespace zhiban::net
