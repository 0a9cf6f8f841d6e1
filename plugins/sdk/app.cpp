#include "plugins/sdk/app.h"

#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <toml++/toml.h>
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <zmq.hpp>

#include "daemon/base/disk.h"
#include "daemon/net/http_server.h"

namespace zhiban::plugin {
namespace {

std::atomic<bool> g_stop{false};

Status Bad(const std::string& source, const toml::node& n, const std::string& what) {
  return Status::InvalidArgument("config",
                                 fmt::format("{}:{}: {}", source, n.source().begin.line, what));
}

template <typename T>
Status Read(const toml::table& t, const std::string& source, const char* section, const char* key,
            T* out) {
  const auto* n = t.get(key);
  if (!n) return {};
  auto v = n->value<T>();
  if (!v) return Bad(source, *n, fmt::format("[{}] {} has the wrong type", section, key));
  *out = *v;
  return {};
}

Status Only(const toml::table& t, const std::string& source, const std::string& section,
            std::set<std::string> keys) {
  for (const auto& [k, v] : t) {
    if (!keys.count(std::string(k.str()))) {
      return Bad(source, v,
                 fmt::format("[{}]: unknown key '{}' (known: {})", section, k.str(),
                             fmt::join(keys, ", ")));
    }
  }
  return {};
}

// zhiband's ctl endpoint where its replay endpoint says it is: the default
// ports (7600 beside 7602) or the same ipc:// directory (ctl.sock beside
// replay.sock). Empty when it cannot be told: then [bus] ctl is needed to
// reach anyone by their staff record.
std::string CtlBeside(const std::string& replay) {
  if (replay.starts_with("tcp://") && replay.ends_with(":7602")) {
    return replay.substr(0, replay.size() - 4) + "7600";
  }
  if (replay.starts_with("ipc://") && replay.ends_with("/replay.sock")) {
    return replay.substr(0, replay.size() - std::string("replay.sock").size()) + "ctl.sock";
  }
  return {};
}

struct Loaded {
  RunnerOptions opts;
  std::string key_file, server_key;  // [bus] key, server_key
  bool ctl_set = false;              // [bus] ctl given (else found beside replay)
  std::string metrics_listen;
  toml::table section;
  std::unique_ptr<Router> router;
};

Result<Loaded> Load(const PluginSpec& spec, const std::string& path) {
  Loaded l;
  l.opts.state_dir = "./var/notify-" + spec.name;
  std::string quiet_start = "21:00", quiet_end = "08:00", zone = "Asia/Shanghai";
  if (!spec.quiet_by_default) quiet_end = quiet_start;
  double per_minute = spec.default_per_minute, burst = 0;
  toml::table config;  // no file (the console alone): every default, no routes
  if (!path.empty()) {
    try {
      config = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      return Status::InvalidArgument("config",
                                     fmt::format("{}:{}:{}: {}", path, e.source().begin.line,
                                                 e.source().begin.column, e.description()));
    }
  }
  std::set<std::string> top = {"bus",   "state",   "retry", "quiet_hours", "rate_limit",
                               "stale", "metrics", "route", "templates",   "groups"};
  if (!spec.section.empty()) top.insert(spec.section);
  // A channel that runs other channels' configs (console) skips their
  // sections: every other top-level table, said once in the log.
  if (spec.needs.accepts_other_channels) {
    for (const auto& [k, v] : config) {
      const std::string name(k.str());
      if (!top.count(name) && v.is_table()) {
        spdlog::info("{}: [{}] is another channel's section; zhiban-notify-{} ignores it", path,
                     name, spec.name);
        top.insert(name);
      }
    }
  }
  ZB_RETURN_IF_ERROR(Only(config, path, "top level", top));
  auto table = [&](const char* name) -> const toml::table* { return config[name].as_table(); };
  if (const auto* t = table("bus")) {
    ZB_RETURN_IF_ERROR(
        Only(*t, path, "bus", {"pub", "replay", "ctl", "start", "key", "server_key"}));
    l.ctl_set = t->contains("ctl");
    ZB_RETURN_IF_ERROR(Read(*t, path, "bus", "ctl", &l.opts.ctl_endpoint));
    ZB_RETURN_IF_ERROR(Read(*t, path, "bus", "pub", &l.opts.pub_endpoint));
    ZB_RETURN_IF_ERROR(Read(*t, path, "bus", "replay", &l.opts.replay_endpoint));
    ZB_RETURN_IF_ERROR(Read(*t, path, "bus", "key", &l.key_file));
    ZB_RETURN_IF_ERROR(Read(*t, path, "bus", "server_key", &l.server_key));
    if (const auto* n = t->get("start")) {
      if (auto seq = n->value<int64_t>(); seq && *seq >= 1) {
        l.opts.start = std::to_string(*seq);
      } else if (auto word = n->value<std::string>();
                 word && (*word == "now" || *word == "beginning")) {
        l.opts.start = *word;
      } else {
        return Bad(path, *n, "[bus] start is \"now\", \"beginning\" or a seq >= 1");
      }
    }
  }
  if (const auto* t = table("stale")) {
    ZB_RETURN_IF_ERROR(Only(*t, path, "stale", {"handoff_grace_minutes"}));
    int64_t grace = l.opts.stale.handoff_grace.count();
    ZB_RETURN_IF_ERROR(Read(*t, path, "stale", "handoff_grace_minutes", &grace));
    if (grace < 0 || grace > 24 * 60)
      return Bad(path, *t->get("handoff_grace_minutes"),
                 "[stale] handoff_grace_minutes is 0..1440");
    l.opts.stale.handoff_grace = std::chrono::minutes(grace);
  }
  if (const auto* t = table("state")) {
    ZB_RETURN_IF_ERROR(Only(*t, path, "state", {"dir"}));
    ZB_RETURN_IF_ERROR(Read(*t, path, "state", "dir", &l.opts.state_dir));
  }
  if (const auto* t = table("retry")) {
    ZB_RETURN_IF_ERROR(
        Only(*t, path, "retry", {"initial_backoff_ms", "max_backoff_ms", "max_attempts"}));
    int64_t initial = l.opts.initial_backoff.count(), max = l.opts.max_backoff.count(),
            attempts = l.opts.max_attempts;
    ZB_RETURN_IF_ERROR(Read(*t, path, "retry", "initial_backoff_ms", &initial));
    ZB_RETURN_IF_ERROR(Read(*t, path, "retry", "max_backoff_ms", &max));
    ZB_RETURN_IF_ERROR(Read(*t, path, "retry", "max_attempts", &attempts));
    if (initial < 1 || max < initial || attempts < 1) {
      return Bad(path, *config.get("retry"),
                 "[retry] needs 1 <= initial_backoff_ms <= max_backoff_ms and max_attempts >= 1");
    }
    l.opts.initial_backoff = std::chrono::milliseconds(initial);
    l.opts.max_backoff = std::chrono::milliseconds(max);
    l.opts.max_attempts = static_cast<int>(attempts);
  }
  if (const auto* t = table("quiet_hours")) {
    ZB_RETURN_IF_ERROR(Only(*t, path, "quiet_hours", {"start", "end", "zone"}));
    ZB_RETURN_IF_ERROR(Read(*t, path, "quiet_hours", "start", &quiet_start));
    ZB_RETURN_IF_ERROR(Read(*t, path, "quiet_hours", "end", &quiet_end));
    ZB_RETURN_IF_ERROR(Read(*t, path, "quiet_hours", "zone", &zone));
  }
  auto q = QuietHours::Parse(quiet_start, quiet_end, zone);
  if (!q.ok())
    return Status::InvalidArgument("config", fmt::format("{}: {}", path, q.status().message()));
  l.opts.quiet = *q;
  if (const auto* t = table("rate_limit")) {
    ZB_RETURN_IF_ERROR(Only(*t, path, "rate_limit", {"per_minute", "burst"}));
    ZB_RETURN_IF_ERROR(Read(*t, path, "rate_limit", "per_minute", &per_minute));
    ZB_RETURN_IF_ERROR(Read(*t, path, "rate_limit", "burst", &burst));
    if (per_minute < 0 || burst < 0)
      return Bad(path, *config.get("rate_limit"), "[rate_limit] values must be >= 0");
  }
  if (per_minute > 0) {
    l.opts.rate = TokenBucket(per_minute, std::chrono::minutes(1),
                              burst > 0 ? burst : std::max(1.0, per_minute / 6));
  }
  if (const auto* t = table("metrics")) {
    ZB_RETURN_IF_ERROR(Only(*t, path, "metrics", {"listen"}));
    ZB_RETURN_IF_ERROR(Read(*t, path, "metrics", "listen", &l.metrics_listen));
  }
  if (path.empty()) return l;
  if (!spec.section.empty()) {
    if (const auto* t = table(spec.section.c_str())) {
      l.section = *t;
    } else {
      return Status::InvalidArgument("config",
                                     fmt::format("{}: [{}] is required", path, spec.section));
    }
  }
  ZB_ASSIGN_OR_RETURN(auto router, Router::Parse(config, spec.needs, path));
  l.router = std::move(router);
  return l;
}

void PrintDead(const v1::DeadLetter& d) {
  const std::string key = DeadKey(d);
  const auto& n = d.notification();
  const std::string to =
      d.has_notification() && n.recipients_size() > 0
          ? fmt::format(" to {}", n.recipients(0).name().empty() ? n.recipients(0).phone()
                                                                 : n.recipients(0).name())
          : "";
  std::cout << fmt::format("{}  #{}  {}{}  attempts {}  {}  {}\n", key,
                           d.has_notification() ? n.seq() : d.event().seq(),
                           d.has_notification() ? n.topic() : d.event().topic(), to, d.attempts(),
                           google::protobuf::util::TimeUtil::ToString(d.failed_at()), d.reason());
}

}  // namespace

Result<std::string> Secret(const toml::table& t, const std::string& key, const std::string& where) {
  if (auto v = t[key].value<std::string>()) return *v;
  if (auto env = t[key + "_env"].value<std::string>()) {
    const char* v = std::getenv(env->c_str());
    if (!v || !*v)
      return Status::InvalidArgument(
          key, fmt::format("{}: {}_env names ${}, which is not set", where, key, *env));
    return std::string(v);
  }
  if (auto file = t[key + "_file"].value<std::string>()) {
    std::ifstream f(*file);
    if (!f)
      return Status::InvalidArgument(key,
                                     fmt::format("{}: cannot read {}_file {}", where, key, *file));
    std::string v((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
    return v;
  }
  return Status::InvalidArgument(
      key, fmt::format("{}: {} is required (or {}_env, {}_file)", where, key, key, key));
}

Status KeepToOwner(const std::string& path) {
  namespace fs = std::filesystem;
  constexpr auto kOthers = fs::perms::group_all | fs::perms::others_all;
  std::error_code ec;
  const auto tighten = [&](const fs::path& p) {
    const fs::file_status st = fs::symlink_status(p, ec);
    if (ec || fs::is_symlink(st) || (st.permissions() & kOthers) == fs::perms::none) return;
    fs::permissions(p, kOthers, fs::perm_options::remove, ec);
  };
  tighten(path);
  if (!ec && fs::is_directory(path, ec)) {
    for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec))
      tighten(it->path());
  }
  if (ec) {
    return Status::Unavailable(fmt::format("cannot make {} owner-only: {}", path, ec.message()));
  }
  return {};
}

int PluginMain(int argc, char** argv, const PluginSpec& spec) {
  // Owner-only like zhiband: the state and any output hold residents' names
  // and addresses.
  ::umask(077);
  const std::string binary = "zhiban-notify-" + spec.name;
  CLI::App app{binary + " — " + spec.description};
  std::string config_path, state_dir, pub, replay, ctl, id, key, server_key;
  app.add_option("--config", config_path, "the plugin's TOML config (routes, templates, provider)");
  app.add_option("--state-dir", state_dir,
                 "cursor, sent ids, held and dead letters (overrides [state] dir)");
  app.add_option("--pub", pub, "zhiband PUB endpoint (overrides [bus] pub)");
  app.add_option("--replay", replay, "zhiband replay endpoint (overrides [bus] replay)");
  app.add_option("--ctl", ctl,
                 "zhiband ctl endpoint for the contact query (overrides [bus] ctl; default: "
                 "beside the replay endpoint)");
  app.add_option("--key", key, "this plugin's CURVE key file (overrides [bus] key)");
  app.add_option("--server-key", server_key,
                 "zhiband's public key, its zhiband.pub or 40 Z85 characters (overrides [bus] "
                 "server_key)");
  auto* check = app.add_subcommand("check", "validate the config and exit");
  auto* dead = app.add_subcommand("dead", "dead letters");
  auto* dead_list = dead->add_subcommand("list", "notifications given up on");
  auto* dead_redrive = dead->add_subcommand("redrive", "send a dead letter again");
  dead_redrive->add_option("--id", id, "its key (first column of dead list)")->required();
  auto* held = app.add_subcommand("held", "notifications held for quiet hours");
  auto* held_list = held->add_subcommand("list", "what is held and until when");
  auto* skipped = app.add_subcommand("skipped", "notifications not sent because they were stale");
  auto* skipped_list = skipped->add_subcommand("list", "each with the reason");
  std::string start;
  app.add_option("--start", start,
                 "where a first start begins: now, beginning or a seq (overrides [bus] start)");
  if (spec.add_options) spec.add_options(app);
  CLI11_PARSE(app, argc, argv);

  spdlog::set_default_logger(spdlog::stderr_color_mt(binary));
  auto fail = [&](const std::string& m) {
    std::fprintf(stderr, "%s: %s\n", binary.c_str(), m.c_str());
    return 1;
  };
  if (spec.config_required && config_path.empty())
    return fail("--config FILE is required (see plugins/README.md)");
  auto loaded = Load(spec, config_path);
  if (!loaded.ok()) return fail(loaded.status().message());
  auto& l = *loaded;
  if (!state_dir.empty()) l.opts.state_dir = state_dir;
  if (!pub.empty()) l.opts.pub_endpoint = pub;
  if (!replay.empty()) l.opts.replay_endpoint = replay;
  if (!ctl.empty()) l.opts.ctl_endpoint = ctl;
  if (ctl.empty() && !l.ctl_set) l.opts.ctl_endpoint = CtlBeside(l.opts.replay_endpoint);
  if (!spec.needs.looks_up_contacts) l.opts.ctl_endpoint.clear();
  l.opts.contact_field = spec.needs.contact_field;
  if (!key.empty()) l.key_file = key;
  if (!server_key.empty()) l.server_key = server_key;
  if (l.key_file.empty() != l.server_key.empty()) {
    return fail(
        "CURVE needs both [bus] key (this plugin's key file) and [bus] server_key "
        "(zhiband's public key); docs/PROTOCOL.md \"Authentication\"");
  }
  if (!l.key_file.empty()) {
    auto keys = net::ReadKeyFile(l.key_file, true);
    if (!keys.ok()) return fail(keys.status().message());
    auto pub_key = net::ReadPublicKey(l.server_key);
    if (!pub_key.ok()) return fail(pub_key.status().message());
    l.opts.curve = net::CurveClient{*pub_key, *keys};
  }
  if (!start.empty()) {
    const bool seq = start.find_first_not_of("0123456789") == std::string::npos &&
                     start.size() < 20 && start != "0";
    if (start != "now" && start != "beginning" && !seq)
      return fail(fmt::format("--start \"{}\" is not now, beginning or a seq >= 1", start));
    l.opts.start = start;
  }
  const size_t routes = l.router ? l.router->route_count() : 0;
  auto notifier = spec.make(l.section, std::move(l.router), config_path);
  if (!notifier.ok()) return fail(notifier.status().message());
  if (check->parsed()) {
    std::cout << fmt::format("{}: {} routes, quiet hours {}, state {}\n", config_path, routes,
                             l.opts.quiet.ToString(), l.opts.state_dir);
    return 0;
  }

  // A state dir written by an older plugin (umask 022) is tightened.
  if (std::error_code ec; std::filesystem::exists(l.opts.state_dir, ec)) {
    // A file another user owns (a command once run as root) cannot be
    // changed here: said, not fatal.
    if (Status s = KeepToOwner(l.opts.state_dir); !s.ok()) spdlog::warn("{}", s.message());
  }
  // As zhiband does: RocksDB opening on a full disk can abort inside itself,
  // so a state dir's disk short of the reserve is said plainly here instead.
  if (l.opts.state_min_free_bytes > 0) {
    std::error_code ec;
    std::filesystem::create_directories(l.opts.state_dir, ec);
    auto free = FreeBytes(l.opts.state_dir);
    if (free.ok() && *free < l.opts.state_min_free_bytes) {
      return fail(fmt::format(
          "the disk holding {} has {} KiB free; {} needs at least {} MiB to open its state. "
          "Free space there (or move the state dir) and start again; nothing was changed",
          l.opts.state_dir, *free / 1024, binary, l.opts.state_min_free_bytes >> 20));
    }
  }
  if (l.opts.ctl_endpoint.empty() && spec.needs.looks_up_contacts) {
    spdlog::warn(
        "no [bus] ctl: staff members' contacts cannot be looked up, so only [groups.*] members "
        "are reached (set [bus] ctl or --ctl to zhiband's ctl endpoint)");
  }
  zmq::context_t ctx(1);
  Runner runner(ctx, l.opts, **notifier);
  if (auto s = runner.Open(); !s.ok()) return fail(s.message());
  if (dead_list->parsed()) {
    (void)runner.state().ListDead(PrintDead);
    return 0;
  }
  if (skipped_list->parsed()) {
    (void)runner.state().ListSkipped([](const v1::Skipped& k) {
      const auto& n = k.notification();
      std::cout << fmt::format("{}  #{}  {}  {}  {}\n", n.key(), n.seq(), n.topic(),
                               google::protobuf::util::TimeUtil::ToString(k.skipped_at()),
                               k.reason());
    });
    return 0;
  }
  if (held_list->parsed()) {
    (void)runner.state().ListHeld([](const v1::Held& h) {
      std::cout << fmt::format("{}  until {}  {}\n", h.notification().key(),
                               google::protobuf::util::TimeUtil::ToString(h.release_at()),
                               h.notification().text());
    });
    return 0;
  }
  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::signal(SIGINT, [](int) { g_stop = true; });
  if (dead_redrive->parsed()) {
    auto s = runner.Redrive(id, g_stop);
    if (!s.ok()) return fail(s.message());
    std::cout << fmt::format("{}: sent\n", id);
    return 0;
  }

  // /metrics on its own small io_context thread.
  boost::asio::io_context io;
  std::unique_ptr<net::HttpServer> http;
  std::thread http_thread;
  if (!l.metrics_listen.empty()) {
    auto http_routes = std::make_shared<net::HttpRouter>();
    http_routes->Add({"GET", "/metrics", 0, [&](const net::HttpRequest&) {
                        return net::HttpResponse{
                            200, "text/plain; version=0.0.4", runner.Metrics(spec.name), {}};
                      }});
    http_routes->Add({"GET", "/healthz", 0, [](const net::HttpRequest&) {
                        return net::HttpResponse{200, "text/plain; charset=utf-8", "ok\n", {}};
                      }});
    http = std::make_unique<net::HttpServer>(io, l.metrics_listen, http_routes);
    if (auto s = http->Start(); !s.ok()) return fail(s.message());
    spdlog::info("metrics on http://{}/metrics", http->address());
    http_thread = std::thread([&] { io.run(); });
  }
  spdlog::info("following {} from seq {} (quiet hours {}, {} held, {} dead letters)",
               l.opts.pub_endpoint, runner.state().cursor(), l.opts.quiet.ToString(),
               runner.state().CountHeld(), runner.state().CountDead());
  Status s = runner.Run(g_stop);
  const auto& st = runner.stats();
  spdlog::info("stopped at seq {}: {} sent, {} held, {} duplicates skipped, {} dead",
               runner.state().cursor(), st.delivered.load(), st.held.load(), st.duplicates.load(),
               st.dead.load());
  if (http) {
    io.stop();
    http_thread.join();
    http.reset();
  }
  if (!s.ok()) return fail(s.message());
  return 0;
}

}  // namespace zhiban::plugin
