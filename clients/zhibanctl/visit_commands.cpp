// zhibanctl resident | visit: residents in care and home-visit work orders.
#include <algorithm>
#include <iostream>

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>

#include "clients/zhibanctl/commands.h"
#include "clients/zhibanctl/entry_builders.h"
#include "daemon/base/number.h"
#include "daemon/base/time_util.h"
#include "daemon/domain/routes_travel.h"

namespace zhiban::ctl {
namespace {

using google::protobuf::util::TimeUtil;

constexpr const char* kGcj02Help =
    "the coordinates are GCJ-02, copied from a Chinese map (Amap, Tencent): convert them to "
    "WGS-84, which zhiband stores";

std::string Cats(const google::protobuf::RepeatedField<int>& cats) {
  std::vector<std::string> out;
  for (int c : cats) out.push_back(v1::CareCategory_Name(c));
  return fmt::format("{}", fmt::join(out, ","));
}

std::string VisitStateName(v1::VisitState s) {
  std::string n = v1::VisitState_Name(s);
  return n.starts_with("VISIT_") ? n.substr(6) : n;
}

void PrintVisits(const v1::VisitListReply& r) {
  Table t({"ID", "WINDOW", "STATE", "SERVICE", "RESIDENT", "ADDRESS", "PHONE", "ASSIGNEE", "PRIO"});
  for (const auto& v : r.visits()) {
    auto it = r.residents().find(v.resident_id());
    const v1::ResidentCard card = it == r.residents().end() ? v1::ResidentCard() : it->second;
    const std::string from = Time(v.window_start()), to = Time(v.window_end());
    t.Add({v.id(),
           from.substr(0, 16) + " → " +
               (from.substr(0, 10) == to.substr(0, 10) ? to.substr(11, 5) : to.substr(5, 11)),
           VisitStateName(v.state()), v.service(), v.resident_id() + " " + card.name(),
           card.address(), card.masked_phone(), v.assignee_id(),
           v.priority() == v1::URGENT ? "URGENT" : ""});
  }
  t.Print();
}

void PrintVisit(const v1::CtlReply& r) {
  const auto& v = r.visit();
  std::cout << fmt::format("visit {} {} — {} for {} at {}, assignee {}{} ({})\n", v.id(),
                           VisitStateName(v.state()), v.service(), v.resident_id(), v.center_id(),
                           v.assignee_id().empty() ? "nobody" : v.assignee_id(),
                           v.has_accept_by() ? ", accept by " + Time(v.accept_by()) : "",
                           SeqNote(r));
}

void PrintAppointment(const v1::CtlReply& r) {
  const auto& a = r.appointment();
  std::cout << fmt::format("appointment {} {} at {} {}..{} for {}{}{}{} ({})\n", a.id(),
                           a.state() == v1::BOOKED ? "booked" : "cancelled", a.center_id(),
                           Time(a.start()).substr(0, 16), Time(a.end()).substr(11, 5), a.for_name(),
                           a.service().empty() ? "" : ", " + a.service(),
                           a.room().empty() ? "" : ", room " + a.room(),
                           a.staff_id().empty() ? "" : ", served by " + a.staff_id(), SeqNote(r));
  if (!a.shift_id().empty())
    std::cout << fmt::format("outside open hours: shift {}\n", a.shift_id());
}

// "45m", "2h", "1h30m", "90" (minutes).
Result<uint32_t> ParseMinutes(const std::string& text) {
  uint32_t total = 0, n = 0;
  bool digits = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      n = n * 10 + uint32_t(c - '0');
      digits = true;
      if (n > 100000) return Status::InvalidArgument("", fmt::format("\"{}\" is too long", text));
    } else if ((c == 'h' || c == 'm') && digits) {
      total += c == 'h' ? n * 60 : n;
      n = 0;
      digits = false;
    } else {
      return Status::InvalidArgument(
          "", fmt::format("\"{}\" is not a duration like 45m, 2h, 1h30m", text));
    }
  }
  if (text.empty()) return Status::InvalidArgument("", "is empty");
  return total + n;
}

Result<google::protobuf::Timestamp> TimeArg(const std::string& text, const char* flag) {
  auto t = ParseIsoTime(text);
  if (!t.ok()) return Status::InvalidArgument(flag, t.status().message());
  return TimeUtil::MicrosecondsToTimestamp(t->time_since_epoch().count());
}

