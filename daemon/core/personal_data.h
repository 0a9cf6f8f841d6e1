// PersonalData: what of a resident is stored encrypted, and how a stored
// record is opened again (docs/ARCHITECTURE.md "Personal data at rest").
//
// At the persistence boundary only: memory holds records in clear, as the
// pure domain made them; the core seals them as it stages them for RocksDB
// (Core::Stage) and opens them as it loads (Core::LoadRecords). Under the
// resident's own key (storage::KeyStore):
//   - a resident record: everything but its id (name, address, room,
//     location, phone, ID number, emergency contact, categories, disability
//     level, care tier, health notes, care plan, ...), stored as {id, sealed};
//   - a visit: its outcome, note, care checklist and step notes (what a
//     visitor wrote about the person), cleared and sealed; the rest (times,
//     states, assignee) stays readable;
//   - an event that carries a ResidentCard (resident.*, visit.*): the card
//     is stored as {id, sealed}; the replay endpoint opens it (OpenEvent).
// Erasing a resident deletes their key: every one of these copies, in the
// data dir and in every data backup, stays sealed for good.
//
// Thread-safety: Seal*, Open(Resident|Visit) and Erase on the core thread;
// OpenEvent from any thread (the replay thread).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/base/status.h"
#include "daemon/storage/cipher.h"
#include "zhiban/v1/events.pb.h"
#include "zhiban/v1/visit.pb.h"

namespace zhiban::core {

class PersonalData {
 public:
  explicit PersonalData(storage::KeyStore* keys) : keys_(keys) {}

  storage::KeyStore& keys() { return *keys_; }

  // The bytes stored for `r` / `v` (a key is made for a new resident, kept
  // pending until keys().CommitPending()).
  void Seal(const v1::Resident& r, std::string* out);
  void Seal(const v1::Visit& v, std::string* out);
  // `e`'s stored form when it carries a ResidentCard, sealing the card(s);
  // false when it carries none (store the published bytes as they are).
  bool SealEvent(const v1::Event& e, std::string* out);

  // What a stored record opens to, in place.
  enum class Opened {
    kOpened,     // sealed fields restored
    kPlaintext,  // stored in clear, by a zhiband before encryption (to rewrite)
    kErased,     // its resident was erased: resident records are dropped,
                 // a visit keeps what was never sealed
  };
  // Errors: a key the key store lacks (not erased: lost), a wrong key, or
  // altered bytes, FAILED_PRECONDITION naming the record and the field.
  Result<Opened> Open(v1::Resident& r);
  Result<Opened> Open(v1::Visit& v);
  // Erases resident `id`'s key (KeyStore::Erase: synced, the key store
  // compacted). From then on nothing of theirs is sealed again: what a
  // later write would seal under the key is dropped (a visit's notes, an
  // event's card beyond the id). The data store's compaction is asked for
  // (TakeCompaction), to run after the group's commit.
  Status Erase(std::string_view id);
  // Whether an erasure asked for the data store's compaction since the last
  // call (the core runs it after the commit).
  bool TakeCompaction() { return std::exchange(compact_, false); }

  // A stored event's bytes as they were published: its sealed cards opened,
  // or, for an erased resident, the card reduced to the id. Bytes that carry
  // no sealed card (or do not parse) are returned as they are.
  std::string OpenEvent(std::string_view stored) const;

 private:
  storage::KeyStore* keys_;
  bool compact_ = false;
};

}  // namespace zhiban::core
