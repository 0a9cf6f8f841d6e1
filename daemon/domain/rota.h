// Duty rotas: turning each center's required windows (policy.h Slot) into
// concrete shifts with named staff, keeping them legal (working-time rules,
// leave, roles, skills, home/cover centers) and fair, and the timers that
// tell people in time (reminders, handoffs, no-shows).
//
// Pure like the rest of domain/: every command is a function of the State
// that refuses with a Status or returns a Mutation; the RotaBook holds the
// records plus the indexes the engine needs (per-staff loads for the rule
// checks, the timer queue), kept by Put/Erase.
//
// Times inside the engine are whole seconds since the epoch (int64): shifts
// start and end on minutes, and a year of a city is a million of them.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "daemon/base/clock.h"
#include "daemon/base/date.h"
#include "daemon/base/status.h"
#include "daemon/domain/mutation.h"
#include "daemon/domain/timers.h"
#include "zhiban/v1/ctl.pb.h"
#include "zhiban/v1/rota.pb.h"

namespace zhiban::domain {

struct State;

// When the timers of a published shift are due (zhiband.toml [rota]).
struct RotaOptions {
  uint32_t reminder_eve_minute = 20 * 60;  // local time the evening before
  uint32_t reminder_before_minutes = 60;
  uint32_t checkin_grace_minutes = 10;
  uint32_t publish_notice_days = 7;  // publishing later than this before the month warns
  // AB岗: the most posts one person backs up at any one time, all at one
  // center (a person can be called to one place at a time).
  uint32_t max_backup_posts = 1;
  // A person's on-site shifts at one center that follow each other with at
  // most this long between them are one duty period (值班时段): one check-in,
  // one reminder, one no-show. 120 min spans a lunch break.
  uint32_t duty_period_gap_minutes = 120;
};

// Working-time rules resolved for one person at one center (defaults from
// DESIGN.md §2: 8 h a day + 3 h overtime, 40 h a week, 36 h overtime a
// month, 11 h rest, at most 6 consecutive days, 1 rest day a week).
struct Rules {
  uint32_t daily_standard = 480;
  uint32_t daily_overtime = 180;
  uint32_t weekly_standard = 2400;
  uint32_t monthly_overtime = 2160;
  uint32_t min_rest = 660;
  uint32_t max_consecutive = 6;
  uint32_t min_rest_days_week = 1;
  v1::OvertimePay overtime_pay = v1::OVERTIME_PAY_LABOUR_LAW;  // resolved: never unspecified
  v1::WorkingTime working_time = v1::WORKING_TIME_STANDARD;
  v1::ComprehensivePeriod period = v1::COMPREHENSIVE_PERIOD_MONTH;
  std::optional<uint32_t> day_max;  // unset: daily_standard + daily_overtime
  v1::OvertimeCount monthly_counts = v1::OVERTIME_COUNT_ALL;
  v1::OnCallCount on_call = v1::ON_CALL_COUNT_ALLOWANCE;
  uint32_t on_call_allowance_fen = 0;
  // The person's rest week (the staff record's), for the rules that tell a
  // rest day from a working day by the day's type: REGULAR, weekends and
  // HOLIDAY days; FIXED, the rest weekdays (bit 0 Monday) and HOLIDAY days;
  // ROTA, HOLIDAY days only.
  v1::RestWeek rest_week = v1::REST_WEEK_REGULAR;
  uint8_t rest_weekdays = 0;

