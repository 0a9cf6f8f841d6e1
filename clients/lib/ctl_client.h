// CtlClient: one DEALER connection to zhiband's ctl endpoint. Call() sends
// [empty][CtlRequest] and waits (bounded) for the matching [empty][CtlReply].
// A reply carrying an `error` is still a successful Call(); only transport
// failures (no answer in time, garbage back) are an error Status.
//
// Thread-safety: one thread per client.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "daemon/base/status.h"
#include "daemon/net/curve.h"
#include "zhiban/v1/ctl.pb.h"

namespace zmq {
class context_t;
}

namespace zhiban::client {

class CtlClient {
 public:
  // `curve`: this client's key and zhiband's public key, for a tcp://
  // endpoint under CURVE (ignored for ipc://, whose callers are local).
  CtlClient(zmq::context_t& ctx, std::string endpoint,
            std::chrono::milliseconds timeout = std::chrono::seconds(30),
            net::CurveClient curve = {});
  ~CtlClient();

  // Fills request_id and client info when empty.
  Result<v1::CtlReply> Call(v1::CtlRequest& request);

  // Sends raw bytes as the request body (tests of bad input use this).
  Result<std::string> CallRaw(const std::string& body);

  const std::string& endpoint() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The ClientInfo this process reports (OS user, host name, tool).
v1::ClientInfo LocalClientInfo(const std::string& tool);

}  // namespace zhiban::client
