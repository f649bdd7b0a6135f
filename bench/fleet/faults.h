// The scripted-fault fleet: a few healthy trucks plus the devices whose faults alert rules
// must catch, for the alert tests and demos (bench/fleet/README.md, docs/alerts.md):
//
//   truck_<i>      healthy: readings velocity (random walk), diagnostics fuel_state (slow
//                  drain), readings temperature for the fleet=Cold ones (-18 ± 0.4 °C);
//   truck_silent   stops reporting at silent_from and comes back at silent_until;
//   freezer_7      fleet=Cold: its temperature climbs 1 °C/min from warm_from to +6 °C, holds
//                  there, and drops back to -18 °C at warm_until;
//   tank_3         fuel_state drains 0.4/h from drain_from and is refuelled at drain_until;
//   freezer_9      fleet=Cold: a 30-second spike to +10 °C from late_at, whose points reach
//                  the database late_delay seconds late (an uplink backlog).
//
// Every device reports every `interval_s`, on the grid start + k·interval; points arrive at
// their timestamp except the late ones. Values are deterministic for a seed.
//
// Thread safety: GenerateFaultFleet is reentrant.
#ifndef TELEMDB_BENCH_FLEET_FAULTS_H_
#define TELEMDB_BENCH_FLEET_FAULTS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "bench/fleet/workload.h"

namespace telemdb::fleet {

struct FaultScript {
  // Seconds after the start.
  int64_t silent_from_s = 20 * 60;
  int64_t silent_until_s = 35 * 60;
  int64_t warm_from_s = 12 * 60;
  int64_t warm_until_s = 40 * 60;
  int64_t drain_from_s = 10 * 60;
  int64_t drain_until_s = 50 * 60;
  int64_t late_at_s = 45 * 60;
  int64_t late_delay_s = 90;
};

struct FaultFleetOptions {
  int64_t start_s = kDefaultStartSeconds;
  int64_t minutes = 60;
  int64_t interval_s = 10;
  int64_t healthy_trucks = 8;  // half of them fleet=Cold (with temperature)
  uint64_t seed = 1;
  FaultScript script;
};

struct FaultPoint {
  std::string measurement;
  std::vector<std::pair<std::string, std::string>> tags;  // sorted by key
  std::vector<std::pair<std::string, double>> fields;
  int64_t ts_s = 0;       // the reading's time
  int64_t arrival_s = 0;  // when it reaches the database
};

// Calls `sink` for every point in arrival order (ties: time order, then device order).
// Errors: InvalidArgument for bad options; the sink's.
absl::Status GenerateFaultFleet(const FaultFleetOptions& options,
                                const std::function<absl::Status(const FaultPoint&)>& sink);

// The same points as line protocol (ns timestamps), in arrival order.
absl::Status GenerateFaultFleetLines(const FaultFleetOptions& options, LineSink sink);

}  // namespace telemdb::fleet

#endif  // TELEMDB_BENCH_FLEET_FAULTS_H_
