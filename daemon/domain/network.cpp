#include "daemon/domain/network.h"

#include <algorithm>
#include <set>
#include <unordered_set>

#include <fmt/format.h>
#include <google/protobuf/util/field_mask_util.h>
#include <google/protobuf/util/message_differencer.h>

#include "daemon/base/date.h"
#include "daemon/domain/common.h"
#include "daemon/domain/records.h"

namespace zhiban::domain {

using common::ValidateText;

namespace {

using google::protobuf::util::FieldMaskUtil;

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

std::string F(std::string_view prefix, std::string_view field) {
  return std::string(prefix) + std::string(field);
}

Status ValidateId(std::string_view id, const std::string& field) {
  if (id.empty()) return Status::InvalidArgument(field, "is required");
  if (id.size() > kMaxIdLength) {
    return Status::InvalidArgument(
        field, fmt::format("is {} characters; at most {} allowed", id.size(), kMaxIdLength));
  }
  for (size_t i = 0; i < id.size(); ++i) {
    if (IsIdChar(id[i])) continue;
    // Quote the whole character, not one byte of it: a message must stay
    // valid UTF-8 (a lone byte of 幸 made the reply, and the audit record
    // holding it, unreadable). The id arrived as a proto3 string, so it is
    // valid UTF-8; the lead byte says how long the character is.
    const auto lead = static_cast<unsigned char>(id[i]);
    const size_t len = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    return Status::InvalidArgument(
        field, fmt::format("\"{}\" has character '{}'; ids use A-Z a-z 0-9 _ - .", id,
                           id.substr(i, std::min(len, id.size() - i))));
  }
  return {};
}

Status ValidatePhone(std::string_view phone, const std::string& field) {
  if (phone.empty()) return {};
  size_t start = phone[0] == '+' ? 1 : 0;
  size_t digits = phone.size() - start;
  bool ok = digits >= 5 && digits <= 20;
  for (size_t i = start; ok && i < phone.size(); ++i) ok = phone[i] >= '0' && phone[i] <= '9';
  if (!ok) {
    return Status::InvalidArgument(
        field, fmt::format("\"{}\" is not a phone number (digits, optional leading +)", phone));
  }
  return {};
}

// A center's public phone as people write it: "010-65001000", "(010) 6500 1000",
// "+86 10 6500 1000", "12345". Staff phones use ValidatePhone (SMS needs digits).
Status ValidateLandline(std::string_view phone, const std::string& field) {
  if (phone.empty()) return {};
  size_t digits = 0;
  bool ok = phone.size() <= 32;
  for (char c : phone) {
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c != '-' && c != ' ' && c != '(' && c != ')' && c != '+') {
      ok = false;
    }
  }
  if (!ok || digits < 3) {
    return Status::InvalidArgument(
        field, fmt::format("\"{}\" is not a phone number (digits, - ( ) + and spaces)", phone));
  }
  return {};
}

Status ValidateTimeZone(std::string_view tz, const std::string& field) {
  if (tz.empty() || tz == "UTC") return {};
  // IANA names: Area/Location[/Sub], letters, digits, _ + -.
  size_t slash = tz.find('/');
  bool ok = slash != std::string_view::npos && slash > 0 && slash + 1 < tz.size() && tz.size() < 64;
  for (char c : tz) {
    ok = ok && (IsIdChar(c) || c == '/' || c == '+');
  }
  if (!ok)
    return Status::InvalidArgument(field, fmt::format("\"{}\" is not an IANA time zone", tz));
  return {};
}

bool IsSkillChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

v1::Event MakeEvent(std::string center_id) {
  v1::Event e;
  e.set_center_id(std::move(center_id));
  return e;
}

// Would giving `id` the parent `parent` close a cycle? `parent_of` answers
// the current parent of any center (overlay of state and pending rows).
template <typename ParentOf>
Status CheckNoCycle(std::string_view id, std::string_view parent, ParentOf parent_of,
                    const std::string& field) {
  std::string cur(parent);
  for (int depth = 0; !cur.empty(); ++depth) {
    if (cur == id) {
      return Status::InvalidArgument(
          field,
          fmt::format("making \"{}\" the parent of \"{}\" would create a cycle", parent, id));
    }
    if (depth > kMaxTreeDepth) {
      return Status::InvalidArgument(
          field, fmt::format("the center tree would be deeper than {} levels", kMaxTreeDepth));
    }
    cur = parent_of(cur);
  }
  return {};
}

}  // namespace

