#include "plugins/sdk/state.h"

#include <filesystem>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

namespace zhiban::plugin {
namespace {

// Keys: one family, prefixes keep the kinds apart.
constexpr std::string_view kCursorKey = "cursor";
constexpr std::string_view kDeliveredPrefix = "delivered/";
constexpr std::string_view kDeadPrefix = "dead/";

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return {};
  return Status::Unavailable(fmt::format("plugin state: {}: {}", what, s.ToString()));
}

std::string Key(std::string_view prefix, std::string_view id) {
  std::string k(prefix);
  k += id;
  return k;
}

}  // namespace

struct PluginState::Impl {
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions sync;
  Impl() { sync.sync = true; }
  Status Write(rocksdb::WriteBatch& b, uint64_t next_cursor) {
    b.Put(rocksdb::Slice(kCursorKey.data(), kCursorKey.size()), std::to_string(next_cursor));
    return FromRocks(db->Write(sync, &b), "write");
  }
};

PluginState::PluginState(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PluginState::~PluginState() = default;

Result<std::unique_ptr<PluginState>> PluginState::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  rocksdb::Options opts;
  opts.create_if_missing = true;
  opts.max_background_jobs = 1;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(opts, dir, &raw);
  if (!s.ok()) {
    return Status::Unavailable(fmt::format("cannot open plugin state {} (another instance running?): {}",
                                           dir, s.ToString()));
  }
  auto impl = std::make_unique<Impl>();
  impl->db.reset(raw);
  auto state = std::unique_ptr<PluginState>(new PluginState(std::move(impl)));
  std::string v;
  s = state->impl_->db->Get(rocksdb::ReadOptions(), rocksdb::Slice(kCursorKey.data(), kCursorKey.size()), &v);
  if (s.ok()) {
    state->cursor_ = std::stoull(v);
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "reading the cursor");
  }
  return state;
}

bool PluginState::Delivered(const std::string& id) const {
  std::string v;
  return impl_->db->Get(rocksdb::ReadOptions(), Key(kDeliveredPrefix, id), &v).ok();
}

Status PluginState::Record(const v1::Event& e) {
  rocksdb::WriteBatch b;
  b.Put(Key(kDeliveredPrefix, e.id()), std::to_string(e.seq()));
  ZB_RETURN_IF_ERROR(impl_->Write(b, e.seq() + 1));
  cursor_ = e.seq() + 1;
  return {};
}

Status PluginState::Bury(const v1::DeadLetter& d) {
  rocksdb::WriteBatch b;
  b.Put(Key(kDeadPrefix, d.event().id()), d.SerializeAsString());
  ZB_RETURN_IF_ERROR(impl_->Write(b, d.event().seq() + 1));
  cursor_ = d.event().seq() + 1;
  return {};
}

Status PluginState::Skip(const v1::Event& e) {
  if (e.seq() < cursor_) return {};
  rocksdb::WriteBatch b;
  ZB_RETURN_IF_ERROR(impl_->Write(b, e.seq() + 1));
  cursor_ = e.seq() + 1;
  return {};
}

Status PluginState::MarkDelivered(const v1::Event& e) {
  return FromRocks(impl_->db->Put(impl_->sync, Key(kDeliveredPrefix, e.id()), std::to_string(e.seq())),
                   "recording a delivery");
}

Status PluginState::KeepDead(const v1::DeadLetter& d) {
  return FromRocks(impl_->db->Put(impl_->sync, Key(kDeadPrefix, d.event().id()), d.SerializeAsString()),
                   "keeping a dead letter");
}

Status PluginState::ListDead(const std::function<void(const v1::DeadLetter&)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(rocksdb::Slice(kDeadPrefix.data(), kDeadPrefix.size()));
       it->Valid() && it->key().starts_with(rocksdb::Slice(kDeadPrefix.data(), kDeadPrefix.size()));
       it->Next()) {
    v1::DeadLetter d;
    if (d.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) fn(d);
  }
  return FromRocks(it->status(), "listing dead letters");
}

Result<v1::DeadLetter> PluginState::TakeDead(const std::string& id) {
  std::string v;
  auto s = impl_->db->Get(rocksdb::ReadOptions(), Key(kDeadPrefix, id), &v);
  if (s.IsNotFound()) return Status::NotFound("id", fmt::format("no dead letter for event {}", id));
  ZB_RETURN_IF_ERROR(FromRocks(s, "reading a dead letter"));
  v1::DeadLetter d;
  if (!d.ParseFromString(v)) return Status::Internal("a stored dead letter does not parse");
  rocksdb::WriteBatch b;
  b.Delete(Key(kDeadPrefix, id));
  ZB_RETURN_IF_ERROR(FromRocks(impl_->db->Write(impl_->sync, &b), "removing a dead letter"));
  return d;
}

}  // namespace zhiban::plugin
