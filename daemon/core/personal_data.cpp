#include "daemon/core/personal_data.h"

#include <fmt/format.h>

#include "daemon/base/wire.h"

namespace zhiban::core {
namespace {

std::string ResidentContext(std::string_view id) { return fmt::format("resident/{}", id); }
std::string VisitContext(std::string_view id) { return fmt::format("visit/{}", id); }
std::string CardContext(std::string_view id) { return fmt::format("card/{}", id); }

// The personal part of a visit: what a visitor wrote about the person.
v1::Visit PersonalPart(const v1::Visit& v) {
  v1::Visit p;
  p.set_outcome(v.outcome());
  p.set_note(v.note());
  if (v.has_checklist()) *p.mutable_checklist() = v.checklist();
  for (const auto& step : v.history()) p.add_history()->set_note(step.note());
  return p;
}

bool HasPersonalPart(const v1::Visit& v) {
  if (!v.outcome().empty() || !v.note().empty() || v.has_checklist()) return true;
  for (const auto& step : v.history()) {
    if (!step.note().empty()) return true;
  }
  return false;
}

// Calls fn on every ResidentCard field set in `e`'s body (resident.*:
// field 1; visit.*: field 2).
template <typename F>
void ForEachCard(v1::Event& e, F&& fn) {
  static const auto* oneof = v1::Event::descriptor()->FindOneofByName("body");
  const auto* refl = e.GetReflection();
  const auto* field = refl->GetOneofFieldDescriptor(e, oneof);
  if (!field || !field->message_type()) return;
  auto* body = refl->MutableMessage(&e, field);
  const auto* d = body->GetDescriptor();
  const auto* brefl = body->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (f->is_repeated() || f->message_type() != v1::ResidentCard::descriptor()) continue;
    if (!brefl->HasField(*body, f)) continue;
    fn(static_cast<v1::ResidentCard*>(brefl->MutableMessage(body, f)));
  }
}

}  // namespace

void PersonalData::Seal(const v1::Resident& r, std::string* out) {
  v1::Resident rest = r;
  rest.clear_id();
  rest.clear_sealed();
  const storage::Key key = keys_->Ensure(r.id());
  v1::Resident stored;
  stored.set_id(r.id());
  stored.set_sealed(storage::Seal(key, rest.SerializeAsString(), ResidentContext(r.id())));
  stored.SerializeToString(out);
}

void PersonalData::Seal(const v1::Visit& v, std::string* out) {
  if (!HasPersonalPart(v)) {
    v.SerializeToString(out);
    return;
  }
  v1::Visit stored = v;
  stored.clear_outcome();
  stored.clear_note();
  stored.clear_checklist();
  for (auto& step : *stored.mutable_history()) step.clear_note();
  if (keys_->Has(v.resident_id()) == storage::KeyStore::Holds::kErased) {
    stored.SerializeToString(out);  // erased: what was written about them is not kept
    return;
  }
  const storage::Key key = keys_->Ensure(v.resident_id());
  stored.set_sealed(storage::Seal(key, PersonalPart(v).SerializeAsString(), VisitContext(v.id())));
  stored.SerializeToString(out);
}

bool PersonalData::SealEvent(const v1::Event& e, std::string* out) {
  if (!e.topic().starts_with("resident.") && !e.topic().starts_with("visit.")) return false;
  v1::Event copy = e;
  bool any = false;
  ForEachCard(copy, [&](v1::ResidentCard* card) {
    any = true;
    const std::string id = card->id();
    card->clear_id();
    const std::string plain = card->SerializeAsString();
    card->Clear();
    card->set_id(id);
    // Erased, or nothing but the id: nothing to seal (and no key to make).
    if (plain.empty() || keys_->Has(id) == storage::KeyStore::Holds::kErased) return;
    card->set_sealed(storage::Seal(keys_->Ensure(id), plain, CardContext(id)));
  });
  if (any) copy.SerializeToString(out);
  return any;
}

