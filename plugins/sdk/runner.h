// The plugin SDK: everything a notifier needs except "send this".
//
// A Runner follows the bus from the plugin's cursor (subscribe + replay + gap
// filling, clients/lib/subscriber.h). For each event the Notifier wants, it
// renders the notifications (routing + templates, routing.h) and settles each
// one: already sent → skipped; non-urgent in quiet hours → held and sent when
// the hold ends; otherwise sent, rate-limited by a token bucket. The Notifier
// answers each send OK, RETRY or FATAL (after fluent-bit's FLB_OK / FLB_RETRY /
// FLB_ERROR):
//   OK     recorded as sent (synced) — it is never sent again;
//   RETRY  the same notification again after an exponential backoff with
//          jitter (or the provider's retry-after), up to max_attempts;
//   FATAL  (or retries exhausted) a dead letter; the stream moves on.
// A notification whose moment has passed (staleness.h) is not sent: it is
// recorded as skipped, with the reason, before any attempt and between retries.
// The cursor passes an event once all its notifications are settled. Events
// are handled in seq order: a provider outage holds the stream, it never
// reorders or drops it.
//
// Never twice: before a request leaves, the notification is marked in flight
// (synced). If the plugin dies before the answer is recorded, the next start
// asks the Notifier to Reconcile it with the provider (SMS: the provider's
// send records, by our key); only when the provider cannot say is it sent
// again, and counted as uncertain.
//
// A full state dir pauses sending; it never skips or repeats. While the disk
// holding the state dir has less than state_min_free_bytes free, every state
// write is refused before RocksDB sees it (state.h); the runner then waits
// (initial_backoff doubling to at most kStateFullMaxWait) and writes again,
// logging "state dir full: …; sending paused" once per episode. A refused
// in-flight mark means the request does not leave; a refused "sent" record
// (the provider already accepted) keeps the runner retrying that record, and
// if the plugin stops or dies meanwhile the in-flight mark left on disk is
// reconciled at the next start, as after any crash mid-send.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "daemon/base/status.h"
#include "daemon/net/curve.h"
#include "plugins/sdk/contacts.h"
#include "plugins/sdk/limits.h"
#include "plugins/sdk/routing.h"
#include "plugins/sdk/staleness.h"
#include "plugins/sdk/state.h"
#include "zhiban/v1/events.pb.h"

namespace zmq {
class context_t;
}

namespace zhiban::plugin {

struct Delivery {
  // kStale is the SDK's own: the notice went stale before it could be sent
  // (staleness.h); a Notifier never returns it.
  enum class Kind { kOk, kRetry, kFatal, kStale };
  Kind kind = Kind::kOk;
  std::string reason;
  std::chrono::milliseconds retry_after{0};  // the provider's hint (rate limits); 0: backoff
  // The request may have been accepted (a timeout after sending): the Runner
  // asks Reconcile before sending it again.
  bool maybe_sent = false;
  static Delivery Ok() { return {}; }
  static Delivery Retry(std::string why, std::chrono::milliseconds after = {}) {
    return {Kind::kRetry, std::move(why), after, false};
  }
  static Delivery RetryMaybeSent(std::string why) {
    return {Kind::kRetry, std::move(why), {}, true};
  }
  static Delivery Fatal(std::string why) { return {Kind::kFatal, std::move(why), {}, false}; }
};

// What the provider says about a notification that was in flight at a crash.
enum class Reconciled {
  kSent,                  // it has it: recorded as sent, not sent again
  kNotSent,               // it never got it: sent again
  kProviderDeduplicates,  // cannot say, but drops a resend itself: sent again safely
  kUnknown,               // cannot say: sent again, counted as uncertain
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  // True when this plugin acts on the event; others only move the cursor.
  // Like Render, a function of the event and the config: may be asked ahead.
  virtual bool Wants(const v1::Event& e) const = 0;
  // The notifications for an event; an error makes the event a dead letter.
  // A function of the event and the config: the Runner may render a run of
  // events ahead of their turn (to look their people up at once).
  virtual Result<std::vector<v1::Notification>> Render(const v1::Event& e) = 0;
  // Sends one; called again with the same notification after RETRY.
  virtual Delivery Send(const v1::Notification& n) = 0;
  // After a crash mid-send: did the provider accept `n`?
  virtual Reconciled Reconcile(const v1::Notification&) { return Reconciled::kUnknown; }
  // Extra Prometheus lines for /metrics (provider-specific figures).
  virtual std::string Metrics() const { return {}; }
};

// A Notifier whose events are routed and rendered by a Router (the usual case).
class RoutedNotifier : public Notifier {
 public:
  explicit RoutedNotifier(std::unique_ptr<Router> router) : router_(std::move(router)) {}
  bool Wants(const v1::Event& e) const override { return router_->Wants(e); }
  Result<std::vector<v1::Notification>> Render(const v1::Event& e) override {
    return router_->Render(e);
  }
  const Router& router() const { return *router_; }

