// CtlServer: the ctl ROUTER socket, driven by the core thread's Asio loop.
//
// The socket's ZMQ_FD is watched with an Asio descriptor (no polling thread,
// no sleeps). ZMQ_FD only signals that ZMQ_EVENTS may have changed, so after
// every drain the server re-reads ZMQ_EVENTS before waiting again.
// Each wake-up drains up to `max_group` requests and hands them to the
// handler together: that is what lets the core commit many commands with one
// fsync (group commit).
//
// Framing: a request is [routing id][envelope...][empty][body] (what REQ and
// DEALER+empty-delimiter clients send). A message without the empty delimiter
// is still answered (frame_error set), with the reply sent without one.
// A deferred call is answered when the handler calls Reply(): a DEALER that
// pipelines may then get replies out of order (request_id matches them).
//
// Thread-safety: all methods on the thread running the io_context.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/base/status.h"

namespace boost::asio {
class io_context;
}
namespace zmq {
class context_t;
}

namespace zhiban::net {

struct CtlCall {
  std::string body;    // the request bytes
  Status frame_error;  // set when the message was not [envelope][empty][body]
  std::string reply;   // filled by the handler: a serialized zhiban.v1.CtlReply
  // Who sent it, as the transport proves it: the CURVE client's public key
  // (the ZAP User-Id, read from this very message), or `local` (the ipc://
  // socket); neither on an open loopback socket.
  std::string user_id;
  bool local = false;
  // Set by the handler that keeps the call to answer later (long work): the
  // server does not send it; the handler hands it to Reply() when done.
  bool deferred = false;
  struct Envelope;
  std::shared_ptr<Envelope> envelope;  // routing frames, opaque to the handler
};

class PeerGuard;  // peer_guard.h

struct CtlServerOptions {
  std::string endpoint = "tcp://127.0.0.1:7600";
  int64_t max_message_bytes = 16 << 20;  // ZMQ_MAXMSGSIZE: larger frames drop the connection
  int hwm = 100000;                      // ZMQ_SNDHWM / ZMQ_RCVHWM, messages per peer
  size_t max_group = 1024;               // requests handed to the core per wake-up
  std::string curve_secret_key;          // set: a CURVE server (ZAP checks each client)
  bool local = false;                    // an ipc:// socket: its callers are the local admin
  // Set: the socket's accepted connections are kept out of the store's
  // descriptor reserve (peer_guard.h).
  PeerGuard* guard = nullptr;
};

class CtlServer {
 public:
  using Handler = std::function<void(std::vector<CtlCall>& calls)>;

  CtlServer(boost::asio::io_context& io, zmq::context_t& ctx, CtlServerOptions options,
            Handler handler);
  ~CtlServer();

  Status Start();  // bind and start reading
  void Stop();     // stop reading and close; replies in flight are sent first, deferred ones never
  // Sends the reply of a call the handler deferred (a no-op once stopped).
  void Reply(CtlCall& call);
  const std::string& endpoint() const;  // the bound endpoint (port resolved)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zhiban::net
