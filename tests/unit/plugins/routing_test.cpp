// Routing and templates (checked at start-up), quiet hours, the token bucket.
#include <algorithm>

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "plugins/sdk/default_templates.h"
#include "plugins/sdk/limits.h"
#include "plugins/sdk/routing.h"
#include "plugins/sdk/staleness.h"
#include "tests/support/source.h"

namespace zhiban::plugin {
namespace {

using namespace std::chrono_literals;

// The channels as their plugins declare them (plugins/*/main.cpp).
ChannelNeeds Sms() {
  return {.channel = "sms",
          .contact_field = "phone",
          .one_message_per_recipient = true,
          .provider_template_key = "sms_template",
          .provider_params_key = "sms_params"};
}
ChannelNeeds Wecom(std::string contact_field = "") {
  return {.channel = "wecom",
          .contact_field = std::move(contact_field),
          .one_message_per_recipient = false};
}
ChannelNeeds Console() {
  return {.channel = "console", .one_message_per_recipient = false, .accepts_other_channels = true};
}

// `toml` without the SMS channel's own template keys.
std::string TextOnly(const std::string& toml) {
  std::string out, line;
  for (char c : toml) {
    line += c;
    if (c != '\n') continue;
    if (!line.starts_with("sms_")) out += line;
    line.clear();
  }
  return out + line;
}

Result<std::unique_ptr<Router>> Parse(const std::string& toml, ChannelNeeds needs = Sms()) {
  return Router::Parse(toml::parse(toml), needs, "test.toml");
}

const char* kGood = R"(
[[route]]
name = "welcome"
topics = ["staff.added"]
to = ["subject", "group:leaders"]
template = "welcome"

[templates.welcome]
text = "{staff.name}，欢迎加入{center_id}值班队伍（{staff.roles}）"
sms_template = "1234567"
sms_params = ["name={staff.name}", "center={center_id}"]

[groups.leaders]
members = [{ name = "王主任", phone = "13800000001" }, { name = "无手机" }]
)";

v1::Event StaffAdded(const std::string& id, const std::string& phone) {
  v1::Event e;
  e.set_seq(7);
  e.set_id("i-7");
  e.set_topic("staff.added");
  e.set_center_id("street");
  auto* s = e.mutable_staff_added()->mutable_staff();
  s->set_id(id);
  s->set_name("李四");
  s->set_phone(phone);
  s->add_roles(v1::WORKER);
  s->add_roles(v1::LEADER);
  return e;
}

TEST(Router, RendersOneSmsPerRecipientWithParamsInOrder) {
  auto r = Parse(kGood);
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto e = StaffAdded("s1", "13900000001");
  ASSERT_TRUE((*r)->Wants(e));
  auto ns = (*r)->Render(e);
  ASSERT_TRUE(ns.ok());
  ASSERT_EQ(ns->size(), 2u);  // the subject and the leader with a phone; "无手机" is unreachable
  EXPECT_EQ((*ns)[0].key(), "i-7/welcome/s1");
  EXPECT_EQ((*ns)[0].recipients(0).phone(), "13900000001");
  EXPECT_EQ((*ns)[0].text(), "李四，欢迎加入street值班队伍（WORKER、LEADER）");
  ASSERT_EQ((*ns)[0].params_size(), 2);
  EXPECT_EQ((*ns)[0].params(0).name(), "name");
  EXPECT_EQ((*ns)[0].params(0).value(), "李四");
  EXPECT_EQ((*ns)[0].params(1).value(), "street");
  EXPECT_EQ((*ns)[0].provider_template(), "1234567");
  EXPECT_EQ((*ns)[1].key(), "i-7/welcome/13800000001");
  EXPECT_EQ((*r)->unreachable(), 1u);
  v1::Event other;
  other.set_topic("center.added");
  other.mutable_center_added();
  EXPECT_FALSE((*r)->Wants(other));
}

TEST(Router, OneMessageNamingEveryoneForWecom) {
  auto r = Parse(TextOnly(kGood), Wecom());
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto ns = (*r)->Render(StaffAdded("s1", ""));
  ASSERT_TRUE(ns.ok());
  ASSERT_EQ(ns->size(), 1u);
  EXPECT_EQ((*ns)[0].key(), "i-7/welcome");
  EXPECT_EQ((*ns)[0].recipients_size(), 3);
}

void ExpectError(const std::string& toml, const std::string& fragment, ChannelNeeds needs = Sms()) {
  auto r = Parse(toml, needs);
  ASSERT_FALSE(r.ok()) << "accepted: " << toml;
  EXPECT_NE(r.status().message().find(fragment), std::string::npos) << r.status().message();
}

TEST(Router, MissingParameterIsAStartUpError) {
  std::string bad = kGood;
  bad.replace(bad.find("{staff.name}，"), 12, "{staff.nmae}");
  ExpectError(bad, "parameter {staff.nmae} is not a field of staff.added");
  bad = kGood;
  bad.replace(bad.find("center={center_id}"), 18, "center={center}");
  ExpectError(bad, "parameter {center} is not a field of staff.added");
  bad = kGood;
  bad.replace(bad.find("{staff.name}，"), 12, "{staff}");
  ExpectError(bad, "is a record, not a value");
}

TEST(Router, ConfigMistakesNameTheLine) {
  ExpectError("", "no [[route]]");
  ExpectError(
      std::string(kGood) +
          "\n[[route]]\ntopics=[\"shift.remindr\"]\nto=[\"subject\"]\ntemplate=\"welcome\"\n",
      "unknown topic 'shift.remindr'");
  ExpectError(
      std::string(kGood) +
          "\n[[route]]\ntopics=[\"center.added\"]\nto=[\"subject\"]\ntemplate=\"welcome\"\n",
      "center.added names no staff");
  ExpectError(std::string(kGood) +
                  "\n[[route]]\ntopics=[\"staff.added\"]\nto=[\"leader\"]\ntemplate=\"welcome\"\n",
              "staff.added carries no leader on duty");
  ExpectError(
      std::string(kGood) +
          "\n[[route]]\ntopics=[\"staff.added\"]\nto=[\"group:nobody\"]\ntemplate=\"welcome\"\n",
      "group:nobody is not defined");
  ExpectError(std::string(kGood) +
                  "\n[[route]]\ntopics=[\"staff.added\"]\nto=[\"subject\"]\ntemplate=\"nope\"\n",
              "template 'nope' is not defined");
  ExpectError(std::string(kGood) +
                  "\n[[route]]\ntopics=[\"staff.added\"]\nto=[\"subject\"]\ntemplate="
                  "\"welcome\"\nurgnet=true\n",
              "test.toml:20: route route2: unknown key 'urgnet'");
  std::string no_sms = kGood;
  no_sms.erase(no_sms.find("sms_template"), no_sms.find("[groups") - no_sms.find("sms_template"));
  ExpectError(no_sms, "the sms channel needs sms_template");
  EXPECT_TRUE(Parse(no_sms, Wecom()).ok());
  // Each channel reads its own template keys: WeCom refuses SMS's (a typo
  // would pass unseen otherwise); the console, which tries any channel's
  // config, ignores them.
  ExpectError(kGood, "templates.welcome: unknown key 'sms_params' (the wecom channel reads text)",
              Wecom());
  EXPECT_TRUE(Parse(kGood, Console()).ok());
}

TEST(Router, WildcardTopicsCheckEveryTopic) {
  const std::string toml = R"(
[[route]]
topics = ["staff.*"]
to = ["subject"]
template = "t"
[templates.t]
text = "{staff.name}: {topic}"
)";
  auto r = Parse(toml, Console());
  ASSERT_TRUE(r.ok()) << r.status().message();
  // staff.updated has changed_fields; staff.removed does not: a parameter only one has is refused.
  ExpectError(R"(
[[route]]
topics = ["staff.*"]
to = ["subject"]
template = "t"
[templates.t]
text = "{changed_fields}"
)",
              "not a field of staff.added", Console());
}