// ---- Network --------------------------------------------------------------

const v1::Center* Network::FindCenter(std::string_view id) const {
  auto it = centers_.find(id);
  return it == centers_.end() ? nullptr : &it->second;
}

const v1::Staff* Network::FindStaff(std::string_view id) const {
  auto it = staff_.find(id);
  return it == staff_.end() ? nullptr : &it->second;
}

int Network::ChildCount(std::string_view id) const {
  auto it = children_.find(std::string(id));
  return it == children_.end() ? 0 : it->second;
}

int Network::StaffReferences(std::string_view id) const {
  auto it = staff_refs_.find(std::string(id));
  return it == staff_refs_.end() ? 0 : it->second;
}

void Network::Ref(std::unordered_map<std::string, int>& m, const std::string& key, int delta) {
  if (key.empty()) return;
  int& v = m[key];
  v += delta;
  if (v == 0) m.erase(key);
}

void Network::PutCenter(v1::Center c) {
  Ref(children_, c.parent_id(), +1);
  auto [it, fresh] = centers_.try_emplace(c.id());  // one walk of the tree
  if (!fresh) Ref(children_, it->second.parent_id(), -1);
  it->second = std::move(c);
}

void Network::EraseCenter(std::string_view id) {
  auto it = centers_.find(id);
  if (it == centers_.end()) return;
  Ref(children_, it->second.parent_id(), -1);
  centers_.erase(it);
}

void Network::PutStaff(v1::Staff s) {
  Ref(staff_refs_, s.center_id(), +1);
  for (const auto& c : s.cover_center_ids()) Ref(staff_refs_, c, +1);
  auto [it, fresh] = staff_.try_emplace(s.id());  // one walk of the tree
  if (!fresh) {
    Ref(staff_refs_, it->second.center_id(), -1);
    for (const auto& c : it->second.cover_center_ids()) Ref(staff_refs_, c, -1);
  }
  it->second = std::move(s);
}

void Network::EraseStaff(std::string_view id) {
  auto it = staff_.find(id);
  if (it == staff_.end()) return;
  Ref(staff_refs_, it->second.center_id(), -1);
  for (const auto& c : it->second.cover_center_ids()) Ref(staff_refs_, c, -1);
  staff_.erase(it);
}

std::vector<std::string> ChangedFields(const google::protobuf::Message& a,
                                       const google::protobuf::Message& b) {
  std::vector<std::string> out;
  const auto* desc = a.GetDescriptor();
  for (int i = 0; i < desc->field_count(); ++i) {
    const auto* f = desc->field(i);
    google::protobuf::util::MessageDifferencer diff;
    diff.set_scope(google::protobuf::util::MessageDifferencer::FULL);
    std::vector<const google::protobuf::FieldDescriptor*> only{f};
    if (!diff.CompareWithFields(a, b, only, only)) out.push_back(f->name());
  }
  return out;
}

// ---- validation -------------------------------------------------------------