  bool comprehensive() const { return working_time == v1::WORKING_TIME_COMPREHENSIVE; }
  uint32_t DayMax() const { return day_max.value_or(daily_standard + daily_overtime); }
  // Whether `day` (a DayNumber, of the given day type) is off for the person.
  bool OffDay(int32_t day, bool weekend, bool holiday) const;
};

// Parses rules TOML (top-level keys are the defaults; [employment.<TYPE>]
// and [center.<id>] override key by key). Keys are in hours or days:
// daily_standard_hours, daily_overtime_hours, weekly_standard_hours,
// monthly_overtime_hours, min_rest_hours, max_consecutive_days,
// min_rest_days_per_week; overtime_pay ("labour_law", "comp_time",
// "subsidy", "none"; unset: by employment type). Errors name file:line.
Result<v1::WorkRulesConfig> ParseRulesToml(std::string_view toml, std::string_view source);
Rules ResolveRules(const v1::WorkRulesConfig& cfg, const v1::Staff& staff, std::string_view center);
// How long one leave of `kind` may be: the rules' [leave.<KIND>], else the
// national law's (none for PATERNITY, which only provinces set, and for the
// kinds without a fixed length: then not checked).
std::optional<v1::LeaveLength> LeaveLengthOf(const v1::WorkRulesConfig& cfg, v1::LeaveKind kind);

// Whether `l` frees its person over [start, end) (seconds) on a day it
// covers: always for whole days; for a half day, when the interval overlaps
// its half (上午 until 12:00 Beijing time, UTC+8; 下午 from 12:00).
bool LeaveCovers(const v1::Leave& l, int64_t start, int64_t end);
// Whether two leaves of one person share a day (a morning and an afternoon
// of the same day do not).
bool LeavesOverlap(const v1::Leave& a, const v1::Leave& b);

// What the engine needs of a shift, in seconds and day numbers.
struct ShiftFacts {
  int64_t start = 0, end = 0;
  int32_t day = 0;      // DayNumber of the local date it starts on
  bool working = true;  // ON_CALL (reachable, not on site) is not working time
  bool weekend = false, holiday = false, evening = false;
  uint32_t minutes() const { return static_cast<uint32_t>((end - start) / 60); }
};
ShiftFacts FactsOf(const v1::Shift& s);

// Every shift of a center starting at one local time of a date shares this
// prefix of its id: <center>/<date>/<HHMM>- (then <KIND>-<pos>).
std::string ShiftIdPrefix(std::string_view center, std::string_view date, uint32_t minute);

// One person's load: intervals for overlap checks, minutes per day for the
// rules, counts for fairness (whole history: fairness spans months and years).
struct StaffLoad {
  struct Day {
    uint32_t minutes = 0;
    int64_t first_start = 0, last_end = 0;  // of working shifts; valid when minutes > 0
    uint16_t working = 0;                   // working shifts that day
  };
  std::multimap<int64_t, ShiftFacts> intervals;  // by start
  std::unordered_map<int32_t, Day> days;
  std::unordered_map<int32_t, uint16_t> weekend_days, holiday_days;  // shifts per such day
  uint32_t evenings = 0;
  uint64_t minutes = 0;

  void Add(const ShiftFacts& f);
  void Remove(const ShiftFacts& f);
  const Day* DayAt(int32_t day) const {
    auto it = days.find(day);
    return it == days.end() || it->second.working == 0 ? nullptr : &it->second;
  }
};

// Why `staff` may not work a shift with `facts`, given `load` (which must not
// already contain it). Empty when the rules allow it.
std::vector<std::string> RuleBreaches(const StaffLoad& load, const Rules& rules,
                                      const ShiftFacts& facts);

class RotaBook {
 public:
  using ShiftMap = std::map<std::string, v1::Shift, std::less<>>;
  const ShiftMap& shifts() const { return shifts_; }
  const std::map<std::string, v1::Rotation, std::less<>>& rotations() const { return rotations_; }
  const std::map<std::string, v1::Leave, std::less<>>& leave() const { return leave_; }
  const std::map<std::string, v1::ShiftSwap, std::less<>>& swaps() const { return swaps_; }
  const std::map<std::string, v1::LeaveRequest, std::less<>>& leave_requests() const {
    return leave_requests_;
  }
  const v1::WorkRulesConfig& rules() const { return rules_; }
  const std::map<std::string, v1::PublishedMonth, std::less<>>& months() const { return months_; }
  const TimerIndex& timers() const { return timers_; }
  const RotaOptions& options() const { return options_; }

