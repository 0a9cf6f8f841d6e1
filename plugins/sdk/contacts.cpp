#include "plugins/sdk/contacts.h"

#include <algorithm>
#include <cstddef>
#include <set>

#include <fmt/format.h>

#include "clients/lib/ctl_client.h"

namespace zhiban::plugin {
namespace {

// The most ids one contact query names (zhiband's limit).
constexpr size_t kIdsPerLookup = 1000;

}  // namespace

CtlContactSource::CtlContactSource(zmq::context_t& ctx, std::string endpoint,
                                   net::CurveClient curve, std::chrono::milliseconds timeout)
    : client_(std::make_unique<client::CtlClient>(ctx, std::move(endpoint), timeout,
                                                  std::move(curve))) {}

CtlContactSource::~CtlContactSource() = default;

Result<v1::ContactQueryReply> CtlContactSource::Lookup(const std::vector<std::string>& ids,
                                                       uint64_t event_seq) {
  v1::CtlRequest req;
  auto* q = req.mutable_contact_query();
  for (const auto& id : ids) q->add_staff_ids(id);
  q->set_event_seq(event_seq);
  ZB_ASSIGN_OR_RETURN(auto reply, client_->Call(req));
  if (reply.has_error()) {
    return Status::Unavailable(
        fmt::format("zhiband refused the contact lookup at {}: {} {}", client_->endpoint(),
                    v1::ErrorCode_Name(reply.error().code()), reply.error().message()));
  }
  return std::move(*reply.mutable_contact_query());
}

Status ContactBook::Resolve(v1::Notification* n) {
  if (!source_) return {};
  std::vector<std::string> missing;
  std::set<std::string> asked;
  for (const auto& r : n->recipients()) {
    if (r.staff_id().empty() || cache_.count(r.staff_id())) continue;
    if (asked.insert(r.staff_id()).second) missing.push_back(r.staff_id());
  }
  if (!missing.empty() && cache_.size() + missing.size() > kMaxCachedContacts) cache_.clear();
  for (size_t from = 0; from < missing.size(); from += kIdsPerLookup) {
    const std::vector<std::string> batch(
        missing.begin() + static_cast<std::ptrdiff_t>(from),
        missing.begin() +
            static_cast<std::ptrdiff_t>(std::min(missing.size(), from + kIdsPerLookup)));
    ++stats_.lookups;
    stats_.looked_up += batch.size();
    auto got = source_->Lookup(batch, n->seq());
    if (!got.ok()) {
      ++stats_.failures;
      return Status::Unavailable(fmt::format("contact lookup: {}", got.status().message()));
    }
    for (auto& c : *got->mutable_contacts()) cache_[c.staff_id()] = std::move(c);
    for (const auto& id : got->missing_ids()) {
      v1::StaffContact none;
      none.set_staff_id(id);
      cache_[id] = std::move(none);
    }
    // An id the answer did not mention is nobody's either.
    for (const auto& id : batch) {
      if (!cache_.count(id)) cache_[id].set_staff_id(id);
    }
  }
  for (auto& r : *n->mutable_recipients()) {
    if (r.staff_id().empty()) continue;
    const auto it = cache_.find(r.staff_id());
    if (it == cache_.end()) continue;  // cannot happen: asked above
    if (std::find(missing.begin(), missing.end(), r.staff_id()) == missing.end()) ++stats_.hits;
    r.set_phone(it->second.phone());
    r.set_wecom_user_id(it->second.wecom_user_id());
  }
  return {};
}

void ContactBook::Observe(const v1::Event& e) {
  const v1::Staff* s = nullptr;
  if (e.has_staff_added()) s = &e.staff_added().staff();
  if (e.has_staff_updated()) s = &e.staff_updated().staff();
  if (e.has_staff_removed()) s = &e.staff_removed().staff();
  if (s && cache_.erase(s->id()) > 0) ++stats_.refreshed;
}

void ContactBook::Forget(const v1::Notification& n) {
  for (const auto& r : n.recipients()) {
    if (!r.staff_id().empty()) cache_.erase(r.staff_id());
  }
}

}  // namespace zhiban::plugin
