// Residents in care and home-visit work orders: validation, masking,
// dispatch to the staff on duty (rota.h), the visit state machine, and the
// acceptance deadlines that escalate to the AB岗 backup, then to the leader
// on duty. Pure like the rest of domain/.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/base/status.h"
#include "daemon/domain/mutation.h"
#include "daemon/domain/rota.h"
#include "zhiban/v1/ctl.pb.h"
#include "zhiban/v1/visit.pb.h"

namespace zhiban::domain {

struct VisitOptions {
  uint32_t accept_minutes = 15;         // an assignee must accept within this
  uint32_t urgent_accept_minutes = 5;
  uint32_t follow_up_working_days = 5;  // a rating of 1-2 opens a follow-up due then
};

// "13812345678" -> "138****5678"; shorter numbers keep only their last 4.
std::string MaskPhone(std::string_view phone);
// What may leave the daemon about a resident.
v1::ResidentCard CardOf(const v1::Resident& r);
// The service catalogue (ServiceItem ids are stable).
const std::vector<v1::ServiceItem>& ServiceCatalogue();
const v1::ServiceItem* FindService(std::string_view id);
// Straight-line distance in km (haversine). Dispatch ranks by it; a travel
// time model can replace it behind this one function.
double TravelKm(const v1::GeoPoint& a, const v1::GeoPoint& b);

class VisitBook {
 public:
  struct Timer {
    int64_t due = 0;
    uint32_t kind = 0;  // 1 acceptance deadline, 2 window end (overdue)
    std::string id;
    bool operator<(const Timer& o) const {
      return std::tie(due, kind, id) < std::tie(o.due, o.kind, o.id);
    }
  };
  const std::map<std::string, v1::Resident, std::less<>>& residents() const { return residents_; }
  const std::map<std::string, v1::Visit, std::less<>>& visits() const { return visits_; }
  const std::set<Timer>& timers() const { return timers_; }
  const VisitOptions& options() const { return options_; }
  const v1::Resident* FindResident(std::string_view id) const;
  const v1::Visit* FindVisit(std::string_view id) const;
  // Visits (not cancelled) of a staff member whose window starts on `day` (UTC+8 day number).
  uint32_t LoadOn(std::string_view staff, int32_t day) const;

  void SetOptions(const VisitOptions& o) { options_ = o; }
  void PutResident(v1::Resident r) { residents_[r.id()] = std::move(r); }
  void EraseResident(std::string_view id);
  void PutVisit(v1::Visit v);
  void Clear();

 private:
  void Index(const v1::Visit& v, int sign);
  std::map<std::string, v1::Resident, std::less<>> residents_;
  std::map<std::string, v1::Visit, std::less<>> visits_;
  VisitOptions options_;
  std::set<Timer> timers_;
  std::unordered_map<std::string, std::map<int32_t, uint32_t>> load_;
};

Result<Mutation> AddResident(const RotaCtx& ctx, v1::Resident r);
Result<Mutation> UpdateResident(const RotaCtx& ctx, const v1::ResidentUpdateRequest& req);
Result<Mutation> RemoveResident(const RotaCtx& ctx, std::string_view id);

Result<Mutation> RequestVisit(const RotaCtx& ctx, const v1::VisitRequestRequest& req, uint64_t serial);
Result<Mutation> AssignVisit(const RotaCtx& ctx, const v1::VisitAssignRequest& req);
Result<Mutation> ActOnVisit(const RotaCtx& ctx, const v1::VisitActRequest& req, uint64_t serial);
// Deadlines and window ends due at ctx.now (at most `limit`).
Mutation FireVisitTimers(const RotaCtx& ctx, size_t limit);

Status ListVisits(const RotaCtx& ctx, const v1::VisitListRequest& req, v1::VisitListReply* out);
Status PlanVisits(const RotaCtx& ctx, const v1::VisitPlanRequest& req, v1::VisitListReply* out);

}  // namespace zhiban::domain
