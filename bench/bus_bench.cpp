// zhiban-bench bus: the event path, measured against raw ZeroMQ in the same
// run, on the same bytes and the same transport (TCP loopback).
//
//   bus/raw_zmq            PUB -> SUB, 1M events of the size zhiband emits
//   bus/zhiband_pipelined  single-event ctl commands from 4 DEALER clients,
//                          64 in flight each, until a SUB has every event
//   bus/zhiband_bulk       one import commit producing 100k events, until a
//                          SUB has them all (synced, one batch)
//   bus/zhiband_latency    ctl command -> event on SUB at a steady 10k/s
//
// zhiband runs as the real binary (next to zhiban-bench) with its default,
// synced durability.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "bench/bench.h"
#include "clients/lib/ctl_client.h"
#include "clients/lib/subscriber.h"
#include "daemon/base/wire.h"
#include "daemon/net/curve.h"
#include "tests/support/process.h"
#include "zhiban/v1/ctl.pb.h"
#include "zhiban/v1/events.pb.h"

namespace zhiban::bench::bus {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

}  // namespace

namespace {

v1::Staff SampleStaff(const std::string& id) {
  v1::Staff s;
  s.set_id(id);
  s.set_name("张伟");
  s.set_center_id("bench-center");
  s.set_phone("13800000001");
  s.set_wecom_user_id("zhangwei");
  s.add_roles(v1::WORKER);
  s.add_skills("social-security");
  s.add_skills("medical");
  return s;
}

}  // namespace

// An event as zhiband would publish it for SampleStaff (same size and shape).
std::string SampleEventBytes() {
  v1::Event e;
  e.set_seq(123456);
  e.set_id("a1b2c3d4-123456");
  e.mutable_time()->set_seconds(1767571200);
  e.set_topic("staff.added");
  e.set_center_id("bench-center");
  e.set_actor("operator@host");
  *e.mutable_staff_added()->mutable_staff() = SampleStaff("bench-r0-000123");
  return e.SerializeAsString();
}

namespace {

// Counts events on a SUB socket; tells when `want` events past `after_seq` arrived.
class Counter {
 public:
  Counter(zmq::context_t& ctx, const std::string& pub, uint64_t after_seq, uint64_t want,
          const net::CurveClient& curve = {})
      : sub_(ctx, zmq::socket_type::sub), after_(after_seq), want_(want) {
    if (curve.enabled()) net::MakeCurveClient(sub_, curve);
    sub_.set(zmq::sockopt::rcvhwm, 2000000);
    sub_.set(zmq::sockopt::subscribe, "");
    sub_.set(zmq::sockopt::rcvtimeo, 100);
    sub_.connect(pub);
    // Subscribed for real once the first heartbeat (1 s) arrives.
    for (auto deadline = Clock::now() + 5s; Clock::now() < deadline;) {
      std::vector<zmq::message_t> f;
      if (zmq::recv_multipart(sub_, std::back_inserter(f)) && f[0].to_string() == "bus.heartbeat")
        break;
    }
    thread_ = std::thread([this] { Loop(); });
  }
  ~Counter() {
    stop_ = true;
    thread_.join();
  }
  // Waits (bounded) for every event; returns when the last arrived.
  Clock::time_point Wait() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 120s, [&] { return done_; });
    return last_;
  }
  uint64_t got() const { return got_; }
  std::function<void(const v1::Event&, Clock::time_point)> on_event;

 private:
  void Loop() {
    while (!stop_) {
      std::vector<zmq::message_t> f;
      if (!zmq::recv_multipart(sub_, std::back_inserter(f))) continue;
      auto now = Clock::now();
      if (f.size() < 2 || f[0].to_string() == "bus.heartbeat") continue;
      uint64_t n = 1;
      if (on_event) {
        std::vector<v1::Event> events;
        (void)client::AppendBusEvents(f, events);
        n = 0;
        for (const v1::Event& ev : events) {
          if (ev.seq() <= after_) continue;
          on_event(ev, now);
          ++n;
        }
      } else if (f.size() == 3) {
        // A run: its events counted without decoding them (a field-1 tag and
        // a length each), as a single event's frame is not decoded either.
        const std::string_view run(static_cast<const char*>(f[2].data()), f[2].size());
        n = 0;
        for (size_t pos = 0; pos < run.size(); ++n) {
          uint64_t tag = 0, len = 0;
          if (!wire::ReadVarint(run, &pos, &tag) || !wire::ReadVarint(run, &pos, &len)) break;
          pos += len;
        }
      }
      const uint64_t before = got_.fetch_add(n);
      if (before < want_ && before + n >= want_) {
        std::lock_guard lock(mu_);
        last_ = now;
        done_ = true;
        cv_.notify_all();
      }
    }
  }
  zmq::socket_t sub_;
  uint64_t after_, want_;
  std::atomic<uint64_t> got_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  Clock::time_point last_;
  std::thread thread_;
};

