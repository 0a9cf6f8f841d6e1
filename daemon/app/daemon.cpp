#include "daemon/app/daemon.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cctype>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "daemon/app/bundled_calendars.h"
#include "daemon/app/ctl_dispatch.h"
#include "daemon/app/metrics.h"
#include "daemon/base/disk.h"
#include "daemon/base/number.h"
#include "daemon/base/time_util.h"
#include "daemon/core/core.h"
#include "daemon/core/ctl_codec.h"
#include "daemon/core/personal_data.h"
#include "daemon/domain/common.h"
#include "daemon/domain/holiday_json.h"
#include "daemon/net/ctl_server.h"
#include "daemon/net/curve.h"
#include "daemon/net/http_server.h"
#include "daemon/net/peer_guard.h"
#include "daemon/net/publisher.h"
#include "daemon/net/replay_server.h"
#include "daemon/net/zap_handler.h"
#include "daemon/storage/cipher.h"
#include "daemon/storage/store.h"
#include "zhiban/v1/ctl.pb.h"

#ifndef ZHIBAN_VERSION
#define ZHIBAN_VERSION "dev"
#endif

namespace zhiban::app {

namespace asio = boost::asio;

struct Daemon::Impl {
  Config config;
  asio::io_context io{1};
  zmq::context_t zmq_ctx{1};
  std::unique_ptr<Clock> clock;
  SimulatedClock* sim = nullptr;
  std::unique_ptr<storage::Store> store;
  // Residents' keys and what seals with them: before the core, which uses them.
  std::unique_ptr<storage::KeyStore> key_store;
  std::unique_ptr<core::PersonalData> personal_data;
  std::unique_ptr<core::Core> core;
  // Before the sockets it watches: they close (and their monitors stop) first.
  std::unique_ptr<net::PeerGuard> guard;
  std::unique_ptr<net::Publisher> publisher;
  std::unique_ptr<net::ReplayServer> replay;
  std::unique_ptr<net::CtlServer> ctl;
  std::unique_ptr<net::CtlServer> ctl_local;  // ctl.local_admin: ipc://<data_dir>/ctl.sock
  std::unique_ptr<net::HttpServer> http;
  std::shared_ptr<const net::HttpRouter> http_router;  // its failures go to /metrics
  // CURVE (security.curve): zhiband's key pair, the keys it accepts, and the
  // ZAP handler that checks each handshake against them.
  net::CurveKeys server_keys;
  net::KeyRing keyring;
  std::unique_ptr<net::ZapHandler> zap;
  uint64_t keyring_generation = ~uint64_t{0};
  // The ctl request path and the long-work worker (ctl_dispatch.h).
  // Declared after core: its worker is joined before the core goes.
  std::unique_ptr<CtlDispatch> dispatch;
  asio::steady_timer tick{io};
  asio::signal_set signals{io, SIGINT, SIGTERM};
  std::vector<core::CommittedEvent> events;  // reused per group
  uint64_t ticks = 0;
  int64_t calendar_warned_day = -1;  // WarnOfCalendarOncePerDay
  bool stopping = false;

