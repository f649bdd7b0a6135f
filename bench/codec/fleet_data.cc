#include "bench/codec/fleet_data.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

namespace telemdb::bench {
namespace {

using storage::ValueType;
using storage::codec::Columns;

constexpr int64_t kStart = int64_t{1700000000} * 1000000000;
constexpr int64_t kStep = int64_t{10} * 1000000000;

double Printed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return std::strtod(buf, nullptr);
}

Columns FloatSeries(const std::vector<int64_t>& ts) {
  Columns c;
  c.type = ValueType::kFloat;
  c.ts = ts;
  c.floats.reserve(ts.size());
  return c;
}

}  // namespace

std::vector<FleetSeries> GenerateFleet(size_t vehicles, size_t points, uint64_t seed) {
  std::vector<int64_t> ts(points);
  for (size_t i = 0; i < points; i++) ts[i] = kStart + static_cast<int64_t>(i) * kStep;
  std::vector<FleetSeries> out;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> gauss(0, 1);
  std::uniform_real_distribution<double> unit(0, 1);
  for (size_t v = 0; v < vehicles; v++) {
    Columns lat = FloatSeries(ts), lon = FloatSeries(ts), vel = FloatSeries(ts),
            head = FloatSeries(ts), fuel = FloatSeries(ts);
    Columns status;
    status.type = ValueType::kInt;
    status.ts = ts;
    double la = 40 + unit(rng) * 10, lo = -100 + unit(rng) * 20, speed = std::round(unit(rng) * 60);
    double heading = std::floor(unit(rng) * 360), f = 30 + unit(rng) * 70;
    int64_t st = static_cast<int64_t>(rng() % 6);
    for (size_t i = 0; i < points; i++) {
      speed = std::clamp(speed + std::round(gauss(rng) * 2), 0.0, 120.0);
      if (speed > 0) heading = std::fmod(heading + std::round(gauss(rng) * 5) + 360, 360);
      // ~speed km/h over 10 s, in degrees (1 degree ~ 111 km), in the current heading.
      const double dist = speed / 3600 * 10 / 111;
      la = std::clamp(la + dist * std::cos(heading * M_PI / 180), -89.0, 89.0);
      lo = std::clamp(lo + dist * std::sin(heading * M_PI / 180), -179.0, 179.0);
      f -= speed * 0.0002 + 0.001;
      if (f < 10) f = 100;
      if (unit(rng) < 0.01) st = static_cast<int64_t>(rng() % 6);
      lat.floats.push_back(Printed(la, 5));
      lon.floats.push_back(Printed(lo, 5));
      vel.floats.push_back(speed);
      head.floats.push_back(heading);
      fuel.floats.push_back(Printed(f, 1));
      status.ints.push_back(st);
    }
    out.push_back({"lat", std::move(lat)});
    out.push_back({"lon", std::move(lon)});
    out.push_back({"velocity", std::move(vel)});
    out.push_back({"heading", std::move(head)});
    out.push_back({"fuel", std::move(fuel)});
    out.push_back({"status", std::move(status)});
  }
  return out;
}

}  // namespace telemdb::bench
