// Who is asking (docs/OPERATIONS.md, "Security"): the real zhiband on TCP
// with real CURVE sockets and its ZAP handler, keys made by the real
// zhibanctl, and the local admin on ipc://<data_dir>/ctl.sock.
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <nlohmann/json.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "clients/lib/ctl_client.h"
#include "clients/lib/subscriber.h"
#include "daemon/net/curve.h"
#include "tests/support/ctl_expect.h"
#include "tests/support/process.h"
#include "tests/support/source.h"
#include "zhiban/v1/bus.pb.h"
#include "zhiban/v1/events.pb.h"

namespace zhiban::test {
namespace {

using namespace std::chrono_literals;

// A key made by `zhibanctl key create` through the local admin socket.
net::CurveKeys MakeKey(DaemonFixture& d, const std::string& name, const std::string& role) {
  const std::string path = d.dir() / (name + ".key");
  CtlOk(d, {"key", "create", name, "--role", role, "--out", path});
  auto k = net::ReadKeyFile(path, true);
  if (!k.ok()) throw std::runtime_error(k.status().ToString());
  return *k;
}

net::CurveClient As(DaemonFixture& d, const net::CurveKeys& keys) {
  return net::CurveClient{d.server_key(), keys};
}

v1::CtlRequest AddCenter(const std::string& id) {
  v1::CtlRequest r;
  r.mutable_center_add()->mutable_center()->set_id(id);
  r.mutable_center_add()->mutable_center()->set_name("中心" + id);
  return r;
}

// Sends `req` over CURVE with `curve` (or none); the reply, or the transport failure.
Result<v1::CtlReply> Call(DaemonFixture& d, v1::CtlRequest req, const net::CurveClient& curve,
                          std::chrono::milliseconds timeout = 10s) {
  client::CtlClient c(d.zmq(), d.curve_ctl(), timeout, curve);
  return c.Call(req);
}

v1::AuditRecord LastAudit(DaemonFixture& d) {
  v1::CtlRequest q;
  q.mutable_audit_list()->set_limit(1);
  auto r = d.client().Call(q);
  EXPECT_TRUE(r.ok() && !r->has_error());
  return r.ok() && r->audit_list().records_size() ? r->audit_list().records(0) : v1::AuditRecord{};
}

// A raw SUB under CURVE: the next event with seq > 0 within `wait`, if any.
struct CurveSub {
  zmq::socket_t sock;
  CurveSub(DaemonFixture& d, const net::CurveClient& curve) : sock(d.zmq(), zmq::socket_type::sub) {
    sock.set(zmq::sockopt::subscribe, "");
    sock.set(zmq::sockopt::linger, 0);
    if (curve.enabled()) net::MakeCurveClient(sock, curve);
    sock.connect(d.pub());
  }
  std::optional<v1::Event> Next(std::chrono::milliseconds wait) {
    if (!pending.empty()) {
      v1::Event e = std::move(pending.front());
      pending.pop_front();
      return e;
    }
    const auto until = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < until) {
      zmq::pollitem_t it{sock.handle(), 0, ZMQ_POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (zmq::poll(&it, 1, std::max(left, 1ms)) == 0) continue;
      std::vector<zmq::message_t> frames;
      if (!zmq::recv_multipart(sock, std::back_inserter(frames))) continue;
      std::vector<v1::Event> events;
      (void)client::AppendBusEvents(frames, events);
      for (v1::Event& e : events)
        if (e.seq() > 0) pending.push_back(std::move(e));
      if (!pending.empty()) break;
    }
    if (pending.empty()) return std::nullopt;
    v1::Event e = std::move(pending.front());
    pending.pop_front();
    return e;
  }
  std::deque<v1::Event> pending;  // the rest of a run of events
};

// A replay DEALER under CURVE: one ReplayRequest, its first reply.
struct CurveReplay {
  zmq::socket_t sock;
  CurveReplay(DaemonFixture& d, const net::CurveClient& curve)
      : sock(d.zmq(), zmq::socket_type::dealer) {
    sock.set(zmq::sockopt::linger, 0);
    if (curve.enabled()) net::MakeCurveClient(sock, curve);
    sock.connect(d.replay());
  }
  std::optional<v1::ReplayReply> Ask(uint64_t from, std::chrono::milliseconds wait = 5s) {
    v1::ReplayRequest req;
    req.set_from_seq(from);
    req.set_limit(1);
    sock.send(zmq::message_t(), zmq::send_flags::sndmore);
    sock.send(zmq::buffer(req.SerializeAsString()));
    zmq::pollitem_t it{sock.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&it, 1, wait) == 0) return std::nullopt;
    std::vector<zmq::message_t> frames;
    (void)zmq::recv_multipart(sock, std::back_inserter(frames));
    v1::ReplayReply r;
    if (frames.size() != 2 || !r.ParseFromArray(frames[1].data(), int(frames[1].size()))) {
      return std::nullopt;
    }
    // Drain the rest of the answer (chunks, then the end).
    while (zmq::poll(&it, 1, 200ms) > 0) {
      std::vector<zmq::message_t> more;
      (void)zmq::recv_multipart(sock, std::back_inserter(more));
    }
    return r;
  }
};

// Adds centers through the local admin until `sub` hears an event newer
// than seq `after`: a subscriber connects in the background, so this waits on
// the event itself (what sat in its queue before does not count).
bool AddUntilHeard(DaemonFixture& d, CurveSub& sub, const std::string& prefix, uint64_t after = 0) {
  for (int i = 0; i < 50; ++i) {
    CtlOk(d, {"center", "add", "--id", fmt::format("{}{}", prefix, i), "--name", "新"});
    while (auto e = sub.Next(200ms)) {
      if (e->seq() > after) return true;
    }
  }
  return false;
}

TEST(Security, AnonymousAndUnknownKeysGetNothingFromAnyEndpoint) {
  DaemonFixture d({}, Transport::kCurve);
  d.Start();
  EXPECT_EQ(d.server_key().size(), 40u);
  // No CURVE at all: the handshake never completes, nothing is answered.
  auto anonymous = Call(d, AddCenter("a"), {}, 1500ms);
  EXPECT_FALSE(anonymous.ok()) << "an anonymous client was answered";
  // A well-formed key zhiband was never told about: refused by ZAP.
  auto stranger = net::NewCurveKeys();
  ASSERT_TRUE(stranger.ok());
  auto unknown = Call(d, AddCenter("a"), As(d, *stranger), 1500ms);
  EXPECT_FALSE(unknown.ok()) << "an unknown key was answered";
  CurveReplay replay(d, As(d, *stranger));
  EXPECT_FALSE(replay.Ask(1, 1500ms).has_value()) << "an unknown key got a replay";
  CurveReplay plain_replay(d, {});
  EXPECT_FALSE(plain_replay.Ask(1, 1500ms).has_value()) << "a client without CURVE got a replay";
  CurveSub sub(d, As(d, *stranger));
  CurveSub plain_sub(d, {});
  // A subscriber with a good key, connected beside them: once it hears the
  // bus, they have had the same chance.
  CtlOk(d, {"key", "create", "witness", "--role", "plugin", "--out", d.dir() / "witness.key"});
  CurveSub witness(d, As(d, *net::ReadKeyFile(d.dir() / "witness.key", true)));
  ASSERT_TRUE(AddUntilHeard(d, witness, "c")) << "a good key never heard the bus";
  EXPECT_FALSE(sub.Next(500ms).has_value()) << "an unknown key heard the bus";
  EXPECT_FALSE(plain_sub.Next(500ms).has_value()) << "a client without CURVE heard the bus";
  // Nothing of theirs changed anything: only the local admin's centers exist.
  const auto centers = CtlJson(d, {"center", "list"});  // kept: the loop reads into it
  for (const auto& c : centers["centers"]) {
    EXPECT_NE(c["id"], "a") << "a center from an anonymous or unknown client";
  }
}

TEST(Security, AKeyActsAsItsPrincipalWhateverTheClientClaims) {
  DaemonFixture d({}, Transport::kCurve);
  d.Start();
  const auto ops = MakeKey(d, "ops-dongshi", "operator");
  const auto viewer = MakeKey(d, "board", "viewer");
  EXPECT_EQ(LastAudit(d).actor(), "local") << "keys are made by the local admin";

  v1::CtlRequest add = AddCenter("c1");
  add.mutable_client()->set_user("root\n2026-12-05 00:00:00 admin center_remove OK\x1b[2K");
  add.mutable_client()->set_host("leader-laptop");
  auto r = Call(d, add, As(d, ops));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->has_error()) << r->error().message();
  const auto a = LastAudit(d);
  EXPECT_EQ(a.actor(), "ops-dongshi") << "the principal comes from the key";
  EXPECT_EQ(a.command(), "center_add");
  EXPECT_EQ(a.claimed().find('\n'), std::string::npos) << a.claimed();
  EXPECT_EQ(a.claimed().find('\x1b'), std::string::npos) << a.claimed();
  EXPECT_NE(a.claimed().find("\\x0a"), std::string::npos) << a.claimed();
  auto events = CtlJson(d, {"audit", "list", "--principal", "ops-dongshi"});
  ASSERT_EQ(events["records"].size(), 1u);

