#include "daemon/app/config.h"

#include <set>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "daemon/base/number.h"
#include "daemon/base/time_util.h"

namespace zhiban::app {
namespace {

using Member = std::variant<std::string Config::*, int64_t Config::*, bool Config::*>;

// An integer key's allowed values, inclusive (min > max: any value).
struct Range {
  int64_t min = 1;
  int64_t max = 0;
};

struct ConfigKey {
  const char* name;  // dotted TOML path
  Member member;
  const char* help;
  Range range;  // integer keys
  // String keys with a form: OK, or what is wrong with `value` (the key's
  // parser, which the daemon uses too).
  Status (*check)(std::string_view value) = nullptr;
};

Status CheckClock(std::string_view v) {
  if (v == "real") return {};
  if (v.starts_with("simulated:")) {
    if (auto t = ParseIsoTime(v.substr(10)); !t.ok()) return t.status();
    return {};
  }
  return Status::InvalidArgument(
      "clock", fmt::format("\"{}\" is neither \"real\" nor \"simulated:<ISO time>\"", v));
}

Status CheckLogLevel(std::string_view v) {
  for (std::string_view level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    if (v == level) return {};
  }
  return Status::InvalidArgument(
      "log.level",
      fmt::format("\"{}\" is not one of trace, debug, info, warn, error, critical, off", v));
}

Status CheckReminderEve(std::string_view v) { return ParseLocalMinute(v).status(); }

// The one declaration of every configuration key.
const std::vector<ConfigKey>& Keys() {
  static const std::vector<ConfigKey> keys = {
      {"data_dir", &Config::data_dir,
       "Where RocksDB keeps state, events and audit (flag --data-dir)."},
      {"clock",
       &Config::clock,
       "\"real\", or \"simulated:<ISO-8601 time>\" for tests and demos (flag --clock).",
       {},
       CheckClock},
      {"log.level", &Config::log_level, "trace, debug, info, warn, error.", {}, CheckLogLevel},
      {"ctl.endpoint", &Config::ctl_endpoint,
       "ZeroMQ ROUTER endpoint for zhibanctl (flag --ctl). tcp:// uses CURVE unless "
       "security.curve = false; an ipc:// endpoint's callers are the local admin, so its "
       "directory must be owner-only."},
      {"ctl.local_admin", &Config::ctl_local_admin,
       "Also serve ctl on ipc://<data_dir>/ctl.sock without keys: only the daemon's own OS user "
       "can reach it (the data dir is owner-only), and acts as admin. Set it to create the first "
       "keys (docs/OPERATIONS.md \"Security\")."},
      {"ctl.max_request_bytes",
       &Config::ctl_max_request_bytes,
       "Largest request answered; larger ones get RESOURCE_EXHAUSTED.",
       {1024, 1 << 30}},
      {"ctl.max_message_bytes",
       &Config::ctl_max_message_bytes,
       "ZMQ_MAXMSGSIZE: a peer sending a larger frame is disconnected without a reply.",
       {1024, 1 << 30}},
      {"ctl.hwm",
       &Config::ctl_hwm,
       "ZeroMQ high-water mark of the ctl socket, messages per peer.",
       {1, 10000000}},
      {"security.curve", &Config::security_curve,
       "TCP endpoints (ctl, pub, replay) use ZeroMQ CURVE: every client holds a key registered "
       "with zhibanctl key create, and zhiband's public key (<data_dir>/zhiband.pub). false: "
       "loopback only, anyone on the machine is admin (development and benchmarks)."},
      {"bus.pub_endpoint", &Config::pub_endpoint,
       "ZeroMQ PUB endpoint for live events (flag --pub)."},
      {"bus.pub_hwm",
       &Config::pub_hwm,
       "Messages queued per subscriber before ZeroMQ drops for it (it then replays the gap).",
       {1, 100000000}},
      {"bus.replay_endpoint", &Config::replay_endpoint,
       "ZeroMQ ROUTER endpoint answering ReplayRequest (flag --replay)."},
      {"bus.replay_max_events",
       &Config::replay_max_events,
       "Most events in one replay answer.",
       {1, 1000000}},
      {"bus.heartbeat_ms",
       &Config::heartbeat_ms,
       "Interval of bus.heartbeat messages carrying the newest seq.",
       {10, 60000}},
      {"http.listen", &Config::http_listen, "host:port for /healthz and /metrics (flag --http)."},
      {"http.max_connections",
       &Config::http_max_connections,
       "HTTP connections open at once; at the cap the oldest idle one is closed to make room "
       "(lowered to the descriptor limit less 320).",
       {1, 100000}},
      {"storage.sync", &Config::storage_sync,
       "fsync the WAL before acknowledging (group commit). false loses acknowledged commands on "
       "power loss: for tests and benchmarks only."},
      {"storage.backup_root", &Config::backup_root,
       "The one directory backups are written under (backup create --dir names a directory in "
       "it). Empty: <data_dir>-backups. Created owner-only (0700)."},
      {"personal_data.key_dir", &Config::key_dir,
       "Where residents' own keys are kept (a RocksDB of its own, each key wrapped by the master "
       "key): never inside data_dir or storage.backup_root, so a data backup holds no key. Back "
       "it up on its own (docs/OPERATIONS.md \"Personal data at rest\"). Empty: <data_dir>-keys."},
      {"personal_data.master_key_file", &Config::master_key_file,
       "32 random bytes that wrap every resident's key; readable by zhiband's user only (mode "
       "0600, else zhiband refuses to start). Absent at the first start (no key store yet): "
       "zhiband creates it. Keep a copy apart from data and key backups. Empty: "
       "<key_dir>/master.key."},
      {"calendar.load_bundled", &Config::calendar_load_bundled,
       "On start, load the national calendars shipped with zhiband (data/holiday-cn) for years "
       "the data dir does not have."},
      {"rota.reminder_eve",
       &Config::rota_reminder_eve,
       "Local time (HH:MM) of the shift.reminder sent the evening before a shift.",
       {},
       CheckReminderEve},
      {"rota.reminder_before_minutes",
       &Config::rota_reminder_before_minutes,
       "The second shift.reminder, this many minutes before a shift starts.",
       {0, 24 * 60}},
      {"rota.checkin_grace_minutes",
       &Config::rota_checkin_grace_minutes,
       "A shift not checked in (rota checkin) this long after its start raises coverage.gap "
       "(no-show).",
       {0, 4 * 60}},
      {"rota.duty_period_gap_minutes",
       &Config::rota_duty_period_gap_minutes,
       "A person's shifts at one center with at most this long between them are one duty period: "
       "one check-in covers them, one reminder and at most one no-show go out for them.",
       {0, 12 * 60}},
      {"rota.publish_notice_days",
       &Config::rota_publish_notice_days,
       "rota publish warns when a month is published later than this many days before it starts.",
       {0, 60}},
      {"rota.timer_batch",
       &Config::rota_timer_batch,
       "Most timers fired in one scheduler tick (the rest follow on the next ticks).",
       {1, 1000000}},
      {"rota.max_backup_posts",
       &Config::rota_max_backup_posts,
       "The most shifts one person backs up (AB岗) at any one time, all at one center; planning "
       "never names a backup who is on duty or on leave then, and rota check reports one.",
       {1, 20}},
      {"visits.accept_minutes",
       &Config::visits_accept_minutes,
       "An assigned visit not accepted within this goes to the AB岗 backup, then the leader on "
       "duty.",
       {1, 24 * 60}},
      {"visits.urgent_accept_minutes",
       &Config::visits_urgent_accept_minutes,
       "The same for urgent visits.",
       {1, 24 * 60}},
      {"visits.start_margin_minutes",
       &Config::visits_start_margin_minutes,
       "A visit may be started (visit start) from this long before its window opens; earlier is "
       "refused.",
       {0, 24 * 60}},
      {"visits.follow_up_working_days",
       &Config::visits_follow_up_working_days,
       "A rating of 1-2 opens a follow-up visit due within this many working days.",
       {1, 30}},
      {"visits.care_days_high_risk",
       &Config::visits_care_days_high_risk,
       "Days between care visits (探访关爱) of HIGH_RISK residents.",
       {1, 366}},
      {"visits.care_days_key",
       &Config::visits_care_days_key,
       "Days between care visits of KEY residents.",
       {1, 366}},
      {"visits.care_days_general",
       &Config::visits_care_days_general,
       "Days between care visits of GENERAL residents.",
       {1, 366}},
      {"visits.care_ahead_days",
       &Config::visits_care_ahead_days,
       "Care-plan work orders are created this many days before their window opens.",
       {0, 30}},
      {"visits.major_change_hours",
       &Config::visits_major_change_hours,
       "A major change (resident change: hospital discharge, bereavement) makes a care visit due "
       "within this.",
       {1, 24 * 14}},
      {"visits.appointment_notice_working_days",
       &Config::visits_appointment_notice_working_days,
       "Appointments on weekends and holidays must be booked this many working days ahead (0: no "
       "notice).",
       {0, 30}},
      {"import.max_rows", &Config::import_max_rows, "Most rows in one import.", {1, 10000000}},
      {"import.max_session_mib",
       &Config::import_max_session_mib,
       "Memory the rows of one open import may hold, in MiB; a chunk beyond it is refused.",
       {1, 65536}},
      {"import.max_total_mib",
       &Config::import_max_total_mib,
       "Memory the rows of every open import together may hold, in MiB.",
       {1, 65536}},
      {"import.idle_seconds",
       &Config::import_idle_seconds,
       "An open import with no traffic for this long is dropped.",
       {10, 86400}},
      {"shutdown.deadline_ms",
       &Config::shutdown_deadline_ms,
       "After SIGTERM, exit hard if a clean shutdown takes longer than this.",
       {100, 600000}},
  };
  return keys;
}

void Flatten(const toml::table& t, const std::string& prefix,
             std::vector<std::pair<std::string, const toml::node*>>* out) {
  for (const auto& [k, v] : t) {
    std::string name = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const auto* sub = v.as_table()) {
      Flatten(*sub, name, out);
    } else {
      out->emplace_back(name, &v);
    }
  }
}

}  // namespace

