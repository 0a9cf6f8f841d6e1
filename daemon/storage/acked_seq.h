// AckedSeq: the highest event seq zhiband has acknowledged, kept beside
// RocksDB in two copies, <data_dir>/ACKED_SEQ and <data_dir>/ACKED_SEQ.2, so
// a store that lost acknowledged events (a damaged or truncated WAL) is
// noticed at start instead of handing their seqs out again, and one deleted
// or emptied file cannot hide it.
//
// Record() after every group commit is one pwrite of 24 bytes to each copy
// (no fsync): it follows the WAL sync, so neither names a seq the WAL had
// not made durable. Sync() (fdatasync) runs from the scheduler and at
// shutdown; after a power loss a copy may lag behind, which only weakens the
// check, never makes it refuse a healthy store. The copies are created
// holding 0 and synced with their directory, so a copy is never found empty
// after a crash: missing or empty means removed by someone.
//
// Thread-safety: one thread (the core).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "daemon/base/status.h"

namespace zhiban::storage {

class AckedSeq {
 public:
  // Opens the copies in `dir`, whose store holds events up to `stored` (0:
  // none). Both missing or empty: created at 0 on a store without events;
  // on one with events, refused when the store has `kept` them (the newest
  // acknowledged seq is unknown), created at `stored` when it never has (a
  // data dir or backup of an older zhiband). One missing, empty or behind
  // the other: rewritten from the other. Each is said in `repaired`.
  // Content that is not a seq: refused, its bytes quoted escaped.
  static Result<std::unique_ptr<AckedSeq>> Open(const std::string& dir, uint64_t stored, bool kept,
                                                std::string* repaired = nullptr);
  // Writes both copies holding `seq` into `dir` (a backup's), synced.
  static Status WriteCopies(const std::string& dir, uint64_t seq);
  ~AckedSeq();

  uint64_t value() const { return value_; }
  Status Record(uint64_t seq);  // no-op unless seq > value()
  Status Sync();                // fdatasync if anything was recorded since the last

  static constexpr const char* kFile = "ACKED_SEQ";
  static constexpr const char* kCopy = "ACKED_SEQ.2";

 private:
  AckedSeq(int fd, int copy_fd, std::string dir, uint64_t value)
      : fds_{fd, copy_fd}, dir_(std::move(dir)), value_(value) {}
  int fds_[2];
  std::string dir_;
  uint64_t value_;
  bool dirty_ = false;
};

}  // namespace zhiban::storage
