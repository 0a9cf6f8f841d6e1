#include "clients/lib/csv.h"

#include <gtest/gtest.h>

#include "clients/lib/records_csv.h"

namespace zhiban::client {
namespace {

TEST(Csv, ParsesSpreadsheetOutputWithBomCrlfAndQuotes) {
  std::string text =
      "\xEF\xBB\xBFid,name,address\r\n"
      "c1,幸福社区,\"朝阳路1号, 2楼\"\r\n"
      "\r\n"
      "c2,\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
      "c3,末行,\n";
  auto t = ParseCsv(text);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->header, (std::vector<std::string>{"id", "name", "address"}));
  ASSERT_EQ(t->rows.size(), 3u);
  EXPECT_EQ(t->rows[0].row, 2u);
  EXPECT_EQ(t->rows[0].fields[2], "朝阳路1号, 2楼");
  EXPECT_EQ(t->rows[1].row, 4u);  // blank line 3 skipped
  EXPECT_EQ(t->rows[1].fields[1], "say \"hi\"");
  EXPECT_EQ(t->rows[1].fields[2], "two\nlines");
  EXPECT_EQ(t->rows[2].row, 6u);  // after a record spanning two lines
  EXPECT_EQ(t->rows[2].fields[2], "");
}

TEST(Csv, NoTrailingNewline) {
  auto t = ParseCsv("id,name\nc1,x");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->rows.size(), 1u);
  EXPECT_EQ(t->rows[0].fields[1], "x");
}

TEST(Csv, ErrorsNameTheRow) {
  auto wrong_count = ParseCsv("id,name\nc1,x\nc2\n");
  ASSERT_FALSE(wrong_count.ok());
  EXPECT_NE(wrong_count.status().message().find("row 3"), std::string::npos);
  auto unclosed = ParseCsv("id,name\nc1,\"never closed\n");
  ASSERT_FALSE(unclosed.ok());
  EXPECT_NE(unclosed.status().message().find("row 2"), std::string::npos);
  auto stray = ParseCsv("id,name\nc1,ab\"c\n");
  EXPECT_FALSE(stray.ok());
  auto latin1 = ParseCsv("id,name\nc1,caf\xe9\n");
  ASSERT_FALSE(latin1.ok());
  EXPECT_NE(latin1.status().message().find("column name"), std::string::npos);
  EXPECT_FALSE(ParseCsv("").ok());
  // A 10 MB cell is a broken file: named by row and column, not sent.
  auto huge = ParseCsv("id,health_notes\nr1,ok\nr2," + std::string(10 << 20, 'x') + "\n");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("row 3, column health_notes"), std::string::npos)
      << huge.status().message();
}

TEST(Csv, WriterRoundTrips) {
  std::vector<std::string> fields = {"a,b", "say \"x\"", "line\nbreak", "plain", ""};
  std::string out = "h1,h2,h3,h4,h5\r\n";
  AppendCsvRow(fields, &out);
  auto t = ParseCsv(out);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->rows.size(), 1u);
  EXPECT_EQ(t->rows[0].fields, fields);
}

TEST(Utf8, Validation) {
  EXPECT_TRUE(IsValidUtf8("张伟 abc"));
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));  // emoji
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));         // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));     // surrogate
  EXPECT_FALSE(IsValidUtf8("\xE5\xBC"));         // truncated
}

TEST(RecordsCsv, StaffRowsConvertAndCollectEveryCellError) {
  auto t = ParseCsv(
      "id,name,center_id,roles,skills,cover_center_ids\n"
      "s1,张伟,c1,worker;LEADER,social-security;medical,c2|c3\n"
      "s2,李娜,c1,BOSS,,\n"
      "s3,王芳,c1,,,\n");
  ASSERT_TRUE(t.ok());
  std::vector<v1::Staff> staff;
  std::vector<CellError> errors;
  ASSERT_TRUE(StaffFromCsv(*t, &staff, &errors).ok());
  ASSERT_EQ(staff.size(), 3u);
  EXPECT_EQ(staff[0].roles_size(), 2);
  EXPECT_EQ(staff[0].roles(1), v1::LEADER);
  EXPECT_EQ(staff[0].skills_size(), 2);
  EXPECT_EQ(staff[0].cover_center_ids(1), "c3");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].row, 3u);
  EXPECT_EQ(errors[0].column, "roles");
  // s3 has no roles: that is the daemon's rule (at least one), not a cell error.
}

TEST(RecordsCsv, HeaderProblemsAreRefused) {
  std::vector<v1::Center> centers;
  std::vector<CellError> errors;
  auto unknown = ParseCsv("id,name,colour\nc1,x,red\n");
  Status s = CentersFromCsv(*unknown, &centers, &errors);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("unknown column \"colour\""), std::string::npos);
  auto missing = ParseCsv("id,address\nc1,x\n");
  s = CentersFromCsv(*missing, &centers, &errors);
  EXPECT_NE(s.message().find("required column \"name\""), std::string::npos);
}