  const v1::Shift* FindShift(std::string_view id) const;
  const StaffLoad* Load(std::string_view staff) const;
  // Leave of `staff` that frees them on `day` (the date a shift starts on)
  // over [start, end): a whole-day leave, or a half day whose half the
  // interval overlaps (start == end: any leave on the day).
  const v1::Leave* LeaveOn(std::string_view staff, int32_t day, int64_t start = 0,
                           int64_t end = 0) const;
  // Every leave of `staff`.
  std::vector<const v1::Leave*> LeavesOf(std::string_view staff) const;
  // The shifts `staff` backs up (AB岗, backup_id) starting in [from, to), by
  // start. Defined in rota_backup.cpp.
  std::vector<const v1::Shift*> BackedShifts(std::string_view staff, int64_t from,
                                             int64_t to) const;
  bool MonthPublished(std::string_view center, std::string_view month) const;
  // Shifts of a center whose date is within [from, to], in id order.
  std::vector<const v1::Shift*> CenterShifts(std::string_view center, Date from, Date to) const;
  // Shift ids of a staff member, by start.
  std::vector<const v1::Shift*> StaffShifts(std::string_view staff, int64_t from, int64_t to) const;
  // The duty period of an on-site shift: the assignee's on-site shifts at the
  // same center chained to it by gaps of at most duty_period_gap_minutes.
  // PeriodBefore: the shift of the period just before `s` (nullptr: `s`
  // opens its period). PeriodFrom: `s` and the period's shifts after it.
  const v1::Shift* PeriodBefore(const v1::Shift& s) const;
  std::vector<const v1::Shift*> PeriodFrom(const v1::Shift& s) const;
  // When timer `bit` (a v1::ShiftTimer) of a published shift is due, in
  // seconds since the epoch: the one rule the timer index and publication share.
  int64_t TimerDue(const v1::Shift& s, uint32_t bit) const;

  void SetOptions(const RotaOptions& o) { options_ = o; }
  void PutShift(v1::Shift s);
  void EraseShift(std::string_view id);
  void PutRotation(v1::Rotation r) { rotations_[r.id()] = std::move(r); }
  void EraseRotation(std::string_view id);
  void PutLeave(v1::Leave l);
  void EraseLeave(std::string_view id);
  void PutSwap(v1::ShiftSwap s) { swaps_[s.id()] = std::move(s); }
  void PutLeaveRequest(v1::LeaveRequest r) { leave_requests_[r.id()] = std::move(r); }
  void SetRules(v1::WorkRulesConfig r) { rules_ = std::move(r); }
  void PutMonth(v1::PublishedMonth m);

 private:
  void Index(const v1::Shift& s, int sign);