  // A viewer reads, and is refused a change with the role it needed; nothing changed.
  v1::CtlRequest status;
  status.mutable_status();
  auto seen = Call(d, status, As(d, viewer));
  ASSERT_TRUE(seen.ok() && !seen->has_error());
  EXPECT_EQ(seen->status().principal(), "board");
  EXPECT_EQ(seen->status().server_public_key(), d.server_key());
  auto refused = Call(d, AddCenter("c2"), As(d, viewer));
  ASSERT_TRUE(refused.ok());
  ASSERT_TRUE(refused->has_error());
  EXPECT_EQ(refused->error().code(), v1::PERMISSION_DENIED);
  EXPECT_NE(
      refused->error().message().find("needs the role operator or admin over the whole network"),
      std::string::npos)
      << refused->error().message();
  EXPECT_NE(refused->error().message().find("board"), std::string::npos);
  EXPECT_NE(d.Ctl({"center", "show", "--id", "c2"}).exit_code, 0)
      << "a refused command changed state";
  const auto denied = LastAudit(d);
  EXPECT_EQ(denied.actor(), "board");
  EXPECT_EQ(denied.code(), v1::PERMISSION_DENIED) << "refusals are audited too";
  // Only an admin makes keys, even an operator cannot.
  v1::CtlRequest k;
  k.mutable_key_list();
  auto keys = Call(d, k, As(d, ops));
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->error().code(), v1::PERMISSION_DENIED);

  // zhibanctl over TCP with its key file and zhiband's public key file.
  auto st = zhiban::test::Run({BinDir() + "/zhibanctl", "--endpoint", d.curve_ctl(), "--key",
                               d.dir() / "board.key", "--server-key", d.data_dir() + "/zhiband.pub",
                               "-o", "json", "status"});
  ASSERT_EQ(st.exit_code, 0) << st.err;
  EXPECT_EQ(nlohmann::json::parse(st.out)["principal"], "board");
}

