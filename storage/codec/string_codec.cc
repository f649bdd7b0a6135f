#include "storage/codec/string_codec.h"

#include "absl/container/flat_hash_map.h"
#include "storage/codec/blob.h"
#include "storage/codec/int_stream.h"
#include "util/coding.h"

namespace telemdb::storage::codec {
namespace {

// Splits `raw` into exactly n length-prefixed strings.
absl::Status SplitValues(std::string_view raw, size_t n, std::vector<std::string_view>* out) {
  ByteReader in(raw);
  out->clear();
  for (size_t i = 0; i < n; i++) {
    std::string_view s;
    if (!in.GetLengthPrefixed(&s)) return absl::DataLossError("strings: truncated value");
    out->push_back(s);
  }
  if (!in.empty()) return absl::DataLossError("strings: trailing bytes");
  return absl::OkStatus();
}

}  // namespace

StringCodec EncodeStrings(const std::vector<std::string>& v, int zstd_level, std::string* out) {
  absl::flat_hash_map<std::string_view, int64_t> ids;
  std::vector<int64_t> indices(v.size());
  std::string dict_raw, plain_raw;
  for (size_t i = 0; i < v.size(); i++) {
    auto [it, inserted] = ids.try_emplace(v[i], static_cast<int64_t>(ids.size()));
    if (inserted) PutLengthPrefixed(&dict_raw, v[i]);
    indices[i] = it->second;
    PutLengthPrefixed(&plain_raw, v[i]);
  }
  std::string dict;
  PutVarint64(&dict, ids.size());
  PutBlob(dict_raw, zstd_level, &dict);
  EncodeIntStream(indices.data(), indices.size(), /*store_base=*/true, &dict);
  // With mostly distinct values a dictionary only adds indices; skip compressing twice.
  if (ids.size() * 2 <= v.size()) {
    out->append(dict);
    return StringCodec::kDictionary;
  }
  std::string plain;
  PutBlob(plain_raw, zstd_level, &plain);
  if (dict.size() <= plain.size()) {
    out->append(dict);
    return StringCodec::kDictionary;
  }
  out->append(plain);
  return StringCodec::kPlain;
}

absl::Status DecodeStrings(uint8_t codec, std::string_view block, size_t n,
                           std::vector<std::string>* out) {
  ByteReader in(block);
  std::string raw;
  std::vector<std::string_view> values;
  if (codec == static_cast<uint8_t>(StringCodec::kPlain)) {
    absl::Status s = GetBlob(&in, &raw);
    if (!s.ok()) return s;
    s = SplitValues(raw, n, &values);
    if (!s.ok()) return s;
    if (!in.empty()) return absl::DataLossError("strings: trailing bytes");
    out->assign(values.begin(), values.end());
    return absl::OkStatus();
  }
  if (codec != static_cast<uint8_t>(StringCodec::kDictionary)) {
    return absl::DataLossError("unknown string codec");
  }
  uint64_t d;
  if (!in.GetVarint64(&d) || d == 0 || d > n) return absl::DataLossError("strings: bad dict");
  absl::Status s = GetBlob(&in, &raw);
  if (!s.ok()) return s;
  s = SplitValues(raw, d, &values);
  if (!s.ok()) return s;
  std::vector<int64_t> indices(n);
  s = DecodeIntStream(&in, n, std::nullopt, indices.data());
  if (!s.ok()) return s;
  if (!in.empty()) return absl::DataLossError("strings: trailing bytes");
  out->resize(n);
  for (size_t i = 0; i < n; i++) {
    if (indices[i] < 0 || static_cast<uint64_t>(indices[i]) >= d) {
      return absl::DataLossError("strings: index out of range");
    }
    (*out)[i].assign(values[indices[i]].data(), values[indices[i]].size());
  }
  return absl::OkStatus();
}

}  // namespace telemdb::storage::codec
