#include "daemon/net/peer_guard.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "daemon/net/zmq_util.h"

namespace zhiban::net {
namespace {

std::atomic<uint64_t> g_instances{0};

// Whether `fd` is still a connection accepted on `endpoint` ("tcp://h:port"
// or "ipc://path"): its local address is the listener's. The event is read
// after the accept, and by then the connection may have closed and its
// number gone to another socket (an HTTP connection, an earlier peer): that
// one is left alone. A reuse by a connection to the same listener in the
// same shortage would be refused anyway.
bool AcceptedOn(int fd, const std::string& endpoint) {
  int type = 0, listening = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) return false;
  len = sizeof listening;
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening != 0)
    return false;
  sockaddr_storage local{};
  len = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) return false;
  if (endpoint.starts_with("ipc://")) {
    if (local.ss_family != AF_UNIX) return false;
    const auto* un = reinterpret_cast<const sockaddr_un*>(&local);
    return endpoint.substr(6) == std::string_view(un->sun_path);
  }
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos) return false;
  uint16_t port = 0;
  if (local.ss_family == AF_INET) {
    port = ntohs(reinterpret_cast<const sockaddr_in*>(&local)->sin_port);
  } else if (local.ss_family == AF_INET6) {
    port = ntohs(reinterpret_cast<const sockaddr_in6*>(&local)->sin6_port);
  } else {
    return false;
  }
  return endpoint.substr(colon + 1) == std::to_string(port);
}

}  // namespace

std::optional<size_t> OpenDescriptors() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return std::nullopt;
  size_t n = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n > 0 ? n - 1 : 0;  // the directory's own descriptor
}

struct PeerGuard::Impl {
  zmq::context_t& ctx;
  const size_t reserve;
  const uint64_t instance = g_instances++;
  uint64_t watches = 0;
  std::string stop_endpoint;
  zmq::socket_t stop_tx;
  std::thread thread;
  PeerGuardCounters counters;
  // Monitor sockets made by Watch, handed to the thread at its next turn.
  std::mutex mu;
  std::vector<zmq::socket_t> adopt;
  std::chrono::steady_clock::time_point last_warning{};

  Impl(zmq::context_t& c, size_t r) : ctx(c), reserve(r), stop_tx(c, zmq::socket_type::pair) {}

  void OnAccepted(int fd, const std::string& endpoint) {
    ++counters.accepted;
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return;
    const size_t keep = endpoint.starts_with("ipc://") ? reserve / 4 : reserve;
    const size_t open = OpenDescriptors().value_or(rl.rlim_cur);
    if (open + keep <= rl.rlim_cur) return;
    if (!AcceptedOn(fd, endpoint)) return;  // already gone
    ::shutdown(fd, SHUT_RDWR);
    ++counters.refused;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_warning >= std::chrono::seconds(10)) {
      last_warning = now;
      spdlog::warn(
          "refused connections on {} (and others, {} so far): {} of {} descriptors open, {} are "
          "kept for the store",
          endpoint, counters.refused.load(), open, rl.rlim_cur, keep);
    }
  }

  void Run() {
    zmq::socket_t stop_rx(ctx, zmq::socket_type::pair);
    stop_rx.connect(stop_endpoint);
    std::vector<zmq::socket_t> monitors;
    for (;;) {
      {
        std::lock_guard lock(mu);
        for (auto& m : adopt) monitors.push_back(std::move(m));
        adopt.clear();
      }
      std::vector<zmq::pollitem_t> items{{stop_rx.handle(), 0, ZMQ_POLLIN, 0}};
      for (auto& m : monitors) items.push_back({m.handle(), 0, ZMQ_POLLIN, 0});
      try {
        // A socket watched while this waits is taken at the next turn.
        zmq::poll(items.data(), items.size(), std::chrono::milliseconds(100));
      } catch (const zmq::error_t& e) {
        if (e.num() == ETERM) return;
        continue;  // EINTR
      }
      if (items[0].revents & ZMQ_POLLIN) return;
      for (size_t i = 0; i < monitors.size(); ++i) {
        if (!(items[i + 1].revents & ZMQ_POLLIN)) continue;
        // An event is two frames: 16-bit event id + 32-bit value (here the
        // accepted descriptor), then the endpoint.
        for (;;) {
          zmq::message_t head, where;
          try {
            if (!monitors[i].recv(head, zmq::recv_flags::dontwait)) break;
            if (!head.more() || !monitors[i].recv(where)) break;
          } catch (const zmq::error_t& e) {
            if (e.num() == ETERM) return;
            break;
          }
          uint16_t id = 0;
          uint32_t value = 0;
          if (head.size() < sizeof id + sizeof value) continue;
          std::memcpy(&id, head.data(), sizeof id);
          std::memcpy(&value, static_cast<const char*>(head.data()) + sizeof id, sizeof value);
          if (id == ZMQ_EVENT_ACCEPTED) {
            OnAccepted(static_cast<int>(value), where.to_string());
          } else if (id == ZMQ_EVENT_MONITOR_STOPPED) {
            monitors[i].close();  // its socket was closed (or watched anew)
          }
        }
      }
      std::erase_if(monitors, [](const zmq::socket_t& m) { return !m; });
    }
  }
};

PeerGuard::PeerGuard(zmq::context_t& ctx, size_t reserve)
    : impl_(std::make_unique<Impl>(ctx, reserve)) {}

PeerGuard::~PeerGuard() { Stop(); }

Status PeerGuard::Watch(zmq::socket_t& sock) {
  const std::string at =
      fmt::format("inproc://zhiban-peer-guard-{}-{}", impl_->instance, impl_->watches++);
  if (zmq_socket_monitor(sock.handle(), at.c_str(),
                         ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_MONITOR_STOPPED) != 0) {
    return Status::Unavailable(
        fmt::format("cannot watch a socket's connections: {}", zmq_strerror(zmq_errno())));
  }
  zmq::socket_t monitor(impl_->ctx, zmq::socket_type::pair);
  monitor.connect(at);
  std::lock_guard lock(impl_->mu);
  impl_->adopt.push_back(std::move(monitor));
  return {};
}

Status PeerGuard::Start() {
  impl_->stop_endpoint = fmt::format("inproc://zhiban-peer-guard-stop-{}", impl_->instance);
  impl_->stop_tx.bind(impl_->stop_endpoint);
  impl_->thread = std::thread([this] { impl_->Run(); });
  return {};
}

void PeerGuard::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->stop_tx.send(zmq::str_buffer("stop"), zmq::send_flags::none);
  impl_->thread.join();
  impl_->stop_tx.close();
}

const PeerGuardCounters& PeerGuard::counters() const { return impl_->counters; }

}  // namespace zhiban::net
