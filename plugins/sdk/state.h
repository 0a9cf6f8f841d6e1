// PluginState: what a notifier remembers across restarts, in its own RocksDB
// (the plugin's state_dir):
//   cursor            the first seq not yet handled;
//   sent/<key>        notifications the provider accepted (de-duplication);
//   inflight/<key>    a send began and its outcome is not yet known: written
//                     (synced) before the request leaves, so a crash in the
//                     request is seen on restart and reconciled with the
//                     provider instead of blindly sent again;
//   held/<key>        non-urgent notifications held through quiet hours;
//   dead/<key>        dead letters (key = notification key, or the event id
//                     when the event itself could not be rendered);
//   skipped/<key>     notifications not sent because they were stale
//                     (staleness.h), with the reason.
// Every write is synced; an outcome and the end of its in-flight mark are one batch.
// Every write is refused (UNAVAILABLE, nothing written, IsNoRoomToWrite) while
// the disk holding the dir has less than Options::min_free_bytes free, before
// RocksDB sees it: zhiband's guard (daemon/base/disk.h says why). RocksDB's
// own info log goes to the plugin's log (warnings and errors), not to a LOG
// file in the dir, so an idle notifier on a full disk writes nothing at all.
//
// Thread-safety: one writer thread; cursor(), CountHeld(), CountDead() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "daemon/base/disk.h"
#include "daemon/base/status.h"
#include "zhiban/v1/plugin.pb.h"

namespace zhiban::plugin {

class PluginState {
 public:
  struct Options {
    // Writes are refused below this much free space on the dir's disk.
    uint64_t min_free_bytes = kMinFreeBytes;  // 0: no check (tests)
  };
  // Opens (or creates) the state in `dir`. The caller checks the free space
  // first if it wants to (PluginMain does): RocksDB opening writes too.
  static Result<std::unique_ptr<PluginState>> Open(const std::string& dir, Options options);
  ~PluginState();

  uint64_t cursor() const { return cursor_.load(); }
  // False until a cursor was first written: a plugin's very first start,
  // which decides where to begin ([bus] start).
  bool has_cursor() const { return has_cursor_; }
  // Sets the cursor to `seq` (synced): the starting point of a first start.
  Status StartAt(uint64_t seq);
  // Moves the cursor past `seq` (every notification of that event is settled).
  Status Advance(uint64_t seq);

  // Sent, held or dead: nothing more to do for this key now.
  bool Settled(const std::string& key) const;
  bool Sent(const std::string& key) const;

  Status BeginSend(const v1::Notification& n);  // the in-flight mark
  // The provider accepted it: sent, and no longer in flight, held or dead.
  // `advance_past` (when non-zero) moves the cursor past that seq in the same
  // write: the event's last notification settles the event too.
  Status MarkSent(const v1::Notification& n, uint64_t advance_past = 0);
  // Given up: a dead letter (the in-flight mark and any hold are dropped).
  Status Bury(const v1::DeadLetter& d, uint64_t advance_past = 0);
  // Stale before it could be sent: kept as skipped (the in-flight mark and
  // any hold are dropped), like Bury.
  Status Skip(const v1::Skipped& k, uint64_t advance_past = 0);
  Status ListSkipped(const std::function<void(const v1::Skipped&)>& fn) const;
  size_t CountSkipped() const;
  // The send did not happen (stopping mid-retry): drop the in-flight mark.
  Status Abandon(const v1::Notification& n);
  Status ListInflight(const std::function<void(const v1::Notification&)>& fn) const;

  Status Hold(const v1::Held& h);
  // Every held notification, soonest release first.
  Status ListHeld(const std::function<void(const v1::Held&)>& fn) const;
  // When the next hold ends (INT64_MAX: nothing held), so an idle runner
  // need not scan; FindEarliestRelease() re-reads it after a release.
  int64_t earliest_release_ms() const { return earliest_release_ms_; }
  Status FindEarliestRelease();
  size_t CountHeld() const;  // scans: for /metrics and the start-up line
  size_t CountDead() const;
  // Writes refused for want of disk space since Open (any thread).
  uint64_t write_refusals() const;

  Status ListDead(const std::function<void(const v1::DeadLetter&)>& fn) const;
  Result<v1::DeadLetter> GetDead(const std::string& key) const;
  Status KeepDead(const v1::DeadLetter& d);  // after a failed re-drive
  Status RemoveDead(const std::string& key);

 private:
  struct Impl;
  explicit PluginState(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::atomic<uint64_t> cursor_{1};
  bool has_cursor_ = false;
  int64_t earliest_release_ms_ = INT64_MAX;  // the runner thread's
};

std::string DeadKey(const v1::DeadLetter& d);

}  // namespace zhiban::plugin
