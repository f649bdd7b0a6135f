// IdentityStats: what each identity writes, kept by the server for the operator
// (`telemdb admin identities`, docs/security.md "Identities"): points, write requests,
// series touched, distinct measurements, bytes, first and last seen, last peer; which write
// scope would be enough for what it actually wrote ("narrow to write:device=truck_7"); and,
// when enabled, a behavioural baseline that audits `identity.anomaly` when an identity
// suddenly writes measurements or tag values it never wrote before, or at many times its
// usual rate.
//
// Bounded per identity: series are counted exactly up to 64 distinct series, then estimated
// with a HyperLogLog of 1,024 registers (about 3% error); at most 256 measurements and, per
// tag key (at most 32 keys), 64 distinct values are remembered — past that a key is "open"
// (many values: never an anomaly, no narrower scope suggested). At most `max_identities`
// identities are tracked; writes of further identities are counted as untracked.
//
// Persisted in the database (meta `identity/<name>`) every `persist_interval` and at
// Close(), so the figures and baselines survive restarts (at most one interval of counts
// is lost in a crash).
//
// Thread safety: thread-safe.
#ifndef TELEMDB_AUTH_IDENTITY_STATS_H_
#define TELEMDB_AUTH_IDENTITY_STATS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/scopes.h"
#include "storage/types.h"

namespace telemdb::storage {
class Db;
}

namespace telemdb::auth {

class AuditLog;

struct IdentityStatsOptions {
  // Audit `identity.anomaly` events. Default: false (--identity-anomaly).
  bool anomaly_detection = false;
  // How long after an identity's first write what it writes is its baseline.
  // Default: 1 h (--identity-anomaly-learning).
  absl::Duration learning = absl::Hours(1);
  // A minute with more than this many times the identity's usual points per minute is an
  // anomaly (0: rate not checked). Default: 10 (--identity-anomaly-rate-factor).
  double rate_factor = 10;
  // ... and at least this many points (small numbers are noise). Default: 1,000.
  uint64_t rate_min_points = 1000;
  // Identities tracked. Default: 100,000.
  size_t max_identities = 100'000;
  // How often changed figures are written to the database. Default: 10 s.
  absl::Duration persist_interval = absl::Seconds(10);
  // ns since the epoch. Default: the real clock.
  std::function<int64_t()> now;
};

// One identity's figures, as `telemdb admin identities` shows them.
struct IdentityReport {
  std::string name;
  std::string kind;                 // "token", "certificate", "anonymous"
  std::vector<std::string> scopes;  // as of its last write
  uint64_t writes = 0;
  uint64_t points = 0;
  uint64_t bytes = 0;
  uint64_t series = 0;  // distinct series (measurement + tag set) written; estimate past 64
  bool series_estimated = false;
  uint64_t measurements = 0;  // distinct measurements (capped at 256: "256+")
  bool measurements_capped = false;
  int64_t first_seen_ns = 0;
  int64_t last_seen_ns = 0;
  std::string last_peer;
  // A write scope narrower than the current ones that covers everything written, or "".
  std::string suggestion;
  uint64_t anomalies = 0;
};

class IdentityStats {
 public:
  // Loads what was persisted. `audit` may be null. Errors: the database fails.
  static absl::StatusOr<std::unique_ptr<IdentityStats>> Open(storage::Db* db, AuditLog* audit,
                                                             IdentityStatsOptions options);
  ~IdentityStats();  // persists and stops

  // Counts one accepted write of `who` (its validated groups).
  void RecordWrite(const Identity& who, const std::vector<storage::SeriesBatch>& groups,
                   uint64_t points, uint64_t bytes, std::string_view peer);

  // Every tracked identity, by name.
  std::vector<IdentityReport> Report() const;
  uint64_t untracked_writes() const;
  uint64_t anomalies() const;

  // Writes the changed figures now. Errors: the database fails.
  absl::Status Persist();

 private:
  struct State;
  IdentityStats(storage::Db* db, AuditLog* audit, IdentityStatsOptions options);
  int64_t Now() const;
  absl::Status Load();
  void PersistLoop();
  // What is anomalous about `groups` for state `s` (empty: nothing).
  void CheckAnomalies(const std::string& name, State& s,
                      const std::vector<storage::SeriesBatch>& groups, uint64_t points,
                      int64_t now);

  storage::Db* const db_;
  AuditLog* const audit_;
  const IdentityStatsOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<State>> states_ ABSL_GUARDED_BY(mu_);
  uint64_t untracked_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<uint64_t> anomalies_{0};  // not under mu_: counted while a State's mu is held
  absl::Mutex persist_mu_;              // one Persist at a time
  absl::Mutex stop_mu_;
  bool stop_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread persister_;
};

}  // namespace telemdb::auth

#endif  // TELEMDB_AUTH_IDENTITY_STATS_H_
