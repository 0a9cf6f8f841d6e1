// Texts that are whole (issue 36): every built-in template, and every
// template of the shipped example configs, rendered over every kind of event
// its routes take, with each field the daemon may leave empty present and
// absent in every combination, reads as a whole Chinese sentence.
//
// What "whole" means, precisely: tests/support/whole_texts.h.
//
// The corpus: for each topic a route takes, an event with every field set to
// what the daemon sends (Chinese names, dates, masked phone, reason codes),
// then every combination of clearing the fields the templates read that the
// daemon may leave empty (kAlwaysSet lists those it never does), each at two
// event times: an hour before the shift (an urgent gap) and three days
// before (a planning gap).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>
#include <toml++/toml.h>

#include "plugins/sdk/default_templates.h"
#include "plugins/sdk/routing.h"
#include "tests/support/source.h"
#include "tests/support/whole_texts.h"

namespace zhiban::plugin {
namespace {

namespace pb = google::protobuf;

constexpr int64_t kShiftStart = 1796085000;  // 2026-12-01 08:30 +08:00

// ---- the corpus --------------------------------------------------------------------

// Who each Staff field of an event is, so that texts name different people.
std::string StaffName(const std::string& field) {
  static const std::map<std::string, std::string> names = {
      {"staff", "李娜"},    {"backup", "王芳"},   {"leader", "赵磊"},    {"previous", "张伟"},
      {"absent", "刘洋"},   {"proposal", "陈静"}, {"requester", "孙丽"}, {"counterpart", "周强"},
      {"outgoing", "吴敏"}, {"incoming", "郑涛"}};
  auto it = names.find(field);
  return it == names.end() ? "何平" : it->second;
}

// What the daemon puts in a text field, by message and field name; codes
// where the daemon writes codes. A field missing here gets its own name,
// ASCII, so a template printing it fails until a real sample is added.
std::string Sample(const pb::Descriptor* m, const pb::FieldDescriptor* f,
                   const std::string& parent) {
  const std::string& n = f->name();
  const std::string& type = m->name();
  if (type == "Staff") {
    if (n == "name") return StaffName(parent);
    if (n == "id") return "staff-" + parent;
    if (n == "work_since") return "2015-07-01";
    if (n == "phone") return "13800000001";
    if (n == "wecom_user_id") return "lina";
  }
  if (type == "ResidentCard" && n == "name") return "王*华";
  if (type == "Center" && n == "name") return "幸福社区党群服务中心";
  if (type == "PolicyUpdated" && n == "name") return "community-standard";
  if (type == "AccessKey" && n == "name") return "sms";
  if (type == "Leave" && n == "to") return "2026-12-03";
  if (type == "Leave" && n == "reason") return "家中有事";
  if (type == "ShiftSwap" && n == "reason") return "家中有事";
  if (type == "CalendarUpdated" && n == "reason") return "national calendar 2026 imported";
  if (type == "CalendarUpdated" && n == "to") return "2026-12-03";
  static const std::map<std::string, std::string> by_name = {
      {"id", "x-1"},
      {"date", "2026-12-01"},
      {"start_local", "08:30"},
      {"end_local", "12:00"},
      {"at_local", "2026-12-01 08:30"},
      {"from", "2026-12-01"},
      {"to", "2026-12-01"},
      {"effective_from", "2026-12-01"},
      {"month", "2026-12"},
      {"hours", "42.5"},
      {"holiday", "元旦"},
      {"reason", "leave lv-3"},  // the rota's codes: "no-show", "swap sw-1", …
      {"lead", "eve"},
      {"service_name", "高龄津贴"},
      {"service", "elderly-allowance"},
      {"masked_phone", "138****5678"},
      {"address", "幸福路 8 号"},
      {"room", "活动室"},
      {"for_name", "幸福合唱团"},
      {"note", "请带老年证"},
      {"outcome", "已完成探访"},
      {"cancel_reason", "场地维修"},
      {"skills", "social-security"},
      {"changed_fields", "phone"},
      {"rules", "min_rest: 9h between 2026-12-01 and 2026-12-02 (< 11h)"},
      {"forced_by", "tester"},
      {"decided_by", "zhaolei"},
      {"booked_by", "tester"},
      {"declined_by", "zhangwei"},
      {"policy", "community-standard"},
      {"source", "rules.toml"},
      {"name", "name"},
      {"time_zone", "Asia/Shanghai"},
      {"rooms", "活动室"},
      {"shift_ids", "sh-1"},
      {"cover_center_ids", "dongshi"},
  };
  if (auto it = by_name.find(n); it != by_name.end()) return it->second;
  if (n.ends_with("_local")) return "17:30";  // a local clock time
  if (n.ends_with("_id")) return "xingfu";
  return n;
}

// Sets every field of `m`, to `depth` records deep; a repeated field gets one entry.
void Fill(pb::Message* m, const std::string& parent, int depth) {
  const auto* d = m->GetDescriptor();
  const auto* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (f->real_containing_oneof()) continue;
    const bool rep = f->is_repeated();
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_STRING:
        rep ? r->AddString(m, f, Sample(d, f, parent)) : r->SetString(m, f, Sample(d, f, parent));
        break;
      case pb::FieldDescriptor::CPPTYPE_INT32:
        rep ? r->AddInt32(m, f, 8) : r->SetInt32(m, f, 8);
        break;
      case pb::FieldDescriptor::CPPTYPE_INT64:
        rep ? r->AddInt64(m, f, 8) : r->SetInt64(m, f, 8);
        break;
      case pb::FieldDescriptor::CPPTYPE_UINT32:
        rep ? r->AddUInt32(m, f, 8) : r->SetUInt32(m, f, 8);
        break;
      case pb::FieldDescriptor::CPPTYPE_UINT64:
        rep ? r->AddUInt64(m, f, 8) : r->SetUInt64(m, f, 8);
        break;
      case pb::FieldDescriptor::CPPTYPE_DOUBLE:
        rep ? r->AddDouble(m, f, 39.9) : r->SetDouble(m, f, 39.9);
        break;
      case pb::FieldDescriptor::CPPTYPE_FLOAT:
        rep ? r->AddFloat(m, f, 1.5f) : r->SetFloat(m, f, 1.5f);
        break;
      case pb::FieldDescriptor::CPPTYPE_BOOL:
        // false, the default: a route's `unless` skips events where it is true.
        rep ? r->AddBool(m, f, false) : r->SetBool(m, f, false);
        break;
      case pb::FieldDescriptor::CPPTYPE_ENUM: {
        const auto* v = f->enum_type()->value(f->enum_type()->value_count() > 1 ? 1 : 0);
        rep ? r->AddEnum(m, f, v) : r->SetEnum(m, f, v);
        break;
      }
      case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
        if (f->message_type()->full_name() == "google.protobuf.Timestamp") {
          auto* t = rep ? r->AddMessage(m, f) : r->MutableMessage(m, f);
          // A shift's end 3.5 h after its start; every other time at its start.
          const int64_t s = kShiftStart + (f->name() == "end" ? 12600 : 0);
          t->GetReflection()->SetInt64(t, t->GetDescriptor()->FindFieldByName("seconds"), s);
        } else if (depth > 0) {
          Fill(rep ? r->AddMessage(m, f) : r->MutableMessage(m, f), f->name(), depth - 1);
        }
        break;
      }
    }
  }
}

