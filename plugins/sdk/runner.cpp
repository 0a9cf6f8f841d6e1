#include "plugins/sdk/runner.h"

#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "clients/lib/subscriber.h"
#include "daemon/base/disk.h"
#include "daemon/base/number.h"

namespace zhiban::plugin {
namespace {

using google::protobuf::util::TimeUtil;

// Waits `d`, waking every 100 ms to notice `stop` (a signal handler can only
// set a flag). Returns false when stopped.
bool Wait(std::chrono::steady_clock::duration d, const std::atomic<bool>& stop) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (!stop) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(100)));
  }
  return false;
}

// The most events rendered ahead and not yet handled (two replay chunks).
constexpr size_t kMaxRenderedAhead = 1024;

int64_t UnixMs(SysTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

Runner::Runner(zmq::context_t& ctx, RunnerOptions options, Notifier& notifier)
    : ctx_(ctx),
      options_(std::move(options)),
      notifier_(notifier),
      ctl_contacts_(
          options_.contacts || options_.ctl_endpoint.empty()
              ? nullptr
              : std::make_unique<CtlContactSource>(ctx, options_.ctl_endpoint, options_.curve)),
      book_(options_.contacts ? options_.contacts : ctl_contacts_.get()),
      rng_(options_.seed ? options_.seed : std::random_device{}()) {}

Runner::~Runner() = default;

Status Runner::Open() {
  ZB_ASSIGN_OR_RETURN(auto s, PluginState::Open(options_.state_dir,
                                                {.min_free_bytes = options_.state_min_free_bytes}));
  state_ = std::move(s);
  return ReconcileInflight();
}

Status Runner::ReconcileInflight() {
  std::vector<v1::Notification> inflight;
  ZB_RETURN_IF_ERROR(
      state_->ListInflight([&](const v1::Notification& n) { inflight.push_back(n); }));
  for (const auto& n : inflight) {
    // The provider is asked about the contact the send went to, as zhiband
    // has it now (a lookup that fails leaves the recipients as stored).
    v1::Notification resolved = n;
    (void)Resolve(n, &resolved);
    switch (notifier_.Reconcile(resolved)) {
      case Reconciled::kSent:
        ++stats_.reconciled;
        spdlog::info("{}: in flight at the last stop; the provider has it — recorded as sent",
                     n.key());
        ZB_RETURN_IF_ERROR(state_->MarkSent(n));
        break;
      case Reconciled::kNotSent:
        spdlog::info("{}: in flight at the last stop; the provider never got it — sending again",
                     n.key());
        ZB_RETURN_IF_ERROR(state_->Abandon(n));
        break;
      case Reconciled::kProviderDeduplicates:
        spdlog::info(
            "{}: in flight at the last stop; sending again (the provider drops duplicates)",
            n.key());
        ZB_RETURN_IF_ERROR(state_->Abandon(n));
        break;
      case Reconciled::kUnknown:
        ++stats_.uncertain;
        spdlog::warn(
            "{}: in flight at the last stop and the provider cannot say whether it arrived; "
            "sending again (may repeat)",
            n.key());
        ZB_RETURN_IF_ERROR(state_->Abandon(n));
        break;
    }
  }
  return {};
}

SysTime Runner::StaleNow() const { return bus_now_ > SysTime{} ? bus_now_ : options_.now(); }

Status Runner::SkipStale(const v1::Notification& n, const std::string& reason,
                         uint64_t advance_past, const std::atomic<bool>& stop, bool unreachable) {
  ++(unreachable ? stats_.unreachable : stats_.stale);
  v1::Skipped k;
  *k.mutable_notification() = n;
  k.set_reason(reason);
  *k.mutable_skipped_at() = TimeUtil::GetCurrentTime();
  spdlog::info("{} ({}) not sent, {}", n.key(), n.topic(), reason);
  return Persist([&] { return state_->Skip(k, advance_past); }, stop);
}

Status Runner::Persist(const std::function<Status()>& write, const std::atomic<bool>& stop) {
  const auto longest = std::min(options_.max_backoff, kStateFullMaxWait);
  for (auto wait =
           std::max(std::min(options_.initial_backoff, longest), std::chrono::milliseconds(1));
       ; wait = std::min(wait * 2, longest)) {
    Status s = write();
    if (!IsNoRoomToWrite(s)) {
      if (s.ok() && paused_) spdlog::info("state dir has room again; sending resumed");
      if (s.ok()) paused_ = false;
      return s;
    }
    if (!paused_) {
      paused_ = true;
      spdlog::error("state dir full: {}; sending paused", s.message());
    }
    if (!Wait(wait, stop)) return s;
  }
}

Delivery Runner::Attempt(const v1::Notification& n, const std::atomic<bool>& stop,
                         uint32_t* attempts) {
  auto backoff = options_.initial_backoff;
  for (*attempts = 1;; ++*attempts) {
    if (*attempts > 1) {  // a retry may come after the moment it announces
      if (auto why = StaleReason(n, StaleNow()); !why.empty()) return {Delivery::Kind::kStale, why};
    }
    for (auto wait = options_.rate.Take(std::chrono::steady_clock::now()); wait.count() > 0;
         wait = options_.rate.Take(std::chrono::steady_clock::now())) {
      ++stats_.rate_waits;
      if (!Wait(wait, stop)) return Delivery::Retry("stopping");
    }
    // Contacts are looked up before every try: a retry asks afresh, so a
    // number changed meanwhile is the one used.
    v1::Notification resolved;
    Delivery d = Resolve(n, &resolved);
    if (d.kind == Delivery::Kind::kOk) d = notifier_.Send(resolved);
    if (d.kind != Delivery::Kind::kRetry) return d;
    book_.Forget(n);
    if (static_cast<int>(*attempts) >= options_.max_attempts) {
      return Delivery::Fatal(fmt::format("gave up after {} attempts: {}", *attempts, d.reason));
    }
    ++stats_.retries;
    // Full jitter on the upper half: [backoff/2, backoff]; a provider's hint wins if longer.
    std::uniform_int_distribution<int64_t> jitter(backoff.count() / 2, backoff.count());
    const auto wait = std::max(std::chrono::milliseconds(jitter(rng_)), d.retry_after);
    spdlog::warn("{} ({}): {}; retry {} in {} ms", n.key(), n.topic(), d.reason, *attempts,
                 wait.count());
    if (!Wait(wait, stop)) return d;  // stopping: not sent, not dead
    backoff = std::min(backoff * 2, options_.max_backoff);
    if (d.maybe_sent && notifier_.Reconcile(resolved) == Reconciled::kSent) {
      ++stats_.reconciled;
      spdlog::info("{}: the provider had it after all; not sent again", n.key());
      return Delivery::Ok();
    }
  }
}

Delivery Runner::Resolve(const v1::Notification& n, v1::Notification* out) {
  *out = n;
  if (Status s = book_.Resolve(out); !s.ok()) return Delivery::Retry(s.message());
  if (options_.contact_field.empty()) return Delivery::Ok();
  const auto* field = v1::Recipient::descriptor()->FindFieldByName(options_.contact_field);
  if (!field) return Delivery::Ok();
  std::vector<std::string> lacking;
  auto* rs = out->mutable_recipients();
  for (int i = 0; i < rs->size();) {
    const auto& r = rs->Get(i);
    if (!r.staff_id().empty() && r.GetReflection()->GetString(r, field).empty()) {
      lacking.push_back(r.staff_id());
      rs->DeleteSubrange(i, 1);
    } else {
      ++i;
    }
  }
  if (rs->empty()) {
    return {Delivery::Kind::kStale, fmt::format("unreachable: zhiband has no {} for {}",
                                                options_.contact_field, fmt::join(lacking, ", "))};
  }
  return Delivery::Ok();
}

Result<Delivery> Runner::SendOne(const v1::Notification& n, const std::atomic<bool>& stop,
                                 uint64_t advance_past) {
  if (auto why = StaleReason(n, StaleNow()); !why.empty()) {
    ZB_RETURN_IF_ERROR(SkipStale(n, why, advance_past, stop));
    return Delivery{Delivery::Kind::kStale, why};
  }
  // Refused for want of space: waits here, and nothing leaves until the mark is written.
  ZB_RETURN_IF_ERROR(Persist([&] { return state_->BeginSend(n); }, stop));
  uint32_t attempts = 0;
  Delivery d = Attempt(n, stop, &attempts);
  switch (d.kind) {
    case Delivery::Kind::kStale:
      ZB_RETURN_IF_ERROR(
          SkipStale(n, d.reason, advance_past, stop, d.reason.starts_with("unreachable")));
      break;
    case Delivery::Kind::kOk:
      ++stats_.delivered;
      // Sent: until this is written the in-flight mark stands (reconciled if we stop).
      ZB_RETURN_IF_ERROR(Persist([&] { return state_->MarkSent(n, advance_past); }, stop));
      break;
    case Delivery::Kind::kRetry:  // only when stopping: tried again after restart
      ZB_RETURN_IF_ERROR(Persist([&] { return state_->Abandon(n); }, stop));
      break;
    case Delivery::Kind::kFatal: {
      ++stats_.dead;
      v1::DeadLetter dl;
      *dl.mutable_notification() = n;
      dl.set_reason(d.reason);
      dl.set_attempts(attempts);
      *dl.mutable_failed_at() = TimeUtil::GetCurrentTime();
      spdlog::error("{} ({}) is a dead letter: {}", n.key(), n.topic(), d.reason);
      ZB_RETURN_IF_ERROR(Persist([&] { return state_->Bury(dl, advance_past); }, stop));
      break;
    }
  }
  return d;
}

Status Runner::Handle(const v1::Event& e, const std::atomic<bool>& stop) {
  ++stats_.events;
  book_.Observe(e);  // before any later event's notification is resolved
  if (e.has_events_lost()) {
    // zhiband lost these after acknowledging them (events.lost): nobody was
    // told of them by this notifier unless it had already handled them.
    const auto& l = e.events_lost();
    stats_.lost_events += l.last_seq() - l.first_seq() + 1;
    spdlog::error("zhiband lost events {}..{} ({}); notifications for them were not sent",
                  l.first_seq(), l.last_seq(), l.reason());
  }
  if (!notifier_.Wants(e)) {
    ++stats_.skipped;
    return Persist([&] { return state_->Advance(e.seq()); }, stop);
  }
  auto rendered = Rendered(e);
  if (!rendered.ok()) {
    ++stats_.dead;
    v1::DeadLetter dl;
    *dl.mutable_event() = e;
    dl.set_reason(fmt::format("cannot render: {}", rendered.status().message()));
    *dl.mutable_failed_at() = TimeUtil::GetCurrentTime();
    spdlog::error("event {} ({}) is a dead letter: {}", e.seq(), e.topic(), dl.reason());
    ZB_RETURN_IF_ERROR(Persist([&] { return state_->Bury(dl); }, stop));
    return Persist([&] { return state_->Advance(e.seq()); }, stop);
  }
  for (size_t i = 0; i < rendered->size(); ++i) {
    auto& n = (*rendered)[i];
    StampStaleness(e, options_.stale, &n);
    const bool last = i + 1 == rendered->size();
    if (state_->Settled(n.key())) {
      ++stats_.duplicates;
      continue;
    }
    if (!n.urgent() && StaleReason(n, StaleNow()).empty()) {
      if (auto until = options_.quiet.HoldUntil(options_.now())) {
        v1::Held h;
        *h.mutable_notification() = n;
        *h.mutable_release_at() = TimeUtil::MillisecondsToTimestamp(UnixMs(*until));
        ++stats_.held;
        spdlog::info("{}: quiet hours ({}), held until {}", n.key(), options_.quiet.ToString(),
                     TimeUtil::ToString(h.release_at()));
        ZB_RETURN_IF_ERROR(Persist([&] { return state_->Hold(h); }, stop));
        continue;
      }
    }
    // The event's last notification moves the cursor in the same synced write.
    ZB_ASSIGN_OR_RETURN(auto d, SendOne(n, stop, last ? e.seq() : 0));
    if (d.kind == Delivery::Kind::kRetry) return Status::Unavailable("stopped while retrying");
  }
  ZB_RETURN_IF_ERROR(Persist([&] { return state_->Advance(e.seq()); }, stop));
  return ReleaseDue(stop);
}

void Runner::Prepare(const std::vector<const v1::Event*>& run) {
  // Only contacts gain from rendering ahead; without lookups events render in turn.
  if (!book_.enabled() || run.empty()) return;
  ahead_.erase(ahead_.begin(), ahead_.lower_bound(state_->cursor()));
  if (ahead_.size() > kMaxRenderedAhead) ahead_.clear();
  std::vector<const v1::Notification*> notes;
  const bool quiet = options_.quiet.HoldUntil(options_.now()).has_value();
  for (const v1::Event* e : run) {
    if (!notifier_.Wants(*e)) continue;
    auto it = ahead_.find(e->seq());  // met again after a gap: rendered once
    if (it == ahead_.end()) it = ahead_.emplace(e->seq(), notifier_.Render(*e)).first;
    if (!it->second.ok()) continue;  // a dead letter in its turn
    // Only people about to be written to are asked for (each lookup has a purpose).
    for (const auto& n : *it->second) {
      if (state_->Settled(n.key()) || (quiet && !n.urgent())) continue;
      notes.push_back(&n);
    }
  }
  if (Status s = book_.Prefetch(run, notes); !s.ok()) {
    spdlog::warn("contacts for events {}..{} at once: {}; asking per message instead",
                 run.front()->seq(), run.back()->seq(), s.message());
  }
}

Result<std::vector<v1::Notification>> Runner::Rendered(const v1::Event& e) {
  const auto it = ahead_.find(e.seq());
  if (it == ahead_.end()) return notifier_.Render(e);
  auto out = std::move(it->second);
  ahead_.erase(it);
  return out;
}

Status Runner::ReleaseDue(const std::atomic<bool>& stop) {
  const int64_t now = UnixMs(options_.now());
  if (state_->earliest_release_ms() > now) return {};
  std::vector<v1::Notification> due;
  ZB_RETURN_IF_ERROR(state_->ListHeld([&](const v1::Held& h) {
    if (TimeUtil::TimestampToMilliseconds(h.release_at()) <= now) due.push_back(h.notification());
  }));
  for (const auto& n : due) {
    if (stop) break;
    ZB_ASSIGN_OR_RETURN(auto d, SendOne(n, stop));
    if (d.kind == Delivery::Kind::kRetry) break;
    if (d.kind != Delivery::Kind::kStale) ++stats_.released;
  }
  return state_->FindEarliestRelease();
}

Status Runner::Run(const std::atomic<bool>& stop) {
  client::SubscriberOptions so;
  so.pub_endpoint = options_.pub_endpoint;
  so.replay_endpoint = options_.replay_endpoint;
  so.curve = options_.curve;
  Status failed;
  client::Subscriber* current = nullptr;
  so.on_idle = [&] {
    if (current) bus_now_ = std::max(bus_now_, current->daemon_time());
    if (failed.ok()) failed = ReleaseDue(stop);
  };
  so.on_ahead = [&](const std::vector<const v1::Event*>& run) { Prepare(run); };
  if (!state_->has_cursor()) {
    ZB_RETURN_IF_ERROR(ChooseStart(stop));
    if (stop) return {};
  }
  ZB_RETURN_IF_ERROR(ReleaseDue(stop));
  // zhiband away (restarting, not yet started) is not the plugin's end: wait
  // and follow again from the cursor. Only the plugin's own state failing is.
  for (auto wait = std::chrono::milliseconds(500);;
       wait = std::min(wait * 2, std::chrono::milliseconds(10000))) {
    client::Subscriber sub(ctx_, so);
    current = &sub;
    Status s = sub.Run(
        state_->cursor(), true,
        [&](const v1::Event& e) {
          bus_now_ = std::max(bus_now_, sub.daemon_time());
          failed = Handle(e, stop);
          return failed.ok() && !stop;
        },
        &stop);
    current = nullptr;
    if (stop) return {};
    if (!failed.ok()) return failed;
    if (s.ok()) return s;
    spdlog::warn("bus: {}; following again from seq {} in {} ms", s.message(), state_->cursor(),
                 wait.count());
    if (!Wait(wait, stop)) return {};
    if (failed = ReleaseDue(stop); !failed.ok()) return failed;
  }
}

Status Runner::ChooseStart(const std::atomic<bool>& stop) {
  const std::string& start = options_.start;
  uint64_t seq = 0;
  if (start == "beginning") {
    seq = 1;
  } else if (start != "now") {
    auto n = ParseNumber<uint64_t>(start, "start");  // checked when the config was read
    if (!n.ok()) return n.status();
    seq = *n;
  } else {
    // The next seq zhiband will store: one replay round trip from past the end.
    client::SubscriberOptions so;
    so.pub_endpoint = options_.pub_endpoint;
    so.replay_endpoint = options_.replay_endpoint;
    so.curve = options_.curve;
    for (auto wait = std::chrono::milliseconds(500);;
         wait = std::min(wait * 2, std::chrono::milliseconds(10000))) {
      client::Subscriber sub(ctx_, so);
      auto end = sub.Replay(
          UINT64_MAX, 1, [](v1::Event&) {}, &stop);
      if (stop) return {};
      if (end.ok()) {
        seq = end->last_seq() + 1;
        break;
      }
      spdlog::warn("first start: cannot ask zhiband where the bus is ({}); again in {} ms",
                   end.status().message(), wait.count());
      if (!Wait(wait, stop)) return {};
    }
  }
  ZB_RETURN_IF_ERROR(Persist([&] { return state_->StartAt(seq); }, stop));
  spdlog::info("first start ([bus] start = \"{}\"): following from seq {}", start, seq);
  return {};
}

Status Runner::Redrive(const std::string& key, const std::atomic<bool>& stop) {
  ZB_ASSIGN_OR_RETURN(auto dead, state_->GetDead(key));
  std::vector<v1::Notification> todo;
  if (dead.has_notification()) {
    todo.push_back(dead.notification());
  } else {  // the event could not be rendered: render it again (the config may be fixed)
    auto rendered = notifier_.Render(dead.event());
    if (!rendered.ok())
      return Status::FailedPrecondition(
          fmt::format("still cannot render: {}", rendered.status().message()));
    todo = std::move(*rendered);
  }
  for (const auto& n : todo) {
    if (state_->Sent(n.key())) continue;
    auto d = SendOne(n, stop);  // sent: the letter is gone; failed: kept with the new reason
    if (!d.ok()) return d.status();
    if (d->kind == Delivery::Kind::kRetry) return Status::Unavailable("stopped");
    if (d->kind == Delivery::Kind::kFatal)
      return Status::Unavailable(fmt::format("re-drive of {} failed: {}", n.key(), d->reason));
    if (d->kind == Delivery::Kind::kStale)
      return Status::FailedPrecondition(
          fmt::format("{} is {}: not sent, now listed by `skipped list`", n.key(), d->reason));
  }
  if (!dead.has_notification()) {
    ZB_RETURN_IF_ERROR(Persist([&] { return state_->RemoveDead(key); }, stop));
  }
  return {};
}

std::string Runner::Metrics(const std::string& plugin) const {
  std::string out;
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    out += fmt::format(
        "# HELP zhiban_notify_{0} {1}\n# TYPE zhiban_notify_{0} "
        "counter\nzhiban_notify_{0}{{plugin=\"{2}\"}} {3}\n",
        name, help, plugin, v);
  };
  auto gauge = [&](const char* name, const char* help, uint64_t v) {
    out += fmt::format(
        "# HELP zhiban_notify_{0} {1}\n# TYPE zhiban_notify_{0} "
        "gauge\nzhiban_notify_{0}{{plugin=\"{2}\"}} {3}\n",
        name, help, plugin, v);
  };
  counter("events_total", "Events handled since start.", stats_.events);
  counter("delivered_total", "Notifications the provider accepted.", stats_.delivered);
  counter("duplicates_total", "Notifications skipped as already settled.", stats_.duplicates);
  counter("retries_total", "Send attempts that will be retried.", stats_.retries);
  counter("dead_total", "Notifications given up on since start.", stats_.dead);
  counter("lost_events_total", "Event seqs zhiband reported lost (events.lost).",
          stats_.lost_events);
  counter("held_total", "Notifications held for quiet hours.", stats_.held);
  counter("released_total", "Held notifications sent when the hold ended.", stats_.released);
  counter("reconciled_total", "In flight at a crash and found sent by the provider.",
          stats_.reconciled);
  counter("uncertain_total", "In flight at a crash, provider could not say; sent again.",
          stats_.uncertain);
  counter("rate_waits_total", "Sends that waited for the rate limit.", stats_.rate_waits);
  counter("stale_total", "Notifications skipped as stale (their moment had passed).", stats_.stale);
  counter("unreachable_total",
          "Notifications skipped: zhiband had no contact for the channel for anyone in them.",
          stats_.unreachable);
  const ContactStats& cs = book_.stats();
  counter("contact_lookups_total", "Contact queries asked of zhiband.", cs.lookups);
  counter("contact_lookup_failures_total", "Contact queries that failed (the send is retried).",
          cs.failures);
  counter("contact_cache_hits_total", "Recipients whose contact came from the cache.", cs.hits);
  counter("contact_refreshes_total", "Cached contacts dropped by a staff.* event.", cs.refreshed);
  counter("contact_lookups_ahead_total",
          "Contact queries made at once for a run of events (a replayed chunk, a burst).",
          cs.ahead);
  counter("state_write_refusals_total",
          "State writes refused for want of disk space; sending pauses meanwhile.",
          state_ ? state_->write_refusals() : 0);
  gauge("cursor", "First event seq not yet handled.", state_ ? state_->cursor() : 0);
  gauge("held", "Notifications held now.", state_ ? state_->CountHeld() : 0);
  gauge("dead_letters", "Dead letters kept now.", state_ ? state_->CountDead() : 0);
  gauge("skipped", "Stale notifications recorded now.", state_ ? state_->CountSkipped() : 0);
  return out + notifier_.Metrics();
}

}  // namespace zhiban::plugin
