// The meters workload (high cardinality): smart electricity meters report every 15 min,
//
//   meter,feeder=bay-017,firmware=3.2.0,meter_id=m0004711,region=bay
//       energy_wh=18234512i,power_kw=2.31,voltage=231.4,alarm=f 1767268803000000000
//
// (one line; tags sorted by key). energy_wh is an integer counter (Wh) integrating power_kw;
// power_kw (2 decimals) and voltage (1 decimal) are bounded random walks; alarm is a bool,
// mostly false. Meter clocks drift:
// each timestamp is the 15-min grid +- `jitter_s` whole seconds. About `missing_fraction` of
// readings never arrive, and for about `late_burst_fraction` of (meter, hour) pairs the
// meter buffers that hour and its readings arrive together 15 min..6 h after the hour ends.
// Deterministic from `seed` (per-meter streams). Ranges: bench/fleet/README.md.
//
// Thread safety: GenerateMeters is reentrant (no shared state).
#ifndef TELEMDB_BENCH_FLEET_METERS_H_
#define TELEMDB_BENCH_FLEET_METERS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "bench/fleet/workload.h"

namespace telemdb::fleet {

// The meters workload starts this long after kDefaultStartSeconds (mid-day).
inline constexpr int64_t kMetersStartOffsetSeconds = 12 * 3600;

struct MetersOptions {
  // Number of meters (= series per field). Default: 100000.
  int64_t meters = 100000;
  // Simulated duration. Default: 24.
  int64_t hours = 24;
  // Seed of every random stream. Default: 1.
  uint64_t seed = 1;
  // First grid time, seconds since the Unix epoch. Default: 2026-01-01T12:00:00Z (mid-day,
  // so that a day of readings straddles a day boundary, as a meter fleet's day does).
  int64_t start_s = kDefaultStartSeconds + kMetersStartOffsetSeconds;
  // Unit of the written timestamps. Default: kNanoseconds.
  TimestampUnit unit = TimestampUnit::kNanoseconds;
  // Reporting interval in seconds; must divide 3600. Default: 900.
  int64_t interval_s = 900;
  // Clock jitter: timestamps are grid + uniform[-jitter_s, jitter_s] s. Default: 5.
  int64_t jitter_s = 5;
  // Probability that a reading is lost. Default: 0.01.
  double missing_fraction = 0.01;
  // Probability that a meter holds back an hour of readings and sends them as a late burst.
  // Default: 0.01.
  double late_burst_fraction = 0.01;
};

// Checks the options. Errors: InvalidArgument naming the bad option.
absl::Status ValidateMetersOptions(const MetersOptions& options);

// Readings a run would produce with nothing missing: meters x intervals.
int64_t MetersPointsOnGrid(const MetersOptions& options);

// Generates the workload, one line at a time in arrival order.
// Errors: InvalidArgument for bad options; otherwise whatever `sink` returns.
absl::Status GenerateMeters(const MetersOptions& options, LineSink sink);

}  // namespace telemdb::fleet

#endif  // TELEMDB_BENCH_FLEET_METERS_H_
