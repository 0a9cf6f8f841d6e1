// Travel times for home-visit routes (issue 22): what the solver's
// TravelTimes interface (routes.h) is built from in the daemon.
//
//   - the model: straight-line (great-circle) distance × a detour factor ÷
//     the speed of the center's mode of travel (walk, e-bike, car), set per
//     center in its opening policy's [travel] table (TravelKeys);
//   - a matrix file from a road-network tool, where the operator has one:
//     CSV lines "from,to,minutes" of place ids (ParseTravelMatrix), which
//     overrides the model for the pairs it names;
//   - GCJ-02 → WGS-84: coordinates copied from Chinese maps (Amap, Tencent,
//     Baidu's own BD-09 aside) are offset by a few hundred metres; zhiban
//     stores WGS-84 (GeoPoint) and converts such input only when the operator
//     says it is GCJ-02 (zhibanctl --gcj02).
//
// Pure: no I/O, no clock. Thread-safety: immutable after construction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/base/status.h"
#include "daemon/domain/routes.h"
#include "zhiban/v1/calendar.pb.h"
#include "zhiban/v1/types.pb.h"

namespace zhiban::domain::routes {

// How a center's staff get to residents' doors.
enum class TravelMode { kWalk, kEbike, kCar };

// "walk", "ebike", "car".
std::string_view TravelModeName(TravelMode m);

// A center's travel settings, every key at its default unless its policy's
// [travel] table sets it (TravelConfigOf).
struct TravelConfig {
  TravelMode mode = TravelMode::kEbike;
  double detour = 1.4;      // road distance / straight-line distance
  double walk_kmh = 4.5;    // on foot, with stairs and gates
  double ebike_kmh = 15.0;  // 电动自行车 in city streets
  double car_kmh = 20.0;    // a car in city traffic, parking included
  // Speed of `mode`, km/h.
  double Speed() const;
};

// One key of the [travel] table, declared once: its name, type ("string" or
// "number"), default, allowed range (numbers) and help. The policy parser
// and docs/OPERATIONS.md read this list.
struct TravelKey {
  std::string_view name;
  std::string_view type;
  std::string_view default_text;
  double min = 0, max = 0;
  std::string_view help;
};
const std::vector<TravelKey>& TravelKeys();

// Sets one [travel] key in `out`: `text` for string keys, `number` for
// number keys (the one not given is empty / nullopt). InvalidArgument naming
// the key ("travel.detour") when it is unknown, of the wrong type or out of
// range.
Status SetTravelKey(std::string_view key, std::optional<double> number, std::string_view text,
                    v1::TravelSettings* out);

// The config from a policy's settings (unset keys: defaults).
TravelConfig TravelConfigOf(const v1::TravelSettings& s);

// Great-circle distance in km between two WGS-84 points (haversine).
double GreatCircleKm(double lat1, double lon1, double lat2, double lon2);

// The model's travel time between two points, seconds.
double ModelSeconds(const TravelConfig& c, const v1::GeoPoint& a, const v1::GeoPoint& b);

// ---- the matrix file

// Limits of a matrix file (documented in docs/OPERATIONS.md).
inline constexpr size_t kMaxMatrixBytes = 4u << 20;  // 4 MiB
inline constexpr size_t kMaxMatrixRows = 200000;
inline constexpr size_t kMaxPlaceIdBytes = 64;
inline constexpr double kMaxMatrixMinutes = 24 * 60;

// Minutes between place ids (a center id or a resident id), from a
// road-network tool. A pair listed one way only is used both ways.
class TravelMatrix {
 public:
  // Minutes from `from` to `to`, if the file lists the pair (either way).
  std::optional<double> Minutes(std::string_view from, std::string_view to) const;
  size_t rows() const { return rows_; }
  size_t places() const { return ids_.size(); }

 private:
  friend Result<TravelMatrix> ParseTravelMatrix(std::string_view csv);
  std::optional<uint32_t> Id(std::string_view place) const;
  std::unordered_map<std::string, uint32_t> ids_;
  std::unordered_map<uint64_t, float> minutes_;  // (from << 32 | to) -> minutes
  size_t rows_ = 0;
};

// Parses a matrix file strictly: an optional first line "from,to,minutes",
// then one line per pair "from,to,minutes" — exactly three fields, no quotes
// or spaces, place ids of [A-Za-z0-9_.-] (1..64 bytes), minutes a number in
// [0, 1440], 0 only from a place to itself; a pair at most once in each
// direction; LF or CRLF line ends, no empty lines but a final newline. At
// most kMaxMatrixBytes and kMaxMatrixRows. Errors are InvalidArgument on
// field "matrix" naming the line and field: "line 12, field 3 (minutes):
// \"abc\" is not a number".
Result<TravelMatrix> ParseTravelMatrix(std::string_view csv);

// ---- places and their travel times

// A place a route passes: a center or a resident's home.
struct Place {
  std::string id;
  std::optional<v1::GeoPoint> location;  // WGS-84; absent: unknown
};

// Seconds between every pair of `places` (dense, for the solver): the
// matrix's minutes where it names the pair, else the model; 0 from a place
// to itself, and to or from a place whose location is unknown and that the
// matrix does not name (the caller puts a resident without a location at
// their center, so that is rare). `from_matrix` (when not null) counts the
// pairs the matrix gave.
MatrixTravelTimes BuildTravelTimes(const std::vector<Place>& places, const TravelConfig& config,
                                   const TravelMatrix* matrix, size_t* from_matrix = nullptr);

// ---- GCJ-02 (火星坐标) → WGS-84

// The published GCJ-02 offset applied to a WGS-84 point (the forward
// transform: Krasovsky ellipsoid, a = 6378245, ee = 0.00669342162296594323).
// Outside mainland China's bounding box the point is returned unchanged, as
// the maps do.
v1::GeoPoint WgsToGcj02(const v1::GeoPoint& wgs);

// The WGS-84 point whose GCJ-02 offset is `gcj`, found by fixed-point
// iteration on WgsToGcj02 until it reproduces `gcj` within 1e-9 degrees
// (under a millimetre; a few iterations). Outside China: unchanged.
v1::GeoPoint Gcj02ToWgs(const v1::GeoPoint& gcj);

}  // namespace zhiban::domain::routes
