// TokenSync: bearer tokens shared by every node through the JetStream key-value bucket
// TELEMDB_TOKENS (docs/cluster.md, "Tokens"): key = token id, value = the token's shared
// record (auth/token_record.h). Local changes go into the bucket through the TokenStore's
// change hook; one thread watches the bucket and applies every change with TokenStore::Apply.
//
// Start-up (and every re-attach after the watch failed): the watcher first delivers every
// record the bucket holds, which are applied; then this node's tokens the bucket lacks (made
// before the cluster started, such as a first-start admin token, or while the bucket was
// unreachable) and changes whose put failed are put. Then it applies changes as they come.
//
// While the bucket cannot be reached the node serves with its own store: changes made here
// stay here (and are put, every second, until NATS takes them); changes made elsewhere
// arrive when the watch resumes.
//
// Lock order: the TokenStore's change lock, then mu_, then the TokenStore's record lock.
#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "auth/token_store.h"
#include "cluster/node_internal.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace telemdb::cluster {
namespace {

constexpr char kTokenBucket[] = "TELEMDB_TOKENS";
constexpr char kTokenStream[] = "KV_TELEMDB_TOKENS";  // the bucket's stream
// How long the thread waits for the next change before it looks at stop and pending puts.
constexpr int64_t kPollMs = 250;
// How long the initial values may take to arrive, each.
constexpr int64_t kInitialMs = 5000;

}  // namespace

class TokenSync : public std::enable_shared_from_this<TokenSync> {
 public:
  TokenSync(Node::Rep* rep, auth::TokenStore* tokens) : rep_(rep), tokens_(tokens) {}
  TokenSync(const TokenSync&) = delete;
  TokenSync& operator=(const TokenSync&) = delete;
  ~TokenSync() { Stop(); }

  // Sets the hook, attaches once, and starts the thread (which attaches again later when
  // this attempt failed). Returns the first attempt's status.
  absl::Status Start() {
    std::weak_ptr<TokenSync> self = weak_from_this();
    tokens_->SetOnChange([self](const std::string& id, const std::string& record) {
      if (auto sync = self.lock()) {
        absl::MutexLock l(&sync->mu_);
        sync->PutLocked(id, record);
      }
    });
    absl::Status first = Attach();
    if (!first.ok()) last_error_ = first.ToString();  // the caller logs it
    thread_ = std::thread([this] { Loop(); });
    return first;
  }

  // Idempotent.
  void Stop() {
    if (stop_.exchange(true)) return;
    tokens_->SetOnChange(nullptr);
    {
      absl::MutexLock l(&wait_mu_);
      wait_cv_.SignalAll();
    }
    if (thread_.joinable()) thread_.join();
    Detach();
    absl::MutexLock l(&mu_);
    if (kv_ != nullptr) kvStore_Destroy(kv_);
    kv_ = nullptr;
  }

 private:
  absl::Status OpenBucket() {
    {
      absl::MutexLock l(&mu_);
      if (kv_ != nullptr) return absl::OkStatus();
    }
    kvStore* kv = nullptr;
    absl::Duration ttl;
    RETURN_IF_ERROR(OpenOrCreateBucket(rep_, kTokenBucket,
                                       "telemdb bearer tokens, hashed (docs/cluster.md)",
                                       absl::ZeroDuration(), &kv, &ttl));
    if (ttl != absl::ZeroDuration()) {
      kvStore_Destroy(kv);
      return absl::FailedPreconditionError(absl::StrCat(
          "bucket TELEMDB_TOKENS has a TTL of ", absl::FormatDuration(ttl),
          "; tokens would vanish from it (recreate it without a TTL, or let telemdbd make it)"));
    }
    absl::MutexLock l(&mu_);
    kv_ = kv;
    return absl::OkStatus();
  }

