#include "storage/codec/chunk.h"

#include <cmath>
#include <cstring>

#include "storage/codec/bool_codec.h"
#include "storage/codec/chunk_format.h"
#include "storage/codec/float_codec.h"
#include "storage/codec/int_stream.h"
#include "storage/codec/string_codec.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/status_macros.h"

namespace telemdb::storage::codec {
namespace {

absl::Status Corrupt(const char* what) {
  return absl::DataLossError(std::string("corrupt chunk: ") + what);
}

inline uint64_t Bits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}
inline double FromBits(uint64_t u) {
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}

size_t ValueCount(const Columns& cols) {
  switch (cols.type) {
    case ValueType::kFloat:
      return cols.floats.size();
    case ValueType::kInt:
    case ValueType::kBool:
      return cols.ints.size();
    case ValueType::kString:
      return cols.strings.size();
  }
  return 0;
}

absl::Status ValidateForEncode(const Columns& cols) {
  if (!IsValidValueType(static_cast<uint8_t>(cols.type))) {
    return absl::InvalidArgumentError("chunk: bad value type");
  }
  const size_t n = cols.ts.size();
  if (n == 0) return absl::InvalidArgumentError("chunk: no points");
  if (n > kMaxChunkPoints) return absl::InvalidArgumentError("chunk: too many points");
  if (ValueCount(cols) != n) {
    return absl::InvalidArgumentError("chunk: value and timestamp counts differ");
  }
  for (size_t i = 1; i < n; i++) {
    if (cols.ts[i] <= cols.ts[i - 1]) {
      return absl::InvalidArgumentError("chunk: timestamps not strictly ascending");
    }
  }
  if (cols.type == ValueType::kBool) {
    for (int64_t v : cols.ints) {
      if (v != 0 && v != 1) return absl::InvalidArgumentError("chunk: bool not 0 or 1");
    }
  }
  if (cols.type == ValueType::kString) {
    size_t total = 0;
    for (const std::string& s : cols.strings) total += s.size() + VarintLength(s.size());
    if (total > kMaxChunkRawBytes) return absl::InvalidArgumentError("chunk: strings too large");
  }
  return absl::OkStatus();
}

// Header fields after the four id bytes, and the length of the timestamp block.
struct ParsedHeader {
  ChunkHeader h;
  uint64_t ts_block_len = 0;
};

bool ValidCodec(ValueType type, uint8_t ts_codec, uint8_t value_codec) {
  if (ts_codec != static_cast<uint8_t>(TsCodec::kIntStream)) return false;
  switch (type) {
    case ValueType::kFloat:
      return value_codec >= 1 && value_codec <= 3;
    case ValueType::kInt:
      return value_codec == static_cast<uint8_t>(IntCodec::kIntStream);
    case ValueType::kBool:
      return value_codec >= 1 && value_codec <= 2;
    case ValueType::kString:
      return value_codec >= 1 && value_codec <= 2;
  }
  return false;
}

// Verifies the CRC trailer and returns the bytes it covers.
absl::StatusOr<std::string_view> VerifyChecksum(std::string_view chunk) {
  if (chunk.size() < kChecksumSize + 4) return Corrupt("too short");
  const std::string_view body = chunk.substr(0, chunk.size() - kChecksumSize);
  if (crc32c::Value(body) != DecodeFixed32(chunk.data() + body.size())) {
    return Corrupt("checksum mismatch");
  }
  return body;
}

absl::StatusOr<ParsedHeader> ParseHeader(ByteReader* in) {
  ParsedHeader p;
  ChunkHeader& h = p.h;
  uint8_t type, span_ok = 1;
  uint64_t span;
  if (!in->GetByte(&h.format_version)) return Corrupt("truncated header");
  if (h.format_version == kFormatVersion1) {
    if (!in->GetByte(&type) || !in->GetByte(&h.ts_codec) || !in->GetByte(&h.value_codec)) {
      return Corrupt("truncated header");
    }
    h.has_aggregates = true;
  } else if (h.format_version == kFormatVersion) {
    uint8_t ids;
    if (!in->GetByte(&ids)) return Corrupt("truncated header");
    if ((ids & ~(kIdsTypeMask | kIdsValueCodecMask | kIdsHasAggregates)) != 0) {
      return Corrupt("bad id byte");
    }
    type = ids & kIdsTypeMask;
    h.ts_codec = static_cast<uint8_t>(TsCodec::kIntStream);
    h.value_codec = static_cast<uint8_t>((ids & kIdsValueCodecMask) >> kIdsValueCodecShift);
    h.has_aggregates = (ids & kIdsHasAggregates) != 0;
  } else {
    return Corrupt("unknown format version");
  }
  if (!in->GetVarint32(&h.count) || !in->GetVarsint64(&h.min_ts) || !in->GetVarint64(&span)) {
    return Corrupt("truncated header");
  }
  if (!IsValidValueType(type)) return Corrupt("unknown value type");
  h.type = static_cast<ValueType>(type);
  if (!ValidCodec(h.type, h.ts_codec, h.value_codec)) return Corrupt("unknown codec");
  if (h.count == 0 || h.count > kMaxChunkPoints) return Corrupt("bad count");
  if (__builtin_add_overflow(h.min_ts, span, &h.max_ts)) span_ok = 0;
  if (!span_ok || span < h.count - 1 || (h.count == 1 && span != 0)) {
    return Corrupt("bad time span");
  }
  switch (h.has_aggregates ? h.type : ValueType::kString) {  // kString: nothing stored
    case ValueType::kFloat: {
      uint64_t b[5];
      for (uint64_t& x : b) {
        if (!in->GetFixed64(&x)) return Corrupt("truncated aggregates");
      }
      h.fsum = FromBits(b[0]);
      h.fmin = FromBits(b[1]);
      h.fmax = FromBits(b[2]);
      h.ffirst = FromBits(b[3]);
      h.flast = FromBits(b[4]);
      break;
    }
    case ValueType::kInt:
    case ValueType::kBool: {
      uint8_t flags;
      if (!in->GetByte(&flags) || flags > 1 || !in->GetVarsint64(&h.isum) ||
          !in->GetVarsint64(&h.imin) || !in->GetVarsint64(&h.imax) ||
          !in->GetVarsint64(&h.ifirst) || !in->GetVarsint64(&h.ilast)) {
        return Corrupt("truncated aggregates");
      }
      h.int_sum_overflowed = flags != 0;
      break;
    }
    case ValueType::kString:
      break;
  }
  if (!in->GetVarint64(&p.ts_block_len) || p.ts_block_len > in->remaining()) {
    return Corrupt("bad timestamp block length");
  }
  return p;
}

// Writes a kFormatVersion header (ts_codec is implied: kIntStream).
void PutHeader(const ChunkHeader& h, uint64_t ts_block_len, std::string* out) {
  out->push_back(static_cast<char>(kFormatVersion));
  out->push_back(static_cast<char>(static_cast<uint8_t>(h.type) |
                                   (h.value_codec << kIdsValueCodecShift) |
                                   (h.has_aggregates ? kIdsHasAggregates : 0)));
  PutVarint64(out, h.count);
  PutVarsint64(out, h.min_ts);
  PutVarint64(out, static_cast<uint64_t>(h.max_ts) - static_cast<uint64_t>(h.min_ts));
  switch (h.has_aggregates ? h.type : ValueType::kString) {
    case ValueType::kFloat:
      for (double d : {h.fsum, h.fmin, h.fmax, h.ffirst, h.flast}) PutFixed64(out, Bits(d));
      break;
    case ValueType::kInt:
    case ValueType::kBool:
      out->push_back(h.int_sum_overflowed ? 1 : 0);
      for (int64_t v : {h.isum, h.imin, h.imax, h.ifirst, h.ilast}) PutVarsint64(out, v);
      break;
    case ValueType::kString:
      break;
  }
  PutVarint64(out, ts_block_len);
}

absl::Status DecodeTimestamps(std::string_view block, const ChunkHeader& h,
                              std::vector<int64_t>* ts) {
  ts->resize(h.count);
  ByteReader in(block);
  RETURN_IF_ERROR(DecodeIntStream(&in, h.count, h.min_ts, ts->data()));
  if (!in.empty()) return Corrupt("trailing bytes after timestamps");
  const int64_t* t = ts->data();
  bool ascending = true;
  for (size_t i = 1; i < h.count; i++) ascending &= t[i] > t[i - 1];
  if (!ascending || t[h.count - 1] != h.max_ts) return Corrupt("timestamps out of order");
  return absl::OkStatus();
}

}  // namespace

