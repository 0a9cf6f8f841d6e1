// Routing and templates: which events become which notifications, to whom,
// with what text. Configured in the plugin's TOML (see plugins/README.md):
//
//   [[route]]
//   name = "shift-reminder"
//   topics = ["staff.added", "shift.*"]     # exact topics or "<domain>.*"
//   centers = ["street-a"]                  # optional; default every center
//   to = ["subject", "group:leaders"]       # subject | leader | group:<name>
//   template = "welcome"
//   urgent = false                          # urgent ones are never held in quiet hours
//   starts_within_hours = 2                 # optional: only when the event's shift starts
//                                           # within 2 h of the event (or has started)
//   starts_beyond_hours = 2                 # optional: only when it starts later than that
//   unless = "at_publication"               # optional: not when this yes/no field of the
//                                           # event is true
//
//   [templates.welcome]
//   text = "{staff.name}，欢迎加入{center_id}值班队伍"
//   sms_template = "1234567"                          # a channel's own keys (here SMS's):
//   sms_params = ["name={staff.name}", "center={center_id}"]   # ChannelNeeds names them
//
//   [groups.leaders]
//   members = [{ name = "王主任", phone = "13800000000", wecom_user_id = "wangzr" }]
//
// A route's template is one of [templates.*] or a built-in one named by
// topic (`template = "shift.reminder"`, default_templates.h).
//
// Parameters name fields of the event body by path (`staff.name`), or the
// event's own `seq`, `id`, `topic`, `center_id`, `center_name`, `actor`,
// `time`. Times print as local "YYYY-MM-DD HH:MM"; a time never set as "未定". Every
// parameter of every route is resolved against the event schema when the
// plugin starts: a missing one is a start-up error, never a blank message.
//
// A field the event leaves empty (an empty text, an unset time or record, an
// empty list, an enum's *_UNSPECIFIED; numbers always count) is not printed
// blank when the template says what to do without it:
//
//   text = ["空岗：{shift.date}，请AB岗{backup.name}顶岗。",   # variants: the first
//           "空岗：{shift.date}，请值班领导安排顶岗。"]          # whose fields all have
//                                                             # values, naming nobody
//                                                             # through two records
//                                                             # (staff = previous);
//                                                             # else the last
//   text = "新预约：{appointment.for_name}{?，{service_name}}。" # {?…}: shown only when
//                                                             # each field in it has one
//
// At most kMaxTextVariants variants; segments do not nest. A provider's
// approved template (SMS) has one text.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "daemon/base/status.h"
#include "zhiban/v1/events.pb.h"
#include "zhiban/v1/plugin.pb.h"

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace zhiban::plugin {

// At most this many variants of one template's text.
inline constexpr size_t kMaxTextVariants = 16;

struct Template {
  std::string name;
  std::vector<std::string> texts;  // `text`: one pattern, or its variants in order
  std::string provider_template;   // the provider's approved template id (ChannelNeeds)
  std::vector<std::pair<std::string, std::string>> provider_params;  // variable, pattern
};

// What a channel asks of the router. The SDK knows no channel by name: each
// plugin says here what its messages need (plugins/sms/main.cpp, wecom/,
// console/).
struct ChannelNeeds {
  std::string channel;  // the channel's name, for messages ("sms")
  // The zhiban.v1.Recipient field a message needs to reach someone ("phone",
  // "wecom_user_id"); empty: anyone (a console, a group chat's robot). A
  // group member without it is skipped and counted (Router::unreachable); a
  // staff member's is looked up before sending and checked then (Runner).
  std::string contact_field;
  // false: the channel reaches nobody's phone or WeCom (the console prints
  // names), so the plugin asks zhiband for no contact at all.
  bool looks_up_contacts = true;
  bool one_message_per_recipient = true;  // SMS: yes; WeCom: one message names them all
  // A provider that sends only its approved templates: the [templates.*]
  // keys of the template's id and of its variables ("variable={parameter}",
  // in order), both then required (SMS: "sms_template", "sms_params").
  // Empty: the channel sends the rendered text.
  std::string provider_template_key;
  std::string provider_params_key;
  // A config written for another channel runs here as it is (the console
  // tries SMS and WeCom configs): template keys and top-level sections that
  // are not this channel's are ignored instead of refused.
  bool accepts_other_channels = false;
};

class Router {
 public:
  // Parses and checks [[route]], [templates.*], [groups.*] of `config`.
  // `source` names the file in errors.
  static Result<std::unique_ptr<Router>> Parse(const toml::table& config, const ChannelNeeds& needs,
                                               const std::string& source);
  ~Router();

  bool Wants(const v1::Event& e) const;
  // The notifications for one event (empty: nobody to tell). Errors are
  // render failures that the caller dead-letters.
  Result<std::vector<v1::Notification>> Render(const v1::Event& e) const;
  // The same, and appends to `blanks` each "route: {parameter}" (a provider
  // template's variable: "route: var={parameter}") that printed empty (or
  // 未定): a field the event lacked in the variant used because no variant
  // fitted, or that a variable names. Never one for a built-in template over the daemon's
  // events (tests/unit/plugins/texts_test.cpp).
  Result<std::vector<v1::Notification>> Render(const v1::Event& e,
                                               std::vector<std::string>* blanks) const;

  size_t route_count() const;
  uint64_t unreachable() const;  // group members skipped for lack of a contact

 private:
  struct Impl;
  explicit Router(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Every topic the daemon publishes, from the Event schema (body field
// `center_added` is topic `center.added`).
std::vector<std::string> KnownTopics();

}  // namespace zhiban::plugin
