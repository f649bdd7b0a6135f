// The MQTT front door's one conversion of an absl::Status (from the write path or the
// authenticator) into what happens to the message: stored and acknowledged, rejected and
// acknowledged (counted by reason, with the MQTT 5 reason code the PUBACK carries), retried
// in place without acknowledging, or the subscription paused (its identity is refused).
//
// Retried: over the memory budget (ResourceExhausted with a "retry after" hint), a full
// disk, a failed WAL, shutting down (Unavailable) and anything unexpected (Internal, ...):
// the broker keeps the message until it is stored. Rejected: malformed input
// (InvalidArgument, OutOfRange, FailedPrecondition), outside the scopes (PermissionDenied),
// the series cardinality limit (ResourceExhausted naming it: the same message would be
// refused forever, so retrying it would stall the subscription). Both are told apart from
// storage I/O errors of the same code by their messages (auth/scopes.cc,
// storage/series_index.cc); outcome_test.cc pins those messages through the real code.
//
// Thread safety: pure functions.
#ifndef TELEMDB_INGEST_MQTT_OUTCOME_H_
#define TELEMDB_INGEST_MQTT_OUTCOME_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "ingest/mqtt/stats.h"

namespace telemdb::ingest::mqtt {

enum class Disposition { kStored, kReject, kRetry, kPause };

struct Outcome {
  Disposition disposition = Disposition::kStored;
  Rejection rejection = Rejection::kInvalid;  // kReject
  absl::Duration retry_after;                 // kRetry: the storage's hint (0: none)
};

Outcome OutcomeOf(const absl::Status& s);

// The MQTT 5 reason code of a PUBACK/PUBREC for a message rejected for `r`.
uint8_t ReasonCodeOf(Rejection r);

}  // namespace telemdb::ingest::mqtt

#endif  // TELEMDB_INGEST_MQTT_OUTCOME_H_
