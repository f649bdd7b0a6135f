// The fleet workload (TSBS-IoT-like): trucks report two line-protocol points every 10 s,
//
//   readings,device_version=v1.5,driver=Derek,fleet=East,model=F-150,name=truck_7
//       latitude=41.52311,longitude=-93.60422,elevation=312,velocity=54,heading=221,grade=3,
//       fuel_consumption=23.4 1767225600000000000
//   diagnostics,<same tags> load_capacity=2000,fuel_capacity=200,nominal_fuel_consumption=15,
//       fuel_state=0.734,current_load=812,status=0i 1767225600000000000
//
// (one line each; tags sorted by key). Values are bounded random walks. Arrival order is
// realistic: about `missing_fraction` of points never arrive, `late_fraction` arrive seconds to
// hours late, and the trucks of a few gateways lose their uplink for 30 min..3 h; those
// buffered points arrive at the very end (a day late, after the reconnect). Every random draw
// comes from per-truck streams of `seed`: the same options give byte-identical output, and a
// truck's data does not depend on how many other trucks there are. The exact value ranges are
// listed in bench/fleet/README.md.
//
// Thread safety: GenerateFleet is reentrant (no shared state).
#ifndef TELEMDB_BENCH_FLEET_FLEET_H_
#define TELEMDB_BENCH_FLEET_FLEET_H_

#include <cstdint>

#include "absl/status/status.h"
#include "bench/fleet/workload.h"

namespace telemdb::fleet {

struct FleetOptions {
  // Number of trucks. Default: 200.
  int64_t trucks = 200;
  // Simulated duration; points at start, start + 10 s, ... < start + hours. Default: 24.
  int64_t hours = 24;
  // Seed of every random stream. Default: 1.
  uint64_t seed = 1;
  // First timestamp, seconds since the Unix epoch. Default: 2026-01-01T00:00:00Z.
  int64_t start_s = kDefaultStartSeconds;
  // Unit of the written timestamps. Default: kNanoseconds.
  TimestampUnit unit = TimestampUnit::kNanoseconds;
  // Reporting interval in seconds. Default: 10.
  int64_t interval_s = 10;
  // Probability that a point is lost. Default: 0.01.
  double missing_fraction = 0.01;
  // Probability that a point arrives late (60%: 1..59 s, 30%: 1..30 min, 10%: 1..3 h).
  // Default: 0.03.
  double late_fraction = 0.03;
  // Share of trucks (at least one when > 0) whose gateway drops out once for 30 min..3 h;
  // their points from that window are emitted after everything else. Default: 0.01.
  double outage_fraction = 0.01;
};

// Checks the options. Errors: InvalidArgument naming the bad option.
absl::Status ValidateFleetOptions(const FleetOptions& options);

// Points a run would produce with nothing missing: trucks x intervals x 2 measurements.
int64_t FleetPointsOnGrid(const FleetOptions& options);

// Generates the workload, one line at a time in arrival order.
// Errors: InvalidArgument for bad options; otherwise whatever `sink` returns.
absl::Status GenerateFleet(const FleetOptions& options, LineSink sink);

}  // namespace telemdb::fleet

#endif  // TELEMDB_BENCH_FLEET_FLEET_H_
