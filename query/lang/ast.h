// The syntax tree of a parsed query: plain, copyable structs with value equality.
//
// The parser (parser.h) produces a Statement; Format (format.h) turns one back into canonical
// text, and Parse(Format(s)) == s for every parsed s. A tree is already validated: function
// arities and parameter ranges, the select list rules and time values are checked by the
// parser, so a consumer can walk it without re-checking. What the tree cannot know is the
// schema: whether an identifier in WHERE names a tag or a field is resolved by the planner.
//
// Times are int64 nanoseconds since the Unix epoch (UTC); durations are int64 nanoseconds.
// now() has already been evaluated against ParseOptions::now_ns.
//
// Thread safety: plain values; the usual rules for concurrent access to std types apply.
#ifndef TELEMDB_QUERY_LANG_AST_H_
#define TELEMDB_QUERY_LANG_AST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "query/lang/functions.h"

namespace telemdb::query::lang {

// ---- SELECT list -------------------------------------------------------------------------

// One function application with its parameter (see functions.h for which one applies).
struct Call {
  Function function = Function::kCount;
  double percentile = 0;  // kPercentile only: p in [0, 100]
  // kIntegral, kDerivative, kNonNegativeDerivative: > 0, Default: kDefaultUnitNs;
  // kElapsed: > 0, Default: kElapsedDefaultUnitNs.
  int64_t unit_ns = 0;
  int64_t window = 0;      // kMovingAverage: n >= 1; kZscore: n in [2, kMaxWindow]
  int64_t horizon_ns = 0;  // kPredictLinear: >= 0
  double threshold = 0;    // kTimeToThreshold: finite; kAnomalies: in [0, 1]
  double alpha = 0;        // kEwma: in [kMinAlpha, 1]
  int64_t count = 0;       // kHoltWinters*, kForecast: forecast points, in [1, kMaxForecast];
                           // kTop, kBottom: points per bucket, in [1, kMaxSelected]
  int64_t season = 0;      // kHoltWinters*: buckets, 0 or 1 = none; kForecast: 0 = detect
  // kTimeToThreshold: "linear" (Default) or "holt"; kForecast: "auto" (Default), "simple",
  // "trend" or "seasonal". Stored lower case; empty means the default.
  std::string method;
  // kAnomalyScore, kAnomalies: detector options in canonical form (sorted, defaults left
  // out; see predict/anomaly_options.h); empty means the defaults.
  std::string options;

  bool operator==(const Call&) const = default;
};

// Arithmetic with a numeric constant, applied to a select item's value (after its functions).
enum class MathOp : uint8_t {
  kAdd = 0,
  kSub = 1,
  kMul = 2,
  kDiv = 3,
};

// One step of a select item's arithmetic: `x op constant`, or `constant op x` when
// constant_first. A chain of steps is what any expression with one field or function and
// numeric constants reduces to: `(mean(x) - 32) * 5 / 9` is [- 32, * 5, / 9] and
// `100 - 2 * mean(x)` is [2 * _, 100 - _] (constant subexpressions are folded).
struct MathStep {
  MathOp op = MathOp::kMul;
  double constant = 0;  // finite
  bool constant_first = false;

  bool operator==(const MathStep&) const = default;
};

// One projection: read `field` (or every field), optionally aggregate it per bucket, then
// optionally transform (or forecast) the resulting series, then apply `math`. The nesting is at
// most transform(aggregate(field)); a forecast always wraps an aggregate and is stored in
// `transform`.
//   velocity                       -> field
//   mean(velocity)                 -> field + aggregate
//   rate(counter)                  -> field + transform (over raw points)
//   derivative(mean(velocity), 1m) -> field + aggregate + transform
struct SelectItem {
  std::string field;              // the field read; empty iff `wildcard`
  bool wildcard = false;          // `*`: every field (only in raw selects)
  std::optional<Call> aggregate;  // an aggregate function applied to `field`
  std::optional<Call> transform;  // a transform applied after `aggregate` (if any)
  std::vector<MathStep> math;     // arithmetic on the result, in order; empty if none
  std::string alias;              // from AS; empty if none

