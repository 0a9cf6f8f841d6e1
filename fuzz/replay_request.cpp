// The replay socket's decoder (net::ParseReplayRequest): any bytes in, a
// bounded ask or an error whose message is valid UTF-8 out. Asserts the
// bounds the scan relies on: from_seq >= 1, 1 <= limit <= max_events.
#include <cstdint>
#include <string_view>

#include "daemon/net/replay_server.h"
#include "fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  zhiban::net::ReplayServerOptions options;
  options.max_events = 1000;
  options.max_request_bytes = 4096;
  auto ask = zhiban::net::ParseReplayRequest(bytes, options);
  if (!ask.ok()) {
    zhiban::fuzz::ExpectUtf8(ask.status().message(), "the error");
    return 0;
  }
  if (ask->from_seq < 1 || ask->limit < 1 || ask->limit > options.max_events) __builtin_trap();
  for (const auto& p : ask->topic_prefixes) zhiban::fuzz::ExpectUtf8(p, "a topic prefix");
  return 0;
}
