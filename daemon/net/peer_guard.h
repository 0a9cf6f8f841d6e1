// PeerGuard: keeps the connections ZeroMQ accepts out of the descriptors
// zhiband keeps for its store (issue 37).
//
// libzmq accepts on its own I/O thread, with no cap of its own. Under a low
// RLIMIT_NOFILE, peers that connect and never finish a handshake (each held
// up to ZMQ_HANDSHAKE_IVL) took every descriptor: RocksDB could not create
// its next WAL, and an accept on an ipc:// endpoint at EMFILE aborts libzmq
// 4.3 (ipc_listener.cpp). The guard watches every ZeroMQ socket that binds
// (a socket monitor, ZMQ_EVENT_ACCEPTED) and, when a connection has just
// been accepted while fewer than `reserve` descriptors are free under the
// soft limit, shuts that connection down at once (libzmq sees the peer gone
// and closes it). A TCP endpoint keeps `reserve` free; an ipc:// endpoint,
// reachable only by the data dir's owner, a quarter of it, so the local
// admin still gets in while a flood holds TCP at the TCP reserve.
//
// Connections established before the descriptors ran short are never cut;
// a refused peer may connect again (zhibanctl and the SDK do), and the
// refusals are counted (zhiban_limit_refusals_total{limit="zmq.fd_reserve"}).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "daemon/base/status.h"

namespace zmq {
class context_t;
class socket_t;
}  // namespace zmq

namespace zhiban::net {

struct PeerGuardCounters {
  std::atomic<uint64_t> accepted{0};  // connections seen accepted
  std::atomic<uint64_t> refused{0};   // of them, shut down for the reserve
};

class PeerGuard {
 public:
  PeerGuard(zmq::context_t& ctx, size_t reserve);
  ~PeerGuard();  // Stop()
  PeerGuard(const PeerGuard&) = delete;
  PeerGuard& operator=(const PeerGuard&) = delete;

  // Watches `sock`. Called from the thread that owns the socket, before it
  // binds (so no accept is missed); any time, also after Start (a socket
  // bound again is watched again).
  Status Watch(zmq::socket_t& sock);
  Status Start();
  void Stop();

  const PeerGuardCounters& counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Descriptors this process has open now (entries of /proc/self/fd); none
// when that cannot be read (then, at EMFILE, the guard counts itself full).
std::optional<size_t> OpenDescriptors();

}  // namespace zhiban::net
