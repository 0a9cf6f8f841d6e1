#include "daemon/storage/store.h"

#include <algorithm>
#include <array>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <shared_mutex>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>

#include <rocksdb/write_batch.h>
#include "daemon/base/number.h"
#include "daemon/base/wire.h"

namespace zhiban::storage {
namespace {

constexpr std::string_view kSchemaKey = "schema_version";

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return {};
  Code code = Code::kInternal;
  if (s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() || s.IsNoSpace()) {
    code = Code::kUnavailable;
  }
  return {code, fmt::format("{}: {}", what, s.ToString())};
}

rocksdb::Slice S(std::string_view v) { return {v.data(), v.size()}; }
std::string_view V(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

// RocksDB's info log, to Options::log (warnings and errors only) instead of a
// LOG file in the data dir: store.h says why. RocksDB calls it from its own
// threads; nothing may throw back into RocksDB.
class InfoLog final : public rocksdb::Logger {
 public:
  explicit InfoLog(std::function<void(LogLevel, std::string_view)> sink)
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), sink_(std::move(sink)) {}

  // The unlevelled form is an info line (RocksDB's default asserts on it).
  void Logv(const char* /*format*/, va_list /*ap*/) override {}
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    // Header lines (the options dump at open) arrive as info, or as HEADER_LEVEL.
    if (level < GetInfoLogLevel() || level == rocksdb::InfoLogLevel::HEADER_LEVEL) return;
    char buf[1024];
    const int n = std::vsnprintf(buf, sizeof buf, format, ap);
    if (n < 0) return;
    std::string_view line(buf, std::min(static_cast<size_t>(n), sizeof buf - 1));
    while (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    const LogLevel l =
        level >= rocksdb::InfoLogLevel::ERROR_LEVEL ? LogLevel::kError : LogLevel::kWarning;
    try {
      if (sink_) {
        sink_(l, line);
      } else {
        fmt::print(stderr, "store (RocksDB) {}: {}\n", l == LogLevel::kError ? "error" : "warning",
                   line);
      }
    } catch (...) {
    }
  }

 private:
  const std::function<void(LogLevel, std::string_view)> sink_;
};

}  // namespace

const char* FamilyName(Family f) { return kFamilyNames.at(static_cast<size_t>(f)); }

std::string EncodeSeqKey(uint64_t seq) { return wire::BigEndian64(seq); }

std::optional<Family> FamilyNamed(std::string_view name) {
  for (int i = 0; i < static_cast<int>(Family::kCount); ++i) {
    if (name == kFamilyNames[static_cast<size_t>(i)]) return static_cast<Family>(i);
  }
  return std::nullopt;
}

uint64_t DecodeSeqKey(std::string_view key) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < key.size(); ++i) v = (v << 8) | static_cast<uint8_t>(key[i]);
  return v;
}

// The open database. Replaced whole when RocksDB must be reopened (Reopen):
// every use holds `mu` shared, the reopen holds it exclusive, and between a
// failed reopen and the next one `db` is empty and every call is refused.
struct Store::Impl {
  mutable std::shared_mutex mu;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::ColumnFamilyHandle* cf(Family f) const { return handles.at(static_cast<int>(f)); }
  void Close() {
    if (!db) return;
    for (auto* h : handles) (void)db->DestroyColumnFamilyHandle(h);
    handles.clear();
    (void)db->Close();
    db.reset();
  }
  ~Impl() { Close(); }
};

namespace {

Status Closed() {
  return Status::Unavailable(
      "RocksDB is closed while it is reopened after a fatal error; it is tried again every tick");
}

}  // namespace

struct WriteBatch::Impl {
  rocksdb::WriteBatch batch;
  bool lost_family = false;  // a Put or Delete found RocksDB closed (Reopen)
};

WriteBatch::WriteBatch() : impl_(std::make_unique<Impl>()) {}
WriteBatch::~WriteBatch() = default;
WriteBatch::WriteBatch(WriteBatch&&) noexcept = default;
WriteBatch& WriteBatch::operator=(WriteBatch&&) noexcept = default;