  // The principal of a call, from its transport (net::CtlCall), or why it is refused.
  Result<core::Principal> PrincipalOf(const net::CtlCall& call, const v1::CtlRequest& req) const;
  // After a commit: the ZAP handler's keys follow the core's, and a revoked
  // key's subscriptions are cut off.
  void RefreshKeys();
  Status SetUpSecurity();
  Status OpenKeyStore(const std::string& backup_root, std::string& key_backup_root);
  void Publish(const std::vector<core::CommittedEvent>& committed);
  void WarnOfCalendarOncePerDay();
  void Tick();
  size_t FireTimers();
  void Shutdown(int signo);
  // The HTTP route table: every route zhiband serves, in one place.
  std::shared_ptr<const net::HttpRouter> HttpRoutes();
  v1::CtlReply HttpQuery(v1::CtlRequest req);
  net::HttpResponse Health();
  net::HttpResponse Metrics();
  Status WriteEndpointsFile();
  Status LoadBundledCalendars();
  Result<v1::CtlReply> RunBundled(v1::CtlRequest req, std::string_view file);
};

// Runs one request of zhiband's own (bundled data) as any command is run:
// validated, audited, evented. Its reply, or why it was refused, naming `file`.
Result<v1::CtlReply> Daemon::Impl::RunBundled(v1::CtlRequest req, std::string_view file) {
  req.mutable_client()->set_user("zhiband");
  req.mutable_client()->set_host("bundled");
  std::vector<core::CommittedEvent> ignored;  // subscribers get them by replay
  auto replies = core->ExecuteGroup({&req}, &ignored);
  if (replies[0].has_error()) {
    return Status::Internal(fmt::format("loading {}: {}", file, replies[0].error().message()));
  }
  return std::move(replies[0]);
}

// Years shipped in data/holiday-cn that the data dir does not have yet go in
// through the ordinary calendar_import command. A year already loaded —
// perhaps a newer notice an operator imported — is left alone. Then the
// statutory days (data/statutory-cn) of a loaded year that has none yet (a
// year an operator set keeps theirs): a data dir from before statutory days
// gets them at its first start after the upgrade.
Status Daemon::Impl::LoadBundledCalendars() {
  const auto& cal = core->state().calendar;
  for (const auto& f : BundledCalendars()) {
    auto year = domain::ParseHolidayJson(f.json, f.name);
    if (!year.ok()) return Status::Internal("bundled calendar: " + year.status().message());
    if (cal.HasYear(year->year())) continue;
    v1::CtlRequest req;
    *req.mutable_calendar_import()->mutable_year() = std::move(*year);
    ZB_ASSIGN_OR_RETURN(auto reply, RunBundled(std::move(req), f.name));
    spdlog::info("loaded the bundled national calendar {} ({})", reply.calendar_year().year(),
                 f.name);
  }
  for (const auto& f : BundledStatutoryDays()) {
    auto statutory = domain::ParseStatutoryJson(f.json, f.name);
    if (!statutory.ok()) {
      return Status::Internal("bundled statutory days: " + statutory.status().message());
    }
    const int year = statutory->year();
    if (!cal.HasYear(year) || cal.HasStatutory(year)) continue;
    v1::CtlRequest req;
    *req.mutable_calendar_statutory()->mutable_statutory() = std::move(*statutory);
    ZB_ASSIGN_OR_RETURN(auto reply, RunBundled(std::move(req), f.name));
    spdlog::info("set the bundled statutory holidays of {}: {} days ({})", year,
                 reply.calendar_year().statutory_days(), f.name);
  }
  return {};
}

Result<core::Principal> Daemon::Impl::PrincipalOf(const net::CtlCall& call,
                                                  const v1::CtlRequest& req) const {
  std::string claimed = core::ClaimOf(req.client());
  if (call.local) return core::Principal::Local(std::move(claimed));
  if (!config.security_curve) return core::Principal::Open(std::move(claimed));
  const auto* key = core->state().access.FindByPublicKey(call.user_id);
  if (!key) {
    return Status::PermissionDenied(
        "this connection's CURVE key is not one zhiband knows; nothing was done");
  }
  if (key->has_revoked()) {
    return Status::PermissionDenied(fmt::format(
        "key \"{}\" was revoked at {} by {}; nothing was done. Ask an admin for a new key",
        key->name(),
        FormatIsoTime(TimePoint{
            Micros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(key->revoked()))}),
        key->revoked_by()));
  }
  const v1::Staff* staff = nullptr;
  if (!key->staff_id().empty()) {
    staff = core->state().network.FindStaff(key->staff_id());
    if (!staff) {
      return Status::PermissionDenied(
          fmt::format("key \"{}\" is staff member {}'s, who is no longer on the staff; nothing "
                      "was done",
                      key->name(), key->staff_id()));
    }
  }
  return core::Principal::Key(*key, std::move(claimed), staff);
}

void Daemon::Impl::RefreshKeys() {
  const auto& book = core->state().access;
  if (book.generation() == keyring_generation) return;
  const bool first = keyring_generation == ~uint64_t{0};
  keyring_generation = book.generation();
  std::unordered_map<std::string, std::string> active;
  for (const auto& [name, k] : book.keys()) {
    if (!k.has_revoked()) active.emplace(k.public_key(), name);
  }
  // A key that could connect before and cannot now (revoked in this group,
  // whatever else was added beside it).
  bool lost_one = false;
  if (!first) {
    for (const auto& [public_key, name] : keyring.Snapshot()) {
      if (!active.contains(public_key)) lost_one = true;
    }
  }
  keyring.Replace(std::move(active));
  if (lost_one && publisher && config.security_curve) {
    // PUB checks a key at its handshake only: every subscriber shakes hands again.
    if (Status s = publisher->CutOff(); !s.ok()) {
      spdlog::critical("a revoked key may still be subscribed: {}; stopping", s.ToString());
      Shutdown(SIGTERM);
      return;
    }
    spdlog::info("a key was revoked: every subscriber reconnects, a revoked one is refused");
  }
}

