#include "bench/fleet/meters.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/fleet/rng.h"
#include "util/status_macros.h"

namespace telemdb::fleet {
namespace {

constexpr const char* kRegions[] = {"alpine", "bay",   "coast",  "delta",
                                    "harbor", "lakes", "plains", "ridge"};
constexpr int64_t kFeedersPerRegion = 40;
constexpr const char* kFirmware[] = {"3.1.0", "3.1.2", "3.2.0", "3.2.0", "4.0.1", "4.0.1"};

constexpr int64_t kPowerMax10W = 1500;                     // power_kw 0.00..15.00 (10 W steps)
constexpr int64_t kVoltageMin = 2150, kVoltageMax = 2450;  // decivolts: 215.0..245.0

struct Meter {
  explicit Meter(uint64_t seed, int64_t index) : rng(seed, static_cast<uint64_t>(index), 2) {}

  Rng rng;
  std::string prefix;  // "meter,<tags> "
  int64_t energy_wh = 0;
  int64_t power_10w = 0;  // power in units of 10 W (power_kw has 2 decimals)
  int64_t voltage_dv = 0;
  bool alarm = false;
  bool holding = false;  // buffering the current hour for a late burst
  std::string held;      // the buffered lines, '\n'-separated
};

void InitMeter(Meter& m, int64_t index) {
  Rng& r = m.rng;
  int64_t region = static_cast<int64_t>(r.Below(std::size(kRegions)));
  m.prefix = absl::StrFormat("meter,feeder=%s-%03d,firmware=%s,meter_id=m%07d,region=%s ",
                             kRegions[region], r.Below(kFeedersPerRegion),
                             kFirmware[r.Below(std::size(kFirmware))], index, kRegions[region]);
  m.energy_wh = r.Between(0, 50'000'000);
  m.power_10w = r.Between(0, 500);
  m.voltage_dv = r.Between(2250, 2350);
}

void Step(Meter& m, int64_t interval_s) {
  Rng& r = m.rng;
  m.power_10w = Walk(r, m.power_10w, 40, 0, kPowerMax10W);
  m.voltage_dv = Walk(r, m.voltage_dv, 15, kVoltageMin, kVoltageMax);
  m.energy_wh += m.power_10w * 10 * interval_s / 3600;
  if (r.Chance(0.002)) {
    m.alarm = true;
  } else if (m.alarm && r.Chance(0.2)) {
    m.alarm = false;
  }
}

void WriteReading(const Meter& m, int64_t ts_s, TimestampUnit unit, std::string* out) {
  out->append(m.prefix);
  out->append("energy_wh=");
  AppendInt(m.energy_wh, out);
  out->append("i,power_kw=");
  AppendFixed(m.power_10w, 2, out);
  out->append(",voltage=");
  AppendFixed(m.voltage_dv, 1, out);
  out->append(m.alarm ? ",alarm=t " : ",alarm=f ");
  AppendTimestamp(ts_s, unit, out);
}

}  // namespace

absl::Status ValidateMetersOptions(const MetersOptions& o) {
  RETURN_IF_ERROR(ValidatePeriodic("meters", o.meters, o.hours, o.interval_s, o.jitter_s,
                                   o.start_s));
  for (double f : {o.missing_fraction, o.late_burst_fraction}) {
    if (!(f >= 0 && f <= 1)) {
      return absl::InvalidArgumentError(absl::StrCat("fractions must be in [0, 1], got ", f));
    }
  }
  return absl::OkStatus();
}

int64_t MetersPointsOnGrid(const MetersOptions& o) {
  return o.meters * (o.hours * 3600 / o.interval_s);
}

absl::Status GenerateMeters(const MetersOptions& o, LineSink sink) {
  RETURN_IF_ERROR(ValidateMetersOptions(o));
  std::vector<Meter> meters;
  meters.reserve(o.meters);
  for (int64_t i = 0; i < o.meters; ++i) InitMeter(meters.emplace_back(o.seed, i), i);

  ArrivalQueue late;
  std::string line;
  line.reserve(256);
  const int64_t ticks = o.hours * 3600 / o.interval_s;
  const int64_t ticks_per_hour = 3600 / o.interval_s;
  for (int64_t tick = 0; tick < ticks; ++tick) {
    const int64_t grid = o.start_s + tick * o.interval_s;
    const bool hour_start = tick % ticks_per_hour == 0;
    RETURN_IF_ERROR(late.EmitUntil(grid, sink));
    for (Meter& m : meters) {
      Rng& r = m.rng;
      if (hour_start) {
        if (m.holding && !m.held.empty()) {  // the held hour ended at `grid`
          late.Push(grid + r.Between(15 * 60, 6 * 3600), std::move(m.held));
          m.held.clear();
        }
        m.holding = r.Chance(o.late_burst_fraction);
      }
      Step(m, o.interval_s);
      const int64_t ts = grid + r.Between(-o.jitter_s, o.jitter_s);
      if (r.Chance(o.missing_fraction)) continue;
      if (m.holding) {
        if (!m.held.empty()) m.held.push_back('\n');
        WriteReading(m, ts, o.unit, &m.held);
        continue;
      }
      line.clear();
      WriteReading(m, ts, o.unit, &line);
      RETURN_IF_ERROR(sink(line));
    }
  }
  const int64_t end = o.start_s + ticks * o.interval_s;
  for (Meter& m : meters) {
    if (m.holding && !m.held.empty()) {
      late.Push(end + m.rng.Between(15 * 60, 6 * 3600), std::move(m.held));
    }
  }
  return late.EmitAll(sink);
}

}  // namespace telemdb::fleet
