// Store: zhiban's durable state in RocksDB, one column family per kind of
// record. Values are serialized protobuf; keys are record ids, or 8-byte
// big-endian sequence numbers for the append-only logs (events, audit), so
// iteration order is seq order.
//
// Writes go through WriteBatch + Commit(): all or nothing, and synced to the
// WAL before Commit returns when Options::sync is true (the default; the
// unsynced mode exists for tests and benchmarks only).
//
// RocksDB's own info log goes to Options::log (warnings and errors only), not
// to a LOG file in the data dir: that file was written while zhiband wrote
// nothing (each tick's Resume logs a line, the buffer is flushed every 10 s),
// and on a full disk one failed flush made Debian's RocksDB abort at its next
// log line (issue 37). So while commits are refused for room, RocksDB writes
// nothing to the data dir at all.
//
// Thread-safety: Commit() and Resume() from one thread (the core); reads
// (Get, Scan, the event iterator) from any thread, concurrently with writes.
// A reopen (Resume) waits for the reads under way and holds the next ones.
// RocksDB headers stay in store.cpp (they are heavy).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/base/disk.h"
#include "daemon/base/status.h"

namespace zhiban::storage {

// Column families. Append new kinds at the end; never reorder (see kFamilyNames).
enum class Family : int {
  kMeta = 0,
  kCenters,
  kStaff,
  kEvents,
  kAudit,
  kCalendar,      // national calendar years, key = "2026"
  kExceptions,    // local calendar exceptions, key = exception id
  kPolicies,      // opening policy versions, key = name + '/' + 8-byte big-endian version
  kAssignments,   // policy assignments, key = center + '/' + ISO from-date
  kShifts,        // shifts, key = shift id (<center>/<date>/<HHMM>-<KIND>-<pos>)
  kRotations,     // rotation layers, key = rotation id
  kLeave,         // approved leave, key = leave id
  kSwaps,         // swap requests, key = swap id
  kRota,          // "rules" (WorkRulesConfig), "month/<center>/<YYYY-MM>" (PublishedMonth)
  kResidents,     // residents (personal data), key = resident id
  kVisits,        // visit work orders, key = visit id
  kAppointments,  // appointments, key = appointment id
  kKeys,          // principals' CURVE public keys (AccessKey), key = name
  kCount
};
// The column family names, in the order of Family. A new family is appended
// to both (never reordered: a data dir of an older build opens with it created
// empty); record families are named by the record list, domain/records.h.
inline constexpr std::array<const char*, static_cast<size_t>(Family::kCount)> kFamilyNames = {
    "meta",       "centers",  "staff",       "events", "audit",        "calendar",
    "exceptions", "policies", "assignments", "shifts", "rotations",    "leave",
    "swaps",      "rota",     "residents",   "visits", "appointments", "keys"};
const char* FamilyName(Family f);

// The keys of the meta family, all of them.
namespace meta {
inline constexpr std::string_view kInstanceId = "instance_id";  // prefix of event ids
inline constexpr std::string_view kSimClock = "sim_clock_us";   // a simulated clock resumes here
// Set once this data dir keeps ACKED_SEQ and its copy (storage/acked_seq.h):
// from then on both missing is refused; before, they are made.
inline constexpr std::string_view kAckedSeqKept = "acked_seq_kept";
}  // namespace meta
// The family of that name ("centers"), or nullopt: the record list names its
// families so (daemon/domain/records.h).
std::optional<Family> FamilyNamed(std::string_view name);

// Current on-disk schema; bumped with a migration note in docs/OPERATIONS.md.
inline constexpr uint32_t kSchemaVersion = 1;

std::string EncodeSeqKey(uint64_t seq);
uint64_t DecodeSeqKey(std::string_view key);

class Store;

// How serious a line of RocksDB's own log is. Only these two reach
// Store::Options::log; RocksDB's info, debug and header lines are dropped.
enum class LogLevel { kWarning, kError };

class WriteBatch {
 public:
  WriteBatch();
  ~WriteBatch();
  WriteBatch(WriteBatch&&) noexcept;
  WriteBatch& operator=(WriteBatch&&) noexcept;

  void Put(Family f, std::string_view key, std::string_view value);
  void Delete(Family f, std::string_view key);
  size_t count() const;
  size_t bytes() const;
  void Clear();