// Fields the daemon always sets on the events that carry them
// (daemon/domain): a shift's window, the one each event is about. Every
// other field a template reads may be empty.
const std::set<std::string>& AlwaysSet() {
  static const std::set<std::string> fields = {"shift.date",
                                               "shift.start_local",
                                               "shift.end_local",
                                               "shift.start",
                                               "shift.end",
                                               "at_local",
                                               "leave.from",
                                               "leave.to",
                                               "shifts_affected",
                                               "shift_swap.id",
                                               "appointment.start",
                                               "staff.added:staff",
                                               "shift.reminder:staff",
                                               "shift.reminder:period_end_local",
                                               "rota.digest:staff",
                                               "rota.digest:month",
                                               "shift.assigned:staff",
                                               "leave.added:staff",
                                               "visit.assigned:staff",
                                               "swap.updated:requester",
                                               "policy.assigned:assignment",
                                               "calendar.updated:from",
                                               "calendar.updated:to"};
  return fields;
}

// A field to clear: a path of field names under the body.
using Clear = std::vector<std::string>;

// The fields of `body` that the texts name and the daemon may leave empty:
// a Staff record as a whole (nobody), a text or time as itself.
std::vector<Clear> Clearable(const pb::FieldDescriptor* body, const std::string& topic,
                             const std::set<std::string>& params) {
  std::set<Clear> out;
  for (const auto& p : params) {
    if (AlwaysSet().count(p)) continue;
    std::vector<std::string> path;
    for (size_t s = 0, dot; s <= p.size(); s = dot + 1) {
      dot = p.find('.', s);
      if (dot == std::string::npos) dot = p.size();
      path.push_back(p.substr(s, dot - s));
    }
    const auto* f = body->message_type()->FindFieldByName(path[0]);
    if (!f) continue;  // an event-level parameter ({center_name}): always set
    if (AlwaysSet().count(topic + ":" + path[0])) continue;
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE &&
        f->message_type() == v1::Staff::descriptor()) {
      out.insert({path[0]});
    } else if (path.size() == 1 || f->message_type() != v1::Staff::descriptor()) {
      const auto* leaf = f;
      for (size_t i = 1; i < path.size() && leaf->message_type(); ++i)
        leaf = leaf->message_type()->FindFieldByName(path[i]);
      if (leaf && (leaf->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING ||
                   leaf->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE))
        out.insert(path);
    }
  }
  return {out.begin(), out.end()};
}