Status ValidateCenterFields(const v1::Center& c, std::string_view p) {
  ZB_RETURN_IF_ERROR(ValidateId(c.id(), F(p, "id")));
  ZB_RETURN_IF_ERROR(ValidateText(c.name(), F(p, "name"), kMaxNameBytes, true));
  if (!c.parent_id().empty()) ZB_RETURN_IF_ERROR(ValidateId(c.parent_id(), F(p, "parent_id")));
  if (c.parent_id() == c.id()) {
    return Status::InvalidArgument(F(p, "parent_id"), "a center cannot be its own parent");
  }
  if (!v1::CenterLevel_IsValid(c.level())) {
    return Status::InvalidArgument(F(p, "level"),
                                   fmt::format("unknown level value {}", int(c.level())));
  }
  ZB_RETURN_IF_ERROR(ValidateText(c.address(), F(p, "address"), kMaxAddressBytes, false));
  if (c.has_location()) {
    double lat = c.location().lat(), lon = c.location().lon();
    if (!(lat >= -90 && lat <= 90)) {
      return Status::InvalidArgument(F(p, "location.lat"),
                                     fmt::format("{} is not in [-90, 90]", lat));
    }
    if (!(lon >= -180 && lon <= 180)) {
      return Status::InvalidArgument(F(p, "location.lon"),
                                     fmt::format("{} is not in [-180, 180]", lon));
    }
  }
  ZB_RETURN_IF_ERROR(ValidateTimeZone(c.time_zone(), F(p, "time_zone")));
  ZB_RETURN_IF_ERROR(ValidateLandline(c.phone(), F(p, "phone")));
  if (c.rooms_size() > 100) return Status::InvalidArgument(F(p, "rooms"), "at most 100 rooms");
  for (int i = 0; i < c.rooms_size(); ++i) {
    ZB_RETURN_IF_ERROR(ValidateText(c.rooms(i), F(p, "rooms"), kMaxIdLength, true));
    for (int j = 0; j < i; ++j) {
      if (c.rooms(j) == c.rooms(i))
        return Status::InvalidArgument(F(p, "rooms"),
                                       fmt::format("room \"{}\" is listed twice", c.rooms(i)));
    }
  }
  return {};
}

namespace {

// A fixed rest week (错时) names one or two weekdays, each once; the other
// kinds name none.
Status ValidateRestDays(const v1::Staff& s, std::string_view p) {
  if (!v1::RestWeek_IsValid(s.rest_week())) {
    return Status::InvalidArgument(F(p, "rest_week"),
                                   fmt::format("unknown rest week value {}", int(s.rest_week())));
  }
  const auto& days = s.rest_weekdays();
  if (s.rest_week() != v1::REST_WEEK_FIXED) {
    if (!days.empty()) {
      return Status::InvalidArgument(
          F(p, "rest_weekdays"), "only a fixed rest week (REST_WEEK_FIXED, 错时) names weekdays");
    }
    return {};
  }
  if (days.empty() || days.size() > 2) {
    return Status::InvalidArgument(
        F(p, "rest_weekdays"),
        fmt::format("a fixed rest week names 1 or 2 weekdays, not {}", days.size()));
  }
  for (int i = 0; i < days.size(); ++i) {
    if (days[i] < 1 || days[i] > 7) {
      return Status::InvalidArgument(
          F(p, "rest_weekdays"),
          fmt::format("{} is not a weekday (1 is Monday .. 7 is Sunday)", days[i]));
    }
    if (i == 1 && days[0] == days[1]) {
      return Status::InvalidArgument(F(p, "rest_weekdays"),
                                     fmt::format("weekday {} is named twice", days[i]));
    }
  }
  return {};
}

}  // namespace

