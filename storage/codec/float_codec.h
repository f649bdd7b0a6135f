// The value block of kFloat chunks: analysis picks the smallest of ALP, Gorilla and raw+zstd.
//
// Analysis works on a sample of contiguous runs (SampleRuns): it picks ALP's exponent and
// estimates ALP's and Gorilla's sizes on the sample. ALP is always encoded when some value
// scales (it is cheap and usually smallest); Gorilla too when its estimate is clearly better;
// raw+zstd when the best so far is worse than raw, or when fast zstd on a prefix suggests it
// wins (periodic data). The smallest result is kept. Every codec reproduces each double
// bit-exactly (NaN payloads, -0.0).
//
// Thread safety: pure functions.
#ifndef TELEMDB_STORAGE_CODEC_FLOAT_CODEC_H_
#define TELEMDB_STORAGE_CODEC_FLOAT_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "storage/codec/chunk_format.h"

namespace telemdb::storage::codec {

// Appends the value block of v[0, n) (n >= 1) and returns the codec chosen.
FloatCodec EncodeFloats(const double* v, size_t n, int zstd_level, std::string* out);

// Appends the value block of v[0, n) with a given codec (tests and benchmarks).
void EncodeFloatsWith(FloatCodec codec, const double* v, size_t n, int zstd_level,
                      std::string* out);

// Decodes a value block of n values, which must span `block` exactly, into out[0, n).
// `scratch` is working memory (reusing it across calls avoids allocations).
// Errors: DataLoss for an unknown codec or malformed, truncated or trailing bytes.
absl::Status DecodeFloats(uint8_t codec, std::string_view block, size_t n, double* out,
                          std::vector<int64_t>* scratch);

}  // namespace telemdb::storage::codec

#endif  // TELEMDB_STORAGE_CODEC_FLOAT_CODEC_H_
