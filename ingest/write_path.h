// WritePath: what every front door (gRPC, HTTP, MQTT) does with a write once its transport
// has parsed it into storage batches. One code path, so that validation, authorization,
// atomicity, idempotency, limits and audit are the same whatever the transport:
//
//   validate the whole batch -> check the identity's write scopes -> idempotency window
//   (per identity and producer) -> WAL (group commit) -> ack
//
// plus the bookkeeping that belongs to a write: per-identity statistics (auth/
// identity_stats.h), denials audited (aggregated per identity), and counters per front door
// for /metrics and `admin stats`.
//
// Thread safety: thread-safe.
#ifndef TELEMDB_INGEST_WRITE_PATH_H_
#define TELEMDB_INGEST_WRITE_PATH_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/scopes.h"
#include "storage/db.h"

namespace telemdb::auth {
class AuditLog;
class IdentityStats;
}  // namespace telemdb::auth

namespace telemdb::ingest {

enum class FrontDoor : int { kGrpc = 0, kHttp = 1, kMqtt = 2 };
inline constexpr int kFrontDoors = 3;
const char* FrontDoorName(FrontDoor d);

// Where a write came from.
struct Origin {
  FrontDoor door = FrontDoor::kGrpc;
  std::string peer;    // client address, for the identity's last use
  uint64_t bytes = 0;  // request size on the wire
};

// Why writes were refused, for counters.
enum class RejectReason : int {
  kInvalid = 0,  // malformed input (INVALID_ARGUMENT)
  kDenied = 1,   // outside the identity's scopes (PERMISSION_DENIED)
  kUnauthenticated = 2,
  kOverloaded = 3,   // memory budget, cardinality limit (RESOURCE_EXHAUSTED)
  kUnavailable = 4,  // shutting down, WAL failed
  kOther = 5,
};
inline constexpr int kRejectReasons = 6;
const char* RejectReasonName(RejectReason r);
RejectReason ReasonOf(const absl::Status& s);

struct DoorCounters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> points{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> duplicates{0};
  std::array<std::atomic<uint64_t>, kRejectReasons> rejected{};
};

// Where validated and authorized writes go instead of the local engine: cluster mode
// (cluster/node.h) publishes them to the replicated log. Implementations are thread-safe.
class WriteForwarder {
 public:
  virtual ~WriteForwarder() = default;
  // Stores `groups` (validated, tags sorted, authorized) as written by `identity`.
  // Returns WriteResult::duplicate when the whole request was a retry; `points` is the
  // caller's. Errors: Unavailable (the log refused it or a confirmation timed out).
  virtual absl::StatusOr<storage::WriteResult> Forward(
      const std::string& identity, const std::vector<storage::SeriesBatch>& groups,
      const storage::WriteOptions& options) = 0;
};

class WritePath {
 public:
  // `audit` and `stats` may be null.
  WritePath(storage::Db* db, auth::AuditLog* audit, auth::IdentityStats* stats)
      : db_(db), audit_(audit), stats_(stats) {}

  // Writes `groups` as `who`, atomically (see storage::Db::Write). `options.identity` and
  // `options.authorize` are set here. Errors: those of Db::Write; PermissionDenied naming
  // the first series outside the identity's scopes or of a reserved measurement (names
  // starting with '_', auth/reserved.h) (nothing stored, audited).
  absl::StatusOr<storage::WriteResult> Write(const auth::Identity& who,
                                             std::vector<storage::SeriesBatch>* groups,
                                             storage::WriteOptions options, const Origin& origin);
  // Cluster mode: writes are validated and authorized here as always, then handed to
  // `forwarder` instead of the local engine. Set before the front doors start; it must
  // outlive this object's use. Default: none (writes go to the local engine).
  void SetForwarder(WriteForwarder* forwarder) { forwarder_ = forwarder; }

  // Counts a request refused before it reached Write (unauthenticated, unparseable).
  void CountRejected(FrontDoor door, const absl::Status& s);
  // Prometheus staleness markers dropped (docs/http.md).
  void CountStaleMarkers(uint64_t n) { stale_markers_ += n; }
  uint64_t stale_markers() const { return stale_markers_.load(); }

  const DoorCounters& counters(FrontDoor d) const { return counters_[static_cast<int>(d)]; }
  storage::Db* db() const { return db_; }
  auth::AuditLog* audit() const { return audit_; }

 private:
  absl::StatusOr<storage::WriteResult> Forward(const auth::Identity& who,
                                               std::vector<storage::SeriesBatch>* groups,
                                               const storage::WriteOptions& options);

  storage::Db* db_;
  auth::AuditLog* audit_;
  auth::IdentityStats* stats_;
  WriteForwarder* forwarder_ = nullptr;
  std::array<DoorCounters, kFrontDoors> counters_;
  std::atomic<uint64_t> stale_markers_{0};
};

}  // namespace telemdb::ingest

#endif  // TELEMDB_INGEST_WRITE_PATH_H_
