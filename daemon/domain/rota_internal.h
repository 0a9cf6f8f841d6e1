// Internal to the rota engine: what its files (daemon/domain/rota_*.cpp)
// share. Not part of rota.h's interface; nothing else includes it.
//
// The seconds and staff-matching helpers are domain-wide (common.h). The
// small helpers here are inline; Ineligible, PoolOf and BestCandidate
// are defined in rota_loads.cpp, ShiftId and NewShift in rota_generate.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "daemon/base/date.h"
#include "daemon/base/status.h"
#include "daemon/domain/mutation.h"
#include "daemon/domain/network.h"
#include "daemon/domain/policy.h"
#include "daemon/domain/rota.h"
#include "daemon/domain/state.h"

namespace zhiban::domain::rota_internal {

inline constexpr int kMaxRangeDays = 366;

// Minutes as hours in rule texts: 8h, 7.5h.
// The minutes of a daily standard that one day of leave `l` takes: all of
// it, or for a half day the morning's larger half and the afternoon's
// smaller one (a morning and an afternoon make a whole day, odd or not).
inline uint32_t LeaveDayMinutes(const v1::Leave& l, uint32_t daily) {
  switch (l.half()) {
    case v1::LEAVE_HALF_MORNING:
      return (daily + 1) / 2;
    case v1::LEAVE_HALF_AFTERNOON:
      return daily / 2;
    default:
      return daily;
  }
}

// " (morning)", " (afternoon)", or "" for whole days: said after a leave's dates.
inline const char* HalfNote(const v1::Leave& l) {
  switch (l.half()) {
    case v1::LEAVE_HALF_MORNING:
      return " (morning)";
    case v1::LEAVE_HALF_AFTERNOON:
      return " (afternoon)";
    default:
      return "";
  }
}

inline std::string Hours(int64_t minutes) {
  return minutes % 60 ? fmt::format("{:.1f}h", minutes / 60.0) : fmt::format("{}h", minutes / 60);
}

// The Monday of a day number's ISO week (1970-01-01, day 0, was a Thursday).
inline int32_t MondayOf(int32_t day) { return day - ((day + 3) % 7); }

// The day number of an ISO date (YYYY-MM-DD...); 0 when shorter. Our own
// records hold well-formed ISO dates; parse without allocating.
inline int32_t DayOf(std::string_view iso) {
  auto num = [&](size_t pos, size_t n) {
    int v = 0;
    for (size_t i = pos; i < pos + n && i < iso.size(); ++i) v = v * 10 + (iso[i] - '0');
    return v;
  };
  if (iso.size() < 10) return 0;
  return DayNumber(std::chrono::year(num(0, 4)) / std::chrono::month(num(5, 2)) /
                   std::chrono::day(num(8, 2)));
}

// Minutes after midnight of a well-formed "HH:MM"; 0 when shorter.
inline uint32_t ClockMinute(std::string_view hhmm) {
  if (hhmm.size() < 5) return 0;
  return static_cast<uint32_t>(((hhmm[0] - '0') * 10 + (hhmm[1] - '0')) * 60 +
                               (hhmm[3] - '0') * 10 + (hhmm[4] - '0'));
}

// ---- events

// An event of `center` with no body or topic yet.
inline v1::Event NewEvent(std::string_view center) {
  v1::Event e;
  e.set_center_id(std::string(center));
  return e;
}

// Adds the event to `m` (its topic comes from its body).
inline void Emit(Mutation* m, v1::Event e) { m->Emit(std::move(e)); }

// The staff member `id`; null when `id` is empty or unknown.
inline const v1::Staff* StaffOrNull(const Network& net, std::string_view id) {
  return id.empty() ? nullptr : net.FindStaff(id);
}

// Copies the staff member `id` into `out`; leaves it alone when there is none.
inline void SetStaff(const Network& net, std::string_view id, v1::Staff* out) {
  if (const auto* st = StaffOrNull(net, id)) *out = *st;
}

// Tells that published shift `s` is now held by `person` instead of
// `previous` (empty: it was a gap): shift.changed with `reason`, and for a
// gap coverage.restored. Defined in rota_edits.cpp.
void AnnounceStaffed(const Network& net, const v1::Shift& s, const v1::Staff& person,
                     std::string_view previous, const std::string& reason, Mutation* m);

// ---- eligibility (rota_loads.cpp)

// Hard eligibility (not forceable): center, roles, skills, leave. Why `st`
// may not take `s` on `day`, or empty.
std::string Ineligible(const RotaBook& book, const v1::Staff& st, const v1::Shift& s, int32_t day);

// One AB岗 post a person holds: the shift they back up, by its start.
struct BackupPost {
  int64_t end = 0;
  std::string center, shift;
};
using BackupPosts = std::multimap<int64_t, BackupPost>;  // by start

// Copies of the loads (and AB岗 posts) of the people a plan touches,
// changed as it goes.
class Overlay {
 public:
  Overlay(const RotaBook& book, const Network& net) : book_(book), net_(net) {}
  StaffLoad& Of(const std::string& staff) {
    auto it = loads_.find(staff);
    if (it != loads_.end()) return it->second;
    const StaffLoad* base = book_.Load(staff);
    return loads_.emplace(staff, base ? *base : StaffLoad{}).first->second;
  }
  const Rules& RulesOf(const v1::Staff& st, std::string_view center) {
    auto key = st.id() + '\n' + std::string(center);
    auto it = rules_.find(key);
    if (it == rules_.end()) it = rules_.emplace(key, ResolveRules(book_.rules(), st, center)).first;
    return it->second;
  }
  // Why `st` cannot take `s` (hard reasons first), or empty.
  std::vector<std::string> Why(const v1::Staff& st, const v1::Shift& s, const ShiftFacts& f) {
    if (auto r = Ineligible(book_, st, s, f.day); !r.empty()) return {r};
    return RuleBreaches(Of(st.id()), RulesOf(st, s.center_id()), f);
  }
  bool HardOk(const v1::Staff& st, const v1::Shift& s, const ShiftFacts& f) const {
    return Ineligible(book_, st, s, f.day).empty();
  }
  const Network& net() const { return net_; }
  // The shifts `staff` backs up, as the plan has them so far; AddPost and
  // RemovePost change them (rota_backup.cpp).
  const BackupPosts& PostsOf(const std::string& staff);
  void AddPost(const std::string& staff, const v1::Shift& s);
  void RemovePost(const std::string& staff, const v1::Shift& s);