// One zhiband for the whole run (tcp loopback, synced), stopped by
// StopBenchDaemon() before zhiban-bench exits.
std::unique_ptr<test::DaemonFixture>& DaemonSlot() {
  static std::unique_ptr<test::DaemonFixture> d;
  return d;
}

// The center every case's staff belong to.
void AddBenchCenter(test::DaemonFixture& d) {
  v1::CtlRequest req;
  auto* c = req.mutable_center_add()->mutable_center();
  c->set_id("bench-center");
  c->set_name("基准测试中心");
  (void)d.client().Call(req);
}

test::DaemonFixture& Daemon() {
  auto& d = DaemonSlot();
  if (!d) {
    // zhiband is built next to zhiban-bench.
    setenv("ZHIBAN_BIN_DIR", std::filesystem::read_symlink("/proc/self/exe").parent_path().c_str(),
           0);
    d = std::make_unique<test::DaemonFixture>(std::vector<std::string>{"--log-level", "warn"},
                                              test::Transport::kTcp);
    d->Start();
    AddBenchCenter(*d);
  }
  return *d;
}

// A second zhiband with CURVE on its TCP endpoints (security.curve, the
// default), and a key for the benchmark's clients: the same cases, encrypted.
std::unique_ptr<test::DaemonFixture>& CurveDaemonSlot() {
  static std::unique_ptr<test::DaemonFixture> d;
  return d;
}
net::CurveClient g_curve;

test::DaemonFixture& CurveDaemon() {
  auto& d = CurveDaemonSlot();
  if (!d) {
    Daemon();  // sets ZHIBAN_BIN_DIR
    d = std::make_unique<test::DaemonFixture>(std::vector<std::string>{"--log-level", "warn"},
                                              test::Transport::kCurve);
    d->Start();
    auto keys = net::NewCurveKeys();
    v1::CtlRequest add;
    auto* k = add.mutable_key_add()->mutable_key();
    k->set_name("bench");
    k->set_public_key(keys->public_key);
    k->add_grants()->set_role(v1::ACCESS_OPERATOR);
    (void)d->client().Call(add);
    g_curve = net::CurveClient{d->server_key(), *keys};
    AddBenchCenter(*d);
  }
  return *d;
}

test::DaemonFixture& DaemonFor(bool curve) { return curve ? CurveDaemon() : Daemon(); }

uint64_t LastSeq(bool curve = false) {
  v1::CtlRequest req;
  req.mutable_status();
  auto r = DaemonFor(curve).client().Call(req);
  return r.ok() ? r->status().last_seq() : 0;
}

int g_rep = 0;  // makes ids unique across repetitions

