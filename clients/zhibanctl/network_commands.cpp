// zhibanctl center | staff: the service network — centers and the people
// homed at them (add, update, remove, show, list).
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "clients/lib/records_csv.h"
#include "clients/zhibanctl/commands.h"
#include "daemon/domain/routes_travel.h"

namespace zhiban::ctl {
namespace {

std::string Level(v1::CenterLevel l) {
  return l == v1::CENTER_LEVEL_UNSPECIFIED ? "" : v1::CenterLevel_Name(l);
}

void PrintCenter(const v1::Center& c) {
  Table t({"FIELD", "VALUE"});
  t.Add({"id", c.id()});
  t.Add({"name", c.name()});
  t.Add({"parent_id", c.parent_id()});
  t.Add({"level", Level(c.level())});
  t.Add({"address", c.address()});
  t.Add({"location",
         c.has_location() ? fmt::format("{}, {}", c.location().lat(), c.location().lon()) : ""});
  t.Add({"time_zone", c.time_zone().empty() ? "Asia/Shanghai (default)" : c.time_zone()});
  t.Add({"phone", c.phone()});
  t.Print();
}

void PrintStaff(const v1::Staff& s) {
  Table t({"FIELD", "VALUE"});
  t.Add({"id", s.id()});
  t.Add({"name", s.name()});
  t.Add({"center_id", s.center_id()});
  t.Add({"phone", s.phone()});
  t.Add({"wecom_user_id", s.wecom_user_id()});
  t.Add({"roles", client::JoinRoles(s)});
  t.Add({"skills", fmt::format("{}", fmt::join(s.skills(), ";"))});
  t.Add({"cover_center_ids", fmt::format("{}", fmt::join(s.cover_center_ids(), ";"))});
  t.Add({"employment", s.employment() == v1::EMPLOYMENT_TYPE_UNSPECIFIED
                           ? "劳动合同（默认）"
                           : client::EmploymentText(s.employment())});
  t.Add({"work_since", s.work_since()});
  t.Add({"rest_days", client::RestDaysText(s)});
  t.Print();
}

// ---- record flags ---------------------------------------------------------

struct CenterFlags {
  std::string id, name, parent, level, address, time_zone, phone, rooms;
  double lat = 0, lon = 0;
  bool gcj02 = false;  // --lat/--lon are GCJ-02: converted to WGS-84 (routes_travel.h)
  CLI::Option *o_name, *o_parent, *o_level, *o_address, *o_lat, *o_lon, *o_tz, *o_phone, *o_rooms;

  void Define(CLI::App* app, bool add) {
    app->add_option("--id", id, "center id (stable, A-Z a-z 0-9 _ - .)")->required();
    o_name = app->add_option("--name", name, "display name");
    if (add) o_name->required();
    o_parent = app->add_option("--parent", parent, "parent center id (empty: a root)");
    o_level = app->add_option("--level", level, "CITY, STREET, COMMUNITY or STATION");
    o_address = app->add_option("--address", address, "street address");
    o_lat = app->add_option("--lat", lat, "latitude (WGS-84)");
    o_lon = app->add_option("--lon", lon, "longitude (WGS-84)");
    app->add_flag("--gcj02", gcj02,
                  "--lat/--lon are GCJ-02, copied from a Chinese map (Amap, Tencent): convert "
                  "them to WGS-84, which zhiband stores");
    o_tz = app->add_option("--time-zone", time_zone, "IANA zone (default Asia/Shanghai)");
    o_phone = app->add_option("--phone", phone, "public phone");
    o_rooms = app->add_option("--rooms", rooms,
                              "rooms that can be booked, comma list (appointment book --room)");
  }

  // Builds the record and, for updates, the mask of the flags given.
  Status Build(v1::Center* c, google::protobuf::FieldMask* mask) const {
    c->set_id(id);
    auto given = [&](CLI::Option* o, const char* path) {
      if (o->count() > 0 && mask) mask->add_paths(path);
      return o->count() > 0;
    };
    if (given(o_name, "name")) c->set_name(name);
    if (given(o_parent, "parent_id")) c->set_parent_id(parent);
    if (given(o_level, "level")) {
      ZB_ASSIGN_OR_RETURN(auto l, client::ParseLevel(level));
      c->set_level(l);
    }
    if (given(o_address, "address")) c->set_address(address);
    if ((o_lat->count() > 0) != (o_lon->count() > 0)) {
      return Status::InvalidArgument("--lat/--lon", "give both or neither");
    }
    if (gcj02 && o_lat->count() == 0)
      return Status::InvalidArgument("--gcj02", "converts --lat/--lon: give them");
    if (given(o_lat, "location")) {
      c->mutable_location()->set_lat(lat);
      c->mutable_location()->set_lon(lon);
      if (gcj02) *c->mutable_location() = domain::routes::Gcj02ToWgs(c->location());
    }
    if (given(o_tz, "time_zone")) c->set_time_zone(time_zone);
    if (given(o_phone, "phone")) c->set_phone(phone);
    if (given(o_rooms, "rooms")) {
      for (auto& r : client::SplitList(rooms)) c->add_rooms(r);
    }
    return {};
  }
};

struct StaffFlags {
  std::string id, name, center, phone, wecom, roles, skills, cover, employment, work_since,
      rest_days;
  CLI::Option *o_name, *o_center, *o_phone, *o_wecom, *o_roles, *o_skills, *o_cover, *o_employment,
      *o_work_since, *o_rest_days;