Status ValidateStaffFields(const v1::Staff& s, std::string_view p) {
  ZB_RETURN_IF_ERROR(ValidateId(s.id(), F(p, "id")));
  ZB_RETURN_IF_ERROR(ValidateText(s.name(), F(p, "name"), kMaxNameBytes, true));
  ZB_RETURN_IF_ERROR(ValidateId(s.center_id(), F(p, "center_id")));
  ZB_RETURN_IF_ERROR(ValidatePhone(s.phone(), F(p, "phone")));
  ZB_RETURN_IF_ERROR(ValidateText(s.wecom_user_id(), F(p, "wecom_user_id"), kMaxIdLength, false));
  if (s.roles_size() == 0)
    return Status::InvalidArgument(F(p, "roles"), "at least one role is required");
  if (!v1::EmploymentType_IsValid(s.employment())) {
    return Status::InvalidArgument(
        F(p, "employment"), fmt::format("unknown employment type value {}", int(s.employment())));
  }
  if (!s.work_since().empty()) {
    auto since = ParseDate(s.work_since());
    if (!since.ok()) return Status::InvalidArgument(F(p, "work_since"), since.status().message());
    if (int(since->year()) < 1940 || int(since->year()) > 2100) {
      return Status::InvalidArgument(
          F(p, "work_since"), fmt::format("{} is not a plausible start of work", s.work_since()));
    }
  }
  ZB_RETURN_IF_ERROR(ValidateRestDays(s, p));
  // Lists are short (at most a few dozen): linear duplicate checks beat a set
  // per record, which matters on a 100k-row import.
  for (int i = 0; i < s.roles_size(); ++i) {
    const int r = s.roles(i);
    if (!v1::Role_IsValid(r) || r == v1::ROLE_UNSPECIFIED) {
      return Status::InvalidArgument(F(p, "roles"), fmt::format("unknown role value {}", r));
    }
    if (std::find(s.roles().begin(), s.roles().begin() + i, r) != s.roles().begin() + i) {
      return Status::InvalidArgument(F(p, "roles"),
                                     fmt::format("role {} listed twice", v1::Role_Name(r)));
    }
  }
  if (size_t(s.skills_size()) > kMaxSkills) {
    return Status::InvalidArgument(F(p, "skills"), fmt::format("at most {} skills", kMaxSkills));
  }
  for (int i = 0; i < s.skills_size(); ++i) {
    const auto& k = s.skills(i);
    bool ok =
        !k.empty() && k.size() <= kMaxIdLength && std::all_of(k.begin(), k.end(), IsSkillChar);
    if (!ok) {
      return Status::InvalidArgument(
          F(p, "skills"), fmt::format("\"{}\" is not a skill name (lower-case a-z 0-9 -)", k));
    }
    if (std::find(s.skills().begin(), s.skills().begin() + i, k) != s.skills().begin() + i) {
      return Status::InvalidArgument(F(p, "skills"), fmt::format("skill \"{}\" listed twice", k));
    }
  }
  if (size_t(s.cover_center_ids_size()) > kMaxCoverCenters) {
    return Status::InvalidArgument(F(p, "cover_center_ids"),
                                   fmt::format("at most {} centers", kMaxCoverCenters));
  }
  for (int i = 0; i < s.cover_center_ids_size(); ++i) {
    const auto& c = s.cover_center_ids(i);
    ZB_RETURN_IF_ERROR(ValidateId(c, F(p, "cover_center_ids")));
    if (c == s.center_id()) {
      return Status::InvalidArgument(F(p, "cover_center_ids"),
                                     fmt::format("\"{}\" is already the home center", c));
    }
    if (std::find(s.cover_center_ids().begin(), s.cover_center_ids().begin() + i, c) !=
        s.cover_center_ids().begin() + i) {
      return Status::InvalidArgument(F(p, "cover_center_ids"),
                                     fmt::format("center \"{}\" listed twice", c));
    }
  }
  return {};
}

namespace {

// Reference checks against a set of known center ids.
template <typename Exists>
Status CheckStaffRefs(const v1::Staff& s, std::string_view p, Exists exists) {
  if (!exists(s.center_id())) {
    return Status::NotFound(F(p, "center_id"),
                            fmt::format("center \"{}\" does not exist", s.center_id()));
  }
  for (const auto& c : s.cover_center_ids()) {
    if (!exists(c)) {
      return Status::NotFound(F(p, "cover_center_ids"),
                              fmt::format("center \"{}\" does not exist", c));
    }
  }
  return {};
}

// Record events: the body's record is the mutation's put (EmitWithRecord, records.h).
void CenterEvent(Mutation& m, v1::Center c, const std::vector<std::string>* changed = nullptr) {
  v1::Event e = MakeEvent(c.id());
  if (changed) {
    for (const auto& f : *changed) e.mutable_center_updated()->add_changed_fields(f);
  } else {
    e.mutable_center_added();
  }
  EmitWithRecord(m, std::move(e), std::move(c));
}

void StaffEvent(Mutation& m, v1::Staff s, const std::vector<std::string>* changed = nullptr) {
  v1::Event e = MakeEvent(s.center_id());
  if (changed) {
    for (const auto& f : *changed) e.mutable_staff_updated()->add_changed_fields(f);
  } else {
    e.mutable_staff_added();
  }
  EmitWithRecord(m, std::move(e), std::move(s));
}

// An event whose body is complete (removals carry the record as it was).
void PlainEvent(Mutation& m, v1::Event e) { m.Emit(std::move(e)); }

// Merges the masked fields of `patch` into `base`. Refuses unknown paths and `id`.
template <typename Msg>
Status MergeMasked(const Msg& patch, const google::protobuf::FieldMask& mask, Msg* base,
                   std::string_view what) {
  if (mask.paths_size() == 0) {
    return Status::InvalidArgument("update_mask", "names no field to change");
  }
  for (const auto& path : mask.paths()) {
    if (!FieldMaskUtil::GetFieldDescriptors(Msg::descriptor(), path, nullptr)) {
      return Status::InvalidArgument("update_mask",
                                     fmt::format("\"{}\" is not a field of {}", path, what));
    }
    if (path == "id") return Status::InvalidArgument("update_mask", "id cannot be changed");
  }
  FieldMaskUtil::MergeOptions opts;
  opts.set_replace_message_fields(true);
  opts.set_replace_repeated_fields(true);
  FieldMaskUtil::MergeMessageTo(patch, mask, opts, base);
  return {};
}

}  // namespace

