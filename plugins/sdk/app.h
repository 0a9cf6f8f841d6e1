// PluginMain: the command line, config file, signals, /metrics and dead-letter
// tools every notifier shares, so a plugin's main() is its provider and nothing else.
//
//   zhiban-notify-<name> --config FILE [--state-dir D] [--pub E] [--replay E]
//   zhiban-notify-<name> --config FILE check          # validate and exit
//   zhiban-notify-<name> --config FILE dead list | dead redrive --id KEY | held list
//   zhiban-notify-<name> --config FILE skipped list    # stale, not sent, and why
//
// The config file (TOML) has the shared sections below, the routing of
// routing.h ([[route]], [templates.*], [groups.*]) and the plugin's own section:
//   [bus]          pub, replay, start = "now" | "beginning" | <seq> (first start only),
//                  key (this plugin's CURVE key file), server_key (zhiband's public key)
//   [stale]        handoff_grace_minutes = 30
//   [state]        dir (a start on a disk with less than 64 MiB free exits 1, as zhiband's does)
//   [retry]        initial_backoff_ms, max_backoff_ms, max_attempts
//   [quiet_hours]  start = "21:00", end = "08:00", zone = "Asia/Shanghai"
//   [rate_limit]   per_minute, burst
//   [metrics]      listen = "127.0.0.1:7611" (empty: off)
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "plugins/sdk/runner.h"

namespace CLI {
class App;
}

namespace zhiban::plugin {

struct PluginSpec {
  std::string name;  // "sms" → zhiban-notify-sms, state ./var/notify-sms
  std::string description;
  ChannelNeeds needs;
  std::string section;  // the plugin's own config table ("sms", "wecom"); empty: none
  bool config_required = true;
  bool quiet_by_default = true;   // 21:00–08:00 unless [quiet_hours] says otherwise
  double default_per_minute = 0;  // 0: unlimited unless [rate_limit] says otherwise
  // Builds the notifier. `section` is the plugin's table (empty when absent);
  // `router` is null when the plugin runs without a config (console only).
  std::function<Result<std::unique_ptr<Notifier>>(
      const toml::table& section, std::unique_ptr<Router> router, const std::string& source)>
      make;
  std::function<void(CLI::App&)> add_options;  // the plugin's own flags, if any
};

// Runs a plugin: owner-only like zhiband (umask 077 from the first line; an
// existing state dir and what is in it tightened to its owner), then the
// command line, config, signals and the runner.
int PluginMain(int argc, char** argv, const PluginSpec& spec);

// Takes every permission of the group and others off `path` and, when it is
// a directory, off everything under it: state and output files hold
// residents' names and addresses. Errors are returned, not thrown.
Status KeepToOwner(const std::string& path);

// Reads a secret named in config: `<key>` inline, or `<key>_env` (an
// environment variable) or `<key>_file` (a file, trailing newline dropped).
Result<std::string> Secret(const toml::table& t, const std::string& key, const std::string& where);

}  // namespace zhiban::plugin
