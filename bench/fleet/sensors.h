// The sensors workload (long series): N sensors each report one temperature every
// `interval_s` seconds for weeks,
//
//   sensor,sensor_id=s000042,site=site-07 temp=21.37 1767225610000000000
//
// temp (2 decimals) is a bounded random walk around a per-sensor set point with a slow daily
// swing; each timestamp is the grid +- `jitter_s` whole seconds; about `missing_fraction` of
// readings never arrive. Lines come out time-major (every sensor's reading of one tick, then
// the next tick), as a gateway forwarding a site's sensors would send them. It is the shape of
// issue 17's long-range workload (1,000 series x 30 days at 10 s, mean by 1 h over it all).
// Deterministic from `seed` (one stream per sensor).
//
// Thread safety: GenerateSensors is reentrant (no shared state).
#ifndef TELEMDB_BENCH_FLEET_SENSORS_H_
#define TELEMDB_BENCH_FLEET_SENSORS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "bench/fleet/workload.h"

namespace telemdb::fleet {

struct SensorsOptions {
  // Number of sensors (= series). Default: 1000.
  int64_t sensors = 1000;
  // Simulated duration. Default: 720 (30 days).
  int64_t hours = 720;
  // Seed of every random stream. Default: 1.
  uint64_t seed = 1;
  // First grid time, seconds since the Unix epoch. Default: 2026-01-01T00:00:00Z.
  int64_t start_s = kDefaultStartSeconds;
  // Unit of the written timestamps. Default: kNanoseconds.
  TimestampUnit unit = TimestampUnit::kNanoseconds;
  // Reporting interval in seconds; must divide 3600. Default: 10.
  int64_t interval_s = 10;
  // Clock jitter: timestamps are grid + uniform[-jitter_s, jitter_s] s. Default: 1.
  int64_t jitter_s = 1;
  // Probability that a reading is lost. Default: 0.001.
  double missing_fraction = 0.001;
};

// Checks the options. Errors: InvalidArgument naming the bad option.
absl::Status ValidateSensorsOptions(const SensorsOptions& options);

// Generates the workload, one line at a time in arrival (= time-major) order.
// Errors: InvalidArgument for bad options; otherwise whatever `sink` returns.
absl::Status GenerateSensors(const SensorsOptions& options, LineSink sink);

}  // namespace telemdb::fleet

#endif  // TELEMDB_BENCH_FLEET_SENSORS_H_
