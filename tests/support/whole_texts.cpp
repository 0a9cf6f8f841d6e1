#include "tests/support/whole_texts.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>
#include <toml++/toml.h>

#include "plugins/sdk/default_templates.h"

namespace zhiban::test {
namespace {

namespace pb = google::protobuf;

// Every enum value name of the schema a plugin reads.
const std::set<std::string>& EnumNames() {
  static const std::set<std::string> names = [] {
    std::set<std::string> out;
    std::set<const pb::FileDescriptor*> seen;
    std::vector<const pb::FileDescriptor*> files = {v1::Event::descriptor()->file()};
    while (!files.empty()) {
      const auto* f = files.back();
      files.pop_back();
      if (!seen.insert(f).second) continue;
      for (int i = 0; i < f->dependency_count(); ++i) files.push_back(f->dependency(i));
      std::vector<const pb::EnumDescriptor*> enums;
      for (int i = 0; i < f->enum_type_count(); ++i) enums.push_back(f->enum_type(i));
      std::vector<const pb::Descriptor*> msgs;
      for (int i = 0; i < f->message_type_count(); ++i) msgs.push_back(f->message_type(i));
      while (!msgs.empty()) {
        const auto* m = msgs.back();
        msgs.pop_back();
        for (int i = 0; i < m->enum_type_count(); ++i) enums.push_back(m->enum_type(i));
        for (int i = 0; i < m->nested_type_count(); ++i) msgs.push_back(m->nested_type(i));
      }
      for (const auto* en : enums) {
        for (int i = 0; i < en->value_count(); ++i) out.insert(en->value(i)->name());
      }
    }
    return out;
  }();
  return names;
}

// The values of the event's identifier fields (`id`, `*_id`).
void Ids(const pb::Message& m, std::set<std::string>* out) {
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(m, f); ++k) Ids(r->GetRepeatedMessage(m, f, k), out);
      } else if (r->HasField(m, f)) {
        Ids(r->GetMessage(m, f), out);
      }
    } else if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING &&
               (f->name() == "id" || f->name().ends_with("_id") || f->name().ends_with("_ids"))) {
      if (f->is_repeated()) {
        for (int k = 0; k < r->FieldSize(m, f); ++k) out->insert(r->GetRepeatedString(m, f, k));
      } else {
        out->insert(r->GetString(m, f));
      }
    }
  }
}

void EraseAll(std::string* s, const std::string& what) {
  if (what.empty()) return;
  for (size_t at; (at = s->find(what)) != std::string::npos;) s->erase(at, what.size());
}

// The marks a slot sits between.
const std::vector<std::string>& Marks() {
  static const std::vector<std::string> marks = {"，", "。", "、", "；", "：", "！", "？",
                                                 ",",  ".",  ";",  ":",  "!",  "?"};
  return marks;
}

// The mark `s` starts with at `at`, if any.
std::string MarkAt(const std::string& s, size_t at) {
  for (const auto& m : Marks()) {
    if (s.compare(at, m.size(), m) == 0) return m;
  }
  return {};
}

// What is wrong with a rendered text, empty when it is whole.
}  // namespace