 private:
  friend class Store;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Store* store_ = nullptr;
};

class Store {
 public:
  struct Options {
    bool sync = true;  // fsync the WAL on each Commit (group commit amortizes it)
    bool create_if_missing = true;
    // Below this much free space a Commit is refused before RocksDB sees it
    // (base/disk.h says why; zhiband also refuses to start below it).
    uint64_t min_free_bytes = kMinFreeBytes;  // 0: no check (tests of other faults)
    // Where RocksDB's warnings and errors go, one line each (no newline).
    // Called from RocksDB's threads (background flush and compaction, the
    // writer), concurrently: it must be thread-safe and must not throw (what
    // it throws is dropped). Empty: to stderr, "store (RocksDB) warning: ...".
    std::function<void(LogLevel, std::string_view line)> log;
  };

  // Opens (or creates) the database in `dir`. Refuses a data dir whose
  // schema is newer than this binary, or one that another process holds.
  static Result<std::unique_ptr<Store>> Open(const std::string& dir, Options options);
  ~Store();

  WriteBatch NewBatch();
  // Writes the batch atomically (synced when Options::sync). Refused,
  // UNAVAILABLE and nothing written, while the disk has less than
  // min_free_bytes free (one statvfs, about a microsecond; CheckRoomToWrite).
  Status Commit(WriteBatch& batch);
  // After a write failed: asks RocksDB to clear its background error and
  // take writes again (DB::Resume; a full disk). An error RocksDB holds as
  // fatal (a WAL it could not create when descriptors ran out) is cleared
  // only by opening the database again: Resume then reopens it, once
  // descriptors are free (what was synced before stays; nothing after it was
  // acknowledged). OK when there is no error.
  Status Resume();
  // False between a failed reopen and the next (Resume): every call is
  // refused then, so the core executes nothing (Core::ExecuteGroup).
  bool is_open() const;
  // How many times Resume reopened RocksDB (for /metrics).
  uint64_t reopens() const { return reopens_.load(); }
  // Writes the family's memtable to an SST file (so a damaged WAL cannot
  // lose what it holds).
  Status Flush(Family f);

  // Flushes the family and rewrites all its SST files into one level, so
  // that overwritten and deleted values leave the files (an erasure); the
  // WAL files that held them are dropped by RocksDB once flushed.
  Status Compact(Family f);

  Result<std::optional<std::string>> Get(Family f, std::string_view key) const;

  // Visits records with key >= start in key order until `fn` returns false.
  Status Scan(Family f, std::string_view start,
              const std::function<bool(std::string_view key, std::string_view value)>& fn) const;
  // Visits records with key < before (or all, when empty) in reverse order.
  Status ScanReverse(
      Family f, std::string_view before,
      const std::function<bool(std::string_view key, std::string_view value)>& fn) const;
  // Largest key of a family, if any.
  Result<std::optional<std::string>> LastKey(Family f) const;

  // Approximate live bytes (SST files + memtables) of a family / of all.
  uint64_t LiveBytes(Family f) const;
  uint64_t TotalLiveBytes() const;

  // Reads every block of every SST file and checks its checksum (RocksDB
  // VerifyChecksum): bit rot is found here, not when a replay serves it.
  // Returns the bytes of SST files checked.
  Result<uint64_t> VerifyChecksums();

  // Writes a consistent online copy to `dir` (RocksDB checkpoint: hard links
  // on the data dir's disk, copies elsewhere). A checkpoint flushes the
  // memtables into the data dir and writes into `dir`, and Debian's RocksDB
  // aborts on a write that finds its disk full (base/disk.h): so it starts
  // only when both disks keep min_free_bytes after what it will write, and
  // is refused UNAVAILABLE otherwise. A failed checkpoint leaves nothing at
  // `dir` (nor RocksDB's `dir`.tmp).
  Status Checkpoint(const std::string& dir);
  // What Commit would say of a batch of `bytes` now: OK, or the refusal of
  // a disk under its reserve (CheckRoomToWrite).
  Status RoomFor(uint64_t bytes) const;

  const std::string& dir() const { return dir_; }
  bool sync() const { return options_.sync; }

 private:
  struct Impl;
  friend class WriteBatch;
  static constexpr int kReopenDescriptors = 64;
  Store(std::string dir, Options options, std::unique_ptr<Impl> impl);
  static Status OpenDb(const std::string& dir, const Options& options, Impl& impl);
  Status Reopen();
  uint64_t LiveBytesLocked(Family f) const;
  std::string dir_;
  Options options_;
  std::unique_ptr<Impl> impl_;
  std::atomic<uint64_t> reopens_{0};
};

}  // namespace zhiban::storage
