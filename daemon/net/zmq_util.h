// Small helpers around cppzmq (which throws): exceptions stop here.
#pragma once

#include <string>

#include <zmq.hpp>

#include "daemon/base/status.h"

namespace zhiban::net {

// Binds `sock` to `endpoint` and returns the endpoint actually bound (with a
// resolved port for "tcp://host:0" or "tcp://host:*").
Result<std::string> Bind(zmq::socket_t& sock, const std::string& endpoint);

}  // namespace zhiban::net
