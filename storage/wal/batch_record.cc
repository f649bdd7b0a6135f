#include "storage/wal/batch_record.h"

#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "util/absl_compat.h"
#include "util/coding.h"

namespace telemdb::storage::wal {
namespace {

constexpr uint8_t kHasProducer = 1;
constexpr uint8_t kHasIdentity = 2;  // format version 2
constexpr uint8_t kHasEpoch = 4;     // format version 2
constexpr uint8_t kKnownFlags = kHasProducer | kHasIdentity | kHasEpoch;

absl::Status Malformed(std::string_view what) {
  return absl::DataLossError(absl::StrCat("malformed WAL record: ", Sv(what)));
}

void EncodeColumn(const FieldColumn& col, size_t rows, std::string* out) {
  out->push_back(static_cast<char>(col.type));
  size_t n_valid = rows;
  if (col.valid.empty()) {
    out->push_back(0);
  } else {
    out->push_back(1);
    std::string bitmap((rows + 7) / 8, '\0');
    n_valid = 0;
    for (size_t r = 0; r < rows; r++) {
      if (col.valid[r]) {
        bitmap[r / 8] |= static_cast<char>(1 << (r % 8));
        n_valid++;
      }
    }
    out->append(bitmap);
  }
  const bool all = col.valid.empty();
  switch (col.type) {
    case ValueType::kFloat:
      if (all) {
        out->append(reinterpret_cast<const char*>(col.floats.data()), rows * 8);
      } else {
        for (size_t r = 0; r < rows; r++) {
          if (col.valid[r]) PutFixed64(out, std::bit_cast<uint64_t>(col.floats[r]));
        }
      }
      break;
    case ValueType::kInt:
      if (all) {
        out->append(reinterpret_cast<const char*>(col.ints.data()), rows * 8);
      } else {
        for (size_t r = 0; r < rows; r++) {
          if (col.valid[r]) PutFixed64(out, static_cast<uint64_t>(col.ints[r]));
        }
      }
      break;
    case ValueType::kBool: {
      std::string bits((n_valid + 7) / 8, '\0');
      size_t k = 0;
      for (size_t r = 0; r < rows; r++) {
        if (!col.IsValid(r)) continue;
        if (col.bools[r]) bits[k / 8] |= static_cast<char>(1 << (k % 8));
        k++;
      }
      out->append(bits);
      break;
    }
    case ValueType::kString:
      for (size_t r = 0; r < rows; r++) {
        if (col.IsValid(r)) PutLengthPrefixed(out, col.strings[r]);
      }
      break;
  }
}

absl::Status DecodeColumn(ByteReader* in, size_t rows, FieldColumn* col) {
  uint8_t type, has_valid;
  if (!in->GetByte(&type) || !IsValidValueType(type)) return Malformed("column type");
  if (!in->GetByte(&has_valid) || has_valid > 1) return Malformed("validity flag");
  col->type = static_cast<ValueType>(type);
  size_t n_valid = rows;
  if (has_valid) {
    std::string_view bitmap;
    if (!in->GetBytes((rows + 7) / 8, &bitmap)) return Malformed("validity bitmap");
    col->valid.assign(rows, 0);
    n_valid = 0;
    for (size_t r = 0; r < rows; r++) {
      if ((static_cast<uint8_t>(bitmap[r / 8]) >> (r % 8)) & 1) {
        col->valid[r] = 1;
        n_valid++;
      }
    }
  }
  auto next_row = [&](size_t r) {
    while (r < rows && !col->IsValid(r)) r++;
    return r;
  };
  switch (col->type) {
    case ValueType::kFloat:
    case ValueType::kInt: {
      std::string_view raw;
      if (!in->GetBytes(n_valid * 8, &raw)) return Malformed("numeric values");
      std::vector<uint64_t> words(rows, 0);
      if (n_valid == rows) {
        // (rows may be 0: memcpy must not see the null pointers then; found by fuzzing)
        if (rows > 0) std::memcpy(words.data(), raw.data(), rows * 8);
      } else {
        size_t r = next_row(0);
        for (size_t k = 0; k < n_valid; k++, r = next_row(r + 1)) {
          words[r] = DecodeFixed64(raw.data() + k * 8);
        }
      }
      if (col->type == ValueType::kFloat) {
        col->floats.resize(rows);
        if (rows > 0) std::memcpy(col->floats.data(), words.data(), rows * 8);
      } else {
        col->ints.resize(rows);
        if (rows > 0) std::memcpy(col->ints.data(), words.data(), rows * 8);
      }
      break;
    }
    case ValueType::kBool: {
      std::string_view bits;
      if (!in->GetBytes((n_valid + 7) / 8, &bits)) return Malformed("bool values");
      col->bools.assign(rows, 0);
      size_t r = next_row(0);
      for (size_t k = 0; k < n_valid; k++, r = next_row(r + 1)) {
        col->bools[r] = (static_cast<uint8_t>(bits[k / 8]) >> (k % 8)) & 1;
      }
      break;
    }
    case ValueType::kString: {
      col->strings.assign(rows, std::string());
      size_t r = next_row(0);
      for (size_t k = 0; k < n_valid; k++, r = next_row(r + 1)) {
        std::string_view s;
        if (!in->GetLengthPrefixed(&s)) return Malformed("string value");
        col->strings[r] = std::string(s);
      }
      break;
    }
  }
  return absl::OkStatus();
}

}  // namespace

void EncodeWriteRecord(const WriteRecordMeta& meta, const std::vector<NewSeries>& new_series,
                       const std::vector<SeriesBatch>& groups,
                       const std::vector<std::vector<SeriesId>>& ids, std::string* out) {
  size_t estimate = 64;
  for (const auto& ns : new_series) estimate += ns.key.size() + 16;
  for (const auto& g : groups) {
    estimate += 16 + g.timestamps.size() * (3 + 9 * g.fields.size()) + 12 * g.fields.size();
  }
  out->reserve(out->size() + estimate);
  uint8_t flags = 0;
  if (!meta.producer_id.empty()) {
    flags |= kHasProducer;
    if (!meta.identity.empty()) flags |= kHasIdentity;
    if (meta.epoch != 0) flags |= kHasEpoch;
  }
  out->push_back(static_cast<char>(flags));
  if (flags & kHasProducer) {
    PutLengthPrefixed(out, meta.producer_id);
    PutVarint64(out, meta.sequence);
  }
  if (flags & kHasIdentity) PutLengthPrefixed(out, meta.identity);
  if (flags & kHasEpoch) PutVarint64(out, meta.epoch);
  PutVarsint64(out, meta.arrival_ns);
  PutVarint64(out, new_series.size());
  for (const auto& ns : new_series) {
    PutVarint64(out, ns.id);
    out->push_back(static_cast<char>(ns.type));
    PutLengthPrefixed(out, ns.key);
  }
  PutVarint64(out, groups.size());
  for (size_t g = 0; g < groups.size(); g++) {
    const SeriesBatch& grp = groups[g];
    const size_t rows = grp.timestamps.size();
    PutVarint64(out, rows);
    uint64_t prev = 0;
    for (int64_t t : grp.timestamps) {
      uint64_t u = static_cast<uint64_t>(t);
      PutVarint64(out, ZigZagEncode(static_cast<int64_t>(u - prev)));
      prev = u;
    }
    PutVarint64(out, grp.fields.size());
    for (size_t f = 0; f < grp.fields.size(); f++) {
      PutVarint64(out, ids[g][f]);
      EncodeColumn(grp.fields[f], rows, out);
    }
  }
}

absl::Status DecodeWriteRecord(std::string_view payload, DecodedWrite* out) {
  ByteReader in(payload);
  *out = DecodedWrite();
  uint8_t flags;
  if (!in.GetByte(&flags) || (flags & ~kKnownFlags) != 0 ||
      ((flags & (kHasIdentity | kHasEpoch)) != 0 && (flags & kHasProducer) == 0)) {
    return Malformed("flags");
  }
  if (flags & kHasProducer) {
    std::string_view producer;
    if (!in.GetLengthPrefixed(&producer) || !in.GetVarint64(&out->meta.sequence)) {
      return Malformed("producer");
    }
    out->meta.producer_id = std::string(producer);
  }
  if (flags & kHasIdentity) {
    std::string_view identity;
    if (!in.GetLengthPrefixed(&identity)) return Malformed("identity");
    out->meta.identity = std::string(identity);
  }
  if ((flags & kHasEpoch) && !in.GetVarint64(&out->meta.epoch)) return Malformed("epoch");
  if (!in.GetVarsint64(&out->meta.arrival_ns)) return Malformed("arrival time");
  uint64_t n;
  if (!in.GetVarint64(&n) || n > in.remaining()) return Malformed("new series count");
  out->new_series.resize(n);
  for (auto& ns : out->new_series) {
    uint8_t type;
    std::string_view key;
    if (!in.GetVarint64(&ns.id) || !in.GetByte(&type) || !IsValidValueType(type) ||
        !in.GetLengthPrefixed(&key)) {
      return Malformed("new series");
    }
    ns.type = static_cast<ValueType>(type);
    ns.key = std::string(key);
  }
  if (!in.GetVarint64(&n) || n > in.remaining()) return Malformed("group count");
  out->groups.resize(n);
  out->ids.resize(n);
  for (size_t g = 0; g < n; g++) {
    SeriesBatch& grp = out->groups[g];
    uint64_t rows;
    if (!in.GetVarint64(&rows) || rows > in.remaining()) return Malformed("row count");
    grp.timestamps.resize(rows);
    uint64_t prev = 0;
    for (auto& t : grp.timestamps) {
      uint64_t z;
      if (!in.GetVarint64(&z)) return Malformed("timestamps");
      prev += static_cast<uint64_t>(ZigZagDecode(z));
      t = static_cast<int64_t>(prev);
    }
    uint64_t cols;
    if (!in.GetVarint64(&cols) || cols > in.remaining()) return Malformed("column count");
    grp.fields.resize(cols);
    out->ids[g].resize(cols);
    for (size_t f = 0; f < cols; f++) {
      if (!in.GetVarint64(&out->ids[g][f])) return Malformed("series id");
      auto s = DecodeColumn(&in, rows, &grp.fields[f]);
      if (!s.ok()) return s;
    }
  }
  if (!in.empty()) return Malformed("trailing bytes");
  return absl::OkStatus();
}

void EncodeDeleteRecord(const DeleteRecord& d, std::string* out) {
  PutVarint64(out, d.ids.size());
  for (SeriesId id : d.ids) PutVarint64(out, id);
  PutVarsint64(out, d.start);
  PutVarsint64(out, d.end);
  out->push_back(d.drop_series ? 1 : 0);
}

absl::Status DecodeDeleteRecord(std::string_view payload, DeleteRecord* out) {
  ByteReader in(payload);
  uint64_t n;
  if (!in.GetVarint64(&n) || n > in.remaining()) return Malformed("delete id count");
  out->ids.resize(n);
  for (auto& id : out->ids) {
    if (!in.GetVarint64(&id)) return Malformed("delete id");
  }
  uint8_t drop;
  if (!in.GetVarsint64(&out->start) || !in.GetVarsint64(&out->end) || !in.GetByte(&drop) ||
      drop > 1 || !in.empty()) {
    return Malformed("delete range");
  }
  out->drop_series = drop == 1;
  return absl::OkStatus();
}

}  // namespace telemdb::storage::wal
