// Making shifts: rotations, generating the plan from the required windows
// (rotations first, then auto-fill), and shifts outside the plan (rota.h).
#include "daemon/domain/rota.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <google/protobuf/util/message_differencer.h>

#include "daemon/domain/common.h"
#include "daemon/domain/rota_internal.h"

namespace zhiban::domain {

using common::ClockText;
using common::MayWorkAt;
using common::Sec;
using common::Ts;
using rota_internal::AnnounceStaffed;
using rota_internal::BestCandidate;
using rota_internal::ClockMinute;
using rota_internal::DateArg;
using rota_internal::DayOf;
using rota_internal::Emit;
using rota_internal::MayBackUp;
using rota_internal::NeedCenter;
using rota_internal::NewEvent;
using rota_internal::NewShift;
using rota_internal::Overlay;
using rota_internal::PickBackup;
using rota_internal::PoolOf;
using rota_internal::RangeArgs;
using rota_internal::ReplaceBackup;
using rota_internal::SetStaff;
using rota_internal::StaffOrNull;

namespace {

constexpr size_t kMaxRotaGapsListed = 100;

bool Same(const v1::Shift& a, const v1::Shift& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

// A gap of a published month that has not begun, staffed as a fill staffs
// any gap: auto-fill's choice. Its backup is chosen with the others once
// the plan's assignments are known, then the person is told (the month is
// out); of the reminders already due only the last fires, as at a late
// publication. Nullopt when nobody may take it.
std::optional<v1::Shift> FillPublishedGap(const RotaCtx& ctx, Overlay& ov,
                                          const std::vector<const v1::Staff*>& pool,
                                          const v1::Shift& gap) {
  const ShiftFacts f = FactsOf(gap);
  const auto* best = BestCandidate(ov, pool, gap, f);
  if (!best) return std::nullopt;
  v1::Shift s = gap;
  s.set_assignee_id(best->id());
  s.set_source(v1::FILL);
  s.set_forced(false);
  if (ctx.state.rota.TimerDue(s, v1::REMINDER_BEFORE) <= Sec(ctx.now))
    s.set_timers_fired(s.timers_fired() | v1::REMINDER_EVE);
  ov.Of(best->id()).Add(f);
  return s;
}

// Why `member` (the rotation's `member_id`; null when no longer on the
// staff) may not take their turn `s`: leave first (its id and dates, not
// its kind: the bus carries this), then roles, skills and center, then duty
// elsewhere at the time, then the working-time rules.
v1::TurnSkipped TurnSkippedOf(const RotaCtx& ctx, Overlay& ov, const std::string& member_id,
                              const v1::Staff* member, const v1::Shift& s, const ShiftFacts& f) {
  v1::TurnSkipped t;
  t.set_staff_id(member_id);
  if (!member) {
    t.set_reason(v1::TURN_SKIP_GONE);
    t.set_detail("no longer on the staff");
    return t;
  }
  t.set_staff_name(member->name());
  if (const auto* l = ctx.state.rota.LeaveOn(member->id(), f.day, Sec(s.start()), Sec(s.end()))) {
    t.set_reason(v1::TURN_SKIP_LEAVE);
    t.set_detail(fmt::format("on leave {} {}..{}", l->id(), l->from(), l->to()));
    return t;
  }
  const auto why = ov.Why(*member, s, f);
  if (!ov.HardOk(*member, s, f)) {
    t.set_reason(v1::TURN_SKIP_NOT_QUALIFIED);
  } else if (!why.empty() && why.front().starts_with("overlap:")) {
    t.set_reason(v1::TURN_SKIP_ON_DUTY);  // RuleBreaches names a clash "overlap:", alone
  } else {
    t.set_reason(v1::TURN_SKIP_WORK_RULES);
  }
  t.set_detail(fmt::format("{}", fmt::join(why, "; ")));
  return t;
}

// A shift the plan decided, waiting for its AB岗 backup.
struct Planned {
  v1::Shift shift;
  const v1::Shift* old = nullptr;  // as the state holds it
  // The rotation that names the backup (its members in turn from `first`).
  const v1::Rotation* rot = nullptr;
  int first = 0;
  bool published_fill = false;  // FillPublishedGap's: announced once backed up
  // A shift of a published month, not begun, that a change of the required
  // windows (a policy version, a closure, the calendar) made or moved:
  // published as planned and announced once backed up. `was` is the
  // published shift it replaces (same day, kind and place; its times or
  // needs differ), null for a new window.
  bool follows = false;
  const v1::Shift* was = nullptr;
};

// Whether two shifts ask the same of the same hours: the published shift
// stands as it is when the windows, after a change, still make it so.
bool SameWindow(const v1::Shift& a, const v1::Shift& b) {
  auto same = [](const auto& x, const auto& y) {
    return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin());
  };
  return Sec(a.start()) == Sec(b.start()) && Sec(a.end()) == Sec(b.end()) && a.kind() == b.kind() &&
         a.day_type() == b.day_type() && same(a.roles(), b.roles()) && same(a.skills(), b.skills());
}

// The key a moved window keeps: its day, kind and place among its kind's
// posts ("2026-11-20/EXTENDED/0").
std::string PostKey(const v1::Shift& s) {
  return fmt::format("{}/{}/{}", s.date(), static_cast<int>(s.kind()), s.position());
}

// Tells the people of a published month what a change of its windows did
// to shift `s` (planned, backed up): a new window's shift is announced as
// assigned (or a gap), a moved one as changed, naming its times before.
void AnnounceFollowed(const RotaCtx& ctx, const Planned& p, Mutation* m) {
  const auto& net = ctx.state.network;
  const v1::Shift& s = p.shift;
  const std::string why = "the required windows changed (policy, calendar or closure)";
  if (p.was) {
    auto e = NewEvent(s.center_id());
    auto* c = e.mutable_shift_changed();
    *c->mutable_shift() = s;
    SetStaff(net, s.assignee_id(), c->mutable_staff());
    SetStaff(net, p.was->assignee_id(), c->mutable_previous());
    SetStaff(net, s.backup_id(), c->mutable_backup());
    if (p.was->start_local() != s.start_local() || p.was->end_local() != s.end_local()) {
      c->set_previous_start_local(p.was->start_local());
      c->set_previous_end_local(p.was->end_local());
    }
    c->set_reason(why);
    Emit(m, std::move(e));
  } else if (!s.assignee_id().empty()) {
    auto e = NewEvent(s.center_id());
    auto* a = e.mutable_shift_assigned();
    *a->mutable_shift() = s;
    SetStaff(net, s.assignee_id(), a->mutable_staff());
    SetStaff(net, s.backup_id(), a->mutable_backup());
    Emit(m, std::move(e));
  }
  if (s.assignee_id().empty()) {
    auto e = NewEvent(s.center_id());
    auto* g = e.mutable_coverage_gap();
    *g->mutable_shift() = s;
    g->set_reason(p.was ? why : "a new window of the published month: nobody could take it");
    if (p.was) SetStaff(net, p.was->assignee_id(), g->mutable_absent());
    if (const auto* l =
            LeaderToAlarm(ctx, s.center_id(), {Sec(s.start())}, p.was ? p.was->assignee_id() : ""))
      *g->mutable_leader() = *l;
    Emit(m, std::move(e));
  }
}

// Names the backups of `plan` once every assignment is known, so nobody
// backs up a post while the plan puts them on duty elsewhere: the rotation's
// members in turn, else the backup the shift had while still free, else for
// a fill auto-fill's choice. Then the shifts outside the plan (other
// centers, kept shifts) whose backup the plan put on duty at the same time
// get another (at this center: the pool and rotations are the plan's) or
// none (elsewhere), and say so when published.
void ChooseBackups(const RotaCtx& ctx, Overlay& ov, std::vector<Planned>& plan, PlanCounts* counts,
                   Mutation* m) {
  const auto& net = ctx.state.network;
  std::set<std::string, std::less<>> ids;
  for (const auto& p : plan) ids.insert(p.shift.id());
  for (auto& p : plan) {
    v1::Shift& s = p.shift;
    const std::string had = s.backup_id();
    if (!had.empty()) ov.RemovePost(had, s);
    s.clear_backup_id();
    const ShiftFacts f = FactsOf(s);
    const v1::Staff* b = nullptr;
    const auto* kept = StaffOrNull(net, had);
    if (p.rot) {
      b = PickBackup(ctx, ov, s, p.rot, p.first);
    } else if (kept && MayBackUp(ctx, ov, *kept, s, f)) {
      b = kept;
    } else if (s.source() == v1::FILL) {
      b = PickBackup(ctx, ov, s, nullptr, 0);
    }
    if (b) {
      s.set_backup_id(b->id());
      ov.AddPost(b->id(), s);
    }
    if (p.published_fill) {
      AnnounceStaffed(net, s, *net.FindStaff(s.assignee_id()), "",
                      "rota fill: a gap of the published month staffed", m);
    }
  }
  const int64_t now = Sec(ctx.now);
  const auto& center = plan.empty() ? std::string() : plan.front().shift.center_id();
  for (const auto& p : plan) {
    const v1::Shift& s = p.shift;
    if (s.assignee_id().empty()) continue;
    const int64_t start = Sec(s.start()), end = Sec(s.end());
    const bool working = s.kind() != v1::ON_CALL;
    std::vector<std::string> busy;  // the posts outside the plan they cannot keep
    const auto& posts = ov.PostsOf(s.assignee_id());
    for (auto it = posts.lower_bound(start - 2 * common::kDay);
         it != posts.end() && it->first < end; ++it) {
      if (it->second.end <= start || ids.count(it->second.shift)) continue;
      busy.push_back(it->second.shift);
    }
    for (const auto& id : busy) {
      const auto* other = ctx.state.rota.FindShift(id);
      if (!other || Sec(other->start()) <= now) continue;       // begun: as it was
      if ((other->kind() != v1::ON_CALL) != working) continue;  // on call beside on site
      ++counts->backups_freed;
      const std::string reason =
          fmt::format("{} is on duty at {} {} {}-{}", s.assignee_id(), s.center_id(), s.date(),
                      s.start_local(), s.end_local());
      if (other->center_id() == center) {
        ReplaceBackup(ctx, ov, *other, reason, m);
        continue;
      }
      v1::Shift o = *other;
      const std::string gone = o.backup_id();
      ov.RemovePost(o.backup_id(), o);
      o.clear_backup_id();
      if (o.published()) {
        auto e = NewEvent(o.center_id());
        auto* c = e.mutable_shift_changed();
        *c->mutable_shift() = o;
        SetStaff(net, o.assignee_id(), c->mutable_staff());
        SetStaff(net, o.assignee_id(), c->mutable_previous());
        SetStaff(net, gone, c->mutable_previous_backup());
        c->set_reason(fmt::format("{}, so no longer its AB岗 backup; it has none", reason));
        Emit(m, std::move(e));
      }
      m->shifts_put.push_back(std::move(o));
    }
  }
}

}  // namespace

std::string ShiftIdPrefix(std::string_view center, std::string_view date, uint32_t minute) {
  return fmt::format("{}/{}/{:02}{:02}-", center, date, minute / 60, minute % 60);
}

// ---- rotations ------------------------------------------------------------------

Result<Mutation> SetRotation(const RotaCtx& ctx, v1::Rotation r) {
  const auto& st = ctx.state;
  if (r.id().empty() || r.id().size() > kMaxIdLength) {
    return Status::InvalidArgument("rotation.id", "is required (at most 64 characters)");
  }
  ZB_RETURN_IF_ERROR(NeedCenter(st, r.center_id()));
  if (const auto* old = [&]() -> const v1::Rotation* {
        auto it = st.rota.rotations().find(r.id());
        return it == st.rota.rotations().end() ? nullptr : &it->second;
      }();
      old && old->center_id() != r.center_id()) {
    return Status::FailedPrecondition(
        "rotation.center_id", fmt::format("rotation \"{}\" belongs to center {}; remove it first",
                                          r.id(), old->center_id()));
  }
  if (r.members().empty())
    return Status::InvalidArgument("rotation.members", "needs at least one staff id");
  std::set<std::string> seen;
  for (const auto& id : r.members()) {
    const auto* s = st.network.FindStaff(id);
    if (!s)
      return Status::NotFound("rotation.members", fmt::format("staff \"{}\" does not exist", id));
    if (!MayWorkAt(*s, r.center_id())) {
      return Status::FailedPrecondition(
          "rotation.members",
          fmt::format(
              "{} is neither homed at nor covers {}; add it to the staff's cover_center_ids first",
              id, r.center_id()));
    }
    if (!seen.insert(id).second)
      return Status::InvalidArgument("rotation.members", fmt::format("{} is listed twice", id));
  }
  if (r.period_days() < 1 || r.period_days() > 366) {
    return Status::InvalidArgument("rotation.period_days", "must be 1..366 (1 daily, 7 weekly)");
  }
  if (r.handoff().empty()) r.set_handoff("00:00");
  const auto& h = r.handoff();
  if (h.size() != 5 || h[2] != ':' || ClockMinute(h) >= 1440 || h[3] > '5' || !std::isdigit(h[0]) ||
      !std::isdigit(h[1]) || !std::isdigit(h[3]) || !std::isdigit(h[4])) {
    return Status::InvalidArgument("rotation.handoff",
                                   fmt::format("\"{}\" is not a time of day HH:MM", h));
  }
  if (auto d = DateArg(r.start_date(), "rotation.start_date"); !d.ok()) return d.status();
  for (int k : r.kinds()) {
    if (!v1::WindowKind_IsValid(k) || k == v1::WINDOW_KIND_UNSPECIFIED) {
      return Status::InvalidArgument("rotation.kinds", fmt::format("unknown window kind {}", k));
    }
  }
  for (int k : r.day_types()) {
    if (!v1::DayType_IsValid(k) || k == v1::DAY_TYPE_UNSPECIFIED) {
      return Status::InvalidArgument("rotation.day_types", fmt::format("unknown day type {}", k));
    }
  }
  Mutation m;
  m.summary = fmt::format("rotation {} at {}: {} members every {} days", r.id(), r.center_id(),
                          r.members_size(), r.period_days());
  auto e = NewEvent(r.center_id());
  *e.mutable_rotation_updated()->mutable_rotation() = r;
  Emit(&m, std::move(e));
  m.rotations_put.push_back(std::move(r));
  return m;
}

Result<Mutation> RemoveRotation(const RotaCtx& ctx, std::string_view id) {
  auto it = ctx.state.rota.rotations().find(id);
  if (it == ctx.state.rota.rotations().end()) {
    return Status::NotFound("id", fmt::format("rotation \"{}\" does not exist", id));
  }
  Mutation m;
  m.summary = fmt::format("rotation {} removed", id);
  auto e = NewEvent(it->second.center_id());
  *e.mutable_rotation_removed()->mutable_rotation() = it->second;
  Emit(&m, std::move(e));
  m.rotations_deleted.emplace_back(id);
  return m;
}

// ---- generation -----------------------------------------------------------------

namespace {

bool Serves(const v1::Rotation& r, v1::WindowKind kind, v1::DayType type) {
  if (!r.kinds().empty() && std::find(r.kinds().begin(), r.kinds().end(), kind) == r.kinds().end())
    return false;
  if (r.day_types().empty()) return true;
  auto has = [&](int t) {
    return std::find(r.day_types().begin(), r.day_types().end(), t) != r.day_types().end();
  };
  return has(type) || (type == v1::MAKEUP_WORKDAY && has(v1::WORKDAY));
}

}  // namespace

namespace rota_internal {

std::string ShiftId(std::string_view center, const Slot& slot, uint32_t pos) {
  return fmt::format("{}{}-{}",
                     ShiftIdPrefix(center, FormatDate(slot.date), slot.window->start_minute()),
                     v1::WindowKind_Name(slot.window->kind()), pos);
}

v1::Shift NewShift(std::string_view center, const Slot& slot, uint32_t pos,
                   const std::string& holiday) {
  v1::Shift s;
  s.set_id(ShiftId(center, slot, pos));
  s.set_center_id(std::string(center));
  s.set_date(FormatDate(slot.date));
  s.set_day_type(slot.day_type);
  if (slot.day_type == v1::HOLIDAY) s.set_holiday(holiday);
  s.set_kind(slot.window->kind());
  *s.mutable_start() = Ts(Sec(slot.start));
  *s.mutable_end() = Ts(Sec(slot.end));
  s.set_start_local(ClockText(slot.window->start_minute()));
  s.set_end_local(ClockText(slot.window->end_minute()));
  s.set_position(pos);
  const auto& cov = slot.window->coverage();
  const uint32_t n = std::max<uint32_t>(1, cov.min_staff());
  for (int i = 0; i < cov.roles_size(); ++i) {
    if (static_cast<uint32_t>(i) % n == pos) s.add_roles(static_cast<v1::Role>(cov.roles(i)));
  }
  for (int i = 0; i < cov.skills_size(); ++i) {
    if (static_cast<uint32_t>(i) % n == pos) s.add_skills(cov.skills(i));
  }
  s.set_policy(slot.policy ? slot.policy->name() : "");
  return s;
}

}  // namespace rota_internal

Result<Mutation> GenerateRota(const RotaCtx& ctx, const v1::RotaGenerateRequest& req,
                              PlanCounts* counts) {
  const auto& st = ctx.state;
  const auto& book = st.rota;
  ZB_RETURN_IF_ERROR(NeedCenter(st, req.center_id()));
  Date from, to;
  ZB_RETURN_IF_ERROR(RangeArgs(req.from(), req.to(), &from, &to));
  const std::string& center = req.center_id();
  std::vector<Slot> slots;
  ZB_RETURN_IF_ERROR(ExpandCoverage(st.calendar, st.policies, st.network, ctx.zones, center, from,
                                    to, &slots, nullptr));

  std::vector<const v1::Rotation*> layers;
  for (const auto& [id, r] : book.rotations()) {
    if (r.center_id() == center) layers.push_back(&r);
  }
  std::stable_sort(layers.begin(), layers.end(),
                   [](const auto* a, const auto* b) { return a->precedence() < b->precedence(); });
  const auto pool = PoolOf(st.network, center);
  const int64_t now = Sec(ctx.now);
  const bool fill = req.fill() || req.fill_only();

  // The windows as they are required now, to tell which published shifts
  // still stand: one a change of the windows removed or moved is planned
  // again (and its people told), the others are kept.
  std::map<std::string, v1::Shift, std::less<>> windows;
  for (const Slot& slot : slots) {
    for (uint32_t pos = 0; pos < slot.window->coverage().min_staff(); ++pos) {
      v1::Shift w = NewShift(center, slot, pos, "");
      windows.emplace(w.id(), std::move(w));
    }
  }
  auto stands = [&](const v1::Shift& s) {
    if (!s.published() || Sec(s.start()) <= now) return true;
    auto w = windows.find(s.id());
    return w != windows.end() && SameWindow(w->second, s);
  };
  auto month_published = [&](const v1::Shift& s) {
    return book.MonthPublished(center, std::string_view(s.date()).substr(0, 7));
  };

  Overlay ov(book, st.network);
  std::map<std::string, const v1::Shift*, std::less<>> existing;
  // Published shifts ahead whose window is gone, by PostKey: a new window of
  // the same day, kind and place takes the one whose hours it overlaps.
  std::multimap<std::string, const v1::Shift*> gone;
  for (const auto* s : book.CenterShifts(center, from, to)) {
    if (s->kind() == v1::APPOINTMENT)
      continue;  // booked, not planned: appointment cancel releases it
    existing.emplace(s->id(), s);
    if (!stands(*s) && !windows.count(s->id())) gone.emplace(PostKey(*s), s);
    const bool kept = (s->published() || Sec(s->start()) <= now) && stands(*s);
    // Re-planned shifts leave their assignee's load (and their backup's
    // posts) until decided again.
    if (!kept && !s->assignee_id().empty()) ov.Of(s->assignee_id()).Remove(FactsOf(*s));
    if (!kept && !s->backup_id().empty()) ov.RemovePost(s->backup_id(), *s);
  }

  Mutation m;
  std::set<std::string, std::less<>> seen;
  std::vector<Planned> plan;
  std::map<std::string, uint32_t> whose;  // published shifts changed, by new assignee
  auto add_gap = [&](const v1::Shift& s, std::string why) {
    ++counts->gaps;
    if (counts->gap_list.size() < kMaxRotaGapsListed)
      counts->gap_list.emplace_back(s, std::move(why));
  };
  for (const Slot& slot : slots) {
    const uint32_t n = slot.window->coverage().min_staff();
    std::string holiday;
    if (slot.day_type == v1::HOLIDAY) {
      auto day = st.calendar.Day(slot.date, center);
      if (day.ok()) holiday = day->name();
    }
    for (uint32_t pos = 0; pos < n; ++pos) {
      v1::Shift s = NewShift(center, slot, pos, holiday);
      ++counts->shifts;
      seen.insert(s.id());
      auto ex = existing.find(s.id());
      const v1::Shift* old = ex == existing.end() ? nullptr : ex->second;
      // A window of a published month, not begun, that its shift does not
      // stand for (new, or moved): planned and told as the month is out.
      const bool follows = Sec(s.start()) > now && month_published(s) &&
                           (!old || !old->published() || !stands(*old));
      const v1::Shift* was = nullptr;
      if (follows && old && old->published()) {
        was = old;
      } else if (follows && !old) {
        // The removed shift of the same day, kind and place whose hours this
        // window overlaps, the nearest start first; none: a new window.
        auto [lo, hi] = gone.equal_range(PostKey(s));
        auto best = hi;
        for (auto it = lo; it != hi; ++it) {
          const auto* g = it->second;
          if (Sec(g->start()) >= Sec(s.end()) || Sec(g->end()) <= Sec(s.start())) continue;
          if (best == hi || std::abs(Sec(g->start()) - Sec(s.start())) <
                                std::abs(Sec(best->second->start()) - Sec(s.start())))
            best = it;
        }
        if (best != hi) {
          was = best->second;
          gone.erase(best);
        }
      }
      // A window that has begun in a published month is not made now: nobody
      // was told of it, and nobody is there.
      if (!old && month_published(s) && Sec(s.start()) <= now) continue;
      if (old && !follows && (old->published() || Sec(old->start()) <= now)) {
        const bool ahead = Sec(old->start()) > now;
        if (req.fill_only() && ahead && old->assignee_id().empty()) {
          if (auto done = FillPublishedGap(ctx, ov, pool, *old)) {
            ++counts->assigned;
            ++counts->changed;
            ++whose[done->assignee_id()];
            plan.push_back({std::move(*done), old, nullptr, 0, true});
            continue;
          }
        }
        ++counts->kept;
        if (!old->assignee_id().empty()) continue;
        if (!ahead)
          add_gap(*old, "begun or past: kept as it is");
        else if (!req.fill_only())
          add_gap(*old, "published: kept as it is (rota fill staffs it)");
        else
          add_gap(*old, pool.empty() ? "nobody works at or covers this center"
                                     : "no eligible staff (roles, skills, leave, rules)");
        continue;
      }
      const ShiftFacts f = FactsOf(s);
      std::string why;
      auto try_assign = [&](const v1::Staff* person, v1::ShiftSource source) {
        if (!person) return false;
        auto breaches = ov.Why(*person, s, f);
        if (!breaches.empty()) {
          if (why.empty()) why = fmt::format("{}", fmt::join(breaches, "; "));
          return false;
        }
        s.set_assignee_id(person->id());
        s.set_source(source);
        return true;
      };
      // Who held `held` keeps it as they held it (source, rotation, forced)
      // while the rules allow: a forced one within the hard rules only.
      auto keep = [&](const v1::Shift& held) {
        const auto* person = StaffOrNull(st.network, held.assignee_id());
        if (!person || !(held.forced() ? ov.HardOk(*person, s, f) : ov.Why(*person, s, f).empty()))
          return false;
        s.set_assignee_id(person->id());
        s.set_source(held.source());
        s.set_rotation_id(held.rotation_id());
        s.set_forced(held.forced());
        return true;
      };
      bool done = false;
      const v1::Rotation* backing = nullptr;  // the rotation naming the backup
      int first = 0;
      if (old) {
        // Assigning a submessage sets it even when empty: a shift never checked
        // in would carry checked_in = 1970 and lose its no-show alarm.
        if (old->has_checked_in()) *s.mutable_checked_in() = old->checked_in();
        s.set_timers_fired(old->timers_fired());
        s.set_eve_reminded_staff_id(old->eve_reminded_staff_id());
        s.set_backup_id(old->backup_id());
        // rota fill does not ask the rotations again: their word stands.
        if (req.fill_only() && old->has_turn_skipped())
          *s.mutable_turn_skipped() = old->turn_skipped();
        const bool manual = old->source() == v1::OVERRIDE || old->source() == v1::SWAP ||
                            old->source() == v1::BACKUP;
        if (manual || req.fill_only()) done = keep(*old);
      }
      // Its times moved: who held it keeps it (and its backup) while the
      // rules allow, before any rotation is asked again.
      if (was && !done && keep(*was)) {
        s.set_backup_id(was->backup_id());
        done = true;
      }
      if (!done && !req.fill_only()) {
        for (const auto* r : layers) {
          if (!Serves(*r, slot.window->kind(), slot.day_type)) continue;
          const int32_t start_day = DayOf(r->start_date());
          int32_t eff = DayNumber(slot.date);
          if (slot.window->start_minute() < ClockMinute(r->handoff())) --eff;
          if (eff < start_day) continue;
          const int64_t turn = (eff - start_day) / static_cast<int32_t>(r->period_days());
          const int nm = r->members_size();
          const int idx = static_cast<int>((turn + pos) % nm);
          s.set_rotation_id(r->id());
          s.clear_backup_id();
          if (!r->no_backup() && nm > 1) {
            backing = r;
            first = (idx + 1) % nm;
          }
          const auto* member = st.network.FindStaff(r->members(idx));
          done = try_assign(member, v1::ROTATION);
          if (!done) {
            // The turn goes to the fill (or stays a gap): the shift says why.
            *s.mutable_turn_skipped() = TurnSkippedOf(ctx, ov, r->members(idx), member, s, f);
            ++counts->turns_skipped;
          }
          if (!done && why.empty())
            why = fmt::format("rotation {}: {} is gone", r->id(), r->members(idx));
          break;  // the layer with precedence decides
        }
      }
      // A re-plan disturbs little: whoever held the shift keeps it while the
      // rules allow, so a leave moves the shifts it hits and the fewest
      // others (what its cover's new load pushes out), not the month.
      if (!done && old && !req.fresh() && !req.fill_only() && !old->assignee_id().empty())
        done = try_assign(st.network.FindStaff(old->assignee_id()), v1::FILL);
      if (!done && (fill || follows)) {
        const auto* best = BestCandidate(ov, pool, s, f);
        done = try_assign(best, v1::FILL);
        if (!done && why.empty())
          why = pool.empty() ? "nobody works at or covers this center"
                             : "no eligible staff (roles, skills, leave, rules)";
      }
      if (done) {
        ov.Of(s.assignee_id()).Add(f);
        ++counts->assigned;
      } else {
        s.set_assignee_id("");
        s.set_source(v1::SHIFT_SOURCE_UNSPECIFIED);
        add_gap(s, why.empty() ? "no rotation serves this window (run rota fill)" : why);
      }
      if (follows) {
        s.set_published(true);
        if (was && (Sec(was->start()) != Sec(s.start()) || Sec(was->end()) != Sec(s.end())))
          s.set_timers_fired(0);  // its times are news: reminded anew
        if (book.TimerDue(s, v1::REMINDER_BEFORE) <= now)
          s.set_timers_fired(s.timers_fired() | v1::REMINDER_EVE);
        ++counts->changed;
        if (!s.assignee_id().empty()) ++whose[s.assignee_id()];
      }
      plan.push_back({std::move(s), old, backing, first, false, follows, was});
    }
  }
  ChooseBackups(ctx, ov, plan, counts, &m);
  std::map<std::string, int> moved;  // shifts each person gained (+) or lost (-)
  for (auto& p : plan) {
    if (p.follows) AnnounceFollowed(ctx, p, &m);
    if ((p.published_fill || p.follows) && counts->changed_list.size() < kMaxRotaGapsListed)
      counts->changed_list.push_back(p.shift);
    if (p.was && p.was != p.old) m.shifts_deleted.push_back(p.was->id());  // moved: told
    if (p.old && !p.published_fill && !p.follows && !p.old->assignee_id().empty() &&
        p.old->assignee_id() != p.shift.assignee_id()) {
      ++counts->reassigned;
      --moved[p.old->assignee_id()];
      if (!p.shift.assignee_id().empty()) ++moved[p.shift.assignee_id()];
      if (counts->reassigned_list.size() < kMaxRotaGapsListed)
        counts->reassigned_list.emplace_back(p.shift, p.old->assignee_id());
    }
    if (p.published_fill || !p.old || !Same(p.shift, *p.old))
      m.shifts_put.push_back(std::move(p.shift));
  }
  for (const auto& [id, s] : existing) {
    if (seen.count(id) || Sec(s->start()) <= now) continue;
    if (!s->published()) {
      m.shifts_deleted.push_back(id);  // its window is no longer required
    } else if (auto [lo, hi] = gone.equal_range(PostKey(*s));
               std::any_of(lo, hi, [shift = s](const auto& kv) { return kv.second == shift; })) {
      // A published window no longer required: cancelled, its people told.
      ++counts->cancelled;
      if (!s->backup_id().empty()) ov.RemovePost(s->backup_id(), *s);
      CancelShift(ctx, *s, "the required windows changed (policy, calendar or closure)", &m);
    }
  }
  m.summary = fmt::format("rota {} {}..{}: {} shifts, {} assigned, {} gaps, {} kept", center,
                          FormatDate(from), FormatDate(to), counts->shifts, counts->assigned,
                          counts->gaps, counts->kept);
  if (counts->changed > 0) {
    std::vector<std::string> names;
    for (const auto& [id, n] : whose) names.push_back(n > 1 ? fmt::format("{} x{}", id, n) : id);
    m.summary +=
        fmt::format(", {} published changed ({})", counts->changed, fmt::join(names, ", "));
  }
  if (counts->cancelled > 0)
    m.summary +=
        fmt::format(", {} published cancelled (window no longer required)", counts->cancelled);
  if (counts->reassigned > 0) {
    std::vector<std::string> names;
    for (const auto& [id, n] : moved) {
      if (n != 0) names.push_back(fmt::format("{} {:+}", id, n));
    }
    m.summary += fmt::format(", {} planned shift(s) changed hands ({})", counts->reassigned,
                             fmt::join(names, ", "));
  }
  if (counts->turns_skipped > 0) {
    m.summary += fmt::format(", {} rotation turn(s) not taken by their member (rota show says why)",
                             counts->turns_skipped);
  }
  if (counts->backups_freed > 0) {
    m.summary += fmt::format(", {} AB岗 backup(s) elsewhere put on duty here and replaced",
                             counts->backups_freed);
  }
  auto e = NewEvent(center);
  auto* g = e.mutable_rota_generated();
  g->set_from(FormatDate(from));
  g->set_to(FormatDate(to));
  g->set_shifts(counts->shifts);
  g->set_assigned(counts->assigned);
  g->set_gaps(counts->gaps);
  g->set_kept(counts->kept);
  g->set_fill(fill);
  Emit(&m, std::move(e));
  return m;
}

Mutation GenerateReads(const State& st, const v1::RotaGenerateRequest& req) {
  Mutation r;
  const std::string& center = req.center_id();
  for (const auto& [id, c] : st.network.centers()) r.centers_put.push_back(c);
  for (const auto& [year, y] : st.calendar.years()) r.years_put.push_back(y);
  for (const auto& [id, x] : st.calendar.exceptions()) r.exceptions_put.push_back(x);
  for (const auto& [name, versions] : st.policies.policies())
    r.policies_put.insert(r.policies_put.end(), versions.begin(), versions.end());
  for (const auto& [c, list] : st.policies.assignments())
    r.assignments_put.insert(r.assignments_put.end(), list.begin(), list.end());
  r.rules_put.push_back(st.rota.rules());
  for (const auto& [key, m] : st.rota.months()) {
    if (m.center_id() == center) r.months_put.push_back(m);
  }
  std::set<std::string, std::less<>> people;
  for (const auto* s : PoolOf(st.network, center)) people.insert(s->id());
  for (const auto& [id, rot] : st.rota.rotations()) {
    if (rot.center_id() != center) continue;
    r.rotations_put.push_back(rot);
    people.insert(rot.members().begin(), rot.members().end());
  }
  std::set<std::string, std::less<>> shifts;
  Date from, to;
  if (RangeArgs(req.from(), req.to(), &from, &to).ok()) {
    for (const auto* s : st.rota.CenterShifts(center, from, to)) {
      shifts.insert(s->id());
      if (!s->assignee_id().empty()) people.insert(s->assignee_id());
      if (!s->backup_id().empty()) people.insert(s->backup_id());
    }
  }
  // The shifts they back up (AB岗 posts), and who holds the published ones:
  // a plan that puts someone on duty frees them from backing up elsewhere,
  // and says so (shift.changed).
  std::set<std::string, std::less<>> holders;
  for (const auto& id : people) {
    const auto* s = st.network.FindStaff(id);
    if (!s) continue;
    r.staff_put.push_back(*s);
    for (const auto* x : st.rota.StaffShifts(id, INT64_MIN, INT64_MAX)) shifts.insert(x->id());
    for (const auto* x : st.rota.BackedShifts(id, INT64_MIN, INT64_MAX)) {
      shifts.insert(x->id());
      if (x->published() && !people.count(x->assignee_id())) holders.insert(x->assignee_id());
    }
  }
  for (const auto& id : holders) {
    if (const auto* s = st.network.FindStaff(id)) r.staff_put.push_back(*s);
  }
  for (const auto& [id, l] : st.rota.leave()) {
    if (people.count(l.staff_id())) r.leave_put.push_back(l);
  }
  r.shifts_put.reserve(shifts.size());
  for (const auto& id : shifts) r.shifts_put.push_back(*st.rota.FindShift(id));
  return r;
}

// ---- shifts outside the plan -------------------------------------------------------

Result<v1::Shift> StaffExtraShift(const RotaCtx& ctx, v1::Shift s, Mutation* m) {
  const auto& st = ctx.state;
  const ShiftFacts f = FactsOf(s);
  Overlay ov(st.rota, st.network);
  const auto pool = PoolOf(st.network, s.center_id());
  const v1::Staff* best = BestCandidate(ov, pool, s, f);
  if (!best) {
    std::vector<std::string> why;
    for (const auto* p : pool) {
      if (why.size() == 5) {
        why.push_back("...");
        break;
      }
      auto w = ov.Why(*p, s, f);
      if (!w.empty()) why.push_back(w.front());
    }
    return Status::FailedPrecondition(
        fmt::format("nobody at {} can take {} {}-{}: {}", s.center_id(), s.date(), s.start_local(),
                    s.end_local(),
                    why.empty() ? "nobody works there" : fmt::format("{}", fmt::join(why, "; "))));
  }
  s.set_assignee_id(best->id());
  s.set_source(v1::FILL);
  s.set_published(st.rota.MonthPublished(s.center_id(), s.date().substr(0, 7)));
  if (s.published()) {
    auto e = NewEvent(s.center_id());
    auto* a = e.mutable_shift_assigned();
    *a->mutable_shift() = s;
    *a->mutable_staff() = *best;
    Emit(m, std::move(e));
  }
  m->shifts_put.push_back(s);
  return s;
}

void CancelShift(const RotaCtx& ctx, const v1::Shift& s, const std::string& reason, Mutation* m) {
  if (s.published()) {
    auto e = NewEvent(s.center_id());
    auto* c = e.mutable_shift_cancelled();
    *c->mutable_shift() = s;
    SetStaff(ctx.state.network, s.assignee_id(), c->mutable_staff());
    c->set_reason(reason);
    Emit(m, std::move(e));
  }
  m->shifts_deleted.push_back(s.id());
}

}  // namespace zhiban::domain
