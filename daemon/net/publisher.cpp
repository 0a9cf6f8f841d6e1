#include "daemon/net/publisher.h"

#include <atomic>
#include <cstring>

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "daemon/base/wire.h"
#include "daemon/domain/mutation.h"
#include "daemon/net/curve.h"
#include "daemon/net/peer_guard.h"
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
  if (impl_->options.guard) ZB_RETURN_IF_ERROR(impl_->options.guard->Watch(impl_->sock));
  ZB_ASSIGN_OR_RETURN(auto bound, Bind(impl_->sock, impl_->options.endpoint));
  impl_->bound = bound;
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
  //
  // The old listener is closed on libzmq's I/O thread; until it is, the port
  // is taken. A monitor says when (ZMQ_EVENT_CLOSED), rather than retrying.
  static std::atomic<uint64_t> cutoffs{0};
  const std::string watch_at = fmt::format("inproc://zhiban-pub-cutoff-{}", ++cutoffs);
  if (zmq_socket_monitor(impl_->sock.handle(), watch_at.c_str(), ZMQ_EVENT_CLOSED) != 0) {
    return Status::Unavailable(
        fmt::format("cannot watch {}: {}", impl_->bound, zmq_strerror(zmq_errno())));
  }
  zmq::socket_t watch(impl_->ctx, zmq::socket_type::pair);
  watch.set(zmq::sockopt::rcvtimeo, 2000);
  watch.connect(watch_at);
  try {
    impl_->sock.unbind(impl_->bound);
  } catch (const zmq::error_t& e) {
    // The socket stays as it was: its monitor goes back to the guard.
    zmq_socket_monitor(impl_->sock.handle(), nullptr, 0);
    if (impl_->options.guard) (void)impl_->options.guard->Watch(impl_->sock);
    return Status::Unavailable(fmt::format("cannot unbind {}: {}", impl_->bound, e.what()));
  }
  bool closed = false;
  for (zmq::message_t event; !closed && RetryOnEintr([&] { return watch.recv(event); });) {
    uint16_t id = 0;
    if (event.size() >= sizeof id) std::memcpy(&id, event.data(), sizeof id);
    closed = (id & ZMQ_EVENT_CLOSED) != 0;
    while (event.more()) (void)watch.recv(event);  // the endpoint's frame
  }
  zmq_socket_monitor(impl_->sock.handle(), nullptr, 0);
  impl_->sock.set(zmq::sockopt::linger, 0);
  impl_->sock.close();
  impl_->sock = zmq::socket_t(impl_->ctx, zmq::socket_type::pub);
  impl_->Configure();
  if (impl_->options.guard) {
    if (Status w = impl_->options.guard->Watch(impl_->sock); !w.ok()) {
      impl_->open = false;
      return w;
    }
  }
  auto again = Bind(impl_->sock, impl_->bound);
  if (!again.ok()) {
    impl_->open = false;  // never silently serve nobody: the daemon stops on this
    return Status::Unavailable(fmt::format("{} ({} the old listener's close)",
                                           again.status().message(),
                                           closed ? "after" : "2 s without"));
  }
  return {};
}

void Publisher::PublishRun(std::string_view topic, const std::vector<std::string_view>& events) {
  if (events.size() == 1) return Publish(topic, events.front());
  if (events.empty() || !impl_->open) return;
  // EventRun{events (field 1): [...]} from the stored bytes, not re-encoded.
  size_t bytes = 0;
  for (std::string_view e : events) bytes += e.size() + 6;
  std::string run;
  run.reserve(bytes);
  for (std::string_view e : events) wire::AppendLengthDelimited(run, 1, e);
  try {
    RetryOnEintr([&] {
      return impl_->sock.send(zmq::buffer(topic),
                              zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    });
    RetryOnEintr([&] {
      return impl_->sock.send(zmq::str_buffer("run"),
                              zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    });
    RetryOnEintr([&] { return impl_->sock.send(zmq::buffer(run), zmq::send_flags::dontwait); });
  } catch (const zmq::error_t& e) {
    if (impl_->failures++ == 0) spdlog::warn("PUB send failed: {}", e.what());
  }
  impl_->published += events.size();
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
