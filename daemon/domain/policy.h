// Opening policies ("365天不打烊"): per day type, the service windows a center
// must staff, written by operators as TOML (ops/policies/*.toml), named and
// versioned; centers are assigned a policy from a date. Coverage expansion
// turns (calendar, policy, center, dates) into concrete required windows.
//
// Pure (time zones come from base/Zones, read once from the tz database).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "daemon/base/date.h"
#include "daemon/base/status.h"
#include "daemon/domain/calendar.h"
#include "daemon/domain/mutation.h"
#include "daemon/domain/network.h"
#include "zhiban/v1/calendar.pb.h"
#include "zhiban/v1/ctl.pb.h"

namespace zhiban::domain {

// Parses and checks a policy. Errors start "<source>:<line>: " and name the
// key: unknown keys, bad times, end before start (write "08:00+1" for the next
// day), overlapping windows of one kind, min_staff 0 on a staffed window.
Result<v1::OpeningPolicy> ParsePolicyToml(std::string_view toml, std::string_view source);

class PolicyBook {
 public:
  const std::map<std::string, std::vector<v1::OpeningPolicy>, std::less<>>& policies() const {
    return policies_;
  }
  const std::map<std::string, std::vector<v1::PolicyAssignment>, std::less<>>& assignments() const {
    return assignments_;
  }
  // `version` 0 means the newest.
  const v1::OpeningPolicy* Find(std::string_view name, uint32_t version = 0) const;
  // The newest version effective on `iso_date`.
  const v1::OpeningPolicy* InForce(std::string_view name, std::string_view iso_date) const;
  // The assignment in force for a center on a date.
  const v1::PolicyAssignment* AssignmentOn(std::string_view center,
                                           std::string_view iso_date) const;

  void PutPolicy(v1::OpeningPolicy p);         // keeps versions ordered
  void PutAssignment(v1::PolicyAssignment a);  // replaces one with the same center and date

 private:
  std::map<std::string, std::vector<v1::OpeningPolicy>, std::less<>> policies_;
  std::map<std::string, std::vector<v1::PolicyAssignment>, std::less<>> assignments_;
};

// A new version (newest + 1) of a parsed policy (ParsePolicyToml), effective
// from `effective_from` (ISO date). Windows identical to the newest version's
// change nothing (an empty Mutation).
Result<Mutation> SetPolicy(const PolicyBook& book, v1::OpeningPolicy policy,
                           std::string_view effective_from);
Result<Mutation> AssignPolicy(const PolicyBook& book, const Network& net, v1::PolicyAssignment a);

// A window a center must staff, in the engine's form: no allocation, pointers
// into the state (valid until the state changes).
struct Slot {
  Date date;
  v1::DayType day_type = v1::DAY_TYPE_UNSPECIFIED;
  const v1::ServiceWindow* window = nullptr;
  const v1::OpeningPolicy* policy = nullptr;
  TimePoint start, end;
};

// The windows `center` must staff from `from` to `to` (inclusive), in date and
// start order. Days that need none are added to `gaps` with the reason (when
// gaps is not null). Fails when a date's year has no national calendar.
Status ExpandCoverage(const Calendar& cal, const PolicyBook& book, const Network& net,
                      const Zones& zones, std::string_view center, Date from, Date to,
                      std::vector<Slot>* slots, std::vector<v1::CoverageGap>* gaps);

// The record form of a slot (coverage show).
v1::RequiredWindow ToRequiredWindow(std::string_view center, const Slot& slot);

// Every center over a whole year: counts and the broken days.
Result<v1::CoverageAuditReply> AuditCoverage(const Calendar& cal, const PolicyBook& book,
                                             const Network& net, int year);

}  // namespace zhiban::domain
