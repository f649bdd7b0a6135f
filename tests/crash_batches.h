// The deterministic batches of the crash-recovery test, shared by the writer process and the
// checker: batch `b` writes its own (series, timestamp) pairs, in a scrambled time order so
// that most batches arrive late relative to others.
#ifndef TELEMDB_TESTS_CRASH_BATCHES_H_
#define TELEMDB_TESTS_CRASH_BATCHES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "storage/types.h"

namespace telemdb::tests {

inline constexpr int64_t kCrashT0 = 1'600'000'000'000'000'000;
inline constexpr int kCrashDevices = 8;
inline constexpr int kMaxCrashBatches = 10007;

inline std::string CrashDevice(int batch) { return "dev" + std::to_string(batch % kCrashDevices); }

inline storage::SeriesBatch CrashBatch(int batch) {
  storage::SeriesBatch g;
  g.measurement = "crash";
  g.tags = {{"device", CrashDevice(batch)}};
  const int64_t window = (static_cast<int64_t>(batch) * 7919) % kMaxCrashBatches;
  const int rows = 20 + batch % 60;
  storage::FieldColumn v{"v", storage::ValueType::kFloat};
  storage::FieldColumn n{"n", storage::ValueType::kInt};
  for (int i = 0; i < rows; i++) {
    g.timestamps.push_back(kCrashT0 + window * 1'000'000'000'000 + i * 10'000'000'000LL);
    v.floats.push_back(static_cast<double>(batch) + i / 100.0);
    n.ints.push_back(static_cast<int64_t>(batch) * 1000 + i);
  }
  g.fields = {v, n};
  return g;
}

}  // namespace telemdb::tests

#endif  // TELEMDB_TESTS_CRASH_BATCHES_H_