 private:
  std::unique_ptr<Router> router_;
};

// The longest wait between two tries of a state write refused for want of
// disk space (the first wait is initial_backoff; max_backoff caps it too).
inline constexpr std::chrono::milliseconds kStateFullMaxWait{10000};

struct RunnerOptions {
  std::string state_dir;
  // The reserve kept free on the state dir's disk (PluginState::Options):
  // below it sending pauses, and PluginMain refuses to start.
  uint64_t state_min_free_bytes = kMinFreeBytes;  // 0: no check (tests)
  std::string pub_endpoint = "tcp://127.0.0.1:7601";
  std::string replay_endpoint = "tcp://127.0.0.1:7602";
  net::CurveClient curve;  // [bus] key + server_key: CURVE on tcp:// endpoints
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{300000};
  int max_attempts = 10;  // then a dead letter
  uint64_t seed = 0;      // jitter; 0 = random
  QuietHours quiet = QuietHours::Never();
  TokenBucket rate;  // default: unlimited
  std::function<SysTime()> now = [] { return std::chrono::system_clock::now(); };
  // Where a plugin with no cursor begins ([bus] start): "now" (the next
  // event zhiband stores; the default: a new notifier never replays
  // history to people), "beginning" (seq 1), or a seq. Written to the state
  // before anything is followed, so a crash right after start skips nothing.
  std::string start = "now";
  StalePolicy stale;  // [stale]
  // Contacts (contacts.h): zhiband's ctl endpoint for the contact query,
  // asked with `curve`'s key ([bus] ctl); empty: no lookups, recipients keep
  // what the event carried (events carry no contacts: nobody is reached but
  // configured groups). `contacts`, when set, is asked instead (tests, bench).
  std::string ctl_endpoint;
  ContactSource* contacts = nullptr;
  // The Recipient field a message needs (ChannelNeeds::contact_field): a
  // staff recipient still without it after the lookup is not sent to.
  std::string contact_field;
};

struct RunnerStats {
  std::atomic<uint64_t> events = 0;      // events handled (wanted or not)
  std::atomic<uint64_t> delivered = 0;   // notifications the provider accepted
  std::atomic<uint64_t> skipped = 0;     // events not wanted
  std::atomic<uint64_t> duplicates = 0;  // notifications already settled
  std::atomic<uint64_t> retries = 0;
  std::atomic<uint64_t> dead = 0;
  std::atomic<uint64_t> held = 0;        // held for quiet hours
  std::atomic<uint64_t> released = 0;    // sent at the end of a hold
  std::atomic<uint64_t> reconciled = 0;  // in flight at a crash, found sent by the provider
  std::atomic<uint64_t> uncertain = 0;   // in flight at a crash, provider could not say: sent again
  std::atomic<uint64_t> rate_waits = 0;  // sends that waited for a token
  std::atomic<uint64_t> lost_events = 0;  // seqs zhiband lost (events.lost), never delivered
  std::atomic<uint64_t> stale = 0;        // notifications skipped as stale, never sent
  std::atomic<uint64_t> unreachable = 0;  // notifications skipped: nobody in them has the contact
};

class Runner {
 public:
  Runner(zmq::context_t& ctx, RunnerOptions options, Notifier& notifier);
  ~Runner();