// The resident fields that resident add and update set from flags; `set`
// collects the field names given, for update's mask.
void ResidentFlags(CLI::App* app, std::shared_ptr<v1::Resident> r,
                   std::shared_ptr<std::vector<std::string>> set, bool required) {
  struct Text {
    const char* flag;
    const char* field;
    const char* help;
  };
  static const Text kTexts[] = {
      {"--name", "name", "name"},
      {"--address", "address", "street and building (published without the room)"},
      {"--room", "room", "unit and room (never published)"},
      {"--phone", "phone", "mobile (published masked: 138****5678)"},
      {"--id-number", "id_number", "身份证号 (never leaves zhiband)"},
      {"--center", "home_center_id", "home center"},
      {"--consent-date", "consent_date", "date consent was given (with --basis CONSENT)"},
      {"--health-notes", "health_notes", "health notes (never published)"},
      {"--last-care-visit", "last_care_visit",
       "day of the last care visit, from earlier records (the care plan counts from it)"}};
  for (const auto& t : kTexts) {
    auto* o = app->add_option_function<std::string>(
        t.flag,
        [r, set, field = std::string(t.field)](const std::string& v) {
          const auto* f = v1::Resident::descriptor()->FindFieldByName(field);
          r->GetReflection()->SetString(r.get(), f, v);
          set->push_back(field);
        },
        t.help);
    if (required && (std::string(t.field) == "name" || std::string(t.field) == "home_center_id"))
      o->required();
  }
  app->add_option_function<std::string>(
      "--categories",
      [r, set](const std::string& v) {
        r->clear_categories();
        size_t s = 0;
        while (s <= v.size()) {
          size_t e = v.find(',', s);
          std::string w = v.substr(s, e == std::string::npos ? std::string::npos : e - s);
          v1::CareCategory c{};
          if (!w.empty() && v1::CareCategory_Parse(w, &c))
            r->add_categories(c);
          else if (!w.empty())
            throw CLI::ValidationError(
                "--categories",
                "\"" + w + "\" is not ELDERLY_ALONE, EMPTY_NEST, DISABLED_ELDERLY or DISABLED");
          if (e == std::string::npos) break;
          s = e + 1;
        }
        set->push_back("categories");
      },
      "ELDERLY_ALONE,EMPTY_NEST,DISABLED_ELDERLY,DISABLED");
  app->add_option_function<uint32_t>(
      "--disability-level",
      [r, set](uint32_t v) {
        r->set_disability_level(v);
        set->push_back("disability_level");
      },
      "1..4 with DISABLED");
  app->add_option_function<std::string>(
      "--tier",
      [r, set](const std::string& v) {
        v1::CareTier t{};
        if (!v1::CareTier_Parse(v, &t))
          throw CLI::ValidationError("--tier", "is HIGH_RISK, KEY or GENERAL");
        r->set_care_tier(t);
        set->push_back("care_tier");
      },
      "care tier: HIGH_RISK (7 days), KEY (30), GENERAL (90)");
  app->add_option_function<std::string>(
      "--basis",
      [r, set](const std::string& v) {
        v1::LegalBasis b{};
        if (!v1::LegalBasis_Parse(v, &b))
          throw CLI::ValidationError("--basis", "is STATUTORY_DUTY or CONSENT");
        r->set_legal_basis(b);
        set->push_back("legal_basis");
      },
      "legal basis for the personal data: STATUTORY_DUTY or CONSENT");
  app->add_option_function<std::string>(
      "--location",
      [r, set](const std::string& v) {
        const auto comma = v.find(',');
        auto lat = ParseNumber<double>(std::string_view(v).substr(0, comma), "--location");
        auto lon = comma == std::string::npos
                       ? Result<double>(Status::InvalidArgument("--location", "no comma"))
                       : ParseNumber<double>(std::string_view(v).substr(comma + 1), "--location");
        if (!lat.ok() || !lon.ok()) throw CLI::ValidationError("--location", "is LAT,LON");
        r->mutable_location()->set_lat(*lat);
        r->mutable_location()->set_lon(*lon);
        set->push_back("location");
      },
      "LAT,LON (WGS-84)");
  app->add_option_function<std::string>(
      "--emergency",
      [r, set](const std::string& v) {
        auto colon = v.find(':');
        r->mutable_emergency_contact()->set_name(v.substr(0, colon));
        if (colon != std::string::npos)
          r->mutable_emergency_contact()->set_phone(v.substr(colon + 1));
        set->push_back("emergency_contact");
      },
      "emergency contact NAME:PHONE");
}