void Columns::Clear() {
  ts.clear();
  floats.clear();
  ints.clear();
  strings.clear();
}

ChunkHeader ComputeHeader(const Columns& cols) {
  ChunkHeader h;
  h.format_version = kFormatVersion;
  h.type = cols.type;
  h.count = static_cast<uint32_t>(cols.ts.size());
  if (cols.ts.empty()) return h;
  h.min_ts = cols.ts.front();
  h.max_ts = cols.ts.back();
  if (cols.type == ValueType::kFloat && !cols.floats.empty()) {
    const std::vector<double>& v = cols.floats;
    double sum = 0, mn = NAN, mx = NAN;
    for (double x : v) {
      sum += x;
      if (std::isnan(x)) continue;
      if (std::isnan(mn) || x < mn) mn = x;
      if (std::isnan(mx) || x > mx) mx = x;
    }
    h.fsum = sum;
    h.fmin = mn;
    h.fmax = mx;
    h.ffirst = v.front();
    h.flast = v.back();
  } else if ((cols.type == ValueType::kInt || cols.type == ValueType::kBool) &&
             !cols.ints.empty()) {
    const std::vector<int64_t>& v = cols.ints;
    int64_t sum = 0, mn = v[0], mx = v[0];
    bool overflow = false;
    for (int64_t x : v) {
      overflow |= __builtin_add_overflow(sum, x, &sum);  // wraps; flagged
      mn = x < mn ? x : mn;
      mx = x > mx ? x : mx;
    }
    h.isum = sum;
    h.imin = mn;
    h.imax = mx;
    h.ifirst = v.front();
    h.ilast = v.back();
    h.int_sum_overflowed = overflow;
  }
  return h;
}

