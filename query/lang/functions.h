// The functions of the query language and what each accepts.
//
// Two kinds exist. An *aggregate* reduces the points of a field to one value per time bucket
// (or per whole range without GROUP BY time): count, sum, mean (alias avg), ... A *transform*
// maps a series to a series and runs over either raw points or the bucketed output of an
// aggregate: rate, derivative, difference, moving_average. Every function takes a field or
// aggregate first, then at most one extra parameter (see ParamKind).
//
// Thread safety: the table is immutable; all functions are safe to call concurrently.
#ifndef TELEMDB_QUERY_LANG_FUNCTIONS_H_
#define TELEMDB_QUERY_LANG_FUNCTIONS_H_

#include <cstdint>
#include <span>
#include <string_view>

namespace telemdb::query::lang {

// Every function of the language. Values are explicit so they may later reach the wire.
enum class Function : uint8_t {
  // Aggregates.
  kCount = 0,
  kSum = 1,
  kMean = 2,  // also spelled avg
  kMin = 3,
  kMax = 4,
  kFirst = 5,
  kLast = 6,
  kSpread = 7,
  kStddev = 8,
  kMedian = 9,
  kPercentile = 10,
  kIntegral = 11,
  kDistinct = 12,
  // Transforms.
  kRate = 32,
  kDerivative = 33,
  kDifference = 34,
  kMovingAverage = 35,
};

enum class FunctionKind : uint8_t {
  kAggregate,  // first argument: a field
  kTransform,  // first argument: a field or an aggregate
};

// The parameter a function takes after its first argument.
enum class ParamKind : uint8_t {
  kNone,        // f(x)
  kPercentile,  // f(x, p): a number in [0, 100], required
  kUnit,        // f(x[, unit]): a positive duration, optional, Default: 1s
  kWindow,      // f(x, n): an integer >= 1, required
};

struct FunctionInfo {
  Function function;
  std::string_view name;  // canonical lower-case spelling
  FunctionKind kind;
  ParamKind param;
  std::string_view signature;  // for messages and docs, e.g. "percentile(field, p)"
};

// The unit of integral and derivative when none is given: per second.
inline constexpr int64_t kDefaultUnitNs = 1'000'000'000;

// Returns the entry of `f`. Every enumerator has one.
const FunctionInfo& GetFunctionInfo(Function f);

// Looks a function up by name, ignoring ASCII case; "avg" finds kMean. nullptr if unknown.
const FunctionInfo* LookupFunction(std::string_view name);

// Every function, aggregates first, in documentation order.
std::span<const FunctionInfo> AllFunctions();

// "count, sum, mean, ..." for error messages.
std::string_view FunctionNameList();

}  // namespace telemdb::query::lang

#endif  // TELEMDB_QUERY_LANG_FUNCTIONS_H_
