// AuditLog: an append-only trail of authentication failures, permission denials, token
// changes, admin operations and configuration changes, as JSON lines in its own file.
//
// Tamper evidence: every record carries `mac`, an HMAC-SHA256 (keyed by a server secret kept
// in the database) over the previous record's `mac` and this record's content, so editing or
// deleting a line breaks the chain at that line; the newest link (sequence and mac) is also
// anchored in the database on every append, so cutting the tail is detected too. Verify()
// checks both. No secrets ever enter the log (token ids only, never tokens).
//
// Thread safety: thread-safe.
#ifndef TELEMDB_SERVER_AUDIT_AUDIT_LOG_H_
#define TELEMDB_SERVER_AUDIT_AUDIT_LOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace telemdb::storage {
class Db;
namespace crypto {
class RecordCipher;
}
}  // namespace telemdb::storage

namespace telemdb::audit {

struct VerifyResult {
  bool ok = false;
  uint64_t records = 0;
  std::string problem;  // which line and what is wrong, when !ok
};

class AuditLog {
 public:
  // Opens (creating) the log at `path`; the HMAC secret and the anchor live in `db`. With a
  // `cipher` (encryption at rest), each record's content is sealed with AES-256-GCM:
  // {"seq","key","sealed","mac"}; the chain still verifies without the key.
  // Errors: the file cannot be opened; the database fails.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(
      const std::string& path, storage::Db* db,
      std::unique_ptr<storage::crypto::RecordCipher> cipher = nullptr);
  ~AuditLog();

  // Appends one record: {"seq", "ts", "event", "who", "outcome", fields...}. Failures to
  // write are logged, never thrown at the caller's request.
  void Record(const std::string& event, const std::string& who, const std::string& outcome,
              const std::vector<std::pair<std::string, std::string>>& fields = {});

  // Re-reads the whole file and checks the chain and the anchor.
  absl::StatusOr<VerifyResult> Verify();

  const std::string& path() const { return path_; }

 private:
  AuditLog(std::string path, storage::Db* db);

  std::string path_;
  storage::Db* db_;
  absl::Mutex mu_;
  int fd_ ABSL_GUARDED_BY(mu_) = -1;
  std::string secret_;  // HMAC key, 32 bytes
  std::unique_ptr<storage::crypto::RecordCipher> cipher_;
  uint64_t seq_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_mac_ ABSL_GUARDED_BY(mu_);
};

}  // namespace telemdb::audit

#endif  // TELEMDB_SERVER_AUDIT_AUDIT_LOG_H_