  // True if the item yields one value per bucket (its innermost function is an aggregate).
  bool aggregated() const { return aggregate.has_value(); }
  bool operator==(const SelectItem&) const = default;
};

// ---- WHERE -------------------------------------------------------------------------------

enum class CompareOp : uint8_t {
  kEq = 0,        // =
  kNe = 1,        // != or <>
  kLt = 2,        // <
  kLe = 3,        // <=
  kGt = 4,        // >
  kGe = 5,        // >=
  kMatch = 6,     // =~ (right side is a regex)
  kNotMatch = 7,  // !~ (right side is a regex)
};

// The right-hand side of a comparison.
struct Literal {
  enum class Kind : uint8_t { kString, kInteger, kFloat, kBool, kRegex };
  Kind kind = Kind::kString;
  std::string text;      // kString: the value; kRegex: the RE2 pattern (compile-checked)
  int64_t integer = 0;   // kInteger
  double number = 0;     // kFloat (finite)
  bool boolean = false;  // kBool

  bool operator==(const Literal&) const = default;
};

// `key op value`, where key is a tag key or a field name (resolved at plan time). Regex
// literals appear exactly with kMatch / kNotMatch; booleans only with kEq / kNe.
struct Comparison {
  std::string key;
  CompareOp op = CompareOp::kEq;
  Literal value;

  bool operator==(const Comparison&) const = default;
};

// `time op t` with t evaluated to nanoseconds. op is never kNe, kMatch or kNotMatch.
struct TimeComparison {
  CompareOp op = CompareOp::kGe;
  int64_t ns = 0;

  bool operator==(const TimeComparison&) const = default;
};

// A boolean expression tree. kAnd / kOr nodes have two or more operands and never an operand
// of their own kind (the parser flattens `a AND (b AND c)`); leaves are comparisons.
struct Condition {
  enum class Kind : uint8_t { kAnd, kOr, kComparison, kTime };
  Kind kind = Kind::kComparison;
  std::vector<Condition> operands;  // kAnd, kOr
  Comparison comparison;            // kComparison
  TimeComparison time;              // kTime

  static Condition Compare(std::string key, CompareOp op, Literal value);
  static Condition Time(CompareOp op, int64_t ns);
  // Builds kAnd / kOr over `operands`, splicing operands of the same kind. With a single
  // operand returns it unchanged. REQUIRES: !operands.empty().
  static Condition And(std::vector<Condition> operands);
  static Condition Or(std::vector<Condition> operands);

  bool operator==(const Condition&) const = default;
};

// ---- Statements --------------------------------------------------------------------------

enum class FillMode : uint8_t {
  kNull = 0,      // empty buckets yield null
  kNone = 1,      // empty buckets are omitted (the default without FILL)
  kPrevious = 2,  // repeat the previous bucket's value
  kLinear = 3,    // interpolate between neighbouring buckets
  kValue = 4,     // use Fill::value
};

struct Fill {
  FillMode mode = FillMode::kNone;
  double value = 0;  // kValue only

  bool operator==(const Fill&) const = default;
};

// GROUP BY time(interval[, offset]): buckets start at offset + k * interval.
struct TimeGrouping {
  int64_t interval_ns = 0;  // > 0
  int64_t offset_ns = 0;    // may be negative; Default: 0

  bool operator==(const TimeGrouping&) const = default;
};

// SELECT items FROM measurement [WHERE ...] [GROUP BY ...] [FILL(...)] [ORDER BY time ...]
// [LIMIT n] [SLIMIT n]. Invariants checked by the parser: items are all aggregated or all raw;
// raw items have no group_by_time; a transform over an aggregate has group_by_time; fill is
// kNone unless group_by_time is set.
struct SelectStatement {
  std::vector<SelectItem> items;  // at least one
  // The last part of FROM's name: a database and retention policy before it
  // ("telegraf"."autogen"."cpu", telegraf..cpu) are accepted and ignored (one database per
  // server); so are they in every other FROM.
  std::string measurement;
  std::optional<Condition> where;
  std::optional<TimeGrouping> group_by_time;
  std::vector<std::string> group_by_tags;  // tag keys, as written, in order
  Fill fill;
  bool descending = false;        // ORDER BY time DESC
  std::optional<int64_t> limit;   // points per series, > 0
  std::optional<int64_t> slimit;  // series, > 0

