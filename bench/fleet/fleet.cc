#include "bench/fleet/fleet.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/fleet/rng.h"
#include "util/status_macros.h"

namespace telemdb::fleet {
namespace {

struct Model {
  const char* name;
  int64_t load_capacity;             // kg
  int64_t fuel_capacity;             // l
  int64_t nominal_fuel_consumption;  // l/100 km
};
constexpr Model kModels[] = {
    {"F-150", 2000, 200, 15}, {"G-2000", 5000, 300, 19}, {"H-2", 1500, 150, 12}};
constexpr const char* kFleets[] = {"East", "West", "North", "South", "Central"};
constexpr const char* kDrivers[] = {"Albert", "Derek", "Nico",  "Rodney", "Seth",  "Trish",
                                    "Maria",  "Kenji", "Priya", "Lars",   "Amara", "Tomas"};
constexpr const char* kDeviceVersions[] = {"v1.0", "v1.5", "v2.0", "v2.3"};

template <typename T, size_t N>
const T& Pick(Rng& rng, const T (&items)[N]) {
  return items[rng.Below(N)];
}

// Bounds of the random walks; scaled integers so that the written decimals are exact.
constexpr int64_t kLatMin = 25'00000, kLatMax = 49'00000;     // 1e-5 degrees
constexpr int64_t kLonMin = -125'00000, kLonMax = -67'00000;  // 1e-5 degrees
constexpr int64_t kElevationMax = 5000;                       // m
constexpr int64_t kVelocityMax = 100;                         // km/h
constexpr int64_t kGradeMax = 100;                            // %
constexpr int64_t kFuelConsumptionMax = 500;                  // 0.1 l/100 km
constexpr int64_t kFuelStateFull = 1000;                      // 0.001 of a tank

struct Truck {
  explicit Truck(uint64_t seed, int64_t index) : rng(seed, static_cast<uint64_t>(index)) {}

