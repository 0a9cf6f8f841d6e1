// zhiban-notify-wecom: WeCom group robot or application messages. See
// wecom.h, plugins/README.md and plugins/wecom/zhiban-notify-wecom.toml.
#include "plugins/sdk/app.h"
#include "plugins/wecom/wecom.h"

int main(int argc, char** argv) {
  zhiban::plugin::PluginSpec spec;
  spec.name = "wecom";
  spec.description = "WeCom (企业微信) group robot and application messages";
  // One message per route names every recipient (@-mentions or touser).
  spec.needs = {.channel = "wecom", .one_message_per_recipient = false};
  spec.section = "wecom";
  spec.default_per_minute = 20;  // a robot's limit; [rate_limit] raises it for app mode
  spec.make =
      [](const toml::table& section, std::unique_ptr<zhiban::plugin::Router> router,
         const std::string& source) -> zhiban::Result<std::unique_ptr<zhiban::plugin::Notifier>> {
    ZB_ASSIGN_OR_RETURN(auto config, zhiban::wecom::ParseWecomConfig(section, source));
    return std::unique_ptr<zhiban::plugin::Notifier>(
        std::make_unique<zhiban::wecom::WecomNotifier>(std::move(router), std::move(config)));
  };
  return zhiban::plugin::PluginMain(argc, argv, spec);
}
