// AckedSeq: the highest event seq zhiband has acknowledged, kept beside
// RocksDB in <data_dir>/ACKED_SEQ, so a store that lost acknowledged events
// (a damaged or truncated WAL) is noticed at start instead of handing their
// seqs out again.
//
// Record() after every group commit is one pwrite of 24 bytes (no fsync): it
// follows the WAL sync, so the file never names a seq the WAL had not made
// durable. Sync() (fdatasync) runs from the scheduler and at shutdown; after
// a power loss the file may lag behind, which only weakens the check, never
// makes it refuse a healthy store.
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
  // Opens (creating, owner-only) `path`; reads the recorded seq (0 if new).
  static Result<std::unique_ptr<AckedSeq>> Open(const std::string& path);
  ~AckedSeq();

  uint64_t value() const { return value_; }
  const std::string& path() const { return path_; }
  Status Record(uint64_t seq);  // no-op unless seq > value()
  Status Sync();                // fdatasync if anything was recorded since the last

 private:
  AckedSeq(int fd, std::string path, uint64_t value)
      : fd_(fd), path_(std::move(path)), value_(value) {}
  int fd_;
  std::string path_;
  uint64_t value_;
  bool dirty_ = false;
};

}  // namespace zhiban::storage
