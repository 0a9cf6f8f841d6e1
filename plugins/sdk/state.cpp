#include "plugins/sdk/state.h"

#include <cstdarg>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "daemon/base/number.h"

namespace zhiban::plugin {
namespace {

// Keys: one column family, prefixes keep the kinds apart.
constexpr std::string_view kCursorKey = "cursor";
constexpr std::string_view kSent = "sent/";
constexpr std::string_view kInflight = "inflight/";
constexpr std::string_view kHeld = "held/";
constexpr std::string_view kDead = "dead/";
constexpr std::string_view kSkipped = "skipped/";

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return {};
  return Status::Unavailable(fmt::format("plugin state: {}: {}", what, s.ToString()));
}

std::string Key(std::string_view prefix, std::string_view id) {
  std::string k(prefix);
  k += id;
  return k;
}

rocksdb::Slice S(std::string_view v) { return {v.data(), v.size()}; }

// RocksDB's info log, to the plugin's own log (warnings and errors only)
// instead of a LOG file in the state dir. That file is written while the
// plugin writes nothing (its buffer is flushed every 10 s): on a full disk
// one failed flush makes Debian's RocksDB abort at its next log line (a
// stats dump, the close), so a notifier paused for room would not survive
// the pause.
class InfoLog final : public rocksdb::Logger {
 public:
  InfoLog() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char line[1024];
    std::vsnprintf(line, sizeof line, format, ap);
    try {  // nothing may throw into RocksDB
      if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
        spdlog::error("plugin state (RocksDB): {}", line);
      } else {
        spdlog::warn("plugin state (RocksDB): {}", line);
      }
    } catch (...) {
    }
  }
};

int64_t ReleaseMs(const v1::Held& h) {
  return google::protobuf::util::TimeUtil::TimestampToMilliseconds(h.release_at());
}

}  // namespace

std::string DeadKey(const v1::DeadLetter& d) {
  return d.has_notification() ? d.notification().key() : d.event().id();
}

struct PluginState::Impl {
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions sync;
  std::string dir;
  Options options;
  std::atomic<uint64_t> refusals{0};
  Impl(std::string d, Options o) : dir(std::move(d)), options(o) { sync.sync = true; }
  // Every write comes here: refused while the disk is short of the reserve.
  Status Write(rocksdb::WriteBatch& b, std::string_view what) {
    if (Status room =
            CheckRoomToWrite(dir, options.min_free_bytes, b.GetDataSize(), "the notifier");
        !room.ok()) {
      ++refusals;
      return room;
    }
    return FromRocks(db->Write(sync, &b), what);
  }
  bool Has(std::string_view prefix, std::string_view key) const {
    std::string v;
    return db->Get(rocksdb::ReadOptions(), Key(prefix, key), &v).ok();
  }
  template <typename Msg>
  Status Scan(std::string_view prefix, const std::function<void(const Msg&)>& fn) const {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(S(prefix)); it->Valid() && it->key().starts_with(S(prefix)); it->Next()) {
      Msg m;
      if (m.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) fn(m);
    }
    return FromRocks(it->status(), "scanning");
  }
};

PluginState::PluginState(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PluginState::~PluginState() = default;

Result<std::unique_ptr<PluginState>> PluginState::Open(const std::string& dir, Options options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  rocksdb::Options opts;
  opts.create_if_missing = true;
  opts.max_background_jobs = 1;
  opts.info_log = std::make_shared<InfoLog>();
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(opts, dir, &raw);
  if (!s.ok()) {
    return Status::Unavailable(fmt::format(
        "cannot open plugin state {} (another instance running?): {}", dir, s.ToString()));
  }
  auto impl = std::make_unique<Impl>(dir, options);
  impl->db.reset(raw);
  auto state = std::unique_ptr<PluginState>(new PluginState(std::move(impl)));
  std::string v;
  s = state->impl_->db->Get(rocksdb::ReadOptions(), S(kCursorKey), &v);
  if (s.ok()) {
    auto cursor = ParseNumber<uint64_t>(v, "plugin state cursor");
    if (!cursor.ok()) {
      return Status::FailedPrecondition(
          fmt::format("plugin state {} is damaged: {}", dir, cursor.status().ToString()));
    }
    state->cursor_ = *cursor;
    state->has_cursor_ = true;
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "reading the cursor");
  }
  ZB_RETURN_IF_ERROR(state->FindEarliestRelease());
  return state;
}

Status PluginState::FindEarliestRelease() {
  int64_t earliest = INT64_MAX;
  ZB_RETURN_IF_ERROR(impl_->Scan<v1::Held>(
      kHeld, [&](const v1::Held& h) { earliest = std::min(earliest, ReleaseMs(h)); }));
  earliest_release_ms_ = earliest;
  return {};
}

size_t PluginState::CountHeld() const {
  size_t n = 0;
  (void)impl_->Scan<v1::Held>(kHeld, [&](const v1::Held&) { ++n; });
  return n;
}

size_t PluginState::CountDead() const {
  size_t n = 0;
  (void)impl_->Scan<v1::DeadLetter>(kDead, [&](const v1::DeadLetter&) { ++n; });
  return n;
}

uint64_t PluginState::write_refusals() const { return impl_->refusals.load(); }

Status PluginState::Advance(uint64_t seq) {
  if (seq < cursor_) return {};
  rocksdb::WriteBatch b;
  b.Put(S(kCursorKey), std::to_string(seq + 1));
  ZB_RETURN_IF_ERROR(impl_->Write(b, "moving the cursor"));
  cursor_ = seq + 1;
  has_cursor_ = true;
  return {};
}

