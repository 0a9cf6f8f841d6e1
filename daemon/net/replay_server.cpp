#include "daemon/net/replay_server.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "daemon/base/wire.h"
#include "daemon/core/ctl_codec.h"
#include "daemon/net/curve.h"
#include "daemon/net/zap_handler.h"
#include "daemon/net/zmq_util.h"
#include "daemon/storage/store.h"
#include "zhiban/v1/bus.pb.h"

namespace zhiban::net {
namespace {

// ReplayReply{chunk (field 1): ReplayChunk{events (field 1): [...],
// daemon_time (field 2)}} built from the stored Event bytes without
// re-encoding them.
std::string WrapChunk(std::string& events_field_bytes, const std::string& time_bytes) {
  if (!time_bytes.empty()) wire::AppendLengthDelimited(events_field_bytes, 2, time_bytes);
  std::string out;
  out.reserve(events_field_bytes.size() + 6);
  wire::AppendLengthDelimited(out, 1, events_field_bytes);
  return out;
}

google::protobuf::Timestamp TimeOf(const Clock* clock) {
  google::protobuf::Timestamp t;
  if (!clock) return t;
  const int64_t us = clock->Now().time_since_epoch().count();
  t.set_seconds(us / 1000000);
  t.set_nanos(static_cast<int32_t>(us % 1000000) * 1000);
  return t;
}

std::atomic<uint64_t> g_replay_instance{0};

}  // namespace

Result<ReplayAsk> ParseReplayRequest(std::string_view body, const ReplayServerOptions& options) {
  if (static_cast<int64_t>(body.size()) > options.max_request_bytes) {
    return Status::ResourceExhausted(fmt::format("replay request is {} bytes; the limit is {}",
                                                 body.size(), options.max_request_bytes));
  }
  v1::ReplayRequest req;
  if (!req.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return Status::InvalidArgument("", "malformed request: not a zhiban.v1.ReplayRequest");
  }
  if (auto unknown = core::FindUnknownField(req); !unknown.empty()) {
    return Status::InvalidArgument("", fmt::format("unknown field ({})", unknown));
  }
  ReplayAsk ask;
  ask.from_seq = std::max<uint64_t>(req.from_seq(), 1);
  ask.limit = req.limit() == 0 ? options.max_events : std::min(req.limit(), options.max_events);
  ask.topic_prefixes.assign(req.topic_prefixes().begin(), req.topic_prefixes().end());
  return ask;
}

struct ReplayServer::Impl {
  zmq::context_t& ctx;
  const storage::Store* store;
  ReplayServerOptions options;
  zmq::socket_t router;
  zmq::socket_t stop_tx;
  std::string stop_endpoint;
  std::string bound;
  std::thread thread;
  ReplayCounters counters;

  Impl(zmq::context_t& c, const storage::Store* s, ReplayServerOptions o)
      : ctx(c),
        store(s),
        options(std::move(o)),
        router(c, zmq::socket_type::router),
        stop_tx(c, zmq::socket_type::pair) {}

  // Sends [envelope][empty][payload]; false when the peer cannot take it.
  bool Send(const std::vector<zmq::message_t>& envelope, const std::string& payload) {
    try {
      constexpr auto more = zmq::send_flags::sndmore | zmq::send_flags::dontwait;
      for (const auto& f : envelope) {
        if (!RetryOnEintr([&] { return router.send(zmq::buffer(f.data(), f.size()), more); }))
          return false;
      }
      if (!RetryOnEintr([&] { return router.send(zmq::message_t(), more); })) return false;
      return RetryOnEintr(
                 [&] { return router.send(zmq::buffer(payload), zmq::send_flags::dontwait); })
          .has_value();
    } catch (const zmq::error_t& e) {
      // EHOSTUNREACH: the peer left (ROUTER_MANDATORY).
      return false;
    }
  }

  void Error(const std::vector<zmq::message_t>& envelope, const Status& s) {
    ++counters.bad_requests;
    v1::ReplayReply r;
    core::SetError(s, r.mutable_error());
    Send(envelope, r.SerializeAsString());
  }

