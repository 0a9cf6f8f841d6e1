#include "clients/lib/records_csv.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <set>

#include <fmt/format.h>

namespace zhiban::client {

const std::vector<std::string> kCenterColumns = {"id",  "name", "parent_id", "level", "address",
                                                 "lat", "lon",  "time_zone", "phone", "rooms"};
const std::vector<std::string> kResidentColumns = {"id",
                                                   "name",
                                                   "home_center_id",
                                                   "address",
                                                   "room",
                                                   "lat",
                                                   "lon",
                                                   "phone",
                                                   "id_number",
                                                   "categories",
                                                   "disability_level",
                                                   "care_tier",
                                                   "legal_basis",
                                                   "consent_date",
                                                   "emergency_name",
                                                   "emergency_phone",
                                                   "emergency_relation",
                                                   "health_notes",
                                                   "last_care_visit"};
const std::vector<std::string> kStaffColumns = {
    "id",       "name",   "center_id",        "phone",      "wecom_user_id",
    "roles",    "skills", "cover_center_ids", "employment", "work_since",
    "rest_days"};

namespace {

std::string Trim(std::string s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::string Upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Maps header names to positions; refuses unknown and duplicate columns and
// missing required ones.
Status MapHeader(const std::vector<std::string>& header, const std::vector<std::string>& known,
                 const std::vector<std::string>& required, std::map<std::string, size_t>* pos) {
  for (size_t i = 0; i < header.size(); ++i) {
    std::string h = Trim(header[i]);
    if (std::find(known.begin(), known.end(), h) == known.end()) {
      return Status::InvalidArgument(
          "", fmt::format("row 1: unknown column \"{}\"; the columns are {}", h,
                          fmt::join(known, ",")));
    }
    if (!pos->emplace(h, i).second) {
      return Status::InvalidArgument("", fmt::format("row 1: column \"{}\" appears twice", h));
    }
  }
  for (const auto& r : required) {
    if (!pos->count(r)) {
      return Status::InvalidArgument("",
                                     fmt::format("row 1: required column \"{}\" is missing", r));
    }
  }
  return {};
}

std::string Cell(const CsvRow& row, const std::map<std::string, size_t>& pos, const char* col) {
  auto it = pos.find(col);
  return it == pos.end() ? std::string() : Trim(row.fields[it->second]);
}

bool ParseDouble(const std::string& s, double* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// The lat and lon cells into `out`: true when both were given and read;
// a cell that is not a number is a cell error.
bool LocationCells(const CsvRow& row, const std::map<std::string, size_t>& pos, v1::GeoPoint* out,
                   std::vector<CellError>* errors) {
  std::string lat = Cell(row, pos, "lat"), lon = Cell(row, pos, "lon");
  if (lat.empty() && lon.empty()) return false;
  double la = 0, lo = 0;
  if (!ParseDouble(lat, &la)) {
    errors->push_back({row.row, "lat", fmt::format("\"{}\" is not a number", lat)});
    return false;
  }
  if (!ParseDouble(lon, &lo)) {
    errors->push_back({row.row, "lon", fmt::format("\"{}\" is not a number", lon)});
    return false;
  }
  out->set_lat(la);
  out->set_lon(lo);
  return true;
}

}  // namespace

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    std::string t = Trim(cur);
    if (!t.empty()) out.push_back(t);
    cur.clear();
  };
  for (char c : text) {
    if (c == ';' || c == '|' || c == ',') {
      flush();
    } else {
      cur += c;
    }
  }
  flush();
  return out;
}

Result<std::vector<v1::Role>> ParseRoles(const std::string& text) {
  std::vector<v1::Role> roles;
  for (const auto& word : SplitList(text)) {
    v1::Role r = v1::ROLE_UNSPECIFIED;
    if (!v1::Role_Parse(Upper(word), &r) || r == v1::ROLE_UNSPECIFIED) {
      return Status::InvalidArgument(
          "roles",
          fmt::format("\"{}\" is not a role (WORKER, CADRE, LEADER, VOLUNTEER, MANAGER)", word));
    }
    roles.push_back(r);
  }
  return roles;
}

Result<v1::EmploymentType> ParseEmployment(const std::string& text) {
  if (text.empty()) return v1::EMPLOYMENT_TYPE_UNSPECIFIED;
  // The names staff records are kept under in a 街道's own spreadsheets.
  static const std::map<std::string, v1::EmploymentType, std::less<>> kChinese = {
      {"劳动合同", v1::LABOUR_CONTRACT}, {"社区工作者", v1::LABOUR_CONTRACT},
      {"公务员", v1::CIVIL_SERVANT},     {"事业编制", v1::CIVIL_SERVANT},
      {"两委", v1::ELECTED_CADRE},       {"两委成员", v1::ELECTED_CADRE},
      {"志愿者", v1::VOLUNTEER_SERVICE}, {"志愿服务", v1::VOLUNTEER_SERVICE}};
  if (auto it = kChinese.find(text); it != kChinese.end()) return it->second;
  v1::EmploymentType e{};
  if (!v1::EmploymentType_Parse(Upper(text), &e) || e == v1::EMPLOYMENT_TYPE_UNSPECIFIED) {
    return Status::InvalidArgument(
        "employment",
        fmt::format("\"{}\" is not an employment type (LABOUR_CONTRACT 劳动合同, "
                    "CIVIL_SERVANT 公务员, ELECTED_CADRE 两委, VOLUNTEER_SERVICE 志愿者)",
                    text));
  }
  return e;
}

namespace {

constexpr std::array<std::string_view, 7> kWeekdayNames = {"MON", "TUE", "WED", "THU",
                                                           "FRI", "SAT", "SUN"};
constexpr std::array<std::string_view, 7> kWeekdayChinese = {"周一", "周二", "周三", "周四",
                                                             "周五", "周六", "周日"};

// 1 (Monday) .. 7 (Sunday) for MON, Monday, 周一, 星期一 or 1 (any case); 0 if none.
uint32_t WeekdayOf(const std::string& word) {
  static const std::map<std::string, uint32_t, std::less<>> kForms = [] {
    static constexpr std::array<std::string_view, 7> kFull = {
        "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"};
    static constexpr std::array<std::string_view, 7> kNumerals = {"一", "二", "三", "四",
                                                                  "五", "六", "日"};
    std::map<std::string, uint32_t, std::less<>> m{{"周天", 7}, {"星期天", 7}};
    for (uint32_t i = 0; i < 7; ++i) {
      for (std::string form :
           {std::string(kWeekdayNames[i]), std::string(kFull[i]), std::string(kWeekdayChinese[i]),
            "星期" + std::string(kNumerals[i]), std::to_string(i + 1)}) {
        m.emplace(std::move(form), i + 1);
      }
    }
    return m;
  }();
  auto it = kForms.find(Upper(word));
  return it == kForms.end() ? 0 : it->second;
}

}  // namespace

Status ParseRestDays(const std::string& text, v1::Staff* s) {
  s->clear_rest_weekdays();
  const std::string t = Trim(text);
  const std::string up = Upper(t);
  if (t.empty() || up == "WEEKEND" || up == "REGULAR" || t == "周末" || t == "标准周") {
    s->set_rest_week(t.empty() ? v1::REST_WEEK_UNSPECIFIED : v1::REST_WEEK_REGULAR);
    return {};
  }
  if (up == "ROTA" || t == "轮休") {
    s->set_rest_week(v1::REST_WEEK_ROTA);
    return {};
  }
  // As shown (固定：周一、周二) or typed in Chinese: 、 and ， separate too.
  std::string listed = t;
  for (const std::string_view sep : {"、", "，"}) {
    for (size_t at; (at = listed.find(sep)) != std::string::npos;)
      listed.replace(at, sep.size(), ",");
  }
  if (listed.starts_with("固定：")) listed.erase(0, std::string_view("固定：").size());
  for (const auto& word : SplitList(listed)) {
    const uint32_t d = WeekdayOf(word);
    if (d == 0) {
      return Status::InvalidArgument(
          "rest_days",
          fmt::format("\"{}\" is not a weekday; rest days are \"weekend\" (周末), \"rota\" "
                      "(轮休) or one or two weekdays such as MON;TUE (周一;周二)",
                      word));
    }
    if (std::find(s->rest_weekdays().begin(), s->rest_weekdays().end(), d) !=
        s->rest_weekdays().end()) {
      return Status::InvalidArgument("rest_days",
                                     fmt::format("\"{}\" names {} twice", t, kWeekdayNames[d - 1]));
    }
    s->add_rest_weekdays(d);
  }
  if (s->rest_weekdays_size() > 2) {
    return Status::InvalidArgument(
        "rest_days",
        fmt::format("\"{}\" names {} weekdays; a fixed rest week (错时) has one or two", t,
                    s->rest_weekdays_size()));
  }
  s->set_rest_week(v1::REST_WEEK_FIXED);
  return {};
}

namespace {

// A fixed week's weekdays by `names` (Monday first), joined by `sep`.
std::string RestWeekdays(const v1::Staff& s, const std::array<std::string_view, 7>& names,
                         std::string_view sep) {
  std::vector<std::string_view> out;
  for (uint32_t d : s.rest_weekdays()) {
    if (d >= 1 && d <= 7) out.push_back(names[d - 1]);
  }
  return fmt::format("{}", fmt::join(out, sep));
}

}  // namespace

std::string RestDaysCell(const v1::Staff& s) {
  switch (s.rest_week()) {
    case v1::REST_WEEK_REGULAR:
      return "WEEKEND";
    case v1::REST_WEEK_ROTA:
      return "ROTA";
    case v1::REST_WEEK_FIXED:
      return RestWeekdays(s, kWeekdayNames, ";");
    default:
      return "";
  }
}

std::string RestDaysText(const v1::Staff& s) {
  switch (s.rest_week()) {
    case v1::REST_WEEK_ROTA:
      return "轮休（按排班）";
    case v1::REST_WEEK_FIXED:
      return "固定：" + RestWeekdays(s, kWeekdayChinese, "、");
    default:
      return "周末及调休";
  }
}

std::string EmploymentText(v1::EmploymentType e) {
  switch (e) {
    case v1::CIVIL_SERVANT:
      return "公务员";
    case v1::ELECTED_CADRE:
      return "两委";
    case v1::VOLUNTEER_SERVICE:
      return "志愿者";
    default:
      return "劳动合同";
  }
}

Result<v1::CenterLevel> ParseLevel(const std::string& text) {
  if (text.empty()) return v1::CENTER_LEVEL_UNSPECIFIED;
  v1::CenterLevel l{};
  if (!v1::CenterLevel_Parse(Upper(text), &l) || l == v1::CENTER_LEVEL_UNSPECIFIED) {
    return Status::InvalidArgument(
        "level", fmt::format("\"{}\" is not a level (CITY, STREET, COMMUNITY, STATION)", text));
  }
  return l;
}

std::string JoinRoles(const v1::Staff& s) {
  std::vector<std::string> names;
  for (int r : s.roles()) names.push_back(v1::Role_Name(r));
  return fmt::format("{}", fmt::join(names, ";"));
}

Status CentersFromCsv(const CsvTable& t, std::vector<v1::Center>* out,
                      std::vector<CellError>* errors) {
  std::map<std::string, size_t> pos;
  ZB_RETURN_IF_ERROR(MapHeader(t.header, kCenterColumns, {"id", "name"}, &pos));
  out->reserve(t.rows.size());
  for (const auto& row : t.rows) {
    v1::Center c;
    c.set_id(Cell(row, pos, "id"));
    c.set_name(Cell(row, pos, "name"));
    c.set_parent_id(Cell(row, pos, "parent_id"));
    auto level = ParseLevel(Cell(row, pos, "level"));
    if (!level.ok())
      errors->push_back({row.row, "level", level.status().message()});
    else
      c.set_level(*level);
    c.set_address(Cell(row, pos, "address"));
    if (v1::GeoPoint p; LocationCells(row, pos, &p, errors)) *c.mutable_location() = p;
    c.set_time_zone(Cell(row, pos, "time_zone"));
    c.set_phone(Cell(row, pos, "phone"));
    for (auto& r : SplitList(Cell(row, pos, "rooms"))) c.add_rooms(r);
    out->push_back(std::move(c));
  }
  return {};
}

Status StaffFromCsv(const CsvTable& t, std::vector<v1::Staff>* out,
                    std::vector<CellError>* errors) {
  std::map<std::string, size_t> pos;
  ZB_RETURN_IF_ERROR(
      MapHeader(t.header, kStaffColumns, {"id", "name", "center_id", "roles"}, &pos));
  out->reserve(t.rows.size());
  for (const auto& row : t.rows) {
    v1::Staff s;
    s.set_id(Cell(row, pos, "id"));
    s.set_name(Cell(row, pos, "name"));
    s.set_center_id(Cell(row, pos, "center_id"));
    s.set_phone(Cell(row, pos, "phone"));
    s.set_wecom_user_id(Cell(row, pos, "wecom_user_id"));
    auto roles = ParseRoles(Cell(row, pos, "roles"));
    if (!roles.ok()) {
      errors->push_back({row.row, "roles", roles.status().message()});
    } else {
      for (auto r : *roles) s.add_roles(r);
    }
    for (auto& k : SplitList(Cell(row, pos, "skills"))) s.add_skills(k);
    for (auto& c : SplitList(Cell(row, pos, "cover_center_ids"))) s.add_cover_center_ids(c);
    if (auto e = ParseEmployment(Cell(row, pos, "employment")); e.ok()) {
      s.set_employment(*e);
    } else {
      errors->push_back({row.row, "employment", e.status().message()});
    }
    s.set_work_since(Cell(row, pos, "work_since"));
    if (Status r = ParseRestDays(Cell(row, pos, "rest_days"), &s); !r.ok()) {
      errors->push_back({row.row, "rest_days", r.message()});
    }
    out->push_back(std::move(s));
  }
  return {};
}

Status ResidentsFromCsv(const CsvTable& t, std::vector<v1::Resident>* out,
                        std::vector<CellError>* errors) {
  std::map<std::string, size_t> pos;
  ZB_RETURN_IF_ERROR(
      MapHeader(t.header, kResidentColumns, {"id", "name", "home_center_id", "legal_basis"}, &pos));
  out->reserve(t.rows.size());
  for (const auto& row : t.rows) {
    v1::Resident r;
    r.set_id(Cell(row, pos, "id"));
    r.set_name(Cell(row, pos, "name"));
    r.set_home_center_id(Cell(row, pos, "home_center_id"));
    r.set_address(Cell(row, pos, "address"));
    r.set_room(Cell(row, pos, "room"));
    if (v1::GeoPoint p; LocationCells(row, pos, &p, errors)) *r.mutable_location() = p;
    r.set_phone(Cell(row, pos, "phone"));
    r.set_id_number(Cell(row, pos, "id_number"));
    for (const auto& w : SplitList(Cell(row, pos, "categories"))) {
      v1::CareCategory c{};
      if (!v1::CareCategory_Parse(Upper(w), &c) || c == v1::CARE_CATEGORY_UNSPECIFIED) {
        errors->push_back(
            {row.row, "categories",
             fmt::format("\"{}\" is not ELDERLY_ALONE, EMPTY_NEST, DISABLED_ELDERLY or DISABLED",
                         w)});
      } else {
        r.add_categories(c);
      }
    }
    if (std::string level = Cell(row, pos, "disability_level"); !level.empty()) {
      if (level.size() != 1 || level[0] < '1' || level[0] > '4') {
        errors->push_back({row.row, "disability_level", fmt::format("\"{}\" is not 1..4", level)});
      } else {
        r.set_disability_level(static_cast<uint32_t>(level[0] - '0'));
      }
    }
    if (std::string tier = Cell(row, pos, "care_tier"); !tier.empty()) {
      v1::CareTier ct{};
      if (!v1::CareTier_Parse(Upper(tier), &ct)) {
        errors->push_back(
            {row.row, "care_tier", fmt::format("\"{}\" is not HIGH_RISK, KEY or GENERAL", tier)});
      } else {
        r.set_care_tier(ct);
      }
    }
    v1::LegalBasis basis{};
    if (!v1::LegalBasis_Parse(Upper(Cell(row, pos, "legal_basis")), &basis) ||
        basis == v1::LEGAL_BASIS_UNSPECIFIED) {
      errors->push_back(
          {row.row, "legal_basis",
           fmt::format("\"{}\" is not STATUTORY_DUTY or CONSENT", Cell(row, pos, "legal_basis"))});
    } else {
      r.set_legal_basis(basis);
    }
    r.set_consent_date(Cell(row, pos, "consent_date"));
    r.mutable_emergency_contact()->set_name(Cell(row, pos, "emergency_name"));
    r.mutable_emergency_contact()->set_phone(Cell(row, pos, "emergency_phone"));
    r.mutable_emergency_contact()->set_relation(Cell(row, pos, "emergency_relation"));
    if (r.emergency_contact().ByteSizeLong() == 0) r.clear_emergency_contact();
    r.set_health_notes(Cell(row, pos, "health_notes"));
    r.set_last_care_visit(Cell(row, pos, "last_care_visit"));
    out->push_back(std::move(r));
  }
  return {};
}

std::vector<std::string> CenterToRow(const v1::Center& c) {
  return {c.id(),
          c.name(),
          c.parent_id(),
          c.level() == v1::CENTER_LEVEL_UNSPECIFIED ? "" : v1::CenterLevel_Name(c.level()),
          c.address(),
          c.has_location() ? fmt::format("{}", c.location().lat()) : "",
          c.has_location() ? fmt::format("{}", c.location().lon()) : "",
          c.time_zone(),
          c.phone(),
          fmt::format("{}", fmt::join(c.rooms(), ";"))};
}

std::vector<std::string> StaffToRow(const v1::Staff& s) {
  return {s.id(),
          s.name(),
          s.center_id(),
          s.phone(),
          s.wecom_user_id(),
          JoinRoles(s),
          fmt::format("{}", fmt::join(s.skills(), ";")),
          fmt::format("{}", fmt::join(s.cover_center_ids(), ";")),
          s.employment() == v1::EMPLOYMENT_TYPE_UNSPECIFIED
              ? std::string()
              : v1::EmploymentType_Name(s.employment()),
          s.work_since(),
          RestDaysCell(s)};
}

}  // namespace zhiban::client
