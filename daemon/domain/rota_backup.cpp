// AB岗 backups at planning time (rota_internal.h): a backup is someone who
// could be called to the post then — not on duty elsewhere in its window,
// not on leave, and backing up at most rota.max_backup_posts posts at a
// time, all at one center (issue 36: one person was backup for 5 posts at
// once across 3 centers). Also the index of the shifts a person backs up.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "daemon/domain/common.h"
#include "daemon/domain/rota.h"
#include "daemon/domain/rota_internal.h"

namespace zhiban::domain {

using common::kDay;
using common::Sec;

std::vector<const v1::Shift*> RotaBook::BackedShifts(std::string_view staff, int64_t from,
                                                     int64_t to) const {
  std::vector<const v1::Shift*> out;
  auto it = by_backup_.find(std::string(staff));
  if (it == by_backup_.end()) return out;
  for (auto j = it->second.lower_bound({from, {}}); j != it->second.end() && j->first < to; ++j) {
    if (const auto* s = FindShift(j->second)) out.push_back(s);
  }
  return out;
}

namespace rota_internal {

const BackupPosts& Overlay::PostsOf(const std::string& staff) {
  auto it = posts_.find(staff);
  if (it != posts_.end()) return it->second;
  BackupPosts posts;
  for (const auto* s : book_.BackedShifts(staff, std::numeric_limits<int64_t>::min(),
                                          std::numeric_limits<int64_t>::max())) {
    posts.emplace(Sec(s->start()), BackupPost{Sec(s->end()), s->center_id(), s->id()});
  }
  return posts_.emplace(staff, std::move(posts)).first->second;
}

void Overlay::AddPost(const std::string& staff, const v1::Shift& s) {
  PostsOf(staff);
  posts_[staff].emplace(Sec(s.start()), BackupPost{Sec(s.end()), s.center_id(), s.id()});
}

void Overlay::RemovePost(const std::string& staff, const v1::Shift& s) {
  PostsOf(staff);
  auto& posts = posts_[staff];
  auto [lo, hi] = posts.equal_range(Sec(s.start()));
  for (auto it = lo; it != hi; ++it) {
    if (it->second.shift == s.id()) {
      posts.erase(it);
      return;
    }
  }
}

std::string PostsConflict(const BackupPosts& posts, const v1::Shift& s, uint32_t max_posts) {
  const int64_t start = Sec(s.start()), end = Sec(s.end());
  // Shifts are at most a day or two long (RuleBreaches looks back as far).
  std::vector<std::pair<int64_t, int>> edges;
  for (auto it = posts.lower_bound(start - 2 * kDay); it != posts.end() && it->first < end; ++it) {
    const BackupPost& q = it->second;
    if (q.shift == s.id() || q.end <= start) continue;
    if (q.center != s.center_id()) {
      return fmt::format("already backs up {} at {} at the same time", q.shift, q.center);
    }
    edges.emplace_back(std::max(it->first, start), +1);
    edges.emplace_back(std::min(q.end, end), -1);
  }
  std::sort(edges.begin(), edges.end());  // an end before a start at the same second
  int depth = 0, most = 0;
  for (const auto& [t, d] : edges) {
    depth += d;
    most = std::max(most, depth);
  }
  if (static_cast<uint32_t>(most) + 1 > max_posts) {
    return fmt::format("already backs up {} post(s) at that time (rota.max_backup_posts is {})",
                       most, max_posts);
  }
  return {};
}

bool MayBackUp(const RotaCtx& ctx, Overlay& ov, const v1::Staff& p, const v1::Shift& s,
               const ShiftFacts& f) {
  if (p.id() == s.assignee_id() || AwayFrom(ctx, p.id(), s)) return false;
  if (!PostsConflict(ov.PostsOf(p.id()), s, ctx.state.rota.options().max_backup_posts).empty())
    return false;
  // The overlap rule of an assignment is the "on duty elsewhere" rule of a
  // backup: on-site beside on-site, on call beside on call.
  return ov.Why(p, s, f).empty();
}

const v1::Staff* PickBackup(const RotaCtx& ctx, Overlay& ov, const v1::Shift& s,
                            const v1::Rotation* rot, int first, std::string_view skip) {
  const auto& net = ctx.state.network;
  const ShiftFacts f = FactsOf(s);
  if (rot) {
    const int n = rot->members_size();
    for (int k = 0; k < n; ++k) {
      const auto* p = StaffOrNull(net, rot->members((first + k) % n));
      if (p && p->id() != skip && MayBackUp(ctx, ov, *p, s, f)) return p;
    }
  }
  // Auto-fill's choice among those free to back it up (BestCandidate checks
  // the roles, skills, leave and rules again, least loaded first).
  auto pool = PoolOf(net, s.center_id());
  const uint32_t max_posts = ctx.state.rota.options().max_backup_posts;
  std::erase_if(pool, [&](const v1::Staff* p) {
    return p->id() == skip || p->id() == s.assignee_id() || AwayFrom(ctx, p->id(), s) ||
           !PostsConflict(ov.PostsOf(p->id()), s, max_posts).empty();
  });
  return BestCandidate(ov, pool, s, f, s.assignee_id());
}

void ReplaceBackup(const RotaCtx& ctx, Overlay& ov, v1::Shift s, const std::string& reason,
                   Mutation* m) {
  const auto& st = ctx.state;
  const auto& net = st.network;
  const std::string gone = s.backup_id();
  if (!gone.empty()) ov.RemovePost(gone, s);
  s.clear_backup_id();
  const v1::Rotation* rot = nullptr;
  int first = 0;
  auto r = st.rota.rotations().find(s.rotation_id());
  if (s.source() == v1::ROTATION && r != st.rota.rotations().end() && !r->second.no_backup()) {
    rot = &r->second;
    const auto& members = rot->members();
    const auto at = std::find(members.begin(), members.end(), gone);
    first = at == members.end() ? 0 : int(at - members.begin()) + 1;
  }
  const v1::Staff* next = PickBackup(ctx, ov, s, rot, first, gone);
  if (next) {
    s.set_backup_id(next->id());
    ov.AddPost(next->id(), s);
  }
  if (s.published()) {
    auto e = NewEvent(s.center_id());
    auto* b = e.mutable_shift_changed();
    *b->mutable_shift() = s;
    SetStaff(net, s.assignee_id(), b->mutable_staff());
    SetStaff(net, s.assignee_id(), b->mutable_previous());
    SetStaff(net, s.backup_id(), b->mutable_backup());
    SetStaff(net, gone, b->mutable_previous_backup());
    b->set_reason(
        next ? fmt::format("{}: {} is the AB岗 backup instead of {}", reason, next->id(), gone)
             : fmt::format("{}: {} no longer backs it up and nobody else may, so it "
                           "has no AB岗 backup",
                           reason, gone));
    Emit(m, std::move(e));
  }
  m->shifts_put.push_back(std::move(s));
}

std::vector<std::pair<std::string, std::string>> BackupProblems(const RotaCtx& ctx,
                                                                const v1::Shift& s) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string& b = s.backup_id();
  if (b.empty()) return out;
  const auto& book = ctx.state.rota;
  const int64_t start = Sec(s.start()), end = Sec(s.end());
  const bool working = s.kind() != v1::ON_CALL;
  if (b == s.assignee_id()) {
    out.emplace_back("backup_on_duty",
                     fmt::format("backup_on_duty: {} backs up their own shift", b));
  }
  for (const auto* x : book.StaffShifts(b, start - 2 * kDay, end)) {
    if (x->id() == s.id() || Sec(x->end()) <= start || (x->kind() != v1::ON_CALL) != working)
      continue;
    out.emplace_back(
        "backup_on_duty",
        fmt::format("backup_on_duty: {} is on duty at {} {} {}-{} ({})", b, x->center_id(),
                    x->date(), x->start_local(), x->end_local(), x->id()));
    break;
  }
  if (const auto* l = book.LeaveOn(b, DayOf(s.date()), start, end)) {
    out.emplace_back("backup_on_leave",
                     fmt::format("backup_on_leave: {} is on leave {} ({}) {}..{}{}", b, l->id(),
                                 v1::LeaveKind_Name(l->kind()), l->from(), l->to(), HalfNote(*l)));
  }
  BackupPosts posts;
  for (const auto* x : book.BackedShifts(b, start - 2 * kDay, end))
    posts.emplace(Sec(x->start()), BackupPost{Sec(x->end()), x->center_id(), x->id()});
  if (auto why = PostsConflict(posts, s, book.options().max_backup_posts); !why.empty())
    out.emplace_back("backup_posts", fmt::format("backup_posts: {} {}", b, why));
  return out;
}

}  // namespace rota_internal

}  // namespace zhiban::domain
