#include "daemon/domain/holiday_json.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace zhiban::domain {

namespace {

// The object of a one-year file: valid JSON, an object, "year" an integer
// and "days" a list, or the error naming the file and what is wrong.
Result<nlohmann::json> YearObject(std::string_view text, std::string_view source,
                                  std::string_view shape) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](std::string_view msg) {
    return Status::InvalidArgument("", fmt::format("{}: {}", source, msg));
  };
  if (j.is_discarded()) return bad("not valid JSON");
  if (!j.is_object()) return bad(fmt::format("expected a JSON object {}", shape));
  if (!j.contains("year") || !j["year"].is_number_integer()) {
    return bad("\"year\" must be an integer");
  }
  if (!j.contains("days") || !j["days"].is_array()) return bad("\"days\" must be a list");
  return j;
}

}  // namespace

Result<v1::CalendarYear> ParseHolidayJson(std::string_view text, std::string_view source) {
  ZB_ASSIGN_OR_RETURN(auto parsed, YearObject(text, source, "{year, papers, days}"));
  nlohmann::json& j = parsed;
  auto bad = [&](const std::string& msg) {
    return Status::InvalidArgument("", fmt::format("{}: {}", source, msg));
  };
  v1::CalendarYear y;
  y.set_year(j["year"].get<int>());
  if (j.contains("papers")) {
    if (!j["papers"].is_array()) return bad("\"papers\" must be a list of strings");
    for (const auto& p : j["papers"]) {
      if (!p.is_string()) return bad("\"papers\" must be a list of strings");
      y.add_papers(p.get<std::string>());
    }
  }
  const auto& days = j["days"];
  for (size_t i = 0; i < days.size(); ++i) {
    const auto& d = days[i];
    const std::string at = fmt::format("days[{}]", i);
    if (!d.is_object()) return bad(at + " must be an object {name, date, isOffDay}");
    if (!d.contains("date") || !d["date"].is_string()) return bad(at + ".date must be a string");
    if (!d.contains("name") || !d["name"].is_string()) {
      return bad(at + ".name must be a string (" + (d.contains("date") ? d["date"].dump() : "") +
                 ")");
    }
    if (!d.contains("isOffDay") || !d["isOffDay"].is_boolean()) {
      return bad(at + ".isOffDay must be true or false");
    }
    auto* out = y.add_days();
    out->set_date(d["date"].get<std::string>());
    out->set_name(d["name"].get<std::string>());
    out->set_off_day(d["isOffDay"].get<bool>());
  }
  y.set_source(std::string(source));
  return y;
}

Result<v1::StatutoryYear> ParseStatutoryJson(std::string_view text, std::string_view source) {
  ZB_ASSIGN_OR_RETURN(auto parsed, YearObject(text, source, "{year, law, days}"));
  nlohmann::json& j = parsed;
  auto bad = [&](const std::string& msg) {
    return Status::InvalidArgument("", fmt::format("{}: {}", source, msg));
  };
  v1::StatutoryYear y;
  y.set_year(j["year"].get<int>());
  if (!j.contains("law") || !j["law"].is_string())
    return bad("\"law\" must be a string: the law the statutory days follow");
  y.set_law(j["law"].get<std::string>());
  const auto& days = j["days"];
  for (size_t i = 0; i < days.size(); ++i) {
    const auto& d = days[i];
    const std::string at = fmt::format("days[{}]", i);
    if (!d.is_object()) return bad(at + " must be an object {date, name}");
    if (!d.contains("date") || !d["date"].is_string()) return bad(at + ".date must be a string");
    if (!d.contains("name") || !d["name"].is_string()) return bad(at + ".name must be a string");
    auto* out = y.add_days();
    out->set_date(d["date"].get<std::string>());
    out->set_name(d["name"].get<std::string>());
    out->set_off_day(true);
    out->set_statutory(true);
  }
  y.set_source(std::string(source));
  return y;
}

}  // namespace zhiban::domain