// resident add | update: the same flags fill one Resident; add requires --name
// and --center, update sends only the fields given (its update mask).
Command ResidentFromFlags(std::string verb, std::string help, bool update) {
  return {"resident", std::move(verb), std::move(help), [update](CLI::App* app) -> Runner {
            auto r = std::make_shared<v1::Resident>();
            auto set = std::make_shared<std::vector<std::string>>();
            app->add_option_function<std::string>(
                   "--id", [r](const std::string& v) { r->set_id(v); }, "resident id")
                ->required();
            ResidentFlags(app, r, set, !update);
            auto gcj = std::make_shared<bool>(false);
            app->add_flag("--gcj02", *gcj, kGcj02Help);
            return [=](Context& ctx) {
              if (*gcj) {
                if (!r->has_location())
                  return Usage(ctx,
                               Status::InvalidArgument("--gcj02", "converts --location: give it"));
                *r->mutable_location() = domain::routes::Gcj02ToWgs(r->location());
              }
              v1::CtlRequest req;
              if (update) {
                *req.mutable_resident_update()->mutable_resident() = *r;
                for (const auto& f : *set)
                  req.mutable_resident_update()->mutable_update_mask()->add_paths(f);
              } else {
                *req.mutable_resident_add()->mutable_resident() = *r;
              }
              return Send(ctx, req, [update](const v1::CtlReply& x) {
                std::cout << fmt::format("resident {} {} ({})\n", x.resident_card().id(),
                                         update ? "updated" : "added", SeqNote(x));
              });
            };
          }};
}

Command ResidentAdd() {
  return ResidentFromFlags("add", "a resident in care (personal data stays in zhiband)", false);
}

Command ResidentUpdate() { return ResidentFromFlags("update", "change the fields given", true); }

Command ResidentRemove() {
  return IdCommand(
      "resident", "remove", "remove a resident (no open visits)",
      [](v1::CtlRequest& r, const std::string& id) { r.mutable_resident_remove()->set_id(id); },
      [](const v1::CtlReply& r, const std::string& id) {
        std::cout << fmt::format("removed resident {} ({})\n", id, SeqNote(r));
      });
}

Command ResidentErase() {
  return {"resident", "erase",
          "erase a resident for good (PIPL Art. 47): their key is deleted, so no stored copy or "
          "backup opens; auditor or admin, audited",
          [](CLI::App* app) -> Runner {
            auto id = std::make_shared<std::string>(), reason = std::make_shared<std::string>();
            app->add_option("--id", *id, "resident id")->required();
            app->add_option("--reason", *reason, "why (kept in the audit log)")->required();
            return [=](Context& ctx) {
              v1::CtlRequest req;
              req.mutable_resident_erase()->set_id(*id);
              req.mutable_resident_erase()->set_reason(*reason);
              return Send(ctx, req, [id](const v1::CtlReply& r) {
                std::cout << fmt::format("erased resident {} ({})\n", *id, SeqNote(r));
              });
            };
          }};
}

Command ResidentShow() {
  return {
      "resident", "show", "a resident's card; --full: the whole record (audited with your purpose)",
      [](CLI::App* app) -> Runner {
        auto id = std::make_shared<std::string>(), purpose = std::make_shared<std::string>();
        auto full = std::make_shared<bool>(false);
        app->add_option("--id", *id, "resident id")->required();
        app->add_flag("--full", *full,
                      "phone, room, ID number, health: needs a purpose, written to the audit log");
        app->add_option("--purpose", *purpose, "why you read the full record");
        return [=](Context& ctx) {
          if (*full && purpose->empty())
            return Usage(ctx, Status::InvalidArgument(
                                  "--purpose", "say why you read the full record (it is audited)"));
          v1::CtlRequest req;
          req.mutable_resident_show()->set_id(*id);
          req.mutable_resident_show()->set_full(*full);
          req.mutable_resident_show()->set_purpose(*purpose);
          return Send(ctx, req, [](const v1::CtlReply& r) {
            Table t({"FIELD", "VALUE"});
            if (r.has_resident()) {
              const auto& x = r.resident();
              t.Add({"id", x.id()});
              t.Add({"name", x.name()});
              t.Add({"address", x.address() + " " + x.room()});
              t.Add({"phone", x.phone()});
              t.Add({"id_number", x.id_number()});
              t.Add({"categories", Cats(x.categories())});
              t.Add({"care_tier", v1::CareTier_Name(x.care_tier())});
              t.Add({"emergency",
                     x.emergency_contact().name() + " " + x.emergency_contact().phone()});
              t.Add({"health_notes", x.health_notes()});
              t.Add({"last_care_visit", x.last_care_visit()});
              t.Add({"care_due", x.care_plan().has_due()
                                     ? Time(x.care_plan().due()) + " " + x.care_plan().reason()
                                     : ""});
              t.Add({"open_care_visit", x.care_plan().open_visit_id()});
            } else {
              const auto& x = r.resident_card();
              t.Add({"id", x.id()});
              t.Add({"name", x.name()});
              t.Add({"address", x.address()});
              t.Add({"phone", x.masked_phone()});
              t.Add({"categories", Cats(x.categories())});
              t.Add({"care_tier", v1::CareTier_Name(x.care_tier())});
              t.Add({"care_due", x.has_care_due()
                                     ? Time(x.care_due()) + (x.care_overdue() ? " (OVERDUE)" : "")
                                     : ""});
              t.Add({"center", x.home_center_id()});
            }
            t.Print();
          });
        };
      }};
}

