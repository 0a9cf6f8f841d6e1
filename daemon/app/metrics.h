// Prometheus text exposition of the daemon's counters (GET /metrics).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "daemon/core/core.h"
#include "daemon/net/http_server.h"
#include "daemon/net/replay_server.h"
#include "daemon/net/zap_handler.h"
#include "daemon/storage/store.h"

namespace zhiban::app {

struct MetricsSnapshot {
  const core::CoreMetrics& core;
  uint64_t last_seq;
  uint64_t published;
  uint64_t publish_failures;
  const net::ReplayCounters* replay;
  const storage::Store* store;
  size_t centers;
  size_t staff;
  size_t open_imports;
  size_t import_held_bytes = 0;  // every open import session's rows
  // Requests refused by a limit, by its config key (OPERATIONS.md "Limits").
  std::map<std::string, uint64_t> limit_refusals;
  std::vector<int> calendar_years;          // national calendars loaded
  int current_year = 0;                     // of the daemon clock, China Standard Time
  const net::ZapCounters* zap = nullptr;    // CURVE handshakes (security.curve)
  uint64_t http_handler_failures = 0;       // HTTP requests whose handler threw
  const net::HttpCounters* http = nullptr;  // connections (http.max_connections)
};

std::string RenderMetrics(const MetricsSnapshot& m);

}  // namespace zhiban::app
