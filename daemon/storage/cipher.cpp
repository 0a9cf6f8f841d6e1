#include "daemon/storage/cipher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "daemon/storage/store.h"

namespace zhiban::storage {
namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr char kErasedMark = 'E';  // a key store value that is not a sealed key (version 1)
constexpr std::string_view kCheckKey = "master_check";
constexpr std::string_view kCheckText = "zhiban master key";

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "zhiband: OpenSSL %s failed; refusing to go on\n", what);
  std::abort();
}

const uint8_t* U(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

std::string WrapContext(std::string_view id) { return fmt::format("resident-key/{}", id); }

}  // namespace

Key RandomKey() {
  Key k;
  if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1) Die("RAND_bytes");
  return k;
}

std::string Seal(const Key& key, std::string_view plain, std::string_view context) {
  std::string out(1 + kNonceBytes + plain.size() + kTagBytes, '\0');
  auto* o = reinterpret_cast<uint8_t*>(out.data());
  o[0] = kVersion;
  if (RAND_bytes(o + 1, kNonceBytes) != 1) Die("RAND_bytes");
  Ctx ctx(EVP_CIPHER_CTX_new());
  int n = 0, tail = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), o + 1) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &n, U(context), static_cast<int>(context.size())) !=
          1 ||
      EVP_EncryptUpdate(ctx.get(), o + 1 + kNonceBytes, &n, U(plain),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), o + 1 + kNonceBytes + n, &tail) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          o + 1 + kNonceBytes + plain.size()) != 1) {
    Die("AES-256-GCM encryption");
  }
  return out;
}

Result<std::string> Unseal(const Key& key, std::string_view sealed, std::string_view context,
                           std::string_view field) {
  auto refuse = [&](std::string_view why) {
    return Status::FailedPrecondition(std::string(field),
                                      fmt::format("{} cannot be decrypted: {}", context, why));
  };
  if (sealed.size() < 1 + kNonceBytes + kTagBytes) return refuse("too short to be sealed data");
  if (static_cast<uint8_t>(sealed[0]) != kVersion)
    return refuse(fmt::format("unknown format version {}", static_cast<int>(sealed[0])));
  const auto* s = U(sealed);
  const size_t len = sealed.size() - 1 - kNonceBytes - kTagBytes;
  std::string plain(len, '\0');
  auto* p = reinterpret_cast<uint8_t*>(plain.data());
  Ctx ctx(EVP_CIPHER_CTX_new());
  int n = 0, tail = 0;
  uint8_t tag[kTagBytes];
  std::memcpy(tag, s + 1 + kNonceBytes + len, kTagBytes);
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), s + 1) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &n, U(context), static_cast<int>(context.size())) !=
          1 ||
      EVP_DecryptUpdate(ctx.get(), p, &n, s + 1 + kNonceBytes, static_cast<int>(len)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag) != 1) {
    return refuse("OpenSSL refused the input");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), p + n, &tail) != 1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return refuse("wrong key, or the bytes were altered (authentication failed)");
  }
  return plain;
}

Result<Key> ReadMasterKey(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return Status::FailedPrecondition(
        "personal_data.master_key_file",
        fmt::format("cannot open the master key file {}: {}", path, std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::FailedPrecondition("personal_data.master_key_file",
                                      fmt::format("{} is not a regular file", path));
  }
  if ((st.st_mode & 077) != 0 || st.st_uid != ::geteuid()) {
    ::close(fd);
    return Status::FailedPrecondition(
        "personal_data.master_key_file",
        fmt::format("the master key file {} has mode {:03o} and owner uid {}: it must be "
                    "readable by zhiband's user only (chown to uid {}, chmod 600); nothing was "
                    "started",
                    path, st.st_mode & 0777, st.st_uid, ::geteuid()));
  }
  Key k;
  const ssize_t got = ::read(fd, k.data(), k.size());
  char extra = 0;
  const ssize_t more = ::read(fd, &extra, 1);
  ::close(fd);
  if (got != static_cast<ssize_t>(k.size()) || more != 0) {
    return Status::FailedPrecondition(
        "personal_data.master_key_file",
        fmt::format("the master key file {} must hold exactly {} bytes", path, kKeyBytes));
  }
  return k;
}

Result<Key> CreateMasterKey(const std::string& path) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (!ec) {
      std::filesystem::permissions(parent, std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::replace, ec);
    }
    if (ec) {
      return Status::Unavailable(
          fmt::format("cannot create the key directory {}: {}", parent.string(), ec.message()));
    }
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return Status::Unavailable(
        fmt::format("cannot create the master key file {}: {}", path, std::strerror(errno)));
  }
  const Key k = RandomKey();
  const bool ok =
      ::write(fd, k.data(), k.size()) == static_cast<ssize_t>(k.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    std::filesystem::remove(path, ec);
    return Status::Unavailable(fmt::format("cannot write the master key file {}", path));
  }
  if (!parent.empty()) {
    if (int dfd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
      (void)::fsync(dfd);
      ::close(dfd);
    }
  }
  return k;
}

// ---- KeyStore -------------------------------------------------------------------

KeyStore::KeyStore(std::unique_ptr<Store> store, const Key& master)
    : store_(std::move(store)), master_(master) {}

KeyStore::~KeyStore() { OPENSSL_cleanse(master_.data(), master_.size()); }