void RawZmq(benchmark::State& state) {
  const uint64_t n = 1'000'000;
  const std::string topic = "staff.added", body = SampleEventBytes();
  for (auto _ : state) {
    zmq::context_t ctx(1);
    zmq::socket_t pub(ctx, zmq::socket_type::pub);
    pub.set(zmq::sockopt::sndhwm, 200000);  // as zhiband's bus.pub_hwm
    std::string ep = fmt::format("tcp://127.0.0.1:{}", test::FreeTcpPort());
    pub.bind(ep);
    zmq::socket_t sub(ctx, zmq::socket_type::sub);
    sub.set(zmq::sockopt::rcvhwm, 2000000);
    sub.set(zmq::sockopt::subscribe, "");
    sub.set(zmq::sockopt::rcvtimeo, 200);
    sub.connect(ep);
    for (;;) {  // until the subscription is live
      pub.send(zmq::str_buffer("hello"), zmq::send_flags::none);
      zmq::message_t m;
      if (sub.recv(m)) break;
    }
    std::atomic<uint64_t> got{0};
    Clock::time_point last;
    std::thread rx([&] {
      for (;;) {
        std::vector<zmq::message_t> f;
        if (!zmq::recv_multipart(sub, std::back_inserter(f))) break;  // 200 ms quiet: done
        if (f.size() == 2) {
          ++got;
          last = Clock::now();
        }
      }
    });
    auto t0 = Clock::now();
    for (uint64_t i = 0; i < n; ++i) {
      pub.send(zmq::buffer(topic), zmq::send_flags::sndmore);
      pub.send(zmq::buffer(body), zmq::send_flags::none);
    }
    rx.join();
    double secs = std::chrono::duration<double>(last - t0).count();
    state.SetIterationTime(secs);
    state.counters["events_per_s"] = got / secs;
    state.counters["delivered_pct"] = 100.0 * got / n;
    state.counters["event_bytes"] = static_cast<double>(body.size());
    Record("raw_zmq", got / secs);
    Record("raw_zmq_delivered_pct", 100.0 * got / n);
  }
}

void PipelinedOn(benchmark::State& state, bool curve) {
  constexpr int kClients = 4, kWindow = 64;
  constexpr uint64_t kTotal = 40000;
  auto& d = DaemonFor(curve);
  const net::CurveClient keys = curve ? g_curve : net::CurveClient{};
  const std::string ctl = curve ? d.curve_ctl() : d.ctl();
  for (auto _ : state) {
    const int rep = ++g_rep;
    zmq::context_t ctx(1);
    Counter counter(ctx, d.pub(), LastSeq(curve), kTotal, keys);
    std::atomic<bool> go{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        zmq::socket_t s(ctx, zmq::socket_type::dealer);
        s.set(zmq::sockopt::linger, 0);
        if (keys.enabled()) net::MakeCurveClient(s, keys);
        s.connect(ctl);
        while (!go) std::this_thread::yield();
        const uint64_t mine = kTotal / kClients;
        uint64_t sent = 0, acked = 0;
        auto send_one = [&] {
          v1::CtlRequest req;
          req.set_request_id(std::to_string(sent));
          *req.mutable_staff_add()->mutable_staff() =
              SampleStaff(fmt::format("p{}-{}-{}", rep, c, sent));
          s.send(zmq::message_t(), zmq::send_flags::sndmore);
          s.send(zmq::buffer(req.SerializeAsString()), zmq::send_flags::none);
          ++sent;
        };
        while (sent < mine && sent < static_cast<uint64_t>(kWindow)) send_one();
        while (acked < mine) {
          std::vector<zmq::message_t> f;
          (void)zmq::recv_multipart(s, std::back_inserter(f));
          ++acked;
          if (sent < mine) send_one();
        }
      });
    }
    auto t0 = Clock::now();
    go = true;
    for (auto& t : clients) t.join();
    auto last = counter.Wait();
    double secs = std::chrono::duration<double>(last - t0).count();
    state.SetIterationTime(secs);
    state.counters["events_per_s"] = kTotal / secs;
    Record(curve ? "zhiband_pipelined_curve" : "zhiband_pipelined", kTotal / secs);
  }
}

