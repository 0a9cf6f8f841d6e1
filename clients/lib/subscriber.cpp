#include "clients/lib/subscriber.h"

#include <fmt/format.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "daemon/core/ctl_codec.h"

namespace zhiban::client {

namespace {
// How often a following subscriber looks at its stop flag when idle.
constexpr std::chrono::milliseconds kStopCheck{200};
// The most live messages taken off the socket at once (one on_ahead run).
constexpr size_t kLiveBurst = 512;
}  // namespace

struct Subscriber::Impl {
  zmq::context_t& ctx;
  SubscriberOptions opt;
  std::unique_ptr<zmq::socket_t> sub;
  std::unique_ptr<zmq::socket_t> dealer;
  uint64_t next = 1;
  SubscriberStats stats;
  const std::atomic<bool>* stop = nullptr;  // Run's, so a replay wait notices SIGTERM
  std::chrono::system_clock::time_point daemon_time{};

  void Heard(const google::protobuf::Timestamp& t) {
    const std::chrono::system_clock::time_point tp{
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(t.seconds()) + std::chrono::nanoseconds(t.nanos()))};
    if (tp > daemon_time) daemon_time = tp;
  }

  bool Wanted(const v1::Event& e) const {
    if (opt.topic_prefixes.empty()) return true;
    for (const auto& p : opt.topic_prefixes) {
      if (e.topic().starts_with(p)) return true;
    }
    return false;
  }

  // `handing_on`: the events go to a handler (CatchUp) until it says stop
  // (*handing_on becomes false); meanwhile on_ahead hears of each chunk.
  Result<v1::ReplayEnd> Replay(uint64_t from, uint32_t limit,
                               const std::function<void(v1::Event&)>& fn,
                               const bool* handing_on = nullptr) {
    try {
      if (!dealer) {
        dealer = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::dealer);
        dealer->set(zmq::sockopt::linger, 0);
        if (opt.curve.enabled() && !net::IsIpcEndpoint(opt.replay_endpoint)) {
          net::MakeCurveClient(*dealer, opt.curve);
        }
        dealer->connect(opt.replay_endpoint);
      }
      v1::ReplayRequest req;
      req.set_from_seq(from);
      req.set_limit(limit);
      dealer->send(zmq::message_t(), zmq::send_flags::sndmore);
      dealer->send(zmq::buffer(req.SerializeAsString()), zmq::send_flags::none);
      v1::ReplayReply reply;
      for (auto deadline = std::chrono::steady_clock::now() + opt.replay_timeout;;) {
        // Wait in slices of kStopCheck so a stop (SIGTERM) is not held up by
        // an absent daemon for the whole replay timeout.
        zmq::pollitem_t item{dealer->handle(), 0, ZMQ_POLLIN, 0};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        int ready = 0;
        try {
          ready = left.count() > 0 ? zmq::poll(&item, 1, std::min(left, kStopCheck)) : 0;
        } catch (const zmq::error_t& e) {
          if (e.num() != EINTR) throw;
          continue;  // a signal: the stop flag decides
        }
        if (ready == 0 && stop && stop->load()) {
          dealer.reset();
          return Status::Unavailable("stopped while waiting for replay");
        }
        if (ready == 0 && left > kStopCheck) continue;
        if (ready == 0) {
          dealer.reset();  // drop any late answer with the socket
          return Status::Unavailable(fmt::format("no replay answer from {} within {} ms",
                                                 opt.replay_endpoint, opt.replay_timeout.count()));
        }
        std::vector<zmq::message_t> frames;
        (void)zmq::recv_multipart(*dealer, std::back_inserter(frames));
        if (frames.size() != 2 ||
            !reply.ParseFromArray(frames[1].data(), static_cast<int>(frames[1].size()))) {
          dealer.reset();
          return Status::Internal("malformed replay answer");
        }
        if (reply.has_error()) {
          return Status(core::FromProtoCode(reply.error().code()), reply.error().message());
        }
        if (reply.has_end()) {
          Heard(reply.end().daemon_time());
          return reply.end();
        }
        Heard(reply.chunk().daemon_time());
        if (handing_on && *handing_on) Ahead(reply.chunk().events());
        for (auto& e : *reply.mutable_chunk()->mutable_events()) fn(e);
      }
    } catch (const zmq::error_t& e) {
      dealer.reset();
      return Status::Unavailable(fmt::format("replay {}: {}", opt.replay_endpoint, e.what()));
    }
  }

  // Tells opt.on_ahead of the events in `run` that will be handed on.
  template <typename Events>
  void Ahead(const Events& run) {
    if (!opt.on_ahead) return;
    std::vector<const v1::Event*> ahead;
    for (const v1::Event& e : run) {
      if (!e.has_heartbeat() && e.seq() >= next && Wanted(e)) ahead.push_back(&e);
    }
    if (ahead.size() > 1) opt.on_ahead(ahead);
  }

  // Takes the next event in seq order; false when the handler says stop.
  bool Deliver(const v1::Event& e, const Handler& handler) {
    if (e.seq() < next) {
      ++stats.duplicates;
      return true;
    }
    next = e.seq() + 1;
    ++stats.delivered;
    return !Wanted(e) || handler(e);
  }

  // Replays from the cursor until caught up with the newest durable seq.
  // `*stopped` is set when the handler asked to stop.
  Status CatchUp(const Handler& handler, bool* stopped) {
    for (;;) {
      bool handing_on = !*stopped;
      auto end = Replay(
          next, 0,
          [&](v1::Event& e) {
            if (*stopped) return;
            ++stats.replayed;
            if (!Deliver(e, handler)) *stopped = true;
            handing_on = !*stopped;
          },
          &handing_on);
      if (!end.ok()) return end.status();
      if (*stopped) return {};
      // The store has no holes, but never spin on a cursor that does not move.
      if (end->next_seq() > next) next = end->next_seq();
      if (end->next_seq() > end->last_seq()) return {};
    }
  }
};

