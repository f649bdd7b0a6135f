#include "ingest/write_path.h"

#include "auth/audit_log.h"
#include "auth/identity_stats.h"
#include "auth/reserved.h"

namespace telemdb::ingest {

const char* FrontDoorName(FrontDoor d) {
  switch (d) {
    case FrontDoor::kGrpc:
      return "grpc";
    case FrontDoor::kHttp:
      return "http";
    case FrontDoor::kMqtt:
      return "mqtt";
  }
  return "grpc";
}

const char* RejectReasonName(RejectReason r) {
  switch (r) {
    case RejectReason::kInvalid:
      return "invalid";
    case RejectReason::kDenied:
      return "denied";
    case RejectReason::kUnauthenticated:
      return "unauthenticated";
    case RejectReason::kOverloaded:
      return "overloaded";
    case RejectReason::kUnavailable:
      return "unavailable";
    case RejectReason::kOther:
      return "other";
  }
  return "other";
}

RejectReason ReasonOf(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return RejectReason::kInvalid;
    case absl::StatusCode::kPermissionDenied:
      return RejectReason::kDenied;
    case absl::StatusCode::kUnauthenticated:
      return RejectReason::kUnauthenticated;
    case absl::StatusCode::kResourceExhausted:
      return RejectReason::kOverloaded;
    case absl::StatusCode::kUnavailable:
      return RejectReason::kUnavailable;
    default:
      return RejectReason::kOther;
  }
}

absl::StatusOr<storage::WriteResult> WritePath::Forward(const auth::Identity& who,
                                                        std::vector<storage::SeriesBatch>* groups,
                                                        const storage::WriteOptions& options) {
  // The same order as Db::Write: validate the whole request, then authorize, then store.
  auto points = db_->Validate(groups);
  if (!points.ok()) return points.status();
  if (absl::Status s = options.authorize(*groups); !s.ok()) return s;
  auto r = forwarder_->Forward(who.name, *groups, options);
  if (r.ok() && !r->duplicate) r->points = *points;
  return r;
}

void WritePath::CountRejected(FrontDoor door, const absl::Status& s) {
  DoorCounters& c = counters_[static_cast<int>(door)];
  c.requests++;
  c.rejected[static_cast<int>(ReasonOf(s))]++;
}

absl::StatusOr<storage::WriteResult> WritePath::Write(const auth::Identity& who,
                                                      std::vector<storage::SeriesBatch>* groups,
                                                      storage::WriteOptions options,
                                                      const Origin& origin) {
  DoorCounters& c = counters_[static_cast<int>(origin.door)];
  c.requests++;
  c.bytes += origin.bytes;
  options.identity = who.name;
  options.authorize = [&who](const std::vector<storage::SeriesBatch>& g) {
    // Reserved measurements (`_alerts`, ...) are the server's, whatever the scopes.
    absl::Status s = auth::CheckNotReserved(g);
    return s.ok() ? who.CheckWrite(g) : s;
  };
  absl::StatusOr<storage::WriteResult> r;
  if (forwarder_ != nullptr) {
    r = Forward(who, groups, options);
  } else {
    r = db_->Write(groups, options);
  }
  if (!r.ok()) {
    c.rejected[static_cast<int>(ReasonOf(r.status()))]++;
    if (absl::IsPermissionDenied(r.status()) && audit_ != nullptr) {
      audit_->RecordRepeated("permission.denied", who.name, std::string(r.status().message()),
                             {{"action", "write"}, {"transport", FrontDoorName(origin.door)}});
    }
    return r.status();
  }
  if (r->duplicate) {
    c.duplicates++;
  } else {
    c.points += r->points;
    if (stats_ != nullptr) stats_->RecordWrite(who, *groups, r->points, origin.bytes, origin.peer);
  }
  return r;
}

}  // namespace telemdb::ingest
