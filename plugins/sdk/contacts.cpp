#include "plugins/sdk/contacts.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>

#include <fmt/format.h>

#include "clients/lib/ctl_client.h"

namespace zhiban::plugin {
namespace {

// The most ids one contact query names (zhiband's limit).
constexpr size_t kIdsPerLookup = 1000;

// The person a staff.* event is about (whose contact it may change); null otherwise.
const v1::Staff* StaffOf(const v1::Event& e) {
  if (e.has_staff_added()) return &e.staff_added().staff();
  if (e.has_staff_updated()) return &e.staff_updated().staff();
  if (e.has_staff_removed()) return &e.staff_removed().staff();
  return nullptr;
}

}  // namespace

CtlContactSource::CtlContactSource(zmq::context_t& ctx, std::string endpoint,
                                   net::CurveClient curve, std::chrono::milliseconds timeout)
    : client_(std::make_unique<client::CtlClient>(ctx, std::move(endpoint), timeout,
                                                  std::move(curve))) {}

CtlContactSource::~CtlContactSource() = default;

Result<v1::ContactQueryReply> CtlContactSource::Lookup(const std::vector<std::string>& ids,
                                                       uint64_t first_seq, uint64_t last_seq) {
  v1::CtlRequest req;
  auto* q = req.mutable_contact_query();
  for (const auto& id : ids) q->add_staff_ids(id);
  q->set_event_seq(first_seq);
  if (last_seq > first_seq) q->set_last_event_seq(last_seq);
  ZB_ASSIGN_OR_RETURN(auto reply, client_->Call(req));
  if (reply.has_error()) {
    return Status::Unavailable(
        fmt::format("zhiband refused the contact lookup at {}: {} {}", client_->endpoint(),
                    v1::ErrorCode_Name(reply.error().code()), reply.error().message()));
  }
  return std::move(*reply.mutable_contact_query());
}

Status ContactBook::Fetch(const std::vector<std::string>& ids, uint64_t first_seq,
                          uint64_t last_seq) {
  if (!ids.empty() && cache_.size() + ids.size() > kMaxCachedContacts) cache_.clear();
  for (size_t from = 0; from < ids.size(); from += kIdsPerLookup) {
    const std::vector<std::string> batch(
        ids.begin() + static_cast<std::ptrdiff_t>(from),
        ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), from + kIdsPerLookup)));
    ++stats_.lookups;
    stats_.looked_up += batch.size();
    auto got = source_->Lookup(batch, first_seq, last_seq);
    if (!got.ok()) {
      ++stats_.failures;
      return Status::Unavailable(fmt::format("contact lookup: {}", got.status().message()));
    }
    const uint64_t as_of = got->as_of_seq();
    std::set<std::string> answered;
    for (auto& c : *got->mutable_contacts()) {
      const std::string id = *answered.insert(c.staff_id()).first;
      cache_[id] = {std::move(c), as_of};  // (the right side is evaluated first)
    }
    // A missing id, or one the answer did not mention, is nobody's.
    for (const auto& id : batch) {
      if (answered.count(id)) continue;
      Cached none{.as_of_seq = as_of};
      none.contact.set_staff_id(id);
      cache_[id] = std::move(none);
    }
  }
  return {};
}

Status ContactBook::Resolve(v1::Notification* n) {
  if (!source_) return {};
  std::vector<std::string> missing;
  std::set<std::string> asked;
  for (const auto& r : n->recipients()) {
    if (r.staff_id().empty() || cache_.count(r.staff_id())) continue;
    if (asked.insert(r.staff_id()).second) missing.push_back(r.staff_id());
  }
  ZB_RETURN_IF_ERROR(Fetch(missing, n->seq(), n->seq()));
  for (auto& r : *n->mutable_recipients()) {
    if (r.staff_id().empty()) continue;
    const auto it = cache_.find(r.staff_id());
    if (it == cache_.end()) continue;  // cannot happen: asked above
    if (!asked.count(r.staff_id())) ++stats_.hits;
    r.set_phone(it->second.contact.phone());
    r.set_wecom_user_id(it->second.contact.wecom_user_id());
  }
  return {};
}

Status ContactBook::Prefetch(const std::vector<const v1::Event*>& run,
                             const std::vector<const v1::Notification*>& ahead) {
  if (!source_ || run.empty()) return {};
  std::map<std::string, uint64_t> changed;  // a person's newest staff.* event in the run
  for (const v1::Event* e : run) {
    if (const v1::Staff* s = StaffOf(*e)) changed[s->id()] = std::max(changed[s->id()], e->seq());
  }
  // Someone cached from before a staff.* event of the run: Observe would drop them.
  auto outdated = [&](const std::string& id) {
    const auto it = cache_.find(id);
    if (it == cache_.end()) return true;
    const auto c = changed.find(id);
    return c != changed.end() && (it->second.as_of_seq == 0 || c->second > it->second.as_of_seq);
  };
  std::set<std::string> asked;
  for (const v1::Notification* n : ahead) {
    for (const auto& r : n->recipients()) {
      if (!r.staff_id().empty() && outdated(r.staff_id())) asked.insert(r.staff_id());
    }
  }
  if (asked.empty()) return {};
  ++stats_.ahead;
  // The purpose: the events whose messages these are.
  uint64_t first = UINT64_MAX, last = 0;
  for (const v1::Notification* n : ahead) {
    first = std::min(first, n->seq());
    last = std::max(last, n->seq());
  }
  return Fetch({asked.begin(), asked.end()}, first, last);
}

void ContactBook::Observe(const v1::Event& e) {
  const v1::Staff* s = StaffOf(e);
  if (!s) return;
  const auto it = cache_.find(s->id());
  if (it == cache_.end()) return;
  const uint64_t as_of = it->second.as_of_seq;
  if (as_of != 0 && e.seq() != 0 && e.seq() <= as_of) return;  // the answer already has it
  cache_.erase(it);
  ++stats_.refreshed;
}

void ContactBook::Forget(const v1::Notification& n) {
  for (const auto& r : n.recipients()) {
    if (!r.staff_id().empty()) cache_.erase(r.staff_id());
  }
}

}  // namespace zhiban::plugin
