#include "daemon/net/replay_server.h"

#include <algorithm>
#include <deque>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "daemon/base/wire.h"
#include "daemon/core/ctl_codec.h"
#include "daemon/net/curve.h"
#include "daemon/net/peer_guard.h"
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

// Longest a request waits for a place among the replays in progress: below
// the clients' 10 s, so none is answered after its peer gave up.
constexpr auto kMaxWait = std::chrono::seconds(5);

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
  size_t prefix_bytes = 0;
  for (const auto& p : req.topic_prefixes()) prefix_bytes += p.size();
  if (req.topic_prefixes_size() > options.max_prefixes || prefix_bytes > options.max_prefix_bytes) {
    return Status::ResourceExhausted(
        "topic_prefixes",
        fmt::format("{} topic prefixes of {} bytes in all; a replay request holds at most {} of "
                    "at most {} bytes in all (ask for fewer, broader prefixes)",
                    req.topic_prefixes_size(), prefix_bytes, options.max_prefixes,
                    options.max_prefix_bytes));
  }
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

  void Error(const std::vector<zmq::message_t>& envelope, const Status& s, bool bad = true) {
    if (bad) ++counters.bad_requests;
    v1::ReplayReply r;
    core::SetError(s, r.mutable_error());
    Send(envelope, r.SerializeAsString());
  }

  // One request being answered, a slice at a time.
  struct Job {
    std::vector<zmq::message_t> envelope;
    std::string peer;  // its CURVE key, or its ZeroMQ routing id without CURVE
    std::string key;   // the CURVE key (User-Id), checked again when it starts
    std::chrono::steady_clock::time_point read;  // when it came
    ReplayAsk ask;
    uint64_t from = 1, last_seq = 0, next = 1;
    uint32_t sent = 0, scanned = 0, in_chunk = 0;
    std::string chunk;
  };
  std::deque<Job> jobs;     // in progress, taking turns
  std::deque<Job> waiting;  // read while max_jobs were in progress

  // Reads one request: a bad one is answered at once, a good one queued.
  void Serve(std::vector<zmq::message_t>& frames) {
    ++counters.requests;
    size_t delim = 1;
    while (delim < frames.size() && frames[delim].size() != 0) ++delim;
    Job job;
    for (size_t i = 0; i < std::min(delim, frames.size()); ++i)
      job.envelope.push_back(std::move(frames[i]));
    if (delim + 2 != frames.size()) {
      Error(job.envelope,
            Status::InvalidArgument(
                "", "malformed message: expected [empty delimiter][ReplayRequest] frames"));
      return;
    }
    const auto& body = frames[delim + 1];
    job.key = UserIdOf(body);  // empty without CURVE
    if (!KeyAccepted(job.key)) {
      Error(job.envelope, Revoked());
      return;
    }
    auto ask = ParseReplayRequest(std::string_view(body.data<char>(), body.size()), options);
    if (!ask.ok()) {
      if (ask.status().code() == Code::kResourceExhausted &&
          ask.status().field() == "topic_prefixes")
        ++counters.too_many_prefixes;
      Error(job.envelope, ask.status());
      return;
    }
    // A peer is its key under CURVE (however many connections it opens),
    // else its connection.
    job.read = std::chrono::steady_clock::now();
    if (!options.curve_secret_key.empty()) {
      job.peer = "key:" + job.key;
    } else if (!job.envelope.empty()) {
      job.peer = job.envelope.front().to_string();
    }
    const auto mine = [&](const Job& j) { return j.peer == job.peer; };
    const size_t of_peer = static_cast<size_t>(std::count_if(jobs.begin(), jobs.end(), mine) +
                                               std::count_if(waiting.begin(), waiting.end(), mine));
    if (of_peer >= options.max_jobs_per_peer ||
        (jobs.size() >= options.max_jobs && waiting.size() >= options.max_waiting)) {
      ++counters.busy;
      Error(job.envelope,
            Status::ResourceExhausted(fmt::format(
                "replay is busy: {} replays in progress and {} waiting, {} of them this peer's (at "
                "most {} a peer); ask again when one has ended",
                jobs.size(), waiting.size(), of_peer, options.max_jobs_per_peer)),
            /*bad=*/false);
      return;
    }
    job.ask = std::move(*ask);
    job.from = job.next = job.ask.from_seq;
    if (jobs.size() >= options.max_jobs) {
      waiting.push_back(std::move(job));  // its newest seq is read when it starts
    } else if (ReadLastSeq(job)) {
      jobs.push_back(std::move(job));
    }
    counters.in_progress = jobs.size() + waiting.size();
  }

  // A request that waited for a place: given up on by now (clients ask
  // again after 10 s), or its key revoked meanwhile, it is answered so; else
  // it starts from the log as it stands now.
  void Admit(Job& job) {
    if (std::chrono::steady_clock::now() - job.read > kMaxWait) {
      ++counters.busy;
      Error(job.envelope,
            Status::ResourceExhausted("replay is busy: this request waited over 5 s for its "
                                      "turn; ask again"),
            /*bad=*/false);
      return;
    }
    if (!KeyAccepted(job.key)) {
      Error(job.envelope, Revoked());
      return;
    }
    if (ReadLastSeq(job)) jobs.push_back(std::move(job));
  }

  // Under CURVE, whether `key` (a message's User-Id) is still one zhiband
  // accepts: a revoked subscriber is refused from its next request.
  bool KeyAccepted(const std::string& key) const {
    return options.curve_secret_key.empty() || (options.keys && options.keys->NameOf(key));
  }
  static Status Revoked() {
    return Status::PermissionDenied(
        "this key is not (or no longer) one zhiband accepts: it was revoked");
  }

  // The newest stored seq, read as the job starts: what its answer covers.
  // False (and the job answered with the error) when the store fails.
  bool ReadLastSeq(Job& job) {
    auto last = store->LastKey(storage::Family::kEvents);
    if (!last.ok()) {
      Error(job.envelope, last.status());
      return false;
    }
    job.last_seq = last->has_value() ? storage::DecodeSeqKey(**last) : 0;
    return true;
  }

  bool Flush(Job& job) {
    if (job.in_chunk == 0) return true;
    const bool ok = Send(
        job.envelope, WrapChunk(job.chunk, options.clock ? TimeOf(options.clock).SerializeAsString()
                                                         : std::string()));
    job.chunk.clear();
    job.in_chunk = 0;
    return ok;
  }

  // One turn: examines at most slice_events events. True when the job is
  // over (answered, refused or abandoned).
  bool Step(Job& job) {
    uint32_t budget = options.slice_events;
    bool peer_ok = true;
    const auto& prefixes = job.ask.topic_prefixes;
    const auto exhausted = [&] {
      return job.next > job.last_seq || job.sent >= job.ask.limit ||
             job.scanned >= options.max_scanned;
    };
    Status scan =
        store->Scan(storage::Family::kEvents, storage::EncodeSeqKey(job.next),
                    [&](std::string_view key, std::string_view value) {
                      const uint64_t seq = storage::DecodeSeqKey(key);
                      if (seq > job.last_seq || job.sent >= job.ask.limit ||
                          job.scanned >= options.max_scanned || budget == 0 || !peer_ok) {
                        return false;
                      }
                      --budget;
                      ++job.scanned;
                      job.next = seq + 1;
                      if (!prefixes.empty()) {
                        std::string_view topic;
                        if (!wire::FindLengthDelimited(value, 4, &topic))
                          return true;  // Event.topic
                        bool match = false;
                        for (const auto& p : prefixes) match = match || topic.starts_with(p);
                        if (!match) return true;
                      }
                      if (options.open_event) {
                        wire::AppendLengthDelimited(job.chunk, 1, options.open_event(value));
                      } else {
                        wire::AppendLengthDelimited(job.chunk, 1, value);
                      }
                      ++job.sent;
                      if (++job.in_chunk >= options.chunk_events) peer_ok = Flush(job);
                      return true;
                    });
    if (!scan.ok()) {
      Error(job.envelope, scan);
      return true;
    }
    if (peer_ok && budget == 0 && !exhausted()) return false;  // more next turn
    if (peer_ok) peer_ok = Flush(job);
    if (!peer_ok) {
      ++counters.abandoned;
      return true;
    }
    // Nothing left to examine: the end. (A start past the log's end leaves
    // next where it was asked, or just past the last event.)
    if (job.scanned == 0) job.next = std::max(job.from, job.last_seq + 1);
    v1::ReplayReply end;
    end.mutable_end()->set_last_seq(job.last_seq);
    end.mutable_end()->set_next_seq(job.next);
    if (options.clock) *end.mutable_end()->mutable_daemon_time() = TimeOf(options.clock);
    if (!Send(job.envelope, end.SerializeAsString())) {
      ++counters.abandoned;
      return true;
    }
    counters.events_sent += job.sent;
    return true;
  }

  void Run() {
    zmq::socket_t stop_rx(ctx, zmq::socket_type::pair);
    stop_rx.connect(stop_endpoint);
    zmq::pollitem_t items[] = {{router.handle(), 0, ZMQ_POLLIN, 0},
                               {stop_rx.handle(), 0, ZMQ_POLLIN, 0}};
    for (;;) {
      try {
        // Wait for requests only when nothing is being answered.
        zmq::poll(items, 2, std::chrono::milliseconds(jobs.empty() ? -1 : 0));
        if (items[1].revents & ZMQ_POLLIN) break;
        for (int n = 0; n < 64; ++n) {
          std::vector<zmq::message_t> frames;
          if (!zmq::recv_multipart(router, std::back_inserter(frames), zmq::recv_flags::dontwait))
            break;
          Serve(frames);
        }
        // One turn for every replay in progress, in the order they came.
        for (size_t n = jobs.size(); n > 0; --n) {
          Job job = std::move(jobs.front());
          jobs.pop_front();
          if (!Step(job)) jobs.push_back(std::move(job));
        }
        while (jobs.size() < options.max_jobs && !waiting.empty()) {
          Job job = std::move(waiting.front());
          waiting.pop_front();
          Admit(job);
        }
        counters.in_progress = jobs.size() + waiting.size();
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
  if (impl_->options.guard) ZB_RETURN_IF_ERROR(impl_->options.guard->Watch(r));
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