void ClearPath(pb::Message* m, const Clear& path) {
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    const auto* f = m->GetDescriptor()->FindFieldByName(path[i]);
    m = m->GetReflection()->MutableMessage(m, f);
  }
  m->GetReflection()->ClearField(m, m->GetDescriptor()->FindFieldByName(path.back()));
}

struct Case {
  v1::Event event;
  std::string what;  // the fields cleared and the event's time, for messages
};

// Every combination of `clearable` emptied, on a full event of `body`.
std::vector<Case> Cases(const std::string& topic, const pb::FieldDescriptor* body,
                        const std::vector<Clear>& clearable) {
  std::vector<Case> out;
  for (int64_t before : {3600, 3 * 86400}) {
    for (uint32_t mask = 0; mask < (1u << clearable.size()); ++mask) {
      Case c;
      auto& e = c.event;
      e.set_seq(42);
      e.set_id("zb-42");
      e.set_topic(topic);
      e.set_center_id("xingfu");
      e.set_center_name("幸福社区党群服务中心");
      e.set_actor("tester");
      e.mutable_time()->set_seconds(kShiftStart - before);
      auto* b = e.GetReflection()->MutableMessage(&e, body);
      Fill(b, "", 3);
      std::vector<std::string> cleared;
      for (size_t i = 0; i < clearable.size(); ++i) {
        if (!(mask & (1u << i))) continue;
        ClearPath(b, clearable[i]);
        cleared.push_back(fmt::format("{}", fmt::join(clearable[i], ".")));
      }
      c.what = fmt::format("{}, {} h before the shift, without [{}]", e.topic(), before / 3600,
                           fmt::join(cleared, ", "));
      out.push_back(std::move(c));
    }
  }
  return out;
}

// ---- the templates -----------------------------------------------------------------

struct Config {
  std::string name;  // for messages
  toml::table table;
};