Result<uint32_t> ParseLocalMinute(std::string_view hh_mm) {
  auto hour = ParseNumber<uint32_t>(hh_mm.substr(0, 2), "hour");
  auto minute = ParseNumber<uint32_t>(hh_mm.substr(hh_mm.size() < 3 ? hh_mm.size() : 3), "minute");
  if (hh_mm.size() != 5 || hh_mm[2] != ':' || !hour.ok() || !minute.ok() || *hour > 23 ||
      *minute > 59) {
    return Status::InvalidArgument("time", fmt::format("\"{}\" is not a time HH:MM", hh_mm));
  }
  return *hour * 60 + *minute;
}

Status ValidateConfig(const Config& config) {
  for (const auto& k : Keys()) {
    Status bad = std::visit(
        [&](auto member) -> Status {
          using T = std::remove_cvref_t<decltype(config.*member)>;
          if constexpr (std::is_same_v<T, int64_t>) {
            const int64_t v = config.*member;
            if (k.range.min <= k.range.max && (v < k.range.min || v > k.range.max)) {
              return Status::InvalidArgument(
                  k.name, fmt::format("{} is outside {}..{}", v, k.range.min, k.range.max));
            }
          } else if constexpr (std::is_same_v<T, std::string>) {
            if (k.check) return k.check(config.*member);
          }
          return {};
        },
        k.member);
    if (!bad.ok())
      return Status::InvalidArgument(k.name, fmt::format("{}: {}", k.name, bad.message()));
  }
  if (config.ctl_max_message_bytes < config.ctl_max_request_bytes) {
    return Status::InvalidArgument(
        "ctl.max_message_bytes",
        fmt::format("ctl.max_message_bytes: {} is smaller than ctl.max_request_bytes ({}): a "
                    "request it allows could never arrive",
                    config.ctl_max_message_bytes, config.ctl_max_request_bytes));
  }
  return {};
}

