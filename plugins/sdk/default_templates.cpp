#include "plugins/sdk/default_templates.h"

#include <toml++/toml.h>

namespace zhiban::plugin {

const std::vector<DefaultRoute>& DefaultRoutes() {
  // Parameters, variants and {?…} segments: routing.h. Every parameter is
  // checked against the event schema by Router::Parse, none is an enum or a
  // code (people read Chinese, not SHIFT_KIND names or "leave lv-3"), and
  // each variant names only fields it is chosen for: tests/unit/plugins/
  // texts_test.cpp renders them all over every kind of event.
  static const std::vector<DefaultRoute> routes = {
      {"staff.added", {"staff.added"}, {"{staff.name}，欢迎加入{center_name}值班队伍。"}},
      // A month's publication: one message a person with their month. A
      // shift added to a month already out (an appointment) is announced
      // on its own.
      {"rota.digest",
       {"rota.digest"},
       {"{staff.name}，{center_name}{month}排班已发布：您共{shifts}个班次（在岗{hours}小时），"
        "首个班次{first.date} {first.start_local}–{first.end_local}；周末值班{weekend_days}天，"
        "节假日值班{holiday_days}天，AB岗{backup_shifts}个。",
        "{staff.name}，{center_name}{month}排班已发布：您共{shifts}个班次（在岗{hours}小时），"
        "周末值班{weekend_days}天，节假日值班{holiday_days}天，AB岗{backup_shifts}个。",
        "{staff.name}，{center_name}{month}排班已发布：您本月无值班班次，AB岗{backup_shifts}个。"}},
      {"shift.assigned",
       {"shift.assigned"},
       {"排班通知：{shift.date} {shift.start_local}–{shift.end_local} {center_name}，"
        "值班{staff.name}{?，AB岗{backup.name}}。",
        "排班通知：{shift.date} {shift.start_local}–{shift.end_local} {center_name}，"
        "尚无人值班。"},
       false,
       {},
       -1,
       -1,
       "at_publication"},
      // The new assignee and who had it; a shift that fell empty has no
      // assignee (its gap is announced as coverage.gap too).
      // A change of the AB岗 backup (previous_backup set; the assignee
      // stays), else of the assignee.
      {"shift.changed",
       {"shift.changed"},
       {"值班调整：{center_name} {shift.date} 的值班时间由{previous_start_local}–"
        "{previous_end_local}改为{shift.start_local}–{shift.end_local}，改由{staff.name}值班"
        "（原为{previous.name}）。",
        "值班调整：{center_name} {shift.date} {staff.name}的值班时间由{previous_start_local}–"
        "{previous_end_local}改为{shift.start_local}–{shift.end_local}。",
        "AB岗变动：{center_name} {shift.date} {shift.start_local}–{shift.end_local} "
        "{staff.name}值班，AB岗改由{backup.name}担任（原为{previous_backup.name}）。",
        "AB岗变动：{center_name} {shift.date} {shift.start_local}–{shift.end_local} "
        "{staff.name}值班，原AB岗{previous_backup.name}不再担任，暂无人接替。",
        "值班变动：{center_name} {shift.date} {shift.start_local}–{shift.end_local} "
        "改由{staff.name}值班（原为{previous.name}）。",
        "值班变动：{center_name} {shift.date} {shift.start_local}–{shift.end_local} "
        "由{staff.name}值班。",
        "值班变动：{center_name} {shift.date} {shift.start_local}–{shift.end_local} "
        "原由{previous.name}值班，现暂无人值班，将另行安排。",
        "值班变动：{center_name} {shift.date} {shift.start_local}–{shift.end_local} "
        "暂无人值班，将另行安排。"}},
      {"shift.cancelled",
       {"shift.cancelled"},
       {"{staff.name}，{center_name} {shift.date} {shift.start_local}–{shift.end_local} "
        "的值班已取消。",
        "{center_name} {shift.date} {shift.start_local}–{shift.end_local} 的值班已取消。"}},
      // One reminder per duty period: it runs to the period's end. The one
      // the evening before, else (published late, or the person changed
      // since) the one before the start.
      {"shift.reminder",
       {"shift.reminder"},
       {"{staff.name}，值班提醒：{shift.date} {shift.start_local}–{period_end_local} "
        "在{center_name}值班，请准时到岗签到。"},
       false,
       {},
       -1,
       -1,
       "reminded_eve"},
      {"shift.handoff",
       {"shift.handoff"},
       {"{center_name} {at_local} 交接班，请当班人员按时交接、接班人员到岗签到。"}},
      // A post empty now or within 2 h is urgent, to everyone it names; a
      // gap further ahead is a planning matter for the leader on duty, not
      // an emergency for the team (issue 36). Who is asked to act depends on
      // who there is: the AB岗 backup, else the leader on duty.
      {"coverage.gap",
       {"coverage.gap"},
       {"空岗提醒：{center_name} {shift.date} {shift.start_local}–{shift.end_local} "
        "无人在岗{?（原为{absent.name}）}，请AB岗{backup.name}顶岗，值班领导{leader.name}知悉。",
        "空岗提醒：{center_name} {shift.date} {shift.start_local}–{shift.end_local} "
        "无人在岗{?（原为{absent.name}）}，请AB岗{backup.name}顶岗。",
        "空岗提醒：{center_name} {shift.date} {shift.start_local}–{shift.end_local} "
        "无人在岗{?（原为{absent.name}）}，暂无AB岗，请值班领导{leader.name}安排顶岗"
        "{?（可由{proposal.name}顶岗）}。",
        "空岗提醒：{center_name} {shift.date} {shift.start_local}–{shift.end_local} "
        "无人在岗{?（原为{absent.name}）}，暂无AB岗，请尽快安排顶岗"
        "{?（可由{proposal.name}顶岗）}。"},
       true,
       {"subject", "leader"},
       2},
      {"coverage.gap.planning",
       {"coverage.gap"},
       {"排班缺口：{center_name} {shift.date} {shift.start_local}–{shift.end_local} 尚无人值班，"
        "请{leader.name}安排人员{?（可由{proposal.name}值班）}。",
        "排班缺口：{center_name} {shift.date} {shift.start_local}–{shift.end_local} 尚无人值班，"
        "请值班领导安排人员{?（可由{proposal.name}值班）}。"},
       false,
       {"leader"},
       -1,
       2},
      // Not "已安排他人顶岗": some of the shifts may have become gaps; each
      // change is announced on its own (shift.changed, coverage.gap).
      // Leave an operator entered; an approved request is told by
      // leave.approved instead (one message, not two).
      {"leave.added",
       {"leave.added"},
       {"{staff.name}，您的请假已登记：{leave.from} 至 {leave.to}，涉及{shifts_affected}个班次，"
        "调整情况以值班变动通知为准。"},
       false,
       {},
       -1,
       -1,
       "by_request"},
      // 请假申请: asked, to the leader who decides (the leader on duty at the
      // person's center, up the tree); the answer to the person.
      {"leave.requested",
       {"leave.requested"},
       {"{leader.name}，{staff.name}申请请假：{leave.from} 至 {leave.to}{?（{leave.reason}）}，"
        "涉及{shifts_affected}个班次，其中{shifts_covered}个有人可顶岗，请审批。",
        "{staff.name}申请请假：{leave.from} 至 {leave.to}{?（{leave.reason}）}，"
        "涉及{shifts_affected}个班次，其中{shifts_covered}个有人可顶岗，请值班领导审批。",
        "{leader.name}，有一份请假申请：{leave.from} 至 {leave.to}{?（{leave.reason}）}，"
        "涉及{shifts_affected}个班次，请审批。",
        "有一份请假申请：{leave.from} 至 {leave.to}{?（{leave.reason}）}，"
        "涉及{shifts_affected}个班次，请值班领导审批。"},
       false,
       {"leader"}},
      {"leave.approved",
       {"leave.approved"},
       {"{staff.name}，您{leave.from} 至 {leave.to}的请假申请已批准{?（{note}）}，"
        "涉及{shifts_affected}个班次，调整情况以值班变动通知为准。",
        "{leave.from} 至 {leave.to}的请假申请已批准{?（{note}）}，"
        "涉及{shifts_affected}个班次，调整情况以值班变动通知为准。"}},
      {"leave.rejected",
       {"leave.rejected"},
       {"{staff.name}，您{leave.from} 至 {leave.to}的请假申请未获批准{?，原因：{note}}。",
        "{leave.from} 至 {leave.to}的请假申请未获批准{?，原因：{note}}。"}},
      {"leave.withdrawn",
       {"leave.withdrawn"},
       {"{staff.name}，您{leave.from} 至 {leave.to}的请假申请已撤回。",
        "{leave.from} 至 {leave.to}的请假申请已撤回。"}},
      {"swap.updated",
       {"swap.updated"},
       {"换班申请 {shift_swap.id}：{requester.name} 与 {counterpart.name}，"
        "请在值班系统中查看并处理。",
        "换班申请 {shift_swap.id}：{requester.name}，请在值班系统中查看并处理。"}},
      {"visit.assigned",
       {"visit.assigned"},
       {"{staff.name}，上门服务工单{?：{service_name}}{?，{resident.name}}{?，{resident.address}}"
        "{?，电话{resident.masked_phone}}，请于 {visit.accept_by} 前接单。",
        "{staff.name}，上门服务工单{?：{service_name}}{?，{resident.name}}{?，{resident.address}}"
        "{?，电话{resident.masked_phone}}，请尽快接单。"}},
      // Escalated to the backup or the leader on duty (the new assignee);
      // with neither, nobody is named.
      {"visit.escalated",
       {"visit.escalated"},
       {"工单升级{?：{service_name}}{?，{resident.name}}{?，{resident.address}}，"
        "请{staff.name}尽快接单处理。",
        "工单升级{?：{service_name}}{?，{resident.name}}{?，{resident.address}}，"
        "暂无人接单，请尽快安排。"},
       true},
      // A room booked inside open hours has nobody serving it, and may have
      // no service.
      {"appointment.booked",
       {"appointment.booked"},
       {"{staff.name}，新预约{?：{appointment.for_name}}，{appointment.start}{?，{service_name}}"
        "{?，{appointment.room}}，{center_name}。",
        "新预约{?：{appointment.for_name}}，{appointment.start}{?，{service_name}}"
        "{?，{appointment.room}}，{center_name}。"}},
      {"appointment.cancelled",
       {"appointment.cancelled"},
       {"{staff.name}，预约已取消{?：{appointment.for_name}}，{appointment.start}"
        "{?，{appointment.room}}，{center_name}。",
        "预约已取消{?：{appointment.for_name}}，{appointment.start}{?，{appointment.room}}，"
        "{center_name}。"}},
  };
  return routes;
}

const DefaultRoute* FindDefaultRoute(const std::string& name) {
  for (const auto& r : DefaultRoutes()) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

toml::table DefaultRoutingConfig(const std::vector<std::string>& extra_to) {
  toml::array routes;
  toml::table templates;
  for (const auto& d : DefaultRoutes()) {
    toml::array topics, to;
    for (const auto& t : d.topics) topics.push_back(t);
    if (d.to.empty()) to.push_back("subject");
    for (const auto& x : d.to) to.push_back(x);
    for (const auto& x : extra_to) to.push_back(x);
    toml::table route{{"name", d.name},
                      {"topics", std::move(topics)},
                      {"to", std::move(to)},
                      {"template", d.name},
                      {"urgent", d.urgent}};
    if (d.starts_within_hours >= 0) route.insert("starts_within_hours", d.starts_within_hours);
    if (d.starts_beyond_hours >= 0) route.insert("starts_beyond_hours", d.starts_beyond_hours);
    if (!d.unless.empty()) route.insert("unless", d.unless);
    routes.push_back(std::move(route));
    toml::array texts;
    for (const auto& t : d.texts) texts.push_back(t);
    if (d.texts.size() == 1) {
      templates.insert(d.name, toml::table{{"text", d.texts.front()}});
    } else {
      templates.insert(d.name, toml::table{{"text", std::move(texts)}});
    }
  }
  return toml::table{{"route", std::move(routes)}, {"templates", std::move(templates)}};
}

}  // namespace zhiban::plugin