Status PluginState::StartAt(uint64_t seq) {
  rocksdb::WriteBatch b;
  b.Put(S(kCursorKey), std::to_string(std::max<uint64_t>(seq, 1)));
  ZB_RETURN_IF_ERROR(impl_->Write(b, "writing the starting cursor"));
  cursor_ = std::max<uint64_t>(seq, 1);
  has_cursor_ = true;
  return {};
}

bool PluginState::Sent(const std::string& key) const { return impl_->Has(kSent, key); }

bool PluginState::Settled(const std::string& key) const {
  return impl_->Has(kSent, key) || impl_->Has(kHeld, key) || impl_->Has(kDead, key) ||
         impl_->Has(kSkipped, key);
}

Status PluginState::BeginSend(const v1::Notification& n) {
  rocksdb::WriteBatch b;
  b.Put(Key(kInflight, n.key()), n.SerializeAsString());
  return impl_->Write(b, "marking a send in flight");
}

Status PluginState::MarkSent(const v1::Notification& n, uint64_t advance_past) {
  rocksdb::WriteBatch b;
  b.Put(Key(kSent, n.key()), std::to_string(n.seq()));
  b.Delete(Key(kInflight, n.key()));
  b.Delete(Key(kHeld, n.key()));
  b.Delete(Key(kDead, n.key()));
  const bool advance = advance_past >= cursor_;
  if (advance) b.Put(S(kCursorKey), std::to_string(advance_past + 1));
  ZB_RETURN_IF_ERROR(impl_->Write(b, "recording a delivery"));
  if (advance) cursor_ = advance_past + 1;
  return {};
}

Status PluginState::Bury(const v1::DeadLetter& d, uint64_t advance_past) {
  const std::string key = DeadKey(d);
  rocksdb::WriteBatch b;
  b.Put(Key(kDead, key), d.SerializeAsString());
  b.Delete(Key(kInflight, key));
  b.Delete(Key(kHeld, key));
  const bool advance = advance_past >= cursor_;
  if (advance) b.Put(S(kCursorKey), std::to_string(advance_past + 1));
  ZB_RETURN_IF_ERROR(impl_->Write(b, "keeping a dead letter"));
  if (advance) cursor_ = advance_past + 1;
  return {};
}

Status PluginState::Skip(const v1::Skipped& k, uint64_t advance_past) {
  const std::string& key = k.notification().key();
  rocksdb::WriteBatch b;
  b.Put(Key(kSkipped, key), k.SerializeAsString());
  b.Delete(Key(kInflight, key));
  b.Delete(Key(kHeld, key));
  b.Delete(Key(kDead, key));  // a re-driven dead letter that had gone stale
  const bool advance = advance_past >= cursor_;
  if (advance) b.Put(S(kCursorKey), std::to_string(advance_past + 1));
  ZB_RETURN_IF_ERROR(impl_->Write(b, "recording a stale notification"));
  if (advance) cursor_ = advance_past + 1;
  return {};
}

Status PluginState::ListSkipped(const std::function<void(const v1::Skipped&)>& fn) const {
  return impl_->Scan<v1::Skipped>(kSkipped, fn);
}

size_t PluginState::CountSkipped() const {
  size_t n = 0;
  (void)impl_->Scan<v1::Skipped>(kSkipped, [&](const v1::Skipped&) { ++n; });
  return n;
}

Status PluginState::Abandon(const v1::Notification& n) {
  rocksdb::WriteBatch b;
  b.Delete(Key(kInflight, n.key()));
  return impl_->Write(b, "dropping an in-flight mark");
}

Status PluginState::ListInflight(const std::function<void(const v1::Notification&)>& fn) const {
  return impl_->Scan<v1::Notification>(kInflight, fn);
}

Status PluginState::Hold(const v1::Held& h) {
  rocksdb::WriteBatch b;
  b.Put(Key(kHeld, h.notification().key()), h.SerializeAsString());
  ZB_RETURN_IF_ERROR(impl_->Write(b, "holding a notification"));
  earliest_release_ms_ = std::min(earliest_release_ms_, ReleaseMs(h));
  return {};
}

Status PluginState::ListHeld(const std::function<void(const v1::Held&)>& fn) const {
  std::vector<v1::Held> all;
  ZB_RETURN_IF_ERROR(impl_->Scan<v1::Held>(kHeld, [&](const v1::Held& h) { all.push_back(h); }));
  std::stable_sort(all.begin(), all.end(), [](const v1::Held& a, const v1::Held& b) {
    return std::pair(ReleaseMs(a), a.notification().seq()) <
           std::pair(ReleaseMs(b), b.notification().seq());
  });
  for (const auto& h : all) fn(h);
  return {};
}

Status PluginState::ListDead(const std::function<void(const v1::DeadLetter&)>& fn) const {
  return impl_->Scan<v1::DeadLetter>(kDead, fn);
}

Result<v1::DeadLetter> PluginState::GetDead(const std::string& key) const {
  std::string v;
  auto s = impl_->db->Get(rocksdb::ReadOptions(), Key(kDead, key), &v);
  if (s.IsNotFound()) return Status::NotFound("id", fmt::format("no dead letter {}", key));
  ZB_RETURN_IF_ERROR(FromRocks(s, "reading a dead letter"));
  v1::DeadLetter d;
  if (!d.ParseFromString(v)) return Status::Internal("a stored dead letter does not parse");
  return d;
}

Status PluginState::KeepDead(const v1::DeadLetter& d) { return Bury(d); }

Status PluginState::RemoveDead(const std::string& key) {
  rocksdb::WriteBatch b;
  b.Delete(Key(kDead, key));
  return impl_->Write(b, "removing a dead letter");
}

}  // namespace zhiban::plugin
