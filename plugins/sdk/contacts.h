// Contacts: how the SDK learns how to reach the people an event names.
//
// Events carry who (a staff card: id, name, center) but not how to reach
// them (docs/PROTOCOL.md, "Contacts"). Before a notification is sent, the
// Runner asks a ContactBook to fill each staff recipient's phone and WeCom
// id; the book answers from its cache and asks zhiband's contact query
// (role plugin, audited with the event it serves) for the ids it lacks, one
// request for all of them.
//
// Never a stale number: every answer says which event it is as of
// (ContactQueryReply.as_of_seq); a staff.* event after that drops the person
// from the cache (the Runner handles events in seq order, so every
// notification of a later event is resolved after the drop), and a retried
// send asks again. The cache holds at most kMaxCachedContacts people (then it
// starts empty again).
//
// Asked ahead: when the Runner has a run of events in hand (a replayed chunk,
// a burst), it renders them and asks for all their people at once
// (Prefetch), the lookup audited as serving that range of events. Answers as
// of the newest event outlive the staff.* events of the run itself, so a run
// of N messages costs one round trip (and one audit write), not N.
//
// Thread-safety: one thread (the Runner's); ContactStats may be read from any.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "daemon/base/status.h"
#include "daemon/net/curve.h"
#include "zhiban/v1/ctl.pb.h"
#include "zhiban/v1/events.pb.h"
#include "zhiban/v1/plugin.pb.h"

namespace zmq {
class context_t;
}

namespace zhiban::client {
class CtlClient;
}

namespace zhiban::plugin {

inline constexpr size_t kMaxCachedContacts = 100000;

// Where contacts come from: zhiband's contact query, or a stand-in in tests.
class ContactSource {
 public:
  virtual ~ContactSource() = default;
  // The contacts of `ids` (1..1000), for the events `first_seq`..`last_seq`
  // (equal: one event). An error is a failed lookup (the daemon away, the
  // key refused): the send is retried.
  virtual Result<v1::ContactQueryReply> Lookup(const std::vector<std::string>& ids,
                                               uint64_t first_seq, uint64_t last_seq) = 0;
};

// zhiband's ctl endpoint, with the plugin's own CURVE key.
class CtlContactSource : public ContactSource {
 public:
  CtlContactSource(zmq::context_t& ctx, std::string endpoint, net::CurveClient curve,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~CtlContactSource() override;
  Result<v1::ContactQueryReply> Lookup(const std::vector<std::string>& ids, uint64_t first_seq,
                                       uint64_t last_seq) override;

 private:
  std::unique_ptr<client::CtlClient> client_;  // reconnects by itself after a failed call
};

// Written by the Runner's thread, read by /metrics.
struct ContactStats {
  std::atomic<uint64_t> lookups = 0;    // requests to the source
  std::atomic<uint64_t> looked_up = 0;  // people asked for
  std::atomic<uint64_t> failures = 0;   // lookups that failed (retried)
  std::atomic<uint64_t> hits = 0;       // recipients answered from the cache
  std::atomic<uint64_t> refreshed = 0;  // people dropped from the cache by a staff.* event
  std::atomic<uint64_t> ahead = 0;      // lookups made ahead for a run of events (Prefetch)
};

class ContactBook {
 public:
  // `source` null: no lookups; recipients keep what the event carried.
  explicit ContactBook(ContactSource* source) : source_(source) {}

  // Fills every staff recipient of `n` (Recipient.staff_id set) with their
  // phone and WeCom id, as the cache or the source has them now; people the
  // daemon no longer knows get none. Group members are left as configured.
  Status Resolve(v1::Notification* n);
  // Asks, in as few lookups as it takes, for the staff recipients of
  // `ahead` (the notifications rendered for the events of `run`, in seq
  // order) that the cache lacks or that a staff.* event of the run names.
  // The lookup serves the events of those notifications (the first seq to
  // the last, ContactQueryRequest.last_event_seq); its answers are as of the newest
  // stored event, so the run's own staff.* events leave them be. A failure
  // changes nothing: Resolve asks again per notification.
  Status Prefetch(const std::vector<const v1::Event*>& run,
                  const std::vector<const v1::Notification*>& ahead);
  // A staff.* event: its person is looked up afresh next time, unless the
  // cached answer is already as of this event or a later one.
  void Observe(const v1::Event& e);
  // Drops `n`'s staff recipients from the cache (a send being retried).
  void Forget(const v1::Notification& n);

  bool enabled() const { return source_ != nullptr; }
  const ContactStats& stats() const { return stats_; }

 private:
  struct Cached {
    v1::StaffContact contact;  // a missing person: only the id
    uint64_t as_of_seq = 0;    // the answer's (0: unknown, any staff.* event drops it)
  };
  // Asks for `ids` (none cached) for events first..last, in batches, and caches the answers.
  Status Fetch(const std::vector<std::string>& ids, uint64_t first_seq, uint64_t last_seq);

  ContactSource* source_;
  std::map<std::string, Cached> cache_;
  ContactStats stats_;
};

}  // namespace zhiban::plugin
