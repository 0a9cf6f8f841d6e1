// Travel times for routes: the model, the matrix file, GCJ-02 (routes_travel.h).
#include "daemon/domain/routes_travel.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "daemon/base/number.h"

namespace zhiban::domain::routes {

namespace {

constexpr double kPi = 3.14159265358979323846;

bool PlaceIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// A place id from the file's text, for an error message: cut and printable.
std::string Shown(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > 40) out += "...";
  return out;
}

Status MatrixError(size_t line, int field, std::string_view what) {
  static constexpr const char* kNames[] = {"", "from", "to", "minutes"};
  if (field == 0) return Status::InvalidArgument("matrix", fmt::format("line {}: {}", line, what));
  return Status::InvalidArgument(
      "matrix", fmt::format("line {}, field {} ({}): {}", line, field, kNames[field], what));
}

}  // namespace

std::string_view TravelModeName(TravelMode m) {
  switch (m) {
    case TravelMode::kWalk:
      return "walk";
    case TravelMode::kEbike:
      return "ebike";
    case TravelMode::kCar:
      return "car";
  }
  return "ebike";
}

double TravelConfig::Speed() const {
  switch (mode) {
    case TravelMode::kWalk:
      return walk_kmh;
    case TravelMode::kCar:
      return car_kmh;
    case TravelMode::kEbike:
      break;
  }
  return ebike_kmh;
}

const std::vector<TravelKey>& TravelKeys() {
  static const std::vector<TravelKey> keys = {
      {"mode", "string", "ebike", 0, 0,
       "How staff reach residents' doors: \"walk\", \"ebike\" (电动自行车) or \"car\"."},
      {"detour", "number", "1.4", 1.0, 3.0,
       "Road distance over straight-line distance (1.2-1.3 on a street grid, more across a "
       "river or in old lanes)."},
      {"walk_kmh", "number", "4.5", 1.0, 10.0, "Speed on foot, km/h."},
      {"ebike_kmh", "number", "15", 3.0, 40.0, "Speed by e-bike, km/h."},
      {"car_kmh", "number", "20", 5.0, 80.0,
       "Speed by car in city traffic, parking included, km/h."},
  };
  return keys;
}

Status SetTravelKey(std::string_view key, std::optional<double> number, std::string_view text,
                    v1::TravelSettings* out) {
  const auto& keys = TravelKeys();
  auto it = std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.name == key; });
  const std::string field = fmt::format("travel.{}", key);
  if (it == keys.end()) {
    std::vector<std::string_view> names;
    for (const auto& k : keys) names.push_back(k.name);
    return Status::InvalidArgument(
        field, fmt::format("unknown key \"{}\" ([travel] has {})", key, fmt::join(names, ", ")));
  }
  if (it->type == "string") {
    if (number) return Status::InvalidArgument(field, fmt::format("{} must be a string", it->name));
    if (text != "walk" && text != "ebike" && text != "car") {
      return Status::InvalidArgument(
          field, fmt::format("mode \"{}\" is not one of walk, ebike, car", Shown(text)));
    }
    out->set_mode(std::string(text));
    return {};
  }
  if (!number) return Status::InvalidArgument(field, fmt::format("{} must be a number", it->name));
  if (!std::isfinite(*number) || *number < it->min || *number > it->max) {
    return Status::InvalidArgument(
        field, fmt::format("{} = {} is outside {}..{}", it->name, *number, it->min, it->max));
  }
  if (key == "detour") out->set_detour(*number);
  if (key == "walk_kmh") out->set_walk_kmh(*number);
  if (key == "ebike_kmh") out->set_ebike_kmh(*number);
  if (key == "car_kmh") out->set_car_kmh(*number);
  return {};
}

TravelConfig TravelConfigOf(const v1::TravelSettings& s) {
  TravelConfig c;
  if (s.mode() == "walk") c.mode = TravelMode::kWalk;
  if (s.mode() == "car") c.mode = TravelMode::kCar;
  if (s.detour() > 0) c.detour = s.detour();
  if (s.walk_kmh() > 0) c.walk_kmh = s.walk_kmh();
  if (s.ebike_kmh() > 0) c.ebike_kmh = s.ebike_kmh();
  if (s.car_kmh() > 0) c.car_kmh = s.car_kmh();
  return c;
}

