// The value block of kBool chunks: run lengths or a bitmap, whichever is smaller.
//
// kRunLength: byte first value (0/1), varint number of runs, varint length of each run
// (values alternate between runs). kBitmap: one bit per value, LSB first.
// Thread safety: pure functions.
#ifndef TELEMDB_STORAGE_CODEC_BOOL_CODEC_H_
#define TELEMDB_STORAGE_CODEC_BOOL_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "storage/codec/chunk_format.h"

namespace telemdb::storage::codec {

// Appends the value block of v[0, n) and returns the codec chosen.
// REQUIRES: n >= 1 and every v[i] is 0 or 1.
BoolCodec EncodeBools(const int64_t* v, size_t n, std::string* out);

// Decodes a value block of n values spanning `block` exactly into out[0, n) as 0/1.
// Errors: DataLoss for an unknown codec or malformed, truncated or trailing bytes.
absl::Status DecodeBools(uint8_t codec, std::string_view block, size_t n, int64_t* out);

}  // namespace telemdb::storage::codec

#endif  // TELEMDB_STORAGE_CODEC_BOOL_CODEC_H_
