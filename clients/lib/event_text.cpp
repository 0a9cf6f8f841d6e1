#include "clients/lib/event_text.h"

#include <chrono>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "clients/lib/rota_export.h"
#include "daemon/base/time_util.h"
#include "daemon/base/utf8.h"

namespace zhiban::client {
namespace {

// Where an event happened: the center's name, else its id, else the network.
std::string Where(const v1::Event& e) {
  if (!e.center_name().empty()) return e.center_name();
  return e.center_id().empty() ? std::string("全网") : e.center_id();
}

// "2026-12-01 08:30–12:00" of a shift.
std::string ShiftSpan(const v1::Shift& s, const std::string& period_end = "") {
  return fmt::format("{} {}–{}", s.date(), s.start_local(),
                     period_end.empty() ? s.end_local() : period_end);
}

// "（本时段共3个班次）" when a duty period holds more than one shift.
std::string PeriodNote(int shifts) {
  return shifts > 1 ? fmt::format("（本时段共{}个班次）", shifts) : "";
}

// "调度员（范围：dongshi）": a role within a center's subtree, or the whole network.
std::string GrantText(const v1::Grant& g) {
  static constexpr const char* kRoles[] = {"未知角色", "管理员", "调度员", "值班领导",
                                           "工作人员", "审计员", "查看者", "插件"};
  const auto i = static_cast<size_t>(g.role());
  const char* role = i < std::size(kRoles) ? kRoles[i] : kRoles[0];
  return fmt::format("{}（范围：{}）", role, g.center_id().empty() ? "全网" : g.center_id());
}

// A person by name; nobody reads "无人".
std::string Name(const v1::Staff& s) { return s.name().empty() ? "无人" : s.name(); }

// "2026-10-08 至 2026-10-09", or a half day "2026-10-09 上午".
std::string LeaveDates(const v1::Leave& l) {
  if (l.half() != v1::LEAVE_HALF_UNSPECIFIED) return l.from() + LeaveHalfText(l.half());
  return fmt::format("{} 至 {}", l.from(), l.to());
}

std::string NameList(const google::protobuf::RepeatedPtrField<v1::Staff>& staff) {
  std::vector<std::string> out;
  for (const auto& s : staff) out.push_back(s.name());
  return out.empty() ? "无人" : fmt::format("{}", fmt::join(out, "、"));
}

std::string Fields(const google::protobuf::RepeatedPtrField<std::string>& fields) {
  std::vector<std::string> out;
  for (const auto& f : fields) out.emplace_back(FieldLabel(f));
  return fmt::format("{}", fmt::join(out, "、"));
}

}  // namespace

std::string_view TurnSkipWord(v1::TurnSkipReason reason) {
  switch (reason) {
    case v1::TURN_SKIP_LEAVE:
      return "休假";
    case v1::TURN_SKIP_ON_DUTY:
      return "另有值班";
    case v1::TURN_SKIP_WORK_RULES:
      return "受工时规定限制";
    case v1::TURN_SKIP_NOT_QUALIFIED:
      return "不符合岗位要求";
    case v1::TURN_SKIP_GONE:
      return "已不在册";
    default:
      return "";
  }
}

std::string TurnSkipNote(const v1::Shift& s) {
  if (!s.has_turn_skipped()) return "";
  const auto& t = s.turn_skipped();
  const std::string_view word = TurnSkipWord(t.reason());
  if (t.staff_id() == s.assignee_id() || t.staff_name().empty() || word.empty()) return "";
  return fmt::format("（本为{}轮值，{}）", t.staff_name(), word);
}

namespace {

// Why a shift changed or fell empty, from the reason codes the rota writes
// ("leave lv-3", "no-show", "swap sw-1", ...); anything else as written.
std::string Reason(std::string_view r) {
  static const std::vector<std::pair<std::string_view, std::string_view>> prefixes = {
      {"no-show", "未到岗签到"},
      {"leave", "请假"},
      {"staff removed", "人员已移出名单"},
      {"no eligible staff", "无符合规则的人选"},
      {"override", "人工调整"},
      {"swap", "换班"},
      {"backup", "AB岗顶岗"},
      {"generate", "重新排班"},
      {"published", "排班发布"},
  };
  for (const auto& [code, text] : prefixes) {
    if (r.starts_with(code)) return std::string(text);
  }
  return std::string(r);
}

std::string Because(std::string_view r) {
  return r.empty() ? std::string() : fmt::format("（{}）", Reason(r));
}

std::string VisitText(const v1::Event& e) {
  const auto& v = [&]() -> const v1::VisitEvent& {
    static const v1::VisitEvent none;
    const auto* refl = e.GetReflection();
    const auto* field =
        refl->GetOneofFieldDescriptor(e, v1::Event::descriptor()->FindOneofByName("body"));
    if (!field || field->message_type() != v1::VisitEvent::descriptor()) return none;
    return static_cast<const v1::VisitEvent&>(refl->GetMessage(e, field));
  }();
  const std::string what = fmt::format("{}，{}", v.service_name(), v.resident().name());
  switch (e.body_case()) {
    case v1::Event::kVisitRequested:
      return fmt::format("新的上门服务需求：{}，{}", what, Where(e));
    case v1::Event::kVisitAssigned:
      return fmt::format("上门服务已派给{}：{}", Name(v.staff()), what);
    case v1::Event::kVisitAccepted:
      return fmt::format("{}已接单：{}", Name(v.staff()), what);
    case v1::Event::kVisitDeclined:
      return fmt::format("{}未能接单：{}，另行派单", Name(v.staff()), what);
    case v1::Event::kVisitEscalated:
      return fmt::format("工单升级，请{}尽快处理：{}", Name(v.staff()), what);
    case v1::Event::kVisitEnRoute:
      return fmt::format("{}已出发：{}", Name(v.staff()), what);
    case v1::Event::kVisitArrived:
      return fmt::format("{}已到达：{}", Name(v.staff()), what);
    case v1::Event::kVisitCompleted:
      return fmt::format("上门服务已完成：{}（{}）", what, Name(v.staff()));
    case v1::Event::kVisitOverdue:
      return fmt::format("上门服务已超时：{}，{}", what, Where(e));
    case v1::Event::kVisitCancelled:
      return fmt::format("上门服务已取消：{}", what);
    case v1::Event::kVisitFailed:
      return fmt::format("上门服务未能完成：{}（{}）", what, Name(v.staff()));
    default:
      return what;
  }
}

}  // namespace

std::string LocalMinute(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "未定";
  const std::string iso = FormatIsoTime(TimePoint(std::chrono::seconds(t.seconds())));
  return iso.substr(0, 10) + " " + iso.substr(11, 5);
}

std::string_view FieldLabel(std::string_view field) {
  static const std::map<std::string_view, std::string_view> labels = {
      {"id", "编号"},
      {"name", "名称"},
      {"center_id", "所属中心"},
      {"home_center_id", "所属中心"},
      {"parent_id", "上级中心"},
      {"level", "层级"},
      {"phone", "电话"},
      {"wecom_user_id", "企业微信账号"},
      {"roles", "角色"},
      {"skills", "技能"},
      {"cover_center_ids", "支援中心"},
      {"employment", "用工类型"},
      {"work_since", "参加工作时间"},
      {"rest_week", "休息日安排"},
      {"rest_weekdays", "固定休息日"},
      {"address", "地址"},
      {"location", "位置"},
      {"time_zone", "时区"},
      {"rooms", "功能室"},
      {"room", "门牌号"},
      {"emergency_contact", "紧急联系人"},
      {"id_number", "身份证号"},
      {"categories", "服务对象类别"},
      {"disability_level", "残疾等级"},
      {"care_tier", "关爱等级"},
      {"legal_basis", "处理依据"},
      {"consent_date", "同意日期"},
      {"health_notes", "健康情况"},
      {"last_care_visit", "上次探访"},
      {"care_plan", "关爱计划"},
  };
  auto it = labels.find(field);
  return it == labels.end() ? std::string_view("其他信息") : it->second;
}

std::string EventText(const v1::Event& e) {
  switch (e.body_case()) {
    case v1::Event::kCenterAdded:
      return fmt::format("新增服务中心：{}", e.center_added().center().name());
    case v1::Event::kCenterUpdated:
      return fmt::format("服务中心信息更新：{}（{}）", e.center_updated().center().name(),
                         Fields(e.center_updated().changed_fields()));
    case v1::Event::kCenterRemoved:
      return fmt::format("服务中心撤销：{}", e.center_removed().center().name());
    case v1::Event::kStaffAdded:
      return fmt::format("{}加入{}值班队伍", e.staff_added().staff().name(), Where(e));
    case v1::Event::kStaffUpdated:
      return fmt::format("{}的值班信息已更新（{}）", e.staff_updated().staff().name(),
                         Fields(e.staff_updated().changed_fields()));
    case v1::Event::kStaffRemoved:
      return fmt::format("{}已不在值班名单中", e.staff_removed().staff().name());
    case v1::Event::kCalendarUpdated: {
      const auto& c = e.calendar_updated();
      return fmt::format("{}日历调整 {}~{}", c.center_id().empty() ? "全国" : Where(e), c.from(),
                         c.to());
    }
    case v1::Event::kPolicyUpdated:
      return fmt::format("开放时间规则“{}”第{}版自{}起执行", e.policy_updated().name(),
                         e.policy_updated().version(), e.policy_updated().effective_from());
    case v1::Event::kPolicyAssigned:
      return fmt::format("{}自{}起执行开放时间规则“{}”", Where(e),
                         e.policy_assigned().assignment().from(),
                         e.policy_assigned().assignment().policy());
    case v1::Event::kRotationUpdated:
      return fmt::format("{}轮班“{}”已更新：{}人轮流", Where(e),
                         e.rotation_updated().rotation().id(),
                         e.rotation_updated().rotation().members_size());
    case v1::Event::kRotationRemoved:
      return fmt::format("{}轮班“{}”已取消", Where(e), e.rotation_removed().rotation().id());
    case v1::Event::kRotaGenerated: {
      const auto& g = e.rota_generated();
      return fmt::format("{}排班已生成 {}~{}：{}个班次，{}个空岗", Where(e), g.from(), g.to(),
                         g.shifts(), g.gaps());
    }
    case v1::Event::kRotaPublished: {
      const auto& p = e.rota_published();
      return fmt::format("{}已发布{}排班：{}个班次，{}个空岗", Where(e), p.month(), p.shifts(),
                         p.gaps());
    }
    case v1::Event::kRotaDigest: {
      const auto& d = e.rota_digest();
      return fmt::format("{}{}排班：{}个班次（{}小时），周末{}天，节假日{}天，AB岗{}个{}",
                         Name(d.staff()), d.month(), d.shifts(), d.hours(), d.weekend_days(),
                         d.holiday_days(), d.backup_shifts(),
                         d.has_first() ? "，首个班次" + ShiftSpan(d.first()) : std::string());
    }
    case v1::Event::kShiftAssigned: {
      const auto& a = e.shift_assigned();
      return fmt::format("排班：{} {} 值班{}{}，AB岗{}", ShiftSpan(a.shift()), Where(e),
                         Name(a.staff()), TurnSkipNote(a.shift()), Name(a.backup()));
    }
    case v1::Event::kShiftChanged: {
      const auto& c = e.shift_changed();
      if (c.has_previous_backup()) {
        return fmt::format("AB岗变动：{} {} {}值班，AB岗由{}改为{}{}", ShiftSpan(c.shift()),
                           Where(e), Name(c.staff()), Name(c.previous_backup()), Name(c.backup()),
                           Because(c.reason()));
      }
      if (!c.previous_start_local().empty()) {
        const bool same = c.staff().id() == c.previous().id();
        return fmt::format(
            "值班调整：{} {} 时间原为{}–{}，{}值班{}{}", ShiftSpan(c.shift()), Where(e),
            c.previous_start_local(), c.previous_end_local(), Name(c.staff()),
            same ? "" : fmt::format("（原为{}）", Name(c.previous())), Because(c.reason()));
      }
      return fmt::format("值班变动：{} {} 由{}改为{}{}", ShiftSpan(c.shift()), Where(e),
                         Name(c.previous()), Name(c.staff()), Because(c.reason()));
    }
    case v1::Event::kShiftCancelled: {
      const auto& c = e.shift_cancelled();
      return fmt::format("值班取消：{} {}，{}{}", ShiftSpan(c.shift()), Where(e), Name(c.staff()),
                         Because(c.reason()));
    }
    case v1::Event::kShiftReminder: {
      const auto& r = e.shift_reminder();
      return fmt::format("值班提醒：{} {} {}{}", ShiftSpan(r.shift(), r.period_end_local()),
                         Where(e), Name(r.staff()), PeriodNote(r.period_shift_ids_size()));
    }
    case v1::Event::kShiftHandoff: {
      const auto& h = e.shift_handoff();
      return fmt::format("{} {} 交接班：{}交给{}", Where(e), h.at_local(), NameList(h.outgoing()),
                         NameList(h.incoming()));
    }
    case v1::Event::kShiftCheckedIn: {
      const auto& c = e.shift_checked_in();
      return fmt::format("{}已签到：{} {}{}", Name(c.staff()), Where(e),
                         ShiftSpan(c.shift(), c.period_end_local()),
                         PeriodNote(c.period_shift_ids_size()));
    }
    case v1::Event::kCoverageGap: {
      const auto& g = e.coverage_gap();
      return fmt::format("空岗：{} {}{}，AB岗{}", ShiftSpan(g.shift()), Where(e),
                         Because(g.reason()), Name(g.backup()));
    }
    case v1::Event::kCoverageRestored: {
      const auto& c = e.coverage_restored();
      return fmt::format("空岗已补：{} {} 由{}值班", ShiftSpan(c.shift()), Where(e),
                         Name(c.staff()));
    }
    case v1::Event::kRuleViolation: {
      const auto& v = e.rule_violation();
      return fmt::format("排班不合工时规则：{} {} {}，{}条", ShiftSpan(v.shift()), Where(e),
                         Name(v.staff()), v.rules_size());
    }
    case v1::Event::kLeaveAdded: {
      const auto& l = e.leave_added();
      return fmt::format("{}请假 {}，涉及{}个班次", Name(l.staff()), LeaveDates(l.leave()),
                         l.shifts_affected());
    }
    case v1::Event::kLeaveRemoved: {
      const auto& l = e.leave_removed();
      return fmt::format("{}撤销请假 {}", Name(l.staff()), LeaveDates(l.leave()));
    }
    case v1::Event::kLeaveRequested: {
      const auto& l = e.leave_requested();
      return fmt::format("{}申请请假 {}，涉及{}个班次，{}个有人可顶岗", Name(l.staff()),
                         LeaveDates(l.leave()), l.shifts_affected(), l.shifts_covered());
    }
    case v1::Event::kLeaveApproved: {
      const auto& l = e.leave_approved();
      return fmt::format("{}的请假申请已批准 {}", Name(l.staff()), LeaveDates(l.leave()));
    }
    case v1::Event::kLeaveRejected: {
      const auto& l = e.leave_rejected();
      return fmt::format("{}的请假申请未获批准 {}：{}", Name(l.staff()), LeaveDates(l.leave()),
                         l.note());
    }
    case v1::Event::kLeaveWithdrawn: {
      const auto& l = e.leave_withdrawn();
      return fmt::format("{}撤回请假申请 {}", Name(l.staff()), LeaveDates(l.leave()));
    }
    case v1::Event::kSwapUpdated: {
      const auto& s = e.swap_updated();
      return fmt::format("换班申请{}：{}与{}", s.shift_swap().id(), Name(s.requester()),
                         Name(s.counterpart()));
    }
    case v1::Event::kRulesUpdated:
      return "工时规则已更新";
    case v1::Event::kResidentAdded:
      return fmt::format("新增服务对象：{}（{}）", e.resident_added().resident().name(), Where(e));
    case v1::Event::kResidentUpdated:
      return fmt::format("服务对象信息更新：{}（{}）", e.resident_updated().resident().name(),
                         Fields(e.resident_updated().changed_fields()));
    case v1::Event::kResidentRemoved:
      return fmt::format("服务对象已移出：{}", e.resident_removed().resident().name());
    case v1::Event::kVisitRequested:
    case v1::Event::kVisitAssigned:
    case v1::Event::kVisitAccepted:
    case v1::Event::kVisitDeclined:
    case v1::Event::kVisitEscalated:
    case v1::Event::kVisitEnRoute:
    case v1::Event::kVisitArrived:
    case v1::Event::kVisitCompleted:
    case v1::Event::kVisitOverdue:
    case v1::Event::kVisitCancelled:
    case v1::Event::kVisitFailed:
      return VisitText(e);
    case v1::Event::kVisitPlanned: {
      const auto& p = e.visit_planned();
      int stops = 0;
      for (const auto& r : p.routes()) stops += r.stops_size();
      return fmt::format(
          "上门路线已排定：{} {}，{}人共{}项上门服务{}", Where(e), p.date(), p.routes_size(), stops,
          p.unplanned_size() ? fmt::format("，{}项未能安排", p.unplanned_size()) : std::string());
    }
    case v1::Event::kAppointmentBooked: {
      const auto& a = e.appointment_booked();
      return fmt::format("新预约：{}，{}，{}，{}接待", EscapeForLine(a.appointment().for_name()),
                         LocalMinute(a.appointment().start()), a.service_name(), Name(a.staff()));
    }
    case v1::Event::kAppointmentCancelled: {
      const auto& a = e.appointment_cancelled();
      return fmt::format("预约已取消：{}，{}", EscapeForLine(a.appointment().for_name()),
                         LocalMinute(a.appointment().start()));
    }
    case v1::Event::kEventsLost: {
      const auto& l = e.events_lost();
      return fmt::format("事件 {}~{} 已丢失，无法补发", l.first_seq(), l.last_seq());
    }
    case v1::Event::kKeyAdded:
      return fmt::format("新增访问密钥：{}", e.key_added().key().name());
    case v1::Event::kKeyRevoked:
      return fmt::format("访问密钥已吊销：{}", e.key_revoked().key().name());
    case v1::Event::kKeyGranted:
      return fmt::format("访问密钥 {} 获授权：{}", e.key_granted().key().name(),
                         GrantText(e.key_granted().grant()));
    case v1::Event::kKeyUngranted:
      return fmt::format("访问密钥 {} 被收回授权：{}", e.key_ungranted().key().name(),
                         GrantText(e.key_ungranted().grant()));
    case v1::Event::kHeartbeat:
      return fmt::format("心跳：最新事件 {}", e.heartbeat().last_seq());
    case v1::Event::BODY_NOT_SET:
      break;
  }
  return "（无内容的事件）";
}

}  // namespace zhiban::client