  Status Open();  // the state dir; reconciles notifications in flight at a crash
  // Follows the bus until `stop` is set (SIGTERM: the notification in hand finishes first).
  Status Run(const std::atomic<bool>& stop);
  // Sends a dead letter again (one delivery cycle with retries); on success
  // it is recorded as sent, otherwise it stays dead with the new reason.
  Status Redrive(const std::string& key, const std::atomic<bool>& stop);

  PluginState& state() { return *state_; }
  const RunnerStats& stats() const { return stats_; }
  const ContactStats& contact_stats() const { return book_.stats(); }
  // Prometheus text: the runner's counters and the notifier's own.
  std::string Metrics(const std::string& plugin) const;

 private:
  Delivery Attempt(const v1::Notification& n, const std::atomic<bool>& stop, uint32_t* attempts);
  // `n` with its staff recipients' contacts as zhiband has them now; a
  // recipient without the channel's contact left out. kRetry: the lookup
  // failed; kStale: nobody left to reach (the reason says who lacks what).
  Delivery Resolve(const v1::Notification& n, v1::Notification* out);
  // Sends with retries and records the outcome: kOk sent, kFatal buried,
  // kRetry only when stopping (nothing recorded; sent again next start).
  // `advance_past`: the cursor moves past that seq with the outcome (0: it stays).
  Result<Delivery> SendOne(const v1::Notification& n, const std::atomic<bool>& stop,
                           uint64_t advance_past = 0);
  Status Handle(const v1::Event& e, const std::atomic<bool>& stop);
  // A run of events about to be handled (Subscriber on_ahead): renders the
  // wanted ones and looks up all their people in one request.
  void Prepare(const std::vector<const v1::Event*>& run);
  // `e`'s notifications: rendered by Prepare, else now.
  Result<std::vector<v1::Notification>> Rendered(const v1::Event& e);
  Status ReleaseDue(const std::atomic<bool>& stop);
  Status ReconcileInflight();
  // A first start: the cursor from options_.start, written before anything else.
  Status ChooseStart(const std::atomic<bool>& stop);
  // Records `n` as skipped (stale, or `unreachable`: nobody in it has the
  // channel's contact); moves the cursor past `advance_past`.
  Status SkipStale(const v1::Notification& n, const std::string& reason, uint64_t advance_past,
                   const std::atomic<bool>& stop, bool unreachable = false);
  // Runs `write`, a state write; while the state refuses it for want of disk
  // space, waits and runs it again (sending is paused meanwhile). Returns its
  // first other outcome, or the refusal when `stop` is set during a wait.
  Status Persist(const std::function<Status()>& write, const std::atomic<bool>& stop);
  // "Now" for staleness: zhiband's clock as last heard on the bus (so a
  // simulated clock is honoured), else this host's.
  SysTime StaleNow() const;

  zmq::context_t& ctx_;
  RunnerOptions options_;
  Notifier& notifier_;
  std::unique_ptr<PluginState> state_;
  std::unique_ptr<ContactSource> ctl_contacts_;  // options_.ctl_endpoint's
  ContactBook book_;
  // Prepare's renderings by seq, until their event is handled.
  std::map<uint64_t, Result<std::vector<v1::Notification>>> ahead_;
  RunnerStats stats_;
  std::mt19937_64 rng_;
  SysTime bus_now_{};    // zhiband's clock as last heard (epoch: not yet)
  bool paused_ = false;  // a state write is being refused (one log line per episode)
};

}  // namespace zhiban::plugin
