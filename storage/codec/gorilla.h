// Gorilla XOR compression of doubles (Pelkonen et al., VLDB 2015, section 4.1.2).
//
// The first value is written as 64 raw bits; each next value as the XOR with its predecessor:
// '0' if equal; '10' + the meaningful bits if they fit the previous leading/trailing-zero
// window; otherwise '11' + 5 bits of leading zeros (capped at 31) + 6 bits of meaningful-bit
// count (64 stored as 0) + the meaningful bits. Used as a chunk codec and as the baseline of
// bench/codec. Thread safety: pure functions.
#ifndef TELEMDB_STORAGE_CODEC_GORILLA_H_
#define TELEMDB_STORAGE_CODEC_GORILLA_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace telemdb::storage::codec {

// Appends the Gorilla bit stream of v[0, n), padded to whole bytes.
void GorillaEncode(const double* v, size_t n, std::string* out);

// Bits GorillaEncode would write for v[0, n), without writing them.
size_t GorillaBits(const double* v, size_t n);

// Decodes n values from `block`, which must be exactly the encoded bytes.
// Errors: DataLoss when the stream is malformed, short or has trailing bytes.
absl::Status GorillaDecode(std::string_view block, size_t n, double* out);

}  // namespace telemdb::storage::codec

#endif  // TELEMDB_STORAGE_CODEC_GORILLA_H_