void WriteBatch::Put(Family f, std::string_view key, std::string_view value) {
  // A batch only ever comes from Store::NewBatch, so store_ is set. The
  // batch keeps the family's id, which a reopen does not change.
  std::shared_lock lock(store_->impl_->mu);
  if (!store_->impl_->db) {
    impl_->lost_family = true;  // Commit refuses the batch
    return;
  }
  (void)impl_->batch.Put(store_->impl_->cf(f), S(key), S(value));
}
void WriteBatch::Delete(Family f, std::string_view key) {
  std::shared_lock lock(store_->impl_->mu);
  if (!store_->impl_->db) {
    impl_->lost_family = true;
    return;
  }
  (void)impl_->batch.Delete(store_->impl_->cf(f), S(key));
}
size_t WriteBatch::count() const { return impl_->batch.Count(); }
size_t WriteBatch::bytes() const { return impl_->batch.GetDataSize(); }
void WriteBatch::Clear() { impl_->batch.Clear(); }

Store::Store(std::string dir, Options options, std::unique_ptr<Impl> impl)
    : dir_(std::move(dir)), options_(options), impl_(std::move(impl)) {}
Store::~Store() = default;

// Opens RocksDB in `dir` into `impl` (empty before): at start, and again by
// Reopen.
Status Store::OpenDb(const std::string& dir, const Options& options, Impl& impl) {
  rocksdb::DBOptions db_opts;
  db_opts.create_if_missing = options.create_if_missing;
  db_opts.create_missing_column_families = true;
  db_opts.max_background_jobs = 2;  // the machines have 2 cores
  // Table files held open at most: within the descriptors the HTTP cap
  // leaves (net/http_server.h, HttpLimits::fd_reserve), whatever the size.
  db_opts.max_open_files = 200;
  db_opts.max_total_wal_size = 256ull << 20;
  // No LOG file in the data dir: RocksDB's warnings and errors go to
  // options.log (store.h says why). Its stats dump would be an info line,
  // dropped, so it is not computed either.
  db_opts.info_log = std::make_shared<InfoLog>(options.log);
  db_opts.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_opts.stats_dump_period_sec = 0;

  rocksdb::ColumnFamilyOptions cf_opts;
  cf_opts.OptimizeLevelStyleCompaction(64ull << 20);
  cf_opts.compression = rocksdb::kLZ4Compression;
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  descs.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_opts);
  for (const char* name : kFamilyNames) descs.emplace_back(name, cf_opts);

  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s = rocksdb::DB::Open(db_opts, dir, descs, &handles, &raw);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return Status::Unavailable(fmt::format(
          "data dir {} is in use by another zhiband (RocksDB lock held): {}", dir, s.ToString()));
    }
    return FromRocks(s, fmt::format("opening RocksDB in {}", dir));
  }
  impl.db.reset(raw);
  // handles[0] is "default" (unused); keep ours in Family order.
  (void)impl.db->DestroyColumnFamilyHandle(handles[0]);
  impl.handles.assign(handles.begin() + 1, handles.end());

  return {};
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, Options options) {
  auto impl = std::make_unique<Impl>();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return Status::Unavailable(fmt::format("cannot create data dir {}: {}", dir, ec.message()));
  // Residents' data lives here: the owner only (a dir made by an older build
  // was 0755). Files are 0600 by the daemon's umask (077, set at start).
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  if (ec) {
    return Status::Unavailable(
        fmt::format("cannot make data dir {} owner-only (0700): {}", dir, ec.message()));
  }

  ZB_RETURN_IF_ERROR(OpenDb(dir, options, *impl));
  auto store = std::unique_ptr<Store>(new Store(dir, options, std::move(impl)));
  ZB_ASSIGN_OR_RETURN(auto version, store->Get(Family::kMeta, kSchemaKey));
  if (!version.has_value()) {
    WriteBatch b = store->NewBatch();
    b.Put(Family::kMeta, kSchemaKey, std::to_string(kSchemaVersion));
    ZB_RETURN_IF_ERROR(store->Commit(b));
  } else {
    auto stored = ParseNumber<uint32_t>(*version, "meta schema_version");
    if (!stored.ok()) {
      return Status::FailedPrecondition(fmt::format("data dir {} has a damaged schema version: {}",
                                                    dir, stored.status().ToString()));
    }
    const uint32_t v = *stored;
    if (v > kSchemaVersion) {
      return Status::FailedPrecondition(fmt::format(
          "data dir {} has schema version {}, newer than this zhiband ({}); upgrade zhiband", dir,
          v, kSchemaVersion));
    }
  }
  return store;
}

