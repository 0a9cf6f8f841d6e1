#include "clients/lib/rota_export.h"

#include <ctime>

#include <fmt/format.h>

#include "clients/lib/csv.h"
#include "clients/lib/records_csv.h"

namespace zhiban::client {
namespace {

const char* KindText(v1::WindowKind k) {
  switch (k) {
    case v1::REGULAR:
      return "正常服务";
    case v1::EXTENDED:
      return "延时服务";
    case v1::NOON:
      return "午间服务";
    case v1::STAGGERED:
      return "错时服务";
    case v1::DUTY:
      return "值班";
    case v1::APPOINTMENT:
      return "预约服务";
    case v1::ON_CALL:
      return "备班";
    case v1::HOME_SERVICE:
      return "上门服务";
    default:
      return "值班";
  }
}

std::string Lookup(const Names& names, const std::string& id) {
  auto it = names.find(id);
  return it == names.end() ? id : it->second;
}

std::string UtcStamp(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string LocalText(const v1::Shift& s) {
  return fmt::format("{} {}–{}", s.date(), s.start_local(), s.end_local());
}

}  // namespace

std::string ShiftsToCsv(const std::vector<v1::Shift>& shifts, const Names& staff,
                        const Names& centers, bool bom) {
  std::string out = bom ? "\xEF\xBB\xBF" : "";
  AppendCsvRow({"shift_id", "center_id", "center", "date", "day_type", "holiday", "kind", "start",
                "end", "assignee_id", "assignee", "backup_id", "source", "published", "checked_in"},
               &out);
  for (const auto& s : shifts) {
    AppendCsvRow(
        {s.id(), s.center_id(), Lookup(centers, s.center_id()), s.date(),
         v1::DayType_Name(s.day_type()), s.holiday(), v1::WindowKind_Name(s.kind()),
         s.start_local(), s.end_local(), s.assignee_id(),
         s.assignee_id().empty() ? "" : Lookup(staff, s.assignee_id()), s.backup_id(),
         s.source() == v1::SHIFT_SOURCE_UNSPECIFIED ? "GAP" : v1::ShiftSource_Name(s.source()),
         s.published() ? "yes" : "no",
         s.has_checked_in() ? UtcStamp(s.checked_in().seconds()) : ""},
        &out);
  }
  return out;
}

std::string IcsEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case ';':
        out += "\\;";
        break;
      case ',':
        out += "\\,";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string IcsFold(const std::string& line) {
  std::string out;
  size_t width = 0;  // octets on the current physical line
  for (size_t i = 0; i < line.size();) {
    size_t len = 1;
    const auto c = static_cast<unsigned char>(line[i]);
    if (c >= 0xF0)
      len = 4;
    else if (c >= 0xE0)
      len = 3;
    else if (c >= 0xC0)
      len = 2;
    if (width + len > 75) {
      out += "\r\n ";
      width = 1;
    }
    out.append(line, i, len);
    width += len;
    i += len;
  }
  return out + "\r\n";
}

std::string ShiftsToIcs(const std::vector<v1::Shift>& shifts, const Names& staff,
                        const Names& centers, const std::string& calendar_name,
                        const google::protobuf::Timestamp& stamp) {
  std::string out;
  auto line = [&](const std::string& l) { out += IcsFold(l); };
  line("BEGIN:VCALENDAR");
  line("VERSION:2.0");
  line("PRODID:-//zhiban//zhibanctl//ZH");
  line("CALSCALE:GREGORIAN");
  line("METHOD:PUBLISH");
  line("X-WR-CALNAME:" + IcsEscape(calendar_name));
  const std::string dtstamp = UtcStamp(stamp.seconds());
  for (const auto& s : shifts) {
    line("BEGIN:VEVENT");
    line("UID:" + IcsEscape(s.id()) + "@zhiban");
    line("DTSTAMP:" + dtstamp);
    line("DTSTART:" + UtcStamp(s.start().seconds()));
    line("DTEND:" + UtcStamp(s.end().seconds()));
    const std::string who = s.assignee_id().empty() ? "待安排" : Lookup(staff, s.assignee_id());
    line("SUMMARY:" + IcsEscape(fmt::format("{} {}{}", KindText(s.kind()), who,
                                            s.holiday().empty() ? "" : " (" + s.holiday() + ")")));
    line("LOCATION:" + IcsEscape(Lookup(centers, s.center_id())));
    std::string desc =
        fmt::format("{} {}\n班次 {}", Lookup(centers, s.center_id()), LocalText(s), s.id());
    if (!s.backup_id().empty()) desc += fmt::format("\nAB岗 {}", Lookup(staff, s.backup_id()));
    line("DESCRIPTION:" + IcsEscape(desc));
    line(std::string("STATUS:") + (s.published() ? "CONFIRMED" : "TENTATIVE"));
    line("TRANSP:OPAQUE");
    line("END:VEVENT");
  }
  line("END:VCALENDAR");
  return out;
}

std::string OvertimePayText(v1::OvertimePay p) {
  switch (p) {
    case v1::OVERTIME_PAY_COMP_TIME:
      return "补休";
    case v1::OVERTIME_PAY_SUBSIDY:
      return "加班补贴";
    case v1::OVERTIME_PAY_NONE:
      return "不计加班费";
    default:
      return "劳动法(150%/补休或200%/300%)";
  }
}

std::string WorkingTimeText(v1::WorkingTime w) {
  return w == v1::WORKING_TIME_COMPREHENSIVE ? "综合计算工时制" : "标准工时制";
}

std::string LeaveHalfText(v1::LeaveHalf h) {
  switch (h) {
    case v1::LEAVE_HALF_MORNING:
      return " 上午";
    case v1::LEAVE_HALF_AFTERNOON:
      return " 下午";
    default:
      return "";
  }
}

std::string YuanText(uint64_t fen) { return fmt::format("{}.{:02}", fen / 100, fen % 100); }

std::string LeaveKindText(v1::LeaveKind k) {
  switch (k) {
    case v1::ANNUAL:
      return "年休假";
    case v1::SICK:
      return "病假";
    case v1::COMPENSATORY:
      return "补休";
    case v1::PERSONAL:
      return "事假";
    case v1::MARRIAGE:
      return "婚假";
    case v1::MATERNITY:
      return "产假";
    case v1::PATERNITY:
      return "陪产假";
    case v1::BEREAVEMENT:
      return "丧假";
    case v1::HOME_VISIT:
      return "探亲假";
    default:
      return "未知";
  }
}

std::string LedgerToCsv(const v1::LedgerReply& ledger, bool bom) {
  std::string out = bom ? "\xEF\xBB\xBF" : "";
  // The first eleven columns are as before; later ones were added after them.
  AppendCsvRow({"year",
                "staff_id",
                "name",
                "center_id",
                "total_hours",
                "rest_day_hours",
                "comp_earned_hours",
                "comp_taken_hours",
                "comp_balance_hours",
                "statutory_hours",
                "statutory_days",
                "month",
                "employment",
                "overtime_pay",
                "extended_hours",
                "pay_150_hours",
                "pay_300_hours",
                "subsidy_hours",
                "on_call_hours",
                "on_call_shifts",
                "working_time",
                "on_call_allowance_yuan"},
               &out);
  auto h = [](int64_t minutes) { return fmt::format("{:.2f}", minutes / 60.0); };
  for (const auto& r : ledger.rows()) {
    AppendCsvRow({std::to_string(ledger.year()),
                  r.staff_id(),
                  r.name(),
                  r.center_id(),
                  h(r.total_minutes()),
                  h(r.rest_day_minutes()),
                  h(r.comp_earned_minutes()),
                  h(r.comp_taken_minutes()),
                  h(r.comp_balance_minutes()),
                  h(r.statutory_minutes()),
                  std::to_string(r.statutory_days()),
                  r.month() ? std::to_string(r.month()) : "",
                  EmploymentText(r.employment()),
                  OvertimePayText(r.overtime_pay()),
                  h(r.extended_minutes()),
                  h(r.pay_150_minutes()),
                  h(r.pay_300_minutes()),
                  h(r.subsidy_minutes()),
                  h(r.on_call_minutes()),
                  std::to_string(r.on_call_shifts()),
                  WorkingTimeText(r.working_time()),
                  YuanText(r.on_call_allowance_fen())},
                 &out);
  }
  return out;
}

}  // namespace zhiban::client
