// CURVE for zhiban's sockets (docs/PROTOCOL.md, "Authentication"): key
// pairs, key files, and the socket options of a CURVE server (zhiband:
// ctl, pub, replay over TCP) and client (zhibanctl, plugins, tests).
//
// Key files are TOML, readable from any language:
//   public-key = "<40 Z85 characters>"
//   secret-key = "<40 Z85 characters>"     (a secret key file only)
// A file holding a secret key must be owner-only (mode 0600 or stricter):
// ReadKeyFile refuses one that group or others may read, as ssh does.
//
// Thread-safety: free functions; sockets as ZeroMQ allows.
#pragma once

#include <string>
#include <string_view>

#include <zmq.hpp>

#include "daemon/base/status.h"

namespace zhiban::net {

// The ZAP domain zhiband's CURVE sockets declare (net/zap_handler.h).
inline constexpr const char* kZapDomain = "zhiban";

struct CurveKeys {
  std::string public_key;  // Z85
  std::string secret_key;  // Z85; empty for a public key file
};

// A new key pair from libsodium (through libzmq).
Result<CurveKeys> NewCurveKeys();

// Writes `keys` to `path` (0600 with a secret key, 0644 without), replacing
// it atomically; `comment` becomes the first line ("# ...").
Status WriteKeyFile(const std::string& path, const CurveKeys& keys, std::string_view comment);
// Reads a key file. `need_secret`: refuse one without a secret key.
Result<CurveKeys> ReadKeyFile(const std::string& path, bool need_secret);
// A server key given on a command line: a key file's path, or the 40 Z85
// characters themselves.
Result<std::string> ReadPublicKey(const std::string& path_or_z85);

// How long a CURVE handshake may take before libzmq drops the connection.
inline constexpr int kHandshakeMs = 5000;

// CURVE server: clients need zhiband's public key and a key zhiband knows
// (the ZAP handler says which; a message's User-Id is its client's public key).
// Handshakes are bounded by kHandshakeMs.
void MakeCurveServer(zmq::socket_t& sock, const std::string& secret_key);
struct CurveClient {
  std::string server_public_key;
  CurveKeys keys;
  bool enabled() const { return !server_public_key.empty(); }
};
void MakeCurveClient(zmq::socket_t& sock, const CurveClient& c);

// The ZAP User-Id of a received message: under CURVE, zhiband's ZAP handler
// sets it to the client's public key (Z85); "" when there is none.
std::string UserIdOf(const zmq::message_t& msg);

// True for ipc:// and inproc:// endpoints and TCP on a loopback address
// (127.0.0.0/8, ::1, localhost).
bool IsLocalEndpoint(std::string_view endpoint);
bool IsIpcEndpoint(std::string_view endpoint);

}  // namespace zhiban::net