Subscriber::Subscriber(zmq::context_t& ctx, SubscriberOptions options)
    : impl_(std::make_unique<Impl>(
          Impl{ctx, std::move(options), nullptr, nullptr, 1, {}, nullptr, {}})) {}
Subscriber::~Subscriber() = default;

Result<v1::ReplayEnd> Subscriber::Replay(uint64_t from, uint32_t limit,
                                         const std::function<void(v1::Event&)>& fn,
                                         const std::atomic<bool>* stop) {
  if (stop) impl_->stop = stop;
  return impl_->Replay(from, limit, fn);
}

Status Subscriber::Run(uint64_t from_seq, bool follow, const Handler& handler,
                       const std::atomic<bool>* stop) {
  auto& d = *impl_;
  d.next = std::max<uint64_t>(from_seq, 1);
  d.stop = stop;
  try {
    if (follow && !d.sub) {
      // Subscribe before replaying so nothing published meanwhile is lost.
      d.sub = std::make_unique<zmq::socket_t>(d.ctx, zmq::socket_type::sub);
      d.sub->set(zmq::sockopt::rcvhwm, d.opt.rcvhwm);
      d.sub->set(zmq::sockopt::linger, 0);
      d.sub->set(zmq::sockopt::subscribe, "");
      if (d.opt.curve.enabled() && !net::IsIpcEndpoint(d.opt.pub_endpoint)) {
        net::MakeCurveClient(*d.sub, d.opt.curve);
      }
      d.sub->connect(d.opt.pub_endpoint);
    }
    bool stopped = false;
    ZB_RETURN_IF_ERROR(d.CatchUp(handler, &stopped));
    if (stopped || !follow) return {};

    std::vector<v1::Event> burst;
    for (;;) {
      if (stop && stop->load()) return {};
      zmq::pollitem_t item{d.sub->handle(), 0, ZMQ_POLLIN, 0};
      try {
        if (zmq::poll(&item, 1, kStopCheck) == 0) {
          if (d.opt.on_idle) d.opt.on_idle();
          continue;
        }
      } catch (const zmq::error_t& err) {
        if (err.num() != EINTR) throw;
        continue;  // a signal (SIGTERM, Ctrl-C): the stop flag decides
      }
      // Everything that has arrived, up to kLiveBurst (a run of events that
      // crosses it is taken whole): one run for on_ahead.
      burst.clear();
      for (auto flags = zmq::recv_flags::none; burst.size() < kLiveBurst;
           flags = zmq::recv_flags::dontwait) {
        std::vector<zmq::message_t> frames;
        if (!zmq::recv_multipart(*d.sub, std::back_inserter(frames), flags)) break;
        (void)AppendBusEvents(frames, burst);  // a message not ours is ignored
      }
      d.Ahead(burst);
      for (const v1::Event& e : burst) {
        if (e.has_heartbeat()) {
          d.Heard(e.time());
          if (e.heartbeat().last_seq() >= d.next) {
            ++d.stats.gaps;  // the newest events never reached us
            ZB_RETURN_IF_ERROR(d.CatchUp(handler, &stopped));
            if (stopped) return {};
          }
          continue;
        }
        ++d.stats.live;
        if (e.seq() > d.next) {
          ++d.stats.gaps;
          ZB_RETURN_IF_ERROR(d.CatchUp(handler, &stopped));
          if (stopped) return {};
        }
        if (!d.Deliver(e, handler)) return {};
      }
    }
  } catch (const zmq::error_t& e) {
    return Status::Unavailable(fmt::format("bus: {}", e.what()));
  }
}

bool AppendBusEvents(const std::vector<zmq::message_t>& frames, std::vector<v1::Event>& out) {
  if (frames.size() == 2) {
    v1::Event e;
    if (!e.ParseFromArray(frames[1].data(), static_cast<int>(frames[1].size()))) return false;
    out.push_back(std::move(e));
    return true;
  }
  if (frames.size() != 3 || frames[1].to_string_view() != "run") return false;
  v1::EventRun run;
  if (!run.ParseFromArray(frames[2].data(), static_cast<int>(frames[2].size()))) return false;
  for (v1::Event& e : *run.mutable_events()) out.push_back(std::move(e));
  return true;
}

uint64_t Subscriber::next_seq() const { return impl_->next; }
std::chrono::system_clock::time_point Subscriber::daemon_time() const { return impl_->daemon_time; }
const SubscriberStats& Subscriber::stats() const { return impl_->stats; }

}  // namespace zhiban::client