void BulkOn(benchmark::State& state, bool curve) {
  constexpr uint64_t kRows = 100000;
  auto& d = DaemonFor(curve);
  const net::CurveClient keys = curve ? g_curve : net::CurveClient{};
  client::CtlClient tcp(d.zmq(), curve ? d.curve_ctl() : d.ctl(), std::chrono::seconds(60), keys);
  for (auto _ : state) {
    const int rep = ++g_rep;
    v1::CtlRequest begin;
    begin.mutable_import_begin()->set_kind(v1::STAFF);
    auto opened = d.client().Call(begin);
    if (!opened.ok() || opened->has_error()) {
      state.SkipWithError("import_begin failed");
      return;
    }
    const std::string id = opened->import().import_id();
    for (uint64_t i = 0; i < kRows;) {
      v1::CtlRequest rows;
      rows.mutable_import_rows()->set_import_id(id);
      for (int k = 0; k < 5000 && i < kRows; ++k, ++i) {
        *rows.mutable_import_rows()->add_staff() = SampleStaff(fmt::format("b{}-{:06}", rep, i));
      }
      (void)d.client().Call(rows);
    }
    zmq::context_t ctx(1);
    Counter counter(ctx, d.pub(), LastSeq(curve), kRows, keys);
    v1::CtlRequest commit;
    commit.mutable_import_commit()->set_import_id(id);
    auto t0 = Clock::now();
    auto r = tcp.Call(commit);
    auto acked = Clock::now();
    if (!r.ok() || r->has_error()) {
      state.SkipWithError("import_commit failed");
      return;
    }
    auto last = counter.Wait();
    double secs = std::chrono::duration<double>(last - t0).count();
    state.SetIterationTime(secs);
    state.counters["events_per_s"] = kRows / secs;
    const double ack_secs = std::chrono::duration<double>(acked - t0).count();
    state.counters["commit_ms"] = ack_secs * 1000;
    Record(curve ? "zhiband_bulk_curve" : "zhiband_bulk", kRows / secs);
    if (!curve) Record("zhiband_bulk_acked", kRows / ack_secs);
  }
}

void Pipelined(benchmark::State& state) { PipelinedOn(state, false); }
void PipelinedCurve(benchmark::State& state) { PipelinedOn(state, true); }
void Bulk(benchmark::State& state) { BulkOn(state, false); }
void BulkCurve(benchmark::State& state) { BulkOn(state, true); }

void Latency(benchmark::State& state) {
  constexpr int kRate = 10000;
  constexpr int kCount = 20000;  // 2 s at 10k/s
  auto& d = Daemon();
  for (auto _ : state) {
    const int rep = ++g_rep;
    const std::string prefix = fmt::format("l{}-", rep);
    std::vector<Clock::time_point> sent(kCount), got(kCount);
    zmq::context_t ctx(1);
    Counter counter(ctx, d.pub(), LastSeq(), kCount);
    counter.on_event = [&](const v1::Event& e, Clock::time_point t) {
      const auto& sid = e.staff_added().staff().id();
      if (sid.starts_with(prefix)) got[std::stoul(sid.substr(prefix.size()))] = t;
    };
    zmq::socket_t s(ctx, zmq::socket_type::dealer);
    s.set(zmq::sockopt::linger, 0);
    s.connect(d.ctl());
    auto t0 = Clock::now();
    int replies = 0;
    for (int i = 0; i < kCount; ++i) {
      std::this_thread::sleep_until(t0 + std::chrono::microseconds(1000000LL * i / kRate));
      v1::CtlRequest req;
      *req.mutable_staff_add()->mutable_staff() = SampleStaff(prefix + std::to_string(i));
      sent[i] = Clock::now();
      s.send(zmq::message_t(), zmq::send_flags::sndmore);
      s.send(zmq::buffer(req.SerializeAsString()), zmq::send_flags::none);
      for (std::vector<zmq::message_t> f;
           zmq::recv_multipart(s, std::back_inserter(f), zmq::recv_flags::dontwait); f.clear())
        ++replies;
    }
    counter.Wait();
    std::vector<double> us;
    for (int i = 0; i < kCount; ++i) {
      if (got[i] != Clock::time_point{})
        us.push_back(std::chrono::duration<double, std::micro>(got[i] - sent[i]).count());
    }
    std::sort(us.begin(), us.end());
    double p50 = us.empty() ? 0 : us[us.size() / 2];
    double p99 = us.empty() ? 0 : us[us.size() * 99 / 100];
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - t0).count());
    state.counters["p50_us"] = p50;
    state.counters["p99_us"] = p99;
    Record("latency_p50_us", p50);
    Record("latency_p99_us", p99);
  }
}

}  // namespace

