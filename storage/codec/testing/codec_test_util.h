// Helpers shared by the codec tests: bit-exact column comparison and data generators.
// Thread safety: pure functions.
#ifndef TELEMDB_STORAGE_CODEC_TESTING_CODEC_TEST_UTIL_H_
#define TELEMDB_STORAGE_CODEC_TESTING_CODEC_TEST_UTIL_H_

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/codec/chunk.h"

namespace telemdb::storage::codec::testing {

inline uint64_t DoubleBits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}
inline double DoubleFromBits(uint64_t u) {
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}

// Compares doubles by their bits (NaN payloads, -0.0); reports the first difference.
inline ::testing::AssertionResult SameBits(const std::vector<double>& a,
                                           const std::vector<double>& b) {
  if (a.size() != b.size()) {
    return ::testing::AssertionFailure() << "sizes " << a.size() << " vs " << b.size();
  }
  for (size_t i = 0; i < a.size(); i++) {
    if (DoubleBits(a[i]) != DoubleBits(b[i])) {
      return ::testing::AssertionFailure()
             << "at " << i << ": " << std::hex << DoubleBits(a[i]) << " vs " << DoubleBits(b[i]);
    }
  }
  return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult SameColumns(const Columns& a, const Columns& b) {
  if (a.type != b.type) return ::testing::AssertionFailure() << "types differ";
  if (a.ts != b.ts) return ::testing::AssertionFailure() << "timestamps differ";
  if (a.ints != b.ints) return ::testing::AssertionFailure() << "ints differ";
  if (a.strings != b.strings) return ::testing::AssertionFailure() << "strings differ";
  return SameBits(a.floats, b.floats);
}

// n timestamps from `start` every `step` ns, each shifted by up to +-jitter ns (kept ascending
// when jitter < step / 2).
inline std::vector<int64_t> RegularTimestamps(size_t n, int64_t start, int64_t step,
                                              int64_t jitter = 0, uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> ts(n);
  for (size_t i = 0; i < n; i++) {
    const int64_t j = jitter == 0 ? 0 : static_cast<int64_t>(rng() % (2 * jitter + 1)) - jitter;
    ts[i] = start + static_cast<int64_t>(i) * step + j;
  }
  return ts;
}

// A bounded random walk printed with `decimals` decimals and parsed back, as a sensor would.
inline std::vector<double> DecimalWalk(size_t n, int decimals, double lo, double hi, double step,
                                       uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(-step, step);
  std::vector<double> v(n);
  double x = (lo + hi) / 2;
  char buf[64];
  for (size_t i = 0; i < n; i++) {
    x += d(rng);
    if (x < lo) x = lo;
    if (x > hi) x = hi;
    std::snprintf(buf, sizeof(buf), "%.*f", decimals, x);
    v[i] = std::strtod(buf, nullptr);
  }
  return v;
}

inline Columns FloatColumns(std::vector<int64_t> ts, std::vector<double> v) {
  Columns c;
  c.type = ValueType::kFloat;
  c.ts = std::move(ts);
  c.floats = std::move(v);
  return c;
}
inline Columns IntColumns(std::vector<int64_t> ts, std::vector<int64_t> v,
                          ValueType type = ValueType::kInt) {
  Columns c;
  c.type = type;
  c.ts = std::move(ts);
  c.ints = std::move(v);
  return c;
}
inline Columns StringColumns(std::vector<int64_t> ts, std::vector<std::string> v) {
  Columns c;
  c.type = ValueType::kString;
  c.ts = std::move(ts);
  c.strings = std::move(v);
  return c;
}

}  // namespace telemdb::storage::codec::testing

#endif  // TELEMDB_STORAGE_CODEC_TESTING_CODEC_TEST_UTIL_H_