SysTime At(int y, int mo, int d, int h, int mi, const char* zone = "Asia/Shanghai") {
  (void)zone;
  // Asia/Shanghai is UTC+8 all year.
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  return std::chrono::system_clock::from_time_t(timegm(&tm)) - 8h;
}

v1::Event Reminder() {
  v1::Event e;
  e.set_seq(9);
  e.set_id("i-9");
  e.set_topic("shift.reminder");
  e.set_center_id("xingfu");
  e.set_center_name("幸福社区党群服务中心");
  auto* r = e.mutable_shift_reminder();
  r->mutable_shift()->set_date("2026-12-01");
  r->mutable_shift()->set_start_local("08:30");
  r->mutable_shift()->set_end_local("12:00");
  r->set_period_end_local("12:00");  // the duty period is this one shift
  r->mutable_shift()->mutable_start()->set_seconds(1796085000);  // 2026-12-01T08:30+08:00
  r->mutable_staff()->set_id("linan");
  r->mutable_staff()->set_name("李楠");
  return e;
}

// Every built-in template resolves against the event schema, for every
// channel that can use it, and reads as what a staff member receives.
TEST(Router, BuiltInTemplatesParseAndReadAsChinese) {
  for (const char* contact : {"", "wecom_user_id"}) {
    auto r = Router::Parse(DefaultRoutingConfig(), Wecom(contact), "built-in");
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ((*r)->route_count(), DefaultRoutes().size());
  }
  auto r = Router::Parse(DefaultRoutingConfig(), Console(), "b");
  ASSERT_TRUE(r.ok());
  auto ns = (*r)->Render(Reminder());
  ASSERT_TRUE(ns.ok());
  ASSERT_EQ(ns->size(), 1u);
  EXPECT_EQ((*ns)[0].text(),
            "李楠，值班提醒：2026-12-01 08:30–12:00 在幸福社区党群服务中心值班，请准时到岗签到。");
  // A deadline nobody set is not printed (never 1970): the variant without it.
  v1::Event v;
  v.set_topic("visit.assigned");
  v.mutable_visit_assigned()->mutable_staff()->set_name("李楠");
  v.mutable_visit_assigned()->set_service_name("高龄津贴");
  ns = (*r)->Render(v);
  ASSERT_TRUE(ns.ok());
  ASSERT_EQ(ns->size(), 1u);
  EXPECT_EQ((*ns)[0].text(), "李楠，上门服务工单：高龄津贴，请尽快接单。");
  // A new AB岗 backup, the assignee staying: both backups named (it read
  // "由李楠值班。", true but silent about what changed).
  const v1::Event reminder = Reminder();
  v1::Event c = reminder;
  auto* ch = c.mutable_shift_changed();
  *ch->mutable_shift() = reminder.shift_reminder().shift();
  *ch->mutable_staff() = reminder.shift_reminder().staff();
  *ch->mutable_previous() = reminder.shift_reminder().staff();
  ch->mutable_backup()->set_id("wangfang");
  ch->mutable_backup()->set_name("王芳");
  ch->mutable_previous_backup()->set_id("zhaolei");
  ch->mutable_previous_backup()->set_name("赵磊");
  c.set_topic("shift.changed");
  ns = (*r)->Render(c);
  ASSERT_TRUE(ns.ok());
  ASSERT_FALSE(ns->empty());
  EXPECT_EQ((*ns)[0].text(),
            "AB岗变动：幸福社区党群服务中心 2026-12-01 08:30–12:00 李楠值班，AB岗改由王芳担任"
            "（原为赵磊）。");
}

