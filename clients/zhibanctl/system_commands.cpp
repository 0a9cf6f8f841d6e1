// zhibanctl's daemon-wide commands: status and clock (AddStatusCommands);
// events tail, timers, audit list and backup create (AddOperationsCommands).
#include <atomic>
#include <csignal>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>

#include "clients/lib/event_text.h"
#include "clients/lib/subscriber.h"
#include "clients/zhibanctl/commands.h"
#include "clients/zhibanctl/entry_builders.h"
#include "daemon/base/time_util.h"

namespace zhiban::ctl {
namespace {

using google::protobuf::util::TimeUtil;

// ---- status and clock ---------------------------------------------------------

void PrintStatus(const v1::CtlReply& r) {
  const auto& s = r.status();
  Table t({"FIELD", "VALUE"});
  t.Add({"version", s.version()});
  t.Add({"instance", s.instance_id()});
  t.Add({"uptime", FormatDuration(std::chrono::seconds(s.uptime_seconds()))});
  t.Add({"last_seq", std::to_string(s.last_seq())});
  t.Add({"clock", fmt::format("{} {}", v1::ClockMode_Name(s.clock_mode()), Time(s.now()))});
  t.Add({"storage", fmt::format("{:.1f} MiB in {}", s.storage_bytes() / 1048576.0, s.data_dir())});
  t.Add({"records", fmt::format("{} centers, {} staff", s.centers(), s.staff())});
  t.Add({"you", s.principal()});  // who zhiband took this request to come from
  t.Add({"server_key", s.server_public_key().empty() ? "(CURVE off)" : s.server_public_key()});
  t.Print();
  for (const auto& n : s.notices()) std::cout << "notice: " << n << "\n";
}

Command DaemonStatus() {
  return QueryCommand(
      "status", "", "daemon version, uptime, last event seq, clock, storage, who you are, its key",
      [](v1::CtlRequest& req) { req.mutable_status(); }, PrintStatus);
}

void PrintClock(const v1::CtlReply& r) {
  std::cout << fmt::format("{} {}\n", v1::ClockMode_Name(r.clock().mode()), Time(r.clock().now()));
}

Command ClockShow() {
  return QueryCommand(
      "clock", "show", "the daemon's time and clock mode",
      [](v1::CtlRequest& req) { req.mutable_clock_show(); }, PrintClock);
}

Command ClockAdvance() {
  return {"clock", "advance", "move a simulated clock forward (e.g. 90m, 2h, 1d)",
          [](CLI::App* app) -> Runner {
            auto by = std::make_shared<std::string>();
            app->add_option("by", *by, "duration: 90m, 2h, 1h30m, 1d")->required();
            return [=](Context& ctx) {
              auto d = ParseDuration(*by);
              if (!d.ok()) return Usage(ctx, d.status());
              v1::CtlRequest req;
              *req.mutable_clock_advance()->mutable_by() =
                  TimeUtil::MicrosecondsToDuration(d->count());
              return Send(ctx, req, PrintClock);
            };
          }};
}

Command ClockSet() {
  return {"clock", "set", "set a simulated clock to a later time", [](CLI::App* app) -> Runner {
            auto to = std::make_shared<std::string>();
            app->add_option("time", *to, "ISO-8601 with offset, e.g. 2026-02-14T08:00:00+08:00")
                ->required();
            return [=](Context& ctx) {
              auto t = ParseIsoTime(*to);
              if (!t.ok()) return Usage(ctx, t.status());
              v1::CtlRequest req;
              *req.mutable_clock_set()->mutable_to() =
                  TimeUtil::MicrosecondsToTimestamp(t->time_since_epoch().count());
              return Send(ctx, req, PrintClock);
            };
          }};
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

Command EventsTail() {
  return {"events", "tail", "print events from a seq, optionally following live",
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
          }};
}

// ---- timers, audit, backup ------------------------------------------------------

Command Timers() {
  return {"timers", "",
          "what fires next: reminders, handoffs, no-shows, visit deadlines, care orders",
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
          }};
}

void PrintAudit(const v1::CtlReply& r) {
  Table t({"SEQ", "TIME", "PRINCIPAL", "CLAIMED", "COMMAND", "TARGET", "RESULT", "DETAIL"});
  for (const auto& a : r.audit_list().records()) {
    t.Add({std::to_string(a.seq()), Time(a.time()), a.actor(), a.claimed(), a.command(), a.target(),
           a.code() == v1::ERROR_CODE_UNSPECIFIED ? "OK" : v1::ErrorCode_Name(a.code()),
           a.message()});
  }
  t.Print();
}

Command AuditList() {
  return {"audit", "list", "who did what, when, with what result (newest first)",
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
              auto* q = req.mutable_audit_list();
              q->set_limit(*limit);
              q->set_actor(*actor);
              q->set_before_seq(*before);
              q->set_command(*command);
              q->set_resident(*resident);
              return Send(ctx, req, PrintAudit);
            };
          }};
}

Command BackupCreate() {
  return {"backup", "create",
          "online consistent copy of the data dir (RocksDB checkpoint); --keys: of the key store "
          "of residents' keys instead, kept apart",
          [](CLI::App* app) -> Runner {
            auto dir = std::make_shared<std::string>();
            auto keys = std::make_shared<bool>(false);
            app->add_option("--dir", *dir,
                            "a new directory under the daemon's storage.backup_root (with --keys: "
                            "<key_dir>-backups); a name, or an absolute path inside it; must not "
                            "exist")
                ->required();
            app->add_flag("--keys", *keys,
                          "the residents' key store, not the data (docs/OPERATIONS.md \"Personal "
                          "data at rest\")");
            return [=](Context& ctx) {
              v1::CtlRequest req;
              req.mutable_backup_create()->set_dir(*dir);
              req.mutable_backup_create()->set_keys(*keys);
              return Send(ctx, req, [keys](const v1::CtlReply& r) {
                if (*keys) {
                  std::cout << fmt::format("key store backup written to {}\n", r.backup().dir());
                } else {
                  std::cout << fmt::format("backup of events 1..{} written to {}\n",
                                           r.backup().last_seq(), r.backup().dir());
                }
              });
            };
          }};
}

Command MasterKeyRotate() {
  return StringFlagCommand(
      "master-key", "rotate",
      "rewrap every resident's key under a new master key, while zhiband serves (admin)",
      {"--file",
       "the new master key: 32 random bytes, an absolute path on zhiband's machine, mode 0600",
       true},
      [](v1::CtlRequest& req, const std::string& file) {
        req.mutable_master_key_rotate()->set_file(file);
      },
      [](const v1::CtlReply&, const std::string& file) {
        std::cout << fmt::format(
            "master key rotated: set personal_data.master_key_file = \"{}\" before the next "
            "start\n",
            file);
      });
}

}  // namespace

void AddStatusCommands(std::vector<Command>& cmds) {
  cmds.push_back(DaemonStatus());
  cmds.push_back(ClockShow());
  cmds.push_back(ClockAdvance());
  cmds.push_back(ClockSet());
}

void AddOperationsCommands(std::vector<Command>& cmds) {
  cmds.push_back(EventsTail());
  cmds.push_back(Timers());
  cmds.push_back(AuditList());
  cmds.push_back(BackupCreate());
  cmds.push_back(MasterKeyRotate());
}

}  // namespace zhiban::ctl