  // Opens the bucket and a watch of it, applies what it holds, then puts what it lacks.
  absl::Status Attach() {
    RETURN_IF_ERROR(OpenBucket());
    kvStore* kv = nullptr;
    {
      absl::MutexLock l(&mu_);
      kv = kv_;
    }
    // Everything up to the bucket's last revision now is in the watch's initial values (or
    // gone from the bucket).
    uint64_t seen = BucketRevision();
    kvWatchOptions wo;
    kvWatchOptions_Init(&wo);
    natsStatus s = kvStore_WatchAll(&watcher_, kv, &wo);
    if (s != NATS_OK) {
      watcher_ = nullptr;
      return NatsError("watching bucket TELEMDB_TOKENS", s);
    }
    std::set<std::string> in_bucket;
    for (;;) {
      kvEntry* e = nullptr;
      s = kvWatcher_Next(&e, watcher_, kInitialMs);
      if (s != NATS_OK) {
        Detach();
        return NatsError("reading bucket TELEMDB_TOKENS", s);
      }
      if (e == nullptr) break;  // the initial values are done
      if (kvEntry_Operation(e) == kvOp_Put) in_bucket.insert(kvEntry_Key(e));
      seen = std::max(seen, kvEntry_Revision(e));
      Take(e);
      kvEntry_Destroy(e);
    }
    seen_revision_ = seen;
    behind_since_ = absl::InfiniteFuture();
    size_t pushed = 0;
    PutCurrent([&](const std::string& id) ABSL_NO_THREAD_SAFETY_ANALYSIS {
      const bool want = in_bucket.count(id) == 0 || pending_.count(id) != 0;
      pushed += want;
      return want;
    });
    Log(LogLevel::kInfo, "cluster.tokens_attached",
        {{"in_bucket", static_cast<uint64_t>(in_bucket.size())},
         {"put", static_cast<uint64_t>(pushed)}});
    return absl::OkStatus();
  }

  // The bucket's last revision (its stream's last sequence); 0 when it cannot be read.
  uint64_t BucketRevision() {
    jsStreamInfo* si = nullptr;
    jsErrCode je = static_cast<jsErrCode>(0);
    if (js_GetStreamInfo(&si, rep_->js, kTokenStream, nullptr, &je) != NATS_OK) return 0;
    const uint64_t last = si->State.LastSeq;
    jsStreamInfo_Destroy(si);
    return last;
  }

  // True when the watch has not delivered a revision the bucket has held for a second: its
  // consumer was lost (a NATS outage), which the watch itself notices only after missed
  // heartbeats (~20 s measured); attaching again catches up at once.
  bool Behind() {
    const uint64_t last = BucketRevision();
    const absl::Time now = absl::Now();
    if (last <= seen_revision_) {
      behind_since_ = absl::InfiniteFuture();
      return false;
    }
    if (behind_since_ == absl::InfiniteFuture() || seen_revision_ >= behind_target_) {
      behind_since_ = now;  // behind a revision that may just be on its way
      behind_target_ = last;
      return false;
    }
    if (now - behind_since_ < absl::Seconds(1)) return false;
    Log(LogLevel::kWarning, "cluster.tokens_watch_behind",
        {{"bucket_revision", last},
         {"seen_revision", seen_revision_},
         {"note", "attaching again"}});
    return true;
  }

  void Detach() {
    if (watcher_ == nullptr) return;
    (void)kvWatcher_Stop(watcher_);
    kvWatcher_Destroy(watcher_);
    watcher_ = nullptr;
  }

  // One change from the bucket.
  void Take(kvEntry* e) {
    const std::string key = kvEntry_Key(e);
    seen_revision_ = std::max(seen_revision_, kvEntry_Revision(e));
    if (kvEntry_Operation(e) != kvOp_Put) {
      // Tokens are never deleted (revoked ones stay listed): put ours back.
      Log(LogLevel::kWarning, "cluster.token_key_deleted",
          {{"key", key.substr(0, 64)}, {"note", "putting this node's record back"}});
      PutCurrent([&key](const std::string& id) { return id == key; });
      return;
    }
    const std::string_view value(static_cast<const char*>(kvEntry_Value(e)),
                                 static_cast<size_t>(kvEntry_ValueLen(e)));
    absl::Status s = tokens_->Apply(value, key);
    if (!s.ok()) {
      Log(LogLevel::kError, "cluster.token_record_refused",
          {{"key", key.substr(0, 64)}, {"revision", kvEntry_Revision(e)}, {"error", s.ToString()}});
    }
  }

  // Puts this node's current record of each token `want` names. mu_ is held from reading
  // the records to the last put, so that a change made meanwhile is put after them (its
  // hook waits for mu_), never overwritten by an older record.
  void PutCurrent(const std::function<bool(const std::string&)>& want) {
    absl::MutexLock l(&mu_);
    for (const auto& [id, record] : tokens_->SharedRecords()) {
      if (want(id)) PutLocked(id, record);
    }
  }