Command ResidentList() {
  return {
      "resident", "list", "residents (cards: masked)", [](CLI::App* app) -> Runner {
        auto center = std::make_shared<std::string>(), cat = std::make_shared<std::string>();
        app->add_option("--center", *center, "home center");
        app->add_option("--category", *cat,
                        "ELDERLY_ALONE, EMPTY_NEST, DISABLED_ELDERLY, DISABLED");
        auto overdue = std::make_shared<bool>(false);
        app->add_flag("--overdue", *overdue, "only residents whose care visit is overdue");
        return [=](Context& ctx) {
          v1::CtlRequest req;
          req.mutable_resident_list()->set_center_id(*center);
          req.mutable_resident_list()->set_overdue(*overdue);
          if (!cat->empty()) {
            v1::CareCategory c{};
            if (!v1::CareCategory_Parse(*cat, &c))
              return Usage(ctx, Status::InvalidArgument("--category", "unknown category"));
            req.mutable_resident_list()->set_category(c);
          }
          return Send(ctx, req, [](const v1::CtlReply& r) {
            Table t({"ID", "NAME", "CENTER", "CATEGORIES", "TIER", "CARE DUE", "PHONE", "ADDRESS"});
            for (const auto& x : r.resident_list().residents()) {
              t.Add({x.id(), x.name(), x.home_center_id(), Cats(x.categories()),
                     v1::CareTier_Name(x.care_tier()),
                     x.has_care_due()
                         ? Time(x.care_due()).substr(0, 16) + (x.care_overdue() ? " OVERDUE" : "")
                         : "",
                     x.masked_phone(), x.address()});
            }
            t.Print();
            const auto& l = r.resident_list();
            if (!l.next_after_id().empty()) {
              std::cout << fmt::format("{} of {} shown; more with --after {}\n", l.residents_size(),
                                       l.total(), l.next_after_id());
            }
          });
        };
      }};
}

Command ResidentImport() {
  return {
      "resident", "import",
      "residents from a CSV file, all or nothing (migration from spreadsheets)",
      [](CLI::App* app) -> Runner {
        auto file = std::make_shared<std::string>();
        auto gcj = std::make_shared<bool>(false);
        app->add_option(
               "file", *file,
               fmt::format("CSV with the columns {}", fmt::join(client::kResidentColumns, ",")))
            ->required();
        app->add_flag("--gcj02", *gcj, kGcj02Help);
        return [=](Context& ctx) {
          auto data = ReadFile(*file, 64u << 20);
          if (!data.ok()) return Usage(ctx, data.status());
          auto table = client::ParseCsv(*data);
          if (!table.ok())
            return Usage(ctx, Status::InvalidArgument(*file, table.status().message()));
          std::vector<v1::Resident> residents;
          std::vector<client::CellError> errors;
          if (Status s = client::ResidentsFromCsv(*table, &residents, &errors); !s.ok()) {
            return Usage(ctx, Status::InvalidArgument(*file, s.message()));
          }
          if (!errors.empty()) return PrintCellErrors(ctx, *file, errors);
          if (*gcj) {
            for (auto& r : residents) {
              if (r.has_location())
                *r.mutable_location() = domain::routes::Gcj02ToWgs(r.location());
            }
          }
          v1::CtlRequest req;
          for (auto& r : residents) *req.mutable_resident_import()->add_residents() = std::move(r);
          // One request, all or nothing: it must fit zhiband's request limit (4 MiB by default).
          constexpr size_t kMaxBytes = 4u << 20;
          if (const size_t bytes = req.ByteSizeLong(); bytes > kMaxBytes - 4096) {
            const size_t per = residents.size() * (kMaxBytes - 4096) / bytes;
            if (per < 2) {
              return Usage(ctx, Status::InvalidArgument(
                                    *file, fmt::format("the residents' records are too large "
                                                       "({:.1f} MiB for {}): check the long cells "
                                                       "(health notes: at most 4000 bytes)",
                                                       bytes / 1048576.0, residents.size())));
            }
            return Usage(
                ctx, Status::InvalidArgument(
                         *file, fmt::format(
                                    "{} residents make a {:.1f} MiB request; zhiband answers up to "
                                    "4 MiB (ctl.max_request_bytes): split the file into parts of "
                                    "at most {} residents",
                                    residents.size(), bytes / 1048576.0, per)));
          }
          return Send(ctx, req, [file](const v1::CtlReply& x) {
            std::cout << fmt::format("{}: {} residents added, {} with a care plan ({})\n", *file,
                                     x.resident_import().added(),
                                     x.resident_import().with_care_plan(), SeqNote(x));
          });
        };
      }};
}

