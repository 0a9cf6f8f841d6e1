// Mutation: what one command changes — the records to write or delete and
// the events to publish — as planned by the pure domain and committed by the
// core in one batch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "zhiban/v1/calendar.pb.h"
#include "zhiban/v1/events.pb.h"
#include "zhiban/v1/rota.pb.h"
#include "zhiban/v1/types.pb.h"
#include "zhiban/v1/visit.pb.h"

namespace zhiban::domain {

namespace v1 = ::zhiban::v1;

// Names the record of this mutation that an event's body carries: a kind of
// the record list (records.h, by its position there) and an index into that
// kind's puts. Made by EmitWithRecord (records.h), for any kind.
struct BodyRecord {
  static constexpr uint8_t kNone = 0xff;
  uint8_t kind = kNone;  // position in ForEachRecordKind; kNone: the body is complete
  uint32_t index = 0;    // into that kind's puts
};

// What one command changes.
struct Mutation {
  std::vector<v1::Center> centers_put;
  std::vector<std::string> centers_deleted;
  std::vector<v1::Staff> staff_put;
  std::vector<std::string> staff_deleted;
  std::vector<v1::CalendarYear> years_put;
  std::vector<v1::CalendarException> exceptions_put;
  std::vector<std::string> exceptions_deleted;
  std::vector<v1::OpeningPolicy> policies_put;
  std::vector<v1::PolicyAssignment> assignments_put;
  std::vector<v1::Shift> shifts_put;
  std::vector<std::string> shifts_deleted;
  std::vector<v1::Rotation> rotations_put;
  std::vector<std::string> rotations_deleted;
  std::vector<v1::Leave> leave_put;
  std::vector<std::string> leave_deleted;
  std::vector<v1::ShiftSwap> swaps_put;
  std::vector<v1::LeaveRequest> leave_requests_put;  // never deleted: answered ones stay
  std::vector<v1::WorkRulesConfig> rules_put;        // at most one
  std::vector<v1::PublishedMonth> months_put;
  std::vector<v1::Resident> residents_put;
  std::vector<std::string> residents_deleted;
  std::vector<v1::Visit> visits_put;
  std::vector<v1::Appointment> appointments_put;
  std::vector<v1::AccessKey> keys_put;  // never deleted: a revoked key stays, revoked

  // Events to publish, in order, with topic, center_id and body set (the
  // core stamps seq, id, time, actor). An event announcing a record this
  // mutation writes (center.added, staff.updated, ...) leaves that record out
  // of its body (field 1 of the body) and names it in body_records[i]: the
  // core serializes each record once, for storage and event alike, instead
  // of copying and encoding it twice (which dominated 100k-row imports).
  // body_records is parallel to events; kNone means the body is complete.
  std::vector<v1::Event> events;
  std::vector<BodyRecord> body_records;
  std::string summary;  // one line for the audit log

  // Event i as it is published, record included. Valid until Apply.
  v1::Event FullEvent(size_t i) const;

  // Moves everything of `other` after this one's records and events (the
  // timers of the rota and of visits commit as one group).
  void Append(Mutation&& other);

  // Appends an event whose body is complete, its topic set from the body.
  void Emit(v1::Event e) { EmitRecord(std::move(e), {}); }
  // Appends an event whose body's record is `record` of this mutation
  // (EmitWithRecord, records.h, makes both).
  void EmitRecord(v1::Event e, BodyRecord record);
};

// The topic of an event: its body's field name with the first '_' a '.'
// (center_added -> center.added, shift_checked_in -> shift.checked_in,
// coverage_gap -> coverage.gap); the heartbeat's is bus.heartbeat. The one
// place topics come from: nothing else spells one.
std::string TopicOf(const v1::Event& e);

}  // namespace zhiban::domain
