// Publisher: the PUB socket. Each event goes out as two frames,
// [topic][serialized zhiban.v1.Event], only after it is durable.
//
// PUB never blocks: at a subscriber's high-water mark ZeroMQ drops, and the
// subscriber recovers by gap detection + replay (docs/PROTOCOL.md). A
// heartbeat (topic bus.heartbeat, seq 0) tells idle subscribers the newest seq.
//
// Thread-safety: core thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/base/clock.h"
#include "daemon/base/status.h"

namespace zmq {
class context_t;
}

namespace zhiban::net {

struct PublisherOptions {
  std::string endpoint = "tcp://127.0.0.1:7601";
  int sndhwm = 200000;  // messages queued per subscriber before ZeroMQ drops for it
};

class Publisher {
 public:
  Publisher(zmq::context_t& ctx, PublisherOptions options);
  ~Publisher();

  Status Start();
  void Stop();
  void Publish(std::string_view topic, std::string_view event_bytes);
  void Heartbeat(uint64_t last_seq, TimePoint now);

  const std::string& endpoint() const;
  uint64_t published() const;  // events handed to ZeroMQ
  uint64_t send_failures() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zhiban::net
