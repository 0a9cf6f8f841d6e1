// zhiban-notify-console: a notifier that prints what would be sent. Used by
// ops/quickstart.sh so a new user sees notifications happen, and the smallest
// example of a plugin built on plugins/sdk.
//
// Without --config it prints one line for every event: for the events that
// concern staff, the built-in Chinese text a staff member would receive
// (plugins/sdk/default_templates.h — what a new WeCom config starts from),
// for the rest a short description. With a config it follows the routes and
// templates like the SMS and WeCom plugins do, so a config can be tried out
// here before it reaches anybody's phone.
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <toml++/toml.h>
#include <CLI/CLI.hpp>

#include "plugins/sdk/app.h"
#include "plugins/sdk/default_templates.h"

namespace {

namespace v1 = zhiban::v1;
using zhiban::Result;
using zhiban::plugin::Delivery;

std::string Where(const v1::Event& e) {
  if (!e.center_name().empty()) return e.center_name();
  return e.center_id().empty() ? std::string("全网") : e.center_id();
}

// The text for events that concern no staff member, when no routes are configured.
std::string Describe(const v1::Event& e) {
  switch (e.body_case()) {
    case v1::Event::kCenterAdded:
      return fmt::format("新增服务中心：{}（{}）", e.center_added().center().name(), e.center_id());
    case v1::Event::kCenterUpdated:
      return fmt::format("服务中心信息更新：{}", e.center_updated().center().name());
    case v1::Event::kCenterRemoved:
      return fmt::format("服务中心撤销：{}", e.center_removed().center().name());
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
      return fmt::format("{}自{}起执行“{}”", Where(e), e.policy_assigned().assignment().from(),
                         e.policy_assigned().assignment().policy());
    case v1::Event::kRotationUpdated:
      return fmt::format("{}轮班“{}”已更新：{}人轮流", Where(e),
                         e.rotation_updated().rotation().id(),
                         e.rotation_updated().rotation().members_size());
    case v1::Event::kResidentAdded:
      return fmt::format("新增服务对象：{}（{}）", e.resident_added().resident().name(), Where(e));
    case v1::Event::kRotaGenerated: {
      const auto& g = e.rota_generated();
      return fmt::format("{}排班已生成 {}~{}：{}个班次，{}个空岗", Where(e), g.from(), g.to(),
                         g.shifts(), g.gaps());
    }
    case v1::Event::kRotaPublished: {
      const auto& p = e.rota_published();
      return fmt::format("{}已发布{}排班：{}个班次，{}个空岗", Where(e), p.month(), p.shifts(),
                         p.gaps());
    }
    case v1::Event::kShiftCheckedIn: {
      const auto& c = e.shift_checked_in();
      return fmt::format("{}已签到：{} {} {}", c.staff().name(), Where(e), c.shift().date(),
                         c.shift().start_local());
    }
    case v1::Event::kCoverageRestored: {
      const auto& c = e.coverage_restored();
      return fmt::format("空岗已补：{} {} {}–{} 由{}值班", Where(e), c.shift().date(),
                         c.shift().start_local(), c.shift().end_local(), c.staff().name());
    }
    case v1::Event::kVisitRequested:
      return fmt::format("新的上门服务需求：{}，{}，{}", e.visit_requested().service_name(),
                         e.visit_requested().resident().name(), Where(e));
    case v1::Event::kVisitAccepted:
      return fmt::format("{}已接单：{}，{}", e.visit_accepted().staff().name(),
                         e.visit_accepted().service_name(), e.visit_accepted().resident().name());
    case v1::Event::kVisitCompleted:
      return fmt::format("上门服务已完成：{}，{}（{}）", e.visit_completed().service_name(),
                         e.visit_completed().resident().name(), e.visit_completed().staff().name());
    default:
      return fmt::format("{}（{}）", e.topic(), Where(e));
  }
}

// The built-in routes, each also to the duty desk (值班台) so that an event
// naming nobody (a gap with no backup) still prints.
std::unique_ptr<zhiban::plugin::Router> DefaultRouter() {
  auto config = zhiban::plugin::DefaultRoutingConfig({"group:desk"});
  config.insert("groups",
                toml::table{{"desk", toml::table{{"members",
                                                  toml::array{toml::table{{"name", "值班台"}}}}}}});
  auto router = zhiban::plugin::Router::Parse(config,
                                              {.channel = "console",
                                               .contact = zhiban::plugin::Contact::kNone,
                                               .one_message_per_recipient = false},
                                              "built-in templates");
  if (!router.ok()) {  // a programming error: the unit tests parse the same table
    std::fprintf(stderr, "zhiban-notify-console: %s\n", router.status().message().c_str());
    std::abort();
  }
  return std::move(*router);
}

class Console final : public zhiban::plugin::Notifier {
 public:
  Console(std::unique_ptr<zhiban::plugin::Router> router, std::ostream& out)
      : router_(std::move(router)), out_(out) {
    if (!router_) default_ = DefaultRouter();
  }

  bool Wants(const v1::Event& e) const override { return router_ ? router_->Wants(e) : true; }

  Result<std::vector<v1::Notification>> Render(const v1::Event& e) override {
    if (router_) return router_->Render(e);
    if (default_->Wants(e)) return default_->Render(e);
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
  std::unique_ptr<zhiban::plugin::Router> default_;  // without a config
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