  void Define(CLI::App* app, bool add) {
    app->add_option("--id", id, "staff id (stable)")->required();
    o_name = app->add_option("--name", name, "full name");
    o_center = app->add_option("--center", center, "home center id");
    o_roles =
        app->add_option("--roles", roles, "WORKER,CADRE,LEADER,VOLUNTEER,MANAGER (comma list)");
    if (add) {
      o_name->required();
      o_center->required();
      o_roles->required();
    }
    o_phone = app->add_option("--phone", phone, "mobile number (SMS)");
    o_wecom = app->add_option("--wecom", wecom, "WeCom (企业微信) userid");
    o_skills = app->add_option("--skills", skills,
                               "service items, comma list (e.g. social-security,medical)");
    o_cover = app->add_option("--cover", cover, "other centers this person may cover, comma list");
    o_employment = app->add_option(
        "--employment", employment,
        "LABOUR_CONTRACT (劳动合同, the default), CIVIL_SERVANT (公务员), ELECTED_CADRE (两委), "
        "VOLUNTEER_SERVICE (志愿者): selects working-time rules");
    o_work_since = app->add_option("--work-since", work_since,
                                   "参加工作时间, YYYY-MM-DD: years of service (annual leave)");
    o_rest_days = app->add_option(
        "--rest-days", rest_days,
        "休息日 for pay: weekend (周末, the default: weekends and 调休 rest days), rota (轮休: the "
        "days the rota leaves free) or one or two weekdays, e.g. mon,tue (错时)");
  }

