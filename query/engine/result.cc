#include "query/engine/result.h"

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace telemdb::query {

using storage::ValueType;

void Column::Clear() {
  floats.clear();
  ints.clear();
  strings.clear();
  valid.clear();
}

void Column::Reserve(size_t n) {
  valid.reserve(n);
  switch (type) {
    case ValueType::kFloat:
      floats.reserve(n);
      break;
    case ValueType::kInt:
    case ValueType::kBool:
      ints.reserve(n);
      break;
    case ValueType::kString:
      strings.reserve(n);
      break;
  }
}

void Column::AppendNull() {
  valid.push_back(0);
  switch (type) {
    case ValueType::kFloat:
      floats.push_back(0);
      break;
    case ValueType::kInt:
    case ValueType::kBool:
      ints.push_back(0);
      break;
    case ValueType::kString:
      strings.emplace_back();
      break;
  }
}

void Column::AppendFloat(double v) {
  valid.push_back(1);
  floats.push_back(v);
}

void Column::AppendInt(int64_t v) {
  valid.push_back(1);
  ints.push_back(v);
}

void Column::AppendBool(bool v) {
  valid.push_back(1);
  ints.push_back(v ? 1 : 0);
}

void Column::AppendString(std::string v) {
  valid.push_back(1);
  strings.push_back(std::move(v));
}

void Column::PopBack() {
  valid.pop_back();
  switch (type) {
    case ValueType::kFloat:
      floats.pop_back();
      break;
    case ValueType::kInt:
    case ValueType::kBool:
      ints.pop_back();
      break;
    case ValueType::kString:
      strings.pop_back();
      break;
  }
}

void Column::AppendFrom(const Column& other, size_t i) {
  valid.push_back(other.valid[i]);
  switch (type) {
    case ValueType::kFloat:
      floats.push_back(other.floats[i]);
      break;
    case ValueType::kInt:
    case ValueType::kBool:
      ints.push_back(other.ints[i]);
      break;
    case ValueType::kString:
      strings.push_back(other.strings[i]);
      break;
  }
}

storage::Value Column::Get(size_t i) const {
  switch (type) {
    case ValueType::kFloat:
      return storage::Value::Float(floats[i]);
    case ValueType::kInt:
      return storage::Value::Int(ints[i]);
    case ValueType::kBool:
      return storage::Value::Bool(ints[i] != 0);
    case ValueType::kString:
      return storage::Value::String(strings[i]);
  }
  return storage::Value();
}

std::string Column::DebugString(size_t i) const {
  if (IsNull(i)) return "null";
  switch (type) {
    case ValueType::kFloat: {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.17g", floats[i]);
      return buf;
    }
    case ValueType::kInt:
      return absl::StrCat(ints[i]);
    case ValueType::kBool:
      return ints[i] ? "true" : "false";
    case ValueType::kString:
      return absl::StrCat("'", strings[i], "'");
  }
  return "?";
}

absl::Status CollectingSink::Start(const ResultSchema& schema) {
  schema_ = schema;
  return absl::OkStatus();
}

absl::Status CollectingSink::Write(ResultFrame&& frame) {
  frames_.push_back(std::move(frame));
  return absl::OkStatus();
}

std::vector<ResultFrame> CollectingSink::Groups() const {
  std::vector<ResultFrame> out;
  for (const ResultFrame& f : frames_) {
    if (out.empty() || out.back().group != f.group) {
      out.push_back(f);
      continue;
    }
    ResultFrame& g = out.back();
    g.time.insert(g.time.end(), f.time.begin(), f.time.end());
    for (size_t c = 0; c < f.columns.size(); c++) {
      for (size_t i = 0; i < f.columns[c].size(); i++) g.columns[c].AppendFrom(f.columns[c], i);
    }
    g.group_end = f.group_end;
  }
  return out;
}

std::string CollectingSink::DebugString() const {
  std::string out = absl::StrCat("columns: time, ", absl::StrJoin(schema_.columns, ", "), "\n");
  for (const ResultFrame& g : Groups()) {
    absl::StrAppend(&out, "group ", g.group, " [", absl::StrJoin(g.group_values, ","), "]\n");
    for (size_t r = 0; r < g.rows(); r++) {
      std::string row = r < g.time.size() ? absl::StrCat(g.time[r]) : "-";
      for (const Column& c : g.columns) absl::StrAppend(&row, " ", c.DebugString(r));
      absl::StrAppend(&out, "  ", row, "\n");
    }
  }
  return out;
}

}  // namespace telemdb::query
