// zhibanctl rota | leave | staff ledger | export rota|ledger: duty rotas.
#include <iostream>
#include <map>

#include <fmt/format.h>

#include "clients/lib/event_text.h"
#include "clients/lib/rota_export.h"
#include "clients/zhibanctl/commands.h"
#include "clients/zhibanctl/entry_builders.h"
#include "daemon/base/date.h"
#include "daemon/base/number.h"

namespace zhiban::ctl {
namespace {

constexpr size_t kMaxRulesFileBytes = 1u << 20;

template <typename Enum>
Result<std::vector<Enum>> ParseEnums(const std::string& text,
                                     bool (*parse)(const std::string&, Enum*), const char* flag,
                                     const char* allowed) {
  std::vector<Enum> out;
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    size_t end = text.find_first_of(",;", start);
    std::string word =
        text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    for (auto& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    Enum v;
    if (word.empty() || !parse(word, &v) || static_cast<int>(v) == 0) {
      return Status::InvalidArgument(flag, fmt::format("\"{}\" is not one of {}", word, allowed));
    }
    out.push_back(v);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

std::string Who(const v1::ShiftListReply& r, const std::string& id) {
  if (id.empty()) return "";
  auto it = r.names().find(id);
  return it == r.names().end() ? id : fmt::format("{} {}", id, it->second);
}

std::string Source(const v1::Shift& s) {
  if (s.assignee_id().empty()) return "GAP";
  std::string out = v1::ShiftSource_Name(s.source());
  if (s.forced()) out += " forced";
  return out;
}

// The rotation turn `s` went without (Shift.turn_skipped): whose, and why
// in a word of Chinese, as staff say it, then the operator's detail.
std::string TurnNote(const v1::Shift& s) {
  if (!s.has_turn_skipped()) return "";
  const auto& t = s.turn_skipped();
  if (t.staff_id() == s.assignee_id()) return "";  // theirs again since (an override)
  return fmt::format("{}{}'s turn ({}): {} {}", t.staff_id(),
                     t.staff_name().empty() ? "" : " " + t.staff_name(), s.rotation_id(),
                     client::TurnSkipWord(t.reason()), t.detail());
}

void PrintShifts(const v1::ShiftListReply& r) {
  bool notes = false;
  for (const auto& s : r.shifts()) notes |= !TurnNote(s).empty();
  std::vector<std::string> head = {"DATE",    "TIME",   "KIND", "CENTER",
                                   "ON DUTY", "BACKUP", "FROM", "PUBLISHED"};
  if (notes) head.push_back("ROTATION TURN NOT TAKEN");
  Table t(head);
  for (const auto& s : r.shifts()) {
    std::vector<std::string> row = {
        s.date() + (s.holiday().empty() ? "" : " " + s.holiday()),
        s.start_local() + "-" + s.end_local(),
        v1::WindowKind_Name(s.kind()) + (s.position() ? fmt::format("#{}", s.position() + 1) : ""),
        s.center_id(),
        s.assignee_id().empty() ? "-- gap --" : Who(r, s.assignee_id()),
        Who(r, s.backup_id()),
        Source(s),
        s.published() ? "yes" : ""};
    if (notes) row.push_back(TurnNote(s));
    t.Add(row);
  }
  t.Print();
  std::cout << fmt::format("{} shifts\n", r.shifts_size());
}

// The daemon's date (its clock may be simulated) as a day number.
Result<int32_t> DaemonDay(Context& ctx) {
  v1::CtlRequest req;
  req.mutable_clock_show();
  ZB_ASSIGN_OR_RETURN(auto r, ctx.ctl().Call(req));
  const int64_t local = r.clock().now().seconds() + 8 * 3600;  // Asia/Shanghai
  return static_cast<int32_t>(local / 86400);
}

// Every center id, in order.
Result<std::vector<std::string>> AllCenters(Context& ctx) {
  std::vector<std::string> ids;
  std::string after;
  do {
    v1::CtlRequest req;
    req.mutable_center_list()->set_limit(10000);
    req.mutable_center_list()->set_after_id(after);
    ZB_ASSIGN_OR_RETURN(auto r, ctx.ctl().Call(req));
    if (r.has_error()) return Status::FailedPrecondition(r.error().message());
    for (const auto& c : r.center_list().centers()) ids.push_back(c.id());
    after = r.center_list().next_after_id();
  } while (!after.empty());
  return ids;
}

// --date D, or --from D [--to D]; without either: today (the daemon's) and
// `default_days` after it.
struct RangeFlags {
  std::string from, to, date;
  void Add(CLI::App* app) {
    auto* f = app->add_option("--from", from, "first date (YYYY-MM-DD)");
    app->add_option("--to", to, "last date (default: --from)");
    app->add_option("--date", date, "one date")->excludes(f);
  }
  Status Resolve(Context& ctx, int default_days) {
    if (!date.empty()) from = to = date;
    if (!from.empty()) return {};
    ZB_ASSIGN_OR_RETURN(auto today, DaemonDay(ctx));
    from = FormatDate(FromDayNumber(today));
    if (to.empty()) to = FormatDate(FromDayNumber(today + default_days));
    return {};
  }
};

// Whose shifts a plan moved: "c1b -3, s3 +2, c1c +1" (a gap counts for nobody).
std::string Hands(const v1::RotaPlanReply& p) {
  std::map<std::string, int> n;
  for (int k = 0; k < p.reassigned_shifts_size(); ++k) {
    if (k < p.reassigned_from_size()) --n[p.reassigned_from(k)];
    if (!p.reassigned_shifts(k).assignee_id().empty()) ++n[p.reassigned_shifts(k).assignee_id()];
  }
  std::vector<std::string> out;
  for (const auto& [id, d] : n) {
    if (d != 0) out.push_back(fmt::format("{} {:+}", id, d));
  }
  return out.empty() ? "nobody's count changed" : fmt::format("{}", fmt::join(out, ", "));
}

// rota generate / rota fill: one center, or every center one request at a
// time (each commits on its own, so other commands are answered in between).
int RunPlan(Context& ctx, const std::string& center, const std::string& from, const std::string& to,
            bool fill, bool fill_only, bool fresh) {
  std::vector<std::string> centers{center};
  if (center == "all") {
    auto all = AllCenters(ctx);
    if (!all.ok()) return PrintProblem(all.status().message(), kExitUnavailable, ctx.g.format());
    centers = std::move(*all);
  }
  uint64_t shifts = 0, assigned = 0, gaps = 0, kept = 0, changed = 0, reassigned = 0;
  int rc = kExitOk;
  for (size_t i = 0; i < centers.size(); ++i) {
    v1::CtlRequest req;
    auto* q = req.mutable_rota_generate();
    q->set_center_id(centers[i]);
    q->set_from(from);
    q->set_to(to);
    q->set_fill(fill);
    q->set_fill_only(fill_only);
    q->set_fresh(fresh);
    const bool last = i + 1 == centers.size();
    rc = Send(ctx, req, [&](const v1::CtlReply& r) {
      const auto& p = r.rota_plan();
      shifts += p.shifts();
      assigned += p.assigned();
      gaps += p.gaps();
      kept += p.kept();
      changed += p.changed();
      reassigned += p.reassigned();
      if (centers.size() > 1) {
        std::cerr << fmt::format(
            "[{}/{}] {}: {} shifts, {} gaps{}{}\n", i + 1, centers.size(), centers[i], p.shifts(),
            p.gaps(), p.changed() ? fmt::format(", {} published changed", p.changed()) : "",
            p.reassigned() ? fmt::format(", {} changed hands ({})", p.reassigned(), Hands(p)) : "");
        if (!last) return;
        std::cout << fmt::format(
            "{} centers {}..{}: {} shifts, {} assigned, {} gaps, {} kept, {} published changed, "
            "{} planned changed hands\n",
            centers.size(), from, to, shifts, assigned, gaps, kept, changed, reassigned);
        return;
      }
      std::cout << fmt::format(
          "{} {}..{}: {} shifts, {} assigned, {} gaps, {} kept (past or published) ({})\n",
          centers[i], from, to, p.shifts(), p.assigned(), p.gaps(), p.kept(), SeqNote(r));
      if (p.turns_skipped()) {
        std::cout << fmt::format(
            "{} rotation turn(s) went to someone else or stayed a gap; `zhibanctl rota show` "
            "says whose and why\n",
            p.turns_skipped());
      }
      if (p.reassigned()) {
        std::cout << fmt::format(
            "{} planned shift(s) changed hands ({}); every other assignment kept "
            "(--fresh plans all again):\n",
            p.reassigned(), Hands(p));
        Table t({"SHIFT", "WAS", "NOW"});
        for (int k = 0; k < p.reassigned_shifts_size(); ++k) {
          t.Add({p.reassigned_shifts(k).id(),
                 k < p.reassigned_from_size() ? p.reassigned_from(k) : "",
                 p.reassigned_shifts(k).assignee_id().empty()
                     ? "(gap)"
                     : p.reassigned_shifts(k).assignee_id()});
        }
        t.Print();
        if (p.reassigned() > static_cast<uint32_t>(p.reassigned_shifts_size())) {
          std::cout << fmt::format("… {} more; `zhibanctl rota show` lists them\n",
                                   p.reassigned() - p.reassigned_shifts_size());
        }
      }
      if (p.cancelled()) {
        std::cout << fmt::format(
            "{} published shift(s) cancelled: their window is no longer required (policy, "
            "closure, calendar); each person told (shift.cancelled)\n",
            p.cancelled());
      }
      if (p.changed()) {
        std::cout << fmt::format(
            "{} published shift(s) changed, each person told "
            "(shift.changed):\n",
            p.changed());
        Table t({"SHIFT", "NOW"});
        for (const auto& s : p.changed_shifts()) t.Add({s.id(), s.assignee_id()});
        t.Print();
        if (p.changed() > static_cast<uint32_t>(p.changed_shifts_size())) {
          std::cout << fmt::format("… {} more; `zhibanctl rota show` lists them\n",
                                   p.changed() - p.changed_shifts_size());
        }
      }
      if (p.gap_shifts_size()) {
        Table t({"GAP", "WHY"});
        for (int k = 0; k < p.gap_shifts_size(); ++k) {
          t.Add({p.gap_shifts(k).id(), k < p.gap_reasons_size() ? p.gap_reasons(k) : ""});
        }
        t.Print();
        if (p.gaps() > static_cast<uint32_t>(p.gap_shifts_size())) {
          std::cout << fmt::format("… {} more; `zhibanctl rota check` lists them all\n",
                                   p.gaps() - p.gap_shifts_size());
        }
      }
    });
    if (rc != kExitOk) return rc;
  }
  return rc;
}

int RunExportRota(Context& ctx, const std::string& center, const std::string& staff,
                  const std::string& month, const std::string& format, const std::string& out,
                  bool bom) {
  auto first = ParseDate(month + "-01");
  if (month.size() != 7 || !first.ok()) {
    return Usage(ctx,
                 Status::InvalidArgument("--month", fmt::format("\"{}\" is not YYYY-MM", month)));
  }
  if (format != "csv" && format != "ics")
    return Usage(ctx, Status::InvalidArgument("--format", "is csv or ics"));
  if (center.empty() && staff.empty())
    return Usage(ctx, Status::InvalidArgument("", "give --center or --staff"));
  const Date last = first->year() / first->month() / std::chrono::last;
  v1::CtlRequest req;
  auto* q = req.mutable_rota_show();
  q->set_center_id(center);
  q->set_staff_id(staff);
  q->set_from(FormatDate(*first));
  q->set_to(FormatDate(last));
  auto r = ctx.ctl().Call(req);
  if (!r.ok()) return PrintProblem(r.status().message(), kExitUnavailable, ctx.g.format());
  if (r->has_error()) return PrintError(r->error(), ctx.g.format());
  std::vector<v1::Shift> shifts(r->shift_list().shifts().begin(), r->shift_list().shifts().end());
  client::Names staff_names(r->shift_list().names().begin(), r->shift_list().names().end());
  client::Names centers;
  for (const auto& s : shifts) {
    if (centers.count(s.center_id())) continue;
    v1::CtlRequest c;
    c.mutable_center_show()->set_id(s.center_id());
    auto cr = ctx.ctl().Call(c);
    centers[s.center_id()] = cr.ok() && !cr->has_error() ? cr->center().name() : s.center_id();
  }
  std::string text;
  if (format == "csv") {
    text = client::ShiftsToCsv(shifts, staff_names, centers, bom);
  } else {
    v1::CtlRequest clock;
    clock.mutable_clock_show();
    auto now = ctx.ctl().Call(clock);
    google::protobuf::Timestamp stamp =
        now.ok() ? now->clock().now() : google::protobuf::Timestamp();
    const std::string name =
        staff.empty()
            ? fmt::format("{} 值班表 {}", centers.count(center) ? centers[center] : center, month)
            : fmt::format("{} 值班 {}", staff_names.count(staff) ? staff_names[staff] : staff,
                          month);
    text = client::ShiftsToIcs(shifts, staff_names, centers, name, stamp);
  }
  return WriteOutput(ctx, out, text, fmt::format("{} shifts", shifts.size()));
}

Result<std::string> MonthArg(const std::string& m) {
  if (m.size() != 7 || !ParseDate(m + "-01").ok())
    return Status::InvalidArgument("--month", fmt::format("\"{}\" is not YYYY-MM", m));
  return m;
}

void PrintLedger(const v1::LedgerReply& l) {
  Table t({"STAFF", "NAME", "用工", "工时制", "加班待遇", "TOTAL", "EXTENDED", "REST DAYS",
           "STATUTORY", "STATUTORY DAYS", "ON CALL", "COMP EARNED", "COMP TAKEN", "COMP BALANCE",
           "PAY 150%", "PAY 300%", "SUBSIDY"});
  auto h = [](int64_t m) { return fmt::format("{:.1f}h", m / 60.0); };
  for (const auto& r : l.rows()) {
    // ON CALL: hours (shifts), and the allowance when the rules give one.
    std::string on_call = fmt::format("{} ({})", h(r.on_call_minutes()), r.on_call_shifts());
    if (r.on_call_allowance_fen() > 0)
      on_call += " ¥" + client::YuanText(r.on_call_allowance_fen());
    t.Add({r.staff_id(), r.name(), client::EmploymentText(r.employment()),
           client::WorkingTimeText(r.working_time()), client::OvertimePayText(r.overtime_pay()),
           h(r.total_minutes()), h(r.extended_minutes()), h(r.rest_day_minutes()),
           h(r.statutory_minutes()), std::to_string(r.statutory_days()), on_call,
           h(r.comp_earned_minutes()), h(r.comp_taken_minutes()), h(r.comp_balance_minutes()),
           h(r.pay_150_minutes()), h(r.pay_300_minutes()), h(r.subsidy_minutes())});
  }
  t.Print();
}

Command RotationSet() {
  return {
      "rota", "rotation set", "add or replace a rotation layer (changes the future only)",
      [](CLI::App* app) -> Runner {
        auto id = std::make_shared<std::string>(), center = std::make_shared<std::string>(),
             members = std::make_shared<std::string>(),
             period = std::make_shared<std::string>("weekly"),
             handoff = std::make_shared<std::string>("08:00"),
             start = std::make_shared<std::string>(), kinds = std::make_shared<std::string>(),
             days = std::make_shared<std::string>();
        auto precedence = std::make_shared<int>(0);
        auto no_backup = std::make_shared<bool>(false);
        app->add_option("--id", *id, "rotation id")->required();
        app->add_option("--center", *center, "center id")->required();
        app->add_option("--members", *members, "staff ids in turn order, comma-separated")
            ->required();
        app->add_option("--period", *period, "daily, weekly, or a number of days (default weekly)");
        app->add_option("--handoff", *handoff, "local time the turn changes (default 08:00)");
        app->add_option("--start", *start, "date of the first turn (members[0])")->required();
        app->add_option("--kinds", *kinds, "window kinds served, e.g. DUTY,ON_CALL (default all)");
        app->add_option("--day-types", *days,
                        "day types served, e.g. WEEKEND,HOLIDAY (default all; WORKDAY includes "
                        "调休 make-up days)");
        app->add_option("--precedence", *precedence, "lower wins where layers overlap (default 0)");
        app->add_flag("--no-backup", *no_backup,
                      "no AB岗 backup (default: the next member backs up)");
        return [=](Context& ctx) {
          v1::CtlRequest req;
          auto* x = req.mutable_rotation_set()->mutable_rotation();
          x->set_id(*id);
          x->set_center_id(*center);
          size_t s = 0;
          while (s <= members->size()) {
            size_t e = members->find(',', s);
            std::string m = members->substr(s, e == std::string::npos ? std::string::npos : e - s);
            if (!m.empty()) x->add_members(m);
            if (e == std::string::npos) break;
            s = e + 1;
          }
          if (*period == "daily")
            x->set_period_days(1);
          else if (*period == "weekly")
            x->set_period_days(7);
          else {
            auto every = ParseNumber<uint32_t>(*period, "--period");
            if (!every.ok()) {
              return Usage(
                  ctx, Status::InvalidArgument("--period", "is daily, weekly or a number of days"));
            }
            x->set_period_days(*every);
          }
          x->set_handoff(*handoff);
          x->set_start_date(*start);
          x->set_precedence(*precedence);
          x->set_no_backup(*no_backup);
          auto k = ParseEnums<v1::WindowKind>(
              *kinds, v1::WindowKind_Parse, "--kinds",
              "REGULAR, EXTENDED, NOON, STAGGERED, DUTY, APPOINTMENT, ON_CALL, HOME_SERVICE");
          if (!k.ok()) return Usage(ctx, k.status());
          for (auto v : *k) x->add_kinds(v);
          auto d = ParseEnums<v1::DayType>(*days, v1::DayType_Parse, "--day-types",
                                           "WORKDAY, WEEKEND, HOLIDAY, MAKEUP_WORKDAY");
          if (!d.ok()) return Usage(ctx, d.status());
          for (auto v : *d) x->add_day_types(v);
          return Send(ctx, req, [](const v1::CtlReply& r) {
            std::cout << fmt::format(
                "rotation {} set ({}); run `zhibanctl rota generate` to apply it to future "
                "shifts\n",
                r.rotation().id(), SeqNote(r));
          });
        };
      }};
}

Command RotationList() {
  return StringFlagCommand(
      "rota", "rotation list", "rotation layers", {"--center", "only this center"},
      [](v1::CtlRequest& req, const std::string& center) {
        req.mutable_rotation_list()->set_center_id(center);
      },
      [](const v1::CtlReply& r, const std::string&) {
        Table t({"ID", "CENTER", "MEMBERS", "PERIOD", "HANDOFF", "START", "KINDS", "DAY TYPES",
                 "PREC"});
        for (const auto& x : r.rotation_list().rotations()) {
          std::vector<std::string> k, d;
          for (int v : x.kinds()) k.push_back(v1::WindowKind_Name(v));
          for (int v : x.day_types()) d.push_back(v1::DayType_Name(v));
          t.Add({x.id(), x.center_id(), fmt::format("{}", fmt::join(x.members(), ",")),
                 fmt::format("{}d", x.period_days()), x.handoff(), x.start_date(),
                 k.empty() ? "all" : fmt::format("{}", fmt::join(k, ",")),
                 d.empty() ? "all" : fmt::format("{}", fmt::join(d, ",")),
                 std::to_string(x.precedence())});
        }
        t.Print();
      });
}

Command RotationRemove() {
  return IdCommand(
      "rota", "rotation remove", "remove a rotation layer",
      [](v1::CtlRequest& r, const std::string& id) { r.mutable_rotation_remove()->set_id(id); },
      [](const v1::CtlReply& r, const std::string& id) {
        std::cout << fmt::format("removed rotation {} ({})\n", id, SeqNote(r));
      });
}

// rota generate | fill: the same range flags; generate may then fill.
Command RotaPlan(const char* verb) {
  const bool is_fill = std::string(verb) == "fill";
  return {"rota", verb,
          is_fill ? "staff the gaps with eligible staff, fairly, within the rules (keeps every "
                    "assignment)"
                  : "create shifts for every required window from the rotations (--fill: then "
                    "auto-fill)",
          [is_fill](CLI::App* app) -> Runner {
            auto center = std::make_shared<std::string>(), from = std::make_shared<std::string>(),
                 to = std::make_shared<std::string>();
            auto fill = std::make_shared<bool>(false), fresh = std::make_shared<bool>(false);
            app->add_option("--center", *center, "center id, or \"all\" (one request per center)")
                ->required();
            app->add_option("--from", *from, "first date")->required();
            app->add_option("--to", *to, "last date (at most 367 days)")->required();
            if (!is_fill) {
              app->add_flag("--fill", *fill, "auto-fill what the rotations leave");
              app->add_flag("--fresh", *fresh,
                            "plan every unpublished shift ahead again from scratch (default: "
                            "keep each assignment still within the rules)");
            }
            return [=](Context& ctx) {
              return RunPlan(ctx, *center, *from, *to, *fill, is_fill, *fresh);
            };
          }};
}

// rota show | mine: the shifts of one center or one person over --date, or
// --from [--to]; `default_days` after the daemon's today without either.
Command ShiftsOver(std::string verb, std::string help, StringFlag who, int default_days,
                   void (*set)(v1::RotaShowRequest*, const std::string&)) {
  return {"rota", std::move(verb), std::move(help), [=](CLI::App* app) -> Runner {
            auto value = std::make_shared<std::string>();
            auto range = std::make_shared<RangeFlags>();
            app->add_option(who.name, *value, who.help)->required();
            range->Add(app);
            return [=](Context& ctx) {
              if (Status s = range->Resolve(ctx, default_days); !s.ok())
                return PrintProblem(s.message(), kExitUnavailable, ctx.g.format());
              v1::CtlRequest req;
              auto* q = req.mutable_rota_show();
              set(q, *value);
              q->set_from(range->from);
              q->set_to(range->to);
              return Send(ctx, req, [](const v1::CtlReply& r) { PrintShifts(r.shift_list()); });
            };
          }};
}

Command RotaShow() {
  return ShiftsOver("show", "shifts of a center", {"--center", "center id"}, 0,
                    [](v1::RotaShowRequest* q, const std::string& v) { q->set_center_id(v); });
}

Command RotaMine() {
  return ShiftsOver("mine", "one person's shifts (default: the next 30 days)",
                    {"--staff", "staff id"}, 30,
                    [](v1::RotaShowRequest* q, const std::string& v) { q->set_staff_id(v); });
}

Command RotaNow() {
  return StringFlagCommand(
      "rota", "now", "who is on duty now, with the leader and the backup",
      {"--center", "only this center"},
      [](v1::CtlRequest& req, const std::string& center) {
        req.mutable_rota_now()->set_center_id(center);
      },
      [](const v1::CtlReply& r, const std::string&) {
        const auto& n = r.rota_now();
        std::cout << "now " << Time(n.now()) << "\n";
        Table t({"CENTER", "KIND", "UNTIL", "ON DUTY", "PHONE", "BACKUP", "LEADER ON DUTY",
                 "CHECKED IN"});
        for (const auto& d : n.on_duty()) {
          auto l = n.leaders().find(d.center_id());
          t.Add({d.center_id(), v1::WindowKind_Name(d.shift().kind()), d.shift().end_local(),
                 d.staff().id() + " " + d.staff().name(), d.staff().phone(),
                 d.backup().id().empty() ? "" : d.backup().id() + " " + d.backup().name(),
                 l == n.leaders().end() ? "" : l->second.name() + " " + l->second.phone(),
                 d.shift().has_checked_in() ? Time(d.shift().checked_in()) : ""});
        }
        for (const auto& g : n.gaps()) {
          t.Add({g.center_id(), v1::WindowKind_Name(g.kind()), g.end_local(), "-- gap --", "", "",
                 "", ""});
        }
        t.Print();
      });
}

Command RotaCheck() {
  return {
      "rota", "check", "coverage gaps, rule violations and the fairness spread of a range",
      [](CLI::App* app) -> Runner {
        auto center = std::make_shared<std::string>(), from = std::make_shared<std::string>(),
             to = std::make_shared<std::string>();
        app->add_option("--center", *center, "center id")->required();
        app->add_option("--from", *from, "first date")->required();
        app->add_option("--to", *to, "last date")->required();
        return [=](Context& ctx) {
          v1::CtlRequest req;
          auto* q = req.mutable_rota_check();
          q->set_center_id(*center);
          q->set_from(*from);
          q->set_to(*to);
          return Send(ctx, req, [&](const v1::CtlReply& r) {
            const auto& c = r.rota_check();
            std::cout << fmt::format(
                "{} {}..{}: {} shifts, {} gaps, {} rule breaches, {} days without any window\n",
                *center, *from, *to, c.shifts(), c.gap_count(), c.breaches_size(),
                c.uncovered_days_size());
            if (c.uncovered_days_size()) {
              Table t({"DAY WITHOUT WINDOWS", "WHY"});
              for (const auto& g : c.uncovered_days()) t.Add({g.date(), g.reason()});
              t.Print();
            }
            if (c.gaps_size()) {
              Table t({"GAP", "DATE", "TIME", "KIND", "NEEDS"});
              for (const auto& g : c.gaps()) {
                std::vector<std::string> needs;
                for (int role : g.roles()) needs.push_back(v1::Role_Name(role));
                for (const auto& sk : g.skills()) needs.push_back(sk);
                t.Add({g.id(), g.date(), g.start_local() + "-" + g.end_local(),
                       v1::WindowKind_Name(g.kind()), fmt::format("{}", fmt::join(needs, ","))});
              }
              t.Print();
            }
            if (c.breaches_size()) {
              Table t({"SHIFT", "STAFF", "RULE", "DETAIL", "FORCED"});
              for (const auto& b : c.breaches())
                t.Add(
                    {b.shift_id(), b.staff_id(), b.rule(), b.detail(), b.forced() ? "yes" : "NO"});
              t.Print();
            }
            Table f({"STAFF", "NAME", "WEEKEND DAYS", "HOLIDAY DAYS", "EVENINGS", "HOURS"});
            for (const auto& x : c.fairness()) {
              f.Add({x.staff_id(), x.name(), std::to_string(x.weekend_days()),
                     std::to_string(x.holiday_days()), std::to_string(x.evenings()),
                     fmt::format("{:.1f}", x.minutes() / 60.0)});
            }
            f.Print();
            std::cout << fmt::format(
                "fairness spread (max-min): weekend days {}, holiday days {}, evenings {}\n",
                c.spread_weekend_days(), c.spread_holiday_days(), c.spread_evenings());
          });
        };
      }};
}

Command RotaOverride() {
  return {"rota", "override", "one person covers a shift, or someone's shifts over a range",
          [](CLI::App* app) -> Runner {
            auto shift = std::make_shared<std::string>(), staff = std::make_shared<std::string>(),
                 center = std::make_shared<std::string>(), from = std::make_shared<std::string>(),
                 to = std::make_shared<std::string>(), replaces = std::make_shared<std::string>(),
                 reason = std::make_shared<std::string>();
            auto force = std::make_shared<bool>(false);
            app->add_option("--shift", *shift, "shift id (from rota show -o json)");
            app->add_option("--staff", *staff, "who covers")->required();
            app->add_option("--center", *center, "range form: center");
            app->add_option("--from", *from, "range form: first date");
            app->add_option("--to", *to, "range form: last date");
            app->add_option("--replaces", *replaces, "range form: whose shifts");
            app->add_option("--reason", *reason, "why (in shift.changed and the audit log)");
            app->add_flag("--force", *force,
                          "even against working-time rules (audited, reported as rule.violation)");
            return [=](Context& ctx) {
              v1::CtlRequest req;
              auto* x = req.mutable_rota_override();
              x->set_shift_id(*shift);
              x->set_staff_id(*staff);
              x->set_center_id(*center);
              x->set_from(*from);
              x->set_to(*to);
              x->set_replaces(*replaces);
              x->set_reason(*reason);
              x->set_force(*force);
              return Send(ctx, req, [&](const v1::CtlReply& r) {
                std::cout << fmt::format("{} now covers {}{} ({})\n", *staff, r.shift().id(),
                                         shift->empty() ? " and the rest of the range" : "",
                                         SeqNote(r));
              });
            };
          }};
}

Command RotaPublish() {
  return {"rota", "publish", "freeze a month and tell each person their month (rota.digest)",
          [](CLI::App* app) -> Runner {
            auto center = std::make_shared<std::string>(), month = std::make_shared<std::string>();
            app->add_option("--center", *center, "center id, or \"all\"")->required();
            app->add_option("--month", *month, "YYYY-MM")->required();
            return [=](Context& ctx) {
              auto m = MonthArg(*month);
              if (!m.ok()) return Usage(ctx, m.status());
              auto print = [&](const v1::CtlReply& r, const std::string& c) {
                const auto& p = r.rota_publish();
                std::cout << fmt::format("published {} of {}: {} shifts, {} gaps ({})\n", p.month(),
                                         c, p.shifts(), p.gaps(), SeqNote(r));
                if (!p.warning().empty()) std::cerr << "warning: " << p.warning() << "\n";
              };
              if (*center != "all") {
                v1::CtlRequest req;
                req.mutable_rota_publish()->set_center_id(*center);
                req.mutable_rota_publish()->set_month(*month);
                return Send(ctx, req, [&](const v1::CtlReply& r) { print(r, *center); });
              }
              // Every center that can be published is: one already published
              // is reported and passed over, one that cannot be (no shifts)
              // is reported and the rest go on; the exit says whether any
              // was refused.
              auto all = AllCenters(ctx);
              if (!all.ok())
                return PrintProblem(all.status().message(), kExitUnavailable, ctx.g.format());
              size_t published = 0, already = 0, refused = 0;
              // With -o json stdout holds only the replies' JSON.
              std::ostream& info = ctx.g.format() == Format::kJson ? std::cerr : std::cout;
              for (const auto& c : *all) {
                v1::CtlRequest req;
                req.mutable_rota_publish()->set_center_id(c);
                req.mutable_rota_publish()->set_month(*month);
                auto reply = ctx.ctl().Call(req);
                if (!reply.ok())
                  return PrintProblem(reply.status().message(), kExitUnavailable, ctx.g.format());
                if (!reply->has_error()) {
                  ++published;
                  if (ctx.g.format() == Format::kJson) {
                    PrintJson(reply->rota_publish());
                  } else {
                    print(*reply, c);
                  }
                } else if (reply->error().code() == v1::ALREADY_EXISTS) {
                  ++already;
                  info << fmt::format("{} of {} was already published\n", *month, c);
                } else {
                  ++refused;
                  std::cerr << fmt::format("{} not published: ", c);
                  (void)PrintError(reply->error(), ctx.g.format());
                }
              }
              info << fmt::format(
                  "{} center(s) published, {} already published, {} not published\n", published,
                  already, refused);
              return refused == 0 ? kExitOk : kExitRefused;
            };
          }};
}

Command RotaCheckin() {
  return StringFlagCommand(
      "rota", "checkin", "签到: check in to the shift running now (or starting within 30 min)",
      {"--staff", "staff id", true},
      [](v1::CtlRequest& req, const std::string& staff) {
        req.mutable_rota_checkin()->set_staff_id(staff);
      },
      [](const v1::CtlReply& r, const std::string& staff) {
        std::cout << fmt::format("{} checked in to {} at {}\n", staff, r.shift().id(),
                                 Time(r.shift().checked_in()));
      });
}

void PrintSwap(const v1::CtlReply& r) {
  const auto& s = r.shift_swap();
  std::cout << fmt::format(
      "swap {} {}: {} -> {} for {}{} ({})\n", s.id(), v1::SwapState_Name(s.state()),
      s.from_staff_id(), s.to_staff_id(), s.shift_id(),
      s.return_shift_id().empty() ? "" : ", back " + s.return_shift_id(), SeqNote(r));
}

Command SwapRequest() {
  return {"rota", "swap request",
          "ask a colleague to take your shift (they accept, a leader approves)",
          [](CLI::App* app) -> Runner {
            auto shift = std::make_shared<std::string>(), to = std::make_shared<std::string>(),
                 back = std::make_shared<std::string>(), reason = std::make_shared<std::string>(),
                 id = std::make_shared<std::string>();
            app->add_option("--shift", *shift, "your shift id")->required();
            app->add_option("--to", *to, "the colleague's staff id")->required();
            app->add_option("--return-shift", *back, "their shift you take in exchange");
            app->add_option("--reason", *reason, "why");
            app->add_option("--id", *id, "swap id (default: named by zhiband)");
            return [=](Context& ctx) {
              v1::CtlRequest req;
              auto* x = req.mutable_swap_request();
              x->set_id(*id);
              x->set_shift_id(*shift);
              x->set_to_staff_id(*to);
              x->set_return_shift_id(*back);
              x->set_reason(*reason);
              return Send(ctx, req, PrintSwap);
            };
          }};
}

// rota swap accept | approve | reject: who decides; a LEADER may force an approval.
Command SwapDecide(const char* verb, v1::SwapAction action, const char* help) {
  return {"rota", verb, help, [action](CLI::App* app) -> Runner {
            auto id = std::make_shared<std::string>(), by = std::make_shared<std::string>();
            auto force = std::make_shared<bool>(false);
            app->add_option("--id", *id, "swap id")->required();
            app->add_option("--by", *by, "staff id of who decides")->required();
            if (action == v1::APPROVE)
              app->add_flag("--force", *force, "even against working-time rules (audited)");
            return [=](Context& ctx) {
              v1::CtlRequest req;
              auto* x = req.mutable_swap_decide();
              x->set_id(*id);
              x->set_action(action);
              x->set_by_staff_id(*by);
              x->set_force(*force);
              return Send(ctx, req, PrintSwap);
            };
          }};
}

Command SwapList() {
  return StringFlagCommand(
      "rota", "swap list", "swap requests", {"--staff", "only swaps involving this person"},
      [](v1::CtlRequest& req, const std::string& staff) {
        req.mutable_swap_list()->set_staff_id(staff);
      },
      [](const v1::CtlReply& r, const std::string&) {
        Table t({"ID", "STATE", "FROM", "TO", "SHIFT", "RETURN SHIFT", "DECIDED BY", "REASON"});
        for (const auto& s : r.swap_list().swaps()) {
          t.Add({s.id(), v1::SwapState_Name(s.state()), s.from_staff_id(), s.to_staff_id(),
                 s.shift_id(), s.return_shift_id(), s.decided_by(), s.reason()});
        }
        t.Print();
      });
}

Command RulesSet() {
  return {"rota", "rules set", "working-time rules from a TOML file (see ops/rules.toml)",
          [](CLI::App* app) -> Runner {
            auto file = std::make_shared<std::string>();
            app->add_option("--file", *file, "rules TOML")->required();
            return [=](Context& ctx) {
              auto text = ReadFile(*file, kMaxRulesFileBytes);
              if (!text.ok()) return Usage(ctx, text.status());
              v1::CtlRequest req;
              req.mutable_rules_set()->set_toml(*text);
              req.mutable_rules_set()->set_source(*file);
              return Send(ctx, req, [&](const v1::CtlReply& r) {
                std::cout << fmt::format("working-time rules from {} in force ({})\n", *file,
                                         SeqNote(r));
              });
            };
          }};
}

Command RulesShow() {
  return QueryCommand(
      "rota", "rules show", "the working-time rules in force (defaults: DESIGN.md §2)",
      [](v1::CtlRequest& req) { req.mutable_rules_show(); },
      [](const v1::CtlReply& r) {
        if (r.rules().toml().empty()) {
          std::cout << "defaults: 8h a day + 3h overtime, 40h a week, 36h overtime a "
                       "month, 11h rest between "
                       "working days, at most 6 consecutive days, 1 rest day a week\n";
        } else {
          std::cout << "# from " << r.rules().source() << "\n" << r.rules().toml();
        }
      });
}

constexpr const char* kLeaveKinds =
    "ANNUAL (年休假), SICK (病假), COMPENSATORY (补休/调休), PERSONAL (事假), MARRIAGE (婚假), "
    "MATERNITY (产假), PATERNITY (陪产假), BEREAVEMENT (丧假), HOME_VISIT (探亲假)";

// A kind of leave by its name or in Chinese.
Result<v1::LeaveKind> ParseLeaveKind(const std::string& text) {
  static const std::map<std::string, v1::LeaveKind, std::less<>> kChinese = {
      {"年假", v1::ANNUAL},       {"年休假", v1::ANNUAL},     {"病假", v1::SICK},
      {"补休", v1::COMPENSATORY}, {"调休", v1::COMPENSATORY}, {"事假", v1::PERSONAL},
      {"婚假", v1::MARRIAGE},     {"产假", v1::MATERNITY},    {"陪产假", v1::PATERNITY},
      {"护理假", v1::PATERNITY},  {"丧假", v1::BEREAVEMENT},  {"探亲假", v1::HOME_VISIT}};
  if (auto it = kChinese.find(text); it != kChinese.end()) return it->second;
  auto k = ParseEnums<v1::LeaveKind>(text, v1::LeaveKind_Parse, "--kind", kLeaveKinds);
  if (!k.ok()) return k.status();
  if (k->size() != 1) return Status::InvalidArgument("--kind", "give one kind");
  return k->front();
}

// Half a day by its name or in Chinese ("" is a whole day).
Result<v1::LeaveHalf> ParseLeaveHalf(const std::string& text) {
  if (text.empty()) return v1::LEAVE_HALF_UNSPECIFIED;
  if (text == "上午" || text == "morning" || text == "am" || text == "AM")
    return v1::LEAVE_HALF_MORNING;
  if (text == "下午" || text == "afternoon" || text == "pm" || text == "PM")
    return v1::LEAVE_HALF_AFTERNOON;
  return Status::InvalidArgument(
      "--half", fmt::format("\"{}\" is not a half day: 上午 (morning) or 下午 (afternoon)", text));
}

// 年休假 days in half days: "4" or "4.5".
std::string HalfDaysText(int64_t halves) {
  if (halves % 2 == 0) return std::to_string(halves / 2);
  return fmt::format("{}{}.5", halves < 0 ? "-" : "", (halves < 0 ? -halves : halves) / 2);
}

// After forced annual leave or 补休: each year it touches whose balance is
// now below zero, said plainly (the audit record says it too).
void PrintOverdrawn(Context& ctx, const v1::Leave& l) {
  if (l.kind() != v1::ANNUAL && l.kind() != v1::COMPENSATORY) return;  // lengths: the audit's
  const auto from = ParseDate(l.from()), to = ParseDate(l.to());       // as zhiband stored them
  if (!from.ok() || !to.ok()) return;
  const int first = int(from->year()), last = int(to->year());
  for (int y = first; y <= last; ++y) {
    v1::CtlRequest req;
    if (l.kind() == v1::ANNUAL) {
      req.mutable_leave_balance()->set_staff_id(l.staff_id());
      req.mutable_leave_balance()->set_year(y);
    } else {
      req.mutable_ledger()->set_staff_id(l.staff_id());
      req.mutable_ledger()->set_year(y);
    }
    auto r = ctx.ctl().Call(req);
    if (!r.ok() || r->has_error()) continue;
    if (l.kind() == v1::ANNUAL && r->leave_balance().remaining_half_days() < 0) {
      std::cout << fmt::format("{} {}年 年休假已超出 {} 天（强制）\n", l.staff_id(), y,
                               HalfDaysText(-r->leave_balance().remaining_half_days()));
    } else if (l.kind() == v1::COMPENSATORY && r->ledger().rows_size() == 1 &&
               r->ledger().rows(0).comp_balance_minutes() < 0) {
      std::cout << fmt::format("{} {}年 补休已超出 {:.1f} 小时（强制）\n", l.staff_id(), y,
                               -r->ledger().rows(0).comp_balance_minutes() / 60.0);
    }
  }
}

// The leave `leave add` and `leave request` send, from their flags.
Result<v1::Leave> LeaveOf(const std::string& id, const std::string& staff, const std::string& kind,
                          const std::string& from, const std::string& to, const std::string& reason,
                          const std::string& half) {
  ZB_ASSIGN_OR_RETURN(auto k, ParseLeaveKind(kind));
  ZB_ASSIGN_OR_RETURN(auto h, ParseLeaveHalf(half));
  v1::Leave l;
  l.set_id(id);
  l.set_staff_id(staff);
  l.set_kind(k);
  l.set_from(from);
  l.set_to(to);
  l.set_reason(reason);
  l.set_half(h);
  return l;
}

Command LeaveAdd() {
  return {"leave", "add", "approved leave; shifts it hits go to the backup or become gaps",
          [](CLI::App* app) -> Runner {
            auto id = std::make_shared<std::string>(), staff = std::make_shared<std::string>(),
                 kind = std::make_shared<std::string>(), from = std::make_shared<std::string>(),
                 to = std::make_shared<std::string>(), reason = std::make_shared<std::string>(),
                 half = std::make_shared<std::string>();
            auto force = std::make_shared<bool>(false);
            app->add_option("--id", *id, "leave id")->required();
            app->add_option("--staff", *staff, "staff id")->required();
            app->add_option("--kind", *kind, kLeaveKinds)->required();
            app->add_option("--from", *from, "first day")->required();
            app->add_option("--to", *to, "last day (default: --from)");
            app->add_option("--reason", *reason, "note");
            app->add_option("--half", *half,
                            "half a day (one day only): 上午|morning (until 12:00) or "
                            "下午|afternoon (from 12:00); 年休假, 病假, 补休 and 事假");
            app->add_flag("--force", *force,
                          "take annual leave or 补休 beyond the year's balance (shown), or "
                          "leave longer than its kind's length (audited)");
            return [=](Context& ctx) {
              auto l = LeaveOf(*id, *staff, *kind, *from, *to, *reason, *half);
              if (!l.ok()) return Usage(ctx, l.status());
              v1::CtlRequest req;
              req.mutable_leave_add()->set_force(*force);
              *req.mutable_leave_add()->mutable_leave() = std::move(*l);
              return Send(ctx, req, [&ctx, force](const v1::CtlReply& r) {
                std::cout << fmt::format("leave {} for {} {}..{}{} ({})\n", r.leave().id(),
                                         r.leave().staff_id(), r.leave().from(), r.leave().to(),
                                         client::LeaveHalfText(r.leave().half()), SeqNote(r));
                if (*force) PrintOverdrawn(ctx, r.leave());
              });
            };
          }};
}

Command LeaveBalance() {
  return {"leave", "balance",
          "annual leave (年休假) of a year: entitled by years of service, taken, left",
          [](CLI::App* app) -> Runner {
            auto staff = std::make_shared<std::string>();
            auto year = std::make_shared<int>(0);
            app->add_option("--staff", *staff, "staff id")->required();
            app->add_option("--year", *year, "e.g. 2026")->required();
            return [=](Context& ctx) {
              v1::CtlRequest req;
              req.mutable_leave_balance()->set_staff_id(*staff);
              req.mutable_leave_balance()->set_year(*year);
              return Send(ctx, req, [](const v1::CtlReply& r) {
                const auto& b = r.leave_balance();
                std::cout << fmt::format(
                    "{} {} {}年 年休假：应休 {} 天（参加工作 {}，工龄满 {} 年），已休 {} 天，剩余 "
                    "{} 天\n",
                    b.staff_id(), b.name(), b.year(), b.entitled_days(), b.work_since(),
                    b.service_years(), HalfDaysText(b.taken_half_days()),
                    HalfDaysText(b.remaining_half_days()));
                if (b.leave().empty()) return;
                Table t({"请假", "起", "止", "计入天数"});
                for (const auto& l : b.leave()) {
                  t.Add({l.leave_id(), l.from(), l.to(), HalfDaysText(l.half_days())});
                }
                t.Print();
              });
            };
          }};
}

Command LeaveList() {
  return {"leave", "list", "approved leave", [](CLI::App* app) -> Runner {
            auto staff = std::make_shared<std::string>(), center = std::make_shared<std::string>();
            app->add_option("--staff", *staff, "only this person");
            app->add_option("--center", *center, "only staff homed here");
            return [=](Context& ctx) {
              v1::CtlRequest req;
              req.mutable_leave_list()->set_staff_id(*staff);
              req.mutable_leave_list()->set_center_id(*center);
              return Send(ctx, req, [](const v1::CtlReply& r) {
                Table t({"ID", "STAFF", "KIND", "FROM", "TO", "REASON"});
                for (const auto& l : r.leave_list().leave()) {
                  t.Add({l.id(), l.staff_id(), client::LeaveKindText(l.kind()), l.from(),
                         l.to() + client::LeaveHalfText(l.half()), l.reason()});
                }
                t.Print();
              });
            };
          }};
}

Command LeaveRemove() {
  return IdCommand(
      "leave", "remove", "withdraw leave (shifts stay as re-planned; run rota fill)",
      [](v1::CtlRequest& r, const std::string& id) { r.mutable_leave_remove()->set_id(id); },
      [](const v1::CtlReply& r, const std::string& id) {
        std::cout << fmt::format("removed leave {} ({})\n", id, SeqNote(r));
      });
}

// 请假申请 as zhiband answered it: the request, then each shift it opens
// with its cover, then (approval) how the plan changed since the request.
void PrintLeaveRequest(const v1::CtlReply& r) {
  const auto& q = r.leave_request();
  const auto& l = q.leave();
  std::cout << fmt::format("leave request {} {}: {} {} {}..{}{} ({})\n", q.id(),
                           v1::LeaveRequestState_Name(q.state()), l.staff_id(),
                           client::LeaveKindText(l.kind()), l.from(), l.to(),
                           client::LeaveHalfText(l.half()), SeqNote(r));
  if (q.covers().empty()) {
    std::cout << "no shift of theirs in it\n";
  } else {
    Table t({"SHIFT", "DATE", "COVER", "BY"});
    for (const auto& c : q.covers()) {
      const char* how = c.kind() == v1::LEAVE_COVER_BACKUP     ? "AB岗 backup takes it"
                        : c.kind() == v1::LEAVE_COVER_PROPOSED ? "gap; proposed"
                                                               : "gap; nobody free";
      t.Add({c.shift().id(), c.shift().date(), c.cover_staff_id(), how});
    }
    t.Print();
  }
  if (q.backup_posts() || q.visits()) {
    std::cout << fmt::format("AB岗 posts handed on: {}; visits sent back to dispatch: {}\n",
                             q.backup_posts(), q.visits());
  }
  for (const auto& c : q.changes()) std::cout << "changed since the request: " << c << "\n";
}

Command LeaveRequest() {
  return {"leave", "request",
          "ask for leave (请假申请): checked against the leave rules, shows the shifts it would "
          "open and their proposed cover; nothing changes until a leader approves",
          [](CLI::App* app) -> Runner {
            auto id = std::make_shared<std::string>(), staff = std::make_shared<std::string>(),
                 kind = std::make_shared<std::string>(), from = std::make_shared<std::string>(),
                 to = std::make_shared<std::string>(), note = std::make_shared<std::string>(),
                 half = std::make_shared<std::string>();
            app->add_option("--staff", *staff, "whose leave (a staff key: themselves)")->required();
            app->add_option("--kind", *kind, kLeaveKinds)->required();
            app->add_option("--from", *from, "first day")->required();
            app->add_option("--to", *to, "last day (default: --from)");
            app->add_option("--half", *half, "half a day (one day only): AM|上午 or PM|下午");
            app->add_option("--note", *note, "why, for the leader (at most 500 bytes)");
            app->add_option("--id", *id,
                            "request id, also the leave's (default: named by zhiband)");
            return [=](Context& ctx) {
              auto l = LeaveOf(*id, *staff, *kind, *from, *to, *note, *half);
              if (!l.ok()) return Usage(ctx, l.status());
              v1::CtlRequest req;
              *req.mutable_leave_request()->mutable_leave() = std::move(*l);
              return Send(ctx, req, PrintLeaveRequest);
            };
          }};
}

// leave approve | reject | withdraw.
Command LeaveDecide(const char* verb, v1::LeaveAction action, const char* help) {
  return {
      "leave", verb, help, [action](CLI::App* app) -> Runner {
        auto id = std::make_shared<std::string>(), note = std::make_shared<std::string>(),
             by = std::make_shared<std::string>();
        auto force = std::make_shared<bool>(false);
        app->add_option("--id", *id, "leave request id")->required();
        if (action == v1::LEAVE_APPROVE) {
          app->add_option("--note", *note, "to the person (at most 500 bytes)");
          app->add_flag("--force", *force,
                        "approve although a leave rule refuses it now (a balance used since the "
                        "request); audited");
        }
        if (action == v1::LEAVE_REJECT)
          app->add_option("--reason", *note, "why, to the person (at most 500 bytes)")->required();
        if (action != v1::LEAVE_WITHDRAW) {
          app->add_option("--by", *by,
                          "staff id of the leader who decides (an operator recording their "
                          "decision; default: who runs it)");
        }
        return [=](Context& ctx) {
          v1::CtlRequest req;
          auto* x = req.mutable_leave_decide();
          x->set_id(*id);
          x->set_action(action);
          x->set_note(*note);
          x->set_by_staff_id(*by);
          x->set_force(*force);
          return Send(ctx, req, PrintLeaveRequest);
        };
      }};
}

Command LeaveRequests() {
  return {
      "leave", "requests", "leave requests (请假申请) and where each stands",
      [](CLI::App* app) -> Runner {
        auto staff = std::make_shared<std::string>(), center = std::make_shared<std::string>(),
             state = std::make_shared<std::string>();
        app->add_option("--center", *center, "only staff homed here");
        app->add_option("--staff", *staff, "only this person's");
        app->add_option("--state", *state, "PENDING, APPROVED, REJECTED or WITHDRAWN");
        return [=](Context& ctx) {
          v1::LeaveRequestState st = v1::LEAVE_REQUEST_STATE_UNSPECIFIED;
          if (!state->empty() && !v1::LeaveRequestState_Parse("LEAVE_REQUEST_" + *state, &st))
            return Usage(ctx, Status::InvalidArgument(
                                  "--state", fmt::format("\"{}\" is not PENDING, APPROVED, "
                                                         "REJECTED or WITHDRAWN",
                                                         *state)));
          v1::CtlRequest req;
          req.mutable_leave_request_list()->set_staff_id(*staff);
          req.mutable_leave_request_list()->set_center_id(*center);
          req.mutable_leave_request_list()->set_state(st);
          return Send(ctx, req, [](const v1::CtlReply& r) {
            Table t({"ID", "STATE", "STAFF", "KIND", "FROM", "TO", "SHIFTS", "ASKED BY",
                     "DECIDED BY", "NOTE"});
            for (const auto& q : r.leave_request_list().leave_requests()) {
              std::string where = v1::LeaveRequestState_Name(q.state());
              if (where.starts_with("LEAVE_REQUEST_")) where = where.substr(14);
              t.Add({q.id(), where, q.leave().staff_id(), client::LeaveKindText(q.leave().kind()),
                     q.leave().from(), q.leave().to() + client::LeaveHalfText(q.leave().half()),
                     std::to_string(q.covers_size()), q.requested_by(), q.decided_by(),
                     q.answer().empty() ? q.leave().reason() : q.answer()});
            }
            t.Print();
          });
        };
      }};
}

Command StaffLedger() {
  return {"staff", "ledger",
          "hours and pay ledger: extended hours, rest-day and statutory-day duty, on call, "
          "comp time (补休) earned and taken",
          [](CLI::App* app) -> Runner {
            auto staff = std::make_shared<std::string>();
            auto year = std::make_shared<int>(0), month = std::make_shared<int>(0);
            app->add_option("staff", *staff, "staff id")->required();
            app->add_option("--year", *year, "e.g. 2026")->required();
            app->add_option("--month", *month, "1..12: one month (default: the whole year)")
                ->check(CLI::Range(1, 12));
            return [=](Context& ctx) {
              v1::CtlRequest req;
              req.mutable_ledger()->set_staff_id(*staff);
              req.mutable_ledger()->set_year(*year);
              req.mutable_ledger()->set_month(static_cast<uint32_t>(*month));
              return Send(ctx, req, [](const v1::CtlReply& r) { PrintLedger(r.ledger()); });
            };
          }};
}

Command ExportLedger() {
  return {"export", "ledger", "the hours and pay ledger as CSV for payroll",
          [](CLI::App* app) -> Runner {
            auto center = std::make_shared<std::string>(), out = std::make_shared<std::string>(),
                 format = std::make_shared<std::string>("csv");
            auto year = std::make_shared<int>(0), month = std::make_shared<int>(0);
            auto no_bom = std::make_shared<bool>(false);
            app->add_option("--year", *year, "e.g. 2026")->required();
            app->add_option("--month", *month, "1..12: one month (default: the whole year)")
                ->check(CLI::Range(1, 12));
            app->add_option("--center", *center, "only staff homed here (default: everyone)");
            app->add_option("--format", *format, "csv");
            app->add_option("--out", *out, "file (default: stdout)");
            app->add_flag("--no-bom", *no_bom, "omit the UTF-8 BOM");
            return [=](Context& ctx) {
              if (*format != "csv")
                return Usage(ctx, Status::InvalidArgument("--format", "the ledger exports as csv"));
              v1::CtlRequest req;
              req.mutable_ledger()->set_center_id(*center);
              req.mutable_ledger()->set_year(*year);
              req.mutable_ledger()->set_month(static_cast<uint32_t>(*month));
              auto r = ctx.ctl().Call(req);
              if (!r.ok())
                return PrintProblem(r.status().message(), kExitUnavailable, ctx.g.format());
              if (r->has_error()) return PrintError(r->error(), ctx.g.format());
              return WriteOutput(ctx, *out, client::LedgerToCsv(r->ledger(), !*no_bom),
                                 fmt::format("{} ledger rows", r->ledger().rows_size()));
            };
          }};
}

Command ExportRota() {
  return {"export", "rota", "a month of shifts as CSV or iCalendar (.ics, for phone calendars)",
          [](CLI::App* app) -> Runner {
            auto center = std::make_shared<std::string>(), staff = std::make_shared<std::string>(),
                 month = std::make_shared<std::string>(),
                 format = std::make_shared<std::string>("csv"),
                 out = std::make_shared<std::string>();
            auto no_bom = std::make_shared<bool>(false);
            app->add_option("--center", *center, "center id");
            app->add_option("--staff", *staff, "one person's shifts (at every center)");
            app->add_option("--month", *month, "YYYY-MM")->required();
            app->add_option("--format", *format, "csv or ics (default csv)");
            app->add_option("--out", *out, "file (default: stdout)");
            app->add_flag("--no-bom", *no_bom, "omit the UTF-8 BOM (csv)");
            return [=](Context& ctx) {
              return RunExportRota(ctx, *center, *staff, *month, *format, *out, !*no_bom);
            };
          }};
}

}  // namespace

void AddRotaCommands(std::vector<Command>& cmds) {
  cmds.push_back(RotationSet());
  cmds.push_back(RotationList());
  cmds.push_back(RotationRemove());
  cmds.push_back(RotaPlan("generate"));
  cmds.push_back(RotaPlan("fill"));
  cmds.push_back(RotaShow());
  cmds.push_back(RotaMine());
  cmds.push_back(RotaNow());
  cmds.push_back(RotaCheck());
  cmds.push_back(RotaOverride());
  cmds.push_back(RotaPublish());
  cmds.push_back(RotaCheckin());
  cmds.push_back(SwapRequest());
  cmds.push_back(SwapDecide("swap accept", v1::ACCEPT, "the colleague agrees"));
  cmds.push_back(SwapDecide("swap approve", v1::APPROVE, "a LEADER approves: the swap is applied"));
  cmds.push_back(SwapDecide("swap reject", v1::REJECT, "the colleague or a LEADER says no"));
  cmds.push_back(SwapList());
  cmds.push_back(RulesSet());
  cmds.push_back(RulesShow());
  cmds.push_back(LeaveAdd());
  cmds.push_back(LeaveRequest());
  cmds.push_back(LeaveDecide("approve", v1::LEAVE_APPROVE,
                             "a leader of the person's center approves a leave request: the "
                             "leave is added as `leave add` does, planned again now"));
  cmds.push_back(
      LeaveDecide("reject", v1::LEAVE_REJECT,
                  "a leader of the person's center rejects a leave request, saying why"));
  cmds.push_back(LeaveDecide("withdraw", v1::LEAVE_WITHDRAW,
                             "the person withdraws their pending leave request"));
  cmds.push_back(LeaveRequests());
  cmds.push_back(LeaveList());
  cmds.push_back(LeaveRemove());
  cmds.push_back(LeaveBalance());
  cmds.push_back(StaffLedger());
  cmds.push_back(ExportLedger());
  cmds.push_back(ExportRota());
}

}  // namespace zhiban::ctl