Command ResidentChange() {
  return {
      "resident", "change",
      "a major change (hospital discharge, bereavement): a care visit within 24 h",
      [](CLI::App* app) -> Runner {
        auto id = std::make_shared<std::string>(), kind = std::make_shared<std::string>(),
             note = std::make_shared<std::string>();
        app->add_option("--id", *id, "resident id")->required();
        app->add_option("--kind", *kind, "hospital-discharge, bereavement or other")->required();
        app->add_option("--note", *note, "what happened (for the visitor; no health details)");
        return [=](Context& ctx) {
          v1::CtlRequest req;
          req.mutable_resident_change()->set_resident_id(*id);
          req.mutable_resident_change()->set_kind(*kind);
          req.mutable_resident_change()->set_note(*note);
          return Send(ctx, req, PrintVisit);
        };
      }};
}

Command VisitRequest() {
  return {"visit", "request", "a home-visit work order, dispatched at once",
          [](CLI::App* app) -> Runner {
            auto resident = std::make_shared<std::string>(),
                 service = std::make_shared<std::string>(),
                 window = std::make_shared<std::string>(),
                 source = std::make_shared<std::string>("phone"),
                 note = std::make_shared<std::string>(), id = std::make_shared<std::string>();
            auto urgent = std::make_shared<std::string>();
            app->add_option("--resident", *resident, "resident id")->required();
            app->add_option("--service", *service, "service id (visit services)")->required();
            app->add_option("--window", *window, "FROM/TO, ISO-8601 times")->required();
            app->add_option("--priority", *urgent, "urgent (default normal)");
            app->add_option("--source", *source, "phone, walk-in or care-plan");
            app->add_option("--note", *note, "for the assignee (do not put personal data here)");
            app->add_option("--id", *id, "visit id (default: named by zhiband)");
            return [=](Context& ctx) {
              auto slash = window->find('/');
              if (slash == std::string::npos)
                return Usage(ctx, Status::InvalidArgument("--window", "is FROM/TO"));
              auto from = TimeArg(window->substr(0, slash), "--window");
              auto to = TimeArg(window->substr(slash + 1), "--window");
              if (!from.ok()) return Usage(ctx, from.status());
              if (!to.ok()) return Usage(ctx, to.status());
              v1::CtlRequest req;
              auto* q = req.mutable_visit_request();
              q->set_id(*id);
              q->set_resident_id(*resident);
              q->set_service(*service);
              *q->mutable_window_start() = *from;
              *q->mutable_window_end() = *to;
              q->set_note(*note);
              if (*urgent == "urgent")
                q->set_priority(v1::URGENT);
              else if (!urgent->empty() && *urgent != "normal")
                return Usage(ctx, Status::InvalidArgument("--priority", "is urgent or normal"));
              if (*source == "phone")
                q->set_source(v1::PHONE);
              else if (*source == "walk-in")
                q->set_source(v1::WALK_IN);
              else if (*source == "care-plan")
                q->set_source(v1::CARE_PLAN);
              else
                return Usage(ctx,
                             Status::InvalidArgument("--source", "is phone, walk-in or care-plan"));
              return Send(ctx, req, PrintVisit);
            };
          }};
}

Command VisitAssign() {
  return {"visit", "assign", "assign or reassign a visit to a staff member",
          [](CLI::App* app) -> Runner {
            auto id = std::make_shared<std::string>(), staff = std::make_shared<std::string>();
            app->add_option("--id", *id, "visit id")->required();
            app->add_option("--staff", *staff, "staff id")->required();
            return [=](Context& ctx) {
              v1::CtlRequest req;
              req.mutable_visit_assign()->set_id(*id);
              req.mutable_visit_assign()->set_staff_id(*staff);
              return Send(ctx, req, PrintVisit);
            };
          }};
}

Command VisitList() {
  return {"visit", "list", "work orders", [](CLI::App* app) -> Runner {
            auto center = std::make_shared<std::string>(), state = std::make_shared<std::string>(),
                 date = std::make_shared<std::string>();
            app->add_option("--center", *center, "center id");
            app->add_option("--state", *state, "e.g. ASSIGNED, ESCALATED");
            app->add_option("--date", *date, "window starting that day");
            return [=](Context& ctx) {
              v1::CtlRequest req;
              auto* q = req.mutable_visit_list();
              q->set_center_id(*center);
              q->set_date(*date);
              if (!state->empty()) {
                v1::VisitState s{};
                if (!v1::VisitState_Parse("VISIT_" + *state, &s))
                  return Usage(ctx, Status::InvalidArgument("--state", "unknown state"));
                q->set_state(s);
              }
              return Send(ctx, req, [](const v1::CtlReply& r) { PrintVisits(r.visit_list()); });
            };
          }};
}