TEST(RecordsCsv, CenterRowRoundTrip) {
  v1::Center c;
  c.set_id("c1");
  c.set_name("幸福社区党群服务中心");
  c.set_parent_id("street");
  c.set_level(v1::COMMUNITY);
  c.set_address("朝阳路 1 号");
  c.mutable_location()->set_lat(39.9219);
  c.mutable_location()->set_lon(116.4436);
  std::string csv;
  AppendCsvRow(kCenterColumns, &csv);
  AppendCsvRow(CenterToRow(c), &csv);
  auto t = ParseCsv(csv);
  ASSERT_TRUE(t.ok());
  std::vector<v1::Center> back;
  std::vector<CellError> errors;
  ASSERT_TRUE(CentersFromCsv(*t, &back, &errors).ok());
  ASSERT_TRUE(errors.empty());
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].SerializeAsString(), c.SerializeAsString());
}

}  // namespace
// Employment type and years of service: by name or in Chinese, round trip.
TEST(RecordsCsv, EmploymentAndWorkSinceByNameOrInChinese) {
  auto t = ParseCsv(
      "id,name,center_id,roles,employment,work_since\n"
      "s1,王芳,c1,WORKER,两委,2003-07-01\n"
      "s2,李娜,c1,WORKER,civil_servant,\n"
      "s3,赵磊,c1,WORKER,,\n"
      "s4,孙丽,c1,WORKER,实习生,\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  std::vector<v1::Staff> staff;
  std::vector<CellError> errors;
  ASSERT_TRUE(StaffFromCsv(*t, &staff, &errors).ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].row, 5u);
  EXPECT_EQ(errors[0].column, "employment");
  EXPECT_NE(errors[0].message.find("实习生"), std::string::npos) << errors[0].message;
  EXPECT_EQ(staff[0].employment(), v1::ELECTED_CADRE);
  EXPECT_EQ(staff[0].work_since(), "2003-07-01");
  EXPECT_EQ(staff[1].employment(), v1::CIVIL_SERVANT);
  EXPECT_EQ(staff[2].employment(), v1::EMPLOYMENT_TYPE_UNSPECIFIED);
  EXPECT_EQ(kStaffColumns.size(), StaffToRow(staff[0]).size());
  EXPECT_EQ(kStaffColumns[8], "employment");
  EXPECT_EQ(StaffToRow(staff[0])[8], "ELECTED_CADRE");
  EXPECT_EQ(StaffToRow(staff[0])[9], "2003-07-01");
  EXPECT_EQ(StaffToRow(staff[2])[8], "") << "unspecified stays empty";
}

// Rest days: a regular week, a rota, or one or two weekdays by name, in
// Chinese or by number; a round trip through the CSV cell.
TEST(RecordsCsv, RestDaysAreAWeekARotaOrOneOrTwoWeekdays) {
  struct Case {
    std::string text;
    v1::RestWeek week;
    std::vector<uint32_t> days;
    std::string cell, chinese;
  };
  for (const Case& c : std::vector<Case>{
           {"", v1::REST_WEEK_UNSPECIFIED, {}, "", "周末及调休"},
           {"weekend", v1::REST_WEEK_REGULAR, {}, "WEEKEND", "周末及调休"},
           {"轮休", v1::REST_WEEK_ROTA, {}, "ROTA", "轮休（按排班）"},
           {"mon;Tue", v1::REST_WEEK_FIXED, {1, 2}, "MON;TUE", "固定：周一、周二"},
           {"周一,星期二", v1::REST_WEEK_FIXED, {1, 2}, "MON;TUE", "固定：周一、周二"},
           {"7", v1::REST_WEEK_FIXED, {7}, "SUN", "固定：周日"},
           {"Wednesday", v1::REST_WEEK_FIXED, {3}, "WED", "固定：周三"},
           // As `staff show` prints it, and as typed with Chinese commas.
           {"固定：周一、周二", v1::REST_WEEK_FIXED, {1, 2}, "MON;TUE", "固定：周一、周二"},
           {"周六，周日", v1::REST_WEEK_FIXED, {6, 7}, "SAT;SUN", "固定：周六、周日"}}) {
    v1::Staff s;
    ASSERT_TRUE(ParseRestDays(c.text, &s).ok()) << c.text;
    EXPECT_EQ(s.rest_week(), c.week) << c.text;
    EXPECT_EQ(std::vector<uint32_t>(s.rest_weekdays().begin(), s.rest_weekdays().end()), c.days)
        << c.text;
    EXPECT_EQ(RestDaysCell(s), c.cell) << c.text;
    EXPECT_EQ(RestDaysText(s), c.chinese) << c.text;
    v1::Staff back;
    ASSERT_TRUE(ParseRestDays(RestDaysCell(s), &back).ok());
    EXPECT_EQ(back.rest_weekdays_size(), s.rest_weekdays_size()) << c.text;
  }
  for (const auto& [text, says] : std::vector<std::pair<std::string, std::string>>{
           {"周八", "\"周八\" is not a weekday"},
           {"mon;mon", "names MON twice"},
           {"mon;tue;wed", "names 3 weekdays; a fixed rest week (错时) has one or two"},
           {"0", "\"0\" is not a weekday"}}) {
    v1::Staff s;
    Status st = ParseRestDays(text, &s);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << text;
    EXPECT_NE(st.message().find(says), std::string::npos) << st.message();
  }
  auto t = ParseCsv("id,name,center_id,roles,rest_days\ns1,王芳,c1,WORKER,周二;周三\n");
  ASSERT_TRUE(t.ok());
  std::vector<v1::Staff> staff;
  std::vector<CellError> errors;
  ASSERT_TRUE(StaffFromCsv(*t, &staff, &errors).ok());
  ASSERT_TRUE(errors.empty()) << errors[0].message;
  EXPECT_EQ(StaffToRow(staff[0]).back(), "TUE;WED");
  EXPECT_EQ(kStaffColumns.back(), "rest_days");
}

}  // namespace zhiban::client
