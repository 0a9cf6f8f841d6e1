// Small helpers around cppzmq (which throws): exceptions stop here.
#pragma once

#include <cerrno>
#include <string>

#include <zmq.hpp>

#include "daemon/base/status.h"

namespace zhiban::net {

// Binds `sock` to `endpoint` and returns the endpoint actually bound (with a
// resolved port for "tcp://host:0" or "tcp://host:*").
Result<std::string> Bind(zmq::socket_t& sock, const std::string& endpoint);

// Runs a cppzmq call again while a signal interrupts it. ZeroMQ reports
// EINTR from send, recv and even getsockopt(ZMQ_EVENTS) when a signal lands
// during the call (zhiband takes SIGTERM through asio, so it does); EINTR
// leaves the message where it was, so the call is simply repeated. Every
// other error is thrown as cppzmq throws it.
template <typename F>
auto RetryOnEintr(F&& f) -> decltype(f()) {
  for (;;) {
    try {
      return f();
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
    }
  }
}

}  // namespace zhiban::net