std::string Minutes(const google::protobuf::Duration& d) {
  return fmt::format("{} min", (d.seconds() + 30) / 60);
}

// One person's day: in route order with its times when a plan holds it.
void PrintStaffRoute(const v1::VisitListReply& r) {
  const bool planned = std::any_of(r.visits().begin(), r.visits().end(),
                                   [](const v1::Visit& v) { return v.has_planned(); });
  if (!planned) return PrintVisits(r);
  Table t({"#", "ARRIVE", "START", "LEAVE", "TRAVEL", "SLACK", "ID", "SERVICE", "RESIDENT",
           "ADDRESS", "STATE"});
  for (const auto& v : r.visits()) {
    auto it = r.residents().find(v.resident_id());
    const v1::ResidentCard card = it == r.residents().end() ? v1::ResidentCard() : it->second;
    const auto& p = v.planned();
    t.Add({v.has_planned() ? std::to_string(p.position()) : "-",
           v.has_planned() ? Time(p.arrival()).substr(11, 5) : "",
           v.has_planned() ? Time(p.start()).substr(11, 5) : "",
           v.has_planned() ? Time(p.departure()).substr(11, 5) : "",
           v.has_planned() ? Minutes(p.travel()) : "", v.has_planned() ? Minutes(p.slack()) : "",
           v.id(), v.service(), v.resident_id() + " " + card.name(), card.address(),
           VisitStateName(v.state())});
  }
  t.Print();
}

// A center's day as planned: each person's route, then what was left out.
void PrintRoutePlan(const v1::CtlReply& reply) {
  const auto& r = reply.route_plan();
  size_t stops = 0;
  Table t({"STAFF", "#", "ARRIVE", "START", "LEAVE", "TRAVEL", "SLACK", "VISIT", "RESIDENT"});
  for (const auto& route : r.routes()) {
    const std::string who = route.staff().id() + " " + route.staff().name();
    t.Add({who, "0", "", "", Time(route.depart()).substr(11, 5), "", "",
           "(" + route.shift_id() + ")", r.center_id()});
    for (const auto& p : route.stops()) {
      auto it = r.residents().find(p.resident_id());
      t.Add({"", std::to_string(p.position()), Time(p.arrival()).substr(11, 5),
             Time(p.start()).substr(11, 5), Time(p.departure()).substr(11, 5), Minutes(p.travel()),
             Minutes(p.slack()), p.visit_id(),
             p.resident_id() + (it == r.residents().end() ? "" : " " + it->second.name())});
      ++stops;
    }
    t.Add({"", "", Time(route.return_at()).substr(11, 5), "", "",
           Minutes(route.travel()) + " in all", "", "(back)", r.center_id()});
  }
  t.Print();
  for (const auto& u : r.unplanned()) {
    std::cout << fmt::format("left out: {} — {}\n", u.visit_id(), u.reason());
  }
  std::cout << fmt::format(
      "{} on {}: {} routes, {} visits planned, {} left out, {} reassigned; "
      "travel {} ({})\n",
      r.center_id(), r.date(), r.routes_size(), stops, r.unplanned_size(), r.reassigned(),
      r.travel(), SeqNote(reply));
}

Command VisitPlan() {
  return {
      "visit", "plan",
      "plan a center's day of visits as routes (--center), or show one person's day (--staff)",
      [](CLI::App* app) -> Runner {
        auto staff = std::make_shared<std::string>(), date = std::make_shared<std::string>();
        auto center = std::make_shared<std::string>(), matrix = std::make_shared<std::string>();
        auto* o_staff = app->add_option("--staff", *staff, "staff id: their day, in route order");
        auto* o_center = app->add_option(
            "--center", *center,
            "center id: plan its day (who does which visits in which order), announced by "
            "visit.planned");
        o_staff->excludes(o_center);
        app->add_option("--date", *date, "YYYY-MM-DD")->required();
        app->add_option("--matrix", *matrix,
                        "with --center: CSV of minutes between places (from,to,minutes; "
                        "center and resident ids) from a road-network tool")
            ->needs(o_center);
        return [=](Context& ctx) {
          v1::CtlRequest req;
          if (center->empty()) {
            if (staff->empty())
              return Usage(ctx, Status::InvalidArgument("--staff", "give --staff or --center"));
            req.mutable_visit_plan()->set_staff_id(*staff);
            req.mutable_visit_plan()->set_date(*date);
            return Send(ctx, req, [](const v1::CtlReply& r) { PrintStaffRoute(r.visit_list()); });
          }
          auto* q = req.mutable_visit_route_plan();
          q->set_center_id(*center);
          q->set_date(*date);
          if (!matrix->empty()) {
            auto text = ReadFile(*matrix, 4u << 20);
            if (!text.ok()) return Usage(ctx, text.status());
            q->set_matrix_csv(*text);
          }
          return Send(ctx, req, PrintRoutePlan);
        };
      }};
}

