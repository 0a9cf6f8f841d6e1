// zhiban-notify-sms: SMS through Tencent Cloud or Alibaba Cloud. See sms.h,
// plugins/README.md for the config, and plugins/sms/zhiban-notify-sms.toml.
#include "plugins/sdk/app.h"
#include "plugins/sms/sms.h"

int main(int argc, char** argv) {
  zhiban::plugin::PluginSpec spec;
  spec.name = "sms";
  spec.description = "SMS notifications through Tencent Cloud or Alibaba Cloud";
  spec.needs = {.channel = "sms",
                .contact_field = "phone",
                .one_message_per_recipient = true,
                .provider_template_key = "sms_template",
                .provider_params_key = "sms_params"};
  spec.section = "sms";
  spec.make =
      [](const toml::table& section, std::unique_ptr<zhiban::plugin::Router> router,
         const std::string& source) -> zhiban::Result<std::unique_ptr<zhiban::plugin::Notifier>> {
    ZB_ASSIGN_OR_RETURN(auto config, zhiban::sms::ParseSmsConfig(section, source));
    auto provider = config.provider == "tencent" ? zhiban::sms::MakeTencent(config)
                                                 : zhiban::sms::MakeAlibaba(config);
    return std::unique_ptr<zhiban::plugin::Notifier>(std::make_unique<zhiban::sms::SmsNotifier>(
        std::move(router), std::move(config), std::move(provider)));
  };
  return zhiban::plugin::PluginMain(argc, argv, spec);
}