absl::StatusOr<std::string> EncodeChunk(const Columns& cols, const EncodeOptions& options) {
  RETURN_IF_ERROR(ValidateForEncode(cols));
  ChunkHeader h = ComputeHeader(cols);
  const size_t n = cols.ts.size();
  h.has_aggregates = n >= options.aggregates_min_points && cols.type != ValueType::kString;
  std::string ts_block, value_block;
  h.ts_codec = static_cast<uint8_t>(TsCodec::kIntStream);
  EncodeIntStream(cols.ts.data(), n, /*store_base=*/false, &ts_block);
  switch (cols.type) {
    case ValueType::kFloat:
      h.value_codec = static_cast<uint8_t>(
          EncodeFloats(cols.floats.data(), n, options.zstd_level, &value_block));
      break;
    case ValueType::kInt:
      h.value_codec = static_cast<uint8_t>(IntCodec::kIntStream);
      // With pre-aggregates the base is their `first`; without, the stream stores it.
      EncodeIntStream(cols.ints.data(), n, /*store_base=*/!h.has_aggregates, &value_block);
      break;
    case ValueType::kBool:
      h.value_codec = static_cast<uint8_t>(EncodeBools(cols.ints.data(), n, &value_block));
      break;
    case ValueType::kString:
      h.value_codec =
          static_cast<uint8_t>(EncodeStrings(cols.strings, options.zstd_level, &value_block));
      break;
  }
  std::string out;
  out.reserve(96 + ts_block.size() + value_block.size());
  PutHeader(h, ts_block.size(), &out);
  out.append(ts_block);
  out.append(value_block);
  PutFixed32(&out, crc32c::Value(out));
  return out;
}

absl::StatusOr<ChunkHeader> DecodeChunkHeader(std::string_view chunk) {
  ASSIGN_OR_RETURN(std::string_view body, VerifyChecksum(chunk));
  ByteReader in(body);
  ASSIGN_OR_RETURN(ParsedHeader p, ParseHeader(&in));
  return p.h;
}

absl::Status DecodeChunk(std::string_view chunk, Columns* out) {
  ASSIGN_OR_RETURN(std::string_view body, VerifyChecksum(chunk));
  ByteReader in(body);
  ASSIGN_OR_RETURN(ParsedHeader p, ParseHeader(&in));
  const ChunkHeader& h = p.h;
  std::string_view ts_block, value_block;
  in.GetBytes(p.ts_block_len, &ts_block);  // length checked by ParseHeader
  in.GetBytes(in.remaining(), &value_block);
  out->Clear();
  out->type = h.type;
  RETURN_IF_ERROR(DecodeTimestamps(ts_block, h, &out->ts));
  switch (h.type) {
    case ValueType::kFloat:
      out->floats.resize(h.count);
      RETURN_IF_ERROR(
          DecodeFloats(h.value_codec, value_block, h.count, out->floats.data(), &out->ints));
      out->ints.clear();
      break;
    case ValueType::kInt: {
      out->ints.resize(h.count);
      ByteReader vin(value_block);
      RETURN_IF_ERROR(DecodeIntStream(
          &vin, h.count, h.has_aggregates ? std::optional<int64_t>(h.ifirst) : std::nullopt,
          out->ints.data()));
      if (!vin.empty()) return Corrupt("trailing bytes after values");
      break;
    }
    case ValueType::kBool:
      out->ints.resize(h.count);
      RETURN_IF_ERROR(DecodeBools(h.value_codec, value_block, h.count, out->ints.data()));
      break;
    case ValueType::kString:
      RETURN_IF_ERROR(DecodeStrings(h.value_codec, value_block, h.count, &out->strings));
      break;
  }
  return absl::OkStatus();
}

}  // namespace telemdb::storage::codec
