// ALP-style decimal scaling of doubles (after Afroozeh et al., "ALP: Adaptive Lossless
// floating-Point Compression", SIGMOD 2024), with exceptions patched by ULP corrections.
//
// Many sensors print a fixed number of decimals, so v == (double)n / 10^e for a small int64
// n: division by an exact power of ten is correctly rounded, hence it reproduces the nearest
// double of the decimal n/10^e bit-exactly. The codec stores n for every value as an int stream
// and, for each value where that formula does not give back its exact bits (float artefacts
// such as 36.806999999999995, -0.0, NaN, infinities, out-of-range values), an exception:
// its position and the int64 difference between its bits and the decoded bits. An artefact is
// usually within a few ULPs of its decimal, so its correction costs a few bits, not 64.
//
// Thread safety: pure functions.
#ifndef TELEMDB_STORAGE_CODEC_ALP_H_
#define TELEMDB_STORAGE_CODEC_ALP_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "util/coding.h"

namespace telemdb::storage::codec {

// A contiguous slice [start, start + len) of the values, analysed as a sample.
struct SampleRun {
  size_t start;
  size_t len;
};

// Up to `runs` runs of `run_len` values spread evenly over n values (one run of all when
// n <= runs * run_len). Runs are contiguous so that deltas within them are representative.
std::vector<SampleRun> SampleRuns(size_t n, size_t runs, size_t run_len);

struct AlpPlan {
  int exponent = 0;
  // Estimated encoded bits per value on the sample; +infinity when no value scales.
  double bits_per_value = 0;
};

// Chooses the exponent that minimizes the estimated size on the sample: ints at each
// candidate exponent (one where some sampled value first round-trips) plus exceptions.
AlpPlan AlpAnalyze(const double* v, const std::vector<SampleRun>& sample);

// Appends the ALP block of v[0, n) at `exponent`. REQUIRES: 0 <= exponent <= kAlpMaxExponent.
void AlpEncode(const double* v, size_t n, int exponent, std::string* out);

// Decodes n values from `in` into out[0, n); `scratch` holds the ints.
// Errors: DataLoss when malformed or truncated.
absl::Status AlpDecode(ByteReader* in, size_t n, double* out, std::vector<int64_t>* scratch);

}  // namespace telemdb::storage::codec

#endif  // TELEMDB_STORAGE_CODEC_ALP_H_
