#include "bench/codec/fleet_data.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <numeric>

#include "bench/fleet/fleet.h"
#include "ingest/lineproto/parser.h"

namespace telemdb::bench {

std::vector<FleetSeries> GenerateFleet(size_t trucks, size_t hours, uint64_t seed) {
  struct Raw {
    std::string field;
    storage::ValueType type;
    std::vector<int64_t> ts;
    std::vector<double> f;
    std::vector<int64_t> i;
  };
  std::map<std::string, Raw> series;
  lineproto::ParseOptions po;
  lineproto::Parser parser(po);
  fleet::FleetOptions fo;
  fo.trucks = static_cast<int64_t>(trucks);
  fo.hours = static_cast<int64_t>(hours);
  fo.seed = seed;
  std::string key;
  absl::Status s = fleet::GenerateFleet(fo, [&](std::string_view line) -> absl::Status {
    return parser.Parse(line, [&](const lineproto::Point& p) -> absl::Status {
      for (const auto& f : p.fields) {
        key.assign(p.series_key);
        key.push_back(' ');
        key.append(f.key);
        Raw& r = series[key];
        if (r.ts.empty()) {
          r.field = std::string(p.measurement) + "." + std::string(f.key);
          r.type = f.value.type;
        }
        r.ts.push_back(p.timestamp_ns);
        if (f.value.type == storage::ValueType::kFloat) {
          r.f.push_back(f.value.f);
        } else {
          r.i.push_back(f.value.i);
        }
      }
      return absl::OkStatus();
    });
  });
  if (!s.ok()) std::fprintf(stderr, "fleet generator: %s\n", s.ToString().c_str());
  std::vector<FleetSeries> out;
  for (auto& entry : series) {
    auto& r = entry.second;  // a plain reference: clang cannot capture structured bindings
    // Sort by time; on equal timestamps the later arrival wins (stable sort, keep last).
    std::vector<size_t> order(r.ts.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return r.ts[a] < r.ts[b]; });
    FleetSeries fs;
    fs.field = r.field;
    fs.cols.type = r.type;
    for (size_t n = 0; n < order.size(); n++) {
      size_t idx = order[n];
      if (n + 1 < order.size() && r.ts[order[n + 1]] == r.ts[idx]) continue;
      fs.cols.ts.push_back(r.ts[idx]);
      if (r.type == storage::ValueType::kFloat) {
        fs.cols.floats.push_back(r.f[idx]);
      } else {
        fs.cols.ints.push_back(r.i[idx]);
      }
    }
    out.push_back(std::move(fs));
  }
  return out;
}

}  // namespace telemdb::bench
