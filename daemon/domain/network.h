// The network: centers (党群服务中心) and the staff who work in them.
//
// Pure domain logic: no I/O, no clock, no RocksDB or ZeroMQ. Each command is
// a function of (state, request) that either refuses with a Status naming the
// field, or returns a Mutation: the records to write or delete and the events
// to publish (without seq, id or time; the core stamps those). Apply() makes
// the in-memory state match a Mutation.
//
// Thread-safety: none; the core thread owns the Network.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/base/status.h"
#include "daemon/domain/mutation.h"
#include "zhiban/v1/ctl.pb.h"
#include "zhiban/v1/events.pb.h"
#include "zhiban/v1/types.pb.h"

namespace zhiban::domain {

namespace v1 = ::zhiban::v1;

// Limits on record fields (documented in docs/PROTOCOL.md).
inline constexpr size_t kMaxIdLength = 64;
inline constexpr size_t kMaxNameBytes = 200;
inline constexpr size_t kMaxAddressBytes = 500;
inline constexpr size_t kMaxSkills = 64;
inline constexpr size_t kMaxCoverCenters = 256;
inline constexpr int kMaxTreeDepth = 16;

class Network {
 public:
  const v1::Center* FindCenter(std::string_view id) const;
  const v1::Staff* FindStaff(std::string_view id) const;
  const std::map<std::string, v1::Center, std::less<>>& centers() const { return centers_; }
  const std::map<std::string, v1::Staff, std::less<>>& staff() const { return staff_; }

  // Number of centers whose parent is `id`.
  int ChildCount(std::string_view id) const;
  // Number of staff homed at or covering `id`.
  int StaffReferences(std::string_view id) const;

  void PutCenter(v1::Center c);
  void EraseCenter(std::string_view id);
  void PutStaff(v1::Staff s);
  void EraseStaff(std::string_view id);

 private:
  void Ref(std::unordered_map<std::string, int>& m, const std::string& key, int delta);

  std::map<std::string, v1::Center, std::less<>> centers_;
  std::map<std::string, v1::Staff, std::less<>> staff_;
  // Derived indexes, kept by Put/Erase.
  std::unordered_map<std::string, int> children_;
  std::unordered_map<std::string, int> staff_refs_;
};

// Field validation, shared with import. `prefix` is the field path prefix
// used in messages ("center." for ctl, "" for import columns).
Status ValidateCenterFields(const v1::Center& c, std::string_view prefix);
Status ValidateStaffFields(const v1::Staff& s, std::string_view prefix);

Result<Mutation> AddCenter(const Network& net, v1::Center center);
Result<Mutation> UpdateCenter(const Network& net, const v1::CenterUpdateRequest& req);
Result<Mutation> RemoveCenter(const Network& net, std::string_view id);

Result<Mutation> AddStaff(const Network& net, v1::Staff staff);
Result<Mutation> UpdateStaff(const Network& net, const v1::StaffUpdateRequest& req);
Result<Mutation> RemoveStaff(const Network& net, std::string_view id);

// Bulk upsert. Every row is checked against the state and the other rows
// before anything is returned; on any problem the result is an
// INVALID_ARGUMENT whose Error lists the row errors (see ImportError).
template <typename Record>
struct ImportRow {
  uint32_t row = 0;  // source row number
  Record record;
};

struct ImportCounts {
  uint32_t added = 0;
  uint32_t updated = 0;
  uint32_t unchanged = 0;
};

// Row errors of a refused import.
struct ImportErrors {
  std::vector<v1::RowError> errors;  // first kMaxListedRowErrors
  uint32_t total = 0;
  void Add(uint32_t row, std::string column, std::string message);
};
inline constexpr size_t kMaxListedRowErrors = 100;

// The rows are consumed (records move into the Mutation).
Result<Mutation> ImportCenters(const Network& net, std::vector<ImportRow<v1::Center>>&& rows,
                               ImportCounts* counts, ImportErrors* errors);
Result<Mutation> ImportStaff(const Network& net, std::vector<ImportRow<v1::Staff>>&& rows,
                             ImportCounts* counts, ImportErrors* errors);

// Proto field names whose values differ between a and b (same message type).
std::vector<std::string> ChangedFields(const google::protobuf::Message& a,
                                       const google::protobuf::Message& b);

}  // namespace zhiban::domain
