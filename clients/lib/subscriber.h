// Subscriber: every event from a seq onwards, in order, none missed — the
// client half of docs/PROTOCOL.md, shared by `zhibanctl events tail` and the
// plugin SDK.
//
// How: SUB to every topic (so a seq jump always means a gap) before asking
// the replay endpoint for the backlog; then live events, with any gap (a seq
// jump, or a heartbeat naming a newer seq) filled by replay. Events already
// delivered (seq below the cursor) are dropped, so the handler sees each seq
// once per Run. Topic prefixes filter what reaches the handler.
//
// Thread-safety: one thread; `stop` may be set from another.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/base/status.h"
#include "daemon/net/curve.h"
#include "zhiban/v1/bus.pb.h"
#include "zhiban/v1/events.pb.h"

namespace zmq {
class context_t;
class message_t;
}  // namespace zmq

namespace zhiban::client {

struct SubscriberOptions {
  std::string pub_endpoint = "tcp://127.0.0.1:7601";
  std::string replay_endpoint = "tcp://127.0.0.1:7602";
  // This subscriber's key and zhiband's public key, for tcp:// endpoints
  // under CURVE (docs/PROTOCOL.md, "Authentication"); ignored for ipc://.
  net::CurveClient curve;
  std::vector<std::string> topic_prefixes;  // empty: all (heartbeats are never delivered)
  std::chrono::milliseconds replay_timeout{10000};
  int rcvhwm = 1000000;  // live messages buffered while replaying
  // Called about every 200 ms while following and idle (timers: the plugin
  // SDK releases notifications held for quiet hours from here).
  std::function<void()> on_idle;
  // Called with a run of events about to be handed on (a replayed chunk,
  // live events that arrived together), before the first of them reaches
  // the handler: only those at or past the cursor and wanted, in seq order,
  // two or more. A hint for work done once per run (the plugin SDK looks up
  // the run's contacts in one request); every event still reaches the
  // handler as before.
  std::function<void(const std::vector<const v1::Event*>&)> on_ahead;
};

struct SubscriberStats {
  uint64_t delivered = 0;
  uint64_t live = 0;        // taken from PUB
  uint64_t replayed = 0;    // taken from replay
  uint64_t gaps = 0;        // gaps detected and filled
  uint64_t duplicates = 0;  // dropped as already delivered
};

class Subscriber {
 public:
  // Returns false to stop.
  using Handler = std::function<bool(const v1::Event& event)>;

  Subscriber(zmq::context_t& ctx, SubscriberOptions options);
  ~Subscriber();

  // Delivers events with seq >= from_seq. Returns OK when the handler says
  // stop, when `stop` becomes true, or (follow == false) once caught up with
  // the newest durable event.
  Status Run(uint64_t from_seq, bool follow, const Handler& handler,
             const std::atomic<bool>* stop = nullptr);

  // One replay round trip: events >= from (at most `limit`) to `fn`; gives
  // up early (UNAVAILABLE) when `stop` becomes true.
  Result<v1::ReplayEnd> Replay(uint64_t from, uint32_t limit,
                               const std::function<void(v1::Event&)>& fn,
                               const std::atomic<bool>* stop = nullptr);

  uint64_t next_seq() const;  // the cursor: first seq not yet delivered
  // zhiband's clock as last heard (replay answers and heartbeats carry it;
  // simulated in demos and tests); the epoch until the first is heard.
  std::chrono::system_clock::time_point daemon_time() const;
  const SubscriberStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Appends the events of one PUB message to `out`: [topic][Event] is one,
// [topic]["run"][EventRun] its events in order (docs/PROTOCOL.md "Events").
// False, nothing appended, for a message that is neither (not zhiban's).
bool AppendBusEvents(const std::vector<zmq::message_t>& frames, std::vector<v1::Event>& out);

}  // namespace zhiban::client
