// Publisher: the PUB socket. An event goes out as two frames,
// [topic][serialized zhiban.v1.Event], only after it is durable; consecutive
// events of one topic may go out together as three, [topic]["run"][EventRun]
// (PublishRun): under CURVE each frame is one box, and a box per event
// halved an import's delivery rate.
//
// PUB never blocks: at a subscriber's high-water mark ZeroMQ drops, and the
// subscriber recovers by gap detection + replay (docs/PROTOCOL.md). A
// heartbeat (topic bus.heartbeat, seq 0) tells idle subscribers the newest seq.
// Under CURVE a subscriber's key is checked at its handshake only (PUB has
// no per-message sender); CutOff makes every subscriber shake hands again.
//
// Thread-safety: core thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/base/clock.h"
#include "daemon/base/status.h"

namespace zmq {
class context_t;
}

namespace zhiban::net {

class PeerGuard;  // peer_guard.h

struct PublisherOptions {
  std::string endpoint = "tcp://127.0.0.1:7601";
  int sndhwm = 200000;           // messages queued per subscriber before ZeroMQ drops for it
  std::string curve_secret_key;  // set: a CURVE server (ZAP checks each subscriber)
  // Set: the socket's accepted connections are kept out of the store's
  // descriptor reserve (peer_guard.h).
  PeerGuard* guard = nullptr;
};

class Publisher {
 public:
  Publisher(zmq::context_t& ctx, PublisherOptions options);
  ~Publisher();

  Status Start();
  void Stop();
  // Several consecutive events of `topic` (serialized Events, in seq order)
  // as one message; one event goes out as Publish would send it.
  void PublishRun(std::string_view topic, const std::vector<std::string_view>& events);
  void Publish(std::string_view topic, std::string_view event_bytes);
  void Heartbeat(uint64_t last_seq, TimePoint now);
  // Drops every subscriber's connection (a new socket bound to the same
  // endpoint): each reconnects through a fresh CURVE handshake, which a
  // revoked key fails. The others lose what was in flight and fetch it by
  // replay when they see the gap (docs/PROTOCOL.md, "Authentication").
  Status CutOff();

  const std::string& endpoint() const;
  uint64_t published() const;  // events handed to ZeroMQ
  uint64_t send_failures() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zhiban::net