// The built-in routes as the console runs them without a config (also to
// the duty desk, so an event naming nobody still renders), and the shipped
// example configs as the console tries them.
std::vector<Config> Configs() {
  std::vector<Config> out;
  auto builtin = DefaultRoutingConfig({"group:desk"});
  builtin.insert(
      "groups", toml::table{{"desk", toml::table{{"members",
                                                  toml::array{toml::table{{"name", "值班台"}}}}}}});
  out.push_back({"built-in", std::move(builtin)});
  for (const char* rel :
       {"plugins/sms/zhiban-notify-sms.toml", "plugins/wecom/zhiban-notify-wecom.toml"}) {
    out.push_back({rel, toml::parse_file(test::Source(rel))});
  }
  return out;
}

// The parameters each topic's routes name in a config: {a.b} in any text.
std::map<std::string, std::set<std::string>> ParamsByTopic(const toml::table& config) {
  std::map<std::string, std::set<std::string>> out;
  auto texts_of = [&](const std::string& name) {
    std::vector<std::string> texts;
    if (const auto* t = config["templates"][name].as_table()) {
      const auto text = (*t)["text"];
      if (const auto* a = text.as_array()) {
        for (const auto& v : *a) texts.push_back(v.value_or(std::string()));
      } else {
        texts.push_back(text.value_or(std::string()));
      }
      if (const auto* ps = (*t)["sms_params"].as_array()) {
        for (const auto& v : *ps) texts.push_back(v.value_or(std::string()));
      }
    } else if (const auto* d = FindDefaultRoute(name)) {
      texts = d->texts;
    }
    return texts;
  };
  for (const auto& node : *config["route"].as_array()) {
    const auto& route = *node.as_table();
    std::vector<std::string> topics;
    for (const auto& topic : *route["topics"].as_array()) {
      const std::string t = topic.value_or(std::string());
      for (const auto& known : KnownTopics()) {
        if (t.ends_with(".*") ? known.starts_with(t.substr(0, t.size() - 1)) : known == t)
          topics.push_back(known);
      }
    }
    for (const auto& t : topics) out[t];
    for (const auto& text : texts_of(route["template"].value_or(std::string()))) {
      // "{name}" (a parameter: lowercase, digits, '_' and '.'); "{?…}" is a
      // segment whose inner parameters count. Scanned by hand, not with
      // std::regex (GCC 12 warns inside <regex> under ASan).
      for (size_t at = text.find('{'); at != std::string::npos; at = text.find('{', at + 1)) {
        size_t from = at + 1;
        if (from < text.size() && text[from] == '?') continue;
        size_t end = from;
        while (end < text.size() &&
               ((text[end] >= 'a' && text[end] <= 'z') || (text[end] >= '0' && text[end] <= '9') ||
                text[end] == '_' || text[end] == '.'))
          ++end;
        if (end == from || end >= text.size() || text[end] != '}') continue;
        if (!(text[from] >= 'a' && text[from] <= 'z') && text[from] != '_') continue;
        for (const auto& t : topics) out[t].insert(text.substr(from, end - from));
      }
    }
  }
  return out;
}

const pb::FieldDescriptor* BodyOf(const std::string& topic) {
  const auto* oneof = v1::Event::descriptor()->FindOneofByName("body");
  for (int i = 0; i < oneof->field_count(); ++i) {
    std::string t = oneof->field(i)->name();
    if (auto u = t.find('_'); u != std::string::npos) t[u] = '.';
    if (t == topic) return oneof->field(i);
  }
  return nullptr;
}

