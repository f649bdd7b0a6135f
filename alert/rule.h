// Alert rules: what an operator writes (RuleSpec, stored in the database as JSON under
// `alert/rule/<name>`) and what the engine runs (Rule, compiled from a spec).
//
//   --query      which series and how they group: `FROM readings [WHERE <tag conditions>]
//                [GROUP BY tag, ...]` (a leading `SELECT *` is accepted). One alert
//                instance per group; without GROUP BY, one for the whole selection.
//   --condition  what is computed per group and compared (condition.h).
//   --for        how long the condition must hold before the alert fires. Default: 0.
//   --every      the evaluation interval; windows end on multiples of it. Default: 30s.
//   --clear      hysteresis: a firing alert resolves only when this holds (condition.h).
//   --repeat     re-notify while firing, this often. Default: never.
//   --labels     k=v pairs carried by every event and notification.
//   --notify     names of notification targets (targets are created separately).
//   --expect     absence rules: groups (`device=truck_9`) that count as silent even if they
//                never reported.
//
// Windows (`over`) default to 5m for aggregates, 15m for derivative, 1h for
// time_to_threshold and --every for anomaly_score. Incremental rules (threshold, rate,
// absence) keep per-group partial aggregates in buckets of gcd(window, every).
//
// Thread safety: plain values and pure functions.
#ifndef TELEMDB_ALERT_RULE_H_
#define TELEMDB_ALERT_RULE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "alert/condition.h"
#include "query/lang/ast.h"
#include "storage/types.h"

namespace telemdb::alert {

inline constexpr int64_t kSecond = 1'000'000'000;
inline constexpr int64_t kDefaultEvery = 30 * kSecond;
inline constexpr int64_t kMinEvery = 100'000'000;  // 100 ms
inline constexpr size_t kMaxBuckets = 1024;

struct RuleSpec {
  std::string name;
  std::string query;
  std::string condition;
  std::string clear;  // empty: none
  int64_t for_ns = 0;
  int64_t every_ns = 0;                                     // 0: kDefaultEvery
  int64_t repeat_ns = 0;                                    // 0: never
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by key, unique
  std::vector<std::string> notify;                          // target names
  std::vector<std::string> expect;                          // "k=v[,k=v]" per group
  // Set by the server.
  std::string id;  // random, 16 hex digits: idempotency keys survive a same-named rule
  int64_t created_ns = 0;
  std::string created_by;
  bool paused = false;
};

// The parsed --query.
struct RuleQuery {
  std::string measurement;
  std::optional<query::lang::Condition> where;
  std::vector<std::string> group_by;  // sorted, unique
};

struct Rule {
  RuleSpec spec;
  RuleQuery query;
  Condition cond;
  std::optional<Condition> clear;
  int64_t every_ns = kDefaultEvery;
  int64_t window_ns = 0;                  // resolved (defaults applied)
  int64_t bucket_ns = 0;                  // incremental kinds: gcd(window, every)
  std::vector<storage::TagSet> expected;  // parsed --expect, one tag set per group

  bool incremental() const {
    return cond.kind == RuleKind::kThreshold || cond.kind == RuleKind::kRate ||
           cond.kind == RuleKind::kAbsence;
  }
};

// Names: 1..128 bytes of letters, digits, '_', '-', '.', starting with a letter.
absl::Status ValidateRuleName(std::string_view name, const char* what = "rule name");

// Errors: InvalidArgument "query: ..." naming what is wrong.
absl::StatusOr<RuleQuery> ParseRuleQuery(std::string_view text);

// Validates `spec` and compiles it. Errors: InvalidArgument naming the flag and the problem
// (name, query, condition, clear, durations, labels, targets' names, expect).
absl::StatusOr<Rule> CompileRule(RuleSpec spec);

// The canonical tag key of a group: "device=truck_7,fleet=East" ("" for no GROUP BY).
std::string GroupKey(const storage::TagSet& group);

// JSON of a stored spec, and back. Errors: DataLoss for a record that does not parse.
std::string RuleSpecToJson(const RuleSpec& spec);
absl::StatusOr<RuleSpec> RuleSpecFromJson(std::string_view json);

}  // namespace telemdb::alert

#endif  // TELEMDB_ALERT_RULE_H_
