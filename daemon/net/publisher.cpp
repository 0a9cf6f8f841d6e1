#include "daemon/net/publisher.h"

#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "daemon/domain/mutation.h"
#include "daemon/net/curve.h"
#include "daemon/net/zmq_util.h"
#include "zhiban/v1/events.pb.h"

namespace zhiban::net {

struct Publisher::Impl {
  zmq::context_t& ctx;
  zmq::socket_t sock;
  PublisherOptions options;
  std::string bound;
  uint64_t published = 0;
  uint64_t failures = 0;
  bool open = false;
  Impl(zmq::context_t& c, PublisherOptions o)
      : ctx(c), sock(c, zmq::socket_type::pub), options(std::move(o)) {}

  void Configure() {
    sock.set(zmq::sockopt::sndhwm, options.sndhwm);
    sock.set(zmq::sockopt::linger, 1000);
    if (!options.curve_secret_key.empty()) MakeCurveServer(sock, options.curve_secret_key);
  }

  void Send(std::string_view topic, std::string_view bytes) {
    if (!open) return;
    try {
      RetryOnEintr([&] {
        return sock.send(zmq::buffer(topic), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
      });
      RetryOnEintr([&] { return sock.send(zmq::buffer(bytes), zmq::send_flags::dontwait); });
    } catch (const zmq::error_t& e) {
      if (failures++ == 0) spdlog::warn("PUB send failed: {}", e.what());
    }
  }
};

Publisher::Publisher(zmq::context_t& ctx, PublisherOptions options)
    : impl_(std::make_unique<Impl>(ctx, std::move(options))) {}
Publisher::~Publisher() { Stop(); }

Status Publisher::Start() {
  impl_->Configure();
  auto bound = Bind(impl_->sock, impl_->options.endpoint);
  if (!bound.ok()) return bound.status();
  impl_->bound = *bound;
  impl_->open = true;
  return {};
}

void Publisher::Stop() {
  if (!impl_->open) return;
  impl_->open = false;
  impl_->sock.close();
}

Status Publisher::CutOff() {
  if (!impl_->open) return {};
  // libzmq cannot drop one peer of a PUB socket, and unbinding an endpoint
  // ends its listener but not the connections it accepted: the socket goes,
  // with every connection, and a new one binds the same endpoint. Nothing
  // queued is kept (linger 0): the subscribers replay it.
  impl_->sock.set(zmq::sockopt::linger, 0);
  impl_->sock.close();
  impl_->sock = zmq::socket_t(impl_->ctx, zmq::socket_type::pub);
  impl_->Configure();
  // The old listener is closed on libzmq's I/O thread: until it is, the
  // port is taken. Up to 2 s, then give up (the caller stops the daemon).
  auto again = Bind(impl_->sock, impl_->bound);
  for (int i = 0; !again.ok() && i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    again = Bind(impl_->sock, impl_->bound);
  }
  if (!again.ok()) {
    impl_->open = false;  // never silently serve nobody: the daemon stops on this
    return again.status();
  }
  return {};
}

void Publisher::Publish(std::string_view topic, std::string_view event_bytes) {
  impl_->Send(topic, event_bytes);
  ++impl_->published;
}

void Publisher::Heartbeat(uint64_t last_seq, TimePoint now) {
  v1::Event e;
  *e.mutable_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(now.time_since_epoch().count());
  e.mutable_heartbeat()->set_last_seq(last_seq);
  e.set_topic(domain::TopicOf(e));
  impl_->Send(e.topic(), e.SerializeAsString());
}

const std::string& Publisher::endpoint() const { return impl_->bound; }
uint64_t Publisher::published() const { return impl_->published; }
uint64_t Publisher::send_failures() const { return impl_->failures; }

}  // namespace zhiban::net
