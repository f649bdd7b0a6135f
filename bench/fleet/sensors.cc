#include "bench/fleet/sensors.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/fleet/rng.h"
#include "util/status_macros.h"

namespace telemdb::fleet {
namespace {

constexpr int64_t kSites = 20;
constexpr int64_t kTempMin = -3000, kTempMax = 6000;  // centidegrees: -30.00..60.00

struct Sensor {
  Sensor(uint64_t seed, int64_t index) : rng(seed, static_cast<uint64_t>(index), 3) {}

  Rng rng;
  std::string prefix;      // "sensor,<tags> temp="
  int64_t set_point = 0;   // centidegrees
  int64_t offset = 0;      // random-walk deviation from the set point, centidegrees
  int64_t swing = 0;       // amplitude of the daily swing, centidegrees
};

}  // namespace

absl::Status ValidateSensorsOptions(const SensorsOptions& o) {
  RETURN_IF_ERROR(ValidatePeriodic("sensors", o.sensors, o.hours, o.interval_s, o.jitter_s,
                                   o.start_s));
  if (!(o.missing_fraction >= 0 && o.missing_fraction <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing_fraction must be in [0, 1], got ", o.missing_fraction));
  }
  return absl::OkStatus();
}

absl::Status GenerateSensors(const SensorsOptions& o, LineSink sink) {
  RETURN_IF_ERROR(ValidateSensorsOptions(o));
  std::vector<Sensor> sensors;
  sensors.reserve(o.sensors);
  for (int64_t i = 0; i < o.sensors; ++i) {
    Sensor& s = sensors.emplace_back(o.seed, i);
    s.prefix = absl::StrFormat("sensor,sensor_id=s%06d,site=site-%02d temp=", i,
                               s.rng.Below(kSites));
    s.set_point = s.rng.Between(-2000, 3000);
    s.swing = s.rng.Between(0, 500);
  }
  // The daily swing, in steps of 1/24 of the amplitude per hour: a triangle wave that peaks
  // at 15:00 UTC. Integer arithmetic keeps output identical on every platform.
  auto daily = [](int64_t ts, int64_t amplitude) {
    int64_t h = ((ts / 3600) % 24 + 24 + 9) % 24;  // 0 at 15:00, 12 at 03:00
    int64_t dist = h <= 12 ? h : 24 - h;             // 0..12
    return amplitude - amplitude * dist / 6;          // +amplitude .. -amplitude
  };
  std::string line;
  line.reserve(96);
  const int64_t ticks = o.hours * 3600 / o.interval_s;
  for (int64_t tick = 0; tick < ticks; ++tick) {
    const int64_t grid = o.start_s + tick * o.interval_s;
    for (Sensor& s : sensors) {
      Rng& r = s.rng;
      s.offset = Walk(r, s.offset, 5, -400, 400);
      const int64_t ts = grid + r.Between(-o.jitter_s, o.jitter_s);
      if (r.Chance(o.missing_fraction)) continue;
      int64_t temp = s.set_point + s.offset + daily(grid, s.swing);
      temp = temp < kTempMin ? kTempMin : (temp > kTempMax ? kTempMax : temp);
      line.assign(s.prefix);
      AppendFixed(temp, 2, &line);
      line.push_back(' ');
      AppendTimestamp(ts, o.unit, &line);
      RETURN_IF_ERROR(sink(line));
    }
  }
  return absl::OkStatus();
}

}  // namespace telemdb::fleet