Command AppointmentBook() {
  return {
      "appointment", "book", "book a service and/or a room at a center (预约)",
      [](CLI::App* app) -> Runner {
        auto q = std::make_shared<v1::AppointmentBookRequest>();
        auto at = std::make_shared<std::string>(), duration = std::make_shared<std::string>("60m");
        app->add_option_function<std::string>(
               "--center", [q](const std::string& v) { q->set_center_id(v); }, "center id")
            ->required();
        app->add_option_function<std::string>(
            "--service", [q](const std::string& v) { q->set_service(v); },
            "service id (visit services)");
        app->add_option_function<std::string>(
            "--room", [q](const std::string& v) { q->set_room(v); }, "a room of the center");
        app->add_option("--at", *at, "start, ISO-8601 (2026-03-07T19:00:00+08:00)")->required();
        app->add_option("--duration", *duration, "e.g. 45m, 2h (default 60m)");
        app->add_option_function<std::string>(
               "--for", [q](const std::string& v) { q->set_for_name(v); },
               "who it is for (a person or an organisation)")
            ->required();
        app->add_option_function<std::string>(
            "--note", [q](const std::string& v) { q->set_note(v); },
            "for the staff (no personal data)");
        app->add_option_function<std::string>(
            "--id", [q](const std::string& v) { q->set_id(v); },
            "appointment id (default: named by zhiband)");
        return [=](Context& ctx) {
          auto start = TimeArg(*at, "--at");
          if (!start.ok()) return Usage(ctx, start.status());
          auto minutes = ParseMinutes(*duration);
          if (!minutes.ok())
            return Usage(ctx, Status::InvalidArgument("--duration", minutes.status().message()));
          v1::CtlRequest req;
          *req.mutable_appointment_book() = *q;
          *req.mutable_appointment_book()->mutable_start() = *start;
          req.mutable_appointment_book()->set_duration_minutes(*minutes);
          return Send(ctx, req, PrintAppointment);
        };
      }};
}

Command AppointmentCancel() {
  return {"appointment", "cancel", "cancel a booking: its staff and room are free again",
          [](CLI::App* app) -> Runner {
            auto id = std::make_shared<std::string>(), reason = std::make_shared<std::string>();
            app->add_option("--id", *id, "appointment id")->required();
            app->add_option("--reason", *reason, "why");
            return [=](Context& ctx) {
              v1::CtlRequest req;
              req.mutable_appointment_cancel()->set_id(*id);
              req.mutable_appointment_cancel()->set_reason(*reason);
              return Send(ctx, req, PrintAppointment);
            };
          }};
}

Command AppointmentList() {
  return {
      "appointment", "list", "bookings in time order (default: from now on)",
      [](CLI::App* app) -> Runner {
        auto q = std::make_shared<v1::AppointmentListRequest>();
        app->add_option_function<std::string>(
            "--center", [q](const std::string& v) { q->set_center_id(v); }, "center id");
        app->add_option_function<std::string>(
            "--date", [q](const std::string& v) { q->set_date(v); }, "bookings starting that day");
        app->add_flag_function(
            "--all", [q](int64_t n) { q->set_include_cancelled(n > 0); }, "cancelled ones too");
        return [=](Context& ctx) {
          v1::CtlRequest req;
          *req.mutable_appointment_list() = *q;
          return Send(ctx, req, [](const v1::CtlReply& r) {
            Table t({"ID", "CENTER", "START", "END", "SERVICE", "ROOM", "FOR", "STAFF", "STATE"});
            for (const auto& a : r.appointment_list().appointments()) {
              t.Add({a.id(), a.center_id(), Time(a.start()).substr(0, 16),
                     Time(a.end()).substr(11, 5), a.service(), a.room(), a.for_name(), a.staff_id(),
                     a.state() == v1::BOOKED ? "BOOKED" : "CANCELLED"});
            }
            t.Print();
          });
        };
      }};
}

Command VisitServices() {
  return QueryCommand(
      "visit", "services", "the service catalogue (what can be done at home, and the skill)",
      [](v1::CtlRequest& req) { req.mutable_service_list(); },
      [](const v1::CtlReply& r) {
        Table t({"ID", "NAME", "SKILL", "MINUTES"});
        for (const auto& s : r.service_list().services())
          t.Add({s.id(), s.name(), s.skill(), std::to_string(s.minutes())});
        t.Print();
      });
}