// ---- centers ----------------------------------------------------------------

Result<Mutation> AddCenter(const Network& net, v1::Center c) {
  ZB_RETURN_IF_ERROR(ValidateCenterFields(c, "center."));
  if (net.FindCenter(c.id())) {
    return Status::AlreadyExists("center.id", fmt::format("center \"{}\" already exists", c.id()));
  }
  if (!c.parent_id().empty() && !net.FindCenter(c.parent_id())) {
    return Status::NotFound("center.parent_id",
                            fmt::format("parent center \"{}\" does not exist", c.parent_id()));
  }
  // A new center has no children, so a cycle is impossible; depth still counts.
  auto parent_of = [&](const std::string& id) {
    const auto* x = net.FindCenter(id);
    return x ? x->parent_id() : std::string();
  };
  ZB_RETURN_IF_ERROR(CheckNoCycle(c.id(), c.parent_id(), parent_of, "center.parent_id"));
  Mutation m;
  m.summary = fmt::format("added center {}", c.id());
  CenterEvent(m, std::move(c));
  return m;
}

Result<Mutation> UpdateCenter(const Network& net, const v1::CenterUpdateRequest& req) {
  const auto& id = req.center().id();
  ZB_RETURN_IF_ERROR(ValidateId(id, "center.id"));
  const v1::Center* old = net.FindCenter(id);
  if (!old) return Status::NotFound("center.id", fmt::format("center \"{}\" does not exist", id));
  v1::Center next = *old;
  ZB_RETURN_IF_ERROR(MergeMasked(req.center(), req.update_mask(), &next, "zhiban.v1.Center"));
  ZB_RETURN_IF_ERROR(ValidateCenterFields(next, "center."));
  if (next.parent_id() != old->parent_id() && !next.parent_id().empty()) {
    if (!net.FindCenter(next.parent_id())) {
      return Status::NotFound("center.parent_id",
                              fmt::format("parent center \"{}\" does not exist", next.parent_id()));
    }
    auto parent_of = [&](const std::string& x) {
      const auto* c = net.FindCenter(x);
      return c ? c->parent_id() : std::string();
    };
    ZB_RETURN_IF_ERROR(CheckNoCycle(id, next.parent_id(), parent_of, "center.parent_id"));
  }
  Mutation m;
  auto changed = ChangedFields(*old, next);
  if (changed.empty()) {
    m.summary = fmt::format("center {} unchanged", id);
    return m;
  }
  m.summary = fmt::format("updated center {} ({})", id, fmt::join(changed, ","));
  CenterEvent(m, std::move(next), &changed);
  return m;
}

