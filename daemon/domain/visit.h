// Residents in care and home-visit work orders: validation, masking,
// dispatch to the staff on duty (rota.h), the visit state machine, and the
// acceptance deadlines that escalate to the AB岗 backup, then to the leader
// on duty. Pure like the rest of domain/.
#pragma once

#include <array>
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
  uint32_t accept_minutes = 15;  // an assignee must accept within this
  uint32_t urgent_accept_minutes = 5;
  // A visit is started (START, on the way) from this long before its window
  // opens, never earlier: not a day ahead by a slip of the thumb.
  uint32_t start_margin_minutes = 60;
  uint32_t follow_up_working_days = 5;  // a rating of 1-2 opens a follow-up due then
  // Care plans: days between care visits per CareTier (index = tier; 0 none).
  std::array<uint32_t, 4> care_days = {0, 7, 30, 90};
  uint32_t care_ahead_days = 3;          // work orders are created this long before their window
  uint32_t major_change_hours = 24;      // a major change makes a care visit due within this
  uint32_t care_window_minute = 9 * 60;  // local time a care-plan window opens
  uint32_t care_due_minute = 17 * 60;    // local time a care visit is due on its day
  // Appointments on weekends and holidays are booked this many working days ahead.
  uint32_t appointment_notice_working_days = 1;
};

// "13812345678" -> "138****5678"; shorter numbers keep only their last 4.
std::string MaskPhone(std::string_view phone);
// What an operator's list shows about a resident (ctl replies). With `now`
// (seconds), the card says whether the care visit is overdue.
v1::ResidentCard CardOf(const v1::Resident& r, int64_t now = 0);
// What the bus may carry about a resident (events are kept forever and read
// by every subscriber): the card without care categories, disability or care
// tier, its location rounded to 3 decimals (~100 m).
v1::ResidentCard BusCardOf(const v1::Resident& r, int64_t now);
// What the bus may carry about a visit: no care checklist, no outcome or
// notes in free text, history steps without their notes. State, times,
// people, rating and the follow-up stay.
v1::Visit BusVisitOf(const v1::Visit& v);
// The service catalogue (ServiceItem ids are stable).
const std::vector<v1::ServiceItem>& ServiceCatalogue();
const v1::ServiceItem* FindService(std::string_view id);
// Straight-line distance in km (haversine). Dispatch ranks by it; a travel
// time model can replace it behind this one function.
double TravelKm(const v1::GeoPoint& a, const v1::GeoPoint& b);

class VisitBook {
 public:
  const std::map<std::string, v1::Resident, std::less<>>& residents() const { return residents_; }
  const std::map<std::string, v1::Visit, std::less<>>& visits() const { return visits_; }
  // kVisitAcceptance, kVisitWindowEnd (visits) and kCareOrder (residents).
  const TimerIndex& timers() const { return timers_; }
  const VisitOptions& options() const { return options_; }
  const v1::Resident* FindResident(std::string_view id) const;
  const v1::Visit* FindVisit(std::string_view id) const;
  // Visits (not cancelled) of a staff member whose window starts in [from, to)
  // (Unix seconds): the caller turns a local day into its bounds, in the
  // center's time zone.
  uint32_t LoadBetween(std::string_view staff, int64_t from, int64_t to) const;
  // The ids of the open visits (not completed, cancelled or failed) that
  // `staff` holds; null when none.
  const std::set<std::string>* OpenOf(const std::string& staff) const {
    auto it = open_.find(staff);
    return it == open_.end() ? nullptr : &it->second;
  }

  void SetOptions(const VisitOptions& o) { options_ = o; }
  void PutResident(v1::Resident r);
  void EraseResident(std::string_view id);
  void PutVisit(v1::Visit v);

 private:
  void Index(const v1::Visit& v, int sign);
  void Index(const v1::Resident& r, int sign);
  std::map<std::string, v1::Resident, std::less<>> residents_;
  std::map<std::string, v1::Visit, std::less<>> visits_;
  VisitOptions options_;
  TimerIndex timers_;
  std::unordered_map<std::string, std::map<int64_t, uint32_t>> load_;  // staff -> start -> n
  std::unordered_map<std::string, std::set<std::string>> open_;        // staff -> open visit ids
};

Result<Mutation> AddResident(const RotaCtx& ctx, v1::Resident r);
Result<Mutation> UpdateResident(const RotaCtx& ctx, const v1::ResidentUpdateRequest& req);
Result<Mutation> RemoveResident(const RotaCtx& ctx, std::string_view id);
// Erasing resident `id` (resident erase, PIPL Art. 47): as RemoveResident
// when the resident is still in care (its resident.removed card carries the
// id alone), and every visit of theirs rewritten without what was written
// about them (outcome, note, checklist, step notes). `known`: the key store
// holds their key (a resident removed before is erased too). Deleting the
// key is the core's (core/personal_data.h).
Result<Mutation> EraseResident(const RotaCtx& ctx, std::string_view id, bool known);
// Many residents, all or nothing (at most kMaxResidentImport).
inline constexpr size_t kMaxResidentImport = 20000;
// Health notes: a few paragraphs (~1,300 Chinese characters), not a file.
inline constexpr size_t kMaxResidentNotesBytes = 4000;
Result<Mutation> ImportResidents(const RotaCtx& ctx, const v1::ResidentImportRequest& req);
// A major change (hospital discharge, bereavement): a care visit due within
// major_change_hours, created now; it supersedes the open care-plan order.
Result<Mutation> ResidentChange(const RotaCtx& ctx, const v1::ResidentChangeRequest& req);
// The care plan of `r` from its tier and last care visit (or `base_day`
// when it has none): due date, the window's first day (the last working day
// before a due day that is not one, never back to the last visit), and when
// the order is created. Clears the plan when the tier has no interval.
void PlanCare(const RotaCtx& ctx, v1::Resident& r, int32_t base_day);

Result<Mutation> RequestVisit(const RotaCtx& ctx, const v1::VisitRequestRequest& req,
                              uint64_t serial);
Result<Mutation> AssignVisit(const RotaCtx& ctx, const v1::VisitAssignRequest& req);
// The open visits of ctx.away_staff not yet started (assigned, accepted,
// escalated to them, overdue) whose window their leave (ctx.away_leave)
// covers — every one still ahead on a departure — dispatched again as a
// new request is (visit.assigned, or visit.escalated to the leader on
// duty), `cause` in the history and the event. REQUIRES: ctx.away_staff.
void RedispatchAway(const RotaCtx& ctx, const std::string& cause, Mutation* m);
Result<Mutation> ActOnVisit(const RotaCtx& ctx, const v1::VisitActRequest& req, uint64_t serial);
// Deadlines, window ends and care orders due at ctx.now (at most `limit`).
Mutation FireVisitTimers(const RotaCtx& ctx, size_t limit);

Status ListVisits(const RotaCtx& ctx, const v1::VisitListRequest& req, v1::VisitListReply* out);
// Residents (cards) of a center / category / overdue, paged by id.
Status ListResidents(const RotaCtx& ctx, const v1::ResidentListRequest& req,
                     v1::ResidentListReply* out);
Status PlanVisits(const RotaCtx& ctx, const v1::VisitPlanRequest& req, v1::VisitListReply* out);

}  // namespace zhiban::domain