WriteBatch Store::NewBatch() {
  WriteBatch b;
  b.store_ = this;
  return b;
}

Status Store::Commit(WriteBatch& batch) {
  ZB_RETURN_IF_ERROR(
      CheckRoomToWrite(dir_, options_.min_free_bytes, batch.impl_->batch.GetDataSize(), "zhiband"));
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  std::shared_lock lock(impl_->mu);
  if (!impl_->db || batch.impl_->lost_family) return Closed();
  return FromRocks(impl_->db->Write(wo, &batch.impl_->batch), "writing to RocksDB");
}

Result<uint64_t> Store::VerifyChecksums() {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // a scan of everything must not evict what serving needs
  ro.readahead_size = 2 << 20;
  std::shared_lock lock(impl_->mu);
  if (!impl_->db) return Closed();
  ZB_RETURN_IF_ERROR(FromRocks(impl_->db->VerifyChecksum(ro), "verifying SST checksums"));
  std::vector<rocksdb::LiveFileMetaData> files;
  impl_->db->GetLiveFilesMetaData(&files);
  uint64_t bytes = 0;
  for (const auto& f : files) bytes += f.size;
  return bytes;
}

Status Store::Resume() {
  {
    std::shared_lock lock(impl_->mu);
    if (impl_->db) {
      const rocksdb::Status s = impl_->db->Resume();
      // Below fatal, RocksDB recovers by itself (a full disk, a failed
      // flush); a fatal error (a WAL it could not create: descriptors ran
      // out) stops writes until the database is opened again.
      if (s.ok() || s.severity() < rocksdb::Status::Severity::kFatalError)
        return FromRocks(s, "resuming writes");
    }
  }
  return Reopen();
}

bool Store::is_open() const {
  std::shared_lock lock(impl_->mu);
  return impl_->db != nullptr;
}

Status Store::Reopen() {
  // Files the open needs (MANIFEST, WAL, OPTIONS, the LOCK): tried only when
  // that many descriptors can be had, so a reopen does not close what it
  // cannot open again.
  std::vector<int> probe;
  for (int i = 0; i < kReopenDescriptors; ++i) {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    probe.push_back(fd);
  }
  const bool room = probe.size() == static_cast<size_t>(kReopenDescriptors);
  for (int fd : probe) ::close(fd);
  if (!room) {
    return Status::Unavailable(
        fmt::format("RocksDB needs reopening, but fewer than {} file descriptors are free",
                    kReopenDescriptors));
  }
  std::unique_lock lock(impl_->mu);
  impl_->Close();
  ZB_RETURN_IF_ERROR(OpenDb(dir_, options_, *impl_));
  ++reopens_;
  return {};
}

Status Store::Flush(Family f) {
  std::shared_lock lock(impl_->mu);
  if (!impl_->db) return Closed();
  return FromRocks(impl_->db->Flush(rocksdb::FlushOptions(), impl_->cf(f)),
                   fmt::format("flushing {}", FamilyName(f)));
}

Status Store::Compact(Family f) {
  std::shared_lock lock(impl_->mu);
  if (!impl_->db) return Closed();
  const std::string what = fmt::format("compacting {}", FamilyName(f));
  ZB_RETURN_IF_ERROR(FromRocks(impl_->db->Flush(rocksdb::FlushOptions(), impl_->cf(f)), what));
  rocksdb::CompactRangeOptions o;
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  return FromRocks(impl_->db->CompactRange(o, impl_->cf(f), nullptr, nullptr), what);
}

Result<std::optional<std::string>> Store::Get(Family f, std::string_view key) const {
  std::string value;
  std::shared_lock lock(impl_->mu);
  if (!impl_->db) return Closed();
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), impl_->cf(f), S(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, fmt::format("reading {}", FamilyName(f)));
  return std::optional<std::string>(std::move(value));
}

