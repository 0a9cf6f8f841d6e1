// The built-in Chinese text of every notification zhiban sends people: who,
// where, when, and what to do. zhiban-notify-console prints these when it runs
// without a config, and any config may name one as a route's template
// (`template = "shift.reminder"`) instead of writing its own — so a new WeCom
// or console config starts from exactly what the console shows. (SMS needs
// the provider's approved template id, so an SMS config defines its own
// [templates.*]; their text should say the same.)
#pragma once

#include <string>
#include <vector>

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace zhiban::plugin {

struct DefaultRoute {
  std::string name;                 // the route's and the template's name, e.g. "shift.reminder"
  std::vector<std::string> topics;  // what it covers
  std::vector<std::string> texts;   // the template's variants (routing.h syntax)
  bool urgent = false;              // sent even in quiet hours
  std::vector<std::string> to;      // empty: the event's subjects (every staff member it names)
  int starts_within_hours = -1;     // >= 0: routing.h's key of that name
  int starts_beyond_hours = -1;
  std::string unless;  // routing.h's key of that name
};

// One per topic that concerns staff members, in topic order.
const std::vector<DefaultRoute>& DefaultRoutes();
const DefaultRoute* FindDefaultRoute(const std::string& name);

// A routing config (routing.h): every default route, to its subjects plus
// `extra_to` (e.g. "group:desk", which the caller then defines).
toml::table DefaultRoutingConfig(const std::vector<std::string>& extra_to = {});

}  // namespace zhiban::plugin
