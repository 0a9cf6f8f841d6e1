// zhiban-bench notify: deliveries per second from the bus through the plugin
// SDK, against a bare subscriber measured in the same run.
//
//   notify/bare_subscriber   baseline: clients/lib Subscriber over N staff.added
//                            events (replay, nothing persisted)
//   notify/sdk_noop          the SDK Runner, a notifier that accepts at once:
//                            what the SDK itself costs (rendering, in-flight
//                            mark, sent record, cursor; each synced)
//   notify/sdk_tencent       zhiban-notify-sms's Tencent provider through
//                            libcurl to the local provider server
//                            (tests/providers/fake_providers.py, verifying
//                            every TC3 signature)
// Figures: events/s each; the SDK's added latency per event (µs) = its time
// per event minus the bare subscriber's.
#include <filesystem>
#include <fstream>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <toml++/toml.h>
#include <zmq.hpp>

#include "bench/bench.h"
#include "clients/lib/subscriber.h"
#include "plugins/sdk/runner.h"
#include "plugins/sms/sms.h"
#include "tests/support/providers.h"

namespace zhiban::bench::notify {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kEvents = 2000;

// One zhiband with kEvents staff.added events, and the local provider server.
struct World {
  test::TempDir dir;
  std::unique_ptr<test::DaemonFixture> daemon;
  std::unique_ptr<test::FakeProviders> fake;
  uint64_t last = 0;
  World() {
    setenv("ZHIBAN_BIN_DIR", std::filesystem::read_symlink("/proc/self/exe").parent_path().c_str(),
           0);
    daemon = std::make_unique<test::DaemonFixture>(std::vector<std::string>{"--log-level", "warn"},
                                                   test::Transport::kTcp);
    daemon->Start();
    (void)daemon->Ctl({"center", "add", "--id", "street", "--name", "街道"});
    std::string csv = "id,name,center_id,phone,roles\n";
    for (int i = 0; i < kEvents; ++i)
      csv += fmt::format("n{},员工{},street,139{:08},WORKER\n", i, i, 10000001 + i);
    std::ofstream(dir / "staff.csv") << csv;
    (void)daemon->Ctl({"import", "staff", dir / "staff.csv"});
    v1::CtlRequest req;
    req.mutable_status();
    last = daemon->client().Call(req)->status().last_seq();
    fake = std::make_unique<test::FakeProviders>(dir / "fake.log");
  }
  ~World() { (void)daemon->Stop(); }
};

std::unique_ptr<World>& WorldSlot() {
  static std::unique_ptr<World> w;
  return w;
}
World& TheWorld() {
  if (!WorldSlot()) WorldSlot() = std::make_unique<World>();
  return *WorldSlot();
}

std::unique_ptr<plugin::Router> MakeRouter(plugin::ChannelNeeds needs) {
  auto router = plugin::Router::Parse(toml::parse(test::kWelcomeSmsRoute), needs, "bench");
  if (!router.ok()) {
    std::fprintf(stderr, "notify bench: the route does not parse: %s\n",
                 router.status().ToString().c_str());
    std::abort();
  }
  return std::move(*router);
}

// Stops the runner once the last event's message is sent (Wants and Render
// may be called ahead of an event's turn; Send is not).
class Stopper : public plugin::Notifier {
 public:
  Stopper(plugin::Notifier& inner, uint64_t last, std::atomic<bool>& stop)
      : inner_(inner), last_(last), stop_(stop) {}
  bool Wants(const v1::Event& e) const override { return inner_.Wants(e); }
  Result<std::vector<v1::Notification>> Render(const v1::Event& e) override {
    return inner_.Render(e);
  }
  plugin::Delivery Send(const v1::Notification& n) override {
    plugin::Delivery d = inner_.Send(n);
    if (n.seq() >= last_) stop_ = true;  // recorded before the runner looks at the flag
    return d;
  }

 private:
  plugin::Notifier& inner_;
  uint64_t last_;
  std::atomic<bool>& stop_;
};

class Noop final : public plugin::RoutedNotifier {
 public:
  // The SMS channel's route, every message accepted without a contact.
  Noop()
      : RoutedNotifier(MakeRouter({.channel = "sms",
                                   .provider_template_key = "sms_template",
                                   .provider_params_key = "sms_params"})) {}
  plugin::Delivery Send(const v1::Notification&) override { return plugin::Delivery::Ok(); }
};

// Contacts answered in the process, as fast as a lookup can be: the
// baseline of zhiband's contact query over ctl (one audited round trip per
// replayed chunk of events, the SDK asking ahead).
class InProcessContacts final : public plugin::ContactSource {
 public:
  Result<v1::ContactQueryReply> Lookup(const std::vector<std::string>& ids, uint64_t,
                                       uint64_t) override {
    v1::ContactQueryReply reply;
    for (const auto& id : ids) {
      auto* c = reply.add_contacts();
      c->set_staff_id(id);
      c->set_phone(fmt::format("139{:08}", 10000001 + std::stoi(id.substr(1))));
      c->set_preferred(v1::CONTACT_SMS);
    }
    return reply;
  }
};

enum class Lookup { kNone, kInProcess, kCtl };

// Runs the SDK over every event; returns seconds, or -1. With a lookup,
// every message must have reached its person (nobody unreachable).
double RunSdk(plugin::Notifier& notifier, const std::string& label, Lookup lookup = Lookup::kNone) {
  auto& w = TheWorld();
  test::TempDir state;
  zmq::context_t ctx(1);
  plugin::RunnerOptions opts;
  opts.state_dir = state / "s";
  opts.pub_endpoint = w.daemon->pub();
  opts.replay_endpoint = w.daemon->replay();
  opts.start = "beginning";  // the staff.added events stored before the runner starts
  InProcessContacts in_process;
  if (lookup == Lookup::kInProcess) opts.contacts = &in_process;
  if (lookup == Lookup::kCtl) opts.ctl_endpoint = w.daemon->ctl();
  if (lookup != Lookup::kNone) opts.contact_field = "phone";
  std::atomic<bool> stop{false};
  Stopper stopper(notifier, w.last, stop);
  plugin::Runner runner(ctx, opts, stopper);
  if (!runner.Open().ok()) return -1;
  const auto t0 = Clock::now();
  auto s = runner.Run(stop);
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!s.ok() || runner.state().cursor() != w.last + 1 ||
      runner.stats().delivered != static_cast<uint64_t>(kEvents) ||
      (lookup != Lookup::kNone && runner.stats().unreachable != 0)) {
    std::fprintf(stderr, "%s: cursor %lu, delivered %lu: %s\n", label.c_str(),
                 runner.state().cursor(), runner.stats().delivered.load(), s.message().c_str());
    return -1;
  }
  return secs;
}

