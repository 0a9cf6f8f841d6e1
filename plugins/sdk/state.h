// PluginState: what a notifier remembers across restarts, in its own RocksDB
// (the plugin's state_dir): the cursor (first seq not yet handled), the ids of
// events delivered (de-duplication), and dead letters.
//
// Record() and Bury() write the outcome and advance the cursor in one synced
// batch, so after a crash the plugin resumes exactly where its durable
// knowledge ends. Thread-safety: one writer thread; cursor() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/base/status.h"
#include "zhiban/v1/plugin.pb.h"

namespace zhiban::plugin {

class PluginState {
 public:
  static Result<std::unique_ptr<PluginState>> Open(const std::string& dir);
  ~PluginState();

  uint64_t cursor() const { return cursor_.load(); }  // readable from any thread
  bool Delivered(const std::string& event_id) const;

  // The event was delivered: remember its id, move the cursor past it.
  Status Record(const v1::Event& e);
  // The event is given up: keep it as a dead letter, move the cursor past it.
  Status Bury(const v1::DeadLetter& d);
  // Moves the cursor past an event that needs no delivery (not routed, duplicate).
  Status Skip(const v1::Event& e);

  // For re-driven dead letters: remember delivery without moving the cursor.
  Status MarkDelivered(const v1::Event& e);
  Status KeepDead(const v1::DeadLetter& d);

  Status ListDead(const std::function<void(const v1::DeadLetter&)>& fn) const;
  Result<v1::DeadLetter> TakeDead(const std::string& event_id);  // removes it

 private:
  struct Impl;
  explicit PluginState(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::atomic<uint64_t> cursor_{1};
};

}  // namespace zhiban::plugin
