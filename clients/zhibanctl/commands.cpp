#include "clients/zhibanctl/commands.h"

#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>

#include "clients/lib/csv.h"
#include "clients/lib/event_text.h"
#include "clients/lib/records_csv.h"
#include "clients/lib/subscriber.h"
#include "daemon/base/time_util.h"

namespace zhiban::ctl {

using google::protobuf::util::TimeUtil;

constexpr size_t kMaxFileBytes = 256u << 20;
constexpr size_t kChunkBytes =
    1u << 20;  // import rows per request, well under ctl.max_request_bytes
constexpr uint32_t kPage = 10000;

// Human-facing times are to the second; -o json keeps full precision.
std::string Time(const google::protobuf::Timestamp& t) {
  return FormatIsoTime(TimePoint(std::chrono::seconds(t.seconds())));
}

// Sends a request; on success prints the result as JSON or with `table`.
int Send(Context& ctx, v1::CtlRequest& req, const std::function<void(const v1::CtlReply&)>& table) {
  auto reply = ctx.ctl().Call(req);
  if (!reply.ok()) return PrintProblem(reply.status().message(), kExitUnavailable, ctx.g.format());
  if (reply->has_error()) return PrintError(reply->error(), ctx.g.format());
  if (ctx.g.format() == Format::kJson) {
    const auto* oneof = v1::CtlReply::descriptor()->FindOneofByName("result");
    const auto* f = reply->GetReflection()->GetOneofFieldDescriptor(*reply, oneof);
    if (f) {
      PrintJson(reply->GetReflection()->GetMessage(*reply, f));
    } else {
      std::cout << fmt::format("{{\n \"first_seq\": \"{}\",\n \"event_count\": {}\n}}\n",
                               reply->first_seq(), reply->event_count());
    }
  } else {
    table(*reply);
  }
  return kExitOk;
}

int WriteOutput(Context& ctx, const std::string& path, const std::string& text,
                const std::string& what) {
  if (path.empty() || path == "-") {
    std::cout << text;
    return kExitOk;
  }
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f) return PrintProblem(fmt::format("cannot write {}", path), kExitUsage, ctx.g.format());
  std::cerr << fmt::format("exported {} to {}\n", what, path);
  return kExitOk;
}

std::string SeqNote(const v1::CtlReply& r) {
  if (r.event_count() == 0) return "no change";
  if (r.event_count() == 1) return fmt::format("event {}", r.first_seq());
  return fmt::format("events {}..{}", r.first_seq(), r.first_seq() + r.event_count() - 1);
}

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
                           ? "LABOUR_CONTRACT (default)"
                           : v1::EmploymentType_Name(s.employment())});
  t.Add({"work_since", s.work_since()});
  t.Print();
}

// ---- record flags ---------------------------------------------------------

struct CenterFlags {
  std::string id, name, parent, level, address, time_zone, phone, rooms;
  double lat = 0, lon = 0;
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
    if (given(o_lat, "location")) {
      c->mutable_location()->set_lat(lat);
      c->mutable_location()->set_lon(lon);
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
  std::string id, name, center, phone, wecom, roles, skills, cover, employment, work_since;
  CLI::Option *o_name, *o_center, *o_phone, *o_wecom, *o_roles, *o_skills, *o_cover, *o_employment,
      *o_work_since;

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
    return {};
  }
};

}  // namespace

int Usage(Context& ctx, const Status& s) {
  return PrintProblem(s.field().empty() ? s.message() : s.field() + ": " + s.message(), kExitUsage,
                      ctx.g.format());
}

namespace {

// ---- list paging ------------------------------------------------------------

// Fetches every page of a list (or one page of `limit`).
template <typename Fill, typename Take>
Status ListAll(Context& ctx, uint32_t limit, Fill fill, Take take) {
  std::string after;
  uint32_t got = 0;
  for (;;) {
    v1::CtlRequest req;
    uint32_t want = limit ? std::min(kPage, limit - got) : kPage;
    fill(req, want, after);
    ZB_ASSIGN_OR_RETURN(auto reply, ctx.ctl().Call(req));
    if (reply.has_error()) {
      return Status(Code::kInvalidArgument, reply.error().message(), reply.error().field());
    }
    std::string next;
    got += take(reply, &next);
    if (next.empty() || (limit && got >= limit)) return {};
    after = next;
  }
}

}  // namespace

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::InvalidArgument("", fmt::format("cannot open {}", path));
  f.seekg(0, std::ios::end);
  auto size = static_cast<size_t>(f.tellg());
  if (size > max_bytes) {
    return Status::InvalidArgument(
        "", fmt::format("{} is {} bytes; at most {} are read", path, size, max_bytes));
  }
  f.seekg(0);
  std::string data(size, '\0');
  f.read(data.data(), static_cast<std::streamsize>(size));
  return data;
}