// Roles scoped to centers, decided per action (docs/OPERATIONS.md,
// "Security"): the demo street (朝阳街道: xingfu, heping, yangguang) and a
// second street (西市), staff acting from keys of their own.
class ScopedRoles : public ::testing::Test {
 protected:
  void SetUp() override {
    d_.Start();
    LoadDemoStreet(d_);
    Ok({"center", "add", "--id", "xishi-street", "--name", "西市街道党群服务中心", "--level",
        "STREET"});
    Ok({"center", "add", "--id", "xishi-a", "--name", "西市甲社区党群服务中心", "--parent",
        "xishi-street", "--level", "COMMUNITY"});
    replay_ = MakeKey(d_, "replay", "plugin");
  }
  void TearDown() override { EXPECT_EQ(d_.Stop(), 0); }

  RunResult Ok(const std::vector<std::string>& args) { return CtlOk(d_, args); }
  // A key of its own for `name`: `--staff name`, or the roles given.
  void Key(const std::string& name, std::vector<std::string> how) {
    std::vector<std::string> args = {"key", "create", name, "--out", d_.dir() / (name + ".key")};
    args.insert(args.end(), how.begin(), how.end());
    Ok(args);
  }
  // zhibanctl over TCP with `key`'s file.
  RunResult As(const std::string& key, std::vector<std::string> args) {
    std::vector<std::string> argv = {BinDir() + "/zhibanctl",
                                     "--endpoint",
                                     d_.curve_ctl(),
                                     "--key",
                                     d_.dir() / (key + ".key"),
                                     "--server-key",
                                     d_.data_dir() + "/zhiband.pub"};
    argv.insert(argv.end(), args.begin(), args.end());
    return zhiban::test::Run(argv);
  }
  std::string LastSeq() { return CtlJson(d_, {"status"})["last_seq"]; }
  // `args` as `key` is refused, naming `needed`, and changes nothing.
  void Refused(const std::string& key, std::vector<std::string> args, const std::string& needed) {
    const std::string before = LastSeq();
    const auto r = As(key, args);
    EXPECT_EQ(r.exit_code, 1) << key << ": " << r.out;
    EXPECT_NE(r.err.find("PERMISSION_DENIED"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(needed), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("nothing was changed"), std::string::npos) << r.err;
    // Timers of the published month may fire meanwhile; nothing of the key's may.
    for (const auto& e :
         d_.EventsAfter(std::stoull(before), net::CurveClient{d_.server_key(), replay_})) {
      EXPECT_NE(e.actor(), key) << key << ": a refused command changed something: " << e.topic();
    }
  }

  DaemonFixture d_{{"--clock", "simulated:2026-01-05T08:00:00+08:00"}, Transport::kCurve};
  net::CurveKeys replay_;  // reads the bus back
};

TEST_F(ScopedRoles, AStreetOperatorSteersItsStreetOnly) {
  Key("ops-chaoyang", {"--role", "operator@chaoyang-street"});
  const auto ok = As("ops-chaoyang", {"center", "update", "--id", "xingfu", "--phone", "010-1"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  Refused("ops-chaoyang", {"center", "update", "--id", "xishi-a", "--phone", "010-2"},
          "operator or admin whose scope holds xishi-a");
  Refused("ops-chaoyang", {"center", "add", "--id", "new-root", "--name", "新街道"},
          "over the whole network");
  // A list without a center shows its street; naming another's is refused.
  const auto centers = As("ops-chaoyang", {"-o", "json", "center", "list"});
  ASSERT_EQ(centers.exit_code, 0) << centers.err;
  std::set<std::string> seen;
  const auto listed = nlohmann::json::parse(centers.out);
  for (const auto& c : listed["centers"]) seen.insert(c["id"].get<std::string>());
  EXPECT_EQ(seen, (std::set<std::string>{"chaoyang-street", "xingfu", "heping", "yangguang"}));
  const auto staff = As("ops-chaoyang", {"-o", "json", "staff", "list"});
  ASSERT_EQ(staff.exit_code, 0) << staff.err;
  EXPECT_EQ(nlohmann::json::parse(staff.out)["staff"].size(), 12u);
  EXPECT_EQ(As("ops-chaoyang", {"rota", "now"}).exit_code, 0);
  EXPECT_EQ(As("ops-chaoyang", {"rota", "now", "--center", "heping"}).exit_code, 0);
  Refused("ops-chaoyang", {"rota", "now", "--center", "xishi-a"}, "whose scope holds xishi-a");
  Key("board-xishi", {"--role", "viewer@xishi-street"});
  const auto other = As("board-xishi", {"-o", "json", "center", "list"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_EQ(nlohmann::json::parse(other.out)["centers"].size(), 2u) << other.out;
  // A center a grant names is not removed (its id reused would inherit the grant).
  Key("board-xishi-a", {"--role", "viewer@xishi-a"});
  const auto kept = d_.Ctl({"center", "remove", "--id", "xishi-a"});
  EXPECT_EQ(kept.exit_code, 1);
  EXPECT_NE(kept.err.find("take the grant first"), std::string::npos) << kept.err;
  const auto nobody = As("board-xishi", {"-o", "json", "staff", "list"});
  EXPECT_EQ(nlohmann::json::parse(nobody.out).value("staff", nlohmann::json::array()).size(), 0u)
      << nobody.out;
  // Keys stay the admin's.
  Refused("ops-chaoyang", {"key", "list"}, "the role admin");

  // It hands on what it holds, within its street, to another key; never to itself.
  Key("ops-xingfu", {"--role", "viewer@xingfu"});
  Refused("ops-xingfu", {"center", "update", "--id", "xingfu", "--phone", "010-3"},
          "operator or admin whose scope holds xingfu");
  const auto granted =
      As("ops-chaoyang", {"grant", "add", "ops-xingfu", "--role", "operator@xingfu"});
  ASSERT_EQ(granted.exit_code, 0) << granted.err;
  EXPECT_NE(granted.out.find("operator@xingfu"), std::string::npos) << granted.out;
  EXPECT_EQ(As("ops-xingfu", {"center", "update", "--id", "xingfu", "--phone", "010-3"}).exit_code,
            0);
  Refused("ops-xingfu", {"center", "update", "--id", "heping", "--phone", "010-4"},
          "whose scope holds heping");
  Refused("ops-chaoyang", {"grant", "add", "ops-xingfu", "--role", "operator@xishi-a"},
          "whose scope holds xishi-a");
  Refused("ops-chaoyang", {"grant", "add", "ops-xingfu", "--role", "auditor@xingfu"},
          "needs the role admin over the whole network");
  Refused("ops-xingfu", {"grant", "add", "ops-xingfu", "--role", "operator@chaoyang-street"},
          "whose scope holds chaoyang-street");
  Refused("ops-chaoyang", {"grant", "add", "ops-chaoyang", "--role", "operator"},
          "over the whole network");
  const auto list =
      As("ops-chaoyang", {"-o", "json", "grant", "list", "--center", "chaoyang-street"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const auto rows = nlohmann::json::parse(list.out)["grants"];
  EXPECT_EQ(rows.size(), 3u) << list.out;  // operator@chaoyang-street, viewer@ and operator@xingfu
  EXPECT_EQ(LastAudit(d_).command(), "grant_add") << "a refused grant is audited too";
  const auto taken =
      As("ops-chaoyang", {"grant", "remove", "ops-xingfu", "--role", "operator@xingfu"});
  EXPECT_EQ(taken.exit_code, 0) << taken.err;
  Refused("ops-xingfu", {"center", "update", "--id", "xingfu", "--phone", "010-5"},
          "whose scope holds xingfu");
}

TEST_F(ScopedRoles, NobodyApprovesTheirOwnSwapOrASiblingsAndTheStreetLeaderDoes) {
  // zhaolei (leads xingfu) asks wangfang (leads the street, covers xingfu)
  // to take a Sunday: both are leaders, so each could "approve" it.
  const std::string sunday = "xingfu/2026-01-11/0900-STAGGERED-0";
  Ok({"rota", "override", "--shift", sunday, "--staff", "zhaolei", "--force"});
  for (const char* who : {"zhaolei", "wangfang", "wuxia", "zhangwei", "linan"})
    Key(who, {"--staff", who});
  Refused("linan", {"rota", "swap", "request", "--shift", sunday, "--to", "wangfang"},
          "staff member zhaolei themselves");
  auto asked = As("zhaolei", {"rota", "swap", "request", "--shift", sunday, "--to", "wangfang",
                              "--id", "sw-1"});
  ASSERT_EQ(asked.exit_code, 0) << asked.err;
  auto accepted = As("wangfang", {"rota", "swap", "accept", "--id", "sw-1", "--by", "wangfang"});
  ASSERT_EQ(accepted.exit_code, 0) << accepted.err;
  Refused("zhaolei", {"rota", "swap", "approve", "--id", "sw-1", "--by", "zhaolei"},
          "leader (not zhaolei or wangfang)");
  Refused("wangfang", {"rota", "swap", "approve", "--id", "sw-1", "--by", "wangfang"},
          "leader (not zhaolei or wangfang)");
  // wuxia leads heping, xingfu's sibling.
  Refused("wuxia", {"rota", "swap", "approve", "--id", "sw-1", "--by", "wuxia"},
          "whose scope holds xingfu");
  // Nor does anyone approve in another's name.
  Refused("wuxia", {"rota", "swap", "approve", "--id", "sw-1", "--by", "zhangwei"},
          "whose scope holds xingfu");
  // The local admin's --by is checked by the same rule.
  const auto self = d_.Ctl({"rota", "swap", "approve", "--id", "sw-1", "--by", "wangfang"});
  EXPECT_EQ(self.exit_code, 1);
  EXPECT_NE(self.err.find("is a party to swap sw-1"), std::string::npos) << self.err;
  auto approved = As("zhangwei", {"rota", "swap", "approve", "--id", "sw-1", "--by", "zhangwei"});
  ASSERT_EQ(approved.exit_code, 0) << approved.err;
  const auto shift = CtlJson(d_, {"rota", "show", "--center", "xingfu", "--date", "2026-01-11"});
  bool taken = false;
  for (const auto& s : shift["shifts"])
    taken |= s["id"] == sunday && s["assignee_id"] == "wangfang";
  EXPECT_TRUE(taken) << shift.dump();
  EXPECT_EQ(LastAudit(d_).actor(), "zhangwei");
}

// Issue 19: 请假申请 through zhibanctl against a real zhiband. The person
// asks (nothing in the rota changes; the reply names the shifts and their
// covers); neither they nor a sibling center's leader may approve; a
// rejection says why; their center's leader approves, which applies the
// leave; a kill -9 right after loses nothing.
TEST_F(ScopedRoles, LeaveIsAskedByThePersonAndDecidedByALeaderOfTheirCenter) {
  // linan works at xingfu and covers heping: zhangwei, who leads the street
  // over both, decides her leave; huangtao leads yangguang.
  std::string shift, day;
  const auto mine = CtlJson(
      d_, {"rota", "show", "--center", "xingfu", "--from", "2026-01-06", "--to", "2026-01-31"});
  for (const auto& s : mine["shifts"]) {
    if (s.value("assignee_id", "") != "linan") continue;
    if (s["date"].get<std::string>() >= "2026-01-06") {
      shift = s["id"];
      day = s["date"];
      break;
    }
  }
  ASSERT_FALSE(shift.empty()) << "linan has no shift in January: " << mine.dump().substr(0, 2000);
  for (const char* who : {"linan", "zhangwei", "huangtao", "sunli"}) Key(who, {"--staff", who});
  const std::string rota_before =
      CtlJson(d_, {"rota", "show", "--center", "xingfu", "--date", day}).dump();
  const uint64_t seq = std::stoull(LastSeq());
  Refused("sunli",
          {"leave", "request", "--staff", "linan", "--kind", "事假", "--from", day, "--id", "x"},
          "staff member linan themselves");
  const auto asked = As("linan", {"-o", "json", "leave", "request", "--staff", "linan", "--kind",
                                  "事假", "--from", day, "--note", "孩子发烧", "--id", "lr-1"});
  ASSERT_EQ(asked.exit_code, 0) << asked.err;
  const auto request = nlohmann::json::parse(asked.out);
  EXPECT_EQ(request["state"], "LEAVE_REQUEST_PENDING") << asked.out;
  bool listed = false;
  for (const auto& c : request["covers"]) {
    listed |= c["shift"]["id"] == shift;
    EXPECT_TRUE(c.contains("kind")) << c.dump();
  }
  EXPECT_TRUE(listed) << shift << " is not among the shifts it opens: " << asked.out;
  // Nothing changed but the request; the leader on duty hears of it.
  EXPECT_EQ(CtlJson(d_, {"rota", "show", "--center", "xingfu", "--date", day}).dump(), rota_before);
  EXPECT_TRUE(CtlJson(d_, {"leave", "list", "--staff", "linan"})
                  .value("leave", nlohmann::json::array())
                  .empty());
  size_t requested = 0;
  for (const auto& e : d_.EventsAfter(seq, net::CurveClient{d_.server_key(), replay_})) {
    if (e.topic() != "leave.requested") continue;
    ++requested;
    EXPECT_EQ(e.leave_requested().leave_request().id(), "lr-1");
    EXPECT_EQ(e.leave_requested().staff().id(), "linan");
    EXPECT_NE(e.leave_requested().leader().id(), "linan");
  }
  EXPECT_EQ(requested, 1u);
  // Not by herself, not by another center's leader.
  Refused("linan", {"leave", "approve", "--id", "lr-1"}, "leader (not linan)");
  Refused("huangtao", {"leave", "approve", "--id", "lr-1"}, "whose scope holds xingfu");
  // A rejection says why (zhibanctl asks for --reason; zhiband refuses an empty one).
  EXPECT_NE(d_.Ctl({"leave", "reject", "--id", "lr-1"}).exit_code, 0);
  const auto empty = As("zhangwei", {"leave", "reject", "--id", "lr-1", "--reason", ""});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.err.find("note"), std::string::npos) << empty.err;
  EXPECT_NE(d_.Ctl({"leave", "approve", "--id", "nope"}).err.find("does not exist"),
            std::string::npos);
  // Approved by her centers' leader: the leave as `leave add` makes it.
  const auto approved =
      As("zhangwei", {"-o", "json", "leave", "approve", "--id", "lr-1", "--note", "好好照顾孩子"});
  ASSERT_EQ(approved.exit_code, 0) << approved.err;
  EXPECT_EQ(nlohmann::json::parse(approved.out)["state"], "LEAVE_REQUEST_APPROVED");
  auto holder = [&] {
    // Kept alive for the loop: a range-for over a temporary's member dangles.
    const auto shown = CtlJson(d_, {"rota", "show", "--center", "xingfu", "--date", day});
    for (const auto& s : shown["shifts"])
      if (s["id"] == shift) return s.value("assignee_id", std::string());
    return std::string("(gone)");
  };
  EXPECT_NE(holder(), "linan");
  EXPECT_EQ(LastAudit(d_).actor(), "zhangwei");
  // Durable before the reply: a kill -9 now loses none of it.
  d_.Kill9();
  d_.Start();
  EXPECT_NE(holder(), "linan");
  const auto requests = CtlJson(d_, {"leave", "requests", "--state", "APPROVED"});
  ASSERT_EQ(requests["leave_requests"].size(), 1u) << requests.dump();
  EXPECT_EQ(requests["leave_requests"][0]["decided_by"], "zhangwei");
  EXPECT_EQ(CtlJson(d_, {"leave", "list", "--staff", "linan"})["leave"][0]["id"], "lr-1");
}

TEST_F(ScopedRoles, AStaffKeyActsForItsHolderOnly) {
  Ok({"resident", "add", "--id", "r1", "--name", "王奶奶", "--center", "xingfu", "--address",
      "幸福路8号3栋", "--categories", "ELDERLY_ALONE", "--tier", "HIGH_RISK", "--basis",
      "STATUTORY_DUTY", "--location", "39.927,116.449"});
  const auto v =
      CtlJson(d_, {"visit", "request", "--id", "v1", "--resident", "r1", "--service", "care-visit",
                   "--window", "2026-01-05T10:00:00+08:00/2026-01-05T12:00:00+08:00"});
  const std::string who = v["assignee_id"];
  ASSERT_FALSE(who.empty()) << v.dump();
  const std::string other = who == "linan" ? "sunli" : "linan";
  Key(who, {"--staff", who});
  Key(other, {"--staff", other});
  Refused(other, {"visit", "accept", "--id", "v1", "--staff", who},
          "staff member " + who + " themselves");
  Refused(other, {"rota", "checkin", "--staff", who}, "staff member " + who + " themselves");
  Refused(other, {"visit", "cancel", "--id", "v1", "--reason", "不需要了"},
          "operator or admin whose scope holds xingfu");
  const auto accepted = As(who, {"visit", "accept", "--id", "v1", "--staff", who});
  EXPECT_EQ(accepted.exit_code, 0) << accepted.err;
  EXPECT_EQ(LastAudit(d_).actor(), who);
  // A staff member with a key of theirs is not removed (nor their id reused) until it is revoked.
  const auto stays = d_.Ctl({"staff", "remove", "--id", other});
  EXPECT_EQ(stays.exit_code, 1);
  EXPECT_NE(stays.err.find("revoke it first"), std::string::npos) << stays.err;
  // A staff key makes no keys.
  Refused(who, {"key", "create", "mine", "--role", "admin", "--out", d_.dir() / "mine.key"},
          "the role admin");
}

// Events name people; how to reach them is asked of zhiband by a notifier's
// own key, for an event it serves, and every lookup is audited (issue 35).
TEST_F(ScopedRoles, OnlyAPluginKeyLearnsHowToReachStaffAndEveryLookupIsAudited) {
  Key("sms", {"--role", "plugin"});
  Key("sms-xishi", {"--role", "plugin@xishi-street"});
  Key("ops-chaoyang", {"--role", "operator@chaoyang-street"});
  Key("viewer", {"--role", "viewer"});
  const std::string seq = LastSeq();
  const auto got =
      As("sms", {"-o", "json", "staff", "contacts", "linan", "zhangwei", "--event", seq});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  const auto contacts = nlohmann::json::parse(got.out)["contacts"];
  ASSERT_EQ(contacts.size(), 2u) << got.out;
  EXPECT_EQ(contacts[0]["staff_id"], "linan");
  EXPECT_EQ(contacts[0]["phone"], "13800000004");
  EXPECT_EQ(contacts[0]["wecom_user_id"], "linan");
  EXPECT_EQ(contacts[0]["preferred"], "CONTACT_WECOM");
  EXPECT_EQ(contacts[1]["phone"], "13800000001");

  // Other roles, and a plugin key of another street, learn nothing.
  for (const char* key : {"viewer", "ops-chaoyang"}) {
    const auto r = As(key, {"staff", "contacts", "linan", "--event", seq});
    EXPECT_EQ(r.exit_code, 1) << key << ": " << r.out;
    EXPECT_NE(r.err.find("PERMISSION_DENIED"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("needs the role plugin or admin"), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("13800000004"), std::string::npos) << r.out;
  }
  const auto other = As("sms-xishi", {"staff", "contacts", "linan", "--event", seq});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("plugin or admin whose scope holds"), std::string::npos) << other.err;
  // A lookup names a stored event as its purpose.
  const auto future = As("sms", {"staff", "contacts", "linan", "--event", "999999"});
  EXPECT_EQ(future.exit_code, 1);
  EXPECT_NE(future.err.find("event_seq"), std::string::npos) << future.err;

  // Each lookup, answered or refused, is in the audit log under the key that
  // asked, with the event it served.
  const auto audit = CtlJson(d_, {"audit", "list", "--principal", "sms"});
  int answered = 0;
  for (const auto& a : audit["records"]) {
    if (a["command"] != "contact_query") continue;
    if (a["code"] == "ERROR_CODE_UNSPECIFIED") {
      ++answered;
      EXPECT_EQ(a["target"], "linan,zhangwei for event " + seq);
      EXPECT_EQ(a["message"], "read the contacts of 2 staff for event " + seq);
    }
  }
  EXPECT_EQ(answered, 1) << audit.dump();
  const auto refused = CtlJson(d_, {"audit", "list", "--principal", "viewer"});
  ASSERT_FALSE(refused["records"].empty());
  EXPECT_EQ(refused["records"][0]["command"], "contact_query");
  EXPECT_EQ(refused["records"][0]["code"], "PERMISSION_DENIED");
  EXPECT_EQ(refused["records"][0]["target"], "linan for event " + seq);
  // The zhibanctl of the audit list says it too.
  const auto text = Ok({"audit", "list", "--principal", "sms"});
  EXPECT_NE(text.out.find("contact_query"), std::string::npos) << text.out;
}

TEST(Security, ARevokedKeyIsCutOffOnCtlPubAndReplay) {
  DaemonFixture d({}, Transport::kCurve);
  d.Start();
  const auto ops = MakeKey(d, "ops", "operator");
  const auto plugin = MakeKey(d, "sms-plugin", "plugin");
  const auto other = MakeKey(d, "wecom-plugin", "plugin");

  client::CtlClient ctl(d.zmq(), d.curve_ctl(), 10s, As(d, ops));
  v1::CtlRequest c1 = AddCenter("c1"), c3 = AddCenter("c3");
  auto first = ctl.Call(c1);
  ASSERT_TRUE(first.ok() && !first->has_error());
  CurveReplay replay(d, As(d, plugin));
  auto before = replay.Ask(1);
  ASSERT_TRUE(before.has_value());
  EXPECT_FALSE(before->has_error()) << "the plugin replays while its key is good";
  CurveSub revoked_sub(d, As(d, plugin));
  CurveSub other_sub(d, As(d, other));
  ASSERT_TRUE(AddUntilHeard(d, revoked_sub, "p")) << "the plugin heard the bus before";
  ASSERT_TRUE(AddUntilHeard(d, other_sub, "o"));

  CtlOk(d, {"key", "revoke", "ops", "--reason", "left the job"});
  CtlOk(d, {"key", "revoke", "sms-plugin", "--reason", "rotated"});
  // Events up to the revocation itself may already sit in the subscriber's
  // queue; nothing after it may reach it.
  const uint64_t revoked_at = std::stoull(CtlJson(d, {"status"})["last_seq"].get<std::string>());
  // ctl: the same connection is refused from its next request, naming the revocation.
  auto after = ctl.Call(c3);
  ASSERT_TRUE(after.ok());
  ASSERT_TRUE(after->has_error());
  EXPECT_EQ(after->error().code(), v1::PERMISSION_DENIED);
  EXPECT_NE(after->error().message().find("was revoked"), std::string::npos)
      << after->error().message();
  // replay: the open connection's next request is refused.
  auto refused = replay.Ask(1);
  ASSERT_TRUE(refused.has_value()) << "replay said nothing to a revoked key (it should say why)";
  EXPECT_EQ(refused->error().code(), v1::PERMISSION_DENIED);
  // pub: every subscriber was cut off; the revoked one cannot come back, the other does.
  EXPECT_TRUE(AddUntilHeard(d, other_sub, "n", revoked_at))
      << "a good key reconnected after the cut";
  uint64_t newest_heard = 0;
  while (auto e = revoked_sub.Next(1500ms)) newest_heard = std::max(newest_heard, e->seq());
  EXPECT_LE(newest_heard, revoked_at) << "a revoked key still hears the bus";
  auto listed = CtlJson(d, {"key", "list", "--all"});
  ASSERT_EQ(listed["keys"].size(), 3u);
  EXPECT_EQ(CtlJson(d, {"key", "list"})["keys"].size(), 1u) << "revoked keys are hidden by default";
  // And the revoked key stays out after a restart.
  d.Stop();
  d.Start();
  auto again = Call(d, AddCenter("c4"), As(d, ops), 1500ms);
  EXPECT_FALSE(again.ok()) << "a revoked key was let in after a restart";
}

// PROTOCOL.md "Authentication" is enough for another language: the Python
// example follows the bus under CURVE with its plugin key.
TEST(Security, ThePythonExampleFollowsTheBusWithItsKey) {
  DaemonFixture d({}, Transport::kCurve);
  d.Start();
  MakeKey(d, "py", "plugin");
  CtlOk(d, {"center", "add", "--id", "c1", "--name", "一"});
  CtlOk(d, {"center", "add", "--id", "c2", "--name", "二"});
  const auto last = CtlJson(d, {"status"})["last_seq"].get<std::string>();
  auto r = zhiban::test::Run(
      {"/usr/bin/python3",
       std::string(ZHIBAN_SOURCE_DIR) + "/plugins/examples/python/subscriber.py", "--pub", d.pub(),
       "--replay", d.replay(), "--key", d.dir() / "py.key", "--server-key",
       d.data_dir() + "/zhiband.pub", "--cache", d.dir() / "py", "--until-seq", last});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("center.added"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" c2"), std::string::npos) << r.out;
}

TEST(Security, ExposedPlainSocketsAndLooseIpcDirectoriesAreRefusedAtStart) {
  TempDir dir;
  const std::string data = dir / "data";
  auto exposed = zhiban::test::Run({BinDir() + "/zhiband", "--data-dir", data, "--no-curve",
                                    "--ctl", fmt::format("tcp://0.0.0.0:{}", FreeTcpPort()),
                                    "--pub", "ipc://" + (dir / "p.sock"), "--replay",
                                    "ipc://" + (dir / "r.sock"), "--http", "127.0.0.1:0"});
  EXPECT_EQ(exposed.exit_code, 1);
  EXPECT_NE(exposed.err.find("security.curve = false"), std::string::npos) << exposed.err;
  EXPECT_NE(exposed.err.find("ctl.endpoint"), std::string::npos) << exposed.err;

  std::filesystem::create_directories(dir / "open");
  std::filesystem::permissions(dir / "open", std::filesystem::perms(0755));
  auto loose =
      zhiban::test::Run({BinDir() + "/zhiband", "--data-dir", data, "--ctl",
                         "ipc://" + (dir / "open/ctl.sock"), "--pub", "ipc://" + (dir / "p.sock"),
                         "--replay", "ipc://" + (dir / "r.sock"), "--http", "127.0.0.1:0"});
  EXPECT_EQ(loose.exit_code, 1);
  EXPECT_NE(loose.err.find("must be owner-only"), std::string::npos) << loose.err;
}

// A data dir from before keys (no `keys` column family, plain TCP) starts
// with CURVE on, keeps its events, says how to make the first admin key, and
// the first key made through the local admin socket works over TCP.
TEST(Security, ADataDirFromBeforeKeysStartsKeepsItsEventsAndSaysHowIn) {
  DaemonFixture before({}, Transport::kTcp);  // plain loopback TCP, as zhiband was
  before.Start();
  CtlOk(before, {"center", "add", "--id", "c1", "--name", "幸福社区"});
  const auto old_events = before.EventsAfter(0);
  ASSERT_FALSE(old_events.empty());
  ASSERT_EQ(before.Stop(), 0);
  {
    // Take the data dir back to the schema before keys: no `keys` family.
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies({}, before.data_dir(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const auto& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open({}, before.data_dir(), families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    bool dropped = false;
    for (auto* h : handles) {
      if (h->GetName() == "keys") dropped = db->DropColumnFamily(h).ok();
    }
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(dropped) << "the keys family was not there to drop";
  }

  DaemonFixture after({}, Transport::kCurve);
  after.UseDataDir(before.data_dir());
  after.Start();
  std::ifstream log_file(after.log());
  const std::string log((std::istreambuf_iterator<char>(log_file)), {});
  EXPECT_NE(log.find("no client keys yet"), std::string::npos) << log;
  EXPECT_NE(log.find("key create admin --role admin"), std::string::npos) << log;
  // The documented way in: the first admin key through the local admin socket.
  const auto admin = MakeKey(after, "admin", "admin");
  const auto events = after.EventsAfter(0, As(after, admin));
  ASSERT_GE(events.size(), old_events.size());
  for (size_t i = 0; i < old_events.size(); ++i) {
    EXPECT_EQ(events[i].SerializeAsString(), old_events[i].SerializeAsString()) << i;
  }
  auto st = Call(
      after,
      [] {
        v1::CtlRequest r;
        r.mutable_status();
        return r;
      }(),
      As(after, admin));
  ASSERT_TRUE(st.ok() && !st->has_error());
  EXPECT_EQ(st->status().principal(), "admin");
}

}  // namespace
}  // namespace zhiban::test
