// zhibanctl's commands: one table entry per GROUP VERB with its help, its
// flags and what it runs (after redis src/commands/*.json, rocksdb ldb).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <zmq.hpp>

#include "clients/lib/ctl_client.h"
#include "clients/lib/records_csv.h"
#include "clients/zhibanctl/output.h"
#include "zhiban/v1/ctl.pb.h"

namespace zhiban::ctl {

struct Globals {
  std::string endpoint = "tcp://127.0.0.1:7600";
  std::string pub = "tcp://127.0.0.1:7601";
  std::string replay = "tcp://127.0.0.1:7602";
  std::string output = "table";
  int timeout_ms = 30000;
  // CURVE (docs/OPERATIONS.md, "Security"): this client's key file and
  // zhiband's public key (a file or the 40 Z85 characters).
  std::string key;
  std::string server_key;
  net::CurveClient curve;  // read from the two above by main() before a command runs
  Format format() const { return output == "json" ? Format::kJson : Format::kTable; }
};

struct Context {
  Globals g;
  zmq::context_t zmq{1};
  std::unique_ptr<client::CtlClient> ctl_client;
  client::CtlClient& ctl() {
    if (!ctl_client) {
      ctl_client = std::make_unique<client::CtlClient>(
          zmq, g.endpoint, std::chrono::milliseconds(g.timeout_ms), g.curve);
    }
    return *ctl_client;
  }
};

using Runner = std::function<int(Context&)>;

struct Command {
  std::string group;
  std::string verb;
  std::string help;
  // Declares the command's flags on `app` and returns what runs it.
  std::function<Runner(CLI::App* app)> define;
};

const std::vector<Command>& Commands();

// Shared by the command files.
std::string Time(const google::protobuf::Timestamp& t);  // local, to the second
int Send(Context& ctx, v1::CtlRequest& req,              // prints result or error
         const std::function<void(const v1::CtlReply&)>& table);
std::string SeqNote(const v1::CtlReply& r);  // "event 7", "events 3..9"
int Usage(Context& ctx, const Status& s);    // a local usage problem
Result<std::string> ReadFile(const std::string& path, size_t max_bytes);  // a local input file
int PrintCellErrors(Context& ctx,
                    const std::string& path,  // a CSV's unreadable cells, nothing sent
                    const std::vector<client::CellError>& errors);
Command IdCommand(std::string group, std::string verb, std::string help,
                  std::function<void(v1::CtlRequest&, const std::string&)> set_id,
                  std::function<void(const v1::CtlReply&, const std::string& id)> print);

// Fetches every page of a list (or one page of `limit`): `fill(req, want,
// after)` asks for a page, `take(reply, &next)` keeps it and returns its size.
constexpr uint32_t kListPage = 10000;
template <typename Fill, typename Take>
Status ListAll(Context& ctx, uint32_t limit, Fill fill, Take take) {
  std::string after;
  uint32_t got = 0;
  for (;;) {
    v1::CtlRequest req;
    uint32_t want = limit ? std::min(kListPage, limit - got) : kListPage;
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
int ListProblem(Context& ctx, const Status& s);  // a failed ListAll, printed

void AddStatusCommands(std::vector<Command>& cmds);   // status, clock show|advance|set
void AddNetworkCommands(std::vector<Command>& cmds);  // center, staff add|update|remove|show|list
void AddIoCommands(std::vector<Command>& cmds);       // import|export centers|staff
void AddOperationsCommands(std::vector<Command>& cmds);  // events tail, timers, audit, backup
void AddCalendarCommands(std::vector<Command>& cmds);    // calendar, policy, coverage
void AddRotaCommands(std::vector<Command>& cmds);   // rota, leave, staff ledger, export rota|ledger
void AddVisitCommands(std::vector<Command>& cmds);  // resident, visit
void AddKeyCommands(std::vector<Command>& cmds);    // key create|list|revoke
// Reads --key / --server-key (or their defaults) into ctx.g.curve; a usage
// error is printed and returned.
int LoadCurve(Context& ctx);
// Writes an export to `path` (stdout when empty or "-"), saying what went where.
int WriteOutput(Context& ctx, const std::string& path, const std::string& text,
                const std::string& what);

}  // namespace zhiban::ctl