// A template's text is one pattern or its variants; {?…} is a segment shown
// only when each field in it has a value. A time nobody set still prints
// 未定, never 1970, where a template names it without a choice.
TEST(Router, VariantsAndOptionalSegmentsSkipWhatTheEventLacks) {
  const std::string toml = R"(
[[route]]
topics = ["shift.assigned"]
to = ["subject"]
template = "t"
[templates.t]
text = ["{staff.name}值班{?，AB岗{backup.name}}。", "尚无人值班{?，{{备}}{shift.start}}。"]
)";
  auto r = Parse(toml, Console());
  ASSERT_TRUE(r.ok()) << r.status().message();
  v1::Event e;
  e.set_topic("shift.assigned");
  auto* a = e.mutable_shift_assigned();
  a->mutable_staff()->set_name("李楠");
  auto text = [&] {
    std::vector<std::string> blanks;
    auto ns = (*r)->Render(e, &blanks);
    EXPECT_TRUE(ns.ok());
    EXPECT_TRUE(blanks.empty()) << blanks.front();
    return ns.ok() && !ns->empty() ? (*ns)[0].text() : std::string();
  };
  EXPECT_EQ(text(), "李楠值班。");
  a->mutable_backup()->set_name("王芳");
  EXPECT_EQ(text(), "李楠值班，AB岗王芳。");
  a->mutable_backup()->set_name("");  // a record without a name has none to print
  EXPECT_EQ(text(), "李楠值班。");
  a->mutable_staff()->set_id("linan");  // the subject, without a name: the last variant
  a->mutable_staff()->clear_name();
  EXPECT_EQ(text(), "尚无人值班。");
  a->mutable_shift()->mutable_start()->set_seconds(1796085000);
  EXPECT_EQ(text(), "尚无人值班，{备}2026-12-01 08:30。");

  // A variant that would name one person through two records does not fit.
  auto changed = Parse(R"(
[[route]]
topics = ["shift.changed"]
to = ["subject"]
template = "t"
[templates.t]
text = ["改由{staff.name}值班（原为{previous.name}）。", "由{staff.name}值班。"]
)",
                       Console());
  ASSERT_TRUE(changed.ok()) << changed.status().message();
  v1::Event c;
  c.set_topic("shift.changed");
  auto* sc = c.mutable_shift_changed();
  sc->mutable_staff()->set_id("zhaolei");
  sc->mutable_staff()->set_name("赵磊");
  *sc->mutable_previous() = sc->staff();  // its AB岗 backup changed, not its assignee
  auto cs = (*changed)->Render(c);
  ASSERT_TRUE(cs.ok());
  EXPECT_EQ((*cs)[0].text(), "由赵磊值班。");
  sc->mutable_previous()->set_id("lina");
  sc->mutable_previous()->set_name("李娜");
  cs = (*changed)->Render(c);
  ASSERT_TRUE(cs.ok());
  EXPECT_EQ((*cs)[0].text(), "改由赵磊值班（原为李娜）。");

  // The last variant is used when none fits; what it lacks is named.
  auto one = Parse(R"(
[[route]]
topics = ["shift.assigned"]
to = ["subject"]
template = "t"
[templates.t]
text = "{staff.name}：{shift.end}"
)",
                   Console());
  ASSERT_TRUE(one.ok());
  std::vector<std::string> blanks;
  auto ns = (*one)->Render(e, &blanks);
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ((*ns)[0].text(), "：未定");
  EXPECT_EQ(blanks, (std::vector<std::string>{"route1: {staff.name}", "route1: {shift.end}"}));

  const std::string head =
      "[[route]]\ntopics=[\"staff.added\"]\nto=[\"subject\"]\ntemplate=\"t\"\n";
  ExpectError(head + "[templates.t]\ntext = \"a{?b{staff.name}\"\n", "unclosed '{?'", Console());
  ExpectError(head + "[templates.t]\ntext = \"a{?b}\"\n", "optional segment without a parameter",
              Console());
  ExpectError(head + "[templates.t]\ntext = \"{?a{?{staff.name}}}\"\n", "do not nest", Console());
  ExpectError(head + "[templates.t]\ntext = []\n", "text is required", Console());
  ExpectError(head + "[templates.t]\ntext = [\"{staff.nmae}\"]\n", "{staff.nmae}", Console());
  ExpectError(head + "[templates.t]\ntext = 3\n", "an array of strings (variants)", Console());
  ExpectError(head +
                  "[templates.t]\ntext = [\"a{staff.name}\", \"b\"]\nsms_template = "
                  "\"1\"\nsms_params = [\"n={staff.name}\"]\n",
              "text is one string, not variants");
}