void Daemon::Impl::Publish(const std::vector<core::CommittedEvent>& committed) {
  // Consecutive events of one topic go out as one message (Publisher::
  // PublishRun), up to kRunEvents or kRunBytes: an import's 100,000
  // staff.added are 391 messages, a single command's event is as before.
  // The bytes cap keeps what a PUB or SUB high-water mark (in messages)
  // may hold near what it held with one event a message.
  constexpr size_t kRunEvents = 256, kRunBytes = 64 << 10;
  std::vector<std::string_view> run;
  size_t bytes = 0;
  for (size_t i = 0; i < committed.size(); ++i) {
    const auto& e = committed[i];
    run.push_back(e.bytes);
    bytes += e.bytes.size();
    const bool last = i + 1 == committed.size() || committed[i + 1].topic != e.topic ||
                      run.size() == kRunEvents || bytes >= kRunBytes;
    if (!last) continue;
    publisher->PublishRun(e.topic, run);
    run.clear();
    bytes = 0;
  }
}

// The scheduler: all periodic work of the daemon, one timer, every
// bus.heartbeat_ms (default 1 s):
//   - every tick: bus.heartbeat with the newest seq (lets subscribers see a lost tail),
//     then the rota timers that are due (reminders, handoffs, no-shows);
//   - every 10th tick: drop import sessions idle for import.idle_seconds.
void Daemon::Impl::Tick() {
  tick.expires_after(std::chrono::milliseconds(config.heartbeat_ms));
  tick.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping) return;
    ++ticks;
    publisher->Heartbeat(core->last_seq(), clock->Now());
    core->SyncAcked();
    core->TryResume();
    FireTimers();
    if (ticks % 10 == 0) core->ExpireImports(std::chrono::steady_clock::now());
    WarnOfCalendarOncePerDay();
    Tick();
  });
}

// What `status` lists as notices (next year's national calendar missing
// from 1 November), in the log at start and then once a day on the daemon
// clock, so an operator who reads only the journal hears of it too.
void Daemon::Impl::WarnOfCalendarOncePerDay() {
  const int64_t now = domain::common::Sec(clock->Now());
  const int64_t day = domain::common::BeijingDay(now);
  if (day == calendar_warned_day) return;
  calendar_warned_day = day;
  for (const auto& n : domain::CalendarNotices(core->state().calendar, now)) spdlog::warn("{}", n);
}

// Rota timers due on the daemon clock, committed and published like a
// command's events (a simulated clock that jumped catches up here, a batch
// per tick).
size_t Daemon::Impl::FireTimers() {
  events.clear();
  return core->FireTimers(&events, [this](const auto& committed) { Publish(committed); });
}

void Daemon::Impl::Shutdown(int signo) {
  if (stopping) return;
  stopping = true;
  spdlog::info("signal {}: finishing and shutting down", signo);
  // Second stage: if the clean path hangs, leave anyway. Acknowledged
  // commands are already durable, so a hard exit loses nothing.
  std::thread([ms = config.shutdown_deadline_ms] {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    spdlog::critical("clean shutdown took more than {} ms; exiting", ms);
    std::_Exit(3);
  }).detach();
  // We run between handlers, so no command is half done: the group in flight
  // has been committed and answered.
  ctl->Stop();
  if (ctl_local) ctl_local->Stop();
  dispatch->Stop();  // long work in flight is dropped: never committed nor answered
  http->Stop();
  tick.cancel();
  signals.cancel();
  replay->Stop();
  publisher->Stop();  // lingers up to 1 s to flush published events
  guard->Stop();
  io.stop();
}

std::shared_ptr<const net::HttpRouter> Daemon::Impl::HttpRoutes() {
  auto router = std::make_shared<net::HttpRouter>();
  router->Add({"GET", "/healthz", 0, [this](const net::HttpRequest&) { return Health(); }});
  router->Add({"GET", "/metrics", 0, [this](const net::HttpRequest&) { return Metrics(); }});
  http_router = router;
  return router;
}

// HTTP handlers answer from registered queries (Core::Query), as ctl does.
v1::CtlReply Daemon::Impl::HttpQuery(v1::CtlRequest req) {
  return core->Query(req, core::Principal::Internal());
}

