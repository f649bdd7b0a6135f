#include "bench/codec/baselines.h"

#include <string>

#include "storage/codec/gorilla.h"
#include "zstd.h"

namespace telemdb::bench {

size_t GorillaTimestampBits(const std::vector<int64_t>& ts_ns) {
  if (ts_ns.empty()) return 0;
  size_t bits = 64;
  if (ts_ns.size() == 1) return bits;
  constexpr int64_t kNs = 1000000000;
  const int64_t first_delta = ts_ns[1] / kNs - ts_ns[0] / kNs;
  bits += (first_delta >= 0 && first_delta < (1 << 14)) ? 14 : 64;
  int64_t prev_delta = first_delta;
  for (size_t i = 2; i < ts_ns.size(); i++) {
    const int64_t delta = ts_ns[i] / kNs - ts_ns[i - 1] / kNs;
    const int64_t dod = delta - prev_delta;
    prev_delta = delta;
    if (dod == 0) {
      bits += 1;
    } else if (dod >= -63 && dod <= 64) {
      bits += 2 + 7;
    } else if (dod >= -255 && dod <= 256) {
      bits += 3 + 9;
    } else if (dod >= -2047 && dod <= 2048) {
      bits += 4 + 12;
    } else {
      bits += 4 + 32;
    }
  }
  return bits;
}

size_t GorillaBaselineBytes(const std::vector<int64_t>& ts_ns, const std::vector<double>& v) {
  const size_t bits = GorillaTimestampBits(ts_ns) + storage::codec::GorillaBits(v.data(), v.size());
  return (bits + 7) / 8;
}

size_t ZstdBaselineBytes(const std::vector<double>& v) {
  std::string out(ZSTD_compressBound(v.size() * sizeof(double)), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), v.data(), v.size() * sizeof(double), 3);
  return ZSTD_isError(n) ? 0 : n;
}

}  // namespace telemdb::bench
