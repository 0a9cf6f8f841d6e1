// Personal data at rest: AES-256-GCM (OpenSSL EVP), the master key file and
// the key store of residents' own keys (crypto-shredding; docs/ARCHITECTURE.md
// "Personal data at rest", docs/OPERATIONS.md "Personal data at rest").
//
// Every resident has a random 256-bit key of their own. Their record's
// personal fields are sealed under it (core/personal_data.h says which); the
// key itself is kept wrapped (sealed under the master key) in a key store —
// a RocksDB of its own in a directory beside the data dir, never inside it,
// so a data backup does not hold it. Erasing a resident deletes their key:
// every stored copy of their sealed fields, in the data dir and in every
// data backup, can no longer be opened.
//
// Thread-safety: Seal/Unseal/the key functions are pure and thread-safe.
// KeyStore: Ensure, Erase and CommitPending from one thread (the core);
// Find from any thread (a shared mutex guards the map).
// OpenSSL headers stay in cipher.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/base/status.h"

namespace zhiban::storage {

class Store;

inline constexpr size_t kKeyBytes = 32;  // AES-256
using Key = std::array<uint8_t, kKeyBytes>;

// A fresh random key (OpenSSL RAND_bytes). A failing random source is a
// broken invariant: the process aborts rather than seal under a weak key.
Key RandomKey();

// AES-256-GCM of `plain` under `key`, bound to `context` (the additional
// authenticated data: what the bytes are, e.g. "resident/R17", so sealed
// bytes moved to another record do not open). Returns
// version (1 byte, 1) || nonce (12, random) || ciphertext || tag (16).
std::string Seal(const Key& key, std::string_view plain, std::string_view context);

// The plain text of Seal's output. A wrong key, altered bytes or another
// context: FAILED_PRECONDITION with `field` as the status's field and a
// message naming `context`.
Result<std::string> Unseal(const Key& key, std::string_view sealed, std::string_view context,
                           std::string_view field);

// The master key: 32 bytes in a file that only zhiband's user may read.
// Refused (FAILED_PRECONDITION naming the file): a file that group or others
// may read or write, one not owned by this user, or one not 32 bytes long.
Result<Key> ReadMasterKey(const std::string& path);
// Writes a fresh master key to `path` (created 0600, never over an existing
// file; its directory created 0700), synced. Returns it.
Result<Key> CreateMasterKey(const std::string& path);

// Residents' keys, each wrapped by the master key, in a RocksDB of its own
// (`dir`, family "residents": resident id -> wrapped key, or an erasure mark).
// The whole map is held in memory (100k residents: 3 MiB).
class KeyStore {
 public:
  // Opens (or creates) the key store in `dir`, unwrapping every key. A
  // master key other than the one the store was made with is refused
  // (FAILED_PRECONDITION: the store keeps a check value sealed under it).
  static Result<std::unique_ptr<KeyStore>> Open(const std::string& dir, const Key& master,
                                                bool sync);
  ~KeyStore();

  // What the store knows of `id`'s key.
  enum class Holds { kNone, kKey, kErased };
  Holds Has(std::string_view id) const;
  // `id`'s key, or false when there is none (never made, or erased).
  bool Find(std::string_view id, Key* out) const;
  // `id`'s key, made now when it has none (kept pending until
  // CommitPending). An erased id gets a new key: a new record under an old id
  // is a new person's data.
  Key Ensure(std::string_view id);
  // Writes the keys made since the last call (synced). Called before the
  // data that was sealed under them is committed, so data never lands
  // without its key; a key whose data then fails to commit is harmless.
  Status CommitPending();
  // Deletes `id`'s key (synced; an erasure mark stays, so a record that
  // still names the key is known to be erased, not lost). Compacts the key
  // store so the key's bytes leave its files.
  Status Erase(std::string_view id);

  // Rewraps every key under `next` and makes it the master key: one synced
  // batch (every key and the check value, or nothing), then the key store
  // compacted so keys wrapped by the old master leave its files.
  Status Rewrap(const Key& next);

  size_t size() const;
  const std::string& dir() const;
  // Writes a consistent copy of the key store to `dir` (RocksDB checkpoint).
  Status Checkpoint(const std::string& dir);

 private:
  KeyStore(std::unique_ptr<Store> store, const Key& master);
  std::unique_ptr<Store> store_;
  Key master_;
  mutable std::shared_mutex mu_;
  std::map<std::string, Key, std::less<>> keys_;
  std::map<std::string, bool, std::less<>> erased_;
  std::vector<std::string> pending_;
};

}  // namespace zhiban::storage
