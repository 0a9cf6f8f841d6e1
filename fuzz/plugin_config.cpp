// A notifier's TOML config: routes and templates against the event schema,
// for each channel, and the SMS and WeCom sections.
#include <cstdint>
#include <sstream>
#include <string_view>

#include <toml++/toml.h>

#include "fuzz/check.h"
#include "plugins/sdk/routing.h"
#include "plugins/sms/sms.h"
#include "plugins/wecom/wecom.h"

namespace {

void Check(const zhiban::Status& s) { zhiban::fuzz::ExpectUtf8(s.message(), "the error"); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  toml::table config;
  try {
    config = toml::parse(text, std::string_view("fuzz.toml"));
  } catch (const toml::parse_error&) {
    return 0;  // the SDK reports it with line and column (app.cpp)
  }
  // The three channels' needs, as plugins/{sms,wecom,console}/main.cpp declare them.
  using zhiban::plugin::ChannelNeeds;
  const ChannelNeeds sms{.channel = "sms",
                         .contact_field = "phone",
                         .provider_template_key = "sms_template",
                         .provider_params_key = "sms_params"};
  const ChannelNeeds wecom{.channel = "wecom", .one_message_per_recipient = false};
  const ChannelNeeds console{.channel = "console",
                             .looks_up_contacts = false,
                             .one_message_per_recipient = false,
                             .accepts_other_channels = true};
  for (const ChannelNeeds& needs : {sms, wecom, console}) {
    auto router = zhiban::plugin::Router::Parse(config, needs, "fuzz.toml");
    if (!router.ok()) Check(router.status());
  }
  if (const auto* sms = config["sms"].as_table()) {
    auto c = zhiban::sms::ParseSmsConfig(*sms, "fuzz.toml");
    if (!c.ok()) Check(c.status());
  }
  if (const auto* wecom = config["wecom"].as_table()) {
    auto c = zhiban::wecom::ParseWecomConfig(*wecom, "fuzz.toml");
    if (!c.ok()) Check(c.status());
  }
  return 0;
}