void StopBenchDaemon() {
  if (auto& d = DaemonSlot()) {
    const int rc = d->Stop();
    if (rc != 0) std::fprintf(stderr, "zhiban-bench: zhiband exited %d\n", rc);
    d.reset();  // removes its temp data dir
  }
  if (auto& d = CurveDaemonSlot()) {
    const int rc = d->Stop();
    if (rc != 0) std::fprintf(stderr, "zhiban-bench: zhiband (CURVE) exited %d\n", rc);
    d.reset();
  }
}

void PrintBusSummary() {
  auto& f = Figures();
  if (!f.count("raw_zmq") && !f.count("zhiband_bulk") && !f.count("latency_p50_us")) return;
  const double base = f.count("raw_zmq") ? Median(f["raw_zmq"]) : 0.0;
  std::printf("\nzhiban-bench bus — medians of %d repetition(s), same run, TCP loopback, synced\n",
              Reps());
  std::printf("%-52s %14s %10s\n", "case", "events/s", "vs raw");
  auto row = [&](const char* name, const char* key) {
    if (!f.count(key)) return;
    double m = Median(f[key]);
    if (base > 0) {
      std::printf("%-52s %14.0f %9.3fx\n", name, m, m / base);
    } else {
      std::printf("%-52s %14.0f %10s\n", name, m, "(no base)");
    }
  };
  row("raw ZeroMQ PUB->SUB (baseline)", "raw_zmq");
  row("zhiband: single-event ctl commands, 4x64 in flight", "zhiband_pipelined");
  row("zhiband: one bulk import commit, 100k events, delivered", "zhiband_bulk");
  row("zhiband: the same, acknowledged (like the peers below)", "zhiband_bulk_acked");
  row("zhiband under CURVE: single-event ctl commands, 4x64", "zhiband_pipelined_curve");
  row("zhiband under CURVE: one bulk import commit, delivered", "zhiband_bulk_curve");
  row("Redis Streams: XADD pipelined, appendfsync everysec", "redis_streams");
  row("Redis Streams: XADD pipelined, appendfsync always", "redis_streams_always");
  row("NATS JetStream: async publish, file storage", "nats_jetstream");
  if (f.count("raw_zmq_delivered_pct")) {
    std::printf(
        "raw ZeroMQ delivered %.1f%% of events at its HWM (zhiband's subscribers replay drops)\n",
        Median(f["raw_zmq_delivered_pct"]));
  }
  if (f.count("zhiband_bulk_curve") && f.count("zhiband_bulk")) {
    std::printf("CURVE / plain, medians: bulk %.3f (target >= 0.75), pipelined %.3f\n",
                Median(f["zhiband_bulk_curve"]) / Median(f["zhiband_bulk"]),
                f.count("zhiband_pipelined_curve") && f.count("zhiband_pipelined")
                    ? Median(f["zhiband_pipelined_curve"]) / Median(f["zhiband_pipelined"])
                    : 0.0);
  }
  if (f.count("latency_p50_us")) {
    std::printf(
        "zhiband end-to-end (ctl send -> event on SUB) at a steady 10k events/s: "
        "p50 %.0f us, p99 %.0f us\n",
        Median(f["latency_p50_us"]), Median(f["latency_p99_us"]));
  }
}

BENCHMARK(RawZmq)
    ->Name("bus/raw_zmq")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(Pipelined)
    ->Name("bus/zhiband_pipelined")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(Bulk)
    ->Name("bus/zhiband_bulk")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(PipelinedCurve)
    ->Name("bus/zhiband_pipelined_curve")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BulkCurve)
    ->Name("bus/zhiband_bulk_curve")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(Latency)
    ->Name("bus/zhiband_latency")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace zhiban::bench::bus
