// Condition: the parsed `--condition` of an alert rule (grammar in docs/alerts.md):
//
//   condition  = value_expr compare number
//              | "absent" "(" field | "*" ")" "over" duration ;
//   value_expr = aggregate "(" field ")" [ "over" duration ]
//              | "derivative" "(" field [ "," duration ] ")" [ "over" duration ]
//              | "time_to_threshold" "(" field "," number [ "," "'linear'" | "'holt'" ] ")"
//                [ "over" duration ]
//              | "anomaly_score" "(" field [ "," "'options'" ] ")" [ "over" duration ] ;
//   aggregate  = mean | avg | min | max | sum | count | first | last | spread | stddev ;
//   compare    = ">" | ">=" | "<" | "<=" | "=" | "==" | "!=" ;
//
// A field is an identifier or a double-quoted name; durations are those of the query
// language (5m, 1h30m, 250ms). Kinds: an aggregate is a *threshold* rule, derivative a *rate*
// rule (the least-squares slope per unit over the window), absent an *absence* rule,
// time_to_threshold a *trend* rule, anomaly_score an *anomaly* rule.
//
// Errors: InvalidArgument "condition: column C: expected X, found Y" (columns count bytes
// of the text, from 1) or naming the bad value (a zero duration, an unknown function, ...).
//
// Thread safety: plain values and pure functions.
#ifndef TELEMDB_ALERT_CONDITION_H_
#define TELEMDB_ALERT_CONDITION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace telemdb::alert {

// Persisted in rule records by name (see rule.h), never by number.
enum class RuleKind { kThreshold, kRate, kAbsence, kTrend, kAnomaly };
const char* RuleKindName(RuleKind k);

enum class Agg { kMean, kMin, kMax, kSum, kCount, kFirst, kLast, kSpread, kStddev };
const char* AggName(Agg a);

enum class CmpOp { kGt, kGe, kLt, kLe, kEq, kNe };
const char* CmpOpText(CmpOp op);

struct Condition {
  RuleKind kind = RuleKind::kThreshold;
  Agg agg = Agg::kMean;             // kThreshold
  std::string field;                // "*" only for kAbsence (any field)
  int64_t unit_ns = 1'000'000'000;  // kRate: slope per unit; Default: 1s
  double threshold = 0;             // kTrend: the level the trend is extrapolated to
  std::string method;               // kTrend: "linear" (Default) or "holt"
  std::string options;              // kAnomaly: detector options, canonical ("" = defaults)
  int64_t window_ns = 0;            // `over`; 0: not given (the rule picks its default)
  CmpOp op = CmpOp::kGt;            // not kAbsence
  double value = 0;                 // not kAbsence

  // True when `v` satisfies the comparison.
  bool Test(double v) const;
  // The expression alone: "mean(temperature) over 5m" (with the window when set).
  std::string ExprText() const;
  // Canonical text; ParseCondition(ToString()) gives back the same condition.
  std::string ToString() const;
  // Same expression (function, field, arguments, window): what --clear must keep.
  bool SameExpr(const Condition& o) const;
};

// Errors: see the file comment.
absl::StatusOr<Condition> ParseCondition(std::string_view text);

// The `--clear` of a rule whose condition is `cond`: either a comparison alone ("< 6"),
// applied to cond's expression, or a whole condition with the same expression.
// Errors: InvalidArgument (as ParseCondition; "clear:" prefixed), a different expression,
// or any --clear on an absence rule.
absl::StatusOr<Condition> ParseClear(std::string_view text, const Condition& cond);

}  // namespace telemdb::alert

#endif  // TELEMDB_ALERT_CONDITION_H_
