#include "bench/fleet/faults.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "bench/fleet/rng.h"

namespace telemdb::fleet {
namespace {

struct Device {
  std::string name;
  std::string fleet;
  bool cold = false;
};

double Round(double v, double unit) { return std::round(v / unit) * unit; }

}  // namespace

absl::Status GenerateFaultFleet(const FaultFleetOptions& o,
                                const std::function<absl::Status(const FaultPoint&)>& sink) {
  if (o.minutes < 1 || o.interval_s < 1 || o.healthy_trucks < 0 || o.healthy_trucks > 100000) {
    return absl::InvalidArgumentError(
        "fault fleet: minutes and interval_s must be >= 1, healthy_trucks in [0, 100000]");
  }
  const FaultScript& s = o.script;
  std::vector<Device> devices;
  for (int64_t i = 0; i < o.healthy_trucks; i++) {
    devices.push_back({absl::StrCat("truck_", i), i % 2 ? "Cold" : "East", i % 2 == 1});
  }
  devices.push_back({"truck_silent", "East", false});
  devices.push_back({"freezer_7", "Cold", true});
  devices.push_back({"tank_3", "West", false});
  devices.push_back({"freezer_9", "Cold", true});
  std::vector<FaultPoint> all;
  const int64_t end_s = o.minutes * 60;
  for (size_t d = 0; d < devices.size(); d++) {
    const Device& dev = devices[d];
    Rng rng(o.seed, d);
    double velocity = 40 + rng.Below(40);
    double fuel = 0.9 - 0.02 * (d % 5);
    for (int64_t t = 0; t < end_s; t += o.interval_s) {
      if (dev.name == "truck_silent" && t >= s.silent_from_s && t < s.silent_until_s) continue;
      const std::vector<std::pair<std::string, std::string>> tags = {{"fleet", dev.fleet},
                                                                     {"name", dev.name}};
      velocity = std::clamp(velocity + (rng.Unit() - 0.5) * 6, 0.0, 100.0);
      // Healthy tanks lose 0.05 per hour; tank_3 0.4 per hour while it drains.
      double rate = 0.05;
      if (dev.name == "tank_3" && t >= s.drain_from_s && t < s.drain_until_s) rate = 0.4;
      if (dev.name == "tank_3" && t == s.drain_until_s) fuel = 0.95;
      fuel -= rate * o.interval_s / 3600.0;
      FaultPoint readings{"readings", tags, {{"velocity", Round(velocity, 0.1)}}, 0, 0};
      if (dev.cold) {
        double temp = -18 + (rng.Unit() - 0.5) * 0.8;
        if (dev.name == "freezer_7" && t >= s.warm_from_s && t < s.warm_until_s) {
          temp = std::min(6.0, -18 + (t - s.warm_from_s) / 60.0);
        }
        if (dev.name == "freezer_9" && t >= s.late_at_s && t < s.late_at_s + 30) temp = 10;
        readings.fields.emplace_back("temperature", Round(temp, 0.01));
      }
      FaultPoint diag{"diagnostics", tags, {{"fuel_state", Round(fuel, 0.0001)}}, 0, 0};
      for (FaultPoint* p : {&readings, &diag}) {
        p->ts_s = o.start_s + t;
        p->arrival_s = p->ts_s;
        if (dev.name == "freezer_9" && t >= s.late_at_s && t < s.late_at_s + 30) {
          p->arrival_s += s.late_delay_s;
        }
        all.push_back(*p);
      }
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const FaultPoint& a, const FaultPoint& b) {
    return a.arrival_s != b.arrival_s ? a.arrival_s < b.arrival_s : a.ts_s < b.ts_s;
  });
  for (const FaultPoint& p : all) {
    absl::Status st = sink(p);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status GenerateFaultFleetLines(const FaultFleetOptions& options, LineSink sink) {
  std::string line;
  return GenerateFaultFleet(options, [&](const FaultPoint& p) {
    line = p.measurement;
    for (const auto& [k, v] : p.tags) absl::StrAppend(&line, ",", k, "=", v);
    for (size_t i = 0; i < p.fields.size(); i++) {
      absl::StrAppend(&line, i ? "," : " ", p.fields[i].first, "=", p.fields[i].second);
    }
    line += ' ';
    AppendTimestamp(p.ts_s, TimestampUnit::kNanoseconds, &line);
    return sink(line);
  });
}

}  // namespace telemdb::fleet
