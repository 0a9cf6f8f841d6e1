// zhibanctl's commands: one table entry per GROUP VERB with its help, its
// flags and what it runs (after redis src/commands/*.json, rocksdb ldb).
#pragma once

#include <chrono>
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

void AddCalendarCommands(std::vector<Command>& cmds);  // calendar, policy, coverage
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
