// The data model shared by every layer: series identity, value types and the columnar
// batch a write carries. Plain structs; thread safety is the owner's.
//
// A point is (measurement, tags, fields, timestamp). A *series* is one (measurement, sorted
// tag set, field); it has a dense SeriesId assigned on first write and never reused, and
// one value type for life.
#ifndef TELEMDB_STORAGE_TYPES_H_
#define TELEMDB_STORAGE_TYPES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace telemdb::storage {

using SeriesId = uint64_t;
inline constexpr SeriesId kInvalidSeriesId = 0;  // ids start at 1

// Persisted (WAL, chunks, series_meta) and on the wire: values only ever grow.
enum class ValueType : uint8_t {
  kFloat = 1,  // IEEE double
  kInt = 2,    // int64
  kBool = 3,
  kString = 4,  // UTF-8
};
const char* ValueTypeName(ValueType t);
bool IsValidValueType(uint8_t v);

using Tag = std::pair<std::string, std::string>;
using TagSet = std::vector<Tag>;  // sorted by key, keys unique

// One typed column of a SeriesBatch. Exactly the vector matching `type` is used; its length
// equals the batch's row count. `valid` is empty when every row has a value, otherwise one
// byte per row (0 = missing; the slot's value is ignored).
struct FieldColumn {
  std::string name;
  ValueType type = ValueType::kFloat;
  std::vector<double> floats;
  std::vector<int64_t> ints;
  std::vector<uint8_t> bools;
  std::vector<std::string> strings;
  std::vector<uint8_t> valid;

  size_t size() const;
  bool IsValid(size_t row) const { return valid.empty() || valid[row] != 0; }
};

// Readings of one (measurement, tag set): one timestamp column shared by every field.
struct SeriesBatch {
  std::string measurement;
  TagSet tags;                      // any order on input; validation sorts it
  std::vector<int64_t> timestamps;  // ns since the Unix epoch, UTC
  std::vector<FieldColumn> fields;
};

// A value of any type, for single-point APIs (tests, last-value cache).
struct Value {
  ValueType type = ValueType::kFloat;
  double f = 0;
  int64_t i = 0;  // also the bool (0/1)
  std::string s;

  static Value Float(double v) { return Value{ValueType::kFloat, v, 0, {}}; }
  static Value Int(int64_t v) { return Value{ValueType::kInt, 0, v, {}}; }
  static Value Bool(bool v) { return Value{ValueType::kBool, 0, v ? 1 : 0, {}}; }
  static Value String(std::string v) { return Value{ValueType::kString, 0, 0, std::move(v)}; }
  bool operator==(const Value& o) const;
  std::string DebugString() const;
};

// The identity of one series.
struct SeriesKey {
  std::string measurement;
  TagSet tags;  // sorted
  std::string field;
  bool operator==(const SeriesKey&) const = default;
  std::string DebugString() const;  // cpu,host=a#usage
};

}  // namespace telemdb::storage

#endif  // TELEMDB_STORAGE_TYPES_H_
