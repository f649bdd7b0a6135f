// A synthetic fleet-like dataset generated in memory for codec_bench: per vehicle, six series
// sampled every 10 s — latitude and longitude (5-decimal bounded random walks), velocity
// (whole km/h, random walk in 0..120), heading (whole degrees 0..359), fuel (1 decimal,
// draining, refuelled when low) as floats, and status (int 0..5, changing rarely).
// Values are printed with their decimals and parsed back, as a sensor gateway would.
// Deterministic for a seed. Thread safety: pure functions.
#ifndef TELEMDB_BENCH_CODEC_FLEET_DATA_H_
#define TELEMDB_BENCH_CODEC_FLEET_DATA_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "storage/codec/chunk.h"

namespace telemdb::bench {

struct FleetSeries {
  std::string field;  // lat, lon, velocity, heading, fuel, status
  storage::codec::Columns cols;
};

// `vehicles` x 6 series of `points` each.
std::vector<FleetSeries> GenerateFleet(size_t vehicles, size_t points, uint64_t seed);

}  // namespace telemdb::bench

#endif  // TELEMDB_BENCH_CODEC_FLEET_DATA_H_
