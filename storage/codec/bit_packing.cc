#include "storage/codec/bit_packing.h"

#include <array>
#include <cstring>
#include <utility>

#include "storage/codec/chunk_format.h"

namespace telemdb::storage::codec {
namespace {

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

template <int W>
inline uint64_t Extract(const uint8_t* in, size_t i) {
  constexpr uint64_t kMask = W == 64 ? ~uint64_t{0} : (uint64_t{1} << W) - 1;
  const size_t bit = i * W;
  const uint8_t* p = in + (bit >> 3);
  const unsigned shift = bit & 7;
  if constexpr (W == 64) {
    return Load64(p);
  } else if constexpr (W <= 56) {
    return (Load64(p) >> shift) & kMask;
  } else {
    // The value may straddle 9 bytes; (x << 1) << (63 - shift) is x << (64 - shift) without
    // the undefined shift by 64 when shift == 0.
    uint64_t lo = Load64(p) >> shift;
    uint64_t hi = (static_cast<uint64_t>(p[8]) << 1) << (63 - shift);
    return (lo | hi) & kMask;
  }
}

template <int W>
void Unpack(const uint8_t* in, size_t n, uint64_t* out) {
  if constexpr (W == 0) {
    std::memset(out, 0, n * sizeof(uint64_t));
  } else {
    if (n == kBlockSize) {
      // Constant trip count: the compiler unrolls and folds the shifts into immediates.
      for (size_t i = 0; i < kBlockSize; i++) out[i] = Extract<W>(in, i);
    } else {
      for (size_t i = 0; i < n; i++) out[i] = Extract<W>(in, i);
    }
  }
}

using UnpackFn = void (*)(const uint8_t*, size_t, uint64_t*);

template <size_t... I>
constexpr std::array<UnpackFn, sizeof...(I)> MakeUnpackTable(std::index_sequence<I...>) {
  return {&Unpack<static_cast<int>(I)>...};
}
constexpr auto kUnpackTable = MakeUnpackTable(std::make_index_sequence<65>());

}  // namespace

void PackBits(const uint64_t* values, size_t n, int width, std::string* out) {
  if (width == 0 || n == 0) return;
  uint64_t words[kBlockSize + 1];
  const uint64_t mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  size_t nwords = 0;
  uint64_t acc = 0;
  int fill = 0;
  for (size_t i = 0; i < n; i++) {
    const uint64_t v = values[i] & mask;
    acc |= v << fill;
    fill += width;
    if (fill >= 64) {
      words[nwords++] = acc;
      fill -= 64;
      acc = fill == 0 ? 0 : v >> (width - fill);
    }
  }
  if (fill > 0) words[nwords++] = acc;
  out->append(reinterpret_cast<const char*>(words), PackedSize(n, width));
}

void UnpackBits(const char* in, size_t n, int width, uint64_t* out) {
  kUnpackTable[width](reinterpret_cast<const uint8_t*>(in), n, out);
}

void UnpackBitsSafe(const char* in, size_t avail, size_t n, int width, uint64_t* out) {
  const size_t need = PackedSize(n, width);
  if (avail >= need + kUnpackPadding) {
    UnpackBits(in, n, width, out);
    return;
  }
  alignas(8) char buf[kBlockSize * 8 + kUnpackPadding] = {};
  if (need > 0) std::memcpy(buf, in, need);
  UnpackBits(buf, n, width, out);
}

}  // namespace telemdb::storage::codec
