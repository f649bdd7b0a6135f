// The value block of kString chunks: a dictionary of distinct values plus indices, or every
// value in one blob, whichever is smaller.
//
// kDictionary: varint number of distinct values d, a blob (blob.h) of the d values each
// length-prefixed in order of first appearance, and an int stream of the n indices.
// kPlain: a blob of the n values, each length-prefixed.
// Thread safety: pure functions.
#ifndef TELEMDB_STORAGE_CODEC_STRING_CODEC_H_
#define TELEMDB_STORAGE_CODEC_STRING_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "storage/codec/chunk_format.h"

namespace telemdb::storage::codec {

// Appends the value block of v (non-empty) and returns the codec chosen.
StringCodec EncodeStrings(const std::vector<std::string>& v, int zstd_level, std::string* out);

// Decodes a value block of n values spanning `block` exactly into *out (resized to n).
// Errors: DataLoss for an unknown codec or malformed, truncated or trailing bytes.
absl::Status DecodeStrings(uint8_t codec, std::string_view block, size_t n,
                           std::vector<std::string>* out);

}  // namespace telemdb::storage::codec

#endif  // TELEMDB_STORAGE_CODEC_STRING_CODEC_H_
