#include "daemon/app/metrics.h"

#include <fmt/format.h>

namespace zhiban::app {
namespace {

void Metric(std::string& out, const char* name, const char* type, const char* help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

std::string RenderMetrics(const MetricsSnapshot& m) {
  std::string out;
  Metric(out, "zhiban_commands_total", "counter", "ctl commands by command and result.");
  for (const auto& [key, n] : m.core.commands) {
    out += fmt::format("zhiban_commands_total{{command=\"{}\",result=\"{}\"}} {}\n", key.first,
                       key.second, n);
  }
  Metric(out, "zhiban_commit_groups_total", "counter", "Group commits written to RocksDB.");
  out += fmt::format("zhiban_commit_groups_total {}\n", m.core.groups_committed);
  Metric(out, "zhiban_commit_failures_total", "counter", "Group commits RocksDB refused.");
  out += fmt::format("zhiban_commit_failures_total {}\n", m.core.commit_failures);
  Metric(out, "zhiban_store_reopens_total", "counter",
         "Times RocksDB was opened again after an error it holds as fatal (descriptors ran out).");
  out += fmt::format("zhiban_store_reopens_total {}\n", m.store->reopens());
  Metric(out, "zhiban_rota_timer_events_total", "counter",
         "Events raised by rota timers (shift.reminder, shift.handoff, no-show coverage.gap).");
  out += fmt::format("zhiban_rota_timer_events_total {}\n", m.core.timers_fired);
  Metric(out, "zhiban_long_recomputed_total", "counter",
         "Long work (rota generate) computed again: what it read changed meanwhile.");
  out += fmt::format("zhiban_long_recomputed_total {}\n", m.core.long_recomputed);
  Metric(out, "zhiban_events_committed_total", "counter", "Events made durable.");
  out += fmt::format("zhiban_events_committed_total {}\n", m.core.events_committed);
  Metric(out, "zhiban_events_published_total", "counter", "Events handed to the PUB socket.");
  out += fmt::format("zhiban_events_published_total {}\n", m.published);
  Metric(out, "zhiban_publish_failures_total", "counter", "PUB sends that failed.");
  out += fmt::format("zhiban_publish_failures_total {}\n", m.publish_failures);
  Metric(out, "zhiban_last_event_seq", "gauge", "Newest durable event seq.");
  out += fmt::format("zhiban_last_event_seq {}\n", m.last_seq);
  Metric(out, "zhiban_replay_requests_total", "counter", "ReplayRequests received.");
  out += fmt::format("zhiban_replay_requests_total {}\n", m.replay->requests.load());
  Metric(out, "zhiban_replay_events_total", "counter", "Events sent by replay.");
  out += fmt::format("zhiban_replay_events_total {}\n", m.replay->events_sent.load());
  Metric(out, "zhiban_replay_in_progress", "gauge",
         "Replays being answered (at most 256, a turn of events each) or waiting for a place "
         "(at most 4096; 4 a peer in all).");
  out += fmt::format("zhiban_replay_in_progress {}\n", m.replay->in_progress.load());
  Metric(out, "zhiban_replay_bad_requests_total", "counter",
         "Replay requests refused as malformed.");
  out += fmt::format("zhiban_replay_bad_requests_total {}\n", m.replay->bad_requests.load());
  Metric(out, "zhiban_replay_abandoned_total", "counter",
         "Replay answers abandoned (peer gone or its queue full).");
  out += fmt::format("zhiban_replay_abandoned_total {}\n", m.replay->abandoned.load());
  Metric(out, "zhiban_http_handler_failures_total", "counter",
         "HTTP requests answered 500 because their handler failed (logged).");
  out += fmt::format("zhiban_http_handler_failures_total {}\n", m.http_handler_failures);
  if (m.zap) {
    Metric(out, "zhiban_curve_handshakes_total", "counter",
           "CURVE handshakes on ctl, pub and replay, by what the ZAP handler answered.");
    out += fmt::format("zhiban_curve_handshakes_total{{result=\"accepted\"}} {}\n",
                       m.zap->accepted.load());
    out += fmt::format("zhiban_curve_handshakes_total{{result=\"refused\"}} {}\n",
                       m.zap->refused.load());
  }
  Metric(out, "zhiban_imports_open", "gauge", "Open import sessions.");
  out += fmt::format("zhiban_imports_open {}\n", m.open_imports);
  if (m.http) {
    Metric(out, "zhiban_http_connections_open", "gauge",
           "HTTP connections open (at most zhiban_http_connections_max).");
    out += fmt::format("zhiban_http_connections_open {}\n", m.http->open);
    Metric(out, "zhiban_http_connections_max", "gauge",
           "The HTTP connection cap in force (http.max_connections, lowered to the descriptor "
           "limit less the reserve).");
    out += fmt::format("zhiban_http_connections_max {}\n", m.http->max_connections);
    Metric(out, "zhiban_http_idle_closed_total", "counter",
           "Idle HTTP connections closed to make room at the cap.");
    out += fmt::format("zhiban_http_idle_closed_total {}\n", m.http->idle_closed);
    Metric(out, "zhiban_http_accept_errors_total", "counter",
           "Failed accepts (descriptors exhausted), each followed by a 100 ms pause.");
    out += fmt::format("zhiban_http_accept_errors_total {}\n", m.http->accept_errors);
  }
  Metric(out, "zhiban_import_held_bytes", "gauge",
         "Memory the rows of every open import session hold (import.max_total_mib).");
  out += fmt::format("zhiban_import_held_bytes {}\n", m.import_held_bytes);
  Metric(out, "zhiban_limit_refusals_total", "counter",
         "Requests refused by a limit, by its config key (docs/OPERATIONS.md, Limits).");
  for (const auto& [limit, n] : m.limit_refusals)
    out += fmt::format("zhiban_limit_refusals_total{{limit=\"{}\"}} {}\n", limit, n);
  Metric(out, "zhiban_records", "gauge", "Records held, by kind.");
  out += fmt::format("zhiban_records{{kind=\"centers\"}} {}\n", m.centers);
  out += fmt::format("zhiban_records{{kind=\"staff\"}} {}\n", m.staff);
  Metric(out, "zhiban_calendar_year_loaded", "gauge",
         "National calendars (State Council notices) loaded, by year.");
  bool this_year = false, next_year = false;
  for (int y : m.calendar_years) {
    out += fmt::format("zhiban_calendar_year_loaded{{year=\"{}\"}} 1\n", y);
    this_year = this_year || y == m.current_year;
    next_year = next_year || y == m.current_year + 1;
  }
  Metric(out, "zhiban_calendar_current_year_loaded", "gauge",
         "1 when this year's national calendar is loaded (0: day types are unknown).");
  out += fmt::format("zhiban_calendar_current_year_loaded {}\n", this_year ? 1 : 0);
  Metric(out, "zhiban_calendar_next_year_loaded", "gauge",
         "1 when next year's national calendar is loaded (alert in December when 0).");
  out += fmt::format("zhiban_calendar_next_year_loaded {}\n", next_year ? 1 : 0);
  Metric(out, "zhiban_rocksdb_live_bytes", "gauge",
         "RocksDB SST files plus memtables, by column family.");
  for (int i = 0; i < static_cast<int>(storage::Family::kCount); ++i) {
    auto f = static_cast<storage::Family>(i);
    out += fmt::format("zhiban_rocksdb_live_bytes{{cf=\"{}\"}} {}\n", storage::FamilyName(f),
                       m.store->LiveBytes(f));
  }
  return out;
}

}  // namespace zhiban::app