double GreatCircleKm(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kR = 6371.0, kRad = kPi / 180;
  const double dlat = (lat2 - lat1) * kRad, dlon = (lon2 - lon1) * kRad;
  const double h =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kR * std::asin(std::min(1.0, std::sqrt(h)));
}

double ModelSeconds(const TravelConfig& c, const v1::GeoPoint& a, const v1::GeoPoint& b) {
  const double km = GreatCircleKm(a.lat(), a.lon(), b.lat(), b.lon()) * c.detour;
  return km / c.Speed() * 3600.0;
}

// ---- the matrix file

std::optional<uint32_t> TravelMatrix::Id(std::string_view place) const {
  auto it = ids_.find(std::string(place));
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

std::optional<double> TravelMatrix::Minutes(std::string_view from, std::string_view to) const {
  const auto a = Id(from), b = Id(to);
  if (!a || !b) return std::nullopt;
  if (auto it = minutes_.find(uint64_t(*a) << 32 | *b); it != minutes_.end()) return it->second;
  if (auto it = minutes_.find(uint64_t(*b) << 32 | *a); it != minutes_.end()) return it->second;
  return std::nullopt;
}

Result<TravelMatrix> ParseTravelMatrix(std::string_view csv) {
  if (csv.size() > kMaxMatrixBytes) {
    return Status::InvalidArgument(
        "matrix", fmt::format("the file is {} bytes; a matrix is at most {} MiB", csv.size(),
                              kMaxMatrixBytes >> 20));
  }
  TravelMatrix out;
  std::unordered_map<uint64_t, size_t> line_of;  // pair -> the line that gave it
  size_t line = 0;
  size_t pos = 0;
  while (pos < csv.size()) {
    ++line;
    size_t end = csv.find('\n', pos);
    std::string_view text = csv.substr(pos, end == std::string_view::npos ? end : end - pos);
    pos = end == std::string_view::npos ? csv.size() : end + 1;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (line == 1 && text == "from,to,minutes") continue;
    if (text.empty()) return MatrixError(line, 0, "an empty line (a matrix has none)");
    std::string_view fields[3];
    int n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
      if (i == text.size() || text[i] == ',') {
        if (n == 3) {
          return MatrixError(line, 0, "more than 3 fields (a line is from,to,minutes)");
        }
        fields[n++] = text.substr(start, i - start);
        start = i + 1;
      }
    }
    if (n < 3) {
      return MatrixError(
          line, 0, fmt::format("{} field{} (a line is from,to,minutes)", n, n == 1 ? "" : "s"));
    }
    uint32_t ids[2];
    for (int f = 0; f < 2; ++f) {
      const auto id = fields[f];
      if (id.empty())
        return MatrixError(line, f + 1, "empty (a place id: a center or resident id)");
      if (id.size() > kMaxPlaceIdBytes) {
        return MatrixError(
            line, f + 1,
            fmt::format("\"{}\" is longer than {} bytes", Shown(id), kMaxPlaceIdBytes));
      }
      if (!std::all_of(id.begin(), id.end(), PlaceIdChar)) {
        return MatrixError(line, f + 1,
                           fmt::format("\"{}\" is not a place id (A-Z a-z 0-9 _ . -)", Shown(id)));
      }
      auto [it, added] = out.ids_.emplace(std::string(id), uint32_t(out.ids_.size()));
      ids[f] = it->second;
    }
    auto minutes = ParseNumber<double>(fields[2], "minutes");
    if (!minutes.ok() || !std::isfinite(*minutes)) {
      return MatrixError(line, 3, fmt::format("\"{}\" is not a number", Shown(fields[2])));
    }
    if (*minutes < 0 || *minutes > kMaxMatrixMinutes) {
      return MatrixError(line, 3, fmt::format("{} is outside 0..{}", *minutes, kMaxMatrixMinutes));
    }
    if (*minutes == 0 && ids[0] != ids[1]) {
      return MatrixError(line, 3, "0 minutes between two different places");
    }
    const uint64_t key = uint64_t(ids[0]) << 32 | ids[1];
    if (auto [it, added] = line_of.emplace(key, line); !added) {
      return MatrixError(line, 0,
                         fmt::format("{} -> {} is listed twice (first on line {})",
                                     Shown(fields[0]), Shown(fields[1]), it->second));
    }
    if (++out.rows_ > kMaxMatrixRows) {
      return MatrixError(line, 0, fmt::format("more than {} rows", kMaxMatrixRows));
    }
    out.minutes_.emplace(key, static_cast<float>(*minutes));
  }
  return out;
}

