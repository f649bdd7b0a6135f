// The int stream: the integer sequence codec under timestamps, integer values, ALP's scaled
// floats, exception lists and string dictionary indices.
//
// A sequence v[0, n) is rewritten as v[i] = base + g * k[i] (mod 2^64) with k[0] = 0 and g the
// GCD of the consecutive differences (1 if any difference overflows int64), so that data at
// millisecond or second precision costs no bits for its zeros. Then the cheapest of five
// layouts of k is chosen by exact size: order 0 (k itself), 1 (deltas) or 2 (delta of deltas),
// each either bit-packed in frame-of-reference blocks of kBlockSize (reference + width per
// block) or, for orders 1 and 2, sparse (only the non-zero differences). All arithmetic wraps
// modulo 2^64, so any int64 input round-trips. Byte layout: docs/format/chunk.md.
//
// Thread safety: pure functions.
#ifndef TELEMDB_STORAGE_CODEC_INT_STREAM_H_
#define TELEMDB_STORAGE_CODEC_INT_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "util/coding.h"

namespace telemdb::storage::codec {

// Appends the int stream of values[0, n) to `out`; nothing at all when n == 0. When
// `store_base` is false, values[0] is left out and the decoder must be given it.
void EncodeIntStream(const int64_t* values, size_t n, bool store_base, std::string* out);

// Decodes an int stream of n values from `in` into out[0, n), leaving `in` after it. `base` is
// values[0] for a stream written with store_base == false and must be nullopt otherwise.
// Errors: DataLoss when the bytes are malformed or truncated; never reads outside `in`.
absl::Status DecodeIntStream(ByteReader* in, size_t n, std::optional<int64_t> base, int64_t* out);

}  // namespace telemdb::storage::codec

#endif  // TELEMDB_STORAGE_CODEC_INT_STREAM_H_
