#include "plugins/sdk/runner.h"

#include <thread>

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "clients/lib/subscriber.h"

namespace zhiban::plugin {
namespace {

// Waits `d`, waking every 100 ms to notice `stop` (a signal handler can only
// set a flag). Returns false when stopped.
bool Wait(std::chrono::milliseconds d, const std::atomic<bool>& stop) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (!stop) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(100)));
  }
  return false;
}

}  // namespace

Runner::Runner(zmq::context_t& ctx, RunnerOptions options, Notifier& notifier)
    : ctx_(ctx),
      options_(std::move(options)),
      notifier_(notifier),
      rng_(options_.seed ? options_.seed : std::random_device{}()) {}

Runner::~Runner() = default;

Status Runner::Open() {
  auto s = PluginState::Open(options_.state_dir);
  if (!s.ok()) return s.status();
  state_ = std::move(*s);
  return {};
}

Delivery Runner::Attempt(const v1::Event& e, const std::atomic<bool>& stop, uint32_t* attempts) {
  auto backoff = options_.initial_backoff;
  for (*attempts = 1;; ++*attempts) {
    Delivery d = notifier_.Deliver(e);
    if (d.kind != Delivery::Kind::kRetry) return d;
    if (static_cast<int>(*attempts) >= options_.max_attempts) {
      return Delivery::Fatal(fmt::format("gave up after {} attempts: {}", *attempts, d.reason));
    }
    ++stats_.retries;
    // Full jitter on the upper half: [backoff/2, backoff].
    std::uniform_int_distribution<int64_t> jitter(backoff.count() / 2, backoff.count());
    const auto wait = std::chrono::milliseconds(jitter(rng_));
    spdlog::warn("event {} ({}): {}; retry {} in {} ms", e.seq(), e.topic(), d.reason, *attempts,
                 wait.count());
    if (!Wait(wait, stop)) return d;  // stopping: the event stays undelivered, not dead
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

Status Runner::Handle(const v1::Event& e, const std::atomic<bool>& stop) {
  if (!notifier_.Wants(e)) {
    ++stats_.skipped;
    return state_->Skip(e);
  }
  if (state_->Delivered(e.id())) {
    ++stats_.duplicates;
    return state_->Skip(e);
  }
  uint32_t attempts = 0;
  Delivery d = Attempt(e, stop, &attempts);
  switch (d.kind) {
    case Delivery::Kind::kOk:
      ++stats_.delivered;
      return state_->Record(e);
    case Delivery::Kind::kRetry:  // only when stopping: try again after restart
      return Status::Unavailable("stopped while retrying");
    case Delivery::Kind::kFatal: {
      ++stats_.dead;
      v1::DeadLetter dl;
      *dl.mutable_event() = e;
      dl.set_reason(d.reason);
      dl.set_attempts(attempts);
      *dl.mutable_failed_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
      spdlog::error("event {} ({}) is a dead letter: {}", e.seq(), e.topic(), d.reason);
      return state_->Bury(dl);
    }
  }
  return {};
}

Status Runner::Run(const std::atomic<bool>& stop) {
  client::SubscriberOptions so;
  so.pub_endpoint = options_.pub_endpoint;
  so.replay_endpoint = options_.replay_endpoint;
  client::Subscriber sub(ctx_, so);
  Status failed;
  Status s = sub.Run(
      state_->cursor(), true,
      [&](const v1::Event& e) {
        failed = Handle(e, stop);
        return failed.ok() && !stop;
      },
      &stop);
  if (!failed.ok() && !stop) return failed;
  return s;
}

Status Runner::Redrive(const std::string& event_id, const std::atomic<bool>& stop) {
  auto dead = state_->TakeDead(event_id);
  if (!dead.ok()) return dead.status();
  uint32_t attempts = 0;
  Delivery d = Attempt(dead->event(), stop, &attempts);
  if (d.kind == Delivery::Kind::kOk) {
    ++stats_.delivered;
    return state_->MarkDelivered(dead->event());
  }
  dead->set_reason(d.reason);
  dead->set_attempts(dead->attempts() + attempts);
  ZB_RETURN_IF_ERROR(state_->KeepDead(*dead));
  return Status::Unavailable(fmt::format("re-drive of {} failed: {}", event_id, d.reason));
}

}  // namespace zhiban::plugin
