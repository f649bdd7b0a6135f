// The two baselines codec_bench compares chunk sizes against. Thread safety: pure functions.
//
// Gorilla (Pelkonen et al., VLDB 2015): values with the XOR encoding of section 4.1.2
// (storage/codec/gorilla.h) plus timestamps with the delta-of-delta encoding of section
// 4.1.1 applied to whole seconds: 64 bits for the first timestamp, 14 bits for the first delta
// (64 if it does not fit), then per point '0' for a zero DoD, '10' + 7 bits for [-63, 64],
// '110' + 9 bits for [-255, 256], '1110' + 12 bits for [-2047, 2048], else '1111' + 32 bits.
// The whole series is one stream; no block header, no checksum; bits rounded up to bytes.
//
// zstd-3: the values alone as raw little-endian doubles, one ZSTD_compress call at level 3.
#ifndef TELEMDB_BENCH_CODEC_BASELINES_H_
#define TELEMDB_BENCH_CODEC_BASELINES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace telemdb::bench {

// Bits of the Gorilla timestamp stream of `ts_ns` (ns since the epoch, truncated to seconds).
size_t GorillaTimestampBits(const std::vector<int64_t>& ts_ns);

// Bytes of the Gorilla baseline: timestamps and values.
size_t GorillaBaselineBytes(const std::vector<int64_t>& ts_ns, const std::vector<double>& v);

// Bytes of the zstd-3 baseline over the raw doubles.
size_t ZstdBaselineBytes(const std::vector<double>& v);

}  // namespace telemdb::bench

#endif  // TELEMDB_BENCH_CODEC_BASELINES_H_
