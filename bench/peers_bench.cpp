// zhiban-bench bus, the peers a user might pick instead of zhiband's bus:
//
//   bus/redis_streams   XADD pipelined (1000 in flight), appendonly with
//                       appendfsync everysec, acknowledged by Redis
//   bus/redis_streams_fsync_always   the same, synced before each reply
//                       batch (the durability zhiband acknowledges with)
//   bus/nats_jetstream  js_PublishAsync to a file-storage stream (4096 in
//                       flight), acknowledged by JetStream
//
// Same event bytes as bus/raw_zmq, TCP loopback, servers started by the
// benchmark on free ports. Both acknowledge before fsync (Redis syncs once a
// second, JetStream every 2 minutes by default); zhiband acknowledges after it.
// Compiled in when the optional hiredis / nats dependencies are enabled
// (ZHIBAN_WITH_HIREDIS / ZHIBAN_WITH_NATS, cmake/ZhibanOptional.cmake); run when
// redis-server / nats-server are installed (both: ops/install-deps.sh --optional).
// A peer that is not compiled in still shows up, skipped with the reason.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "bench/bench.h"
#include "tests/support/process.h"
#include "zhiban/v1/events.pb.h"

#ifdef ZHIBAN_HAVE_HIREDIS
#include <hiredis/hiredis.h>
#endif
#ifdef ZHIBAN_HAVE_NATS
#include <nats/nats.h>
#endif

namespace zhiban::bench::peers {

using bus::SampleEventBytes;

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kMessages = 200000;

#if defined(ZHIBAN_HAVE_HIREDIS) || defined(ZHIBAN_HAVE_NATS)
std::string FindServer(const std::string& name) {
  for (const char* dir : {"/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"}) {
    std::string p = std::string(dir) + "/" + name;
    if (std::filesystem::exists(p)) return p;
  }
  return {};
}
#endif

#if !defined(ZHIBAN_HAVE_HIREDIS) || !defined(ZHIBAN_HAVE_NATS)
void NotBuilt(benchmark::State& state, const char* why) { state.SkipWithError(why); }
#endif

#ifdef ZHIBAN_HAVE_HIREDIS
// fsync: "everysec" (the usual setting) or "always" (synced before the
// reply, batched per event-loop pass: the durability zhiband gives).
void RedisStreams(benchmark::State& state, const char* fsync, const char* figure) {
  const std::string server = FindServer("redis-server");
  if (server.empty()) {
    state.SkipWithError("redis-server not installed (ops/install-deps.sh --optional)");
    return;
  }
  test::TempDir dir;
  const int port = test::FreeTcpPort();
  test::Process redis(
      {server, "--port", std::to_string(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
       "yes", "--appendfsync", fsync, "--dir", dir.path().string(), "--daemonize", "no"},
      dir / "redis.log");
  redisContext* c = nullptr;
  for (auto deadline = Clock::now() + std::chrono::seconds(10); Clock::now() < deadline;) {
    c = redisConnect("127.0.0.1", port);
    if (c && !c->err) break;
    if (c) redisFree(c);
    c = nullptr;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // server start-up, not a result
  }
  if (!c) {
    state.SkipWithError("redis-server did not start");
    return;
  }
  const std::string body = SampleEventBytes();
  for (auto _ : state) {
    auto t0 = Clock::now();
    constexpr int kWindow = 1000;
    for (int sent = 0; sent < kMessages;) {
      int batch = std::min(kWindow, kMessages - sent);
      for (int i = 0; i < batch; ++i) {
        redisAppendCommand(c, "XADD events * e %b", body.data(), body.size());
      }
      for (int i = 0; i < batch; ++i) {
        void* reply = nullptr;
        if (redisGetReply(c, &reply) != REDIS_OK) {
          state.SkipWithError("XADD failed");
          redisFree(c);
          return;
        }
        freeReplyObject(reply);
      }
      sent += batch;
    }
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    state.SetIterationTime(secs);
    state.counters["events_per_s"] = kMessages / secs;
    Record(figure, kMessages / secs);
  }
  redisFree(c);
  redis.Signal(SIGTERM);
  redis.Wait();
}
BENCHMARK_CAPTURE(RedisStreams, everysec, "everysec", "redis_streams")
    ->Name("bus/redis_streams")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(RedisStreams, always, "always", "redis_streams_always")
    ->Name("bus/redis_streams_fsync_always")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
#else
BENCHMARK_CAPTURE(NotBuilt, redis,
                  "built without hiredis: ops/install-deps.sh --optional, then reconfigure")
    ->Name("bus/redis_streams")
    ->Iterations(1);
#endif

#ifdef ZHIBAN_HAVE_NATS
void NatsJetStream(benchmark::State& state) {
  const std::string server = FindServer("nats-server");
  if (server.empty()) {
    state.SkipWithError("nats-server not installed (ops/install-deps.sh --optional)");
    return;
  }
  test::TempDir dir;
  const int port = test::FreeTcpPort();
  test::Process nats(
      {server, "-js", "-a", "127.0.0.1", "-p", std::to_string(port), "-sd", (dir / "js")},
      dir / "nats.log");
  const std::string url = fmt::format("nats://127.0.0.1:{}", port);
  natsConnection* nc = nullptr;
  for (auto deadline = Clock::now() + std::chrono::seconds(10); Clock::now() < deadline;) {
    if (natsConnection_ConnectTo(&nc, url.c_str()) == NATS_OK) break;
    nc = nullptr;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // server start-up, not a result
  }
  if (!nc) {
    state.SkipWithError("nats-server did not start");
    return;
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = 4096;
  jsCtx* js = nullptr;
  natsConnection_JetStream(&js, nc, &jo);
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = "EVENTS";
  const char* subjects[] = {"events.>"};
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (js_AddStream(&si, js, &cfg, nullptr, &jerr) != NATS_OK) {
    state.SkipWithError("cannot create the JetStream stream");
  } else {
    jsStreamInfo_Destroy(si);
    const std::string body = SampleEventBytes();
    for (auto _ : state) {
      auto t0 = Clock::now();
      for (int i = 0; i < kMessages; ++i) {
        js_PublishAsync(js, "events.staff.added", body.data(), static_cast<int>(body.size()),
                        nullptr);
      }
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MaxWait = 60000;
      if (js_PublishAsyncComplete(js, &po) != NATS_OK) {
        state.SkipWithError("JetStream did not acknowledge every message");
        break;
      }
      double secs = std::chrono::duration<double>(Clock::now() - t0).count();
      state.SetIterationTime(secs);
      state.counters["events_per_s"] = kMessages / secs;
      Record("nats_jetstream", kMessages / secs);
    }
  }
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  nats.Signal(SIGTERM);
  nats.Wait();
}
BENCHMARK(NatsJetStream)
    ->Name("bus/nats_jetstream")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
#else
BENCHMARK_CAPTURE(NotBuilt, nats,
                  "built without libnats: ops/install-deps.sh --optional, then reconfigure")
    ->Name("bus/nats_jetstream")
    ->Iterations(1);
#endif

}  // namespace
}  // namespace zhiban::bench::peers
