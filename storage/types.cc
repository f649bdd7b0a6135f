#include "storage/types.h"

#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace telemdb::storage {

const char* ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kFloat:
      return "float";
    case ValueType::kInt:
      return "integer";
    case ValueType::kBool:
      return "boolean";
    case ValueType::kString:
      return "string";
  }
  return "unknown";
}

bool IsValidValueType(uint8_t v) { return v >= 1 && v <= 4; }

size_t FieldColumn::size() const {
  switch (type) {
    case ValueType::kFloat:
      return floats.size();
    case ValueType::kInt:
      return ints.size();
    case ValueType::kBool:
      return bools.size();
    case ValueType::kString:
      return strings.size();
  }
  return 0;
}

bool Value::operator==(const Value& o) const {
  if (type != o.type) return false;
  switch (type) {
    case ValueType::kFloat:
      // Bitwise: NaN payloads and -0.0 are stored as-is and must come back as-is.
      return std::memcmp(&f, &o.f, sizeof f) == 0;
    case ValueType::kInt:
    case ValueType::kBool:
      return i == o.i;
    case ValueType::kString:
      return s == o.s;
  }
  return false;
}

std::string Value::DebugString() const {
  switch (type) {
    case ValueType::kFloat:
      return absl::StrCat(f);
    case ValueType::kInt:
      return absl::StrCat(i, "i");
    case ValueType::kBool:
      return i ? "true" : "false";
    case ValueType::kString:
      return absl::StrCat("\"", s, "\"");
  }
  return "?";
}

std::string SeriesKey::DebugString() const {
  std::string out = measurement;
  for (const auto& [k, v] : tags) absl::StrAppend(&out, ",", k, "=", v);
  absl::StrAppend(&out, "#", field);
  return out;
}

}  // namespace telemdb::storage