Status PersonalData::Erase(std::string_view id) {
  ZB_RETURN_IF_ERROR(keys_->Erase(id));
  compact_ = true;
  return {};
}

Result<PersonalData::Opened> PersonalData::Open(v1::Resident& r) {
  if (r.sealed().empty()) return Opened::kPlaintext;
  storage::Key key;
  if (!keys_->Find(r.id(), &key)) {
    if (keys_->Has(r.id()) == storage::KeyStore::Holds::kErased) return Opened::kErased;
    return Status::FailedPrecondition(
        "resident.sealed",
        fmt::format("resident \"{}\" is stored encrypted, but the key store in {} has no key for "
                    "it: restore the key store's newest backup (docs/OPERATIONS.md \"Personal "
                    "data at rest\"); nothing was started",
                    r.id(), keys_->dir()));
  }
  ZB_ASSIGN_OR_RETURN(auto plain,
                      storage::Unseal(key, r.sealed(), ResidentContext(r.id()), "resident.sealed"));
  v1::Resident open;
  if (!open.ParseFromString(plain)) {
    return Status::FailedPrecondition(
        "resident.sealed",
        fmt::format("resident \"{}\": its decrypted fields do not parse", r.id()));
  }
  open.set_id(r.id());
  r = std::move(open);
  return Opened::kOpened;
}

Result<PersonalData::Opened> PersonalData::Open(v1::Visit& v) {
  if (v.sealed().empty()) return HasPersonalPart(v) ? Opened::kPlaintext : Opened::kOpened;
  storage::Key key;
  if (!keys_->Find(v.resident_id(), &key)) {
    if (keys_->Has(v.resident_id()) == storage::KeyStore::Holds::kErased) {
      v.clear_sealed();
      return Opened::kErased;
    }
    return Status::FailedPrecondition(
        "visit.sealed",
        fmt::format("visit \"{}\" is stored encrypted, but the key store in {} has no key for "
                    "its resident \"{}\": restore the key store's newest backup",
                    v.id(), keys_->dir(), v.resident_id()));
  }
  ZB_ASSIGN_OR_RETURN(auto plain,
                      storage::Unseal(key, v.sealed(), VisitContext(v.id()), "visit.sealed"));
  v1::Visit part;
  if (!part.ParseFromString(plain) || part.history_size() != v.history_size()) {
    return Status::FailedPrecondition(
        "visit.sealed", fmt::format("visit \"{}\": its decrypted fields do not match it", v.id()));
  }
  v.clear_sealed();
  v.set_outcome(part.outcome());
  v.set_note(part.note());
  if (part.has_checklist()) *v.mutable_checklist() = part.checklist();
  for (int i = 0; i < part.history_size(); ++i)
    v.mutable_history(i)->set_note(part.history(i).note());
  return Opened::kOpened;
}

std::string PersonalData::OpenEvent(std::string_view stored) const {
  std::string_view topic;
  if (!wire::FindLengthDelimited(stored, 4, &topic) ||
      !(topic.starts_with("resident.") || topic.starts_with("visit."))) {
    return std::string(stored);
  }
  v1::Event e;
  if (!e.ParseFromArray(stored.data(), static_cast<int>(stored.size()))) return std::string(stored);
  bool changed = false;
  ForEachCard(e, [&](v1::ResidentCard* card) {
    if (card->sealed().empty()) return;
    changed = true;
    const std::string id = card->id();
    storage::Key key;
    v1::ResidentCard open;
    if (keys_->Find(id, &key)) {
      auto plain = storage::Unseal(key, card->sealed(), CardContext(id), "event.resident.sealed");
      if (!plain.ok() || !open.ParseFromString(*plain)) open.Clear();
    }
    open.set_id(id);  // erased (or unreadable): the id alone
    *card = std::move(open);
  });
  return changed ? e.SerializeAsString() : std::string(stored);
}

}  // namespace zhiban::core