// visit accept | decline | start | arrive | complete | fail | cancel: one
// step of a work order, with the flags that step takes.
Command VisitAct(const char* verb, v1::VisitAction action, const char* help) {
  return {
      "visit", verb, help, [action](CLI::App* app) -> Runner {
        auto id = std::make_shared<std::string>(), by = std::make_shared<std::string>(),
             reason = std::make_shared<std::string>(), outcome = std::make_shared<std::string>();
        auto rating = std::make_shared<uint32_t>(0);
        auto checklist = std::make_shared<v1::CareChecklist>();
        app->add_option("--id", *id, "visit id")->required();
        if (action != v1::CANCEL_VISIT)
          app->add_option("--staff", *by, "the assignee's staff id")->required();
        if (action == v1::DECLINE_VISIT || action == v1::FAIL_VISIT || action == v1::CANCEL_VISIT) {
          app->add_option("--reason", *reason, "why");
        }
        if (action == v1::COMPLETE_VISIT) {
          app->add_option("--outcome", *outcome, "what was done");
          app->add_option("--rating", *rating, "1..5 (好差评)");
          app->add_option_function<std::string>(
              "--health", [checklist](const std::string& v) { checklist->set_health(v); },
              "care checklist: health");
          app->add_option_function<std::string>(
              "--mental", [checklist](const std::string& v) { checklist->set_mental_state(v); },
              "mental state");
          app->add_option_function<std::string>(
              "--benefits", [checklist](const std::string& v) { checklist->set_benefits(v); },
              "benefits");
          app->add_option_function<std::string>(
              "--family", [checklist](const std::string& v) { checklist->set_family_contact(v); },
              "family contact");
          app->add_option_function<std::string>(
              "--safety", [checklist](const std::string& v) { checklist->set_home_safety(v); },
              "home safety");
          app->add_option_function<std::string>(
              "--needs", [checklist](const std::string& v) { checklist->set_needs(v); }, "needs");
        }
        return [=](Context& ctx) {
          v1::CtlRequest req;
          auto* q = req.mutable_visit_act();
          q->set_id(*id);
          q->set_action(action);
          q->set_by_staff_id(*by);
          q->set_reason(*reason);
          q->set_outcome(*outcome);
          q->set_rating(*rating);
          *q->mutable_checklist() = *checklist;
          return Send(ctx, req, PrintVisit);
        };
      }};
}

Command VisitShow() {
  return IdCommand(
      "visit", "show", "one work order with its history",
      [](v1::CtlRequest& req, const std::string& id) { req.mutable_visit_show()->set_id(id); },
      [](const v1::CtlReply& r, const std::string&) {
        PrintVisit(r);
        Table t({"AT", "STATE", "BY", "NOTE"});
        for (const auto& h : r.visit().history())
          t.Add({Time(h.at()), VisitStateName(h.state()), h.by(), h.note()});
        t.Print();
      });
}

}  // namespace

void AddVisitCommands(std::vector<Command>& cmds) {
  cmds.push_back(ResidentAdd());
  cmds.push_back(ResidentUpdate());
  cmds.push_back(ResidentRemove());
  cmds.push_back(ResidentErase());
  cmds.push_back(ResidentShow());
  cmds.push_back(ResidentList());
  cmds.push_back(ResidentImport());
  cmds.push_back(ResidentChange());
  cmds.push_back(VisitServices());
  cmds.push_back(VisitRequest());
  cmds.push_back(VisitAssign());
  cmds.push_back(VisitAct("accept", v1::ACCEPT_VISIT, "the assignee accepts"));
  cmds.push_back(VisitAct("decline", v1::DECLINE_VISIT,
                          "the assignee declines: dispatched to the next person"));
  cmds.push_back(VisitAct("start", v1::START_VISIT, "on the way"));
  cmds.push_back(VisitAct("arrive", v1::ARRIVE_VISIT, "at the door"));
  cmds.push_back(VisitAct("complete", v1::COMPLETE_VISIT,
                          "done: outcome, care checklist, rating (1-2 opens a follow-up)"));
  cmds.push_back(VisitAct("fail", v1::FAIL_VISIT, "could not be done (nobody home, refused)"));
  cmds.push_back(VisitAct("cancel", v1::CANCEL_VISIT, "no longer needed"));
  cmds.push_back(VisitShow());
  cmds.push_back(VisitList());
  cmds.push_back(VisitPlan());
  cmds.push_back(AppointmentBook());
  cmds.push_back(AppointmentCancel());
  cmds.push_back(AppointmentList());
}

}  // namespace zhiban::ctl
