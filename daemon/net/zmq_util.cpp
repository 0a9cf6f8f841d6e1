#include "daemon/net/zmq_util.h"

#include <fmt/format.h>

namespace zhiban::net {

Result<std::string> Bind(zmq::socket_t& sock, const std::string& endpoint) {
  std::string ep = endpoint;
  // Accept port 0 as "any free port" like the rest of the world; ZeroMQ spells it '*'.
  if (ep.starts_with("tcp://") && ep.ends_with(":0")) ep = ep.substr(0, ep.size() - 1) + "*";
  try {
    sock.bind(ep);
    return sock.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return Status::Unavailable(fmt::format("cannot bind {}: {}", endpoint, e.what()));
  }
}

}  // namespace zhiban::net