Status Store::Scan(Family f, std::string_view start,
                   const std::function<bool(std::string_view, std::string_view)>& fn) const {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::shared_lock lock(impl_->mu);
  if (!impl_->db) return Closed();
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->cf(f)));
  for (it->Seek(S(start)); it->Valid(); it->Next()) {
    if (!fn(V(it->key()), V(it->value()))) break;
  }
  return FromRocks(it->status(), fmt::format("scanning {}", FamilyName(f)));
}

Status Store::ScanReverse(Family f, std::string_view before,
                          const std::function<bool(std::string_view, std::string_view)>& fn) const {
  std::shared_lock lock(impl_->mu);
  if (!impl_->db) return Closed();
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(f)));
  if (before.empty()) {
    it->SeekToLast();
  } else {
    it->SeekForPrev(S(before));
    if (it->Valid() && V(it->key()) == before) it->Prev();
  }
  for (; it->Valid(); it->Prev()) {
    if (!fn(V(it->key()), V(it->value()))) break;
  }
  return FromRocks(it->status(), fmt::format("scanning {}", FamilyName(f)));
}

Result<std::optional<std::string>> Store::LastKey(Family f) const {
  std::shared_lock lock(impl_->mu);
  if (!impl_->db) return Closed();
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(f)));
  it->SeekToLast();
  if (!it->status().ok()) return FromRocks(it->status(), "seeking last key");
  if (!it->Valid()) return std::optional<std::string>();
  return std::optional<std::string>(it->key().ToString());
}

uint64_t Store::LiveBytes(Family f) const {
  std::shared_lock lock(impl_->mu);
  return LiveBytesLocked(f);
}

uint64_t Store::LiveBytesLocked(Family f) const {
  if (!impl_->db) return 0;
  uint64_t sst = 0, mem = 0;
  impl_->db->GetIntProperty(impl_->cf(f), rocksdb::DB::Properties::kTotalSstFilesSize, &sst);
  impl_->db->GetIntProperty(impl_->cf(f), rocksdb::DB::Properties::kSizeAllMemTables, &mem);
  return sst + mem;
}

uint64_t Store::TotalLiveBytes() const {
  uint64_t total = 0;
  std::shared_lock lock(impl_->mu);
  for (int i = 0; i < static_cast<int>(Family::kCount); ++i) total += LiveBytesLocked(Family(i));
  return total;
}

Status Store::RoomFor(uint64_t bytes) const {
  return CheckRoomToWrite(dir_, options_.min_free_bytes, bytes, "zhiband");
}

Status Store::Checkpoint(const std::string& dir) {
  namespace fs = std::filesystem;
  std::shared_lock lock(impl_->mu);
  if (!impl_->db) return Closed();
  uint64_t mem = 0, sst = 0;
  for (int i = 0; i < static_cast<int>(Family::kCount); ++i) {
    uint64_t m = 0, s = 0;
    impl_->db->GetIntProperty(impl_->cf(Family(i)), rocksdb::DB::Properties::kSizeAllMemTables, &m);
    impl_->db->GetIntProperty(impl_->cf(Family(i)), rocksdb::DB::Properties::kTotalSstFilesSize,
                              &s);
    mem += m;
    sst += s;
  }
  // The flush writes the memtables here; the copy writes them again, and
  // every SST file too when `dir` is on another disk. The MANIFEST, OPTIONS
  // and WAL copies are small; kMinFreeBytes of slack is asked on top.
  const std::string parent = fs::path(dir).parent_path().string();
  const uint64_t copy = mem + (SameDisk(dir_, parent) ? 0 : sst);
  for (auto [where, bytes] : {std::pair{dir_, mem}, std::pair{parent, copy}}) {
    if (Status room = CheckRoomToWrite(where, options_.min_free_bytes, bytes, "zhiband");
        !room.ok()) {
      return Status::Unavailable(
          fmt::format("backup not started: {}; nothing was written", room.message()));
    }
  }
  rocksdb::Checkpoint* raw = nullptr;
  ZB_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(impl_->db.get(), &raw), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  Status s = FromRocks(cp->CreateCheckpoint(dir), fmt::format("checkpoint to {}", dir));
  if (!s.ok()) {
    std::error_code ec;  // best effort: what is left is removed
    fs::remove_all(dir, ec);
    fs::remove_all(dir + ".tmp", ec);
  }
  return s;
}

}  // namespace zhiban::storage
