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
  if (const char* e = std::getenv("ZHIBAN_KEY")) ctx.g.key = e;
  if (const char* e = std::getenv("ZHIBAN_SERVER_KEY")) ctx.g.server_key = e;

  CLI::App app{"zhibanctl — set up, query and steer zhiband"};
  app.require_subcommand(1);
  app.add_option("--endpoint", ctx.g.endpoint, "ctl endpoint (env ZHIBAN_CTL)")
      ->capture_default_str();
  app.add_option("--pub", ctx.g.pub, "event PUB endpoint (env ZHIBAN_PUB)")->capture_default_str();
  app.add_option("--replay", ctx.g.replay, "replay endpoint (env ZHIBAN_REPLAY)")
      ->capture_default_str();
  app.add_option("-o,--output", ctx.g.output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_option("--timeout-ms", ctx.g.timeout_ms, "how long to wait for zhiband")
      ->capture_default_str();
  app.add_option("--key", ctx.g.key,
                 "this client's CURVE key file, for tcp:// endpoints (env ZHIBAN_KEY; default "
                 "~/.config/zhiban/zhibanctl.key when it exists)");
  app.add_option("--server-key", ctx.g.server_key,
                 "zhiband's public key: its zhiband.pub or the 40 Z85 characters (env "
                 "ZHIBAN_SERVER_KEY; default ~/.config/zhiban/zhiband.pub when it exists)");

  // Groups and intermediate verbs ("calendar except add") are made on first use.
  std::map<std::string, CLI::App*> groups;
  auto node = [&](const std::string& path, CLI::App* parent, const std::string& name) {
    CLI::App*& n = groups[path];
    if (!n) {
      n = parent->add_subcommand(name, name + " commands");
      n->require_subcommand(1);
    }
    return n;
  };
  std::vector<std::pair<CLI::App*, Runner>> runners;
  for (const auto& c : Commands()) {
    CLI::App* g = node(c.group, &app, c.group);
    if (c.verb.empty()) {
      g->description(c.help);
      g->require_subcommand(0);
      runners.emplace_back(g, c.define(g));
      continue;
    }
    std::string path = c.group, verb = c.verb;
    for (size_t sp; (sp = verb.find(' ')) != std::string::npos; verb = verb.substr(sp + 1)) {
      path += " " + verb.substr(0, sp);
      g = node(path, g, verb.substr(0, sp));
    }
    CLI::App* sub = g->add_subcommand(verb, c.help);
    runners.emplace_back(sub, c.define(sub));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  if (int rc = LoadCurve(ctx); rc != kExitOk) return rc;
  for (auto& [sub, run] : runners) {
    if (sub->parsed()) return run(ctx);
  }
  std::cerr << app.help();
  return kExitUsage;
}