TEST(Texts, EveryTemplateReadsWholeOverEveryKindOfEvent) {
  size_t texts = 0, faulty = 0;
  for (const auto& config : Configs()) {
    auto router = Router::Parse(config.table, test::ConsoleNeeds(), config.name);
    ASSERT_TRUE(router.ok()) << router.status().message();
    std::vector<v1::Event> events;
    std::vector<std::string> whats;
    for (const auto& [topic, params] : ParamsByTopic(config.table)) {
      const auto* body = BodyOf(topic);
      ASSERT_NE(body, nullptr) << topic;
      const auto clearable = Clearable(body, topic, params);
      ASSERT_LE(clearable.size(), 10u) << topic << ": too many combinations";
      for (auto& c : Cases(topic, body, clearable)) {
        events.push_back(std::move(c.event));
        whats.push_back(std::move(c.what));
      }
    }
    const auto check =
        test::CheckTexts(**router, config.name, events, [&](size_t i) { return whats[i]; });
    for (const auto& r : check.reports) ADD_FAILURE() << r;
    texts += check.rendered;
    faulty += check.faulty;
    // Each route was tried.
    for (const auto& node : *config.table["route"].as_array()) {
      const std::string name = (*node.as_table())["name"].value_or(std::string());
      EXPECT_TRUE(check.routes.count(name))
          << config.name << ": route " << name << " rendered nothing";
    }
  }
  // The SMS example as the SMS plugin runs it: each approved template's
  // variables, which have no variants, are whole too.
  const auto sms = Configs()[1];
  auto router = Router::Parse(sms.table,
                              {.channel = "sms",
                               .contact_field = "phone",
                               .provider_template_key = "sms_template",
                               .provider_params_key = "sms_params"},
                              sms.name);
  ASSERT_TRUE(router.ok()) << router.status().message();
  std::vector<v1::Event> events;
  for (const auto& [topic, params] : ParamsByTopic(sms.table)) {
    const auto* body = BodyOf(topic);
    for (auto& c : Cases(topic, body, Clearable(body, topic, params)))
      events.push_back(std::move(c.event));
  }
  const auto check = test::CheckTexts(**router, sms.name + " (sms)", events);
  for (const auto& r : check.reports) ADD_FAILURE() << r;
  EXPECT_GT(check.rendered, 0u);
  std::printf("texts: %zu rendered, %zu faulty\n", texts, faulty);
  EXPECT_GT(texts, 300u);
}

// The checks themselves catch what issue 36 saw.
TEST(Texts, TheChecksCatchTheBrokenTextsOfIssue36) {
  v1::Event e;
  e.mutable_shift_changed()->mutable_shift()->set_id("sh-1");
  for (const char* broken :
       {"值班变动：幸福社区 2026-12-01 08:30–12:00 改由值班（原为李娜）。",
        "排班通知：2026-12-01 08:30–12:00 幸福社区，值班李娜，AB岗。",
        "，新预约：幸福合唱团，2026-09-16 18:00，，幸福社区。",
        "空岗提醒：幸福社区 无人在岗，请AB岗王芳顶岗；值班领导知悉。",
        "李娜，您的请假已登记：涉及8个班次，已安排他人顶岗。", "rule.violation rule.violation",
        "**值班队伍变动**（{topic}）：李娜", "空岗提醒：ON_CALL 班次无人在岗。",
        "值班日历调整：2026-12-01至2026-12-03，national calendar 2026 imported。",
        "请于 未定 前接单：（）", "空岗提醒：无人在岗，请AB岗，值班领导赵磊知悉。",
        "值班变动：幸福社区 2026-12-01 08:30–12:00 改由李娜值班（原为李娜）。"}) {
    EXPECT_FALSE(test::TextFaults(broken, e).empty()) << broken;
  }
  for (const char* whole : {"换班申请 sh-1：李娜 与 王芳，请在值班系统中查看并处理。",
                            "**开放时间调整**：幸福社区自2026-12-01起执行新的开放时间。",
                            "李娜，上门服务工单：高龄津贴，王*华，电话138****5678，请于 "
                            "2026-12-01 09:15 前接单。",
                            "工单升级：高龄津贴申请，王*华，请赵磊尽快接单处理。"}) {
    EXPECT_EQ(test::TextFaults(whole, e), std::vector<std::string>{}) << whole;
  }
}

}  // namespace
}  // namespace zhiban::plugin
