// ZapHandler: zhiband's ZAP handler (ZeroMQ RFC 27), which decides for
// every CURVE handshake on ctl, pub and replay whether the client's public
// key belongs to a principal zhiband knows and has not revoked. It answers
// 200 with User-Id = the client's public key (Z85), which ctl and replay read
// back from every message to check the key again (a revoked key is refused
// from its next request), or 400.
//
// It must be bound before any CURVE socket binds: libzmq lets a handshake
// through when no handler is there to ask.
//
// KeyRing: the keys it accepts (public key -> principal name), replaced by
// the core thread after a key is added or revoked, read by the handler's
// thread, the ctl server and the replay thread.
//
// Thread-safety: KeyRing is safe from any thread; ZapHandler's Start/Stop
// from the owning thread, counters atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "daemon/base/status.h"

namespace zmq {
class context_t;
}

namespace zhiban::net {

class KeyRing {
 public:
  // Every key that may connect: Z85 public key -> principal name.
  void Replace(std::unordered_map<std::string, std::string> active);
  // The principal of `public_key`, or nullopt (unknown or revoked).
  std::optional<std::string> NameOf(const std::string& public_key) const;
  // A copy of every key, for comparing with the next set.
  std::unordered_map<std::string, std::string> Snapshot() const;
  size_t size() const;

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::string> active_;
};

struct ZapCounters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refused{0};
};

class ZapHandler {
 public:
  ZapHandler(zmq::context_t& ctx, const KeyRing& keys);
  ~ZapHandler();
  Status Start();  // bind inproc://zeromq.zap.01, serve on a new thread
  void Stop();     // wake the thread, join it
  const ZapCounters& counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zhiban::net