// Issue 36: a planning gap weeks ahead went out as the urgent "无人在岗，请AB岗
// …顶岗" meant for a post empty now. By default a gap is urgent, to everyone it
// names, only when its shift starts within 2 h of the event (or has started:
// a no-show); further ahead it is a planning item for the leader on duty.
TEST(Router, AGapIsUrgentOnlyWhenThePostIsEmptySoon) {
  auto r = Router::Parse(DefaultRoutingConfig(), Console(), "b");
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto gap = [](int64_t starts_in_s) {
    v1::Event e;
    e.set_topic("coverage.gap");
    e.set_center_id("xingfu");
    e.set_center_name("幸福社区");
    e.mutable_time()->set_seconds(1796000000);
    auto* g = e.mutable_coverage_gap();
    g->mutable_shift()->mutable_start()->set_seconds(1796000000 + starts_in_s);
    g->mutable_shift()->mutable_end()->set_seconds(1796000000 + starts_in_s + 3600);
    g->mutable_shift()->set_date("2026-11-30");
    g->mutable_absent()->set_name("赵磊");
    g->mutable_backup()->set_name("李娜");
    g->mutable_leader()->set_name("王芳");
    return e;
  };
  for (int64_t in : {-600, 0, 2 * 3600}) {  // a no-show; starting now; in exactly 2 h
    auto ns = (*r)->Render(gap(in));
    ASSERT_TRUE(ns.ok());
    ASSERT_EQ(ns->size(), 1u) << in;
    EXPECT_TRUE((*ns)[0].urgent()) << in;
    EXPECT_EQ((*ns)[0].route(), "coverage.gap");
    EXPECT_EQ((*ns)[0].recipients_size(), 3) << "the absent, the backup, the leader";
  }
  for (int64_t in : {2 * 3600 + 1, 14 * 86400}) {
    auto ns = (*r)->Render(gap(in));
    ASSERT_TRUE(ns.ok());
    ASSERT_EQ(ns->size(), 1u) << in;
    EXPECT_FALSE((*ns)[0].urgent()) << in;
    EXPECT_EQ((*ns)[0].route(), "coverage.gap.planning");
    ASSERT_EQ((*ns)[0].recipients_size(), 1) << "the leader on duty alone";
    EXPECT_EQ((*ns)[0].recipients(0).name(), "王芳");
    EXPECT_EQ((*ns)[0].text().find("顶岗"), std::string::npos) << (*ns)[0].text();
    EXPECT_NE((*ns)[0].text().find("排班缺口"), std::string::npos) << (*ns)[0].text();
  }
  // The keys want an event with a shift.
  auto bad = Parse(R"(
[[route]]
topics = ["staff.added"]
to = ["subject"]
template = "staff.added"
starts_within_hours = 2
)",
                   Console());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("staff.added carries none"), std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(Parse(R"(
[[route]]
topics = ["coverage.gap"]
to = ["leader"]
template = "coverage.gap"
starts_beyond_hours = -3
)",
                     Console())
                   .ok());
}

