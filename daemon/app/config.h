// zhiband configuration. Every key is declared once, in Keys() (config.cpp),
// with its type, help, and what values it takes (an integer's range, a
// string's form); the default is Config's member initializer. The TOML
// loader refuses unknown keys and wrong types, ValidateConfig refuses values
// out of range (after the flags, before anything starts), and `zhiband
// --print-config` prints a commented sample built from the same table
// (ops/zhiband.toml is that output).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/base/status.h"

namespace zhiban::app {

struct Config {
  std::string data_dir = "./var/zhiban";
  std::string ctl_endpoint = "tcp://127.0.0.1:7600";
  std::string pub_endpoint = "tcp://127.0.0.1:7601";
  std::string replay_endpoint = "tcp://127.0.0.1:7602";
  std::string http_listen = "127.0.0.1:7680";
  int64_t http_max_connections = 512;
  std::string clock = "real";
  bool ctl_local_admin = false;
  bool security_curve = true;
  bool storage_sync = true;
  std::string backup_root;          // "" = <data_dir>-backups
  std::string key_dir;              // "" = <data_dir>-keys (residents' keys, not in backups)
  std::string master_key_file;      // "" = <key_dir>/master.key (created at first start)
  bool accept_lost_events = false;  // flag only (--accept-lost-events): a one-time decision
  int64_t ctl_max_request_bytes = 4 << 20;
  int64_t ctl_max_message_bytes = 16 << 20;
  int64_t ctl_hwm = 100000;
  int64_t pub_hwm = 200000;
  int64_t replay_max_events = 10000;
  int64_t heartbeat_ms = 1000;
  int64_t import_max_rows = 1000000;
  int64_t import_idle_seconds = 600;
  int64_t import_max_session_mib = 128;
  int64_t import_max_total_mib = 256;
  int64_t shutdown_deadline_ms = 10000;
  bool calendar_load_bundled = true;
  std::string rota_reminder_eve = "20:00";
  int64_t rota_reminder_before_minutes = 60;
  int64_t rota_checkin_grace_minutes = 10;
  int64_t rota_duty_period_gap_minutes = 120;
  int64_t rota_publish_notice_days = 7;
  int64_t rota_timer_batch = 5000;
  int64_t rota_max_backup_posts = 1;
  int64_t visits_accept_minutes = 15;
  int64_t visits_urgent_accept_minutes = 5;
  int64_t visits_start_margin_minutes = 60;
  int64_t visits_follow_up_working_days = 5;
  int64_t visits_care_days_high_risk = 7;
  int64_t visits_care_days_key = 30;
  int64_t visits_care_days_general = 90;
  int64_t visits_care_ahead_days = 3;
  int64_t visits_major_change_hours = 24;
  int64_t visits_appointment_notice_working_days = 1;
  std::string log_level = "info";
};

// Reads a TOML file over the defaults. Errors name the key and line.
Status LoadConfigFile(const std::string& path, Config* config);

// A commented TOML document with every key at its default.
std::string SampleConfig();

// OK when every key's value is one it takes; else INVALID_ARGUMENT naming the
// key, the value and what it takes. zhiband refuses to start (exit 2) on one.
Status ValidateConfig(const Config& config);

// "HH:MM" as minutes after midnight (rota.reminder_eve), or why it is not one.
Result<uint32_t> ParseLocalMinute(std::string_view hh_mm);

}  // namespace zhiban::app
