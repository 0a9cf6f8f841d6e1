// zhibanctl's shared pieces (Send, Usage, files, IdCommand) and the table:
// Build() lists each group's Add*Commands in the order --help shows them.
#include "clients/zhibanctl/commands.h"

#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "daemon/base/time_util.h"

namespace zhiban::ctl {

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
  // What zhiband did itself after the command (published months it filled
  // again): on stderr beside -o json, so the JSON stays one document.
  for (const auto& line : reply->followed())
    (ctx.g.format() == Format::kJson ? std::cerr : std::cout) << line << "\n";
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

int Usage(Context& ctx, const Status& s) {
  return PrintProblem(s.field().empty() ? s.message() : s.field() + ": " + s.message(), kExitUsage,
                      ctx.g.format());
}

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

int ListProblem(Context& ctx, const Status& s) {
  return PrintProblem(s.message(), s.code() == Code::kUnavailable ? kExitUnavailable : kExitRefused,
                      ctx.g.format());
}

namespace {

// The groups in the order `zhibanctl --help` lists them.
std::vector<Command> Build() {
  std::vector<Command> cmds;
  AddStatusCommands(cmds);
  AddNetworkCommands(cmds);
  AddIoCommands(cmds);
  AddOperationsCommands(cmds);
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
