// The shape of query results and the sink they stream into.
//
// A query first announces its ResultSchema (group-by keys, column names and types), then
// hands over ResultFrames, group after group. A frame holds the rows of one group in columnar
// form: a time array (UTC ns) and one typed Column per select item, each with a validity
// byte per row (nulls). A group's rows may span several frames (raw selects stream in frames
// of at most ExecOptions::max_frame_rows rows); its last frame has `group_end` set. Groups
// without rows produce no frame.
//
// Column names: the alias (AS) if any, else the outermost function's name (mean, max,
// percentile, derivative, ...), else the field name; `*` expands to the field names. A name
// that repeats gets a suffix: mean, mean_1, mean_2. forecast() gives three columns (forecast,
// lower, upper) and anomalies() two (value, score); with an alias A they are A, A_lower,
// A_upper and A, A_score. SHOW statements use fixed names (see docs/query.md#semantics) and
// have no time column.
//
// Thread safety: plain values. A ResultSink is called from the query's thread only.
#ifndef TELEMDB_QUERY_ENGINE_RESULT_H_
#define TELEMDB_QUERY_ENGINE_RESULT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "storage/types.h"

namespace telemdb::query {

// One typed column with nulls. Exactly the vector matching `type` is used: `floats` for
// kFloat, `ints` for kInt and kBool (0/1), `strings` for kString; a null row holds a zero
// value there. `valid` has one byte per row (1 = value, 0 = null).
struct Column {
  storage::ValueType type = storage::ValueType::kFloat;
  std::vector<double> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<uint8_t> valid;

  size_t size() const { return valid.size(); }
  bool IsNull(size_t i) const { return valid[i] == 0; }
  void Clear();
  void Reserve(size_t n);
  void AppendNull();
  void AppendFloat(double v);
  void AppendInt(int64_t v);
  void AppendBool(bool v);
  void AppendString(std::string v);
  // Removes the last row. REQUIRES: size() > 0.
  void PopBack();
  // Appends row i of `other` (same type).
  void AppendFrom(const Column& other, size_t i);
  // The value of row i. REQUIRES: !IsNull(i).
  storage::Value Get(size_t i) const;
  // "null", "1.5", "42", "true", "'idle'": for tests and debugging.
  std::string DebugString(size_t i) const;
};

struct ResultSchema {
  std::vector<std::string> group_by;      // tag keys, in GROUP BY order
  bool has_time = true;                   // false for SHOW statements
  std::vector<std::string> columns;       // names, after the time column
  std::vector<storage::ValueType> types;  // one per column
  // Per column, for SELECT: the select item (after '*' expansion) it comes from, and which of
  // the item's columns it is ("" for single-column items; "forecast", "lower", "upper" for
  // forecast(); "value", "score" for anomalies()). Empty for SHOW statements.
  std::vector<uint32_t> items;
  std::vector<std::string> parts;
};

struct ResultFrame {
  uint64_t group = 0;                     // ordinal of the group in this result (0, 1, ...)
  std::vector<std::string> group_values;  // one per ResultSchema::group_by ("" when absent)
  std::vector<int64_t> time;              // one per row (empty without a time column)
  std::vector<Column> columns;            // one per ResultSchema::columns
  bool group_end = false;                 // the group's last frame

  size_t rows() const { return columns.empty() ? time.size() : columns[0].size(); }
};

class ResultSink {
 public:
  virtual ~ResultSink() = default;
  // Called once, before any frame. A non-OK status aborts the query and is returned.
  virtual absl::Status Start(const ResultSchema& schema) = 0;
  // Called per frame, in order. A non-OK status (e.g. the client went away) aborts the query
  // and is returned by Execute.
  virtual absl::Status Write(ResultFrame&& frame) = 0;
};

// Keeps everything: tests, the CLI's small results.
class CollectingSink : public ResultSink {
 public:
  absl::Status Start(const ResultSchema& schema) override;
  absl::Status Write(ResultFrame&& frame) override;

  const ResultSchema& schema() const { return schema_; }
  const std::vector<ResultFrame>& frames() const { return frames_; }
  // The frames of each group concatenated: one frame per group, in order.
  std::vector<ResultFrame> Groups() const;
  // A readable dump of every group and row.
  std::string DebugString() const;

 private:
  ResultSchema schema_;
  std::vector<ResultFrame> frames_;
};

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_ENGINE_RESULT_H_
