// The life of one alert instance (one rule x one group):
//
//   inactive --cond--> pending --cond held for `for`--> firing --resolve--> resolved
//       ^                 |                                                     |
//       +----- !cond -----+                  resolved --cond--> pending (or firing)
//
// With `for` = 0 an instance goes from inactive (or resolved) straight to firing. A firing
// instance resolves when the condition no longer holds or, with --clear (hysteresis), only
// when the clear condition holds. An evaluation without data (an empty window) changes
// nothing: silence is what absence rules are for.
//
// Every change of state is a Transition, numbered per instance from 1 (the number is part of
// the idempotency key of its notifications).
//
// Thread safety: plain values and pure functions.
#ifndef TELEMDB_ALERT_STATE_H_
#define TELEMDB_ALERT_STATE_H_

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "storage/types.h"

namespace telemdb::alert {

// Persisted and on the wire by name.
enum class AlertState { kInactive, kPending, kFiring, kResolved };
const char* StateName(AlertState s);
// "inactive", "pending", "firing", "resolved". Errors: InvalidArgument naming the choices.
absl::StatusOr<AlertState> ParseState(std::string_view s);

struct InstanceState {
  AlertState state = AlertState::kInactive;
  int64_t since_ns = 0;         // when the current state began
  int64_t active_since_ns = 0;  // pending/firing: when the condition began to hold
  double value = std::nan("");  // the last evaluated value (NaN: none yet)
  int64_t last_eval_ns = 0;
  uint64_t transitions = 0;      // number of the last transition
  int64_t last_notified_ns = 0;  // the last firing notification or reminder
};

// One evaluation of an instance at `at_ns`.
struct Evaluation {
  bool has_value = false;  // false: no data in the window
  double value = 0;
  bool cond = false;   // the condition holds
  bool clear = false;  // the clear condition holds (only used with --clear)
  int64_t at_ns = 0;
  bool late = false;  // re-evaluated because of late points
};

struct Transition {
  AlertState from = AlertState::kInactive;
  AlertState to = AlertState::kInactive;
  int64_t at_ns = 0;
  double value = std::nan("");
  bool late = false;
  uint64_t number = 0;
  int64_t active_since_ns = 0;
};

// Applies `e` to `s`; returns the transition it caused, if any.
std::optional<Transition> Step(InstanceState* s, const Evaluation& e, int64_t for_ns,
                               bool has_clear);

// JSON of a persisted state (with the group's tags), and back. Errors: DataLoss.
std::string StateToJson(const InstanceState& s, const storage::TagSet& group);
absl::StatusOr<InstanceState> StateFromJson(std::string_view json, storage::TagSet* group);

}  // namespace telemdb::alert

#endif  // TELEMDB_ALERT_STATE_H_