void BareSubscriber(benchmark::State& state) {
  auto& w = TheWorld();
  for (auto _ : state) {
    zmq::context_t ctx(1);
    client::SubscriberOptions so;
    so.pub_endpoint = w.daemon->pub();
    so.replay_endpoint = w.daemon->replay();
    client::Subscriber sub(ctx, so);
    uint64_t n = 0;
    const auto t0 = Clock::now();
    auto s = sub.Run(1, false, [&](const v1::Event&) { return ++n > 0; });
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!s.ok() || n != w.last) state.SkipWithError("bare subscriber did not see every event");
    state.SetIterationTime(secs);
    Record("notify_bare", static_cast<double>(w.last) / secs);
    Record("notify_bare_us", secs * 1e6 / static_cast<double>(w.last));
  }
}

void SdkNoop(benchmark::State& state) {
  Noop noop;
  for (auto _ : state) {
    const double secs = RunSdk(noop, "sdk_noop");
    if (secs < 0) return state.SkipWithError("the SDK did not deliver every event");
    state.SetIterationTime(secs);
    Record("notify_sdk_noop", kEvents / secs);
    Record("notify_sdk_noop_us", secs * 1e6 / kEvents);
  }
}

// The Tencent notifier against the local stand-in; `lookup` says where
// each welcome's phone number comes from (events carry none).
void SdkTencent(benchmark::State& state, Lookup lookup, const std::string& figure) {
  auto& w = TheWorld();
  sms::SmsConfig c;
  c.provider = "tencent";
  c.endpoint = w.fake->url("/");
  c.host = "sms.tencentcloudapi.com";
  c.region = "ap-guangzhou";
  c.secret_id = "AKIDtest";
  c.secret_key = "tencent-secret";
  c.app_id = "1400000001";
  c.sign_name = "幸福街道";
  sms::SmsNotifier notifier(MakeRouter({.channel = "sms",
                                        .contact_field = "phone",
                                        .provider_template_key = "sms_template",
                                        .provider_params_key = "sms_params"}),
                            c, sms::MakeTencent(c));
  for (auto _ : state) {
    const double secs = RunSdk(notifier, figure, lookup);
    if (secs < 0) return state.SkipWithError("the SDK did not send every message");
    state.SetIterationTime(secs);
    Record(figure, kEvents / secs);
    Record(figure + "_us", secs * 1e6 / kEvents);
  }
}

}  // namespace

void StopNotifyWorld() { WorldSlot().reset(); }

void PrintNotifySummary() {
  auto& f = Figures();
  if (!f.count("notify_bare")) return;
  const double base = Median(f["notify_bare"]);
  const double base_us = Median(f["notify_bare_us"]);
  std::printf(
      "\nzhiban-bench notify — medians of %d repetition(s), same run, %d staff.added events\n",
      Reps(), kEvents);
  std::printf("%-58s %12s %10s %14s\n", "case", "events/s", "vs bare", "added µs/event");
  auto row = [&](const char* name, const char* key, const char* us) {
    if (!f.count(key)) return;
    const double m = Median(f[key]);
    std::printf("%-58s %12.0f %9.4fx %14.1f\n", name, m, m / base, Median(f[us]) - base_us);
  };
  row("bare subscriber (baseline: replay, nothing persisted)", "notify_bare", "notify_bare_us");
  row("SDK, notifier accepts at once (synced state per event)", "notify_sdk_noop",
      "notify_sdk_noop_us");
  row("SDK -> Tencent SendSms, phone from an in-process source", "notify_sdk_tencent_known",
      "notify_sdk_tencent_known_us");
  row("SDK -> Tencent SendSms, phone by contact query over ctl", "notify_sdk_tencent",
      "notify_sdk_tencent_us");
  if (f.count("notify_sdk_tencent") && f.count("notify_sdk_tencent_known")) {
    std::printf(
        "contact query over ctl: %.3f of the messages/s with the phone known in-process "
        "(target >= 0.9)\n",
        Median(f["notify_sdk_tencent"]) / Median(f["notify_sdk_tencent_known"]));
  }
}

BENCHMARK(BareSubscriber)
    ->Name("notify/bare_subscriber")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(SdkNoop)
    ->Name("notify/sdk_noop")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(SdkTencent, known, Lookup::kInProcess, "notify_sdk_tencent_known")
    ->Name("notify/sdk_tencent_known")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(SdkTencent, lookup, Lookup::kCtl, "notify_sdk_tencent")
    ->Name("notify/sdk_tencent")
    ->Iterations(1)
    ->Repetitions(Reps())
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace zhiban::bench::notify
