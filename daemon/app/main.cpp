// zhiband: parses flags, wires the Daemon, runs it. Nothing else lives here.
#include <cstdio>
#include <iostream>

#include <google/protobuf/stubs/logging.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "daemon/app/config.h"
#include "daemon/app/daemon.h"

int main(int argc, char** argv) {
  using zhiban::app::Config;
  CLI::App cli{"zhiband — duty-rota and dispatch daemon for community service centers"};
  std::string config_file, data_dir, ctl, pub, replay, http, clock, log_level;
  bool print_config = false, version = false, accept_lost = false;
  cli.add_option("--config", config_file, "TOML config file (see --print-config)");
  cli.add_option("--data-dir", data_dir, "state directory (default ./var/zhiban)");
  cli.add_option("--ctl", ctl, "ctl ZeroMQ endpoint (default tcp://127.0.0.1:7600)");
  cli.add_option("--pub", pub, "event PUB endpoint (default tcp://127.0.0.1:7601)");
  cli.add_option("--replay", replay, "replay endpoint (default tcp://127.0.0.1:7602)");
  cli.add_option("--http", http, "health/metrics listen address (default 127.0.0.1:7680)");
  cli.add_option("--clock", clock, "real | simulated:<ISO-8601 time>");
  cli.add_option("--log-level", log_level, "trace|debug|info|warn|error");
  cli.add_flag("--print-config", print_config, "print a commented config with every default");
  cli.add_flag("--version", version, "print the version");
  cli.add_flag("--accept-lost-events", accept_lost,
               "start although the store lost acknowledged events (a damaged WAL): go on after "
               "the newest acknowledged seq and record the lost range (events.lost)");
  bool local_admin = false, no_curve = false;
  cli.add_flag("--local-admin", local_admin,
               "also serve ctl without keys on ipc://<data_dir>/ctl.sock (ctl.local_admin)");
  cli.add_flag("--no-curve", no_curve,
               "plain loopback TCP, anyone on the machine is admin (security.curve = false; "
               "development and benchmarks only)");
  CLI11_PARSE(cli, argc, argv);

  if (version) {
    std::cout << "zhiband " << ZHIBAN_VERSION << "\n";
    return 0;
  }
  if (print_config) {
    std::cout << zhiban::app::SampleConfig();
    return 0;
  }
  Config config;
  if (!config_file.empty()) {
    if (auto s = zhiban::app::LoadConfigFile(config_file, &config); !s.ok()) {
      std::fprintf(stderr, "zhiband: %s\n", s.message().c_str());
      return 2;
    }
  }
  if (!data_dir.empty()) config.data_dir = data_dir;
  if (!ctl.empty()) config.ctl_endpoint = ctl;
  if (!pub.empty()) config.pub_endpoint = pub;
  if (!replay.empty()) config.replay_endpoint = replay;
  if (!http.empty()) config.http_listen = http;
  if (!clock.empty()) config.clock = clock;
  if (!log_level.empty()) config.log_level = log_level;
  config.accept_lost_events = accept_lost;
  if (local_admin) config.ctl_local_admin = true;
  if (no_curve) config.security_curve = false;
  if (auto s = zhiban::app::ValidateConfig(config); !s.ok()) {
    std::fprintf(stderr, "zhiband: %s\n", s.message().c_str());
    return 2;
  }

  // Logs go to stderr (systemd/journald and the tests capture it); stdout stays for --print-config.
  spdlog::set_default_logger(spdlog::stderr_color_mt("zhiband"));
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  // Protobuf reports e.g. invalid UTF-8 in a request through its own logger.
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel, const char*, int, const std::string& msg) {
        spdlog::debug("protobuf: {}", msg);
      });

  auto daemon = zhiban::app::Daemon::Create(config);
  if (!daemon.ok()) {
    spdlog::error("cannot start: {}", daemon.status().ToString());
    return 1;
  }
  return (*daemon)->Run();
}
