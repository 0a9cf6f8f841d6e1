// Rota exports: CSV for spreadsheets and payroll, RFC 5545 iCalendar for
// phone calendars (one VEVENT per shift, UID = the shift id, so a second
// import of the same month updates events instead of adding them).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "zhiban/v1/ctl.pb.h"

namespace zhiban::client {

// center id -> display name, for LOCATION and the CSV.
using Names = std::map<std::string, std::string>;

std::string ShiftsToCsv(const std::vector<v1::Shift>& shifts, const Names& staff,
                        const Names& centers, bool bom);
// `stamp` is DTSTAMP (UTC, the export's time).
std::string ShiftsToIcs(const std::vector<v1::Shift>& shifts, const Names& staff,
                        const Names& centers, const std::string& calendar_name,
                        const google::protobuf::Timestamp& stamp);
// The payroll CSV: hours per class per person (LedgerRow), employment and
// overtime pay in Chinese.
std::string LedgerToCsv(const v1::LedgerReply& ledger, bool bom);
// 劳动法(150%/补休或200%/300%), 补休, 加班补贴, 不计加班费.
std::string OvertimePayText(v1::OvertimePay p);
// 标准工时制, 综合计算工时制.
std::string WorkingTimeText(v1::WorkingTime w);
// 年休假, 病假, 补休, 事假, 婚假, 产假, 陪产假, 丧假, 探亲假.
std::string LeaveKindText(v1::LeaveKind k);
// " 上午", " 下午", or "" for whole days: said after a leave's dates.
std::string LeaveHalfText(v1::LeaveHalf h);
// An amount in fen (0.01 yuan) as yuan: "30.00".
std::string YuanText(uint64_t fen);

// RFC 5545 §3.3.11 TEXT escaping and §3.1 folding (75 octets, never inside
// a UTF-8 sequence), exposed for tests.
std::string IcsEscape(const std::string& text);
std::string IcsFold(const std::string& line);

}  // namespace zhiban::client