  Status Build(v1::Staff* s, google::protobuf::FieldMask* mask) const {
    s->set_id(id);
    auto given = [&](CLI::Option* o, const char* path) {
      if (o->count() > 0 && mask) mask->add_paths(path);
      return o->count() > 0;
    };
    if (given(o_name, "name")) s->set_name(name);
    if (given(o_center, "center_id")) s->set_center_id(center);
    if (given(o_phone, "phone")) s->set_phone(phone);
    if (given(o_wecom, "wecom_user_id")) s->set_wecom_user_id(wecom);
    if (given(o_roles, "roles")) {
      ZB_ASSIGN_OR_RETURN(auto r, client::ParseRoles(roles));
      for (auto x : r) s->add_roles(x);
    }
    if (given(o_skills, "skills")) {
      for (auto& k : client::SplitList(skills)) s->add_skills(k);
    }
    if (given(o_cover, "cover_center_ids")) {
      for (auto& c : client::SplitList(cover)) s->add_cover_center_ids(c);
    }
    if (given(o_employment, "employment")) {
      auto e = client::ParseEmployment(employment);
      if (!e.ok()) return Status::InvalidArgument("--employment", e.status().message());
      s->set_employment(*e);
    }
    if (given(o_work_since, "work_since")) s->set_work_since(work_since);
    if (o_rest_days->count() > 0) {
      if (mask) {
        mask->add_paths("rest_week");
        mask->add_paths("rest_weekdays");
      }
      if (Status r = client::ParseRestDays(rest_days, s); !r.ok())
        return Status::InvalidArgument("--rest-days", r.message());
    }
    return {};
  }
};

// ---- center -----------------------------------------------------------------

Command CenterAdd() {
  return {"center", "add", "add a center", [](CLI::App* app) -> Runner {
            auto f = std::make_shared<CenterFlags>();
            f->Define(app, true);
            return [f](Context& ctx) {
              v1::CtlRequest req;
              if (Status s = f->Build(req.mutable_center_add()->mutable_center(), nullptr); !s.ok())
                return Usage(ctx, s);
              return Send(ctx, req, [](const v1::CtlReply& r) {
                std::cout << fmt::format("added center {} ({})\n", r.center().id(), SeqNote(r));
              });
            };
          }};
}

Command CenterUpdate() {
  return {"center", "update", "change the fields given", [](CLI::App* app) -> Runner {
            auto f = std::make_shared<CenterFlags>();
            f->Define(app, false);
            return [f](Context& ctx) {
              v1::CtlRequest req;
              auto* u = req.mutable_center_update();
              if (Status s = f->Build(u->mutable_center(), u->mutable_update_mask()); !s.ok())
                return Usage(ctx, s);
              return Send(ctx, req, [](const v1::CtlReply& r) {
                std::cout << fmt::format("updated center {} ({})\n", r.center().id(), SeqNote(r));
              });
            };
          }};
}

Command CenterRemove() {
  return IdCommand(
      "center", "remove", "remove a center with no children and no staff",
      [](v1::CtlRequest& r, const std::string& id) { r.mutable_center_remove()->set_id(id); },
      [](const v1::CtlReply& r, const std::string& id) {
        std::cout << fmt::format("removed center {} ({})\n", id, SeqNote(r));
      });
}

Command CenterShow() {
  return IdCommand(
      "center", "show", "one center",
      [](v1::CtlRequest& r, const std::string& id) { r.mutable_center_show()->set_id(id); },
      [](const v1::CtlReply& r, const std::string&) { PrintCenter(r.center()); });
}

Command CenterList() {
  return {"center", "list", "centers, in id order", [](CLI::App* app) -> Runner {
            auto parent = std::make_shared<std::string>();
            auto limit = std::make_shared<uint32_t>(0);
            app->add_option("--parent", *parent, "only children of this center");
            app->add_option("--limit", *limit, "at most this many (default: all)");
            return [=](Context& ctx) {
              v1::CenterListReply all;
              Status s = ListAll(
                  ctx, *limit,
                  [&](v1::CtlRequest& req, uint32_t want, const std::string& after) {
                    req.mutable_center_list()->set_parent_id(*parent);
                    req.mutable_center_list()->set_limit(want);
                    req.mutable_center_list()->set_after_id(after);
                  },
                  [&](const v1::CtlReply& r, std::string* next) -> uint32_t {
                    for (const auto& c : r.center_list().centers()) *all.add_centers() = c;
                    all.set_total(r.center_list().total());
                    *next = r.center_list().next_after_id();
                    return r.center_list().centers_size();
                  });
              if (!s.ok()) return ListProblem(ctx, s);
              if (ctx.g.format() == Format::kJson) {
                PrintJson(all);
                return kExitOk;
              }
              Table t({"ID", "NAME", "PARENT", "LEVEL", "ADDRESS"});
              for (const auto& c : all.centers())
                t.Add({c.id(), c.name(), c.parent_id(), Level(c.level()), c.address()});
              t.Print();
              return kExitOk;
            };
          }};
}

// ---- staff ------------------------------------------------------------------

Command StaffAdd() {
  return {"staff", "add", "add a member of staff", [](CLI::App* app) -> Runner {
            auto f = std::make_shared<StaffFlags>();
            f->Define(app, true);
            return [f](Context& ctx) {
              v1::CtlRequest req;
              if (Status s = f->Build(req.mutable_staff_add()->mutable_staff(), nullptr); !s.ok())
                return Usage(ctx, s);
              return Send(ctx, req, [](const v1::CtlReply& r) {
                std::cout << fmt::format("added staff {} ({})\n", r.staff().id(), SeqNote(r));
              });
            };
          }};
}

Command StaffUpdate() {
  return {"staff", "update", "change the fields given", [](CLI::App* app) -> Runner {
            auto f = std::make_shared<StaffFlags>();
            f->Define(app, false);
            return [f](Context& ctx) {
              v1::CtlRequest req;
              auto* u = req.mutable_staff_update();
              if (Status s = f->Build(u->mutable_staff(), u->mutable_update_mask()); !s.ok())
                return Usage(ctx, s);
              return Send(ctx, req, [](const v1::CtlReply& r) {
                std::cout << fmt::format("updated staff {} ({})\n", r.staff().id(), SeqNote(r));
              });
            };
          }};
}

Command StaffRemove() {
  return IdCommand(
      "staff", "remove", "remove a member of staff",
      [](v1::CtlRequest& r, const std::string& id) { r.mutable_staff_remove()->set_id(id); },
      [](const v1::CtlReply& r, const std::string& id) {
        std::cout << fmt::format("removed staff {} ({})\n", id, SeqNote(r));
      });
}

Command StaffShow() {
  return IdCommand(
      "staff", "show", "one member of staff",
      [](v1::CtlRequest& r, const std::string& id) { r.mutable_staff_show()->set_id(id); },
      [](const v1::CtlReply& r, const std::string&) { PrintStaff(r.staff()); });
}

// --role takes one role name; empty is any role.
Result<v1::Role> OneRole(const std::string& role) {
  if (role.empty()) return v1::ROLE_UNSPECIFIED;
  auto roles = client::ParseRoles(role);
  if (!roles.ok() || roles->size() != 1) return Status::InvalidArgument("--role", "one role name");
  return roles->front();
}

Command StaffList() {
  return {"staff", "list", "staff, in id order", [](CLI::App* app) -> Runner {
            auto center = std::make_shared<std::string>(), role = std::make_shared<std::string>(),
                 skill = std::make_shared<std::string>();
            auto limit = std::make_shared<uint32_t>(0);
            app->add_option("--center", *center, "homed at this center");
            app->add_option("--role", *role, "holding this role");
            app->add_option("--skill", *skill, "having this skill");
            app->add_option("--limit", *limit, "at most this many (default: all)");
            return [=](Context& ctx) {
              auto r = OneRole(*role);
              if (!r.ok()) return Usage(ctx, r.status());
              v1::StaffListReply all;
              Status s = ListAll(
                  ctx, *limit,
                  [&](v1::CtlRequest& req, uint32_t want, const std::string& after) {
                    auto* q = req.mutable_staff_list();
                    q->set_center_id(*center);
                    q->set_role(*r);
                    q->set_skill(*skill);
                    q->set_limit(want);
                    q->set_after_id(after);
                  },
                  [&](const v1::CtlReply& rep, std::string* next) -> uint32_t {
                    for (const auto& st : rep.staff_list().staff()) *all.add_staff() = st;
                    all.set_total(rep.staff_list().total());
                    *next = rep.staff_list().next_after_id();
                    return rep.staff_list().staff_size();
                  });
              if (!s.ok()) return ListProblem(ctx, s);
              if (ctx.g.format() == Format::kJson) {
                PrintJson(all);
                return kExitOk;
              }
              Table t({"ID", "NAME", "CENTER", "ROLES", "SKILLS", "PHONE"});
              for (const auto& st : all.staff()) {
                t.Add({st.id(), st.name(), st.center_id(), client::JoinRoles(st),
                       fmt::format("{}", fmt::join(st.skills(), ";")), st.phone()});
              }
              t.Print();
              return kExitOk;
            };
          }};
}

// How to reach staff members (role plugin or admin; audited with the event
// it serves): what a notifier asks before it sends.
Command StaffContacts() {
  return {
      "staff", "contacts", "how to reach staff members, for the event a message serves (audited)",
      [](CLI::App* app) -> Runner {
        auto ids = std::make_shared<std::vector<std::string>>();
        auto event = std::make_shared<uint64_t>(0);
        app->add_option("ids", *ids, "staff ids")->required();
        app->add_option("--event", *event, "the seq of the event the lookup serves")->required();
        return [=](Context& ctx) {
          v1::CtlRequest req;
          auto* q = req.mutable_contact_query();
          for (const auto& id : *ids) q->add_staff_ids(id);
          q->set_event_seq(*event);
          return Send(ctx, req, [](const v1::CtlReply& r) {
            Table t({"ID", "NAME", "PHONE", "WECOM", "PREFERRED"});
            for (const auto& c : r.contact_query().contacts()) {
              const char* pref = c.preferred() == v1::CONTACT_WECOM ? "企业微信"
                                 : c.preferred() == v1::CONTACT_SMS ? "短信"
                                                                    : "无";
              t.Add({c.staff_id(), c.name(), c.phone(), c.wecom_user_id(), pref});
            }
            for (const auto& id : r.contact_query().missing_ids())
              t.Add({id, "（无此人）", "", "", ""});
            t.Print();
          });
        };
      }};
}

}  // namespace

void AddNetworkCommands(std::vector<Command>& cmds) {
  cmds.push_back(CenterAdd());
  cmds.push_back(CenterUpdate());
  cmds.push_back(CenterRemove());
  cmds.push_back(CenterShow());
  cmds.push_back(CenterList());
  cmds.push_back(StaffAdd());
  cmds.push_back(StaffUpdate());
  cmds.push_back(StaffRemove());
  cmds.push_back(StaffShow());
  cmds.push_back(StaffList());
  cmds.push_back(StaffContacts());
}

}  // namespace zhiban::ctl