  void Serve(std::vector<zmq::message_t>& frames) {
    ++counters.requests;
    size_t delim = 1;
    while (delim < frames.size() && frames[delim].size() != 0) ++delim;
    std::vector<zmq::message_t> envelope;
    for (size_t i = 0; i < std::min(delim, frames.size()); ++i)
      envelope.push_back(std::move(frames[i]));
    if (delim + 2 != frames.size()) {
      Error(envelope,
            Status::InvalidArgument(
                "", "malformed message: expected [empty delimiter][ReplayRequest] frames"));
      return;
    }
    const auto& body = frames[delim + 1];
    if (!options.curve_secret_key.empty()) {
      const std::string key = UserIdOf(body);
      if (!options.keys || !options.keys->NameOf(key)) {
        Error(envelope, Status::PermissionDenied(
                            "this key is not (or no longer) one zhiband accepts: it was revoked"));
        return;
      }
    }
    auto ask = ParseReplayRequest(std::string_view(body.data<char>(), body.size()), options);
    if (!ask.ok()) {
      Error(envelope, ask.status());
      return;
    }
    const uint32_t limit = ask->limit;
    const std::vector<std::string>& prefixes = ask->topic_prefixes;

    auto last = store->LastKey(storage::Family::kEvents);
    if (!last.ok()) {
      Error(envelope, last.status());
      return;
    }
    const uint64_t last_seq = last->has_value() ? storage::DecodeSeqKey(**last) : 0;
    const uint64_t from = ask->from_seq;
    uint64_t next = from;
    uint32_t sent = 0, in_chunk = 0, scanned = 0;
    bool peer_ok = true;
    std::string chunk;
    v1::Event probe;
    auto flush = [&] {
      if (in_chunk == 0 || !peer_ok) return;
      peer_ok =
          Send(envelope, WrapChunk(chunk, options.clock ? TimeOf(options.clock).SerializeAsString()
                                                        : std::string()));
      chunk.clear();
      in_chunk = 0;
    };
    Status scan = store->Scan(
        storage::Family::kEvents, storage::EncodeSeqKey(from),
        [&](std::string_view key, std::string_view value) {
          const uint64_t seq = storage::DecodeSeqKey(key);
          if (seq > last_seq || sent >= limit || scanned >= options.max_scanned || !peer_ok) {
            return false;
          }
          ++scanned;
          next = seq + 1;
          if (!prefixes.empty()) {
            if (!probe.ParseFromArray(value.data(), static_cast<int>(value.size()))) return true;
            bool match = false;
            for (const auto& p : prefixes) match = match || probe.topic().starts_with(p);
            if (!match) return true;
          }
          wire::AppendLengthDelimited(chunk, 1, value);
          ++sent;
          if (++in_chunk >= options.chunk_events) flush();
          return true;
        });
    flush();
    if (!scan.ok()) {
      Error(envelope, scan);
      return;
    }
    if (!peer_ok) {
      ++counters.abandoned;
      return;
    }
    if (scanned == 0) next = std::max(from, last_seq + 1);
    v1::ReplayReply end;
    end.mutable_end()->set_last_seq(last_seq);
    end.mutable_end()->set_next_seq(next);
    if (options.clock) *end.mutable_end()->mutable_daemon_time() = TimeOf(options.clock);
    if (!Send(envelope, end.SerializeAsString())) {
      ++counters.abandoned;
      return;
    }
    counters.events_sent += sent;
  }

  void Run() {
    zmq::socket_t stop_rx(ctx, zmq::socket_type::pair);
    stop_rx.connect(stop_endpoint);
    zmq::pollitem_t items[] = {{router.handle(), 0, ZMQ_POLLIN, 0},
                               {stop_rx.handle(), 0, ZMQ_POLLIN, 0}};
    for (;;) {
      try {
        zmq::poll(items, 2, std::chrono::milliseconds(-1));
        if (items[1].revents & ZMQ_POLLIN) break;
        for (int n = 0; n < 64; ++n) {
          std::vector<zmq::message_t> frames;
          if (!zmq::recv_multipart(router, std::back_inserter(frames), zmq::recv_flags::dontwait))
            break;
          Serve(frames);
        }
      } catch (const zmq::error_t& e) {
        if (e.num() == ETERM) break;
        if (e.num() == EINTR) continue;  // a signal landed in poll or recv
        spdlog::error("replay server: {}", e.what());
      }
    }
    router.close();
  }
};

ReplayServer::ReplayServer(zmq::context_t& ctx, const storage::Store* store,
                           ReplayServerOptions options)
    : impl_(std::make_unique<Impl>(ctx, store, std::move(options))) {}

ReplayServer::~ReplayServer() { Stop(); }

Status ReplayServer::Start() {
  auto& r = impl_->router;
  r.set(zmq::sockopt::router_mandatory, 1);
  r.set(zmq::sockopt::sndhwm, impl_->options.sndhwm);
  // Frames up to 16 MiB are read and answered (RESOURCE_EXHAUSTED above
  // max_request_bytes); only larger ones drop the connection, as on ctl.
  r.set(zmq::sockopt::maxmsgsize, std::max<int64_t>(impl_->options.max_request_bytes, 16 << 20));
  r.set(zmq::sockopt::linger, 0);
  if (!impl_->options.curve_secret_key.empty()) MakeCurveServer(r, impl_->options.curve_secret_key);
  ZB_ASSIGN_OR_RETURN(auto bound, Bind(r, impl_->options.endpoint));
  impl_->bound = bound;
  impl_->stop_endpoint = fmt::format("inproc://zhiban-replay-stop-{}", g_replay_instance++);
  impl_->stop_tx.bind(impl_->stop_endpoint);
  impl_->thread = std::thread([this] { impl_->Run(); });
  return {};
}

void ReplayServer::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->stop_tx.send(zmq::str_buffer("stop"), zmq::send_flags::none);
  impl_->thread.join();
  impl_->stop_tx.close();
}

const std::string& ReplayServer::endpoint() const { return impl_->bound; }
const ReplayCounters& ReplayServer::counters() const { return impl_->counters; }

}  // namespace zhiban::net