Result<Mutation> RemoveCenter(const Network& net, std::string_view id) {
  ZB_RETURN_IF_ERROR(ValidateId(id, "id"));
  const v1::Center* c = net.FindCenter(id);
  if (!c) return Status::NotFound("id", fmt::format("center \"{}\" does not exist", id));
  if (int n = net.ChildCount(id); n > 0) {
    return Status::FailedPrecondition(
        "id", fmt::format("center \"{}\" still has {} child center(s); move or remove them first",
                          id, n));
  }
  if (int n = net.StaffReferences(id); n > 0) {
    return Status::FailedPrecondition(
        "id", fmt::format("center \"{}\" still has {} staff homed or covering there; "
                          "move or remove them first",
                          id, n));
  }
  Mutation m;
  m.summary = fmt::format("removed center {}", id);
  v1::Event e = MakeEvent(std::string(id));
  *e.mutable_center_removed()->mutable_center() = *c;
  PlainEvent(m, std::move(e));
  m.centers_deleted.emplace_back(id);
  return m;
}

// ---- staff --------------------------------------------------------------------

Result<Mutation> AddStaff(const Network& net, v1::Staff s) {
  ZB_RETURN_IF_ERROR(ValidateStaffFields(s, "staff."));
  if (net.FindStaff(s.id())) {
    return Status::AlreadyExists("staff.id", fmt::format("staff \"{}\" already exists", s.id()));
  }
  ZB_RETURN_IF_ERROR(CheckStaffRefs(
      s, "staff.", [&](const std::string& c) { return net.FindCenter(c) != nullptr; }));
  Mutation m;
  m.summary = fmt::format("added staff {}", s.id());
  StaffEvent(m, std::move(s));
  return m;
}

Result<Mutation> UpdateStaff(const Network& net, const v1::StaffUpdateRequest& req) {
  const auto& id = req.staff().id();
  ZB_RETURN_IF_ERROR(ValidateId(id, "staff.id"));
  const v1::Staff* old = net.FindStaff(id);
  if (!old) return Status::NotFound("staff.id", fmt::format("staff \"{}\" does not exist", id));
  v1::Staff next = *old;
  ZB_RETURN_IF_ERROR(MergeMasked(req.staff(), req.update_mask(), &next, "zhiban.v1.Staff"));
  ZB_RETURN_IF_ERROR(ValidateStaffFields(next, "staff."));
  ZB_RETURN_IF_ERROR(CheckStaffRefs(
      next, "staff.", [&](const std::string& c) { return net.FindCenter(c) != nullptr; }));
  Mutation m;
  auto changed = ChangedFields(*old, next);
  if (changed.empty()) {
    m.summary = fmt::format("staff {} unchanged", id);
    return m;
  }
  m.summary = fmt::format("updated staff {} ({})", id, fmt::join(changed, ","));
  StaffEvent(m, std::move(next), &changed);
  return m;
}

Result<Mutation> RemoveStaff(const Network& net, std::string_view id) {
  ZB_RETURN_IF_ERROR(ValidateId(id, "id"));
  const v1::Staff* s = net.FindStaff(id);
  if (!s) return Status::NotFound("id", fmt::format("staff \"{}\" does not exist", id));
  Mutation m;
  m.summary = fmt::format("removed staff {}", id);
  v1::Event e = MakeEvent(s->center_id());
  *e.mutable_staff_removed()->mutable_staff() = *s;
  PlainEvent(m, std::move(e));
  m.staff_deleted.emplace_back(id);
  return m;
}

// ---- import -------------------------------------------------------------------

void ImportErrors::Add(uint32_t row, std::string column, std::string message) {
  ++total;
  if (errors.size() >= kMaxListedRowErrors) return;
  v1::RowError e;
  e.set_row(row);
  e.set_column(std::move(column));
  e.set_message(std::move(message));
  errors.push_back(std::move(e));
}

namespace {

// Column of a field path ("location.lat" -> "lat", since CSV flattens location).
std::string ColumnOf(const std::string& field) {
  auto dot = field.rfind('.');
  return dot == std::string::npos ? field : field.substr(dot + 1);
}

// Adds new records, updates changed ones, skips identical ones; `emit`
// (record, changed fields or nullptr for a new one) records each change.
template <typename Record, typename Find, typename Emit>
void Upsert(std::vector<ImportRow<Record>>& rows, Find find, Emit emit, ImportCounts* counts) {
  for (auto& r : rows) {
    const Record* old = find(r.record.id());
    if (!old) {
      ++counts->added;
      emit(std::move(r.record), nullptr);
      continue;
    }
    auto changed = ChangedFields(*old, r.record);
    if (changed.empty()) {
      ++counts->unchanged;
      continue;
    }
    ++counts->updated;
    emit(std::move(r.record), &changed);
  }
}

Status RowErrorsStatus(const ImportErrors& errors, std::string_view what) {
  return Status::InvalidArgument(
      "", fmt::format("{} row(s) of the {} import are invalid; nothing was written", errors.total,
                      what));
}

}  // namespace

