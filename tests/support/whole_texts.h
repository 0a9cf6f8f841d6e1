// Whether a text people read is whole (issue 36), and a check of a router's
// texts over a run of events: tests/unit/plugins/texts_test.cpp (every
// built-in and shipped template over every kind of event) and the
// integration tests (the built-in templates over the events of a real
// daemon's month and year).
//
// A text is whole when none of these holds:
// - a parameter printed blank (Router::Render names it): the template had no
//   variant or {?…} segment for the event (e.g. "改由值班（原为李娜）");
// - a slot is visibly empty: "，，", "（）", a text that starts with a mark
//   or ends with "：", "，" or "、", a label with nothing after it ("AB岗。",
//   "电话，", "原为）") or a name missing ("值班领导知悉", "改由值班");
// - it says a shift changed to the person who had it ("改由李娜值班（原为李娜）");
// - two marks of ，。、；：！？ (or their ASCII forms, except between digits:
//   "08:30") follow each other, spaces between them ignored;
// - `{` or `}` is left;
// - it names a topic ("rule.violation") or an enum value ("ON_CALL");
// - it has ASCII English: once the event's identifiers (the values of every
//   field named `id`, `*_id` or `*_ids`: staff, shifts, swaps, centers) and
//   the term "AB岗" are taken out, no ASCII letter may remain. Digits, dates,
//   times and masked phones are fine; codes such as a reason "leave lv-3", a
//   policy "community-standard", a service "elderly-allowance" are not;
// - it claims what no event can say ("已安排他人顶岗": leave.added counts
//   the shifts affected, not how many were covered).
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "plugins/sdk/routing.h"
#include "zhiban/v1/events.pb.h"

namespace zhiban::test {

// What is wrong with `text`, rendered from `e`; empty when it is whole.
std::vector<std::string> TextFaults(const std::string& text, const v1::Event& e);

// The built-in routes as zhiban-notify-console runs them without a config:
// each also to the duty desk (值班台), so an event naming nobody renders too.
std::unique_ptr<plugin::Router> ConsoleBuiltinRouter();

// The console's channel: any config runs as it is, one message names all.
plugin::ChannelNeeds ConsoleNeeds();

struct TextCheck {
  size_t rendered = 0;               // texts rendered
  size_t faulty = 0;                 // of them, texts with a fault
  std::set<std::string> routes;      // the routes that rendered
  std::vector<std::string> reports;  // per route, each first fault once: where, text, faults
};

// Renders each of `events` with `router` and checks every text; `what(i)`
// says what event i is in reports (default: its topic and seq). With
// ZHIBAN_PRINT_TEXTS set, prints each distinct text to read them all.
TextCheck CheckTexts(const plugin::Router& router, const std::string& config,
                     const std::vector<v1::Event>& events,
                     const std::function<std::string(size_t)>& what = {});

// CheckTexts with ConsoleBuiltinRouter(): the built-in texts over `events`.
TextCheck CheckBuiltinTexts(const std::vector<v1::Event>& events);

}  // namespace zhiban::test