int PrintCellErrors(Context& ctx, const std::string& path,
                    const std::vector<client::CellError>& errors) {
  v1::Error e;
  e.set_code(v1::INVALID_ARGUMENT);
  e.set_message(
      fmt::format("{}: {} cell(s) cannot be read; nothing was sent", path, errors.size()));
  for (size_t i = 0; i < errors.size() && i < 100; ++i) {
    auto* r = e.add_row_errors();
    r->set_row(errors[i].row);
    r->set_column(errors[i].column);
    r->set_message(errors[i].message);
  }
  e.set_row_error_count(static_cast<uint32_t>(errors.size()));
  PrintError(e, ctx.g.format());
  return kExitUsage;
}

namespace {

// ---- import -------------------------------------------------------------------

int RunImport(Context& ctx, v1::ImportKind kind, const std::string& path, bool dry_run) {
  const Format fmt_ = ctx.g.format();
  auto data = ReadFile(path, kMaxFileBytes);
  if (!data.ok()) return PrintProblem(data.status().message(), kExitUsage, fmt_);
  auto table = client::ParseCsv(*data);
  if (!table.ok())
    return PrintProblem(fmt::format("{}: {}", path, table.status().message()), kExitUsage, fmt_);
  std::vector<v1::Center> centers;
  std::vector<v1::Staff> staff;
  std::vector<client::CellError> cell_errors;
  Status conv = kind == v1::CENTERS ? client::CentersFromCsv(*table, &centers, &cell_errors)
                                    : client::StaffFromCsv(*table, &staff, &cell_errors);
  if (!conv.ok())
    return PrintProblem(fmt::format("{}: {}", path, conv.message()), kExitUsage, fmt_);
  if (!cell_errors.empty()) return PrintCellErrors(ctx, path, cell_errors);
  const size_t total = table->rows.size();
  const bool progress = total >= 10000;
  auto call = [&](v1::CtlRequest& req) -> Result<v1::CtlReply> {
    ZB_ASSIGN_OR_RETURN(auto reply, ctx.ctl().Call(req));
    return reply;
  };

  v1::CtlRequest begin;
  begin.mutable_import_begin()->set_kind(kind);
  begin.mutable_import_begin()->set_source(path);
  auto opened = call(begin);
  if (!opened.ok()) return PrintProblem(opened.status().message(), kExitUnavailable, fmt_);
  if (opened->has_error()) return PrintError(opened->error(), fmt_);
  const std::string id = opened->import().import_id();

  auto abort_import = [&] {
    v1::CtlRequest a;
    a.mutable_import_abort()->set_import_id(id);
    (void)ctx.ctl().Call(a);
  };
  size_t sent = 0;
  while (sent < total) {
    v1::CtlRequest req;
    auto* rows = req.mutable_import_rows();
    rows->set_import_id(id);
    size_t bytes = 0;
    while (sent < total && bytes < kChunkBytes) {
      if (kind == v1::CENTERS) {
        bytes += centers[sent].ByteSizeLong() + 4;
        *rows->add_centers() = std::move(centers[sent]);
      } else {
        bytes += staff[sent].ByteSizeLong() + 4;
        *rows->add_staff() = std::move(staff[sent]);
      }
      rows->add_row_numbers(table->rows[sent].row);
      ++sent;
    }
    auto r = call(req);
    if (!r.ok()) return PrintProblem(r.status().message(), kExitUnavailable, fmt_);
    if (r->has_error()) {
      abort_import();
      return PrintError(r->error(), fmt_);
    }
    if (progress) std::cerr << fmt::format("import: sent {}/{} rows\n", sent, total);
  }
  v1::CtlRequest commit;
  commit.mutable_import_commit()->set_import_id(id);
  commit.mutable_import_commit()->set_dry_run(dry_run);
  if (progress) std::cerr << "import: validating and committing…\n";
  return Send(ctx, commit, [&](const v1::CtlReply& r) {
    const auto& i = r.import();
    std::cout << fmt::format("{} {} rows from {}: {} added, {} updated, {} unchanged{}\n",
                             i.committed() ? "imported" : "checked (dry run, nothing written)",
                             i.rows(), path, i.added(), i.updated(), i.unchanged(),
                             i.committed() ? fmt::format(" ({})", SeqNote(r)) : "");
  });
}

int RunExport(Context& ctx, v1::ImportKind kind, const std::string& out_path, bool bom) {
  std::string csv = bom ? "\xEF\xBB\xBF" : "";
  client::AppendCsvRow(kind == v1::CENTERS ? client::kCenterColumns : client::kStaffColumns, &csv);
  size_t n = 0;
  Status s = ListAll(
      ctx, 0,
      [&](v1::CtlRequest& req, uint32_t want, const std::string& after) {
        if (kind == v1::CENTERS) {
          req.mutable_center_list()->set_limit(want);
          req.mutable_center_list()->set_after_id(after);
        } else {
          req.mutable_staff_list()->set_limit(want);
          req.mutable_staff_list()->set_after_id(after);
        }
      },
      [&](const v1::CtlReply& r, std::string* next) -> uint32_t {
        if (kind == v1::CENTERS) {
          for (const auto& c : r.center_list().centers())
            client::AppendCsvRow(client::CenterToRow(c), &csv);
          *next = r.center_list().next_after_id();
          n += r.center_list().centers_size();
          return r.center_list().centers_size();
        }
        for (const auto& st : r.staff_list().staff())
          client::AppendCsvRow(client::StaffToRow(st), &csv);
        *next = r.staff_list().next_after_id();
        n += r.staff_list().staff_size();
        return r.staff_list().staff_size();
      });
  if (!s.ok()) {
    return PrintProblem(s.message(),
                        s.code() == Code::kUnavailable ? kExitUnavailable : kExitRefused,
                        ctx.g.format());
  }
  return WriteOutput(ctx, out_path, csv, fmt::format("{} records", n));
}

// ---- events -----------------------------------------------------------------------

std::atomic<bool> g_stop{false};

int RunTail(Context& ctx, int64_t from, bool follow, const std::vector<std::string>& topics,
            uint64_t limit) {
  client::SubscriberOptions opts;
  opts.pub_endpoint = ctx.g.pub;
  opts.replay_endpoint = ctx.g.replay;
  opts.curve = ctx.g.curve;
  opts.topic_prefixes = topics;
  opts.replay_timeout = std::chrono::milliseconds(ctx.g.timeout_ms);
  client::Subscriber sub(ctx.zmq, opts);
  uint64_t start;
  if (from >= 0) {
    start = static_cast<uint64_t>(from);
  } else {
    // Default: the last 10 events.
    auto end = sub.Replay(UINT64_MAX, 1, [](v1::Event&) {});
    if (!end.ok()) return PrintProblem(end.status().message(), kExitUnavailable, ctx.g.format());
    start = end->last_seq() > 10 ? end->last_seq() - 9 : 1;
  }
  std::signal(SIGINT, [](int) { g_stop = true; });
  std::signal(SIGTERM, [](int) { g_stop = true; });
  const bool json = ctx.g.format() == Format::kJson;
  uint64_t printed = 0;
  if (json) std::cout << "[";
  Status s = sub.Run(
      start, follow,
      [&](const v1::Event& e) {
        if (json) {
          std::cout << (printed ? ",\n" : "\n") << ToJson(e);
        } else {
          std::cout << fmt::format("{:>8}  {}  {:<16} {:<12} {}\n", e.seq(), Time(e.time()),
                                   e.topic(), e.center_id(), client::EventText(e));
        }
        std::cout.flush();
        ++printed;
        return !(limit && printed >= limit) && !g_stop;
      },
      &g_stop);
  if (json) std::cout << "]\n";
  if (!s.ok()) return PrintProblem(s.message(), kExitUnavailable, ctx.g.format());
  return kExitOk;
}

}  // namespace

