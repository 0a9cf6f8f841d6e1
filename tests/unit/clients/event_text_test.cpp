// Every event reads as a Chinese sentence (clients/lib/event_text.h): the
// one text zhibanctl's event lists and the console's descriptions share.
#include "clients/lib/event_text.h"

#include <cctype>

#include <gtest/gtest.h>

namespace zhiban::client {
namespace {

// What must never reach people: an enum name (three capitals in a row), a
// proto field name (lower_snake), a topic (word.word). ASCII runs only.
std::string Leak(const std::string& s) {
  std::string run;
  auto check = [](const std::string& w) -> bool {
    int caps = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      caps = std::isupper(static_cast<unsigned char>(w[i])) ? caps + 1 : 0;
      if (caps >= 3) return true;
      const bool inner = i > 0 && i + 1 < w.size() &&
                         std::islower(static_cast<unsigned char>(w[i - 1])) &&
                         std::islower(static_cast<unsigned char>(w[i + 1]));
      if (inner && (w[i] == '_' || w[i] == '.')) return true;
    }
    return false;
  };
  for (char c : s + ' ') {
    if (static_cast<unsigned char>(c) < 0x80 && c != ' ' && c != ',' && c != '(' && c != ')') {
      run += c;
      continue;
    }
    if (check(run)) return run;
    run.clear();
  }
  return "";
}

bool HasChinese(const std::string& s) {
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0xe4 && c <= 0xe9) return true;  // the CJK block's lead bytes in UTF-8
  }
  return false;
}

TEST(EventText, EveryBodyReadsAsChineseWithoutTopicsEnumsOrFieldNames) {
  const auto* oneof = v1::Event::descriptor()->FindOneofByName("body");
  for (int i = 0; i < oneof->field_count(); ++i) {
    const auto* f = oneof->field(i);
    v1::Event e;
    e.set_center_id("xingfu");
    e.set_center_name("幸福社区");
    e.GetReflection()->MutableMessage(&e, f);
    const std::string text = EventText(e);
    EXPECT_TRUE(HasChinese(text)) << f->name() << ": " << text;
    EXPECT_EQ(Leak(text), "") << f->name() << " leaks a name: " << text;
  }
  EXPECT_EQ(EventText(v1::Event()), "（无内容的事件）");
  EXPECT_EQ(Leak("值班 SHIFT_KIND 变动"), "SHIFT_KIND");
  EXPECT_EQ(Leak("（changed_fields）"), "changed_fields");
  EXPECT_EQ(Leak("事件 staff.added"), "staff.added");
  EXPECT_EQ(Leak("AB岗 08:30–12:00 2026-10-08"), "");
}

TEST(EventText, NamesPeoplePlacesAndReasonsInChinese) {
  v1::Event e;
  e.set_center_id("xingfu");
  e.set_center_name("幸福社区");
  auto* c = e.mutable_shift_changed();
  c->mutable_shift()->set_date("2026-10-08");
  c->mutable_shift()->set_start_local("08:30");
  c->mutable_shift()->set_end_local("12:00");
  c->mutable_previous()->set_name("李娜");
  c->set_reason("leave lv-3");
  EXPECT_EQ(EventText(e), "值班变动：2026-10-08 08:30–12:00 幸福社区 由李娜改为无人（请假）");

  v1::Event u;
  u.mutable_staff_updated()->mutable_staff()->set_name("赵磊");
  u.mutable_staff_updated()->add_changed_fields("phone");
  u.mutable_staff_updated()->add_changed_fields("roles");
  u.mutable_staff_updated()->add_changed_fields("something_new");
  EXPECT_EQ(EventText(u), "赵磊的值班信息已更新（电话、角色、其他信息）");

  v1::Event a;
  a.mutable_appointment_booked()->mutable_appointment()->set_for_name("幸福合唱团");
  a.mutable_appointment_booked()->set_service_name("功能室预约");
  EXPECT_EQ(EventText(a), "新预约：幸福合唱团，未定，功能室预约，无人接待") << "no 1970";
  a.mutable_appointment_booked()->mutable_appointment()->mutable_start()->set_seconds(
      1789552800);  // 2026-09-16T10:00Z
  a.mutable_appointment_booked()->mutable_staff()->set_name("陈静");
  EXPECT_EQ(EventText(a), "新预约：幸福合唱团，2026-09-16 18:00，功能室预约，陈静接待");

  v1::Event n;  // no center: the network
  n.mutable_calendar_updated()->set_from("2026-01-01");
  n.mutable_calendar_updated()->set_to("2026-12-31");
  EXPECT_EQ(EventText(n), "全国日历调整 2026-01-01~2026-12-31");
}

}  // namespace
}  // namespace zhiban::client