  bool operator==(const SelectStatement&) const = default;
};

// DELETE FROM measurement [WHERE ...]. The WHERE holds only string/regex comparisons (tag
// conditions) and time conditions.
struct DeleteStatement {
  std::string measurement;
  std::optional<Condition> where;

  bool operator==(const DeleteStatement&) const = default;
};

// The rows a SHOW statement returns: LIMIT n OFFSET k skips k rows and keeps n (see
// docs/query.md for which rows: per measurement for SHOW FIELD KEYS and SHOW TAG KEYS).
struct ShowPaging {
  std::optional<int64_t> limit;   // > 0
  std::optional<int64_t> offset;  // >= 0

  bool operator==(const ShowPaging&) const = default;
};

// A name compared with `=` (op kEq, `value` the name) or `=~` (op kMatch, `value` a
// compile-checked RE2 pattern matched anywhere in the name).
struct NameMatch {
  CompareOp op = CompareOp::kEq;
  std::string value;

  bool operator==(const NameMatch&) const = default;
};

// SHOW MEASUREMENTS [WITH MEASUREMENT = m | =~ /re/] [LIMIT n] [OFFSET k].
struct ShowMeasurementsStatement {
  std::optional<NameMatch> with_measurement;
  ShowPaging paging;

  bool operator==(const ShowMeasurementsStatement&) const = default;
};

// SHOW FIELDS / SHOW FIELD KEYS [FROM m] [LIMIT n] [OFFSET k]. Without FROM: every measurement.
struct ShowFieldKeysStatement {
  std::optional<std::string> measurement;
  ShowPaging paging;

  bool operator==(const ShowFieldKeysStatement&) const = default;
};

// SHOW TAG KEYS [FROM m] [WHERE tags] [LIMIT n] [OFFSET k]; the WHERE is restricted as for
// DELETE.
struct ShowTagKeysStatement {
  std::optional<std::string> measurement;
  std::optional<Condition> where;
  ShowPaging paging;

  bool operator==(const ShowTagKeysStatement&) const = default;
};

// Which tag keys SHOW TAG VALUES lists: WITH KEY = k, != k, =~ /re/, !~ /re/ or IN (k, ...).
struct KeyMatch {
  enum class Kind : uint8_t { kEq, kNe, kMatch, kNotMatch, kIn };
  Kind kind = Kind::kEq;
  // kEq, kNe: one key; kMatch, kNotMatch: one RE2 pattern (matched anywhere in the key);
  // kIn: the keys as written (at least one, each non-empty).
  std::vector<std::string> values;

  bool operator==(const KeyMatch&) const = default;
};

// SHOW TAG VALUES [FROM m] WITH KEY ... [WHERE tags] [LIMIT n] [OFFSET k]; the WHERE is
// restricted as for DELETE.
struct ShowTagValuesStatement {
  std::optional<std::string> measurement;
  KeyMatch key;
  std::optional<Condition> where;
  ShowPaging paging;

  bool operator==(const ShowTagValuesStatement&) const = default;
};

// SHOW SERIES [FROM m] [WHERE ...] [LIMIT n] [OFFSET k]; the WHERE is restricted as for DELETE.
struct ShowSeriesStatement {
  std::optional<std::string> measurement;
  std::optional<Condition> where;
  ShowPaging paging;

  bool operator==(const ShowSeriesStatement&) const = default;
};

using Statement = std::variant<SelectStatement, DeleteStatement, ShowMeasurementsStatement,
                               ShowFieldKeysStatement, ShowTagKeysStatement, ShowTagValuesStatement,
                               ShowSeriesStatement>;

}  // namespace telemdb::query::lang

#endif  // TELEMDB_QUERY_LANG_AST_H_
