#include "storage/key_layout.h"

#include "absl/status/status.h"
#include "util/coding.h"

namespace telemdb::storage::keys {

void AppendGroupPrefix(std::string* out, std::string_view measurement, const TagSet& tags) {
  out->append(measurement.data(), measurement.size());
  out->push_back('\0');
  for (const auto& [k, v] : tags) {
    out->append(k);
    out->push_back('\0');
    out->append(v);
    out->push_back('\0');
  }
  out->push_back('\0');
}

std::string SeriesKeyBytes(std::string_view measurement, const TagSet& tags,
                           std::string_view field) {
  std::string out;
  AppendGroupPrefix(&out, measurement, tags);
  AppendField(&out, field);
  return out;
}

std::string_view MeasurementOf(std::string_view key_bytes) {
  return key_bytes.substr(0, key_bytes.find('\0'));
}

absl::StatusOr<SeriesKey> ParseSeriesKey(std::string_view bytes) {
  auto bad = [&] { return absl::DataLossError("malformed canonical series key"); };
  SeriesKey key;
  size_t p = bytes.find('\0');
  if (p == std::string_view::npos || p == 0) return bad();
  key.measurement = std::string(bytes.substr(0, p));
  p++;
  while (true) {
    if (p >= bytes.size()) return bad();
    if (bytes[p] == '\0') {
      p++;
      break;
    }
    size_t k_end = bytes.find('\0', p);
    if (k_end == std::string_view::npos) return bad();
    size_t v_end = bytes.find('\0', k_end + 1);
    if (v_end == std::string_view::npos) return bad();
    key.tags.emplace_back(std::string(bytes.substr(p, k_end - p)),
                          std::string(bytes.substr(k_end + 1, v_end - k_end - 1)));
    p = v_end + 1;
  }
  key.field = std::string(bytes.substr(p));
  if (key.field.empty() || key.field.find('\0') != std::string::npos) return bad();
  return key;
}

std::string SeriesMetaKey(SeriesId id) {
  std::string k;
  PutBigEndian64(&k, id);
  return k;
}

SeriesId SeriesIdFromMetaKey(std::string_view key) { return DecodeBigEndian64(key.data()); }

std::string SeriesMetaValue(ValueType type, std::string_view key_bytes) {
  std::string v;
  v.reserve(1 + key_bytes.size());
  v.push_back(static_cast<char>(type));
  v.append(key_bytes.data(), key_bytes.size());
  return v;
}

absl::Status ParseSeriesMetaValue(std::string_view value, ValueType* type,
                                  std::string_view* key_bytes) {
  if (value.empty() || !IsValidValueType(static_cast<uint8_t>(value[0]))) {
    return absl::DataLossError("malformed series_meta value");
  }
  *type = static_cast<ValueType>(value[0]);
  *key_bytes = value.substr(1);
  return absl::OkStatus();
}

std::string SeriesIdValue(SeriesId id) { return SeriesMetaKey(id); }

std::string TagPostingKey(std::string_view tag, std::string_view value, SeriesId id) {
  std::string k = "t";
  k.append(tag.data(), tag.size());
  k.push_back('\0');
  k.append(value.data(), value.size());
  k.push_back('\0');
  PutBigEndian64(&k, id);
  return k;
}

std::string MeasurementPostingKey(std::string_view measurement, SeriesId id) {
  std::string k = "m";
  k.append(measurement.data(), measurement.size());
  k.push_back('\0');
  PutBigEndian64(&k, id);
  return k;
}

std::string ChunkKey(SeriesId id, int64_t min_ts, uint64_t seq) {
  std::string k;
  k.reserve(kChunkKeySize);
  PutBigEndian64(&k, id);
  PutBigEndian64(&k, OrderedFromInt64(min_ts));
  PutBigEndian64(&k, seq);
  return k;
}

std::string ChunkSeekKey(SeriesId id, int64_t ts) {
  std::string k;
  PutBigEndian64(&k, id);
  PutBigEndian64(&k, OrderedFromInt64(ts));
  return k;
}

std::string ChunkSeriesEnd(SeriesId id) {
  std::string k;
  PutBigEndian64(&k, id + 1);
  return k;
}

bool ParseChunkKey(std::string_view key, ChunkKeyParts* out) {
  if (key.size() != kChunkKeySize) return false;
  out->series = DecodeBigEndian64(key.data());
  out->min_ts = Int64FromOrdered(DecodeBigEndian64(key.data() + 8));
  out->seq = DecodeBigEndian64(key.data() + 16);
  return true;
}

std::string DirtyKey(SeriesId id, int64_t partition_start) {
  std::string k = kDirtyPrefix;
  PutBigEndian64(&k, id);
  PutBigEndian64(&k, OrderedFromInt64(partition_start));
  return k;
}

bool ParseDirtyKey(std::string_view key, SeriesId* id, int64_t* partition_start) {
  constexpr size_t kPrefix = sizeof(kDirtyPrefix) - 1;
  if (key.size() != kPrefix + 16 || key.substr(0, kPrefix) != kDirtyPrefix) return false;
  *id = DecodeBigEndian64(key.data() + kPrefix);
  *partition_start = Int64FromOrdered(DecodeBigEndian64(key.data() + kPrefix + 8));
  return true;
}

std::string DedupKey(std::string_view window_key) {
  std::string k = kDedupPrefix;
  k.append(window_key.data(), window_key.size());
  return k;
}

std::string AppKey(std::string_view key) {
  std::string k = kAppPrefix;
  k.append(key.data(), key.size());
  return k;
}

}  // namespace telemdb::storage::keys
