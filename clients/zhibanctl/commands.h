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
#include "clients/zhibanctl/output.h"

namespace zhiban::ctl {

struct Globals {
  std::string endpoint = "tcp://127.0.0.1:7600";
  std::string pub = "tcp://127.0.0.1:7601";
  std::string replay = "tcp://127.0.0.1:7602";
  std::string output = "table";
  int timeout_ms = 30000;
  Format format() const { return output == "json" ? Format::kJson : Format::kTable; }
};

struct Context {
  Globals g;
  zmq::context_t zmq{1};
  std::unique_ptr<client::CtlClient> ctl_client;
  client::CtlClient& ctl() {
    if (!ctl_client) {
      ctl_client = std::make_unique<client::CtlClient>(zmq, g.endpoint,
                                                      std::chrono::milliseconds(g.timeout_ms));
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

}  // namespace zhiban::ctl