Result<std::unique_ptr<KeyStore>> KeyStore::Open(const std::string& dir, const Key& master,
                                                 bool sync) {
  ZB_ASSIGN_OR_RETURN(auto store, Store::Open(dir, {.sync = sync}));
  std::unique_ptr<KeyStore> ks(new KeyStore(std::move(store), master));
  ZB_ASSIGN_OR_RETURN(auto check, ks->store_->Get(Family::kMeta, kCheckKey));
  if (!check) {
    WriteBatch b = ks->store_->NewBatch();
    b.Put(Family::kMeta, kCheckKey, Seal(master, kCheckText, kCheckKey));
    ZB_RETURN_IF_ERROR(ks->store_->Commit(b));
  } else if (auto text = Unseal(master, *check, kCheckKey, "personal_data.master_key_file");
             !text.ok() || *text != kCheckText) {
    return Status::FailedPrecondition(
        "personal_data.master_key_file",
        fmt::format("the master key is not the one the key store in {} was made with (after a "
                    "master-key rotate, personal_data.master_key_file must name the new file); "
                    "nothing was started (docs/OPERATIONS.md \"Personal data at rest\")",
                    dir));
  }
  Status bad;
  ZB_RETURN_IF_ERROR(
      ks->store_->Scan(Family::kResidents, "", [&](std::string_view id, std::string_view v) {
        if (!v.empty() && v[0] == kErasedMark) {
          ks->erased_.emplace(id, true);
          return true;
        }
        auto key = Unseal(master, v, WrapContext(id), "personal_data.key_dir");
        if (!key.ok() || key->size() != kKeyBytes) {
          bad = Status::FailedPrecondition(
              "personal_data.key_dir",
              fmt::format("the key of resident \"{}\" in {} does not open: {}", id, dir,
                          key.ok() ? "wrong length" : key.status().message()));
          return false;
        }
        Key k;
        std::memcpy(k.data(), key->data(), kKeyBytes);
        OPENSSL_cleanse(key->data(), key->size());
        ks->keys_.emplace(id, k);
        return true;
      }));
  ZB_RETURN_IF_ERROR(bad);
  return ks;
}

KeyStore::Holds KeyStore::Has(std::string_view id) const {
  std::shared_lock lock(mu_);
  if (keys_.find(id) != keys_.end()) return Holds::kKey;
  return erased_.find(id) != erased_.end() ? Holds::kErased : Holds::kNone;
}

bool KeyStore::Find(std::string_view id, Key* out) const {
  std::shared_lock lock(mu_);
  auto it = keys_.find(id);
  if (it == keys_.end()) return false;
  *out = it->second;
  return true;
}

Key KeyStore::Ensure(std::string_view id) {
  {
    std::shared_lock lock(mu_);
    if (auto it = keys_.find(id); it != keys_.end()) return it->second;
  }
  std::unique_lock lock(mu_);
  const Key k = RandomKey();
  keys_.emplace(std::string(id), k);
  if (auto it = erased_.find(id); it != erased_.end()) erased_.erase(it);
  pending_.emplace_back(id);
  return k;
}

Status KeyStore::CommitPending() {
  if (pending_.empty()) return {};
  WriteBatch b = store_->NewBatch();
  {
    std::shared_lock lock(mu_);
    for (const auto& id : pending_) {
      auto it = keys_.find(id);
      if (it == keys_.end()) continue;  // erased meanwhile
      const std::string_view raw(reinterpret_cast<const char*>(it->second.data()), kKeyBytes);
      b.Put(Family::kResidents, id, Seal(master_, raw, WrapContext(id)));
    }
  }
  ZB_RETURN_IF_ERROR(store_->Commit(b));
  pending_.clear();
  return {};
}

Status KeyStore::Erase(std::string_view id) {
  ZB_RETURN_IF_ERROR(CommitPending());
  WriteBatch b = store_->NewBatch();
  b.Put(Family::kResidents, id, std::string(1, kErasedMark));
  ZB_RETURN_IF_ERROR(store_->Commit(b));
  {
    std::unique_lock lock(mu_);
    if (auto it = keys_.find(id); it != keys_.end()) {
      OPENSSL_cleanse(it->second.data(), it->second.size());
      keys_.erase(it);
    }
    erased_[std::string(id)] = true;
  }
  // Every family with data flushed, so no WAL file holding the key is kept
  // for another family's memtable; then the old versions compacted away.
  ZB_RETURN_IF_ERROR(store_->Flush(Family::kMeta));
  return store_->Compact(Family::kResidents);
}

Status KeyStore::Rewrap(const Key& next) {
  ZB_RETURN_IF_ERROR(CommitPending());
  WriteBatch b = store_->NewBatch();
  {
    std::shared_lock lock(mu_);
    for (const auto& [id, k] : keys_) {
      const std::string_view raw(reinterpret_cast<const char*>(k.data()), kKeyBytes);
      b.Put(Family::kResidents, id, Seal(next, raw, WrapContext(id)));
    }
  }
  b.Put(Family::kMeta, kCheckKey, Seal(next, kCheckText, kCheckKey));
  ZB_RETURN_IF_ERROR(store_->Commit(b));
  master_ = next;
  ZB_RETURN_IF_ERROR(store_->Compact(Family::kMeta));
  return store_->Compact(Family::kResidents);
}

size_t KeyStore::size() const {
  std::shared_lock lock(mu_);
  return keys_.size();
}

const std::string& KeyStore::dir() const { return store_->dir(); }

Status KeyStore::Checkpoint(const std::string& dir) { return store_->Checkpoint(dir); }

}  // namespace zhiban::storage