// ---- places and their travel times

MatrixTravelTimes BuildTravelTimes(const std::vector<Place>& places, const TravelConfig& config,
                                   const TravelMatrix* matrix, size_t* from_matrix) {
  const size_t n = places.size();
  std::vector<double> times(n * n, 0.0);
  size_t given = 0;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      if (i == j) continue;
      double t = 0;
      if (auto m = matrix ? matrix->Minutes(places[i].id, places[j].id) : std::nullopt) {
        t = *m * 60.0;
        ++given;
      } else if (places[i].location && places[j].location) {
        t = ModelSeconds(config, *places[i].location, *places[j].location);
      }
      times[i * n + j] = t;
    }
  }
  if (from_matrix) *from_matrix = given;
  return MatrixTravelTimes(static_cast<int>(n), std::move(times));
}

// ---- GCJ-02

namespace {

constexpr double kGcjA = 6378245.0;
constexpr double kGcjEe = 0.00669342162296594323;

bool OutsideChina(double lat, double lon) {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

double OffsetLat(double x, double y) {
  double r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * std::sqrt(std::fabs(x));
  r += (20.0 * std::sin(6.0 * x * kPi) + 20.0 * std::sin(2.0 * x * kPi)) * 2.0 / 3.0;
  r += (20.0 * std::sin(y * kPi) + 40.0 * std::sin(y / 3.0 * kPi)) * 2.0 / 3.0;
  r += (160.0 * std::sin(y / 12.0 * kPi) + 320.0 * std::sin(y * kPi / 30.0)) * 2.0 / 3.0;
  return r;
}

double OffsetLon(double x, double y) {
  double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * std::sqrt(std::fabs(x));
  r += (20.0 * std::sin(6.0 * x * kPi) + 20.0 * std::sin(2.0 * x * kPi)) * 2.0 / 3.0;
  r += (20.0 * std::sin(x * kPi) + 40.0 * std::sin(x / 3.0 * kPi)) * 2.0 / 3.0;
  r += (150.0 * std::sin(x / 12.0 * kPi) + 300.0 * std::sin(x / 30.0 * kPi)) * 2.0 / 3.0;
  return r;
}

}  // namespace

v1::GeoPoint WgsToGcj02(const v1::GeoPoint& wgs) {
  const double lat = wgs.lat(), lon = wgs.lon();
  if (OutsideChina(lat, lon)) return wgs;
  double dlat = OffsetLat(lon - 105.0, lat - 35.0);
  double dlon = OffsetLon(lon - 105.0, lat - 35.0);
  const double rad = lat / 180.0 * kPi;
  double magic = std::sin(rad);
  magic = 1 - kGcjEe * magic * magic;
  const double sqrt_magic = std::sqrt(magic);
  dlat = (dlat * 180.0) / ((kGcjA * (1 - kGcjEe)) / (magic * sqrt_magic) * kPi);
  dlon = (dlon * 180.0) / (kGcjA / sqrt_magic * std::cos(rad) * kPi);
  v1::GeoPoint out;
  out.set_lat(lat + dlat);
  out.set_lon(lon + dlon);
  return out;
}

v1::GeoPoint Gcj02ToWgs(const v1::GeoPoint& gcj) {
  if (OutsideChina(gcj.lat(), gcj.lon())) return gcj;
  // WgsToGcj02 moves a point by under a kilometre and its offset changes
  // slowly, so w <- w - (f(w) - gcj) converges in a few steps.
  v1::GeoPoint w = gcj;
  for (int i = 0; i < 30; ++i) {
    const v1::GeoPoint g = WgsToGcj02(w);
    const double dlat = g.lat() - gcj.lat(), dlon = g.lon() - gcj.lon();
    w.set_lat(w.lat() - dlat);
    w.set_lon(w.lon() - dlon);
    if (std::fabs(dlat) < 1e-9 && std::fabs(dlon) < 1e-9) break;
  }
  return w;
}

}  // namespace zhiban::domain::routes
