#include "storage/codec/bool_codec.h"

#include "storage/codec/bit_packing.h"
#include "util/coding.h"

namespace telemdb::storage::codec {

BoolCodec EncodeBools(const int64_t* v, size_t n, std::string* out) {
  std::string runs;
  size_t num_runs = 0;
  size_t start = 0;
  for (size_t i = 1; i <= n; i++) {
    if (i == n || v[i] != v[start]) {
      PutVarint64(&runs, i - start);
      num_runs++;
      start = i;
    }
  }
  const size_t rle_size = 1 + VarintLength(num_runs) + runs.size();
  if (rle_size <= PackedSize(n, 1)) {
    out->push_back(static_cast<char>(v[0]));
    PutVarint64(out, num_runs);
    out->append(runs);
    return BoolCodec::kRunLength;
  }
  std::string bitmap(PackedSize(n, 1), '\0');
  for (size_t i = 0; i < n; i++) {
    bitmap[i / 8] = static_cast<char>(bitmap[i / 8] | (v[i] << (i % 8)));
  }
  out->append(bitmap);
  return BoolCodec::kBitmap;
}

absl::Status DecodeBools(uint8_t codec, std::string_view block, size_t n, int64_t* out) {
  if (codec == static_cast<uint8_t>(BoolCodec::kBitmap)) {
    if (block.size() != PackedSize(n, 1)) return absl::DataLossError("bool bitmap: bad size");
    for (size_t i = 0; i < n; i++) out[i] = (static_cast<uint8_t>(block[i / 8]) >> (i % 8)) & 1;
    return absl::OkStatus();
  }
  if (codec != static_cast<uint8_t>(BoolCodec::kRunLength)) {
    return absl::DataLossError("unknown bool codec");
  }
  ByteReader in(block);
  uint8_t value;
  uint64_t num_runs;
  if (!in.GetByte(&value) || value > 1 || !in.GetVarint64(&num_runs) || num_runs > n) {
    return absl::DataLossError("bool runs: bad header");
  }
  size_t i = 0;
  for (uint64_t r = 0; r < num_runs; r++) {
    uint64_t len;
    if (!in.GetVarint64(&len) || len == 0 || len > n - i) {
      return absl::DataLossError("bool runs: bad run");
    }
    for (const size_t end = i + len; i < end; i++) out[i] = value;
    value ^= 1;
  }
  if (i != n || !in.empty()) return absl::DataLossError("bool runs: bad total");
  return absl::OkStatus();
}

}  // namespace telemdb::storage::codec