TEST(Router, AConfigNamesABuiltInTemplateButSmsNeedsItsOwn) {
  const char* config = R"(
[[route]]
topics = ["shift.reminder"]
to = ["subject"]
template = "shift.reminder"
)";
  EXPECT_TRUE(Parse(config, Wecom("wecom_user_id")).ok());
  auto sms = Parse(config);
  ASSERT_FALSE(sms.ok());
  EXPECT_NE(sms.status().message().find("has no sms template id"), std::string::npos)
      << sms.status().message();
  auto unknown = Parse(R"(
[[route]]
topics = ["shift.reminder"]
to = ["subject"]
template = "nope"
)");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("built in: staff.added"), std::string::npos)
      << unknown.status().message();
}

// A shipped config that names a built-in template says what it says: an
// SMS reads like the console's line for the same event.
TEST(Router, ShippedConfigsSayWhatTheBuiltInTemplatesSay) {
  size_t named = 0;
  for (const char* rel :
       {"plugins/sms/zhiban-notify-sms.toml", "plugins/wecom/zhiban-notify-wecom.toml"}) {
    auto config = toml::parse_file(std::string(ZHIBAN_SOURCE_DIR) + "/" + rel);
    const auto* templates = config["templates"].as_table();
    if (!templates) continue;
    for (const auto& [name, node] : *templates) {
      const auto* builtin = FindDefaultRoute(std::string(name.str()));
      if (!builtin) continue;
      ++named;
      // Variants as the built-in's; one text (SMS: an approved template has
      // one) as one of them.
      const auto text = (*node.as_table())["text"];
      if (const auto* variants = text.as_array()) {
        std::vector<std::string> texts;
        for (const auto& v : *variants) texts.push_back(v.value_or(std::string()));
        EXPECT_EQ(texts, builtin->texts) << rel << " [templates." << name.str() << "]";
      } else {
        EXPECT_NE(
            std::find(builtin->texts.begin(), builtin->texts.end(), text.value_or(std::string())),
            builtin->texts.end())
            << rel << " [templates." << name.str() << "]";
      }
    }
  }
  EXPECT_GT(named, 0u);
}