// ---- the table ---------------------------------------------------------------------

// `GROUP VERB --id X`: commands that name one record. `set_id` fills the
// request; `print` shows the reply as a table.
Command IdCommand(std::string group, std::string verb, std::string help,
                  std::function<void(v1::CtlRequest&, const std::string&)> set_id,
                  std::function<void(const v1::CtlReply&, const std::string& id)> print) {
  auto noun = group;
  return {group, verb, help, [=](CLI::App* app) -> Runner {
            auto id = std::make_shared<std::string>();
            app->add_option("--id", *id, noun + " id")->required();
            return [=](Context& ctx) {
              v1::CtlRequest req;
              set_id(req, *id);
              return Send(ctx, req, [&](const v1::CtlReply& r) { print(r, *id); });
            };
          }};
}

namespace {

std::vector<Command> Build() {
  std::vector<Command> cmds;

  cmds.push_back(
      {"status", "", "daemon version, uptime, last event seq, clock, storage, who you are, its key",
       [](CLI::App*) -> Runner {
         return [](Context& ctx) {
           v1::CtlRequest req;
           req.mutable_status();
           return Send(ctx, req, [](const v1::CtlReply& r) {
             const auto& s = r.status();
             Table t({"FIELD", "VALUE"});
             t.Add({"version", s.version()});
             t.Add({"instance", s.instance_id()});
             t.Add({"uptime", FormatDuration(std::chrono::seconds(s.uptime_seconds()))});
             t.Add({"last_seq", std::to_string(s.last_seq())});
             t.Add({"clock",
                    fmt::format("{} {}", v1::ClockMode_Name(s.clock_mode()), Time(s.now()))});
             t.Add({"storage",
                    fmt::format("{:.1f} MiB in {}", s.storage_bytes() / 1048576.0, s.data_dir())});
             t.Add({"records", fmt::format("{} centers, {} staff", s.centers(), s.staff())});
             t.Add({"you", s.principal()});  // who zhiband took this request to come from
             t.Add({"server_key",
                    s.server_public_key().empty() ? "(CURVE off)" : s.server_public_key()});
             t.Print();
           });
         };
       }});

  auto clock_table = [](const v1::CtlReply& r) {
    std::cout << fmt::format("{} {}\n", v1::ClockMode_Name(r.clock().mode()),
                             Time(r.clock().now()));
  };
  cmds.push_back({"clock", "show", "the daemon's time and clock mode", [=](CLI::App*) -> Runner {
                    return [=](Context& ctx) {
                      v1::CtlRequest req;
                      req.mutable_clock_show();
                      return Send(ctx, req, clock_table);
                    };
                  }});
  cmds.push_back({"clock", "advance", "move a simulated clock forward (e.g. 90m, 2h, 1d)",
                  [=](CLI::App* app) -> Runner {
                    auto by = std::make_shared<std::string>();
                    app->add_option("by", *by, "duration: 90m, 2h, 1h30m, 1d")->required();
                    return [=](Context& ctx) {
                      auto d = ParseDuration(*by);
                      if (!d.ok()) return Usage(ctx, d.status());
                      v1::CtlRequest req;
                      *req.mutable_clock_advance()->mutable_by() =
                          TimeUtil::MicrosecondsToDuration(d->count());
                      return Send(ctx, req, clock_table);
                    };
                  }});
  cmds.push_back(
      {"clock", "set", "set a simulated clock to a later time", [=](CLI::App* app) -> Runner {
         auto to = std::make_shared<std::string>();
         app->add_option("time", *to, "ISO-8601 with offset, e.g. 2026-02-14T08:00:00+08:00")
             ->required();
         return [=](Context& ctx) {
           auto t = ParseIsoTime(*to);
           if (!t.ok()) return Usage(ctx, t.status());
           v1::CtlRequest req;
           *req.mutable_clock_set()->mutable_to() =
               TimeUtil::MicrosecondsToTimestamp(t->time_since_epoch().count());
           return Send(ctx, req, clock_table);
         };
       }});

  // ---- center
  cmds.push_back(
      {"center", "add", "add a center", [](CLI::App* app) -> Runner {
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
       }});
  cmds.push_back(
      {"center", "update", "change the fields given", [](CLI::App* app) -> Runner {
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
       }});
  cmds.push_back(IdCommand(
      "center", "remove", "remove a center with no children and no staff",
      [](v1::CtlRequest& r, const std::string& id) { r.mutable_center_remove()->set_id(id); },
      [](const v1::CtlReply& r, const std::string& id) {
        std::cout << fmt::format("removed center {} ({})\n", id, SeqNote(r));
      }));
  cmds.push_back(IdCommand(
      "center", "show", "one center",
      [](v1::CtlRequest& r, const std::string& id) { r.mutable_center_show()->set_id(id); },
      [](const v1::CtlReply& r, const std::string&) { PrintCenter(r.center()); }));
  cmds.push_back({"center", "list", "centers, in id order", [](CLI::App* app) -> Runner {
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
                      if (!s.ok()) {
                        return PrintProblem(
                            s.message(),
                            s.code() == Code::kUnavailable ? kExitUnavailable : kExitRefused,
                            ctx.g.format());
                      }
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
                  }});

  // ---- staff
  cmds.push_back(
      {"staff", "add", "add a member of staff", [](CLI::App* app) -> Runner {
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
       }});
  cmds.push_back(
      {"staff", "update", "change the fields given", [](CLI::App* app) -> Runner {
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
       }});
  cmds.push_back(IdCommand(
      "staff", "remove", "remove a member of staff",
      [](v1::CtlRequest& r, const std::string& id) { r.mutable_staff_remove()->set_id(id); },
      [](const v1::CtlReply& r, const std::string& id) {
        std::cout << fmt::format("removed staff {} ({})\n", id, SeqNote(r));
      }));
  cmds.push_back(IdCommand(
      "staff", "show", "one member of staff",
      [](v1::CtlRequest& r, const std::string& id) { r.mutable_staff_show()->set_id(id); },
      [](const v1::CtlReply& r, const std::string&) { PrintStaff(r.staff()); }));
  cmds.push_back(
      {"staff", "list", "staff, in id order", [](CLI::App* app) -> Runner {
         auto center = std::make_shared<std::string>(), role = std::make_shared<std::string>(),
              skill = std::make_shared<std::string>();
         auto limit = std::make_shared<uint32_t>(0);
         app->add_option("--center", *center, "homed at this center");
         app->add_option("--role", *role, "holding this role");
         app->add_option("--skill", *skill, "having this skill");
         app->add_option("--limit", *limit, "at most this many (default: all)");
         return [=](Context& ctx) {
           v1::Role r = v1::ROLE_UNSPECIFIED;
           if (!role->empty()) {
             auto roles = client::ParseRoles(*role);
             if (!roles.ok() || roles->size() != 1)
               return Usage(ctx, Status::InvalidArgument("--role", "one role name"));
             r = roles->front();
           }
           v1::StaffListReply all;
           Status s = ListAll(
               ctx, *limit,
               [&](v1::CtlRequest& req, uint32_t want, const std::string& after) {
                 auto* q = req.mutable_staff_list();
                 q->set_center_id(*center);
                 q->set_role(r);
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
           if (!s.ok()) {
             return PrintProblem(s.message(),
                                 s.code() == Code::kUnavailable ? kExitUnavailable : kExitRefused,
                                 ctx.g.format());
           }
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
       }});

  // ---- import / export
  for (auto [verb, kind] : {std::pair{"centers", v1::CENTERS}, std::pair{"staff", v1::STAFF}}) {
    cmds.push_back({"import", verb,
                    fmt::format("upsert {} from a UTF-8 CSV file (header row; all rows checked "
                                "before anything is written)",
                                verb),
                    [kind](CLI::App* app) -> Runner {
                      auto file = std::make_shared<std::string>();
                      auto dry = std::make_shared<bool>(false);
                      app->add_option("file", *file, "CSV file")->required();
                      app->add_flag("--dry-run", *dry, "validate and count; write nothing");
                      return [=](Context& ctx) { return RunImport(ctx, kind, *file, *dry); };
                    }});
    cmds.push_back({"export", verb, fmt::format("write {} as CSV (the import format)", verb),
                    [kind](CLI::App* app) -> Runner {
                      auto out = std::make_shared<std::string>();
                      auto no_bom = std::make_shared<bool>(false);
                      app->add_option("--out", *out, "file (default: stdout)");
                      app->add_flag("--no-bom", *no_bom,
                                    "omit the UTF-8 BOM spreadsheets use to detect UTF-8");
                      return [=](Context& ctx) { return RunExport(ctx, kind, *out, !*no_bom); };
                    }});
  }

  // ---- events
  cmds.push_back(
      {"events", "tail", "print events from a seq, optionally following live",
       [](CLI::App* app) -> Runner {
         auto from = std::make_shared<int64_t>(-1);
         auto follow = std::make_shared<bool>(false);
         auto topics = std::make_shared<std::vector<std::string>>();
         auto limit = std::make_shared<uint64_t>(0);
         app->add_option("--from", *from, "first seq (default: the last 10 events)");
         app->add_flag("-f,--follow", *follow, "keep printing new events (Ctrl-C stops)");
         app->add_option("--topic", *topics, "only topics starting with this (repeatable)");
         app->add_option("--limit", *limit, "stop after this many events");
         return [=](Context& ctx) { return RunTail(ctx, *from, *follow, *topics, *limit); };
       }});

  // ---- timers
  cmds.push_back(
      {"timers", "", "what fires next: reminders, handoffs, no-shows, visit deadlines, care orders",
       [](CLI::App* app) -> Runner {
         auto limit = std::make_shared<uint32_t>(50);
         app->add_option("--limit", *limit, "timers (default 50, soonest first)");
         return [=](Context& ctx) {
           v1::CtlRequest req;
           req.mutable_timer_list()->set_limit(*limit);
           return Send(ctx, req, [](const v1::CtlReply& r) {
             Table t({"DUE", "KIND", "RECORD"});
             for (const auto& x : r.timer_list().timers())
               t.Add({Time(x.due()), x.kind(), x.record_id()});
             t.Print();
             std::cout << fmt::format("{} of {} pending timers\n", r.timer_list().timers_size(),
                                      r.timer_list().total());
           });
         };
       }});
  // ---- audit
  cmds.push_back(
      {"audit", "list", "who did what, when, with what result (newest first)",
       [](CLI::App* app) -> Runner {
         auto limit = std::make_shared<uint32_t>(50);
         auto actor = std::make_shared<std::string>();
         auto before = std::make_shared<uint64_t>(0);
         auto command = std::make_shared<std::string>();
         auto resident = std::make_shared<std::string>();
         app->add_option("--limit", *limit, "records (default 50)");
         app->add_option("--principal,--actor", *actor,
                         "only this principal (a key's name, local, anonymous)");
         app->add_option("--command", *command, "only this command (resident_show, key_revoke)");
         app->add_option("--resident", *resident, "only records naming this resident");
         app->add_option("--before", *before, "only records older than this audit seq");
         return [=](Context& ctx) {
           v1::CtlRequest req;
           req.mutable_audit_list()->set_limit(*limit);
           req.mutable_audit_list()->set_actor(*actor);
           req.mutable_audit_list()->set_before_seq(*before);
           req.mutable_audit_list()->set_command(*command);
           req.mutable_audit_list()->set_resident(*resident);
           return Send(ctx, req, [](const v1::CtlReply& r) {
             Table t(
                 {"SEQ", "TIME", "PRINCIPAL", "CLAIMED", "COMMAND", "TARGET", "RESULT", "DETAIL"});
             for (const auto& a : r.audit_list().records()) {
               t.Add({std::to_string(a.seq()), Time(a.time()), a.actor(), a.claimed(), a.command(),
                      a.target(),
                      a.code() == v1::ERROR_CODE_UNSPECIFIED ? "OK" : v1::ErrorCode_Name(a.code()),
                      a.message()});
             }
             t.Print();
           });
         };
       }});
  // ---- backup
  cmds.push_back({"backup", "create", "online consistent copy of the data dir (RocksDB checkpoint)",
                  [](CLI::App* app) -> Runner {
                    auto dir = std::make_shared<std::string>();
                    app->add_option(
                           "--dir", *dir,
                           "a new directory under the daemon's storage.backup_root (a name, or "
                           "an absolute path inside it; must not exist)")
                        ->required();
                    return [dir](Context& ctx) {
                      v1::CtlRequest req;
                      req.mutable_backup_create()->set_dir(*dir);
                      return Send(ctx, req, [](const v1::CtlReply& r) {
                        std::cout << fmt::format("backup of events 1..{} written to {}\n",
                                                 r.backup().last_seq(), r.backup().dir());
                      });
                    };
                  }});
  AddCalendarCommands(cmds);
  AddRotaCommands(cmds);
  AddVisitCommands(cmds);
  AddKeyCommands(cmds);
  return cmds;
}

}  // namespace

const std::vector<Command>& Commands() {
  static const std::vector<Command> cmds = Build();
  return cmds;
}

}  // namespace zhiban::ctl
