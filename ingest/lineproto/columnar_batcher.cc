#include "ingest/lineproto/columnar_batcher.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace telemdb::lineproto {
namespace {

using storage::FieldColumn;
using storage::ValueType;

// Debian's abseil has its own string_view type, hence the explicit conversion.
std::string Quote(std::string_view s) {
  return absl::StrCat("\"", absl::CHexEscape(absl::string_view(s.data(), s.size())), "\"");
}

void AppendValue(FieldColumn& col, const FieldValue& v) {
  switch (col.type) {
    case ValueType::kFloat:
      col.floats.push_back(v.f);
      break;
    case ValueType::kInt:
      col.ints.push_back(v.i);
      break;
    case ValueType::kBool:
      col.bools.push_back(v.i != 0 ? 1 : 0);
      break;
    case ValueType::kString:
      col.strings.emplace_back(v.s);
      break;
  }
}

// Appends one placeholder slot (ignored: its validity byte is 0).
void AppendPlaceholder(FieldColumn& col) {
  switch (col.type) {
    case ValueType::kFloat:
      col.floats.push_back(0);
      break;
    case ValueType::kInt:
      col.ints.push_back(0);
      break;
    case ValueType::kBool:
      col.bools.push_back(0);
      break;
    case ValueType::kString:
      col.strings.emplace_back();
      break;
  }
}

void Reserve(FieldColumn& col, size_t n) {
  switch (col.type) {
    case ValueType::kFloat:
      col.floats.reserve(n);
      break;
    case ValueType::kInt:
      col.ints.reserve(n);
      break;
    case ValueType::kBool:
      col.bools.reserve(n);
      break;
    case ValueType::kString:
      col.strings.reserve(n);
      break;
  }
}

// Marks row `row` (== the column's current size) missing.
void AppendMissing(FieldColumn& col, uint32_t row) {
  if (col.valid.empty()) col.valid.assign(row, 1);
  AppendPlaceholder(col);
  col.valid.push_back(0);
}

// Equality for the short names fields have: word compares, no library call.
inline bool SameName(const std::string& a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* x = a.data();
  const char* y = b.data();
  if (n > 16) return std::memcmp(x, y, n) == 0;
  if (n >= 8) {  // two overlapping 8-byte words cover 8..16 bytes
    uint64_t x0, y0, x1, y1;
    std::memcpy(&x0, x, 8);
    std::memcpy(&y0, y, 8);
    std::memcpy(&x1, x + n - 8, 8);
    std::memcpy(&y1, y + n - 8, 8);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
  }
  if (n >= 4) {
    uint32_t x0, y0, x1, y1;
    std::memcpy(&x0, x, 4);
    std::memcpy(&y0, y, 4);
    std::memcpy(&x1, x + n - 4, 4);
    std::memcpy(&y1, y + n - 4, 4);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
  }
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return false;
  }
  return true;
}

bool HasDuplicate(std::vector<std::string_view>& keys) {
  if (keys.size() <= 16) {
    for (size_t i = 1; i < keys.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (keys[i] == keys[j]) return true;
      }
    }
    return false;
  }
  std::sort(keys.begin(), keys.end());
  return std::adjacent_find(keys.begin(), keys.end()) != keys.end();
}

}  // namespace

ColumnarBatcher::ColumnarBatcher(const BatcherOptions& options) : options_(options) {}

size_t ColumnarBatcher::KeyHash::operator()(std::string_view s) const {
  return absl::Hash<absl::string_view>()(absl::string_view(s.data(), s.size()));
}

uint32_t ColumnarBatcher::FindGroup(const Point& point) {
  auto it = index_.find(point.series_key);
  if (it != index_.end()) return it->second;
  uint32_t g = static_cast<uint32_t>(batches_.size());
  index_.emplace(arena_.Copy(point.series_key), g);
  if (spare_batches_.empty()) {
    batches_.emplace_back();
  } else {
    batches_.push_back(std::move(spare_batches_.back()));
    spare_batches_.pop_back();
  }
  storage::SeriesBatch& b = batches_.back();
  b.measurement.assign(point.measurement);
  b.tags.resize(point.tags.size());
  for (size_t i = 0; i < point.tags.size(); ++i) {
    b.tags[i].first.assign(point.tags[i].key);
    b.tags[i].second.assign(point.tags[i].value);
  }
  b.timestamps.reserve(rows_hint_);
  b.fields.reserve(point.fields.size());
  if (states_.size() <= g) states_.resize(g + 1);
  GroupState& st = states_[g];
  st.column_at.clear();
  st.row_stamp.clear();
  st.row_stamp.reserve(point.fields.size());
  st.by_name.clear();
  st.rows = 0;
  return g;
}

uint32_t ColumnarBatcher::FindColumn(uint32_t group, size_t position, std::string_view key) const {
  const GroupState& st = states_[group];
  const std::vector<FieldColumn>& cols = batches_[group].fields;
  if (position < st.column_at.size()) {
    uint32_t c = st.column_at[position];
    if (c < cols.size() && SameName(cols[c].name, key)) return c;
  }
  if (cols.size() > kLinearColumns) {
    auto it = st.by_name.find(key);
    return it == st.by_name.end() ? kNewColumn : it->second;
  }
  for (uint32_t c = 0; c < cols.size(); ++c) {
    if (SameName(cols[c].name, key)) return c;
  }
  return kNewColumn;
}

