#include "daemon/net/zap_handler.h"

#include <mutex>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "daemon/net/curve.h"
#include "daemon/net/zmq_util.h"

namespace zhiban::net {

void KeyRing::Replace(std::unordered_map<std::string, std::string> active) {
  std::unique_lock lock(mu_);
  active_ = std::move(active);
}

std::optional<std::string> KeyRing::NameOf(const std::string& public_key) const {
  std::shared_lock lock(mu_);
  auto it = active_.find(public_key);
  if (it == active_.end()) return std::nullopt;
  return it->second;
}

std::unordered_map<std::string, std::string> KeyRing::Snapshot() const {
  std::shared_lock lock(mu_);
  return active_;
}

size_t KeyRing::size() const {
  std::shared_lock lock(mu_);
  return active_.size();
}

namespace {
std::atomic<uint64_t> g_zap_instance{0};
}  // namespace

struct ZapHandler::Impl {
  zmq::context_t& ctx;
  const KeyRing& keys;
  zmq::socket_t rep;
  zmq::socket_t stop_tx;
  std::string stop_endpoint;
  std::thread thread;
  ZapCounters counters;

  Impl(zmq::context_t& c, const KeyRing& k)
      : ctx(c), keys(k), rep(c, zmq::socket_type::rep), stop_tx(c, zmq::socket_type::pair) {}

  // [version][request id][domain][address][routing id][mechanism][credentials...]
  // -> [version][request id][status code][status text][user id][metadata]
  void Answer(std::vector<zmq::message_t>& req) {
    std::string code = "400", text = "malformed ZAP request", user;
    if (req.size() >= 6 && req[0].to_string_view() == "1.0") {
      const auto domain = req[2].to_string_view();
      const auto mechanism = req[5].to_string_view();
      if (domain != kZapDomain) {
        text = "unknown ZAP domain";
      } else if (mechanism != "CURVE" || req.size() != 7 || req[6].size() != 32) {
        text = "zhiband takes CURVE clients only";
      } else {
        char z85[41];
        zmq_z85_encode(z85, static_cast<const uint8_t*>(req[6].data()), 32);
        if (auto name = keys.NameOf(z85)) {
          code = "200";
          text = "OK";
          user = z85;
          spdlog::debug("ZAP: {} ({}) accepted", *name, req[3].to_string_view());
        } else {
          text = "unknown or revoked key";
          spdlog::info(
              "ZAP: refused a client key zhiband does not know or has revoked ({}) from {}", z85,
              req[3].to_string_view());
        }
      }
    }
    ++(code == "200" ? counters.accepted : counters.refused);
    std::vector<zmq::message_t> reply;
    reply.emplace_back("1.0", 3);
    reply.emplace_back(req.size() > 1 ? req[1].data() : nullptr,
                       req.size() > 1 ? req[1].size() : 0);
    reply.emplace_back(code.data(), code.size());
    reply.emplace_back(text.data(), text.size());
    reply.emplace_back(user.data(), user.size());
    reply.emplace_back();
    RetryOnEintr([&] { return zmq::send_multipart(rep, reply); });
  }

  void Run() {
    zmq::socket_t stop_rx(ctx, zmq::socket_type::pair);
    stop_rx.connect(stop_endpoint);
    zmq::pollitem_t items[] = {{rep.handle(), 0, ZMQ_POLLIN, 0},
                               {stop_rx.handle(), 0, ZMQ_POLLIN, 0}};
    for (;;) {
      try {
        zmq::poll(items, 2, std::chrono::milliseconds(-1));
        if (items[1].revents & ZMQ_POLLIN) break;
        if (items[0].revents & ZMQ_POLLIN) {
          std::vector<zmq::message_t> req;
          if (zmq::recv_multipart(rep, std::back_inserter(req), zmq::recv_flags::dontwait)) {
            Answer(req);
          }
        }
      } catch (const zmq::error_t& e) {
        if (e.num() == ETERM) break;
        if (e.num() == EINTR) continue;
        spdlog::error("ZAP handler: {}", e.what());
      }
    }
    rep.close();
  }
};

ZapHandler::ZapHandler(zmq::context_t& ctx, const KeyRing& keys)
    : impl_(std::make_unique<Impl>(ctx, keys)) {}

ZapHandler::~ZapHandler() { Stop(); }

Status ZapHandler::Start() {
  try {
    impl_->rep.set(zmq::sockopt::linger, 0);
    impl_->rep.bind("inproc://zeromq.zap.01");
  } catch (const zmq::error_t& e) {
    return Status::Unavailable(fmt::format("cannot start the ZAP handler: {}", e.what()));
  }
  impl_->stop_endpoint = fmt::format("inproc://zhiban-zap-stop-{}", g_zap_instance++);
  impl_->stop_tx.bind(impl_->stop_endpoint);
  impl_->thread = std::thread([this] { impl_->Run(); });
  return {};
}

void ZapHandler::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->stop_tx.send(zmq::str_buffer("stop"), zmq::send_flags::none);
  impl_->thread.join();
  impl_->stop_tx.close();
}

const ZapCounters& ZapHandler::counters() const { return impl_->counters; }

}  // namespace zhiban::net