TEST(Staleness, AReminderAtTheShiftStartAHandoffAfterItsGraceAVisitAfterItsDeadline) {
  const StalePolicy policy;  // handoff grace 30 min
  const auto at = [](int64_t s) { return SysTime(std::chrono::seconds(s)); };
  v1::Notification n;
  StampStaleness(Reminder(), policy, &n);
  EXPECT_EQ(StaleReason(n, at(1796085000 - 1)), "");
  EXPECT_EQ(StaleReason(n, at(1796085000)), "stale: the shift started at 2026-12-01 08:30");

  v1::Event h;
  h.mutable_shift_handoff()->mutable_at()->set_seconds(1796085000);
  v1::Notification hn;
  StampStaleness(h, policy, &hn);
  EXPECT_EQ(StaleReason(hn, at(1796085000 + 29 * 60)), "");
  EXPECT_EQ(StaleReason(hn, at(1796085000 + 30 * 60)),
            "stale: the handoff was at 2026-12-01 08:30 (grace 30 min)");

  v1::Event v;
  v.mutable_visit_assigned()->mutable_visit()->mutable_accept_by()->set_seconds(1796085000);
  v1::Notification vn;
  StampStaleness(v, policy, &vn);
  EXPECT_NE(StaleReason(vn, at(1796085000)), "");

  // A visit with no deadline, and topics that announce no moment, never go stale.
  v1::Event none;
  none.mutable_visit_assigned();
  v1::Notification nn;
  StampStaleness(none, policy, &nn);
  EXPECT_EQ(StaleReason(nn, at(4102444800)), "");
  StampStaleness(v1::Event(), policy, &nn);
  EXPECT_EQ(StaleReason(nn, at(4102444800)), "");
}

TEST(QuietHours, HoldsFromNineAtNightToEightInTheMorning) {
  auto q = QuietHours::Parse("21:00", "08:00", "Asia/Shanghai");
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->HoldUntil(At(2026, 11, 21, 20, 59)));
  EXPECT_EQ(q->HoldUntil(At(2026, 11, 21, 21, 0)), At(2026, 11, 22, 8, 0));
  EXPECT_EQ(q->HoldUntil(At(2026, 11, 21, 23, 59)), At(2026, 11, 22, 8, 0));
  EXPECT_EQ(q->HoldUntil(At(2026, 11, 22, 3, 0)), At(2026, 11, 22, 8, 0));
  EXPECT_FALSE(q->HoldUntil(At(2026, 11, 22, 8, 0)));
  EXPECT_EQ(q->HoldUntil(At(2026, 12, 31, 22, 0)), At(2027, 1, 1, 8, 0));
  auto noon = QuietHours::Parse("12:00", "14:00:30", "Asia/Shanghai");
  ASSERT_TRUE(noon.ok());
  EXPECT_EQ(noon->HoldUntil(At(2026, 11, 21, 13, 0)), At(2026, 11, 21, 14, 0) + 30s);
  EXPECT_FALSE(noon->HoldUntil(At(2026, 11, 21, 11, 59)));
  EXPECT_FALSE(QuietHours::Never().HoldUntil(At(2026, 11, 21, 23, 0)));
  EXPECT_FALSE(QuietHours::Parse("25:00", "08:00", "Asia/Shanghai").ok());
  EXPECT_FALSE(QuietHours::Parse("21:00", "8", "Asia/Shanghai").ok());
  EXPECT_FALSE(QuietHours::Parse("21:00", "08:00", "Mars/Olympus").ok());
}

TEST(TokenBucket, BurstThenRate) {
  TokenBucket b(20, std::chrono::minutes(1), 5);  // a WeCom robot: 20 a minute
  auto t = std::chrono::steady_clock::time_point(std::chrono::hours(1));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(b.Take(t).count(), 0) << i;
  const auto wait = b.Take(t);
  EXPECT_GT(wait, 2900ms);  // one token every 3 s
  EXPECT_LE(wait, 3001ms);
  EXPECT_EQ(b.Take(t + 3s).count(), 0);
  EXPECT_EQ(TokenBucket().Take(t).count(), 0);  // unlimited
}

}  // namespace
}  // namespace zhiban::plugin
