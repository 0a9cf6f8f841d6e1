// The notifiers' contact query (docs/PROTOCOL.md, "Contacts"): events name
// people but never say how to reach them; a notifier asks here, with its own
// key (role plugin, or admin) and the event the lookup serves. Every call is
// audited, refused or answered, with the principal and that purpose.
#include <algorithm>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "daemon/core/command.h"
#include "daemon/core/reach.h"

namespace zhiban::core {
namespace {

using R = v1::CtlRequest;

// Most staff ids one query names (a WeCom message to a whole route's people
// fits; a notifier with more asks in batches).
constexpr int kMaxContactIds = 1000;

v1::ContactChannel Preferred(const v1::Staff& s) {
  if (!s.wecom_user_id().empty()) return v1::CONTACT_WECOM;
  if (!s.phone().empty()) return v1::CONTACT_SMS;
  return v1::CONTACT_CHANNEL_UNSPECIFIED;
}

Status ContactQuery(CommandEnv& env, const R& req, v1::CtlReply* reply) {
  const auto& q = req.contact_query();
  for (const auto& [field, seq] :
       {std::pair{"event_seq", q.event_seq()}, std::pair{"last_event_seq", q.last_event_seq()}}) {
    if (seq >= env.next_seq) {
      return Status::InvalidArgument(
          field, fmt::format("event {} has not been stored (the newest is {}): a lookup "
                             "serves an event the notifier has; nothing was read",
                             seq, env.next_seq - 1));
    }
  }
  auto* out = reply->mutable_contact_query();
  out->set_as_of_seq(env.next_seq - 1);
  std::set<std::string> seen;
  for (const auto& id : q.staff_ids()) {
    if (!seen.insert(id).second) continue;
    const v1::Staff* s = env.state.network.FindStaff(id);
    if (!s) {
      out->add_missing_ids(id);
      continue;
    }
    auto* c = out->add_contacts();
    c->set_staff_id(s->id());
    c->set_name(s->name());
    c->set_phone(s->phone());
    c->set_wecom_user_id(s->wecom_user_id());
    c->set_preferred(Preferred(*s));
  }
  return {};
}

// The request's own shape; who may ask is Permit's (kContacts over the
// people's centers).
Status AuthorizeContactQuery(const Principal&, const R& req, const domain::State&) {
  const auto& q = req.contact_query();
  if (q.staff_ids().empty() || q.staff_ids_size() > kMaxContactIds) {
    return Status::InvalidArgument(
        "staff_ids",
        fmt::format("a contact query names 1 to {} staff ids, not {}; nothing was read",
                    kMaxContactIds, q.staff_ids_size()));
  }
  if (q.event_seq() == 0) {
    return Status::InvalidArgument(
        "event_seq",
        "a contact lookup names the event it serves (event_seq), which the audit log keeps; "
        "nothing was read");
  }
  if (q.last_event_seq() != 0 && q.last_event_seq() < q.event_seq()) {
    return Status::InvalidArgument(
        "last_event_seq",
        fmt::format("last_event_seq {} is before event_seq {}: a lookup serves events "
                    "event_seq..last_event_seq; nothing was read",
                    q.last_event_seq(), q.event_seq()));
  }
  return {};
}

// Every person's home and cover centers: a plugin key scoped to a street
// reaches its street's staff only. An unknown id reaches the whole network.
Reach ContactReach(const R& r, const domain::State& s) {
  const auto& ids = r.contact_query().staff_ids();
  if (ids.empty()) return Reach::Network();
  Reach out = reach::StaffMember(s, ids.Get(0));
  for (int i = 1; i < ids.size(); ++i) reach::Join(out, reach::StaffMember(s, ids.Get(i)));
  out.person.clear();
  return out;
}

// "event 812", or "events 812..830" for a lookup made ahead for several.
std::string EventsServed(const v1::ContactQueryRequest& q) {
  if (q.last_event_seq() <= q.event_seq()) return fmt::format("event {}", q.event_seq());
  return fmt::format("events {}..{}", q.event_seq(), q.last_event_seq());
}

// The people (the first 20, then how many more) and the event served, so a
// refused lookup's audit record names its purpose too.
std::string ContactTarget(const R& r) {
  const auto& q = r.contact_query();
  constexpr int kNamed = 20;
  const int named = std::min(q.staff_ids_size(), kNamed);
  std::string out =
      fmt::format("{}", fmt::join(q.staff_ids().begin(), q.staff_ids().begin() + named, ","));
  if (q.staff_ids_size() > named) out += fmt::format(" +{}", q.staff_ids_size() - named);
  return out + " for " + EventsServed(q);
}

std::string ContactSummary(const R& r) {
  const auto& q = r.contact_query();
  return fmt::format("read the contacts of {} staff for {}", q.staff_ids_size(), EventsServed(q));
}

}  // namespace

void RegisterContactCommands(CommandTable& t) {
  Command c = MakeAuditedQuery(R::kContactQuery, ContactQuery, ContactTarget, ContactSummary);
  c.authorize = AuthorizeContactQuery;
  t.Add(Reaching(Needing(c, Need::kContacts), ContactReach, "the people's home and cover centers"));
}

}  // namespace zhiban::core
