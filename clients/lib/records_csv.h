// Centers and staff as CSV rows. Column names are the proto field names
// (location is flattened to lat, lon; lists are separated by ';'), so CSV,
// JSON output and the protocol all speak the same words.
#pragma once

#include <string>
#include <vector>

#include "clients/lib/csv.h"
#include "daemon/base/status.h"
#include "zhiban/v1/types.pb.h"
#include "zhiban/v1/visit.pb.h"

namespace zhiban::client {

extern const std::vector<std::string> kCenterColumns;
extern const std::vector<std::string> kStaffColumns;
extern const std::vector<std::string> kResidentColumns;

// A problem in one cell of the source file.
struct CellError {
  uint32_t row;
  std::string column;
  std::string message;
};

// Converts every row; collects every cell error (not just the first).
// Column order in the file is free; `id` and `name` (and for staff
// `center_id` and `roles`) must be present; unknown columns are errors.
Status CentersFromCsv(const CsvTable& t, std::vector<v1::Center>* out,
                      std::vector<CellError>* errors);
Status StaffFromCsv(const CsvTable& t, std::vector<v1::Staff>* out, std::vector<CellError>* errors);
// Residents (personal data: the file stays with the operator). Categories
// are a ';' list of CareCategory names; emergency_* fill the contact.
Status ResidentsFromCsv(const CsvTable& t, std::vector<v1::Resident>* out,
                        std::vector<CellError>* errors);

std::vector<std::string> CenterToRow(const v1::Center& c);
std::vector<std::string> StaffToRow(const v1::Staff& s);

// "WORKER;leader" -> roles, case-insensitive; errors name the bad word.
Result<std::vector<v1::Role>> ParseRoles(const std::string& text);
Result<v1::CenterLevel> ParseLevel(const std::string& text);
// An employment type by its name (LABOUR_CONTRACT, any case) or its Chinese
// (劳动合同, 公务员, 两委, 志愿者 …); "" is unspecified (counted as LABOUR_CONTRACT).
Result<v1::EmploymentType> ParseEmployment(const std::string& text);
// 劳动合同, 公务员, 两委, 志愿者 (unspecified: 劳动合同, as it counts).
std::string EmploymentText(v1::EmploymentType e);
// A person's rest days as written in a CSV cell or --rest-days: "" (unset:
// a regular week) or "weekend" (周末, a regular week said so); "rota" (轮休)
// the days the rota leaves free; one or two weekdays (MON;TUE, 周一、周二,
// 1,2) a fixed week (错时). Sets rest_week and rest_weekdays of `s`; the
// error names what is wrong.
Status ParseRestDays(const std::string& text, v1::Staff* s);
// The same as a CSV cell: "" (unset), WEEKEND, ROTA, or weekdays as MON;TUE.
std::string RestDaysCell(const v1::Staff& s);
// In Chinese: 周末及调休, 轮休（按排班）, 固定：周一、周二.
std::string RestDaysText(const v1::Staff& s);
std::vector<std::string> SplitList(const std::string& text);  // on ; | ,
std::string JoinRoles(const v1::Staff& s);

}  // namespace zhiban::client