net::HttpResponse Daemon::Impl::Health() {
  v1::CtlRequest req;
  req.mutable_status();
  const auto reply = HttpQuery(std::move(req));
  if (reply.has_error()) {
    return {503, "text/plain; charset=utf-8", reply.error().message() + "\n", {}};
  }
  // Degraded: queries are answered, commands refused until the store takes
  // writes again (it resumes by itself once the disk has space).
  if (!core->storage_error().empty()) {
    return {503,
            "text/plain; charset=utf-8",
            fmt::format("degraded last_seq={}: storage refuses writes: {}\n",
                        reply.status().last_seq(), core->storage_error()),
            {}};
  }
  return {200,
          "text/plain; charset=utf-8",
          fmt::format("ok last_seq={}\n", reply.status().last_seq()),
          {}};
}

net::HttpResponse Daemon::Impl::Metrics() {
  v1::CtlRequest status_req, years_req;
  status_req.mutable_status();
  years_req.mutable_calendar_years();
  const auto status = HttpQuery(std::move(status_req));
  const auto years = HttpQuery(std::move(years_req));
  MetricsSnapshot m{core->metrics(),           status.status().last_seq(),
                    publisher->published(),    publisher->send_failures(),
                    &replay->counters(),       store.get(),
                    status.status().centers(), status.status().staff(),
                    core->open_imports()};
  for (const auto& y : years.calendar_years().years()) m.calendar_years.push_back(y.year());
  // An unreadable clock leaves the year 0: the gauge says "not loaded".
  m.current_year =
      ParseNumber<int>(std::string_view(core->Today()).substr(0, 4), "today").value_or(0);
  m.import_held_bytes = core->imports().held_bytes();
  for (const auto& [limit, n] : core->imports().refusals()) m.limit_refusals[limit] += n;
  m.limit_refusals["replay.jobs"] = replay->counters().busy.load();
  if (http) {
    m.http = &http->counters();
    m.limit_refusals["http.max_connections"] = http->counters().refused;
  }
  if (guard) m.limit_refusals["zmq.fd_reserve"] = guard->counters().refused.load();
  m.limit_refusals["replay.topic_prefixes"] = replay->counters().too_many_prefixes.load();
  if (zap) m.zap = &zap->counters();
  if (http_router) m.http_handler_failures = http_router->handler_failures();
  return {200, "text/plain; version=0.0.4; charset=utf-8", RenderMetrics(m), {}};
}

// What may reach which socket, checked before any is bound
// (docs/OPERATIONS.md, "Security"), and zhiband's CURVE key pair: made on
// the first start, kept in the data dir (the secret owner-only), the public
// half also in <data_dir>/zhiband.pub for clients to copy.
Status Daemon::Impl::SetUpSecurity() {
  const std::pair<const char*, const std::string*> endpoints[] = {
      {"ctl.endpoint", &config.ctl_endpoint},
      {"bus.pub_endpoint", &config.pub_endpoint},
      {"bus.replay_endpoint", &config.replay_endpoint}};
  bool any_tcp = false;
  for (const auto& [key, ep] : endpoints) {
    if (net::IsIpcEndpoint(*ep)) {
      // Whoever can reach the socket file is admin: its directory must be ours alone.
      auto dir = std::filesystem::path(ep->substr(ep->find("://") + 3)).parent_path();
      if (dir.empty()) dir = ".";
      struct stat st {};
      if (ep->starts_with("ipc://") && ::stat(dir.c_str(), &st) == 0 &&
          ((st.st_mode & 077) != 0 || st.st_uid != ::geteuid())) {
        return Status::FailedPrecondition(
            key, fmt::format("{} is in {}, which other users can reach (mode {:o}); an ipc:// "
                             "socket's callers act as admin, so its directory must be owner-only: "
                             "chmod 700 {} (or use the data dir)",
                             *ep, dir.string(), st.st_mode & 0777, dir.string()));
      }
      continue;
    }
    any_tcp = true;
    if (!config.security_curve && !net::IsLocalEndpoint(*ep)) {
      return Status::FailedPrecondition(
          key, fmt::format("{} can be reached from other machines, but security.curve = false: "
                           "anyone could act as admin. Set security.curve = true (each client "
                           "then needs a key: docs/OPERATIONS.md \"Security\") or bind 127.0.0.1",
                           *ep));
    }
  }
  if (!config.security_curve) {
    if (any_tcp) {
      spdlog::warn(
          "security.curve = false: anyone on this machine who reaches the TCP endpoints acts as "
          "admin (development and benchmarks only)");
    }
    return {};
  }
  if (!any_tcp) return {};  // ipc:// only: the file system decides who reaches them
  const auto dir = std::filesystem::path(config.data_dir);
  const std::string secret = (dir / "zhiband.key").string();
  if (std::filesystem::exists(secret)) {
    auto k = net::ReadKeyFile(secret, true);
    if (!k.ok()) return Status::FailedPrecondition("security", k.status().message());
    server_keys = std::move(*k);
  } else {
    ZB_ASSIGN_OR_RETURN(auto k, net::NewCurveKeys());
    ZB_RETURN_IF_ERROR(
        net::WriteKeyFile(secret, k, "zhiband's CURVE key pair (made at first start)"));
    server_keys = std::move(k);
    spdlog::info("made zhiband's CURVE key pair in {}", secret);
  }
  return net::WriteKeyFile((dir / "zhiband.pub").string(), {server_keys.public_key, {}},
                           "zhiband's public key: clients need it (zhibanctl --server-key)");
}

