#include "daemon/domain/appointment.h"

#include <algorithm>

#include <fmt/format.h>

#include "daemon/domain/common.h"
#include "daemon/domain/indexed.h"
#include "daemon/domain/policy.h"
#include "daemon/domain/state.h"
#include "daemon/domain/visit.h"

namespace zhiban::domain {

using common::CenterClock;
using common::HasSkill;
using common::kDay;
using common::Sec;
using common::StepWorkingDays;
using common::Ts;
using common::WorkingDay;

namespace {

// "HH:MM" of `minute` after local midnight ("+1" past it).
std::string Clock(int64_t minute) {
  return fmt::format("{:02}:{:02}{}", (minute % 1440) / 60, minute % 60,
                     minute >= 1440 ? "+1" : "");
}

// Who serves `a` now: the assignee of its APPOINTMENT shift (an override or
// swap may have changed it since the booking), else the person chosen then.
std::string ServedBy(const State& st, const v1::Appointment& a) {
  if (const auto* s = a.shift_id().empty() ? nullptr : st.rota.FindShift(a.shift_id()))
    return s->assignee_id();
  return a.staff_id();
}

struct Where {
  Date date;
  int64_t midnight = 0;  // local midnight of `date`, seconds
  v1::CalendarDay day;
  const Slot* open = nullptr;         // an opening window holding the booking
  const Slot* appointment = nullptr;  // an APPOINTMENT window holding it
};

// The booking's local day and the windows of the center that hold it.
Status Locate(const RotaCtx& ctx, const v1::Center& c, int64_t start, int64_t end,
              std::vector<Slot>* slots, Where* w) {
  const auto& st = ctx.state;
  const CenterClock clock(ctx.zones, &c);
  const Date date = clock.LocalDate(start);
  w->date = date;
  w->midnight = clock.Midnight(DayNumber(date));
  auto day = st.calendar.Day(date, c.id());
  if (!day.ok())
    return Status::FailedPrecondition(
        fmt::format("cannot book {}: {}", FormatDate(date), day.status().message()));
  w->day = *day;
  // Windows starting the day before may run past midnight.
  const Date before = FromDayNumber(DayNumber(date) - 1);
  ZB_RETURN_IF_ERROR(ExpandCoverage(st.calendar, st.policies, st.network, ctx.zones, c.id(), before,
                                    date, slots, nullptr));
  for (const auto& s : *slots) {
    if (Sec(s.start) > start || Sec(s.end) < end) continue;
    const auto kind = s.window->kind();
    if (kind == v1::APPOINTMENT) {
      if (!w->appointment) w->appointment = &s;
    } else if (kind != v1::ON_CALL && !w->open) {
      w->open = &s;
    }
  }
  return {};
}

// The windows of the booking's day, for the error that says none holds it.
std::string WindowsOf(const std::vector<Slot>& slots, const Where& w) {
  std::vector<std::string> out;
  for (const auto& s : slots) {
    if (s.date != w.date) continue;
    out.push_back(fmt::format("{}-{} {}", Clock((Sec(s.start) - w.midnight) / 60),
                              Clock((Sec(s.end) - w.midnight) / 60),
                              v1::WindowKind_Name(s.window->kind())));
  }
  return out.empty() ? "no windows" : fmt::format("windows {}", fmt::join(out, ", "));
}

// Weekend and holiday bookings: the last working day `n` working days
// before the date must not have passed.
Status CheckNotice(const RotaCtx& ctx, const v1::Center& c, const Where& w) {
  const uint32_t n = ctx.state.visits.options().appointment_notice_working_days;
  if (n == 0 || WorkingDay(w.day)) return {};
  auto step = StepWorkingDays(DayNumber(w.date), -static_cast<int32_t>(n), 60, [&](int32_t d) {
    return ctx.state.calendar.Day(FromDayNumber(d), c.id());
  });
  if (!step.ok()) {
    return Status::FailedPrecondition(
        "start", fmt::format("cannot reckon the notice {} needs: {}", FormatDate(w.date),
                             step.status().message()));
  }
  if (!step->has_value()) return {};  // no working day within two months: nothing to give notice on
  const int32_t d = **step;
  if (CenterClock(ctx.zones, &c).Day(Sec(ctx.now)) > d) {
    const std::string what = w.day.day_type() == v1::HOLIDAY
                                 ? fmt::format("a holiday ({})", w.day.name())
                                 : "not a working day";
    return Status::FailedPrecondition(
        "start",
        fmt::format("{} is {}: bookings then need {} working day(s) notice, so were due by {}",
                    FormatDate(w.date), what, n, FormatDate(FromDayNumber(d))));
  }
  return {};
}

// Inside open hours: the person on duty there with the skill, free of other
// bookings, with the fewest bookings that day.
Result<const v1::Staff*> OnDutyFor(const RotaCtx& ctx, const v1::Center& c,
                                   const v1::ServiceItem& item, int64_t start, int64_t end,
                                   const Where& w) {
  const auto& st = ctx.state;
  std::map<std::string, uint32_t> booked_today;
  for (const auto* a : st.appointments.Overlapping(c.id(), w.midnight, w.midnight + kDay)) {
    if (auto who = ServedBy(st, *a); !who.empty()) ++booked_today[who];
  }
  const v1::Staff* best = nullptr;
  uint32_t best_n = 0;
  for (const auto* s : st.rota.CenterShifts(c.id(), w.date, w.date)) {
    if (s->assignee_id().empty() || s->kind() == v1::ON_CALL || s->kind() == v1::APPOINTMENT)
      continue;
    if (Sec(s->start()) > start || Sec(s->end()) < end) continue;
    const auto* staff = st.network.FindStaff(s->assignee_id());
    if (!staff || !HasSkill(*staff, item.skill())) continue;
    bool busy = false;
    for (const auto* a : st.appointments.Overlapping(c.id(), start, end))
      busy |= ServedBy(st, *a) == staff->id();
    if (busy) continue;
    const uint32_t n = booked_today[staff->id()];
    if (!best || n < best_n || (n == best_n && staff->id() < best->id())) {
      best = staff;
      best_n = n;
    }
  }
  if (!best) {
    return Status::FailedPrecondition(
        fmt::format("nobody on duty at {} {} {}-{} has the skill {} ({}) and is free", c.id(),
                    FormatDate(w.date), Clock((start - w.midnight) / 60),
                    Clock((end - w.midnight) / 60), item.skill(), item.name()));
  }
  return best;
}

void EmitAppointment(const RotaCtx& ctx, Mutation* m, const v1::Appointment& a) {
  const auto& st = ctx.state;
  v1::Event e;
  e.set_center_id(a.center_id());
  auto* body = a.state() == v1::APPOINTMENT_CANCELLED ? e.mutable_appointment_cancelled()
                                                      : e.mutable_appointment_booked();
  *body->mutable_appointment() = a;
  const std::string who = ServedBy(st, a);
  if (const auto* s = who.empty() ? nullptr : st.network.FindStaff(who))
    *body->mutable_staff() = *s;
  if (const auto* l = LeaderOnDuty(ctx, a.center_id(), Sec(a.start())))
    *body->mutable_leader() = *l;
  if (const auto* item = FindService(a.service())) body->set_service_name(item->name());
  body->set_reason(a.cancel_reason());
  m->Emit(std::move(e));
}

}  // namespace

const v1::Appointment* AppointmentBook::Find(std::string_view id) const {
  auto it = all_.find(id);
  return it == all_.end() ? nullptr : &it->second;
}

std::vector<const v1::Appointment*> AppointmentBook::Overlapping(std::string_view center,
                                                                 int64_t from, int64_t to) const {
  std::vector<const v1::Appointment*> out;
  auto it = by_center_.find(std::string(center));
  if (it == by_center_.end()) return out;
  const auto& starts = it->second;
  for (auto j = starts.lower_bound(from - int64_t(kMaxAppointmentMinutes) * 60);
       j != starts.end() && j->first < to; ++j) {
    const auto* a = Find(j->second);
    if (a && Sec(a->end()) > from) out.push_back(a);
  }
  return out;
}

void AppointmentBook::Index(const v1::Appointment& a, int sign) {
  if (a.state() != v1::BOOKED) return;
  auto& starts = by_center_[a.center_id()];
  if (sign > 0) {
    starts.emplace(Sec(a.start()), a.id());
    return;
  }
  auto [lo, hi] = starts.equal_range(Sec(a.start()));
  for (auto it = lo; it != hi; ++it) {
    if (it->second == a.id()) {
      starts.erase(it);
      break;
    }
  }
}

void AppointmentBook::Put(v1::Appointment a) {
  PutIndexed(all_, std::move(a), [this](const v1::Appointment& x, int sign) { Index(x, sign); });
}

Result<Mutation> BookAppointment(const RotaCtx& ctx, const v1::AppointmentBookRequest& req,
                                 uint64_t serial) {
  const auto& st = ctx.state;
  const auto* c = st.network.FindCenter(req.center_id());
  if (!c)
    return Status::NotFound("center_id",
                            fmt::format("center \"{}\" does not exist", req.center_id()));
  if (req.service().empty() && req.room().empty()) {
    return Status::InvalidArgument("service",
                                   "book a service (--service), a room (--room), or both");
  }
  const v1::ServiceItem* item = nullptr;
  if (!req.service().empty() && !(item = FindService(req.service()))) {
    std::vector<std::string> ids;
    for (const auto& s : ServiceCatalogue()) ids.push_back(s.id());
    return Status::InvalidArgument(
        "service", fmt::format("unknown service \"{}\" ({})", req.service(), fmt::join(ids, ", ")));
  }
  if (!req.room().empty() &&
      std::find(c->rooms().begin(), c->rooms().end(), req.room()) == c->rooms().end()) {
    return Status::NotFound(
        "room",
        fmt::format("center {} has no room \"{}\" ({})", c->id(), req.room(),
                    c->rooms().empty() ? "it has none; center update --rooms adds them"
                                       : fmt::format("rooms: {}", fmt::join(c->rooms(), ", "))));
  }
  if (req.for_name().empty() || req.for_name().size() > kMaxNameBytes) {
    return Status::InvalidArgument("for_name",
                                   "say who the booking is for (a name, at most 200 bytes)");
  }
  if (req.note().size() > 1000) return Status::InvalidArgument("note", "at most 1000 bytes");
  if (req.duration_minutes() < 5 || req.duration_minutes() > kMaxAppointmentMinutes) {
    return Status::InvalidArgument("duration_minutes",
                                   fmt::format("is 5..{} minutes", kMaxAppointmentMinutes));
  }
  const int64_t now = Sec(ctx.now), start = Sec(req.start()),
                end = start + 60 * int64_t(req.duration_minutes());
  if (start <= now) return Status::InvalidArgument("start", "is not in the future");
  if (start > now + 366 * kDay)
    return Status::InvalidArgument("start", "is more than a year ahead");
  if (start % 60 != 0) return Status::InvalidArgument("start", "must be on a whole minute");
  v1::Appointment a;
  a.set_id(req.id().empty() ? fmt::format("appt-{}", serial) : req.id());
  if (a.id().size() > kMaxIdLength) return Status::InvalidArgument("id", "at most 64 characters");
  if (st.appointments.Find(a.id()))
    return Status::AlreadyExists("id", fmt::format("appointment \"{}\" exists", a.id()));

  std::vector<Slot> slots;
  Where w;
  ZB_RETURN_IF_ERROR(Locate(ctx, *c, start, end, &slots, &w));
  const std::string when =
      fmt::format("{} {}-{}", FormatDate(w.date), Clock((start - w.midnight) / 60),
                  Clock((end - w.midnight) / 60));
  if (!w.open && !w.appointment) {
    return Status::FailedPrecondition(
        "start", fmt::format("{} is neither open nor has an APPOINTMENT window at {} ({} that day)",
                             c->id(), when, WindowsOf(slots, w)));
  }
  ZB_RETURN_IF_ERROR(CheckNotice(ctx, *c, w));
  if (!req.room().empty()) {
    for (const auto* other : st.appointments.Overlapping(c->id(), start, end)) {
      if (other->room() != req.room()) continue;
      return Status::FailedPrecondition(
          "room", fmt::format("room {} is booked {}-{} by {} (for {})", req.room(),
                              Clock((Sec(other->start()) - w.midnight) / 60),
                              Clock((Sec(other->end()) - w.midnight) / 60), other->id(),
                              other->for_name()));
    }
  }

  a.set_center_id(c->id());
  a.set_service(req.service());
  a.set_room(req.room());
  *a.mutable_start() = Ts(start);
  *a.mutable_end() = Ts(end);
  a.set_for_name(req.for_name());
  a.set_note(req.note());
  a.set_state(v1::BOOKED);
  a.set_booked_by(ctx.actor);
  *a.mutable_booked_at() = Ts(now);
  Mutation m;
  if (w.open) {
    // Open hours: someone on duty serves it (a room alone needs nobody).
    if (item) {
      ZB_ASSIGN_OR_RETURN(auto who, OnDutyFor(ctx, *c, *item, start, end, w));
      a.set_staff_id(who->id());
    }
  } else {
    // Outside open hours: a new APPOINTMENT shift, staffed through the rota.
    v1::Shift s;
    const std::string date = FormatDate(w.date);
    const uint32_t minute = static_cast<uint32_t>((start - w.midnight) / 60);
    const std::string prefix = fmt::format("{}APPOINTMENT-", ShiftIdPrefix(c->id(), date, minute));
    uint32_t pos = 0;
    while (st.rota.FindShift(prefix + std::to_string(pos))) ++pos;
    s.set_id(prefix + std::to_string(pos));
    s.set_center_id(c->id());
    s.set_date(date);
    s.set_day_type(w.day.day_type());
    if (w.day.day_type() == v1::HOLIDAY) s.set_holiday(w.day.name());
    s.set_kind(v1::APPOINTMENT);
    *s.mutable_start() = Ts(start);
    *s.mutable_end() = Ts(end);
    s.set_start_local(Clock(minute));
    s.set_end_local(Clock((end - w.midnight) / 60));
    s.set_position(pos);
    if (item) s.add_skills(item->skill());
    s.set_policy(w.appointment->policy ? w.appointment->policy->name() : "");
    ZB_ASSIGN_OR_RETURN(auto staffed, StaffExtraShift(ctx, std::move(s), &m));
    a.set_staff_id(staffed.assignee_id());
    a.set_shift_id(staffed.id());
  }
  EmitAppointment(ctx, &m, a);
  m.summary = fmt::format("appointment {} at {} {} for {}{}{}", a.id(), c->id(), when, a.for_name(),
                          a.staff_id().empty() ? "" : ", served by " + a.staff_id(),
                          a.room().empty() ? "" : ", room " + a.room());
  m.appointments_put.push_back(std::move(a));
  return m;
}

Result<Mutation> CancelAppointment(const RotaCtx& ctx, const v1::AppointmentCancelRequest& req) {
  const auto& st = ctx.state;
  const auto* old = st.appointments.Find(req.id());
  if (!old)
    return Status::NotFound("id", fmt::format("appointment \"{}\" does not exist", req.id()));
  if (old->state() != v1::BOOKED)
    return Status::FailedPrecondition(
        fmt::format("appointment {} is already cancelled", old->id()));
  if (Sec(old->end()) <= Sec(ctx.now))
    return Status::FailedPrecondition(fmt::format("appointment {} is over", old->id()));
  if (req.reason().size() > 1000) return Status::InvalidArgument("reason", "at most 1000 bytes");
  v1::Appointment a = *old;
  a.set_state(v1::APPOINTMENT_CANCELLED);
  a.set_cancel_reason(req.reason().empty() ? "cancelled" : req.reason());
  Mutation m;
  if (const auto* s = a.shift_id().empty() ? nullptr : st.rota.FindShift(a.shift_id())) {
    CancelShift(ctx, *s, fmt::format("appointment {} cancelled", a.id()), &m);
  }
  EmitAppointment(ctx, &m, a);
  m.summary = fmt::format("appointment {} cancelled", a.id());
  m.appointments_put.push_back(std::move(a));
  return m;
}

Status ListAppointments(const RotaCtx& ctx, const v1::AppointmentListRequest& req,
                        v1::AppointmentListReply* out) {
  const auto& st = ctx.state;
  if (!req.center_id().empty() && !st.network.FindCenter(req.center_id())) {
    return Status::NotFound("center_id",
                            fmt::format("center \"{}\" does not exist", req.center_id()));
  }
  const int64_t now = Sec(ctx.now);
  Date date{};
  if (!req.date().empty()) {
    auto d = ParseDate(req.date());
    if (!d.ok()) return Status::InvalidArgument("date", d.status().message());
    date = *d;
  }
  std::vector<const v1::Appointment*> hits;
  for (const auto& [id, a] : st.appointments.all()) {
    if (!req.center_id().empty() && a.center_id() != req.center_id()) continue;
    if (a.state() != v1::BOOKED && !req.include_cancelled()) continue;
    if (req.date().empty()) {
      if (Sec(a.end()) <= now) continue;  // without a date: what is still ahead
    } else {
      // The booking's local day at its center, in the center's time zone.
      const CenterClock clock(ctx.zones, st.network.FindCenter(a.center_id()));
      if (clock.LocalDate(Sec(a.start())) != date) continue;
    }
    hits.push_back(&a);
  }
  std::sort(hits.begin(), hits.end(), [](const auto* x, const auto* y) {
    return std::make_pair(Sec(x->start()), x->id()) < std::make_pair(Sec(y->start()), y->id());
  });
  for (const auto* a : hits) {
    auto* x = out->add_appointments();
    *x = *a;
    x->set_staff_id(ServedBy(st, *a));
  }
  return {};
}

}  // namespace zhiban::domain
