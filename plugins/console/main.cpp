// zhiban-notify-console: a notifier that prints what would be sent. Used by
// ops/quickstart.sh so a new user sees notifications happen, and the smallest
// example of a plugin built on plugins/sdk.
//
// Without --config it prints one line for every event; with one it follows
// the routes and templates like the SMS and WeCom plugins do, so a config can
// be tried out here before it reaches anybody's phone.
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "plugins/sdk/app.h"

namespace {

namespace v1 = zhiban::v1;
using zhiban::Result;
using zhiban::plugin::Delivery;

// The built-in text for each event when no routes are configured.
std::string Describe(const v1::Event& e) {
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
      return fmt::format("日历调整 {}~{}：{}", e.calendar_updated().from(),
                         e.calendar_updated().to(), e.calendar_updated().reason());
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
  Console(std::unique_ptr<zhiban::plugin::Router> router, std::ostream& out)
      : router_(std::move(router)), out_(out) {}

  bool Wants(const v1::Event& e) const override { return router_ ? router_->Wants(e) : true; }

  Result<std::vector<v1::Notification>> Render(const v1::Event& e) override {
    if (router_) return router_->Render(e);
    v1::Notification n;
    n.set_key(e.id());
    n.set_event_id(e.id());
    n.set_seq(e.seq());
    n.set_topic(e.topic());
    n.set_center_id(e.center_id());
    n.set_text(Describe(e));
    return std::vector<v1::Notification>{std::move(n)};
  }

  Delivery Send(const v1::Notification& n) override {
    std::vector<std::string> to;
    for (const auto& r : n.recipients()) to.push_back(r.name().empty() ? r.phone() : r.name());
    out_ << fmt::format("[{}] #{} {}{} {}\n", n.key(), n.seq(), n.topic(),
                        to.empty() ? "" : fmt::format(" → {}", fmt::join(to, ",")), n.text())
         << std::flush;
    return out_ ? Delivery::Ok() : Delivery::Retry("cannot write the output");
  }

 private:
  std::unique_ptr<zhiban::plugin::Router> router_;
  std::ostream& out_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string out_path;
  std::ofstream file;
  zhiban::plugin::PluginSpec spec;
  spec.name = "console";
  spec.description = "prints the notifications zhiban would send";
  spec.needs = {.channel = "console",
                .contact = zhiban::plugin::Contact::kNone,
                .one_message_per_recipient = false};
  spec.config_required = false;
  spec.quiet_by_default = false;
  spec.ignored_sections = {"sms", "wecom"};  // try an SMS or WeCom config here as it is
  spec.add_options = [&](CLI::App& app) {
    app.add_option("--out", out_path, "append notifications to this file (default: stdout)");
  };
  spec.make = [&](const toml::table&, std::unique_ptr<zhiban::plugin::Router> router,
                  const std::string&) -> Result<std::unique_ptr<zhiban::plugin::Notifier>> {
    if (!out_path.empty()) {
      file.open(out_path, std::ios::app);
      if (!file) return zhiban::Status::InvalidArgument("out", "cannot open --out " + out_path);
    }
    return std::unique_ptr<zhiban::plugin::Notifier>(
        std::make_unique<Console>(std::move(router), out_path.empty() ? std::cout : file));
  };
  return zhiban::plugin::PluginMain(argc, argv, spec);
}