  ShiftMap shifts_;
  std::map<std::string, v1::Rotation, std::less<>> rotations_;
  std::map<std::string, v1::Leave, std::less<>> leave_;
  std::map<std::string, v1::ShiftSwap, std::less<>> swaps_;
  std::map<std::string, v1::LeaveRequest, std::less<>> leave_requests_;
  v1::WorkRulesConfig rules_;
  std::map<std::string, v1::PublishedMonth, std::less<>> months_;  // key center/month
  RotaOptions options_;
  // Derived.
  std::unordered_map<std::string, StaffLoad> loads_;
  std::unordered_map<std::string, std::set<std::pair<int64_t, std::string>>>
      by_staff_;  // start, shift id
  std::unordered_map<std::string, std::set<std::pair<int64_t, std::string>>>
      by_backup_;  // start, shift id of the shifts each person backs up
  std::unordered_map<std::string, std::vector<std::string>> leave_by_staff_;
  TimerIndex timers_;  // TimerKind::kShift
};

// Planning context every command needs besides the state.
struct RotaCtx {
  const State& state;
  const Zones& zones;
  TimePoint now;
  std::string actor;
  // The person the command being planned takes off duty while `state` still
  // shows them on it: the leave being added (`away_leave`), or with no leave
  // a departure, from now on. Nobody names them backup, visit assignee or
  // leader on duty for what that frees them from (AwayFrom).
  std::string away_staff;
  const v1::Leave* away_leave = nullptr;
};

// Whether `staff` is off for shift `s`: a leave the state holds frees them
// from it, or ctx.away_staff is `staff` (their leave covers it, or they
// depart before it ends).
bool AwayFrom(const RotaCtx& ctx, std::string_view staff, const v1::Shift& s);

struct PlanCounts {
  uint32_t shifts = 0, assigned = 0, gaps = 0, kept = 0;
  std::vector<std::pair<v1::Shift, std::string>> gap_list;  // shift, reason (first 100)
  // Published shifts changed (a fill staffing a published gap; a window of a
  // published month a change made or moved), announced.
  uint32_t changed = 0;
  std::vector<v1::Shift> changed_list;  // as they are now (first 100)
  // Shifts outside the plan whose AB岗 backup the plan put on duty at the
  // same time: they get another backup, or none (rota_backup.cpp).
  uint32_t backups_freed = 0;
  // Rotation turns their member could not take (Shift.turn_skipped).
  uint32_t turns_skipped = 0;
  // Unpublished shifts ahead that had an assignee and now have another or
  // none; the first 100 as they are now, with who held them before.
  uint32_t reassigned = 0;
  // Published shifts not begun whose window a change (a policy version, a
  // closure, the calendar) removed: cancelled, their people told.
  uint32_t cancelled = 0;
  std::vector<std::pair<v1::Shift, std::string>> reassigned_list;
};

Result<Mutation> SetRotation(const RotaCtx& ctx, v1::Rotation r);
Result<Mutation> RemoveRotation(const RotaCtx& ctx, std::string_view id);
// Creates or re-plans the shifts of [from, to]: rotations first, then the
// assignment a shift already had while it is still within the rules (unless
// req.fresh), then (fill) auto-fill. Past and published shifts are left
// alone, except that
// fill_only (rota fill) staffs the gaps of published shifts not yet begun as
// it staffs any gap, announcing each (shift.changed, coverage.restored) and
// counting it in counts->changed.
Result<Mutation> GenerateRota(const RotaCtx& ctx, const v1::RotaGenerateRequest& req,
                              PlanCounts* counts);
// The published months, from `today` on, whose required windows mutation `m`
// changes (a policy version, an assignment, a calendar exception or year):
// one rota fill (fill_only) each over the days reached, which the core runs
// right after `m` so a published month follows its windows (rota_follow.cpp).
std::vector<v1::RotaGenerateRequest> PublishedMonthsTouched(const State& before, const Mutation& m,
                                                            std::string_view today);
// What GenerateRota reads, as copies (state.h, "Snapshots"): every center,
// the calendar, the policies and the working-time rules; the center's
// rotations, published months and shifts of [from, to]; and of everyone it
// may weigh — the center's pool, its rotations' members, the assignees of
// its shifts — the staff record, all their shifts (loads and rest rules
// span centers) and their leave. A unit test holds GenerateRota on these to
// the same result as on the whole state.
Mutation GenerateReads(const State& st, const v1::RotaGenerateRequest& req);
Result<Mutation> OverrideShifts(const RotaCtx& ctx, const v1::RotaOverrideRequest& req,
                                std::vector<v1::Shift>* changed);
Result<Mutation> PublishMonth(const RotaCtx& ctx, const v1::RotaPublishRequest& req,
                              v1::RotaPublishReply* reply);
Result<Mutation> CheckIn(const RotaCtx& ctx, std::string_view staff);
Result<Mutation> RequestSwap(const RotaCtx& ctx, v1::SwapRequestRequest req, uint64_t serial);
Result<Mutation> DecideSwap(const RotaCtx& ctx, const v1::SwapDecideRequest& req);
// ANNUAL leave beyond the balance of a year it touches, and COMPENSATORY
// leave beyond the comp time left, are refused unless `force` (ctl.proto
// LeaveAddRequest).
Result<Mutation> AddLeave(const RotaCtx& ctx, v1::Leave leave, bool force = false);
Result<Mutation> RemoveLeave(const RotaCtx& ctx, std::string_view id);
// 请假申请 (rota_leave_requests.cpp). RequestLeave checks `leave` as AddLeave
// does (never forced), plans it with AddLeave without applying it, and
// stores a PENDING LeaveRequest with the shifts it would open and their
// covers (id "leave-<serial>" when unset); topic leave.requested, to the
// leader to decide. DecideLeave approves (AddLeave, re-planned now, the
// differences named in the request's `changes`), rejects (a reason
// required) or withdraws a PENDING request. Who may do which is the command
// table's (daemon/core/commands_rota.cpp); ctx.actor is recorded.
Result<Mutation> RequestLeave(const RotaCtx& ctx, v1::Leave leave, uint64_t serial);
Result<Mutation> DecideLeave(const RotaCtx& ctx, const v1::LeaveDecideRequest& req);
Result<Mutation> SetRules(const RotaCtx& ctx, std::string_view toml, std::string_view source);
// A departing person's future shifts become gaps (to the backup first);
// rotations drop them. Appended to the staff_remove mutation.
void ReleaseStaff(const RotaCtx& ctx, std::string_view staff, Mutation* m);

// A shift outside the generated plan (an appointment booked into an
// APPOINTMENT window; id and times set by the caller): staffed by
// auto-fill's choice (the center's pool, roles, skills, leave, every
// working-time rule), published with its month (shift.assigned), added to
// `m`. Fails naming why the first few people cannot take it. Generation
// leaves APPOINTMENT shifts alone.
Result<v1::Shift> StaffExtraShift(const RotaCtx& ctx, v1::Shift s, Mutation* m);
// Deletes a shift; shift.cancelled when it was published.
void CancelShift(const RotaCtx& ctx, const v1::Shift& s, const std::string& reason, Mutation* m);

// Timers due at ctx.now (at most `limit`), fired: events plus the shifts
// with their timers_fired bits set, in one mutation.
Mutation FireTimers(const RotaCtx& ctx, size_t limit);

// Queries.
Status CheckRota(const RotaCtx& ctx, const v1::RotaCheckRequest& req, v1::RotaCheckReply* out);
Status RotaNow(const RotaCtx& ctx, const v1::RotaNowRequest& req, v1::RotaNowReply* out);
Status Ledger(const RotaCtx& ctx, const v1::LedgerRequest& req, v1::LedgerReply* out);
// Annual leave (年休假) entitled, taken and left (ctl.proto LeaveBalanceRequest).
Status LeaveBalance(const RotaCtx& ctx, const v1::LeaveBalanceRequest& req,
                    v1::LeaveBalanceReply* out);
Status AnnualLeave(const State& st, const v1::Staff& p, int year, v1::LeaveBalanceReply* out);
// The leader on duty at a center at `t`, if any: a LEADER holding a shift
// there at `t` (one whose window asks for a LEADER first), never one away
// from it (AwayFrom) nor `skip` (the absent person a gap or no-show is
// about: nobody is alarmed about their own absence).
const v1::Staff* LeaderOnDuty(const RotaCtx& ctx, std::string_view center, int64_t t,
                              std::string_view skip = {});
// The leader to alarm about a gap, no-show or unaccepted visit at `center`:
// the LeaderOnDuty there at the first of `times` that has one, else at its
// parent center, and so on up the tree (network.h's kMaxTreeDepth bounds
// the walk, so a loop in parent ids ends it). Never `skip` nor anyone away.
// Null when no center up to the root has one.
const v1::Staff* LeaderToAlarm(const RotaCtx& ctx, std::string_view center,
                               std::initializer_list<int64_t> times, std::string_view skip = {});

}  // namespace zhiban::domain
