// AlertEvent: one transition of an alert instance (or a reminder, or, for a watcher that asks
// for the current state, a snapshot), as it goes to `_alerts`, the audit trail, WatchAlerts
// streams and notification targets.
//
// Idempotency key (`id`): "<rule id>/<group key>/<transition number>", and for reminders
// "<rule id>/<group key>/<transition number>/r<at_ns>": the same for every delivery attempt
// and across restarts, different for every distinct event; a receiver that stores the ids it
// has seen processes each event once (delivery is at least once).
//
// Thread safety: plain values.
#ifndef TELEMDB_ALERT_ALERT_EVENT_H_
#define TELEMDB_ALERT_ALERT_EVENT_H_

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "storage/types.h"

namespace telemdb::alert {

struct AlertEvent {
  std::string id;
  std::string rule;
  std::string rule_id;
  std::string measurement;  // the rule's
  std::string condition;    // canonical
  storage::TagSet group;
  std::string from, to;  // state names
  int64_t at_ns = 0;
  double value = std::nan("");
  bool late = false;    // caused by points that arrived after their window was evaluated
  std::string note;     // e.g. which late point
  uint64_t number = 0;  // the instance's transition number
  int64_t active_since_ns = 0;
  std::vector<std::pair<std::string, std::string>> labels;
  bool reminder = false;  // --repeat while firing, not a transition
  bool current = false;   // a snapshot of the current state (WatchAlerts with `current`)

  // The JSON body of notifications and SSE events (docs/alerts.md).
  std::string ToJson() const;
  size_t Bytes() const;
};

}  // namespace telemdb::alert

#endif  // TELEMDB_ALERT_ALERT_EVENT_H_