 private:
  const RotaBook& book_;
  const Network& net_;
  std::unordered_map<std::string, StaffLoad> loads_;
  std::unordered_map<std::string, BackupPosts> posts_;
  std::unordered_map<std::string, Rules> rules_;
};

// The staff who may work at a center, in id order.
std::vector<const v1::Staff*> PoolOf(const Network& net, std::string_view center);

// Auto-fill's choice: the eligible person with the fewest duties of the
// shift's kind so far (weekend days, holiday days, evenings; then minutes),
// ties by id. `skip` is not considered (the current assignee). Null when
// nobody in `pool` may take `s`.
const v1::Staff* BestCandidate(Overlay& ov, const std::vector<const v1::Staff*>& pool,
                               const v1::Shift& s, const ShiftFacts& f, std::string_view skip = {});

// ---- AB岗 backups (rota_backup.cpp)

// Why `posts` (one person's) leave no room to back up `s` as well: a post
// overlapping it at another center, or max_posts of them overlapping it at
// one time. Empty when there is room.
std::string PostsConflict(const BackupPosts& posts, const v1::Shift& s, uint32_t max_posts);

// Whether `p` may back up `s` (AB岗) as the plan `ov` stands: not its
// assignee, not away (leave, ctx.away_staff), free of duty overlapping it
// (ON_CALL beside on-site duty excepted, as for assignments), room among
// their posts (PostsConflict, rota.max_backup_posts) and able to take it
// over within the roles, skills and working-time rules.
bool MayBackUp(const RotaCtx& ctx, Overlay& ov, const v1::Staff& p, const v1::Shift& s,
               const ShiftFacts& f);

// The AB岗 backup planning names for `s` (its assignee set, or a gap): the
// first of `rot`'s members from `first` on who MayBackUp, else auto-fill's
// choice among the center's pool who may; never `skip`. Null when nobody
// may: an empty backup is honest, a busy one is not.
const v1::Staff* PickBackup(const RotaCtx& ctx, Overlay& ov, const v1::Shift& s,
                            const v1::Rotation* rot, int first, std::string_view skip = {});

// A shift whose backup `gone` may no longer back it up (leave, departure,
// on duty elsewhere): another by PickBackup (the shift's rotation from the
// member after `gone`, when the rotation made the shift), or none. Updates
// `ov`'s posts; a published shift says which in shift.changed with `reason`;
// the shift goes into `m`.
void ReplaceBackup(const RotaCtx& ctx, Overlay& ov, v1::Shift s, const std::string& reason,
                   Mutation* m);

// Why the backup of `s`, as the state holds it, cannot back it up, for rota
// check: (rule, detail) pairs, rule "backup_on_duty" (an overlapping shift
// of theirs, ON_CALL beside on-site excepted), "backup_on_leave" or
// "backup_posts" (PostsConflict). Empty for a free backup or none.
std::vector<std::pair<std::string, std::string>> BackupProblems(const RotaCtx& ctx,
                                                                const v1::Shift& s);

// ---- planned shifts (rota_generate.cpp)

// The id of the shift at `pos` of a required window: ShiftIdPrefix, then
// <KIND>-<pos>.
std::string ShiftId(std::string_view center, const Slot& slot, uint32_t pos);

// The unassigned shift at `pos` of a required window (its share of the
// window's roles and skills); `holiday` names a HOLIDAY date.
v1::Shift NewShift(std::string_view center, const Slot& slot, uint32_t pos,
                   const std::string& holiday);

// ---- arguments

// The date `text`; InvalidArgument on `field` when it is not one.
inline Result<Date> DateArg(const std::string& text, const char* field) {
  auto d = ParseDate(text);
  if (!d.ok()) return Status::InvalidArgument(field, d.status().message());
  return d;
}

// The range [from, to] (`to` empty: one day), at most kMaxRangeDays + 1 days.
inline Status RangeArgs(const std::string& from, const std::string& to, Date* f, Date* t) {
  ZB_ASSIGN_OR_RETURN(auto a, DateArg(from, "from"));
  ZB_ASSIGN_OR_RETURN(auto b, to.empty() ? a : DateArg(to, "to"));
  if (DayNumber(b) < DayNumber(a)) return Status::InvalidArgument("to", "is before from");
  if (DayNumber(b) - DayNumber(a) > kMaxRangeDays) {
    return Status::InvalidArgument("to",
                                   fmt::format("a range is at most {} days", kMaxRangeDays + 1));
  }
  *f = a;
  *t = b;
  return {};
}

// OK when the center `id` (the field center_id) is given and exists.
inline Status NeedCenter(const State& st, const std::string& id) {
  if (id.empty()) return Status::InvalidArgument("center_id", "is required");
  if (!st.network.FindCenter(id)) {
    return Status::NotFound("center_id", fmt::format("center \"{}\" does not exist", id));
  }
  return {};
}

// The staff member `id` (the field `field`), which must be given and exist.
inline Result<const v1::Staff*> NeedStaff(const State& st, const std::string& id,
                                          const char* field) {
  if (id.empty()) return Status::InvalidArgument(field, "is required");
  const auto* s = st.network.FindStaff(id);
  if (!s) return Status::NotFound(field, fmt::format("staff \"{}\" does not exist", id));
  return s;
}

}  // namespace zhiban::domain::rota_internal
