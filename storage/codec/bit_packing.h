// Frame-of-reference bit-packing of up to kBlockSize unsigned values at one width.
//
// Values are packed LSB-first: value i occupies bits [i*width, (i+1)*width) of the
// little-endian bit string, which takes PackedSize(n, width) bytes. Unpacking is specialized
// per width (a jump table of unrolled loops) because it is the inner loop of every decoder.
// Thread safety: pure functions.
#ifndef TELEMDB_STORAGE_CODEC_BIT_PACKING_H_
#define TELEMDB_STORAGE_CODEC_BIT_PACKING_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace telemdb::storage::codec {

// Bytes the unpacker may read beyond PackedSize(n, width); callers guarantee them readable
// (UnpackBitsSafe copies into a padded buffer when they are not).
inline constexpr size_t kUnpackPadding = 16;

inline int BitWidth(uint64_t v) { return v == 0 ? 0 : 64 - __builtin_clzll(v); }

inline size_t PackedSize(size_t n, int width) { return (n * static_cast<size_t>(width) + 7) / 8; }

// Appends PackedSize(n, width) bytes holding the low `width` bits of values[0, n).
// REQUIRES: n <= kBlockSize, 0 <= width <= 64.
void PackBits(const uint64_t* values, size_t n, int width, std::string* out);

// Unpacks n values of `width` bits from `in` into out[0, n).
// REQUIRES: n <= kBlockSize, 0 <= width <= 64, and PackedSize(n, width) + kUnpackPadding bytes
// readable at `in`.
void UnpackBits(const char* in, size_t n, int width, uint64_t* out);

// As UnpackBits, but reads only in[0, PackedSize(n, width)) (copies when `avail` is short).
// REQUIRES: avail >= PackedSize(n, width).
void UnpackBitsSafe(const char* in, size_t avail, size_t n, int width, uint64_t* out);

}  // namespace telemdb::storage::codec

#endif  // TELEMDB_STORAGE_CODEC_BIT_PACKING_H_