Result<Mutation> ImportCenters(const Network& net, std::vector<ImportRow<v1::Center>>&& rows,
                               ImportCounts* counts, ImportErrors* errors) {
  std::unordered_map<std::string_view, const ImportRow<v1::Center>*> by_id;
  by_id.reserve(rows.size());
  for (const auto& r : rows) {
    Status s = ValidateCenterFields(r.record, "");
    if (!s.ok()) {
      errors->Add(r.row, ColumnOf(s.field()), s.message());
      continue;
    }
    auto [it, fresh] = by_id.emplace(r.record.id(), &r);
    if (!fresh) {
      errors->Add(
          r.row, "id",
          fmt::format("id \"{}\" appears again (first at row {})", r.record.id(), it->second->row));
    }
  }
  // The tree after the import: file rows override state.
  auto parent_of = [&](const std::string& id) -> std::string {
    if (auto it = by_id.find(id); it != by_id.end()) return it->second->record.parent_id();
    const auto* c = net.FindCenter(id);
    return c ? c->parent_id() : std::string();
  };
  auto exists = [&](const std::string& id) { return by_id.count(id) || net.FindCenter(id); };
  for (const auto& [id, r] : by_id) {
    const auto& parent = r->record.parent_id();
    if (parent.empty()) continue;
    if (!exists(parent)) {
      errors->Add(r->row, "parent_id",
                  fmt::format("parent center \"{}\" is neither in the file nor in zhiban", parent));
      continue;
    }
    Status s = CheckNoCycle(r->record.id(), parent, parent_of, "parent_id");
    if (!s.ok()) errors->Add(r->row, "parent_id", s.message());
  }
  if (errors->total > 0) return RowErrorsStatus(*errors, "centers");

  Mutation m;
  Upsert(
      rows, [&](const std::string& id) { return net.FindCenter(id); },
      [&](v1::Center c, const std::vector<std::string>* changed) {
        CenterEvent(m, std::move(c), changed);
      },
      counts);
  m.summary = fmt::format("imported centers: {} added, {} updated, {} unchanged", counts->added,
                          counts->updated, counts->unchanged);
  return m;
}

Result<Mutation> ImportStaff(const Network& net, std::vector<ImportRow<v1::Staff>>&& rows,
                             ImportCounts* counts, ImportErrors* errors) {
  std::unordered_map<std::string_view, uint32_t> first_row;
  first_row.reserve(rows.size());
  auto exists = [&](const std::string& c) { return net.FindCenter(c) != nullptr; };
  for (const auto& r : rows) {
    Status s = ValidateStaffFields(r.record, "");
    if (s.ok()) s = CheckStaffRefs(r.record, "", exists);
    if (!s.ok()) {
      errors->Add(r.row, ColumnOf(s.field()), s.message());
      continue;
    }
    auto [it, fresh] = first_row.emplace(r.record.id(), r.row);
    if (!fresh) {
      errors->Add(
          r.row, "id",
          fmt::format("id \"{}\" appears again (first at row {})", r.record.id(), it->second));
    }
  }
  if (errors->total > 0) return RowErrorsStatus(*errors, "staff");

  Mutation m;
  m.staff_put.reserve(rows.size());
  m.events.reserve(rows.size());
  m.body_records.reserve(rows.size());
  Upsert(
      rows, [&](const std::string& id) { return net.FindStaff(id); },
      [&](v1::Staff s, const std::vector<std::string>* changed) {
        StaffEvent(m, std::move(s), changed);
      },
      counts);
  m.summary = fmt::format("imported staff: {} added, {} updated, {} unchanged", counts->added,
                          counts->updated, counts->unchanged);
  return m;
}

}  // namespace zhiban::domain
