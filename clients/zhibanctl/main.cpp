// zhibanctl: operators' client. Parses GROUP VERB and flags, runs the command
// from the table in commands.cpp, exits with its code (see output.h).
#include <cstdlib>
#include <iostream>
#include <map>

#include <CLI/CLI.hpp>

#include "clients/zhibanctl/commands.h"

int main(int argc, char** argv) {
  using namespace zhiban::ctl;
  Context ctx;
  if (const char* e = std::getenv("ZHIBAN_CTL")) ctx.g.endpoint = e;
  if (const char* e = std::getenv("ZHIBAN_PUB")) ctx.g.pub = e;
  if (const char* e = std::getenv("ZHIBAN_REPLAY")) ctx.g.replay = e;

  CLI::App app{"zhibanctl — set up, query and steer zhiband"};
  app.require_subcommand(1);
  app.add_option("--endpoint", ctx.g.endpoint, "ctl endpoint (env ZHIBAN_CTL)")->capture_default_str();
  app.add_option("--pub", ctx.g.pub, "event PUB endpoint (env ZHIBAN_PUB)")->capture_default_str();
  app.add_option("--replay", ctx.g.replay, "replay endpoint (env ZHIBAN_REPLAY)")->capture_default_str();
  app.add_option("-o,--output", ctx.g.output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_option("--timeout-ms", ctx.g.timeout_ms, "how long to wait for zhiband")->capture_default_str();

  std::map<std::string, CLI::App*> groups;
  std::vector<std::pair<CLI::App*, Runner>> runners;
  for (const auto& c : Commands()) {
    CLI::App*& g = groups[c.group];
    if (!g) {
      g = app.add_subcommand(c.group, "");
      g->require_subcommand(1);
    }
    CLI::App* sub = c.verb.empty() ? g : g->add_subcommand(c.verb, c.help);
    if (c.verb.empty()) {
      g->description(c.help);
      g->require_subcommand(0);
    }
    runners.emplace_back(sub, c.define(sub));
  }
  for (auto& [name, g] : groups) {
    if (g->get_description().empty()) g->description(name + " commands");
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  for (auto& [sub, run] : runners) {
    if (sub->parsed()) return run(ctx);
  }
  std::cerr << app.help();
  return kExitUsage;
}