std::vector<std::string> TextFaults(const std::string& text, const v1::Event& e) {
  std::vector<std::string> out;
  // Two marks in a row, spaces between them ignored.
  std::string squeezed;
  for (char c : text) {
    if (c != ' ') squeezed += c;
  }
  std::string previous;
  for (size_t i = 0; i < squeezed.size();) {
    const std::string m = MarkAt(squeezed, i);
    // "12:00", "1.5": ASCII marks between digits are times and numbers.
    const bool in_number = m.size() == 1 && i > 0 && i + 1 < squeezed.size() &&
                           isdigit(static_cast<unsigned char>(squeezed[i - 1])) &&
                           isdigit(static_cast<unsigned char>(squeezed[i + 1]));
    if (!m.empty() && !in_number) {
      if (!previous.empty()) out.push_back(fmt::format("doubled mark \"{}{}\"", previous, m));
      if (i == 0) out.push_back(fmt::format("starts with \"{}\"", m));
      previous = m;
      i += m.size();
    } else {
      previous.clear();
      ++i;
    }
  }
  if (squeezed.ends_with("：") || squeezed.ends_with("，") || squeezed.ends_with("、"))
    out.push_back("ends on an open slot");
  for (const char* empty : {"（）", "()", "“”", "【】", "「」", "《》", "（，", "（。", "，）"}) {
    if (squeezed.find(empty) != std::string::npos)
      out.push_back(fmt::format("empty slot \"{}\"", empty));
  }
  // A label with nothing after it.
  // (Not "请" nor "值班领导": "高龄津贴申请，" and "请报告值班领导。" are whole.)
  for (const char* label : {"AB岗", "原为", "电话", "改由"}) {
    for (size_t at = squeezed.find(label); at != std::string::npos;
         at = squeezed.find(label, at + 1)) {
      const size_t after = at + std::string(label).size();
      if (at >= 3 && squeezed.compare(at - 3, 3, "无") == 0) continue;  // "暂无AB岗，"
      if (after >= squeezed.size() || !MarkAt(squeezed, after).empty() ||
          squeezed.compare(after, 3, "）") == 0)
        out.push_back(fmt::format("nothing after \"{}\"", label));
    }
  }
  for (const char* hole : {"值班领导知悉", "改由值班", "请顶岗", "请安排"}) {
    if (squeezed.find(hole) != std::string::npos)
      out.push_back(fmt::format("a name missing in \"{}\"", hole));
  }
  // A change to the person who had it already ("改由李娜值班（原为李娜）").
  // (Plain scans, not std::regex: GCC 12 warns inside <regex> under ASan.)
  for (size_t at = squeezed.find("改由"); at != std::string::npos;
       at = squeezed.find("改由", at + 1)) {
    const size_t from = at + std::string_view("改由").size();
    const size_t to = squeezed.find("值班（原为", from);
    if (to == std::string::npos) break;
    const std::string who = squeezed.substr(from, to - from);
    if (!who.empty() && squeezed.compare(to + std::string_view("值班（原为").size(), who.size() + 3,
                                         who + "）") == 0) {
      out.push_back(fmt::format("a change from {} to {}", who, who));
      break;
    }
  }
  // Claims no event carries the facts for.
  for (const char* claim : {"已安排他人顶岗"}) {
    if (text.find(claim) != std::string::npos)
      out.push_back(fmt::format("claims \"{}\", which the event cannot say", claim));
  }
  if (text.find_first_of("{}") != std::string::npos) out.push_back("a brace is left");
  for (const auto& topic : plugin::KnownTopics()) {
    if (text.find(topic) != std::string::npos)
      out.push_back(fmt::format("names the topic {}", topic));
  }
  // ASCII words: enum names, then any English left once identifiers are out.
  std::string rest = text;
  std::set<std::string> ids;
  Ids(e, &ids);
  std::vector<std::string> longest_first(ids.begin(), ids.end());
  std::sort(longest_first.begin(), longest_first.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
  for (const auto& id : longest_first) EraseAll(&rest, id);
  EraseAll(&rest, "AB岗");
  auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  for (size_t i = 0; i < rest.size();) {
    if (!letter(rest[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < rest.size() && letter(rest[j])) ++j;
    const std::string w = rest.substr(i, j - i);
    out.push_back(EnumNames().count(w) ? fmt::format("names the enum value {}", w)
                                       : fmt::format("ASCII English \"{}\"", w));
    i = j;
  }
  return out;
}

plugin::ChannelNeeds ConsoleNeeds() {
  return {.channel = "console",
          .looks_up_contacts = false,
          .one_message_per_recipient = false,
          .accepts_other_channels = true};
}

std::unique_ptr<plugin::Router> ConsoleBuiltinRouter() {
  auto config = plugin::DefaultRoutingConfig({"group:desk"});
  config.insert("groups",
                toml::table{{"desk", toml::table{{"members",
                                                  toml::array{toml::table{{"name", "值班台"}}}}}}});
  auto router = plugin::Router::Parse(config, ConsoleNeeds(), "built-in");
  return router.ok() ? std::move(*router) : nullptr;
}

TextCheck CheckTexts(const plugin::Router& router, const std::string& config,
                     const std::vector<v1::Event>& events,
                     const std::function<std::string(size_t)>& what) {
  const bool print = std::getenv("ZHIBAN_PRINT_TEXTS") != nullptr;
  static std::set<std::string> printed;
  TextCheck out;
  std::set<std::string> reported;  // route + first fault
  for (size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    std::vector<std::string> blanks;
    auto ns = router.Render(e, &blanks);
    if (!ns.ok()) {
      out.reports.push_back(fmt::format("{}: {} (seq {}) not rendered: {}", config, e.topic(),
                                        e.seq(), ns.status().message()));
      continue;
    }
    for (const auto& n : *ns) {
      ++out.rendered;
      out.routes.insert(n.route());
      if (print && printed.insert(n.text()).second)
        std::printf("%s %s: %s\n", config.c_str(), n.route().c_str(), n.text().c_str());
      auto faults = TextFaults(n.text(), e);
      for (const auto& b : blanks) {
        if (b.starts_with(n.route() + ":")) faults.push_back("blank " + b);
      }
      for (const auto& p : n.params()) {
        for (auto& f : TextFaults(p.value(), e)) faults.push_back(p.name() + ": " + f);
      }
      if (faults.empty()) continue;
      ++out.faulty;
      if (reported.insert(n.route() + "\n" + faults.front()).second) {
        out.reports.push_back(
            fmt::format("{} route {}, {}:\n  {}\n  {}", config, n.route(),
                        what ? what(i) : fmt::format("{} (seq {})", e.topic(), e.seq()), n.text(),
                        fmt::join(faults, "; ")));
      }
    }
  }
  return out;
}

TextCheck CheckBuiltinTexts(const std::vector<v1::Event>& events) {
  auto router = ConsoleBuiltinRouter();
  if (!router) {
    TextCheck broken;
    broken.reports.push_back("the built-in templates do not parse");
    return broken;
  }
  return CheckTexts(*router, "built-in", events);
}

}  // namespace zhiban::test