Status Daemon::Impl::WriteEndpointsFile() {
  nlohmann::json j = {{"pid", ::getpid()},
                      {"ctl", ctl->endpoint()},
                      {"pub", publisher->endpoint()},
                      {"replay", replay->endpoint()},
                      {"http", http->address()},
                      {"ctl_local", ctl_local ? ctl_local->endpoint() : ""},
                      {"server_public_key", server_keys.public_key}};
  auto path = std::filesystem::path(config.data_dir) / "zhiband.endpoints.json";
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream f(tmp);
    f << j.dump(2) << "\n";
    if (!f) return Status::Unavailable(fmt::format("cannot write {}", tmp.string()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    return Status::Unavailable(fmt::format("cannot write {}: {}", path.string(), ec.message()));
  return {};
}

// Residents' personal data at rest (docs/OPERATIONS.md "Personal data at
// rest"): the master key file, the key store beside the data dir, and what
// seals with them. A key store inside the data dir or the backup root would
// travel with every data backup, which is what it must not do.
Status Daemon::Impl::OpenKeyStore(const std::string& backup_root, std::string& key_backup_root) {
  auto& d = *this;
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string data = config.data_dir;
  while (data.size() > 1 && data.back() == '/') data.pop_back();
  const fs::path key_dir =
      fs::absolute(config.key_dir.empty() ? data + "-keys" : config.key_dir, ec).lexically_normal();
  if (ec) return Status::InvalidArgument("personal_data.key_dir", ec.message());
  const fs::path data_abs = fs::absolute(data, ec).lexically_normal();
  auto inside = [](const fs::path& p, const fs::path& dir) {
    auto rel = p.lexically_relative(dir);
    return !rel.empty() && *rel.begin() != "..";
  };
  for (const auto& [dir, name] :
       {std::pair{data_abs, "data_dir"}, std::pair{fs::path(backup_root), "storage.backup_root"}}) {
    if (inside(key_dir, dir) || inside(dir, key_dir)) {
      return Status::InvalidArgument(
          "personal_data.key_dir",
          fmt::format("{} and {} ({}) hold one another: residents' keys must stay out of data "
                      "and its backups (docs/OPERATIONS.md \"Personal data at rest\")",
                      key_dir.string(), name, dir.string()));
    }
  }
  const std::string master_path =
      config.master_key_file.empty() ? (key_dir / "master.key").string() : config.master_key_file;
  storage::Key master;
  if (fs::exists(master_path, ec)) {
    ZB_ASSIGN_OR_RETURN(master, storage::ReadMasterKey(master_path));
  } else if (fs::exists(key_dir / "CURRENT", ec)) {
    return Status::FailedPrecondition(
        "personal_data.master_key_file",
        fmt::format("the key store {} exists but its master key file {} does not: put the master "
                    "key back (docs/OPERATIONS.md \"Personal data at rest\"); nothing was started",
                    key_dir.string(), master_path));
  } else {
    ZB_ASSIGN_OR_RETURN(master, storage::CreateMasterKey(master_path));
    spdlog::warn(
        "created the master key {} (residents' personal data is encrypted under it): copy it "
        "somewhere apart from the data and its backups (docs/OPERATIONS.md \"Personal data at "
        "rest\")",
        master_path);
  }
  ZB_ASSIGN_OR_RETURN(d.key_store,
                      storage::KeyStore::Open(key_dir.string(), master, config.storage_sync));
  d.personal_data = std::make_unique<core::PersonalData>(d.key_store.get());
  key_backup_root = key_dir.string() + "-backups";
  spdlog::info("key store {}: {} residents' keys", key_dir.string(), d.key_store->size());
  return {};
}

Result<std::unique_ptr<Daemon>> Daemon::Create(const Config& config) {
  // Every value is one its key takes (config.h): nothing below re-checks.
  ZB_RETURN_IF_ERROR(ValidateConfig(config));
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  auto& d = *impl;

  if (config.clock == "real") {
    d.clock = std::make_unique<RealClock>();
  } else {
    ZB_ASSIGN_OR_RETURN(auto t, ParseIsoTime(std::string_view(config.clock).substr(10)));
    auto sim = std::make_unique<SimulatedClock>(t);
    d.sim = sim.get();
    d.clock = std::move(sim);
  }

  // Everything zhiband writes (RocksDB files, backups, the endpoints file)
  // is the owner's only: residents' personal data is in it.
  ::umask(077);
  // Descriptors: the soft limit raised to the hard one (systemd's default
  // soft limit is 1024), so the HTTP cap below it leaves room for the store.
  if (rlimit rl{}; ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    const rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &rl) == 0)
      spdlog::info("descriptor limit raised from {} to {} (the hard limit)", was, rl.rlim_max);
  }
  // A full disk is said plainly here: RocksDB opening on one can abort
  // inside itself (writing its manifest) instead of returning an error.
  {
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    auto free = FreeBytes(config.data_dir);
    if (free.ok() && *free < kMinFreeBytes) {
      return Status::ResourceExhausted(fmt::format(
          "the disk holding {} has {} KiB free; zhiband needs at least {} MiB to open its store. "
          "Free space there (or move the data dir) and start again; nothing was changed",
          config.data_dir, *free / 1024, kMinFreeBytes >> 20));
    }
  }
  // RocksDB's warnings and errors, in zhiband's log rather than a LOG file
  // in the data dir (store.h says why). spdlog's loggers are thread-safe.
  auto rocksdb_log = [](storage::LogLevel level, std::string_view line) {
    if (level == storage::LogLevel::kError) {
      spdlog::error("store (RocksDB): {}", line);
    } else {
      spdlog::warn("store (RocksDB): {}", line);
    }
  };
  ZB_ASSIGN_OR_RETURN(
      auto store,
      storage::Store::Open(config.data_dir, {.sync = config.storage_sync, .log = rocksdb_log}));
  d.store = std::move(store);
  {
    // Every SST block is read once before anything is served: bit rot is
    // found at start, with the file named, not by a subscriber's replay.
    const auto t0 = std::chrono::steady_clock::now();
    auto checked = d.store->VerifyChecksums();
    if (!checked.ok()) {
      return Status::FailedPrecondition(fmt::format(
          "the store in {} has a damaged block: {}. Nothing was changed; restore the newest "
          "backup (docs/OPERATIONS.md \"Backups\") or copy the data dir aside for inspection",
          config.data_dir, checked.status().message()));
    }
    spdlog::info(
        "verified {:.1f} MiB of SST checksums in {} ms", double(*checked) / (1 << 20),
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count());
  }

  core::CoreOptions copts;
  copts.version = ZHIBAN_VERSION;
  copts.accept_lost_events = config.accept_lost_events;
  {
    std::error_code ec;
    std::string root = config.backup_root;
    if (root.empty()) {
      std::string data = config.data_dir;
      while (data.size() > 1 && data.back() == '/') data.pop_back();
      root = data + "-backups";
    }
    copts.backup_root = std::filesystem::absolute(root, ec).lexically_normal().string();
    if (ec) return Status::InvalidArgument("storage.backup_root", ec.message());
  }
  copts.max_import_rows = static_cast<size_t>(config.import_max_rows);
  copts.import_idle_timeout = std::chrono::seconds(config.import_idle_seconds);
  copts.max_import_session_bytes = static_cast<size_t>(config.import_max_session_mib) << 20;
  copts.max_import_total_bytes = static_cast<size_t>(config.import_max_total_mib) << 20;
  ZB_ASSIGN_OR_RETURN(copts.rota.reminder_eve_minute, ParseLocalMinute(config.rota_reminder_eve));
  copts.rota.reminder_before_minutes = static_cast<uint32_t>(config.rota_reminder_before_minutes);
  copts.rota.checkin_grace_minutes = static_cast<uint32_t>(config.rota_checkin_grace_minutes);
  copts.rota.duty_period_gap_minutes = static_cast<uint32_t>(config.rota_duty_period_gap_minutes);
  copts.rota.publish_notice_days = static_cast<uint32_t>(config.rota_publish_notice_days);
  copts.timer_batch = static_cast<size_t>(config.rota_timer_batch);
  copts.rota.max_backup_posts = static_cast<uint32_t>(config.rota_max_backup_posts);
  auto& v = copts.visits;
  v.accept_minutes = static_cast<uint32_t>(config.visits_accept_minutes);
  v.urgent_accept_minutes = static_cast<uint32_t>(config.visits_urgent_accept_minutes);
  v.start_margin_minutes = static_cast<uint32_t>(config.visits_start_margin_minutes);
  v.follow_up_working_days = static_cast<uint32_t>(config.visits_follow_up_working_days);
  v.care_days[1] = static_cast<uint32_t>(config.visits_care_days_high_risk);
  v.care_days[2] = static_cast<uint32_t>(config.visits_care_days_key);
  v.care_days[3] = static_cast<uint32_t>(config.visits_care_days_general);
  v.care_ahead_days = static_cast<uint32_t>(config.visits_care_ahead_days);
  v.major_change_hours = static_cast<uint32_t>(config.visits_major_change_hours);
  v.appointment_notice_working_days =
      static_cast<uint32_t>(config.visits_appointment_notice_working_days);

  ZB_RETURN_IF_ERROR(d.OpenKeyStore(copts.backup_root, copts.key_backup_root));
  copts.personal_data = d.personal_data.get();
  ZB_RETURN_IF_ERROR(d.SetUpSecurity());
  copts.server_public_key = d.server_keys.public_key;
  d.core = std::make_unique<core::Core>(d.store.get(), d.clock.get(), d.sim, copts);
  ZB_RETURN_IF_ERROR(d.core->Load());
  if (config.calendar_load_bundled) ZB_RETURN_IF_ERROR(d.LoadBundledCalendars());
  d.RefreshKeys();
  if (config.security_curve) {
    // Bound before any CURVE socket: libzmq lets handshakes through without one.
    d.zap = std::make_unique<net::ZapHandler>(d.zmq_ctx, d.keyring);
    ZB_RETURN_IF_ERROR(d.zap->Start());
  }
  auto curve_for = [&](const std::string& endpoint) {
    return config.security_curve && !net::IsIpcEndpoint(endpoint) ? d.server_keys.secret_key
                                                                  : std::string();
  };

  d.guard = std::make_unique<net::PeerGuard>(d.zmq_ctx, net::HttpLimits{}.fd_reserve);
  ZB_RETURN_IF_ERROR(d.guard->Start());
  net::PublisherOptions popts{config.pub_endpoint, static_cast<int>(config.pub_hwm),
                              curve_for(config.pub_endpoint), d.guard.get()};
  d.publisher = std::make_unique<net::Publisher>(d.zmq_ctx, popts);
  ZB_RETURN_IF_ERROR(d.publisher->Start());

  net::ReplayServerOptions ropts;
  ropts.endpoint = config.replay_endpoint;
  ropts.max_events = static_cast<uint32_t>(config.replay_max_events);
  ropts.clock = d.clock.get();
  ropts.curve_secret_key = curve_for(config.replay_endpoint);
  ropts.keys = &d.keyring;
  ropts.guard = d.guard.get();
  ropts.open_event = [pd = d.personal_data.get()](std::string_view stored) {
    return pd->OpenEvent(stored);
  };
  d.replay = std::make_unique<net::ReplayServer>(d.zmq_ctx, d.store.get(), ropts);
  ZB_RETURN_IF_ERROR(d.replay->Start());

  net::CtlServerOptions copt;
  copt.endpoint = config.ctl_endpoint;
  copt.max_message_bytes = config.ctl_max_message_bytes;
  copt.hwm = static_cast<int>(config.ctl_hwm);
  copt.curve_secret_key = curve_for(config.ctl_endpoint);
  copt.local = net::IsIpcEndpoint(config.ctl_endpoint);
  copt.guard = d.guard.get();
  Impl* self = impl.get();
  d.dispatch = std::make_unique<CtlDispatch>(
      *d.core, d.io, config.ctl_max_request_bytes,
      CtlDispatch::Hooks{[self](const net::CtlCall& call, const v1::CtlRequest& req) {
                           return self->PrincipalOf(call, req);
                         },
                         [self](const auto& committed) { self->Publish(committed); },
                         [self] { self->RefreshKeys(); }, [self] { return self->FireTimers(); }});
  d.ctl = std::make_unique<net::CtlServer>(d.io, d.zmq_ctx, copt, [self](auto& calls) {
    self->dispatch->Handle(calls, self->ctl.get());
  });
  ZB_RETURN_IF_ERROR(d.ctl->Start());
  if (config.ctl_local_admin) {
    net::CtlServerOptions lopt = copt;
    lopt.endpoint = "ipc://" + (std::filesystem::path(config.data_dir) / "ctl.sock").string();
    lopt.curve_secret_key.clear();
    lopt.local = true;
    d.ctl_local = std::make_unique<net::CtlServer>(d.io, d.zmq_ctx, lopt, [self](auto& calls) {
      self->dispatch->Handle(calls, self->ctl_local.get());
    });
    ZB_RETURN_IF_ERROR(d.ctl_local->Start());
  }

  net::HttpLimits http_limits;
  http_limits.max_connections = static_cast<size_t>(config.http_max_connections);
  d.http = std::make_unique<net::HttpServer>(d.io, config.http_listen, d.HttpRoutes(), http_limits);
  ZB_RETURN_IF_ERROR(d.http->Start());
  ZB_RETURN_IF_ERROR(d.WriteEndpointsFile());

  spdlog::info("zhiband {} instance {} data {} last_seq {} clock {}", ZHIBAN_VERSION,
               d.core->instance_id(), config.data_dir, d.core->last_seq(),
               d.sim ? "simulated " + FormatIsoTime(d.sim->Now()) : std::string("real"));
  spdlog::info("ctl {}  pub {}  replay {}  http {}", d.ctl->endpoint(), d.publisher->endpoint(),
               d.replay->endpoint(), d.http->address());
  if (d.ctl_local) {
    spdlog::info("local admin ctl {} (no key: only this OS user can reach it)",
                 d.ctl_local->endpoint());
  }
  if (config.security_curve) {
    spdlog::info("CURVE on; zhiband's public key {} (also in {}/zhiband.pub); {} client keys",
                 d.server_keys.public_key, config.data_dir, d.keyring.size());
  }
  if (config.security_curve && d.keyring.size() == 0 && !net::IsIpcEndpoint(config.ctl_endpoint)) {
    // The first start after the upgrade, or a new install: say how in.
    const std::string local =
        "ipc://" + (std::filesystem::path(config.data_dir) / "ctl.sock").string();
    spdlog::warn(
        "no client keys yet: over TCP zhiband answers only CURVE keys it knows. Create the first "
        "admin key through the local admin socket{}: zhibanctl --endpoint {} key create admin "
        "--role admin --out ~/.config/zhiban/zhibanctl.key && cp {}/zhiband.pub ~/.config/zhiban/ "
        "(docs/OPERATIONS.md \"Security\")",
        d.ctl_local ? "" : " (restart with --local-admin, or set ctl.local_admin = true)", local,
        config.data_dir);
  }
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

Daemon::Daemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Daemon::~Daemon() {
  if (!impl_) return;
  // Order matters: the worker before the core it computes for, sockets
  // before the ZeroMQ context, the core before the store.
  impl_->dispatch.reset();  // joins the worker
  impl_->ctl.reset();
  impl_->ctl_local.reset();
  impl_->http.reset();
  impl_->replay.reset();
  impl_->publisher.reset();
  impl_->zap.reset();  // after every CURVE socket
  impl_->core.reset();
  impl_->store.reset();
}

int Daemon::Run() {
  auto& d = *impl_;
  d.signals.async_wait([&d](const boost::system::error_code& ec, int signo) {
    if (!ec) d.Shutdown(signo);
  });
  d.Tick();
  try {
    d.io.run();
  } catch (const std::exception& e) {
    // A handler let an exception out: a bug. Say what it was rather than
    // abort without a word; acknowledged commands are durable already.
    spdlog::critical("zhiband stopped by an uncaught exception at seq {}: {}", d.core->last_seq(),
                     e.what());
    return 70;  // EX_SOFTWARE
  }
  spdlog::info("zhiband stopped at seq {}", d.core->last_seq());
  return 0;
}

}  // namespace zhiban::app
