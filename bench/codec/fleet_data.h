// The fleet workload (bench/fleet) as per-series columns for codec_bench: every line the
// generator writes for `trucks` trucks over `hours` hours is parsed with the line-protocol
// parser, and each (measurement, tags, field) becomes one series, sorted by time with one
// point per timestamp (the later write wins), as the storage engine would store it.
// Thread safety: pure function.
#ifndef TELEMDB_BENCH_CODEC_FLEET_DATA_H_
#define TELEMDB_BENCH_CODEC_FLEET_DATA_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "storage/codec/chunk.h"

namespace telemdb::bench {

struct FleetSeries {
  std::string field;  // "readings.latitude", "diagnostics.status", ...
  storage::codec::Columns cols;
};

std::vector<FleetSeries> GenerateFleet(size_t trucks, size_t hours, uint64_t seed);

}  // namespace telemdb::bench

#endif  // TELEMDB_BENCH_CODEC_FLEET_DATA_H_
