// zhibanctl calendar | policy | coverage: the 365-day calendar and opening policies.
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "clients/lib/records_csv.h"
#include "clients/zhibanctl/commands.h"
#include "clients/zhibanctl/entry_builders.h"
#include "daemon/base/date.h"
#include "daemon/domain/holiday_json.h"

namespace zhiban::ctl {
namespace {

// Calendar files and policies are small; anything larger is a mistake.
constexpr size_t kMaxSmallFileBytes = 4u << 20;

const char* Weekday(const std::string& iso) {
  static const char* kNames[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  auto d = ParseDate(iso);
  if (!d.ok()) return "";
  return kNames[std::chrono::weekday(std::chrono::sys_days(*d)).c_encoding()];
}

std::string DayTypeName(v1::DayType t) {
  return t == v1::DAY_TYPE_UNSPECIFIED ? "" : v1::DayType_Name(t);
}

std::string Roles(const v1::Coverage& c) {
  std::vector<std::string> r;
  for (int x : c.roles()) r.push_back(v1::Role_Name(x));
  return fmt::format("{}", fmt::join(r, ";"));
}

Result<v1::DayType> ParseDayType(const std::string& s) {
  std::string up;
  for (char c : s) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  v1::DayType t{};
  if (!v1::DayType_Parse(up, &t) || t == v1::DAY_TYPE_UNSPECIFIED) {
    return Status::InvalidArgument(
        "--as",
        fmt::format("\"{}\" is not a day type (WORKDAY, WEEKEND, HOLIDAY, MAKEUP_WORKDAY)", s));
  }
  return t;
}

// calendar import | statutory: a JSON file, read and parsed here so that a
// mistake names the file; `fill` puts the parsed year into the request.
Command CalendarFile(
    std::string verb, std::string help, std::string file_help,
    std::function<Status(const std::string& text, const std::string& file, v1::CtlRequest& req)>
        fill,
    std::function<void(const v1::CtlReply&)> print) {
  return {"calendar", std::move(verb), std::move(help), [=](CLI::App* app) -> Runner {
            auto file = std::make_shared<std::string>();
            app->add_option("file", *file, file_help)->required();
            return [=](Context& ctx) {
              auto text = ReadFile(*file, kMaxSmallFileBytes);
              if (!text.ok()) return Usage(ctx, text.status());
              v1::CtlRequest req;
              if (Status s = fill(*text, *file, req); !s.ok()) return Usage(ctx, s);
              return Send(ctx, req, print);
            };
          }};
}

Command CalendarImport() {
  return CalendarFile(
      "import", "load a year's national calendar (holiday-cn JSON: the State Council notice)",
      "e.g. 2027.json",
      [](const std::string& text, const std::string& file, v1::CtlRequest& req) -> Status {
        ZB_ASSIGN_OR_RETURN(auto year, domain::ParseHolidayJson(text, file));
        *req.mutable_calendar_import()->mutable_year() = std::move(year);
        return {};
      },
      [](const v1::CtlReply& r) {
        const auto& y = r.calendar_year();
        std::cout << fmt::format(
            "{} the national calendar {}: {} rest days, {} make-up workdays ({})\n",
            y.replaced() ? "replaced" : "loaded", y.year(), y.rest_days(), y.makeup_workdays(),
            SeqNote(r));
        if (y.incomplete_size() > 0) {
          std::cerr << fmt::format(
              "warning: the notice for {} is incomplete against the law; those days are "
              "planned as ordinary days until a complete notice is imported:\n",
              y.year());
          for (const auto& line : y.incomplete()) std::cerr << "  " << line << "\n";
        }
      });
}

Command CalendarStatutory() {
  return CalendarFile(
      "statutory", "set a year's statutory holidays (法定节假日; data/statutory-cn JSON)",
      "e.g. data/statutory-cn/2027.json",
      [](const std::string& text, const std::string& file, v1::CtlRequest& req) -> Status {
        ZB_ASSIGN_OR_RETURN(auto statutory, domain::ParseStatutoryJson(text, file));
        *req.mutable_calendar_statutory()->mutable_statutory() = std::move(statutory);
        return {};
      },
      [](const v1::CtlReply& r) {
        const auto& y = r.calendar_year();
        std::cout << fmt::format("{} the statutory holidays of {}: {} days ({})\n",
                                 y.replaced() ? "replaced" : "set", y.year(), y.statutory_days(),
                                 SeqNote(r));
      });
}

Command CalendarShow() {
  return {"calendar", "show", "each date's day type (with a center's exceptions)",
          [](CLI::App* app) -> Runner {
            auto from = std::make_shared<std::string>(), to = std::make_shared<std::string>(),
                 center = std::make_shared<std::string>();
            app->add_option("--from", *from, "first date (YYYY-MM-DD)")->required();
            app->add_option("--to", *to, "last date (default: --from)");
            app->add_option("--center", *center, "apply this center's exceptions");
            return [=](Context& ctx) {
              v1::CtlRequest req;
              auto* q = req.mutable_calendar_show();
              q->set_from(*from);
              q->set_to(*to);
              q->set_center_id(*center);
              return Send(ctx, req, [](const v1::CtlReply& r) {
                Table t({"DATE", "DAY", "TYPE", "NAME", "NOTE"});
                for (const auto& d : r.calendar_show().days()) {
                  std::string note = d.statutory() ? "法定节假日 " : "";
                  if (d.closed()) note += "CLOSED ";
                  if (!d.exception_id().empty())
                    note += fmt::format("({}: {})", d.exception_id(), d.reason());
                  t.Add({d.date(), Weekday(d.date()), DayTypeName(d.day_type()), d.name(), note});
                }
                t.Print();
              });
            };
          }};
}

// GROUP VERB --year N: a whole year's figures.
Command YearCommand(std::string group, std::string verb, std::string help,
                    std::function<void(v1::CtlRequest&, int year)> set,
                    std::function<void(const v1::CtlReply&)> print) {
  return {std::move(group), std::move(verb), std::move(help), [=](CLI::App* app) -> Runner {
            auto year = std::make_shared<int>(0);
            app->add_option("--year", *year, "e.g. 2026")->required();
            return [=](Context& ctx) {
              v1::CtlRequest req;
              set(req, *year);
              return Send(ctx, req, print);
            };
          }};
}

Command CalendarStats() {
  return YearCommand(
      "calendar", "stats", "count each day type of a year",
      [](v1::CtlRequest& req, int year) { req.mutable_calendar_stats()->set_year(year); },
      [](const v1::CtlReply& r) {
        const auto& s = r.calendar_stats();
        Table t({"YEAR", "WORKDAY", "WEEKEND", "HOLIDAY", "MAKEUP_WORKDAY", "LISTED_REST_DAYS",
                 "STATUTORY"});
        t.Add({std::to_string(s.year()), std::to_string(s.workdays()),
               std::to_string(s.weekend_days()), std::to_string(s.holidays()),
               std::to_string(s.makeup_workdays()), std::to_string(s.listed_rest_days()),
               s.statutory_law().empty() ? "not loaded" : std::to_string(s.statutory_days())});
        t.Print();
      });
}

Command CalendarYears() {
  return QueryCommand(
      "calendar", "years", "the national calendars loaded",
      [](v1::CtlRequest& req) { req.mutable_calendar_years(); },
      [](const v1::CtlReply& r) {
        Table t({"YEAR", "SOURCE", "NOTICE", "STATUTORY DAYS BY"});
        for (const auto& y : r.calendar_years().years()) {
          t.Add({std::to_string(y.year()), y.source(), y.papers_size() ? y.papers(0) : "",
                 y.statutory_law().empty() ? "not loaded" : y.statutory_law()});
        }
        t.Print();
      });
}

Command ExceptAdd() {
  return {
      "calendar", "except add", "a local exception: closed, or a date treated as another day type",
      [](CLI::App* app) -> Runner {
        auto e = std::make_shared<v1::CalendarException>();
        auto id = std::make_shared<std::string>(), center = std::make_shared<std::string>(),
             from = std::make_shared<std::string>(), to = std::make_shared<std::string>(),
             as = std::make_shared<std::string>(), reason = std::make_shared<std::string>();
        auto closed = std::make_shared<bool>(false);
        app->add_option("--center", *center, "center id")->required();
        app->add_option("--id", *id, "exception id (e.g. repair-2026-03)")->required();
        app->add_option("--from", *from, "first date")->required();
        app->add_option("--to", *to, "last date (default: --from)");
        auto* o_closed = app->add_flag("--closed", *closed, "the center is closed (装修, 停电)");
        auto* o_as = app->add_option(
            "--as", *as, "treat the dates as WORKDAY, WEEKEND, HOLIDAY or MAKEUP_WORKDAY");
        o_closed->excludes(o_as);
        app->add_option("--reason", *reason, "why, shown to operators");
        return [=](Context& ctx) {
          v1::CtlRequest req;
          auto* x = req.mutable_exception_add()->mutable_exception();
          x->set_id(*id);
          x->set_center_id(*center);
          x->set_from(*from);
          x->set_to(*to);
          x->set_reason(*reason);
          if (*closed) {
            x->set_kind(v1::CLOSED);
          } else if (!as->empty()) {
            auto t = ParseDayType(*as);
            if (!t.ok()) return Usage(ctx, t.status());
            x->set_kind(v1::AS_DAY_TYPE);
            x->set_day_type(*t);
          } else {
            return Usage(ctx, Status::InvalidArgument("", "give --closed or --as TYPE"));
          }
          return Send(ctx, req, [](const v1::CtlReply& r) {
            std::cout << fmt::format("added exception {} ({})\n", r.exception().id(), SeqNote(r));
          });
        };
      }};
}

Command ExceptList() {
  return StringFlagCommand(
      "calendar", "except list", "local exceptions", {"--center", "only this center"},
      [](v1::CtlRequest& req, const std::string& center) {
        req.mutable_exception_list()->set_center_id(center);
      },
      [](const v1::CtlReply& r, const std::string&) {
        Table t({"ID", "CENTER", "FROM", "TO", "KIND", "REASON"});
        for (const auto& e : r.exception_list().exceptions()) {
          t.Add({e.id(), e.center_id(), e.from(), e.to(),
                 e.kind() == v1::CLOSED ? "CLOSED" : "AS " + DayTypeName(e.day_type()),
                 e.reason()});
        }
        t.Print();
      });
}

Command ExceptRemove() {
  return IdCommand(
      "calendar", "except remove", "remove a local exception",
      [](v1::CtlRequest& r, const std::string& id) { r.mutable_exception_remove()->set_id(id); },
      [](const v1::CtlReply& r, const std::string& id) {
        std::cout << fmt::format("removed exception {} ({})\n", id, SeqNote(r));
      });
}

Command PolicySet() {
  return {"policy", "set",
          "a new version of an opening policy from a TOML file (see ops/policies/)",
          [](CLI::App* app) -> Runner {
            auto file = std::make_shared<std::string>(), from = std::make_shared<std::string>();
            app->add_option("--file", *file, "policy TOML")->required();
            app->add_option("--from", *from, "effective from this date (default: today)");
            return [=](Context& ctx) {
              auto text = ReadFile(*file, kMaxSmallFileBytes);
              if (!text.ok()) return Usage(ctx, text.status());
              v1::CtlRequest req;
              req.mutable_policy_set()->set_toml(*text);
              req.mutable_policy_set()->set_source(*file);
              req.mutable_policy_set()->set_effective_from(*from);
              return Send(ctx, req, [](const v1::CtlReply& r) {
                const auto& p = r.policy();
                if (r.event_count() == 0) {
                  std::cout << fmt::format(
                      "policy {} unchanged: version {} (from {}) has the same windows\n", p.name(),
                      p.version(), p.effective_from());
                  return;
                }
                std::cout << fmt::format("policy {} version {} effective from {} ({})\n", p.name(),
                                         p.version(), p.effective_from(), SeqNote(r));
              });
            };
          }};
}

Command PolicyShow() {
  return {"policy", "show", "one policy version, as windows or as its TOML",
          [](CLI::App* app) -> Runner {
            auto name = std::make_shared<std::string>();
            auto version = std::make_shared<uint32_t>(0);
            auto toml = std::make_shared<bool>(false);
            app->add_option("--name", *name, "policy name")->required();
            app->add_option("--version", *version, "version (default: the newest)");
            app->add_flag("--toml", *toml, "print the TOML as it was set");
            return [=](Context& ctx) {
              v1::CtlRequest req;
              req.mutable_policy_show()->set_name(*name);
              req.mutable_policy_show()->set_version(*version);
              return Send(ctx, req, [=](const v1::CtlReply& r) {
                const auto& p = r.policy();
                if (*toml) {
                  std::cout << p.toml();
                  return;
                }
                std::cout << fmt::format("{} v{} from {}: {}\n", p.name(), p.version(),
                                         p.effective_from(), p.description());
                Table t({"DAY_TYPE", "KIND", "START", "END", "MIN_STAFF", "ROLES", "SKILLS"});
                for (const auto& d : p.days()) {
                  for (const auto& w : d.windows()) {
                    auto clock = [](uint32_t m) {
                      if (m == 1440) return std::string("24:00");
                      return fmt::format("{:02}:{:02}{}", (m % 1440) / 60, m % 60,
                                         m > 1440 ? "+1" : "");
                    };
                    t.Add({DayTypeName(d.day_type()), v1::WindowKind_Name(w.kind()),
                           clock(w.start_minute()), clock(w.end_minute()),
                           std::to_string(w.coverage().min_staff()), Roles(w.coverage()),
                           fmt::format("{}", fmt::join(w.coverage().skills(), ";"))});
                  }
                }
                t.Print();
              });
            };
          }};
}

Command PolicyList() {
  return QueryCommand(
      "policy", "list", "policies, their versions, and which center follows which",
      [](v1::CtlRequest& req) { req.mutable_policy_list(); },
      [](const v1::CtlReply& r) {
        Table t({"POLICY", "VERSION", "FROM", "DESCRIPTION"});
        for (const auto& p : r.policy_list().policies()) {
          t.Add({p.name(), std::to_string(p.version()), p.effective_from(), p.description()});
        }
        t.Print();
        std::cout << "\n";
        Table a({"CENTER", "POLICY", "FROM"});
        for (const auto& x : r.policy_list().assignments())
          a.Add({x.center_id(), x.policy(), x.from()});
        a.Print();
      });
}

Command PolicyAssign() {
  return {"policy", "assign", "a center follows a policy from a date", [](CLI::App* app) -> Runner {
            auto center = std::make_shared<std::string>(), policy = std::make_shared<std::string>(),
                 from = std::make_shared<std::string>();
            app->add_option("--center", *center, "center id")->required();
            app->add_option("--policy", *policy, "policy name")->required();
            app->add_option("--from", *from, "from this date (default: today)");
            return [=](Context& ctx) {
              v1::CtlRequest req;
              auto* a = req.mutable_policy_assign()->mutable_assignment();
              a->set_center_id(*center);
              a->set_policy(*policy);
              a->set_from(*from);
              return Send(ctx, req, [](const v1::CtlReply& r) {
                const auto& x = r.assignment();
                std::cout << fmt::format("center {} follows policy {} from {} ({})\n",
                                         x.center_id(), x.policy(), x.from(), SeqNote(r));
              });
            };
          }};
}

Command CoverageShow() {
  return {
      "coverage", "show", "the staffed windows a center needs", [](CLI::App* app) -> Runner {
        auto center = std::make_shared<std::string>(), date = std::make_shared<std::string>(),
             from = std::make_shared<std::string>(), to = std::make_shared<std::string>();
        app->add_option("--center", *center, "center id")->required();
        auto* o_date = app->add_option("--date", *date, "one date");
        auto* o_from = app->add_option("--from", *from, "first date");
        app->add_option("--to", *to, "last date");
        o_date->excludes(o_from);
        return [=](Context& ctx) {
          if (date->empty() && from->empty())
            return Usage(ctx, Status::InvalidArgument("", "give --date or --from/--to"));
          v1::CtlRequest req;
          auto* q = req.mutable_coverage_show();
          q->set_center_id(*center);
          q->set_from(date->empty() ? *from : *date);
          q->set_to(date->empty() ? *to : *date);
          return Send(ctx, req, [](const v1::CtlReply& r) {
            Table t(
                {"DATE", "DAY_TYPE", "KIND", "START", "END", "MIN", "ROLES", "SKILLS", "POLICY"});
            for (const auto& w : r.coverage_show().windows()) {
              t.Add({w.date(), DayTypeName(w.day_type()), v1::WindowKind_Name(w.kind()),
                     w.start_local(), w.end_local(), std::to_string(w.coverage().min_staff()),
                     Roles(w.coverage()), fmt::format("{}", fmt::join(w.coverage().skills(), ";")),
                     fmt::format("{} v{}", w.policy(), w.policy_version())});
            }
            t.Print();
          });
        };
      }};
}

Command CoverageAudit() {
  return YearCommand(
      "coverage", "audit",
      "every date of a year on which a center has no window (a broken 365-day promise)",
      [](v1::CtlRequest& req, int year) { req.mutable_coverage_audit()->set_year(year); },
      [](const v1::CtlReply& r) {
        const auto& a = r.coverage_audit();
        std::cout << fmt::format(
            "{} centers, {} center-days checked: {} required windows, {} "
            "center-days without any window\n",
            a.centers(), a.center_days(), a.windows(), a.gap_count());
        if (a.gaps_size() == 0) return;
        Table t({"CENTER", "DATE", "REASON"});
        for (const auto& g : a.gaps()) t.Add({g.center_id(), g.date(), g.reason()});
        t.Print();
      });
}

}  // namespace

void AddCalendarCommands(std::vector<Command>& cmds) {
  cmds.push_back(CalendarImport());
  cmds.push_back(CalendarStatutory());
  cmds.push_back(CalendarShow());
  cmds.push_back(CalendarStats());
  cmds.push_back(CalendarYears());
  cmds.push_back(ExceptAdd());
  cmds.push_back(ExceptList());
  cmds.push_back(ExceptRemove());
  cmds.push_back(PolicySet());
  cmds.push_back(PolicyShow());
  cmds.push_back(PolicyList());
  cmds.push_back(PolicyAssign());
  cmds.push_back(CoverageShow());
  cmds.push_back(CoverageAudit());
}

}  // namespace zhiban::ctl