  Rng rng;
  std::string readings_prefix;     // "readings,<tags> "
  std::string diagnostics_prefix;  // "diagnostics,<tags> "
  const Model* model = nullptr;
  int64_t lat = 0, lon = 0, elevation = 0, velocity = 0, heading = 0, grade = 0;
  int64_t fuel_consumption = 0, fuel_state = 0, current_load = 0, status = 0;
  int64_t outage_begin = -1, outage_end = -1;  // ticks [begin, end) buffered by the gateway
};

void InitTruck(Truck& t, int64_t index) {
  Rng& r = t.rng;
  t.model = &Pick(r, kModels);
  std::string tags = absl::StrCat(",device_version=", Pick(r, kDeviceVersions),
                                  ",driver=", Pick(r, kDrivers), ",fleet=", Pick(r, kFleets),
                                  ",model=", t.model->name, ",name=truck_", index, " ");
  t.readings_prefix = absl::StrCat("readings", tags);
  t.diagnostics_prefix = absl::StrCat("diagnostics", tags);
  t.lat = r.Between(kLatMin, kLatMax);
  t.lon = r.Between(kLonMin, kLonMax);
  t.elevation = r.Between(0, kElevationMax);
  t.velocity = r.Between(0, kVelocityMax);
  t.heading = r.Between(0, 359);
  t.grade = r.Between(0, kGradeMax);
  t.fuel_consumption = r.Between(0, kFuelConsumptionMax);
  t.fuel_state = r.Between(100, kFuelStateFull);
  t.current_load = r.Between(0, t.model->load_capacity);
  t.status = 0;
}

void Step(Truck& t) {
  Rng& r = t.rng;
  t.lat = Walk(r, t.lat, 250, kLatMin, kLatMax);
  t.lon = Walk(r, t.lon, 250, kLonMin, kLonMax);
  t.elevation = Walk(r, t.elevation, 10, 0, kElevationMax);
  t.velocity = Walk(r, t.velocity, 6, 0, kVelocityMax);
  t.heading = (t.heading + r.Between(-20, 20) + 360) % 360;
  t.grade = Walk(r, t.grade, 3, 0, kGradeMax);
  t.fuel_consumption = Walk(r, t.fuel_consumption, 5, 0, kFuelConsumptionMax);
  if (r.Chance(0.1)) --t.fuel_state;  // ~0.9 tank a day
  if (t.fuel_state <= 0 || (t.fuel_state < 200 && r.Chance(0.002))) t.fuel_state = kFuelStateFull;
  if (r.Chance(0.002)) t.current_load = r.Between(0, t.model->load_capacity);
  if (r.Chance(0.005)) {
    t.status = r.Between(1, 5);
  } else if (t.status != 0 && r.Chance(0.05)) {
    t.status = 0;
  }
}

void WriteReadings(const Truck& t, std::string_view ts, std::string* out) {
  out->append(t.readings_prefix);
  out->append("latitude=");
  AppendFixed(t.lat, 5, out);
  out->append(",longitude=");
  AppendFixed(t.lon, 5, out);
  out->append(",elevation=");
  AppendInt(t.elevation, out);
  out->append(",velocity=");
  AppendInt(t.velocity, out);
  out->append(",heading=");
  AppendInt(t.heading, out);
  out->append(",grade=");
  AppendInt(t.grade, out);
  out->append(",fuel_consumption=");
  AppendFixed(t.fuel_consumption, 1, out);
  out->push_back(' ');
  out->append(ts);
}

void WriteDiagnostics(const Truck& t, std::string_view ts, std::string* out) {
  out->append(t.diagnostics_prefix);
  out->append("load_capacity=");
  AppendInt(t.model->load_capacity, out);
  out->append(",fuel_capacity=");
  AppendInt(t.model->fuel_capacity, out);
  out->append(",nominal_fuel_consumption=");
  AppendInt(t.model->nominal_fuel_consumption, out);
  out->append(",fuel_state=");
  AppendFixed(t.fuel_state, 3, out);
  out->append(",current_load=");
  AppendInt(t.current_load, out);
  out->append(",status=");
  AppendInt(t.status, out);
  out->append("i ");
  out->append(ts);
}

int64_t LateDelaySeconds(Rng& r) {
  double u = r.Unit();
  if (u < 0.6) return r.Between(1, 59);
  if (u < 0.9) return r.Between(60, 30 * 60);
  return r.Between(3600, 3 * 3600);
}

int64_t Ticks(const FleetOptions& o) { return o.hours * 3600 / o.interval_s; }

// Picks the trucks whose gateway drops out, and when.
void PlanOutages(const FleetOptions& o, std::vector<Truck>& trucks) {
  if (o.outage_fraction <= 0) return;
  int64_t n = static_cast<int64_t>(trucks.size());
  int64_t k = std::clamp<int64_t>(std::llround(static_cast<double>(n) * o.outage_fraction), 1, n);
  Rng r(o.seed, ~uint64_t{0}, 1);
  std::vector<int64_t> ids(n);
  for (int64_t i = 0; i < n; ++i) ids[i] = i;
  int64_t ticks = Ticks(o);
  for (int64_t i = 0; i < k; ++i) {
    std::swap(ids[i], ids[i + static_cast<int64_t>(r.Below(n - i))]);
    Truck& t = trucks[ids[i]];
    int64_t length = r.Between(30 * 60, 3 * 3600) / o.interval_s;
    t.outage_begin = r.Between(0, std::max<int64_t>(0, ticks - 1));
    t.outage_end = std::min(ticks, t.outage_begin + std::max<int64_t>(1, length));
  }
}

}  // namespace

absl::Status ValidateFleetOptions(const FleetOptions& o) {
  if (o.trucks < 1 || o.trucks > 10'000'000) {
    return absl::InvalidArgumentError(absl::StrCat("trucks must be 1..10000000, got ", o.trucks));
  }
  if (o.hours < 1 || o.hours > 24 * 366) {
    return absl::InvalidArgumentError(absl::StrCat("hours must be 1..8784, got ", o.hours));
  }
  if (o.interval_s < 1 || o.interval_s > 3600) {
    return absl::InvalidArgumentError(
        absl::StrCat("interval_s must be 1..3600, got ", o.interval_s));
  }
  if (o.start_s < 0 || o.start_s > 8'000'000'000) {
    return absl::InvalidArgumentError(
        absl::StrCat("start must be 1970..2223 (ns timestamps fit int64), got ", o.start_s));
  }
  for (double f : {o.missing_fraction, o.late_fraction, o.outage_fraction}) {
    if (!(f >= 0 && f <= 1)) {
      return absl::InvalidArgumentError(absl::StrCat("fractions must be in [0, 1], got ", f));
    }
  }
  return absl::OkStatus();
}

int64_t FleetPointsOnGrid(const FleetOptions& o) { return o.trucks * Ticks(o) * 2; }

absl::Status GenerateFleet(const FleetOptions& o, LineSink sink) {
  RETURN_IF_ERROR(ValidateFleetOptions(o));
  std::vector<Truck> trucks;
  trucks.reserve(o.trucks);
  for (int64_t i = 0; i < o.trucks; ++i) InitTruck(trucks.emplace_back(o.seed, i), i);
  PlanOutages(o, trucks);

  ArrivalQueue late;
  std::string day_late;  // lines buffered by dropped-out gateways, sent after everything
  std::string ts;
  std::string line;
  line.reserve(512);
  const int64_t ticks = Ticks(o);
  for (int64_t tick = 0; tick < ticks; ++tick) {
    const int64_t now = o.start_s + tick * o.interval_s;
    RETURN_IF_ERROR(late.EmitUntil(now, sink));
    ts.clear();
    AppendTimestamp(now, o.unit, &ts);
    for (Truck& t : trucks) {
      Step(t);
      const bool outage = tick >= t.outage_begin && tick < t.outage_end;
      for (int m = 0; m < 2; ++m) {
        const bool missing = t.rng.Chance(o.missing_fraction);
        const bool is_late = t.rng.Chance(o.late_fraction);
        if (missing) continue;
        line.clear();
        if (m == 0) {
          WriteReadings(t, ts, &line);
        } else {
          WriteDiagnostics(t, ts, &line);
        }
        if (outage) {
          day_late.append(line).push_back('\n');
        } else if (is_late) {
          late.Push(now + LateDelaySeconds(t.rng), line);
        } else {
          RETURN_IF_ERROR(sink(line));
        }
      }
    }
  }
  RETURN_IF_ERROR(late.EmitAll(sink));
  return EmitLines(day_late, sink);
}

}  // namespace telemdb::fleet
