// zhiban-notify-console: a notifier that prints what would be sent. Used by
// ops/quickstart.sh so a new user sees notifications happen, and the smallest
// example of a plugin built on plugins/sdk.
//
// Without --config it prints one line for every event: for the events that
// concern staff, the built-in Chinese text a staff member would receive
// (plugins/sdk/default_templates.h — what a new WeCom config starts from),
// for the rest the sentence zhibanctl's event lists show too
// (clients/lib/event_text.h). With a config it follows the routes and
// templates like the SMS and WeCom plugins do, so a config can be tried out
// here before it reaches anybody's phone.
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <toml++/toml.h>
#include <CLI/CLI.hpp>

#include "clients/lib/event_text.h"
#include "plugins/sdk/app.h"
#include "plugins/sdk/default_templates.h"

namespace {

namespace v1 = zhiban::v1;
using zhiban::Result;
using zhiban::plugin::Delivery;

// The built-in routes, each also to the duty desk (值班台) so that an event
// naming nobody (a gap with no backup) still prints.
std::unique_ptr<zhiban::plugin::Router> DefaultRouter() {
  auto config = zhiban::plugin::DefaultRoutingConfig({"group:desk"});
  config.insert("groups",
                toml::table{{"desk", toml::table{{"members",
                                                  toml::array{toml::table{{"name", "值班台"}}}}}}});
  auto router = zhiban::plugin::Router::Parse(
      config, {.channel = "console", .one_message_per_recipient = false}, "built-in templates");
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
    n.set_text(zhiban::client::EventText(e));
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
  // An SMS or WeCom config can be tried here as it is.
  spec.needs = {.channel = "console",
                .looks_up_contacts = false,
                .one_message_per_recipient = false,
                .accepts_other_channels = true};
  spec.config_required = false;
  spec.quiet_by_default = false;
  spec.add_options = [&](CLI::App& app) {
    app.add_option("--out", out_path, "append notifications to this file (default: stdout)");
  };
  spec.make = [&](const toml::table&, std::unique_ptr<zhiban::plugin::Router> router,
                  const std::string&) -> Result<std::unique_ptr<zhiban::plugin::Notifier>> {
    if (!out_path.empty()) {
      file.open(out_path, std::ios::app);
      if (!file) return zhiban::Status::InvalidArgument("out", "cannot open --out " + out_path);
      // Created owner-only (the umask); one an older console made 0644 is
      // tightened. A device or pipe is left as it is.
      if (std::error_code ec; std::filesystem::is_regular_file(out_path, ec)) {
        if (auto s = zhiban::plugin::KeepToOwner(out_path); !s.ok())
          return zhiban::Status::InvalidArgument("out", s.message());
      }
    }
    return std::unique_ptr<zhiban::plugin::Notifier>(
        std::make_unique<Console>(std::move(router), out_path.empty() ? std::cout : file));
  };
  return zhiban::plugin::PluginMain(argc, argv, spec);
}
