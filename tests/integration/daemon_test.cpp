// The real zhiband, real RocksDB, real ZeroMQ: driven through zhibanctl, raw
// sockets and the client library's subscriber.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "clients/lib/subscriber.h"
#include "daemon/base/utf8.h"
#include "tests/support/process.h"
#include "tests/support/source.h"
#include "zhiban/v1/bus.pb.h"

namespace zhiban::test {
namespace {

using nlohmann::json;

v1::CtlRequest AddCenterRequest(const std::string& id, const std::string& parent = "") {
  v1::CtlRequest r;
  auto* c = r.mutable_center_add()->mutable_center();
  c->set_id(id);
  c->set_name("中心" + id);
  c->set_parent_id(parent);
  return r;
}

v1::CtlRequest AddStaff(const std::string& id, const std::string& center) {
  v1::CtlRequest r;
  auto* s = r.mutable_staff_add()->mutable_staff();
  s->set_id(id);
  s->set_name("张伟");
  s->set_center_id(center);
  s->add_roles(v1::WORKER);
  return r;
}

// Call() takes a mutable request (it stamps id and client); this lets a test pass a temporary.
v1::CtlRequest& Req(v1::CtlRequest&& r) { return r; }

// Sends a request that must succeed.
v1::CtlReply Do(DaemonFixture& d, v1::CtlRequest req) {
  auto r = d.client().Call(req);
  EXPECT_TRUE(r.ok()) << r.status().message();
  if (!r.ok()) return {};
  EXPECT_FALSE(r->has_error()) << r->error().message();
  return *r;
}

// Every stored event, by replay from seq 1.
std::vector<v1::Event> ReplayAll(DaemonFixture& d) {
  client::SubscriberOptions o;
  o.pub_endpoint = d.pub();
  o.replay_endpoint = d.replay();
  client::Subscriber sub(d.zmq(), o);
  std::vector<v1::Event> out;
  Status s = sub.Run(1, false, [&](const v1::Event& e) {
    out.push_back(e);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

class Daemon : public ::testing::Test {
 protected:
  // base_: the seq after start-up (the bundled national calendars are events too).
  void SetUp() override {
    d_.Start();
    base_ = d_.LastSeq();
  }
  // A clean exit; under ASan/UBSan that also means no leak or UB report.
  void TearDown() override { EXPECT_EQ(d_.Stop(), 0) << "zhiband log:\n" << Slurp(d_.log()); }
  DaemonFixture d_;
  uint64_t base_ = 0;
};

TEST(DaemonBus, CreatedCenterArrivesOnTheBusWithSeq1) {
  // A data dir with nothing in it: no bundled calendars either.
  TempDir cfg_dir;
  std::ofstream(cfg_dir / "empty.toml") << "[calendar]\nload_bundled = false\n";
  DaemonFixture d_({"--config", cfg_dir / "empty.toml"});
  d_.Start();
  zmq::socket_t sub(d_.zmq(), zmq::socket_type::sub);
  sub.set(zmq::sockopt::subscribe, "");
  sub.connect(d_.pub());
  // The first heartbeat proves the subscription is live (no slow-joiner race).
  std::vector<zmq::message_t> frames;
  sub.set(zmq::sockopt::rcvtimeo, 10000);
  ASSERT_TRUE(zmq::recv_multipart(sub, std::back_inserter(frames)));
  ASSERT_EQ(frames[0].to_string(), "bus.heartbeat");

  auto reply = d_.client().Call(Req(AddCenterRequest("street-1")));
  ASSERT_TRUE(reply.ok());
  ASSERT_FALSE(reply->has_error()) << reply->error().message();
  EXPECT_EQ(reply->first_seq(), 1u);
  for (;;) {
    frames.clear();
    ASSERT_TRUE(zmq::recv_multipart(sub, std::back_inserter(frames)));
    if (frames[0].to_string() != "bus.heartbeat") break;
  }
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].to_string(), "center.added");
  v1::Event e;
  ASSERT_TRUE(e.ParseFromArray(frames[1].data(), static_cast<int>(frames[1].size())));
  EXPECT_EQ(e.seq(), 1u);
  EXPECT_EQ(e.topic(), "center.added");
  EXPECT_EQ(e.center_added().center().id(), "street-1");
  EXPECT_FALSE(e.id().empty());
}

// An import's events go out as runs: [topic]["run"][EventRun], up to 256
// events a message, consecutive seqs, every one of the message's topic; the
// command before it is one event, two frames, as always.
TEST(DaemonBus, AnImportsEventsArriveAsRunsOfOneTopic) {
  TempDir cfg_dir;
  std::ofstream(cfg_dir / "empty.toml") << "[calendar]\nload_bundled = false\n";
  DaemonFixture d({"--config", cfg_dir / "empty.toml"});
  d.Start();
  zmq::socket_t sub(d.zmq(), zmq::socket_type::sub);
  sub.set(zmq::sockopt::subscribe, "");
  sub.set(zmq::sockopt::rcvtimeo, 10000);
  sub.connect(d.pub());
  std::vector<zmq::message_t> frames;
  ASSERT_TRUE(zmq::recv_multipart(sub, std::back_inserter(frames)));  // a heartbeat: live
  Do(d, AddCenterRequest("street"));
  std::string csv = "id,name,center_id,roles\n";
  for (int i = 0; i < 600; ++i) csv += fmt::format("s{:03},员工{},street,WORKER\n", i, i);
  std::ofstream(d.dir() / "staff.csv") << csv;
  ASSERT_EQ(d.Ctl({"import", "staff", d.dir() / "staff.csv"}).exit_code, 0);

  std::vector<size_t> run_sizes;
  uint64_t next = 1;
  while (next <= 601) {
    frames.clear();
    ASSERT_TRUE(zmq::recv_multipart(sub, std::back_inserter(frames))) << "waiting for " << next;
    if (frames[0].to_string() == "bus.heartbeat") continue;
    std::vector<v1::Event> events;
    ASSERT_TRUE(client::AppendBusEvents(frames, events));
    ASSERT_EQ(frames.size(), events.size() == 1 ? 2u : 3u);
    for (const v1::Event& e : events) {
      EXPECT_EQ(e.seq(), next++);
      EXPECT_EQ(e.topic(), frames[0].to_string());
    }
    run_sizes.push_back(events.size());
  }
  EXPECT_EQ(run_sizes, (std::vector<size_t>{1, 256, 256, 88}));
  // Not zhiban's: nothing decoded.
  std::vector<v1::Event> none;
  std::vector<zmq::message_t> odd;
  odd.emplace_back(std::string_view("staff.added"));
  odd.emplace_back(std::string_view("walk"));
  odd.emplace_back(std::string_view("x"));
  EXPECT_FALSE(client::AppendBusEvents(odd, none));
  odd[1] = zmq::message_t(std::string_view("run"));
  odd[2] = zmq::message_t(std::string_view("\x0a\x05zz", 4));  // a field longer than the frame
  EXPECT_FALSE(client::AppendBusEvents(odd, none));
  EXPECT_TRUE(none.empty());
}

TEST_F(Daemon, ZhibanctlManagesCentersAndStaff) {
  auto r = d_.Ctl(
      {"center", "add", "--id", "street", "--name", "朝阳街道党群服务中心", "--level", "STREET"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = d_.Ctl({"center", "add", "--id", "c1", "--name", "幸福社区", "--parent", "street", "--lat",
              "39.9", "--lon", "116.4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = d_.Ctl({"staff", "add", "--id", "s1", "--name", "李娜", "--center", "c1", "--roles",
              "WORKER,LEADER", "--skills", "social-security,medical", "--phone", "13800001111",
              "--wecom", "lina"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  r = d_.Ctl({"-o", "json", "staff", "show", "--id", "s1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto s = json::parse(r.out);
  EXPECT_EQ(s["name"], "李娜");
  EXPECT_EQ(s["roles"], json::array({"WORKER", "LEADER"}));
  EXPECT_EQ(s["wecom_user_id"], "lina");

  r = d_.Ctl({"staff", "update", "--id", "s1", "--center", "street", "--cover", "c1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = d_.Ctl({"-o", "json", "staff", "list", "--center", "street"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(json::parse(r.out)["staff"][0]["cover_center_ids"], json::array({"c1"}));
  EXPECT_EQ(json::parse(r.out)["staff"][0]["skills"].size(), 2u) << "update keeps unnamed fields";

  // Employment type (in Chinese or by name) and years of service are set,
  // shown, and checked; a wrong one is refused before anything is sent.
  r = d_.Ctl(
      {"staff", "update", "--id", "s1", "--employment", "两委", "--work-since", "2003-07-01"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = d_.Ctl({"-o", "json", "staff", "show", "--id", "s1"});
  EXPECT_EQ(json::parse(r.out)["employment"], "ELECTED_CADRE") << r.out;
  const auto table = d_.Ctl({"staff", "show", "--id", "s1"});
  EXPECT_NE(table.out.find("两委"), std::string::npos) << "in Chinese, no enum\n" << table.out;
  EXPECT_EQ(table.out.find("ELECTED_CADRE"), std::string::npos) << table.out;
  EXPECT_EQ(json::parse(r.out)["work_since"], "2003-07-01") << r.out;
  EXPECT_EQ(json::parse(r.out)["cover_center_ids"], json::array({"c1"})) << "kept";
  r = d_.Ctl({"staff", "update", "--id", "s1", "--employment", "实习生"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("VOLUNTEER_SERVICE"), std::string::npos) << r.err;
  r = d_.Ctl({"staff", "update", "--id", "s1", "--work-since", "2003-02-30"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("work_since"), std::string::npos) << r.err;
  r = d_.Ctl({"-o", "json", "staff", "show", "--id", "s1"});
  EXPECT_EQ(json::parse(r.out)["work_since"], "2003-07-01") << "a refused update changed nothing";

  // Rest days (错时: Monday and Tuesday), shown in Chinese; three are refused.
  r = d_.Ctl({"staff", "update", "--id", "s1", "--rest-days", "周一,周二"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = d_.Ctl({"staff", "show", "--id", "s1"});
  EXPECT_NE(r.out.find("固定：周一、周二"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("REST_WEEK"), std::string::npos) << "no enum in the table\n" << r.out;
  r = d_.Ctl({"staff", "update", "--id", "s1", "--rest-days", "mon,tue,wed"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--rest-days: \"mon,tue,wed\" names 3 weekdays"), std::string::npos)
      << r.err;
  r = d_.Ctl({"-o", "json", "staff", "show", "--id", "s1"});
  EXPECT_EQ(json::parse(r.out)["rest_weekdays"], json::array({1, 2})) << r.out;

  r = d_.Ctl({"-o", "json", "center", "list"});
  ASSERT_EQ(r.exit_code, 0);
  auto centers = json::parse(r.out)["centers"];
  ASSERT_EQ(centers.size(), 2u);
  EXPECT_EQ(centers[0]["id"], "c1");
  EXPECT_EQ(centers[1]["level"], "STREET");

  r = d_.Ctl({"center", "remove", "--id", "c1"});
  EXPECT_EQ(r.exit_code, 1) << "still covered by s1";
  EXPECT_NE(r.err.find("FAILED_PRECONDITION"), std::string::npos) << r.err;
  ASSERT_EQ(d_.Ctl({"staff", "remove", "--id", "s1"}).exit_code, 0);
  ASSERT_EQ(d_.Ctl({"center", "remove", "--id", "c1"}).exit_code, 0);

  r = d_.Ctl({"-o", "json", "status"});
  ASSERT_EQ(r.exit_code, 0);
  auto st = json::parse(r.out);
  // uint64 prints as a string in proto JSON; the refused remove and the
  // refused updates made no event, the employment and rest-day updates one each.
  EXPECT_EQ(st["last_seq"], std::to_string(base_ + 8));
  EXPECT_EQ(st["clock_mode"], "REAL");
  EXPECT_EQ(st["centers"], 1);

  r = d_.Ctl({"events", "tail", "--from", std::to_string(base_ + 1), "--topic", "staff."});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("staff.added"), std::string::npos);
  EXPECT_NE(r.out.find("staff.removed"), std::string::npos);
  EXPECT_EQ(r.out.find("center.added"), std::string::npos);

  r = d_.Ctl({"audit", "list", "--limit", "3"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("center_remove"), std::string::npos);

  r = d_.Ctl({"-o", "json", "center", "show", "--id", "ghost"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(json::parse(r.err)["error"]["code"], "NOT_FOUND");
}

TEST_F(Daemon, BadInputGetsAnErrorAndChangesNothing) {
  ASSERT_FALSE(d_.client().Call(Req(AddCenterRequest("street")))->has_error());
  ASSERT_FALSE(d_.client().Call(Req(AddCenterRequest("c1", "street")))->has_error());
  ASSERT_FALSE(d_.client().Call(Req(AddStaff("s1", "c1")))->has_error());
  const uint64_t before = d_.LastSeq();

  auto error_of = [&](const std::string& body) {
    auto raw = d_.client().CallRaw(body);
    EXPECT_TRUE(raw.ok()) << raw.status().message();
    v1::CtlReply reply;
    EXPECT_TRUE(reply.ParseFromString(raw.ok() ? *raw : ""));
    EXPECT_TRUE(reply.has_error());
    return reply.error();
  };
  auto error_of_req = [&](v1::CtlRequest req) {
    auto r = d_.client().Call(req);
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(r->has_error());
    return r->error();
  };

  EXPECT_EQ(error_of("\x01\x02garbage\xff").code(), v1::INVALID_ARGUMENT);
  v1::Event wrong_type;
  wrong_type.set_seq(9);
  wrong_type.set_topic("center.added");
  EXPECT_EQ(error_of(wrong_type.SerializeAsString()).code(), v1::INVALID_ARGUMENT);
  auto big = error_of(std::string(10 << 20, 'x'));
  EXPECT_EQ(big.code(), v1::RESOURCE_EXHAUSTED);
  EXPECT_NE(big.message().find("10485760"), std::string::npos) << big.message();

  v1::CtlRequest bad_role = AddStaff("s2", "c1");
  bad_role.mutable_staff_add()->mutable_staff()->set_roles(0, static_cast<v1::Role>(99));
  EXPECT_EQ(error_of_req(bad_role).field(), "staff.roles");
  v1::CtlRequest bad_level = AddCenterRequest("c2", "street");
  bad_level.mutable_center_add()->mutable_center()->set_level(static_cast<v1::CenterLevel>(42));
  EXPECT_EQ(error_of_req(bad_level).field(), "center.level");
  v1::CtlRequest no_name = AddCenterRequest("c3");
  no_name.mutable_center_add()->mutable_center()->clear_name();
  EXPECT_EQ(error_of_req(no_name).field(), "center.name");
  v1::CtlRequest empty;
  empty.mutable_center_add();
  EXPECT_EQ(error_of_req(empty).field(), "center.id");
  // Text that could forge a line where it is shown (issue 37).
  v1::CtlRequest forged = AddCenterRequest("c4");
  forged.mutable_center_add()->mutable_center()->set_name("中心\n[fake] #1 伪造通知");
  const v1::Error forged_error = error_of_req(forged);
  EXPECT_EQ(forged_error.field(), "center.name");
  EXPECT_EQ(forged_error.message().find('\n'), std::string::npos) << forged_error.message();
  forged.mutable_center_add()->mutable_center()->set_name(
      "中心\xe2\x80\xae"
      "知通");
  EXPECT_EQ(error_of_req(forged).code(), v1::INVALID_ARGUMENT);

  v1::CtlRequest show;
  show.mutable_staff_show()->set_id("ghost");
  EXPECT_EQ(error_of_req(show).code(), v1::NOT_FOUND);
  v1::CtlRequest rm;
  rm.mutable_staff_remove()->set_id("ghost");
  EXPECT_EQ(error_of_req(rm).code(), v1::NOT_FOUND);
  v1::CtlRequest cycle;
  cycle.mutable_center_update()->mutable_center()->set_id("street");
  cycle.mutable_center_update()->mutable_center()->set_parent_id("c1");
  cycle.mutable_center_update()->mutable_update_mask()->add_paths("parent_id");
  auto e = error_of_req(cycle);
  EXPECT_EQ(e.field(), "center.parent_id");
  EXPECT_NE(e.message().find("cycle"), std::string::npos);
  v1::CtlRequest busy;
  busy.mutable_center_remove()->set_id("c1");
  EXPECT_EQ(error_of_req(busy).code(), v1::FAILED_PRECONDITION);

  // A bare DEALER frame without the empty delimiter still gets an answer.
  {
    zmq::socket_t dealer(d_.zmq(), zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::rcvtimeo, 10000);
    dealer.connect(d_.ctl());
    dealer.send(zmq::str_buffer("no delimiter"));
    std::vector<zmq::message_t> frames;
    ASSERT_TRUE(zmq::recv_multipart(dealer, std::back_inserter(frames)));
    v1::CtlReply reply;
    ASSERT_TRUE(reply.ParseFromArray(frames.back().data(), static_cast<int>(frames.back().size())));
    EXPECT_NE(reply.error().message().find("delimiter"), std::string::npos);
  }
  // Garbage to the replay endpoint too.
  {
    zmq::socket_t dealer(d_.zmq(), zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::rcvtimeo, 10000);
    dealer.connect(d_.replay());
    dealer.send(zmq::message_t(), zmq::send_flags::sndmore);
    dealer.send(zmq::str_buffer("\xff\xff not a replay request"));
    std::vector<zmq::message_t> frames;
    ASSERT_TRUE(zmq::recv_multipart(dealer, std::back_inserter(frames)));
    v1::ReplayReply reply;
    ASSERT_TRUE(reply.ParseFromArray(frames.back().data(), static_cast<int>(frames.back().size())));
    EXPECT_TRUE(reply.has_error());
  }
  // An oversized replay request is answered, not dropped (it once was, over 256 KiB).
  for (size_t size : {size_t{100} << 10, size_t{1} << 20}) {
    zmq::socket_t dealer(d_.zmq(), zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::rcvtimeo, 10000);
    dealer.connect(d_.replay());
    v1::ReplayRequest oversized;
    oversized.add_topic_prefixes(std::string(size, 'x'));
    dealer.send(zmq::message_t(), zmq::send_flags::sndmore);
    dealer.send(zmq::buffer(oversized.SerializeAsString()));
    std::vector<zmq::message_t> frames;
    ASSERT_TRUE(zmq::recv_multipart(dealer, std::back_inserter(frames))) << size << " bytes";
    v1::ReplayReply reply;
    ASSERT_TRUE(reply.ParseFromArray(frames.back().data(), static_cast<int>(frames.back().size())));
    EXPECT_EQ(reply.error().code(), v1::RESOURCE_EXHAUSTED) << size;
  }

  EXPECT_EQ(d_.LastSeq(), before) << "no bad request changed anything";
  auto ok = d_.client().Call(Req(AddCenterRequest("c9", "street")));
  ASSERT_TRUE(ok.ok());
  EXPECT_FALSE(ok->has_error()) << "and the daemon keeps serving";
  EXPECT_EQ(ok->first_seq(), before + 1);
}

TEST_F(Daemon, KillDashNineLosesNoAcknowledgedCommand) {
  constexpr int kWriters = 3;
  std::mutex mu;
  std::condition_variable cv;
  std::set<std::string> acked;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      zmq::context_t ctx(1);
      client::CtlClient c(ctx, d_.ctl(), std::chrono::milliseconds(3000));
      for (int i = 0; !stop; ++i) {
        std::string id = fmt::format("w{}-{}", w, i);
        auto req = AddCenterRequest(id);
        auto r = c.Call(req);
        if (!r.ok()) break;  // the daemon is gone
        ASSERT_FALSE(r->has_error()) << r->error().message();
        std::lock_guard lock(mu);
        acked.insert(id);
        cv.notify_all();
      }
    });
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return acked.size() >= 600; }));
  }
  d_.Kill9();  // mid-stream: writers have requests in flight
  stop = true;
  for (auto& t : writers) t.join();

  d_.Start();
  auto events = ReplayAll(d_);
  const uint64_t last = d_.LastSeq();
  ASSERT_EQ(events.size(), last);
  std::set<std::string> stored;
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].seq(), i + 1) << "no gap, no repeat";
    stored.insert(events[i].center_added().center().id());
  }
  for (const auto& id : acked) EXPECT_TRUE(stored.count(id)) << id << " was acknowledged but lost";
  EXPECT_GE(stored.size(), acked.size());
  auto next = d_.client().Call(Req(AddCenterRequest("after-restart")));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->first_seq(), last + 1);
}

TEST_F(Daemon, LateSubscriberCatchesUpThenFollows) {
  for (int i = 0; i < 50; ++i) Do(d_, AddCenterRequest(fmt::format("a{}", i)));
  std::mutex mu;
  std::condition_variable cv;
  std::vector<uint64_t> seqs;
  std::atomic<bool> stop{false};
  client::SubscriberOptions o;
  o.pub_endpoint = d_.pub();
  o.replay_endpoint = d_.replay();
  std::thread t([&] {
    zmq::context_t ctx(1);
    client::Subscriber sub(ctx, o);
    Status s = sub.Run(
        base_ + 1, true,
        [&](const v1::Event& e) {
          std::lock_guard lock(mu);
          seqs.push_back(e.seq());
          cv.notify_all();
          return true;
        },
        &stop);
    EXPECT_TRUE(s.ok()) << s.ToString();
  });
  for (int i = 0; i < 50; ++i) Do(d_, AddCenterRequest(fmt::format("b{}", i)));
  {
    std::unique_lock lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return seqs.size() >= 100; }));
  }
  stop = true;
  t.join();
  ASSERT_EQ(seqs.size(), 100u);
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], base_ + i + 1);
}

TEST(DaemonDurability, SigtermExitsCleanlyAndKeepsEverything) {
  DaemonFixture d;
  d.Start();
  const uint64_t base = d.LastSeq();
  Do(d, AddCenterRequest("street"));
  EXPECT_EQ(d.Stop(), 0);
  d.Start();
  EXPECT_EQ(d.LastSeq(), base + 1);
}

TEST(DaemonBus, DroppedLiveEventsAreRecoveredByReplay) {
  TempDir cfg_dir;
  std::string cfg = cfg_dir / "tiny-hwm.toml";
  std::ofstream(cfg) << "[bus]\npub_hwm = 10\n";
  DaemonFixture tiny({"--config", cfg});
  tiny.Start();
  Do(tiny, AddCenterRequest("street"));

  std::mutex mu;
  std::condition_variable cv;
  bool import_done = false;
  std::vector<uint64_t> seqs;
  client::SubscriberOptions o;
  o.pub_endpoint = tiny.pub();
  o.replay_endpoint = tiny.replay();
  o.rcvhwm = 10;
  client::SubscriberStats stats;
  constexpr int kStaff = 20000;
  std::thread t([&] {
    zmq::context_t ctx(1);
    client::Subscriber sub(ctx, o);
    Status s = sub.Run(1, true, [&](const v1::Event& e) {
      std::unique_lock lock(mu);
      // Hold the first event until the burst is published: the tiny queues overflow.
      cv.wait(lock, [&] { return import_done; });
      seqs.push_back(e.seq());
      return seqs.size() < kStaff + 1;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    stats = sub.stats();
  });
  std::string csv = "id,name,center_id,roles\n";
  for (int i = 0; i < kStaff; ++i) csv += fmt::format("s{},员工{},street,WORKER\n", i, i);
  std::ofstream(tiny.dir() / "staff.csv") << csv;
  auto r = tiny.Ctl({"import", "staff", tiny.dir() / "staff.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  {
    std::lock_guard lock(mu);
    import_done = true;
  }
  cv.notify_all();
  t.join();
  ASSERT_EQ(seqs.size(), static_cast<size_t>(kStaff + 1));
  for (size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i + 1);
  EXPECT_GE(stats.gaps, 1u) << "the burst overflowed 10-message queues, so replay filled gaps";
  EXPECT_GT(stats.replayed, 0u);
}

TEST_F(Daemon, ImportAndExportCsv) {
  std::string centers =
      "\xEF\xBB\xBFid,name,parent_id,level,address,lat,lon\r\n"
      "street,朝阳街道党群服务中心,,STREET,\"朝阳路1号, 东门\",39.92,116.44\r\n"
      "c1,幸福社区党群服务中心,street,COMMUNITY,幸福路8号,,\r\n";
  std::ofstream(d_.dir() / "centers.csv") << centers;
  auto r = d_.Ctl({"import", "centers", d_.dir() / "centers.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 added"), std::string::npos) << r.out;
  r = d_.Ctl({"import", "centers", d_.dir() / "centers.csv"});
  EXPECT_NE(r.out.find("2 unchanged"), std::string::npos) << "re-import is idempotent: " << r.out;

  std::string staff =
      "id,name,center_id,phone,roles,skills\n"
      "s1,王芳,c1,13800000001,WORKER;LEADER,social-security\n"
      "s2,赵磊,c1,13800000002,CADRE,\n";
  std::ofstream(d_.dir() / "staff.csv") << staff;
  ASSERT_EQ(d_.Ctl({"import", "staff", d_.dir() / "staff.csv"}).exit_code, 0);

  r = d_.Ctl({"export", "centers", "--out", d_.dir() / "out.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream f(d_.dir() / "out.csv");
  std::string exported((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(exported.starts_with("\xEF\xBB\xBFid,name,parent_id"));
  EXPECT_NE(exported.find("\"朝阳路1号, 东门\""), std::string::npos);
  // What export writes, import reads back unchanged.
  r = d_.Ctl({"import", "centers", d_.dir() / "out.csv"});
  EXPECT_NE(r.out.find("2 unchanged"), std::string::npos) << r.out << r.err;

  const uint64_t before = d_.LastSeq();
  std::string bad =
      "id,name,center_id,roles\n"
      "s3,甲,c1,WORKER\n"
      "s4,乙,nowhere,WORKER\n"
      "s5,丙,c1,CHIEF\n"
      "s3,丁,c1,WORKER\n";
  std::ofstream(d_.dir() / "bad.csv") << bad;
  r = d_.Ctl({"import", "staff", d_.dir() / "bad.csv"});
  EXPECT_EQ(r.exit_code, 2) << "a cell that cannot be read is caught before sending";
  EXPECT_NE(r.err.find("row 4, column roles"), std::string::npos) << r.err;
  bad = "id,name,center_id,roles\ns3,甲,c1,WORKER\ns4,乙,nowhere,WORKER\ns3,丁,c1,WORKER\n";
  std::ofstream(d_.dir() / "bad.csv") << bad;
  r = d_.Ctl({"import", "staff", d_.dir() / "bad.csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("row 3, column center_id"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("row 4, column id"), std::string::npos) << r.err;
  EXPECT_EQ(d_.LastSeq(), before) << "a refused import writes nothing";
}

// What ops/quickstart.sh loads must always load.
TEST_F(Daemon, DemoNetworkImports) {
  const std::string demo = std::string(ZHIBAN_SOURCE_DIR) + "/ops/demo/";
  auto r = d_.Ctl({"import", "centers", demo + "centers.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = d_.Ctl({"import", "staff", demo + "staff.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("12 added"), std::string::npos) << r.out;
  r = d_.Ctl({"-o", "json", "center", "list", "--parent", "chaoyang-street"});
  EXPECT_EQ(json::parse(r.out)["centers"].size(), 3u);
}

// Twelve peers replaying the whole log through prefixes that match nothing
// once held the replay thread about 9 s each, and a plugin's replay(limit=1)
// waited 14.6 s behind them. Now a request holds at most 64 prefixes, and
// replays take turns of 512 events: the small one is answered at once.
TEST_F(Daemon, HostileReplaysCannotHoldTheReplayThread) {
  Do(d_, AddCenterRequest("street"));
  std::string csv = "id,name,center_id,roles\n";
  for (int i = 0; i < 20000; ++i) csv += fmt::format("s{:05},员工{},street,WORKER\n", i, i);
  std::ofstream(d_.dir() / "many.csv") << csv;
  ASSERT_EQ(d_.Ctl({"import", "staff", d_.dir() / "many.csv"}).exit_code, 0);
  const uint64_t last = d_.LastSeq();

  auto dealer = [&] {
    zmq::socket_t s(d_.zmq(), zmq::socket_type::dealer);
    s.set(zmq::sockopt::rcvtimeo, 60000);
    s.connect(d_.replay());
    return s;
  };
  auto send = [](zmq::socket_t& s, const v1::ReplayRequest& r) {
    s.send(zmq::message_t(), zmq::send_flags::sndmore);
    s.send(zmq::buffer(r.SerializeAsString()));
  };
  // The reply's last message: its end or its error.
  auto finish = [](zmq::socket_t& s) {
    v1::ReplayReply reply;
    for (;;) {
      std::vector<zmq::message_t> frames;
      if (!zmq::recv_multipart(s, std::back_inserter(frames))) break;
      reply.ParseFromArray(frames.back().data(), static_cast<int>(frames.back().size()));
      if (!reply.has_chunk()) break;
    }
    return reply;
  };

  zmq::socket_t greedy = dealer();
  v1::ReplayRequest many;
  for (int i = 0; i < 21000; ++i) many.add_topic_prefixes("x");
  send(greedy, many);
  const v1::ReplayReply refused = finish(greedy);
  EXPECT_EQ(refused.error().code(), v1::RESOURCE_EXHAUSTED);
  EXPECT_EQ(refused.error().field(), "topic_prefixes");

  std::vector<zmq::socket_t> hostile;
  for (int p = 0; p < 12; ++p) {
    hostile.push_back(dealer());
    v1::ReplayRequest r;
    r.set_from_seq(1);
    for (int i = 0; i < 64; ++i) r.add_topic_prefixes(fmt::format("nothing.{}.{}", p, i));
    send(hostile.back(), r);
  }
  zmq::socket_t plugin = dealer();
  v1::ReplayRequest one;
  one.set_from_seq(last);
  one.set_limit(1);
  const auto t0 = std::chrono::steady_clock::now();
  send(plugin, one);
  const v1::ReplayReply answered = finish(plugin);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(answered.has_end()) << answered.DebugString();
  EXPECT_EQ(answered.end().next_seq(), last + 1);
  EXPECT_LT(ms, 250) << "the issue's target is 100 ms; ASan runs slower";
  RecordProperty("replay_limit1_ms_with_12_hostile", static_cast<int>(ms));
  std::printf("replay(limit=1) with 12 hostile replays in progress: %.1f ms\n", ms);
  for (auto& h : hostile) {
    const v1::ReplayReply end = finish(h);
    ASSERT_TRUE(end.has_end()) << end.DebugString();
    EXPECT_EQ(end.end().next_seq(), last + 1) << "scanned to the end, matched nothing";
  }
}

TEST_F(Daemon, HundredThousandRowImportIsOneBatch) {
  Do(d_, AddCenterRequest("street"));
  std::string csv = "id,name,center_id,phone,roles,skills\n";
  for (int i = 0; i < 100000; ++i) {
    csv +=
        fmt::format("staff-{:06},员工{},street,138{:08},WORKER,social-security;medical\n", i, i, i);
  }
  std::ofstream(d_.dir() / "big.csv") << csv;
  auto r = d_.Ctl({"import", "staff", d_.dir() / "big.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("100000 added"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(fmt::format("events {}..{}", base_ + 2, base_ + 100001)), std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("sent 100000/100000 rows"), std::string::npos) << "progress is shown";
  EXPECT_EQ(d_.LastSeq(), base_ + 100001);
}

// zhiband on `d`'s data dir and endpoints, to run by hand (test::Run) and
// see it refuse to start.
std::vector<std::string> ZhibandArgv(DaemonFixture& d) {
  return {BinDir() + "/zhiband",
          "--data-dir",
          d.data_dir(),
          "--ctl",
          d.ctl(),
          "--pub",
          d.pub(),
          "--replay",
          d.replay(),
          "--http",
          "127.0.0.1:0"};
}

// Starts `d`, adds 40 centers, kills it (-9) and cuts its newest WAL in
// half, as a disk fault would. Returns the newest acknowledged seq.
uint64_t FortyCentersThenAWalCutInHalf(DaemonFixture& d) {
  namespace fs = std::filesystem;
  d.Start();
  for (int i = 0; i < 40; ++i) Do(d, AddCenterRequest(fmt::format("c{}", i)));
  const uint64_t acked = d.LastSeq();
  d.Kill9();
  fs::path wal;
  for (const auto& f : fs::directory_iterator(d.data_dir())) {
    if (f.path().extension() == ".log" && (wal.empty() || f.path().filename() > wal.filename()))
      wal = f.path();
  }
  EXPECT_FALSE(wal.empty());
  if (!wal.empty()) fs::resize_file(wal, fs::file_size(wal) / 2);
  return acked;
}

// A damaged WAL once lost acknowledged commands silently and handed their
// seqs out again. Now zhiband refuses to start, naming the lost range; started
// with --accept-lost-events it goes on after the newest acknowledged seq and
// says so on the bus (events.lost), so no subscriber mistakes new events for
// ones it saw.
TEST(DaemonLostEvents, ADamagedWalIsRefusedThenAcceptedWithoutReusingSeqs) {
  namespace fs = std::filesystem;
  DaemonFixture d;
  const uint64_t acked = FortyCentersThenAWalCutInHalf(d);

  const std::vector<std::string> argv = ZhibandArgv(d);
  auto refused = test::Run(argv);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find(fmt::format("acknowledged up to seq {}", acked)), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("--accept-lost-events"), std::string::npos) << refused.err;

  DaemonFixture accepted({"--accept-lost-events"});
  accepted.UseDataDir(d.data_dir());
  accepted.Start();
  auto events = ReplayAll(accepted);
  ASSERT_FALSE(events.empty());
  const auto& lost = events.back();
  ASSERT_TRUE(lost.has_events_lost()) << lost.topic();
  EXPECT_EQ(lost.topic(), "events.lost");
  EXPECT_EQ(lost.seq(), acked + 1);
  EXPECT_EQ(lost.events_lost().last_seq(), acked);
  EXPECT_LT(lost.events_lost().first_seq(), acked) << "half the WAL was cut";
  EXPECT_EQ(events[events.size() - 2].seq(), lost.events_lost().first_seq() - 1);
  auto next = accepted.client().Call(Req(AddCenterRequest("after")));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->first_seq(), acked + 2) << "no seq is handed out twice";
  EXPECT_EQ(accepted.Stop(), 0);

  // From then on the store is whole again: a plain start works.
  DaemonFixture again;
  again.UseDataDir(d.data_dir());
  again.Start();
  EXPECT_EQ(again.LastSeq(), acked + 2);
  EXPECT_EQ(again.Stop(), 0);
}

// ACKED_SEQ once could vanish: deleted or emptied after a WAL cut, zhiband
// started at the lower seq and handed acknowledged seqs out again. Now it is
// kept twice; one copy gone is rewritten from the other, both gone on a
// store with events is refused, and bad bytes are quoted escaped.
TEST(DaemonLostEvents, AckedSeqCannotSilentlyVanish) {
  namespace fs = std::filesystem;
  DaemonFixture d;
  const uint64_t acked = FortyCentersThenAWalCutInHalf(d);
  const fs::path file = fs::path(d.data_dir()) / "ACKED_SEQ";
  const fs::path copy = fs::path(d.data_dir()) / "ACKED_SEQ.2";
  ASSERT_TRUE(fs::exists(file));
  ASSERT_TRUE(fs::exists(copy));
  const std::vector<std::string> argv = ZhibandArgv(d);

  // One copy deleted: the other still names the lost range.
  fs::remove(file);
  auto r = test::Run(argv);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(fmt::format("acknowledged up to seq {}", acked)), std::string::npos)
      << r.err;

  // Both deleted, or both emptied: refused, saying what is unknown and how on.
  fs::remove(file);
  fs::remove(copy);
  r = test::Run(argv);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("both missing or empty"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("echo "), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(file)) << "a refused start writes nothing";
  for (const fs::path& p : {file, copy}) std::ofstream(p.string()).close();
  r = test::Run(argv);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("both missing or empty"), std::string::npos) << r.err;

  // Garbage: refused, its bytes escaped (no ESC, no ill-formed UTF-8 in the log).
  std::ofstream(file.string(), std::ios::trunc) << "\x1b[31m12\xff\n";
  r = test::Run(argv);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is not a seq"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\\x1b[31m12\\xff"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos);
  EXPECT_TRUE(IsValidUtf8(r.err));

  // The documented way on: the seq written into the file, then the loss accepted.
  std::ofstream(file.string(), std::ios::trunc) << acked << "\n";
  DaemonFixture accepted({"--accept-lost-events"});
  accepted.UseDataDir(d.data_dir());
  accepted.Start();
  auto next = accepted.client().Call(Req(AddCenterRequest("after")));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->first_seq(), acked + 2) << "no seq is handed out twice";
  EXPECT_EQ(accepted.Stop(), 0);
  ASSERT_TRUE(fs::exists(copy)) << "the missing copy is rewritten";

  // A whole store with one copy gone starts and rewrites it.
  fs::remove(copy);
  DaemonFixture again;
  again.UseDataDir(d.data_dir());
  again.Start();
  EXPECT_EQ(again.LastSeq(), acked + 2);
  EXPECT_EQ(again.Stop(), 0);
  std::ifstream in(copy.string());
  uint64_t value = 0;
  in >> value;
  EXPECT_EQ(value, acked + 2);
}

TEST(DaemonBackup, OnlineBackupRestoresAsADataDir) {
  DaemonFixture d;
  d.Start();
  const uint64_t base = d.LastSeq();
  Do(d, AddCenterRequest("street"));
  Do(d, AddStaff("s1", "street"));
  const std::string copy = d.data_dir() + "-backups/backup-1";
  auto r = d.Ctl({"backup", "create", "--dir", "backup-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(fmt::format("events 1..{}", base + 2)), std::string::npos) << r.out;
  r = d.Ctl({"backup", "create", "--dir", copy});
  EXPECT_EQ(r.exit_code, 1) << "an existing dir is refused";
  r = d.Ctl({"backup", "create", "--dir", "missing/parent"});
  EXPECT_EQ(r.exit_code, 1);
  r = d.Ctl({"backup", "create", "--dir", d.dir() / "elsewhere"});
  EXPECT_EQ(r.exit_code, 1) << "outside storage.backup_root";
  // Owner-only: the data dir, its files, the backup.
  namespace fs = std::filesystem;
  EXPECT_EQ(fs::status(d.data_dir()).permissions(), fs::perms::owner_all);
  EXPECT_EQ(fs::status(copy).permissions() & (fs::perms::group_all | fs::perms::others_all),
            fs::perms::none);
  for (const auto& f : fs::directory_iterator(d.data_dir())) {
    EXPECT_EQ(f.status().permissions() & (fs::perms::group_all | fs::perms::others_all),
              fs::perms::none)
        << f.path();
  }
  Do(d, AddCenterRequest("after-backup"));
  EXPECT_EQ(d.Stop(), 0);

  // The copy is a data dir: a daemon started on it has exactly what was backed up.
  DaemonFixture restored;
  restored.UseDataDir(copy);
  restored.Start();
  auto events = ReplayAll(restored);
  ASSERT_EQ(events.size(), base + 2);
  EXPECT_EQ(events.back().staff_added().staff().id(), "s1");
  EXPECT_EQ(restored.Ctl({"center", "show", "--id", "after-backup"}).exit_code, 1);
  EXPECT_EQ(restored.Ctl({"center", "show", "--id", "street"}).exit_code, 0);
  EXPECT_EQ(restored.Stop(), 0);
}

TEST(DaemonClock, SimulatedClockMovesOnlyWhenTold) {
  DaemonFixture d({"--clock", "simulated:2026-01-05T08:00:00+08:00"});
  d.Start();
  auto r = d.Ctl({"clock", "show"});
  EXPECT_EQ(r.out, "SIMULATED 2026-01-05T08:00:00+08:00\n");
  r = d.Ctl({"clock", "advance", "90m"});
  EXPECT_EQ(r.out, "SIMULATED 2026-01-05T09:30:00+08:00\n");
  r = d.Ctl({"clock", "set", "2026-02-14T08:00:00+08:00"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = d.Ctl({"clock", "set", "2026-01-01T00:00:00+08:00"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("only moves forward"), std::string::npos);
  Do(d, AddCenterRequest("street"));
  auto events = ReplayAll(d);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().center_added().center().id(), "street");
  EXPECT_EQ(events.back().time().seconds(), 1771027200) << "2026-02-14T08:00:00+08:00";

  // Year 9999 once ended zhiband (exit 70) at the next `timers`, and at
  // every start after: refused by zhibanctl and by zhiband itself.
  r = d.Ctl({"clock", "set", "9999-12-31T23:59:59Z"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("outside the times zhiband accepts"), std::string::npos) << r.err;
  v1::CtlRequest far;
  far.mutable_clock_set()->mutable_to()->set_seconds(253402300799);
  auto reply = d.client().Call(far);
  ASSERT_TRUE(reply.ok());
  ASSERT_TRUE(reply->has_error());
  EXPECT_EQ(reply->error().field(), "to");
  r = d.Ctl({"timers"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = d.Ctl({"clock", "show"});
  EXPECT_EQ(r.out, "SIMULATED 2026-02-14T08:00:00+08:00\n");
}

TEST_F(Daemon, RealClockRefusesToMove) {
  auto r = d_.Ctl({"clock", "advance", "1h"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("real clock"), std::string::npos) << r.err;
}

TEST_F(Daemon, HealthAndMetrics) {
  Do(d_, AddCenterRequest("street"));
  auto [code, body] = HttpGet(d_.http(), "/healthz");
  EXPECT_EQ(code, 200);
  EXPECT_NE(body.find(fmt::format("ok last_seq={}", base_ + 1)), std::string::npos);
  auto [mcode, metrics] = HttpGet(d_.http(), "/metrics");
  EXPECT_EQ(mcode, 200);
  EXPECT_NE(metrics.find(fmt::format("zhiban_last_event_seq {}", base_ + 1)), std::string::npos);
  EXPECT_NE(metrics.find("zhiban_commands_total{command=\"center_add\",result=\"ok\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.find("zhiban_rocksdb_live_bytes{cf=\"events\"}"), std::string::npos);
  EXPECT_NE(metrics.find("zhiban_import_held_bytes 0"), std::string::npos);
  EXPECT_NE(metrics.find("# TYPE zhiban_limit_refusals_total counter"), std::string::npos);
  EXPECT_EQ(HttpGet(d_.http(), "/nope").first, 404);
}

// CPU seconds a process has used (utime + stime, /proc/<pid>/stat).
double CpuSeconds(pid_t pid) {
  std::ifstream f(fmt::format("/proc/{}/stat", pid));
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i >= 14) ticks += std::stod(field);
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Opens `n` connections to `http` (host:port) that each send one header line
// and hold; returns their descriptors (fewer when a connect fails).
std::vector<int> HoldHttpConnections(const std::string& http, int n) {
  const size_t colon = http.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(http.substr(colon + 1))));
  std::vector<int> fds;
  if (::inet_pton(AF_INET, http.substr(0, colon).c_str(), &addr.sin_addr) != 1) return fds;
  const std::string line = "GET /healthz HTTP/1.1\r\nHost: flood\r\n";
  for (int i = 0; i < n; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) break;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
      ::close(fd);
      break;
    }
    fds.push_back(fd);
  }
  return fds;
}

// 1,100 idle HTTP connections that each sent one header line once made the
// accept loop spin (2.8 s of CPU in 3 s), /healthz stop answering and writes
// fail with "Too many open files" until a restart. Under a low descriptor
// limit zhiband now caps its HTTP connections below what the store needs,
// closes the oldest idle one to make room, and keeps answering and writing.
TEST(DaemonLimits, AnHttpFloodCannotStarveDescriptors) {
  DaemonFixture d;
  d.UseLauncher({"/usr/bin/prlimit", "--nofile=420:420", "--"});
  d.Start();
  const std::string http = d.http();
  const std::vector<int> flood = HoldHttpConnections(http, 600);
  ASSERT_EQ(flood.size(), 600u);
  const double cpu0 = CpuSeconds(d.pid());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const double spent = CpuSeconds(d.pid()) - cpu0;
  EXPECT_LT(spent, 0.5) << "no spinning while the flood holds its connections";
  RecordProperty("cpu_ms_in_2s_of_flood", static_cast<int>(spent * 1000));

  auto [code, body] = HttpGet(http, "/healthz");
  EXPECT_EQ(code, 200) << body;
  Do(d, AddCenterRequest("during"));
  auto [mcode, metrics] = HttpGet(http, "/metrics");
  ASSERT_EQ(mcode, 200);
  EXPECT_NE(metrics.find("zhiban_http_connections_max 100\n"), std::string::npos)
      << "420 descriptors less the reserve of 320";
  EXPECT_EQ(metrics.find("zhiban_http_idle_closed_total 0\n"), std::string::npos);
  EXPECT_NE(metrics.find("zhiban_http_accept_errors_total 0\n"), std::string::npos)
      << "the cap keeps accept from running out of descriptors";
  for (int fd : flood) ::close(fd);
  Do(d, AddCenterRequest("after"));
  EXPECT_EQ(d.Stop(), 0);
}

// Raw TCP connections to `endpoint` ("tcp://host:port") that never start a
// handshake; stops at the first that does not connect within 200 ms.
std::vector<int> HoldTcpConnections(const std::string& endpoint, int n) {
  const std::string hostport = endpoint.substr(endpoint.find("://") + 3);
  const size_t colon = hostport.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(hostport.substr(colon + 1))));
  std::vector<int> fds;
  if (::inet_pton(AF_INET, hostport.substr(0, colon).c_str(), &addr.sin_addr) != 1) return fds;
  for (int i = 0; i < n; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) break;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      pollfd p{fd, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof err;
      if (errno != EINPROGRESS || ::poll(&p, 1, 200) != 1 ||
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        ::close(fd);
        break;
      }
    }
    fds.push_back(fd);
  }
  return fds;
}

// Peers that connect to the CURVE endpoints and never shake hands once took
// every descriptor under a low limit: RocksDB could not create its next
// WAL (writes refused until a restart), a backup failed, and zhibanctl on
// the ipc local-admin socket made libzmq abort zhiband. Connections accepted
// while fewer than the reserve are free are now shut down at once.
TEST(DaemonLimits, ZeroMqPeersCannotStarveTheStore) {
  DaemonFixture d({}, Transport::kCurve);
  d.UseLauncher({"/usr/bin/prlimit", "--nofile=420:420", "--"});
  d.Start();
  std::vector<int> flood;
  for (const std::string& ep : {d.curve_ctl(), d.pub(), d.replay()}) {
    std::vector<int> more = HoldTcpConnections(ep, 200);
    EXPECT_GT(more.size(), 100u) << ep;
    flood.insert(flood.end(), more.begin(), more.end());
  }
  // The guard has met the flood once a refusal is counted; then 1 s of
  // zhiband's CPU is measured (the window is the measurement, not a wait).
  auto refused = [&] {
    const std::string m = HttpGet(d.http(), "/metrics").second;
    const size_t at = m.find("zhiban_limit_refusals_total{limit=\"zmq.fd_reserve\"} ");
    return at == std::string::npos ? std::string() : m.substr(at + 52, m.find('\n', at) - at - 52);
  };
  ASSERT_TRUE(
      Eventually([&] { return !refused().empty() && refused() != "0"; }, std::chrono::seconds(10)));
  const double cpu0 = CpuSeconds(d.pid());
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double spent = CpuSeconds(d.pid()) - cpu0;
  EXPECT_LT(spent, 0.3) << "no accept loop spinning at the limit";
  RecordProperty("cpu_ms_in_1s_of_flood", static_cast<int>(spent * 1000));

  // The local admin connects anew (zhibanctl), writes, and takes a backup.
  Do(d, AddCenterRequest("during"));
  EXPECT_EQ(d.Ctl({"center", "list"}).exit_code, 0);
  const RunResult backup = d.Ctl({"backup", "create", "--dir", d.data_dir() + "-backups/one"});
  EXPECT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  EXPECT_EQ(HttpGet(d.http(), "/metrics").first, 200);
  const std::string n = refused();
  EXPECT_NE(n, "0") << "connections past the reserve are counted";
  RecordProperty("refused", n);
  RecordProperty("held", static_cast<int>(flood.size()));
  for (int fd : flood) ::close(fd);
  Do(d, AddCenterRequest("after"));
  EXPECT_EQ(d.Stop(), 0);
  // Nothing but the HTTP acceptor may meet EMFILE: libzmq accepts a burst of
  // the flood before the guard hears of it, and the acceptor copes (it
  // retries in 100 ms; /metrics answered above). The store never does.
  std::istringstream lines(Slurp(d.log()));
  for (std::string line; std::getline(lines, line);) {
    if (line.find("Too many open files") == std::string::npos) continue;
    EXPECT_NE(line.find("http: accept failed: Too many open files; retrying"), std::string::npos)
        << line;
  }
}

// A line of /proc/<pid>/status in KiB ("VmRSS", "VmHWM").
long StatusKiB(pid_t pid, const std::string& key) {
  std::ifstream f(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(f, line))
    if (line.starts_with(key + ":")) return std::stol(line.substr(key.size() + 1));
  return -1;
}

// Every flood at once (issue 37): 600 HTTP connections holding a header
// line, four import sessions filled to their memory cap, 12 replays whose
// filter matches nothing asked again and again — while 3 writers add centers.
// Every acknowledged command is stored exactly once, `status` stays quick, a
// replay(limit=1) is answered within a turn, and zhiband's memory stays
// within its idle size plus the caps.
TEST(DaemonChaos, EveryFloodAtOnceWhileWritersRun) {
  TempDir conf;
  std::ofstream(conf / "z.toml") << "[import]\nmax_session_mib = 32\nmax_total_mib = 48\n";
  DaemonFixture d({"--config", conf / "z.toml"});
  d.Start();
  Do(d, AddCenterRequest("street"));
  std::string csv = "id,name,center_id,roles\n";
  for (int i = 0; i < 20000; ++i) csv += fmt::format("s{:05},员工{},street,WORKER\n", i, i);
  std::ofstream(d.dir() / "many.csv") << csv;
  ASSERT_EQ(d.Ctl({"import", "staff", d.dir() / "many.csv"}).exit_code, 0);
  const long idle_kib = StatusKiB(d.pid(), "VmRSS");

  std::atomic<bool> stop{false};
  std::mutex mu;
  std::set<std::string> acked;
  std::vector<std::thread> threads;
  for (int w = 0; w < 3; ++w) {
    threads.emplace_back([&, w] {
      zmq::context_t ctx(1);
      client::CtlClient c(ctx, d.ctl(), std::chrono::milliseconds(10000));
      for (int i = 0; !stop; ++i) {
        const std::string id = fmt::format("w{}-{}", w, i);
        auto req = AddCenterRequest(id, "street");
        auto r = c.Call(req);
        if (r.ok() && !r->has_error()) {
          std::lock_guard lock(mu);
          acked.insert(id);
        }
      }
    });
  }
  // Imports: four sessions sent rows until each is refused.
  size_t import_refusals = 0;
  threads.emplace_back([&] {
    zmq::context_t ctx(1);
    client::CtlClient c(ctx, d.ctl(), std::chrono::milliseconds(10000));
    for (int s = 0; s < 4 && !stop; ++s) {
      v1::CtlRequest begin;
      begin.mutable_import_begin()->set_kind(v1::STAFF);
      auto b = c.Call(begin);
      if (!b.ok() || b->has_error()) continue;
      for (int k = 0; !stop; ++k) {
        v1::CtlRequest rows;
        rows.mutable_import_rows()->set_import_id(b->import().import_id());
        for (int i = 0; i < 10; ++i) {
          auto* st = rows.mutable_import_rows()->add_staff();
          st->set_id(fmt::format("imp{}-{}-{}", s, k, i));
          st->set_name(std::string(60000, 'x'));
        }
        auto r = c.Call(rows);
        if (!r.ok() || r->has_error()) {
          ++import_refusals;
          break;
        }
      }
    }
  });
  // Replays: 12 peers asking again and again for what matches nothing.
  for (int p = 0; p < 12; ++p) {
    threads.emplace_back([&, p] {
      zmq::socket_t s(d.zmq(), zmq::socket_type::dealer);
      s.set(zmq::sockopt::rcvtimeo, 200);
      s.set(zmq::sockopt::linger, 0);
      s.connect(d.replay());
      v1::ReplayRequest r;
      for (int i = 0; i < 64; ++i) r.add_topic_prefixes(fmt::format("nothing.{}.{}", p, i));
      while (!stop) {
        s.send(zmq::message_t(), zmq::send_flags::sndmore);
        s.send(zmq::buffer(r.SerializeAsString()));
        for (;;) {
          std::vector<zmq::message_t> frames;
          if (!zmq::recv_multipart(s, std::back_inserter(frames))) {
            if (stop) return;
            continue;
          }
          v1::ReplayReply reply;
          reply.ParseFromArray(frames.back().data(), static_cast<int>(frames.back().size()));
          if (!reply.has_chunk()) break;
        }
      }
    });
  }
  // HTTP: 600 connections that each sent one header line.
  const std::vector<int> flood = HoldHttpConnections(d.http(), 600);

  // Meanwhile: status, and a plugin's replay(limit=1).
  std::vector<double> status_ms, replay_ms;
  zmq::socket_t plugin(d.zmq(), zmq::socket_type::dealer);
  plugin.set(zmq::sockopt::rcvtimeo, 10000);
  plugin.connect(d.replay());
  for (int i = 0; i < 100; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    v1::CtlRequest st;
    st.mutable_status();
    ASSERT_TRUE(d.client().Call(st).ok());
    status_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    if (i % 10 == 0) {
      v1::ReplayRequest one;
      one.set_from_seq(1);
      one.set_limit(1);
      t0 = std::chrono::steady_clock::now();
      plugin.send(zmq::message_t(), zmq::send_flags::sndmore);
      plugin.send(zmq::buffer(one.SerializeAsString()));
      v1::ReplayReply reply;
      do {
        std::vector<zmq::message_t> frames;
        ASSERT_TRUE(zmq::recv_multipart(plugin, std::back_inserter(frames)));
        reply.ParseFromArray(frames.back().data(), static_cast<int>(frames.back().size()));
      } while (reply.has_chunk());
      ASSERT_TRUE(reply.has_end()) << reply.DebugString();
      replay_ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    // Pacing, not waiting: the probes spread over the floods' 2-3 s.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const long peak_kib = StatusKiB(d.pid(), "VmHWM");
  stop = true;
  for (auto& t : threads) t.join();
  for (int fd : flood) ::close(fd);

  std::sort(status_ms.begin(), status_ms.end());
  std::sort(replay_ms.begin(), replay_ms.end());
  const double status_p99 = status_ms[status_ms.size() * 99 / 100];
  std::printf(
      "chaos: %zu acked writes, %zu import refusals, %zu HTTP connections held; status p99 %.1f "
      "ms; replay(limit=1) worst %.1f ms; RSS idle %ld KiB, peak %ld KiB\n",
      acked.size(), import_refusals, flood.size(), status_p99, replay_ms.back(), idle_kib,
      peak_kib);
#if !defined(__SANITIZE_ADDRESS__)
  // The targets are 50 and 100 ms (alone: p99 10-12 ms); beside the
  // rest of the suite on 2 cores a p99 of 66 ms was seen, so the bounds
  // leave room for that and fail only on a real slowdown.
  EXPECT_LT(status_p99, 150) << "the issue's target is 50 ms";
  EXPECT_LT(replay_ms.back(), 250) << "the issue's target is 100 ms";
#else
  // Under ASan, sharing 2 cores with the rest of the suite, a p99 of 50-175
  // ms was seen from run to run: printed above, bounded only against a stall.
  EXPECT_LT(status_p99, 1000) << "a stall, even for ASan";
  EXPECT_LT(replay_ms.back(), 1000) << "a stall, even for ASan";
#endif
  EXPECT_GE(import_refusals, 1u) << "the imports reached their cap";
  // Idle + 48 MiB of import rows + slack for 512 connections' buffers, the
  // replay turns and the allocator.
#if !defined(__SANITIZE_ADDRESS__)  // ASan's quarantine keeps what was freed
  EXPECT_LT(peak_kib, idle_kib + 48 * 1024 + 96 * 1024);
#endif
  RecordProperty("status_p99_ms", static_cast<int>(status_p99));
  RecordProperty("rss_idle_kib", static_cast<int>(idle_kib));
  RecordProperty("rss_peak_kib", static_cast<int>(peak_kib));

  const auto events = ReplayAll(d);
  std::map<std::string, int> stored;
  for (const auto& e : events)
    if (e.has_center_added()) ++stored[e.center_added().center().id()];
  for (const auto& id : acked) EXPECT_EQ(stored[id], 1) << id;
  EXPECT_EQ(d.Stop(), 0);
}

TEST(DaemonStartup, ClearErrors) {
  TempDir dir;
  auto r = test::Run({BinDir() + "/zhiband", "--data-dir", dir / "d", "--clock", "sometimes"});
  EXPECT_EQ(r.exit_code, 2) << "a configuration problem";
  EXPECT_NE(r.err.find("sometimes"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "d")) << "refused before touching anything";
  std::ofstream(dir / "range.toml") << "[bus]\nheartbeat_ms = -5\n";
  r = test::Run({BinDir() + "/zhiband", "--data-dir", dir / "d", "--config", dir / "range.toml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bus.heartbeat_ms: -5 is outside 10..60000"), std::string::npos) << r.err;
  std::ofstream(dir / "bad.toml") << "[ctl]\nendpont = \"x\"\n";
  r = test::Run({BinDir() + "/zhiband", "--config", dir / "bad.toml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("ctl.endpont"), std::string::npos) << r.err;
}

// A full disk: commands are refused with the reason, /healthz says
// degraded while queries still answer, writes resume by themselves once
// there is space, and a start on a full disk exits with a clear message.
// Needs root (a tmpfs mounted over the data dir); skipped otherwise.
TEST(DaemonDisk, AFullDiskDegradesThenResumesAndAStartOnItSaysSo) {
  DaemonFixture d;
  SmallDisk disk(d.data_dir(), 96);
  if (!disk.mounted()) GTEST_SKIP() << "needs root to mount a small tmpfs";
  d.Start();
  ASSERT_EQ(d.Ctl({"center", "add", "--id", "c1", "--name", "中心"}).exit_code, 0);
  disk.Fill();
  // Refused before RocksDB sees the write (it would abort on a full disk).
  auto r = d.Ctl({"center", "add", "--id", "c2", "--name", "中心二"});
  EXPECT_EQ(r.exit_code, 1);
  const std::string refusal = r.err;
  ASSERT_NE(refusal.find("No space left on device"), std::string::npos)
      << refusal << std::ifstream(d.log()).rdbuf();
  EXPECT_NE(refusal.find("nothing was applied"), std::string::npos) << refusal;
  auto [code, body] = HttpGet(d.http(), "/healthz");
  EXPECT_EQ(code, 503);
  EXPECT_NE(body.find("degraded"), std::string::npos) << body;
  EXPECT_NE(body.find("No space left"), std::string::npos) << body;
  EXPECT_EQ(d.Ctl({"status"}).exit_code, 0) << "queries are still answered";

  disk.Free();
  bool resumed = false;
  for (int i = 0; i < 100 && !resumed; ++i) {
    resumed = d.Ctl({"center", "add", "--id", "after", "--name", "恢复后"}).exit_code == 0;
    if (!resumed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(resumed) << "writes resume once the disk has space";
  EXPECT_EQ(HttpGet(d.http(), "/healthz").first, 200);
  EXPECT_EQ(d.Stop(), 0);

  disk.Fill();
  auto start = test::Run({BinDir() + "/zhiband", "--data-dir", d.data_dir(), "--ctl", d.ctl(),
                          "--pub", d.pub(), "--replay", d.replay(), "--http", "127.0.0.1:0"});
  EXPECT_EQ(start.exit_code, 1) << start.err;
  EXPECT_NE(start.err.find("KiB free; zhiband needs at least 64 MiB"), std::string::npos)
      << start.err;
  disk.Free();
}

// A disk that stays full longer than RocksDB's 10 s info-log flush (issue 37).
// While writes are refused, every tick asks RocksDB to Resume, which logs a
// line; with that log in a LOG file in the data dir, its periodic flush failed
// on the full disk and Debian's RocksDB aborted zhiband at its next log line.
// Now RocksDB's log goes to zhiband's: 22 s of full disk (two flush periods
// and a margin; the abort came at the first), every command refused all
// along, then writes resume in the same process, which stops cleanly. Needs
// root (a tmpfs mounted over the data dir); skipped otherwise. About 25 s.
TEST(DaemonDisk, ADiskFullForLongerThanRocksDbsLogFlushIsSurvived) {
  DaemonFixture d;
  // 256 MiB: RocksDB preallocates its WAL (about 70 MiB) on the first write.
  SmallDisk disk(d.data_dir(), 256);
  if (!disk.mounted()) GTEST_SKIP() << "needs root to mount a small tmpfs";
  auto started = [&] {
    v1::CtlRequest req;
    req.mutable_status();
    auto r = d.client().Call(req);
    return r.ok() ? r->status().started().SerializeAsString() : std::string();
  };
  d.Start();
  const std::string first_start = started();
  ASSERT_FALSE(first_start.empty());
  ASSERT_EQ(d.Ctl({"center", "add", "--id", "c1", "--name", "中心"}).exit_code, 0);
  disk.Fill();

  // The disk is kept full on purpose for 22 s; a command every 3 s must be
  // refused by a zhiband that is still there.
  const auto full_until = std::chrono::steady_clock::now() + std::chrono::seconds(22);
  int refused = 0;
  while (std::chrono::steady_clock::now() < full_until) {
    auto r = d.Ctl({"center", "add", "--id", fmt::format("full{}", refused), "--name", "满"});
    ASSERT_EQ(r.exit_code, 1) << "after " << refused << " refusals: " << r.err << "\nzhiband log:\n"
                              << Slurp(d.log());
    ASSERT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
    ++refused;
    std::this_thread::sleep_for(std::chrono::seconds(3));
  }
  EXPECT_GE(refused, 6);

  disk.Free();
  bool resumed = false;
  for (int i = 0; i < 100 && !resumed; ++i) {
    resumed = d.Ctl({"center", "add", "--id", "after", "--name", "恢复后"}).exit_code == 0;
    if (!resumed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(resumed) << "writes resume once the disk has space\n" << Slurp(d.log());
  EXPECT_EQ(started(), first_start) << "the same zhiband, not a new one";
  for (const auto& f : std::filesystem::directory_iterator(d.data_dir())) {
    EXPECT_FALSE(f.path().filename().string().starts_with("LOG")) << f.path();
  }
  EXPECT_EQ(d.Stop(), 0);  // RocksDB logs at close too: no abort there either
}

// A backup onto a full disk, or from a data dir on one (issue 37): refused
// before RocksDB writes anything (Debian's RocksDB aborted zhiband at 0
// bytes free), no partial copy left, the refusal audited, zhiband serving;
// once there is room the same command writes a backup, audited. Needs root
// (tmpfs mounts over the backup root and the data dir); skipped otherwise.
TEST(DaemonDisk, ABackupOntoAFullDiskIsRefusedWholeAndLeavesNothing) {
  namespace fs = std::filesystem;
  DaemonFixture d;
  const std::string root = d.data_dir() + "-backups";
  fs::create_directories(root);
  SmallDisk backups(root, 96);
  if (!backups.mounted()) GTEST_SKIP() << "needs root to mount a small tmpfs";
  d.Start();
  Do(d, AddCenterRequest("street"));
  for (int i = 0; i < 50; ++i) Do(d, AddStaff(fmt::format("s{}", i), "street"));
  backups.Fill();
  auto r = d.Ctl({"backup", "create", "--dir", "full"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("backup not started"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(root + "/full")) << "a partial backup was left";
  EXPECT_FALSE(fs::exists(root + "/full.tmp"));
  auto audit = d.Ctl({"audit", "list", "--command", "backup_create"});
  EXPECT_NE(audit.out.find("UNAVAILABLE"), std::string::npos) << "the refusal is audited\n"
                                                              << audit.out;
  EXPECT_EQ(d.Ctl({"status"}).exit_code, 0) << "zhiband still serves";
  backups.Free();
  r = d.Ctl({"backup", "create", "--dir", "after"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(root + "/after/CURRENT"));
  audit = d.Ctl({"audit", "list", "--command", "backup_create"});
  EXPECT_NE(audit.out.find("backup to " + root + "/after"), std::string::npos) << audit.out;
  EXPECT_EQ(d.Stop(), 0);
}

// The data dir's own disk full: the checkpoint's flush would write there,
// and Debian's RocksDB aborts on that write. Refused (Store::Checkpoint's
// guard, and the group's own room check before it); zhiband serves on.
// Needs root; skipped otherwise.
TEST(DaemonDisk, ABackupFromAFullDataDiskIsRefusedAndZhibandLives) {
  DaemonFixture d;
  SmallDisk data(d.data_dir(), 256);  // RocksDB preallocates its WAL (about 70 MiB)
  if (!data.mounted()) GTEST_SKIP() << "needs root to mount a small tmpfs";
  d.Start();
  Do(d, AddCenterRequest("street"));
  data.Fill();
  // (Its audit record cannot be written either, so the reply is the group's:
  // "storage write failed; nothing was applied", naming the full disk.)
  auto r = d.Ctl({"backup", "create", "--dir", "b"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(d.data_dir() + "-backups/b"));
  EXPECT_EQ(d.Ctl({"status"}).exit_code, 0) << "zhiband still serves\n" << Slurp(d.log());
  data.Free();
  EXPECT_EQ(d.Stop(), 0);
}

// Bit rot in an SST file is found when zhiband starts (every block's
// checksum is read), with the file named, not later by a replay.
TEST(DaemonStorage, ABitFlippedInAnSstIsFoundAtStart) {
  namespace fs = std::filesystem;
  DaemonFixture d;
  d.Start();
  Do(d, AddCenterRequest("street"));
  for (int i = 0; i < 200; ++i) Do(d, AddStaff(fmt::format("s{}", i), "street"));
  ASSERT_EQ(d.Ctl({"backup", "create", "--dir", "b1"}).exit_code, 0);  // flushes: SST files
  EXPECT_EQ(d.Stop(), 0);
  // A real copy (the backup hard-links the data dir's files), then one byte flipped.
  const std::string damaged = d.dir() / "damaged";
  fs::copy(d.data_dir() + "-backups/b1", damaged, fs::copy_options::recursive);
  std::string sst;
  uintmax_t largest = 0;
  for (const auto& f : fs::directory_iterator(damaged)) {
    if (f.path().extension() == ".sst" && f.file_size() > largest) {
      largest = f.file_size();
      sst = f.path();
    }
  }
  ASSERT_FALSE(sst.empty());
  {
    std::fstream io(sst, std::ios::in | std::ios::out | std::ios::binary);
    io.seekg(static_cast<std::streamoff>(largest / 4));
    char c = 0;
    io.read(&c, 1);
    io.seekp(static_cast<std::streamoff>(largest / 4));
    c = static_cast<char>(c ^ 0x5a);
    io.write(&c, 1);
  }
  auto start = test::Run({BinDir() + "/zhiband", "--data-dir", damaged, "--ctl", d.ctl(), "--pub",
                          d.pub(), "--replay", d.replay(), "--http", "127.0.0.1:0"});
  EXPECT_EQ(start.exit_code, 1) << start.err;
  EXPECT_NE(start.err.find("has a damaged block"), std::string::npos) << start.err;
  EXPECT_NE(start.err.find(fs::path(sst).filename().string()), std::string::npos) << start.err;
  // The undamaged data dir starts, and says what it verified.
  d.Start();
  EXPECT_EQ(d.Stop(), 0);
  std::ifstream log(d.log());
  std::string all((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(all.find("MiB of SST checksums in"), std::string::npos);
}

}  // namespace
}  // namespace zhiban::test
