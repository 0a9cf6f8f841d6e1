// The record list: every kind of record zhiband keeps, declared once — how a
// Mutation carries it (puts and, for kinds deleted by id, deletions), its key,
// the storage column family it lives in (by name, with the key prefix it owns
// when kinds share a family), and how State takes and drops it.
//
// Everything that handles records walks this list and nothing else: Apply
// (state.cpp), Mutation::Append and FullEvent (mutation.cpp), and the core's
// staging into a WriteBatch and loading from RocksDB (core.cpp). An event
// that announces a record of any kind carries it as field 1 of its body,
// serialized once for storage and event alike: EmitWithRecord (below), no
// other edit; or, when the kind declares an event projection, as the card
// that projection makes of it (staff: no contact details). A new kind of record is its
// proto message, one entry here, its vectors in Mutation, and its book's map
// with Put/Erase (State::Clear resets books by value: nothing to add there);
// a family of its own in storage/store.h, or a key prefix in a shared one. A
// unit test round-trips every kind through stage, commit and reload, and
// stops until the new kind is checked there too.
//
// Pure: names families by their storage name, never includes storage.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "daemon/base/wire.h"
#include "daemon/domain/state.h"

namespace zhiban::domain {

template <typename Msg>
struct RecordKind {
  using Record = Msg;
  std::string_view name;        // for messages: "center"
  std::string_view family;      // the storage column family ("centers")
  std::string_view key_prefix;  // the keys of the family this kind owns ("": all of them)
  std::vector<Msg> Mutation::*put;
  std::vector<std::string> Mutation::*deleted;  // nullptr: never deleted by id
  std::string (*key)(const Msg&);
  void (*take)(State&, Msg&&);
  void (*erase)(State&, std::string_view id);  // set iff `deleted` is
  // The event projection: what of a stored record an event announcing it
  // carries. nullptr: the record as stored (its bytes are serialized once for
  // both); else it makes that card from a copy of the record.
  void (*project)(Msg&) = nullptr;
};

namespace records {

inline std::string ById(const auto& r) { return r.id(); }

// Events say who, not how to reach them (docs/PROTOCOL.md, "Contacts"): a
// staff member's card is the record without phone and WeCom id.
inline void StaffCard(v1::Staff& s) {
  s.clear_phone();
  s.clear_wecom_user_id();
}

inline std::string PolicyKey(const v1::OpeningPolicy& p) {
  return p.name() + "/" + wire::BigEndian64(p.version());
}
inline std::string AssignmentKey(const v1::PolicyAssignment& a) {
  return a.center_id() + "/" + a.from();
}
inline std::string YearKey(const v1::CalendarYear& y) { return std::to_string(y.year()); }
inline std::string RulesKey(const v1::WorkRulesConfig&) { return "rules"; }
inline std::string MonthKey(const v1::PublishedMonth& m) {
  return "month/" + m.center_id() + "/" + m.month();
}

}  // namespace records

// Calls f(kind) for every kind of record, in the order Apply takes them
// (within a kind: deletions, then puts). The order of the list is the order
// of loading too.
template <typename F>
void ForEachRecordKind(F&& f) {
  using M = Mutation;
  using namespace records;
  f(RecordKind<v1::Center>{"center", "centers", "", &M::centers_put, &M::centers_deleted, ById,
                           [](State& s, v1::Center&& x) { s.network.PutCenter(std::move(x)); },
                           [](State& s, std::string_view id) { s.network.EraseCenter(id); }});
  f(RecordKind<v1::Staff>{"staff", "staff", "", &M::staff_put, &M::staff_deleted, ById,
                          [](State& s, v1::Staff&& x) { s.network.PutStaff(std::move(x)); },
                          [](State& s, std::string_view id) { s.network.EraseStaff(id); },
                          StaffCard});
  f(RecordKind<v1::CalendarYear>{
      "calendar year", "calendar", "", &M::years_put, nullptr, YearKey,
      [](State& s, v1::CalendarYear&& x) { s.calendar.PutYear(std::move(x)); }, nullptr});
  f(RecordKind<v1::CalendarException>{
      "calendar exception", "exceptions", "", &M::exceptions_put, &M::exceptions_deleted, ById,
      [](State& s, v1::CalendarException&& x) { s.calendar.PutException(std::move(x)); },
      [](State& s, std::string_view id) { s.calendar.EraseException(id); }});
  f(RecordKind<v1::OpeningPolicy>{
      "policy", "policies", "", &M::policies_put, nullptr, PolicyKey,
      [](State& s, v1::OpeningPolicy&& x) { s.policies.PutPolicy(std::move(x)); }, nullptr});
  f(RecordKind<v1::PolicyAssignment>{
      "policy assignment", "assignments", "", &M::assignments_put, nullptr, AssignmentKey,
      [](State& s, v1::PolicyAssignment&& x) { s.policies.PutAssignment(std::move(x)); }, nullptr});
  f(RecordKind<v1::Shift>{"shift", "shifts", "", &M::shifts_put, &M::shifts_deleted, ById,
                          [](State& s, v1::Shift&& x) { s.rota.PutShift(std::move(x)); },
                          [](State& s, std::string_view id) { s.rota.EraseShift(id); }});
  f(RecordKind<v1::Rotation>{"rotation", "rotations", "", &M::rotations_put, &M::rotations_deleted,
                             ById,
                             [](State& s, v1::Rotation&& x) { s.rota.PutRotation(std::move(x)); },
                             [](State& s, std::string_view id) { s.rota.EraseRotation(id); }});
  f(RecordKind<v1::Leave>{"leave", "leave", "", &M::leave_put, &M::leave_deleted, ById,
                          [](State& s, v1::Leave&& x) { s.rota.PutLeave(std::move(x)); },
                          [](State& s, std::string_view id) { s.rota.EraseLeave(id); }});
  f(RecordKind<v1::ShiftSwap>{"swap", "swaps", "", &M::swaps_put, nullptr, ById,
                              [](State& s, v1::ShiftSwap&& x) { s.rota.PutSwap(std::move(x)); },
                              nullptr});
  f(RecordKind<v1::LeaveRequest>{
      "leave request", "rota", "leave_request/", &M::leave_requests_put, nullptr,
      [](const v1::LeaveRequest& r) { return "leave_request/" + r.id(); },
      [](State& s, v1::LeaveRequest&& x) { s.rota.PutLeaveRequest(std::move(x)); }, nullptr});
  f(RecordKind<v1::WorkRulesConfig>{
      "working-time rules", "rota", "rules", &M::rules_put, nullptr, RulesKey,
      [](State& s, v1::WorkRulesConfig&& x) { s.rota.SetRules(std::move(x)); }, nullptr});
  f(RecordKind<v1::PublishedMonth>{
      "published month", "rota", "month/", &M::months_put, nullptr, MonthKey,
      [](State& s, v1::PublishedMonth&& x) { s.rota.PutMonth(std::move(x)); }, nullptr});
  f(RecordKind<v1::Resident>{"resident", "residents", "", &M::residents_put, &M::residents_deleted,
                             ById,
                             [](State& s, v1::Resident&& x) { s.visits.PutResident(std::move(x)); },
                             [](State& s, std::string_view id) { s.visits.EraseResident(id); }});
  f(RecordKind<v1::Visit>{"visit", "visits", "", &M::visits_put, nullptr, ById,
                          [](State& s, v1::Visit&& x) { s.visits.PutVisit(std::move(x)); },
                          nullptr});
  f(RecordKind<v1::Appointment>{
      "appointment", "appointments", "", &M::appointments_put, nullptr, ById,
      [](State& s, v1::Appointment&& x) { s.appointments.Put(std::move(x)); }, nullptr});
  f(RecordKind<v1::AccessKey>{
      "key", "keys", "", &M::keys_put, nullptr, [](const v1::AccessKey& k) { return k.name(); },
      [](State& s, v1::AccessKey&& x) { s.access.Put(std::move(x)); }, nullptr});
}

// The position of `Msg`'s kind in ForEachRecordKind (BodyRecord::kind).
template <typename Msg>
uint8_t RecordKindIndex() {
  static const uint8_t index = [] {
    uint8_t i = 0, found = BodyRecord::kNone;
    ForEachRecordKind([&](const auto& kind) {
      if constexpr (std::is_same_v<typename std::decay_t<decltype(kind)>::Record, Msg>) found = i;
      ++i;
    });
    if (found == BodyRecord::kNone) std::abort();  // not in the list: a programming error
    return found;
  }();
  return index;
}

// Field 1 of `e`'s body when it is a `Msg` (where an event announcing a record
// carries it), else nullptr.
template <typename Msg>
const google::protobuf::FieldDescriptor* RecordFieldOf(const v1::Event& e) {
  static const auto* oneof = v1::Event::descriptor()->FindOneofByName("body");
  const auto* body = e.GetReflection()->GetOneofFieldDescriptor(e, oneof);
  const auto* f = body ? body->message_type()->FindFieldByNumber(1) : nullptr;
  return f && !f->is_repeated() && f->message_type() == Msg::descriptor() ? f : nullptr;
}

// The record `e`'s body carries, to fill in (FullEvent).
template <typename Msg>
Msg* BodyRecordField(v1::Event& e) {
  const auto* f = RecordFieldOf<Msg>(e);
  if (!f) std::abort();  // EmitWithRecord checked it: a programming error
  static const auto* oneof = v1::Event::descriptor()->FindOneofByName("body");
  auto* body =
      e.GetReflection()->MutableMessage(&e, e.GetReflection()->GetOneofFieldDescriptor(e, oneof));
  return static_cast<Msg*>(body->GetReflection()->MutableMessage(body, f));
}

// Appends `record` to `m`'s puts of its kind and `e` (body set, record left
// out), whose body carries that record as field 1 (center.added's center,
// staff.updated's staff). An event whose body has no such field is a
// programming error: the process aborts, naming it.
template <typename Msg>
void EmitWithRecord(Mutation& m, v1::Event e, Msg record) {
  if (!RecordFieldOf<Msg>(e)) {
    std::fprintf(stderr, "EmitWithRecord: %s does not carry a %s as field 1 of its body\n",
                 TopicOf(e).c_str(), Msg::descriptor()->full_name().c_str());
    std::abort();
  }
  ForEachRecordKind([&](const auto& kind) {  // a type stands once in the list
    if constexpr (std::is_same_v<typename std::decay_t<decltype(kind)>::Record, Msg>) {
      auto& puts = m.*kind.put;
      m.EmitRecord(std::move(e),
                   BodyRecord{RecordKindIndex<Msg>(), static_cast<uint32_t>(puts.size())});
      puts.push_back(std::move(record));
    }
  });
}

}  // namespace zhiban::domain
