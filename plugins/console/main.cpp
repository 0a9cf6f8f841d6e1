// zhiban-notify-console: a notifier that prints what would be sent. Used by
// ops/quickstart.sh so a new user sees notifications happen, and as the
// smallest example of a plugin built on plugins/sdk.
//
//   zhiban-notify-console [--state-dir D] [--pub E] [--replay E] [--topic P]... [--out FILE]
//   zhiban-notify-console dead list | dead redrive --id EVENT_ID
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "plugins/sdk/runner.h"

namespace {

std::atomic<bool> g_stop{false};

using zhiban::plugin::Delivery;
namespace v1 = zhiban::v1;

// The text a staff member would receive.
std::string Render(const v1::Event& e) {
  switch (e.body_case()) {
    case v1::Event::kCenterAdded:
      return fmt::format("新增服务中心：{}（{}）", e.center_added().center().name(), e.center_id());
    case v1::Event::kCenterUpdated:
      return fmt::format("服务中心信息更新：{}", e.center_updated().center().name());
    case v1::Event::kCenterRemoved:
      return fmt::format("服务中心撤销：{}", e.center_removed().center().name());
    case v1::Event::kStaffAdded:
      return fmt::format("{}，欢迎加入{}值班队伍", e.staff_added().staff().name(), e.center_id());
    case v1::Event::kStaffUpdated:
      return fmt::format("{}，您的值班信息已更新（{}）", e.staff_updated().staff().name(),
                         fmt::join(e.staff_updated().changed_fields(), "、"));
    case v1::Event::kStaffRemoved:
      return fmt::format("{}已不在值班名单中", e.staff_removed().staff().name());
    case v1::Event::kCalendarUpdated:
      return fmt::format("日历调整 {}~{}：{}", e.calendar_updated().from(), e.calendar_updated().to(),
                         e.calendar_updated().reason());
    case v1::Event::kPolicyUpdated:
      return fmt::format("开放时间规则“{}”第{}版自{}起执行", e.policy_updated().name(),
                         e.policy_updated().version(), e.policy_updated().effective_from());
    case v1::Event::kPolicyAssigned:
      return fmt::format("{}自{}起执行“{}”", e.center_id(), e.policy_assigned().assignment().from(),
                         e.policy_assigned().assignment().policy());
    default:
      return e.topic();
  }
}

class Console final : public zhiban::plugin::Notifier {
 public:
  Console(std::ostream& out, std::vector<std::string> topics) : out_(out), topics_(std::move(topics)) {}
  bool Wants(const v1::Event& e) const override {
    if (topics_.empty()) return true;
    for (const auto& t : topics_) {
      if (e.topic().starts_with(t)) return true;
    }
    return false;
  }
  Delivery Deliver(const v1::Event& e) override {
    out_ << fmt::format("[{}] #{} {} {}\n", e.id(), e.seq(), e.topic(), Render(e)) << std::flush;
    return out_ ? Delivery::Ok() : Delivery::Retry("cannot write the output");
  }

 private:
  std::ostream& out_;
  std::vector<std::string> topics_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"zhiban-notify-console — prints the notifications zhiban would send"};
  zhiban::plugin::RunnerOptions opts;
  opts.state_dir = "./var/notify-console";
  std::vector<std::string> topics;
  std::string out_path, id;
  app.add_option("--state-dir", opts.state_dir, "cursor, delivered ids, dead letters")->capture_default_str();
  app.add_option("--pub", opts.pub_endpoint, "zhiband PUB endpoint")->capture_default_str();
  app.add_option("--replay", opts.replay_endpoint, "zhiband replay endpoint")->capture_default_str();
  app.add_option("--topic", topics, "only topics starting with this (repeatable)");
  app.add_option("--out", out_path, "append notifications to this file (default: stdout)");
  auto* dead = app.add_subcommand("dead", "dead letters");
  auto* dead_list = dead->add_subcommand("list", "events given up on");
  auto* dead_redrive = dead->add_subcommand("redrive", "try a dead letter again");
  dead_redrive->add_option("--id", id, "event id")->required();
  CLI11_PARSE(app, argc, argv);

  spdlog::set_default_logger(spdlog::stderr_color_mt("notify-console"));
  std::ofstream file;
  if (!out_path.empty()) file.open(out_path, std::ios::app);
  std::ostream& out = out_path.empty() ? std::cout : file;
  Console console(out, topics);
  zmq::context_t ctx(1);
  zhiban::plugin::Runner runner(ctx, opts, console);
  if (auto s = runner.Open(); !s.ok()) {
    std::fprintf(stderr, "zhiban-notify-console: %s\n", s.message().c_str());
    return 1;
  }
  if (dead_list->parsed()) {
    (void)runner.state().ListDead([](const v1::DeadLetter& d) {
      std::cout << fmt::format("{}  #{}  {}  attempts {}  {}\n", d.event().id(), d.event().seq(),
                               d.event().topic(), d.attempts(), d.reason());
    });
    return 0;
  }
  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::signal(SIGINT, [](int) { g_stop = true; });
  if (dead_redrive->parsed()) {
    auto s = runner.Redrive(id, g_stop);
    if (!s.ok()) {
      std::fprintf(stderr, "zhiban-notify-console: %s\n", s.message().c_str());
      return 1;
    }
    return 0;
  }
  spdlog::info("following {} from seq {}", opts.pub_endpoint, runner.state().cursor());
  zhiban::Status s = runner.Run(g_stop);
  const auto& st = runner.stats();
  spdlog::info("stopped at seq {}: {} delivered, {} skipped, {} duplicates, {} dead",
               runner.state().cursor(), st.delivered, st.skipped, st.duplicates, st.dead);
  if (!s.ok()) {
    std::fprintf(stderr, "zhiban-notify-console: %s\n", s.message().c_str());
    return 1;
  }
  return 0;
}
