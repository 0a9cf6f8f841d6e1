// The plugin SDK: everything a notifier needs except "send this".
//
// A Runner follows the bus from the plugin's cursor (subscribe + replay + gap
// filling, clients/lib/subscriber.h), skips events the plugin does not want
// and events already delivered, and hands each remaining event to the
// Notifier. The Notifier answers OK, RETRY or FATAL (after fluent-bit's
// FLB_OK / FLB_RETRY / FLB_ERROR):
//   OK     the outcome and the cursor are written in one synced batch;
//   RETRY  the same event again after an exponential backoff with jitter
//          (initial_backoff doubling to max_backoff), up to max_attempts;
//   FATAL  (or retries exhausted) it becomes a dead letter, the stream moves on.
// Events are handled in seq order, one at a time: a provider outage holds the
// stream (retrying), it never reorders or drops it.
//
// Delivery is at-least-once: a crash after the provider accepted an event but
// before the outcome was written sends it again on restart. Providers with an
// idempotency key (WeCom duplicate check, WeChat client_msg_id) close that
// window; the notifier passes the event id as the key.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "daemon/base/status.h"
#include "plugins/sdk/state.h"
#include "zhiban/v1/events.pb.h"

namespace zmq {
class context_t;
}

namespace zhiban::plugin {

struct Delivery {
  enum class Kind { kOk, kRetry, kFatal };
  Kind kind = Kind::kOk;
  std::string reason;
  static Delivery Ok() { return {}; }
  static Delivery Retry(std::string why) { return {Kind::kRetry, std::move(why)}; }
  static Delivery Fatal(std::string why) { return {Kind::kFatal, std::move(why)}; }
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  // True when this plugin acts on the event (its routing); others are skipped.
  virtual bool Wants(const v1::Event& e) const = 0;
  // Sends it; called again with the same event after RETRY.
  virtual Delivery Deliver(const v1::Event& e) = 0;
};

struct RunnerOptions {
  std::string state_dir;
  std::string pub_endpoint = "tcp://127.0.0.1:7601";
  std::string replay_endpoint = "tcp://127.0.0.1:7602";
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{300000};
  int max_attempts = 10;  // then a dead letter
  uint64_t seed = 0;      // jitter; 0 = random
};

struct RunnerStats {
  uint64_t delivered = 0;
  uint64_t skipped = 0;      // not wanted
  uint64_t duplicates = 0;   // delivered before (by event id)
  uint64_t retries = 0;
  uint64_t dead = 0;
};

class Runner {
 public:
  Runner(zmq::context_t& ctx, RunnerOptions options, Notifier& notifier);
  ~Runner();

  Status Open();  // the state dir
  // Follows the bus until `stop` is set (SIGTERM: the event in hand finishes first).
  Status Run(const std::atomic<bool>& stop);
  // One delivery cycle (with retries) for a dead letter; on success it is
  // recorded as delivered, otherwise it stays dead.
  Status Redrive(const std::string& event_id, const std::atomic<bool>& stop);

  PluginState& state() { return *state_; }
  const RunnerStats& stats() const { return stats_; }

 private:
  // Delivers with retries; returns the final outcome and attempts made.
  Delivery Attempt(const v1::Event& e, const std::atomic<bool>& stop, uint32_t* attempts);
  Status Handle(const v1::Event& e, const std::atomic<bool>& stop);

  zmq::context_t& ctx_;
  RunnerOptions options_;
  Notifier& notifier_;
  std::unique_ptr<PluginState> state_;
  RunnerStats stats_;
  std::mt19937_64 rng_;
};

}  // namespace zhiban::plugin