uint32_t ColumnarBatcher::AddColumn(uint32_t group, const Field& field) {
  GroupState& st = states_[group];
  std::vector<FieldColumn>& cols = batches_[group].fields;
  uint32_t c = static_cast<uint32_t>(cols.size());
  if (spare_columns_.empty()) {
    cols.emplace_back();
  } else {
    cols.push_back(std::move(spare_columns_.back()));
    spare_columns_.pop_back();
  }
  FieldColumn& col = cols.back();
  col.name.assign(field.key);
  col.type = field.value.type;
  Reserve(col, std::max<size_t>(rows_hint_, st.rows + 1));
  for (uint32_t r = 0; r < st.rows; ++r) AppendPlaceholder(col);
  if (st.rows > 0) col.valid.assign(st.rows, 0);
  st.row_stamp.push_back(0);
  if (cols.size() > kLinearColumns) {
    if (st.by_name.empty()) {
      for (uint32_t i = 0; i < cols.size(); ++i) st.by_name.emplace(arena_.Copy(cols[i].name), i);
    } else {
      st.by_name.emplace(arena_.Copy(col.name), c);
    }
  }
  return c;
}

absl::Status ColumnarBatcher::Add(const Point& point) {
  uint32_t g = FindGroup(point);
  GroupState& st = states_[g];
  const uint32_t row = st.rows;
  const uint32_t stamp = row + 1;

  // Pass 1: resolve and check every field before changing anything, so a rejected point
  // leaves no trace. Stamps set here are rolled back (to 0, which means "not in this row").
  resolved_.clear();
  size_t new_columns = 0;
  for (size_t i = 0; i < point.fields.size(); ++i) {
    const Field& f = point.fields[i];
    uint32_t c = FindColumn(g, i, f.key);
    absl::Status error;
    if (c == kNewColumn) {
      ++new_columns;
    } else if (batches_[g].fields[c].type != f.value.type) {
      error = absl::InvalidArgumentError(absl::StrCat(
          "line ", point.line_number, ": field ", Quote(f.key), " of series ",
          Quote(point.series_key), " is ", storage::ValueTypeName(f.value.type), " here but ",
          storage::ValueTypeName(batches_[g].fields[c].type), " earlier in this batch"));
    } else if (st.row_stamp[c] == stamp) {
      error = absl::InvalidArgumentError(
          absl::StrCat("line ", point.line_number, ": duplicate field key ", Quote(f.key)));
    } else {
      st.row_stamp[c] = stamp;
    }
    if (!error.ok()) {
      for (uint32_t done : resolved_) {
        if (done != kNewColumn) st.row_stamp[done] = 0;
      }
      return error;
    }
    resolved_.push_back(c);
  }
  if (new_columns > 1) {
    std::vector<std::string_view> keys;
    for (size_t i = 0; i < point.fields.size(); ++i) {
      if (resolved_[i] == kNewColumn) keys.push_back(point.fields[i].key);
    }
    if (HasDuplicate(keys)) {
      for (uint32_t done : resolved_) {
        if (done != kNewColumn) st.row_stamp[done] = 0;
      }
      if (row == 0) {  // the group was created for this point: leave no empty group behind
        index_.erase(point.series_key);
        batches_.pop_back();
      }
      return absl::InvalidArgumentError(
          absl::StrCat("line ", point.line_number, ": duplicate field key"));
    }
  }

  // Pass 2: append.
  storage::SeriesBatch& b = batches_[g];
  b.timestamps.push_back(point.timestamp_ns);
  if (st.column_at.size() < point.fields.size()) st.column_at.resize(point.fields.size());
  for (size_t i = 0; i < point.fields.size(); ++i) {
    uint32_t c = resolved_[i];
    if (c == kNewColumn) {
      c = AddColumn(g, point.fields[i]);
      st.row_stamp[c] = stamp;
    }
    FieldColumn& col = b.fields[c];
    AppendValue(col, point.fields[i].value);
    if (!col.valid.empty()) col.valid.push_back(1);
    st.column_at[i] = c;
  }
  if (point.fields.size() < b.fields.size()) {
    for (uint32_t c = 0; c < b.fields.size(); ++c) {
      if (st.row_stamp[c] != stamp) AppendMissing(b.fields[c], row);
    }
  }
  st.rows = row + 1;
  values_ += point.fields.size();
  ++points_;
  return absl::OkStatus();
}

std::vector<storage::SeriesBatch> ColumnarBatcher::Take() {
  std::vector<storage::SeriesBatch> out = std::move(batches_);
  batches_.clear();
  if (!out.empty()) {
    last_series_ = out.size();
    rows_hint_ = std::max<size_t>(1, points_ / out.size());
    batches_.reserve(out.size());
  }
  index_.clear();  // drops its array when large: reserve it again in one step
  index_.reserve(last_series_);
  arena_.Reset();
  values_ = 0;
  points_ = 0;
  return out;
}

void ColumnarBatcher::Recycle(std::vector<storage::SeriesBatch> batches) {
  const size_t max_batches = 2 * std::max<size_t>(last_series_, 64);
  const size_t max_columns = 16 * max_batches;
  for (storage::SeriesBatch& b : batches) {
    for (FieldColumn& c : b.fields) {
      if (spare_columns_.size() >= max_columns) break;
      c.floats.clear();
      c.ints.clear();
      c.bools.clear();
      c.strings.clear();
      c.valid.clear();
      spare_columns_.push_back(std::move(c));
    }
    if (spare_batches_.size() >= max_batches) continue;
    b.fields.clear();
    b.timestamps.clear();
    spare_batches_.push_back(std::move(b));
  }
}

}  // namespace telemdb::lineproto
