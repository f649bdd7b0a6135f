// Conversions between the alert engine's types and the wire (telemdb/v1/alerts.proto), for
// the gRPC adapters (AdminService rule calls, AlertService).
//
// Thread safety: pure functions.
#ifndef TELEMDB_ALERT_SERVICE_ALERT_PROTO_H_
#define TELEMDB_ALERT_SERVICE_ALERT_PROTO_H_

#include "alert/engine.h"
#include "telemdb/v1/alerts.pb.h"

namespace telemdb::alert {

// The operator's part of a rule (name .. expect).
RuleSpec SpecFromProto(const v1::AlertRule& r);
void RuleToProto(const RuleInfo& info, v1::AlertRule* out);
void TargetToProto(const TargetInfo& t, v1::NotifyTarget* out);
void InstanceToProto(const AlertInfo& a, v1::AlertInstance* out);
void EventToProto(const AlertEvent& e, v1::AlertEvent* out);

}  // namespace telemdb::alert

#endif  // TELEMDB_ALERT_SERVICE_ALERT_PROTO_H_
