// Notifier: notification targets (webhooks) and the queue of deliveries to them.
//
// Targets are named (`telemdb admin target create NAME --url URL`), each with its own
// secret that signs every delivery (webhook.h); they are kept in the database under
// `alert/target/<name>` (the secret too: it must sign; with encryption at rest it is
// encrypted like everything else). A secret is shown once, when created.
//
// The queue is persisted: each notification is a record `alert/notify/<seq>` written in the
// same atomic batch as the alert state change that caused it (Stage, then the caller's
// Db::WriteMeta, then Commit), so a firing alert is never lost, whether the receiver is down
// for an hour or telemdbd restarts meanwhile. Delivery is at least once: a record is deleted
// only after a 2xx answer (deletions are batched; a crash in between re-delivers, with the
// same idempotency key in the body). Per target, notifications go out in order, one at a
// time; a failure (no connection, timeout, any non-2xx) retries the same notification after
// an exponential backoff (backoff_min doubling up to backoff_max, ±20 % jitter) and holds
// the target's later ones behind it. Targets do not wait for each other (`threads`).
//
// Bounded: at most `max_queued` notifications. When a new one would exceed it, the oldest
// queued reminder is dropped, else the oldest notification; drops are counted, logged and
// audited (`notify.dropped`).
//
// Thread safety: thread-safe.
#ifndef TELEMDB_ALERT_NOTIFIER_H_
#define TELEMDB_ALERT_NOTIFIER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "alert/alert_event.h"
#include "alert/webhook.h"
#include "storage/db.h"

namespace telemdb::auth {
class AuditLog;
}

namespace telemdb::alert {

struct NotifierOptions {
  // Notifications waiting for delivery, over every target. Default: 10,000.
  size_t max_queued = 10'000;
  // One delivery attempt, from connect to the answer. Default: 10 s.
  absl::Duration timeout = absl::Seconds(10);
  // Retry backoff: the first wait and the cap. Default: 1 s and 5 min.
  absl::Duration backoff_min = absl::Seconds(1);
  absl::Duration backoff_max = absl::Minutes(5);
  // Delivery threads (targets in parallel). Default: 2.
  int threads = 2;
  // Deliver on own threads; false: the caller calls DeliverDue (tests). Default: true.
  bool background = true;
  // "telemdb/<version>" for the User-Agent header. Default: "telemdb".
  std::string user_agent = "telemdb";
};

struct TargetInfo {
  std::string name;
  std::string url;
  int64_t created_ns = 0;
  std::string created_by;
  uint64_t queued = 0;
  uint64_t delivered = 0;
  uint64_t failed_attempts = 0;
  uint64_t dropped = 0;
  int consecutive_failures = 0;
  std::string last_error;
  int64_t last_delivery_ns = 0;
  int64_t next_attempt_ns = 0;
};

// A notification to send: the event, to one target.
struct Outgoing {
  std::string target;
  AlertEvent event;
};

// A queued notification (its record in the database is this as JSON).
struct QueuedNotification {
  uint64_t seq = 0;
  std::string target;
  std::string id;  // the event's idempotency key
  std::string body;
  bool reminder = false;
  int64_t created_ns = 0;
  uint32_t attempts = 0;
};

class Notifier {
 public:
  // Loads the targets and the queue. Errors: the database fails.
  static absl::StatusOr<std::unique_ptr<Notifier>> Open(storage::Db* db, NotifierOptions options,
                                                        auth::AuditLog* audit);
  ~Notifier();  // Stop()
  // Stops delivering (what is queued stays in the database). Idempotent.
  void Stop();

  // Creates target `name` posting to `url`, signed with `secret` (generated when empty: 32
  // random bytes, hex). Returns the secret. Errors: InvalidArgument (name, URL, a secret
  // shorter than 16 bytes), AlreadyExists.
  absl::StatusOr<std::string> CreateTarget(const std::string& name, const std::string& url,
                                           std::string secret, const std::string& who);
  // Deletes a target and drops its queued notifications. Errors: NotFound.
  absl::Status DeleteTarget(const std::string& name);
  std::vector<TargetInfo> ListTargets() const;
  bool HasTarget(const std::string& name) const;

  struct Staged {
    std::vector<QueuedNotification> items;
    std::vector<uint64_t> evicted;
  };
  // Prepares `out` (notifications to unknown targets are skipped): their records and the
  // deletions of evicted ones are appended to *ops, which the caller writes atomically with
  // its own changes, then passes the result to Commit (or drops it if the write failed).
  Staged Stage(const std::vector<Outgoing>& out, storage::Db::MetaOps* ops);
  void Commit(Staged staged);

  // One round of deliveries due now, on the calling thread (background = false).
  void DeliverDue();
  // Writes pending deletions of delivered records.
  void FlushDeletes();
  // Notifications queued now.
  size_t queued() const;

 private:
  using Item = QueuedNotification;
  struct Target {
    std::string name;
    WebhookUrl url;
    std::string secret;
    int64_t created_ns = 0;
    std::string created_by;
    std::deque<uint64_t> queue;  // seqs, oldest first
    bool busy = false;
    int64_t next_attempt_ns = 0;
    TargetInfo stats;
  };

  Notifier(storage::Db* db, NotifierOptions options, auth::AuditLog* audit);
  absl::Status Load();
  void Run();
  // Picks a target with a due notification and marks it busy; false if none.
  bool PickLocked(int64_t now, std::string* target, Item* item) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Deliver(const std::string& target, const Item& item);
  void EvictLocked(uint64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static std::string Key(uint64_t seq);

  storage::Db* const db_;
  const NotifierOptions options_;
  auth::AuditLog* const audit_;
  mutable absl::Mutex mu_;
  std::map<std::string, Target> targets_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, Item> items_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t staged_ ABSL_GUARDED_BY(mu_) = 0;              // staged, not yet committed
  std::vector<uint64_t> delivered_ ABSL_GUARDED_BY(mu_);  // records to delete
  int64_t last_flush_ns_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool kick_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace telemdb::alert

#endif  // TELEMDB_ALERT_NOTIFIER_H_