Status LoadConfigFile(const std::string& path, Config* config) {
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(
        "config", fmt::format("{}:{}:{}: {}", path, e.source().begin.line, e.source().begin.column,
                              e.description()));
  }
  std::vector<std::pair<std::string, const toml::node*>> entries;
  Flatten(doc, "", &entries);
  for (const auto& [name, node] : entries) {
    const auto line = node->source().begin.line;
    const ConfigKey* key = nullptr;
    for (const auto& k : Keys()) {
      if (name == k.name) key = &k;
    }
    if (!key) {
      return Status::InvalidArgument(
          name,
          fmt::format("{}:{}: unknown key \"{}\" (see zhiband --print-config)", path, line, name));
    }
    bool ok = std::visit(
        [&](auto member) {
          using T = std::remove_reference_t<decltype(config->*member)>;
          if constexpr (std::is_same_v<T, std::string>) {
            if (auto v = node->value<std::string>()) return (config->*member = *v, true);
          } else if constexpr (std::is_same_v<T, int64_t>) {
            if (node->is_integer()) return (config->*member = *node->value<int64_t>(), true);
          } else {
            if (node->is_boolean()) return (config->*member = *node->value<bool>(), true);
          }
          return false;
        },
        key->member);
    if (!ok) {
      const char* want = std::visit(
          [](auto member) {
            using T = std::remove_reference_t<decltype(Config{}.*member)>;
            if constexpr (std::is_same_v<T, std::string>)
              return "a string";
            else if constexpr (std::is_same_v<T, int64_t>)
              return "an integer";
            else
              return "true or false";
          },
          key->member);
      return Status::InvalidArgument(
          name, fmt::format("{}:{}: \"{}\" must be {}", path, line, name, want));
    }
  }
  return {};
}

std::string SampleConfig() {
  Config defaults;
  std::string out =
      "# zhiband configuration (TOML). Every key, with its default.\n"
      "# Generated by `zhiband --print-config`; flags override the file.\n";
  std::string section;
  for (const auto& k : Keys()) {
    std::string name = k.name;
    auto dot = name.find('.');
    std::string sec = dot == std::string::npos ? "" : name.substr(0, dot);
    std::string leaf = dot == std::string::npos ? name : name.substr(dot + 1);
    if (sec != section) {
      out += fmt::format("\n[{}]\n", sec);
      section = sec;
    } else {
      out += "\n";
    }
    out += fmt::format("# {}\n", k.help);
    if (k.range.min <= k.range.max) {
      out += fmt::format("# From {} to {}.\n", k.range.min, k.range.max);
    }
    std::visit(
        [&](auto member) {
          using T = std::remove_reference_t<decltype(defaults.*member)>;
          if constexpr (std::is_same_v<T, std::string>) {
            out += fmt::format("{} = \"{}\"\n", leaf, defaults.*member);
          } else if constexpr (std::is_same_v<T, bool>) {
            out += fmt::format("{} = {}\n", leaf, (defaults.*member) ? "true" : "false");
          } else {
            out += fmt::format("{} = {}\n", leaf, defaults.*member);
          }
        },
        k.member);
  }
  return out;
}

}  // namespace zhiban::app