  // Puts one record (the hook's: changes are serialized, so it is the token's latest).
  void PutLocked(const std::string& id, const std::string& record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (kv_ == nullptr || stop_) {
      pending_.insert(id);
      return;
    }
    uint64_t revision = 0;
    natsStatus s =
        kvStore_Put(&revision, kv_, id.c_str(), record.data(), static_cast<int>(record.size()));
    if (s == NATS_OK) {
      if (pending_.erase(id) != 0) {
        Log(LogLevel::kInfo, "cluster.token_put", {{"token_id", id}, {"note", "after a retry"}});
      }
      return;
    }
    if (pending_.insert(id).second) {
      Log(LogLevel::kWarning, "cluster.token_put_failed",
          {{"token_id", id},
           {"error", NatsError("putting into bucket TELEMDB_TOKENS", s).ToString()},
           {"note", "in effect on this node; put again every second until NATS takes it"}});
    }
  }

  bool HavePending() {
    absl::MutexLock l(&mu_);
    return !pending_.empty();
  }

  // True when stopping.
  bool Wait(absl::Duration d) {
    absl::MutexLock l(&wait_mu_);
    if (!stop_) wait_cv_.WaitWithTimeout(&wait_mu_, d);
    return stop_;
  }

  void Loop() {
    absl::Time next_retry = absl::Now();
    absl::Time next_check = absl::Now() + absl::Seconds(1);
    bool attach_now = false;
    while (!stop_) {
      if (watcher_ == nullptr) {
        if (!attach_now && Wait(absl::Seconds(2))) break;
        attach_now = false;
        absl::Status s = Attach();
        if (!s.ok() && s.ToString() != last_error_) {
          last_error_ = s.ToString();
          Log(LogLevel::kWarning, "cluster.tokens_unavailable",
              {{"error", last_error_}, {"note", "serving with this node's own tokens"}});
        }
        if (s.ok()) last_error_.clear();
        continue;
      }
      kvEntry* e = nullptr;
      natsStatus s = kvWatcher_Next(&e, watcher_, kPollMs);
      if (s == NATS_OK && e != nullptr) {
        Take(e);
        kvEntry_Destroy(e);
      } else if (s != NATS_OK && s != NATS_TIMEOUT) {
        Log(LogLevel::kWarning, "cluster.tokens_watch_failed",
            {{"error", NatsError("watching bucket TELEMDB_TOKENS", s).ToString()},
             {"note", "attaching again"}});
        Detach();
      }
      if (watcher_ != nullptr && absl::Now() >= next_check) {
        next_check = absl::Now() + absl::Seconds(1);
        if (Behind()) {
          Detach();
          attach_now = true;
        }
      }
      if (HavePending() && absl::Now() >= next_retry) {
        next_retry = absl::Now() + absl::Seconds(1);
        PutCurrent([this](const std::string& id)
                       ABSL_NO_THREAD_SAFETY_ANALYSIS { return pending_.count(id) != 0; });
      }
    }
  }

  Node::Rep* const rep_;
  auth::TokenStore* const tokens_;
  std::atomic<bool> stop_{false};
  absl::Mutex mu_;
  kvStore* kv_ ABSL_GUARDED_BY(mu_) = nullptr;
  // Tokens whose latest change is not in the bucket yet.
  std::set<std::string> pending_ ABSL_GUARDED_BY(mu_);
  // The thread's (and, before it starts, Start's).
  kvWatcher* watcher_ = nullptr;
  uint64_t seen_revision_ = 0;  // the highest revision the watch delivered (or skipped)
  absl::Time behind_since_ = absl::InfiniteFuture();
  uint64_t behind_target_ = 0;
  std::string last_error_;
  std::thread thread_;
  absl::Mutex wait_mu_;
  absl::CondVar wait_cv_;
};

void StopTokenSync(Node::Rep* rep) {
  if (rep->token_sync) rep->token_sync->Stop();
}

absl::Status Node::StartTokenSync(auth::TokenStore* tokens) {
  if (tokens == nullptr) return absl::InvalidArgumentError("StartTokenSync: no token store");
  if (rep_->stopping) return absl::UnavailableError("the cluster node is stopping");
  if (rep_->token_sync) return absl::FailedPreconditionError("token sync is already started");
  rep_->token_sync = std::make_shared<TokenSync>(rep_.get(), tokens);
  return rep_->token_sync->Start();
}

}  // namespace telemdb::cluster
