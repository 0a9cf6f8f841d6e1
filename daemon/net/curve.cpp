#include "daemon/net/curve.h"

#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace zhiban::net {
namespace {

// The quoted value of `key = "..."` on `line`, or "".
std::string ValueOf(const std::string& line, std::string_view key) {
  std::string_view l = line;
  while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
  if (!l.starts_with(key)) return {};
  l.remove_prefix(key.size());
  while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
  if (l.empty() || l.front() != '=') return {};
  const auto open = l.find('"'), close = l.rfind('"');
  if (open == std::string_view::npos || close <= open) return {};
  return std::string(l.substr(open + 1, close - open - 1));
}

bool LooksLikeZ85Key(std::string_view s) {
  if (s.size() != 40) return false;
  uint8_t out[32];
  return zmq_z85_decode(out, std::string(s).c_str()) != nullptr;
}

}  // namespace

Result<CurveKeys> NewCurveKeys() {
  char pub[41], sec[41];
  if (zmq_curve_keypair(pub, sec) != 0) {
    return Status::Unavailable(
        fmt::format("cannot make a CURVE key pair: {} (is libzmq built with libsodium?)",
                    zmq_strerror(zmq_errno())));
  }
  return CurveKeys{pub, sec};
}

Status WriteKeyFile(const std::string& path, const CurveKeys& keys, std::string_view comment) {
  namespace fs = std::filesystem;
  const std::string tmp = path + ".tmp";
  const mode_t mode = keys.secret_key.empty() ? 0644 : 0600;
  {
    // Created with its final mode: a secret is never readable by others, not even briefly.
    fs::remove(tmp);
    const mode_t old = ::umask(0077);
    std::ofstream f(tmp, std::ios::trunc);
    ::umask(old);
    if (!f) return Status::Unavailable(fmt::format("cannot write {}: {}", tmp, strerror(errno)));
    f << "# " << comment << "\n";
    if (!keys.secret_key.empty()) {
      f << "# The secret half: keep this file owner-only; zhiband never sees it.\n";
    }
    f << "public-key = \"" << keys.public_key << "\"\n";
    if (!keys.secret_key.empty()) f << "secret-key = \"" << keys.secret_key << "\"\n";
    f.flush();
    if (!f) return Status::Unavailable(fmt::format("cannot write {}", tmp));
  }
  if (::chmod(tmp.c_str(), mode) != 0) {
    return Status::Unavailable(fmt::format("cannot chmod {}: {}", tmp, strerror(errno)));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::Unavailable(fmt::format("cannot write {}: {}", path, ec.message()));
  return {};
}

Result<CurveKeys> ReadKeyFile(const std::string& path, bool need_secret) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::NotFound("key", fmt::format("key file {}: {}", path, strerror(errno)));
  }
  std::ifstream f(path);
  if (!f) return Status::NotFound("key", fmt::format("cannot read key file {}", path));
  CurveKeys k;
  for (std::string line; std::getline(f, line);) {
    if (auto v = ValueOf(line, "public-key"); !v.empty()) k.public_key = v;
    if (auto v = ValueOf(line, "secret-key"); !v.empty()) k.secret_key = v;
  }
  if (!LooksLikeZ85Key(k.public_key)) {
    return Status::InvalidArgument(
        "key", fmt::format("{} holds no public-key = \"<40 Z85 characters>\" line", path));
  }
  if (!k.secret_key.empty()) {
    if ((st.st_mode & 077) != 0) {
      return Status::FailedPrecondition(
          "key", fmt::format("{} holds a secret key but group or others may read it (mode {:o}); "
                             "chmod 600 {}",
                             path, st.st_mode & 0777, path));
    }
    if (!LooksLikeZ85Key(k.secret_key)) {
      return Status::InvalidArgument("key",
                                     fmt::format("{}: secret-key is not 40 Z85 characters", path));
    }
  } else if (need_secret) {
    return Status::InvalidArgument(
        "key", fmt::format("{} holds only a public key; a client needs its key file with the "
                           "secret-key line (zhibanctl key create writes one)",
                           path));
  }
  return k;
}

Result<std::string> ReadPublicKey(const std::string& path_or_z85) {
  if (LooksLikeZ85Key(path_or_z85) && !std::filesystem::exists(path_or_z85)) return path_or_z85;
  ZB_ASSIGN_OR_RETURN(auto k, ReadKeyFile(path_or_z85, false));
  return k.public_key;
}

void MakeCurveServer(zmq::socket_t& sock, const std::string& secret_key) {
  sock.set(zmq::sockopt::curve_server, 1);
  sock.set(zmq::sockopt::curve_secretkey, secret_key);
  sock.set(zmq::sockopt::zap_domain, kZapDomain);
  // A peer that connects and never finishes the handshake holds a
  // descriptor and a session: dropped after 5 s (libzmq's default is 30 s).
  sock.set(zmq::sockopt::handshake_ivl, kHandshakeMs);
}

void MakeCurveClient(zmq::socket_t& sock, const CurveClient& c) {
  sock.set(zmq::sockopt::curve_serverkey, c.server_public_key);
  sock.set(zmq::sockopt::curve_publickey, c.keys.public_key);
  sock.set(zmq::sockopt::curve_secretkey, c.keys.secret_key);
}

std::string UserIdOf(const zmq::message_t& msg) {
  const char* v = zmq_msg_gets(const_cast<zmq_msg_t*>(msg.handle()), "User-Id");
  return v ? std::string(v) : std::string();
}

bool IsIpcEndpoint(std::string_view endpoint) {
  return endpoint.starts_with("ipc://") || endpoint.starts_with("inproc://");
}

bool IsLocalEndpoint(std::string_view endpoint) {
  if (IsIpcEndpoint(endpoint)) return true;
  if (!endpoint.starts_with("tcp://")) return false;
  std::string_view host = endpoint.substr(6);
  if (host.starts_with("[")) {
    const auto end = host.find(']');
    return end != std::string_view::npos && host.substr(1, end - 1) == "::1";
  }
  host = host.substr(0, host.rfind(':'));
  return host.starts_with("127.") || host == "localhost";
}

}  // namespace zhiban::net
