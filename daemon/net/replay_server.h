// ReplayServer: answers ReplayRequest on its own ROUTER socket and thread,
// reading events straight from RocksDB, so a large replay never holds up the
// core thread (RocksDB reads are safe alongside the core's writes).
//
// Per request it sends up to `limit` events (default and max 10000) in
// chunks of 512, then ReplayEnd{last_seq, next_seq}; each carries zhiband's
// clock (daemon_time). Requests are answered in turns: each replay in
// progress examines at most `slice_events` events a turn, round-robin, so no
// peer's request (a filter that matches nothing, over the whole log) holds
// the thread while another waits. The socket has
// ZMQ_ROUTER_MANDATORY: a reply to a peer that is gone or whose queue is full
// is abandoned (counted), and the peer asks again from its cursor.
//
// Thread-safety: Start/Stop from the owning thread; counters are atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/base/clock.h"
#include "daemon/base/status.h"

namespace zmq {
class context_t;
}
namespace zhiban::storage {
class Store;
}

namespace zhiban::net {

class KeyRing;  // net/zap_handler.h

class PeerGuard;  // peer_guard.h

struct ReplayServerOptions {
  std::string endpoint = "tcp://127.0.0.1:7602";
  const Clock* clock = nullptr;   // stamps daemon_time on chunks and ends (null: unset)
  uint32_t max_events = 10000;    // per request (ReplayRequest.limit is capped to this)
  uint32_t chunk_events = 512;    // events per ReplayChunk message
  uint32_t max_scanned = 200000;  // events examined per request when filtering by topic
  uint32_t slice_events = 512;    // events examined per replay per turn
  size_t max_jobs = 256;          // replays in progress at once; more wait their turn
  size_t max_waiting = 4096;      // requests waiting for a place; beyond, "busy"
  // In progress or waiting from one peer: its CURVE key (however many
  // connections it opens), or its connection without CURVE.
  size_t max_jobs_per_peer = 4;
  int max_prefixes = 64;           // topic prefixes in one request
  size_t max_prefix_bytes = 4096;  // their total length
  int sndhwm = 1000;               // messages queued per peer
  int64_t max_request_bytes = 64 << 10;
  // Set: a CURVE server, and each request's key (its ZAP User-Id) must still
  // be in `keys`: a revoked subscriber is refused from its next request.
  std::string curve_secret_key;
  const KeyRing* keys = nullptr;
  // Set: the socket's accepted connections are kept out of the store's
  // descriptor reserve (peer_guard.h).
  PeerGuard* guard = nullptr;
  // Set: each stored event is passed through it before it is sent (the
  // resident cards sealed at rest opened again: core/personal_data.h).
  // Called on the replay thread; must be thread-safe.
  std::function<std::string(std::string_view stored)> open_event;
};

// What one ReplayRequest asks for, once read and bounded.
struct ReplayAsk {
  uint64_t from_seq = 1;  // at least 1
  uint32_t limit = 0;     // 1..max_events (0 in the request: max_events)
  std::vector<std::string> topic_prefixes;
};

// Reads a request body as the server does: at most max_request_bytes, a
// zhiban.v1.ReplayRequest with no field this zhiband does not know, the limit
// capped. An error names what is wrong; the fuzz harness drives this.
Result<ReplayAsk> ParseReplayRequest(std::string_view body, const ReplayServerOptions& options);

struct ReplayCounters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> events_sent{0};
  std::atomic<uint64_t> bad_requests{0};
  std::atomic<uint64_t> abandoned{0};
  // Refused: max_waiting or max_jobs_per_peer reached, or waited over 5 s.
  std::atomic<uint64_t> busy{0};
  std::atomic<uint64_t> too_many_prefixes{0};  // refused: max_prefixes or max_prefix_bytes
  std::atomic<uint64_t> in_progress{0};        // in progress and waiting
};

class ReplayServer {
 public:
  ReplayServer(zmq::context_t& ctx, const storage::Store* store, ReplayServerOptions options);
  ~ReplayServer();

  Status Start();  // bind, then serve on a new thread
  void Stop();     // wake the thread, join it
  const std::string& endpoint() const;
  const ReplayCounters& counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zhiban::net
