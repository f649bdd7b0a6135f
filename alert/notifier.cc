#include "alert/notifier.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "alert/rule.h"
#include "auth/audit_log.h"
#include "nlohmann/json.hpp"
#include "storage/crypto/openssl_util.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace telemdb::alert {
namespace {

constexpr char kTargetPrefix[] = "alert/target/";
constexpr char kNotifyPrefix[] = "alert/notify/";

std::string ItemJson(const QueuedNotification& it) {
  nlohmann::json j;
  j["target"] = it.target;
  j["id"] = it.id;
  j["body"] = it.body;
  j["reminder"] = it.reminder;
  j["created_ns"] = it.created_ns;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string Notifier::Key(uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020llu", static_cast<unsigned long long>(seq));
  return absl::StrCat(kNotifyPrefix, buf);
}

Notifier::Notifier(storage::Db* db, NotifierOptions options, auth::AuditLog* audit)
    : db_(db), options_(std::move(options)), audit_(audit) {}

absl::StatusOr<std::unique_ptr<Notifier>> Notifier::Open(storage::Db* db, NotifierOptions options,
                                                         auth::AuditLog* audit) {
  std::unique_ptr<Notifier> n(new Notifier(db, std::move(options), audit));
  RETURN_IF_ERROR(n->Load());
  if (n->options_.background) {
    for (int i = 0; i < std::max(1, n->options_.threads); i++) {
      n->threads_.emplace_back([p = n.get()] { p->Run(); });
    }
  }
  return n;
}

Notifier::~Notifier() { Stop(); }

void Notifier::Stop() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
  FlushDeletes();
}

absl::Status Notifier::Load() {
  ASSIGN_OR_RETURN(auto targets, db_->ScanMeta(kTargetPrefix));
  absl::MutexLock l(&mu_);
  for (const auto& [key, value] : targets) {
    auto j = nlohmann::json::parse(value, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      Log(LogLevel::kError, "notify.bad_target_record", {{"key", key}});
      continue;
    }
    Target t;
    t.name = j.value("name", "");
    auto url = ParseWebhookUrl(j.value("url", ""));
    if (t.name.empty() || !url.ok()) {
      Log(LogLevel::kError, "notify.bad_target_record", {{"key", key}});
      continue;
    }
    t.url = *url;
    t.secret = j.value("secret", "");
    t.created_ns = j.value("created_ns", int64_t{0});
    t.created_by = j.value("created_by", "");
    targets_[t.name] = std::move(t);
  }
  ASSIGN_OR_RETURN(auto queued, db_->ScanMeta(kNotifyPrefix));
  for (const auto& [key, value] : queued) {
    uint64_t seq = 0;
    auto j = nlohmann::json::parse(value, nullptr, false);
    if (!absl::SimpleAtoi(key.substr(sizeof(kNotifyPrefix) - 1), &seq) || j.is_discarded() ||
        !j.is_object()) {
      Log(LogLevel::kError, "notify.bad_queue_record", {{"key", key}});
      continue;
    }
    Item it;
    it.seq = seq;
    it.target = j.value("target", "");
    it.id = j.value("id", "");
    it.body = j.value("body", "");
    it.reminder = j.value("reminder", false);
    it.created_ns = j.value("created_ns", int64_t{0});
    next_seq_ = std::max(next_seq_, seq + 1);
    auto t = targets_.find(it.target);
    if (t == targets_.end()) {
      delivered_.push_back(seq);  // its target is gone: drop the record
      continue;
    }
    t->second.queue.push_back(seq);
    items_[seq] = std::move(it);
  }
  if (!items_.empty()) {
    Log(LogLevel::kInfo, "notify.queue_loaded", {{"notifications", items_.size()}});
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Notifier::CreateTarget(const std::string& name, const std::string& url,
                                                   std::string secret, const std::string& who) {
  RETURN_IF_ERROR(ValidateRuleName(name, "target name"));
  ASSIGN_OR_RETURN(WebhookUrl parsed, ParseWebhookUrl(url));
  if (secret.empty()) {
    std::string raw(32, '\0');
    RETURN_IF_ERROR(storage::crypto::RandomBytes(raw.data(), raw.size()));
    secret = storage::crypto::Hex(raw);
  } else if (secret.size() < 16 || secret.size() > 1024) {
    return absl::InvalidArgumentError("a target's secret must be 16 to 1024 bytes");
  }
  absl::MutexLock l(&mu_);
  if (targets_.contains(name)) {
    return absl::AlreadyExistsError(absl::StrCat("notification target \"", name, "\" exists"));
  }
  Target t;
  t.name = name;
  t.url = parsed;
  t.secret = secret;
  t.created_ns = absl::GetCurrentTimeNanos();
  t.created_by = who;
  nlohmann::json j;
  j["name"] = name;
  j["url"] = url;
  j["secret"] = secret;
  j["created_ns"] = t.created_ns;
  j["created_by"] = who;
  RETURN_IF_ERROR(db_->PutMeta(absl::StrCat(kTargetPrefix, name), j.dump()));
  targets_[name] = std::move(t);
  return secret;
}

absl::Status Notifier::DeleteTarget(const std::string& name) {
  absl::MutexLock l(&mu_);
  auto t = targets_.find(name);
  if (t == targets_.end()) {
    return absl::NotFoundError(absl::StrCat("no notification target \"", name, "\""));
  }
  if (t->second.busy) {
    mu_.Await(absl::Condition(
        +[](Target* tt) { return !tt->busy; }, &t->second));
  }
  storage::Db::MetaOps ops;
  ops.emplace_back(absl::StrCat(kTargetPrefix, name), std::nullopt);
  for (uint64_t seq : t->second.queue) {
    ops.emplace_back(Key(seq), std::nullopt);
    items_.erase(seq);
  }
  const size_t dropped = t->second.queue.size();
  RETURN_IF_ERROR(db_->WriteMeta(ops));
  targets_.erase(t);
  if (dropped > 0) {
    Log(LogLevel::kWarning, "notify.target_deleted_with_queue",
        {{"target", name}, {"dropped", dropped}});
  }
  return absl::OkStatus();
}

std::vector<TargetInfo> Notifier::ListTargets() const {
  absl::MutexLock l(&mu_);
  std::vector<TargetInfo> out;
  for (const auto& [name, t] : targets_) {
    TargetInfo i = t.stats;
    i.name = name;
    i.url = t.url.text;
    i.created_ns = t.created_ns;
    i.created_by = t.created_by;
    i.queued = t.queue.size();
    i.next_attempt_ns = t.queue.empty() ? 0 : t.next_attempt_ns;
    out.push_back(std::move(i));
  }
  return out;
}

bool Notifier::HasTarget(const std::string& name) const {
  absl::MutexLock l(&mu_);
  return targets_.contains(name);
}

size_t Notifier::queued() const {
  absl::MutexLock l(&mu_);
  return items_.size();
}

void Notifier::EvictLocked(uint64_t seq) {
  auto it = items_.find(seq);
  if (it == items_.end()) return;
  auto t = targets_.find(it->second.target);
  if (t != targets_.end()) {
    auto& q = t->second.queue;
    // The head may be in flight: it stays until its attempt ends.
    if (!(t->second.busy && !q.empty() && q.front() == seq)) {
      q.erase(std::remove(q.begin(), q.end(), seq), q.end());
      t->second.stats.dropped++;
    }
  }
  items_.erase(it);
}

Notifier::Staged Notifier::Stage(const std::vector<Outgoing>& out, storage::Db::MetaOps* ops) {
  Staged st;
  absl::MutexLock l(&mu_);
  const int64_t now = absl::GetCurrentTimeNanos();
  // Candidates for eviction, oldest first: reminders, then everything.
  std::vector<uint64_t> reminders, all;
  size_t ai = 0;
  bool listed = false;
  size_t dropped = 0;
  for (const Outgoing& o : out) {
    if (!targets_.contains(o.target)) continue;
    if (items_.size() + staged_ + st.items.size() - st.evicted.size() >= options_.max_queued) {
      if (!listed) {
        for (const auto& [seq, it] : items_) {
          (it.reminder ? reminders : all).push_back(seq);
        }
        all.insert(all.begin(), reminders.begin(), reminders.end());
        listed = true;
      }
      if (o.event.reminder || ai >= all.size()) {
        dropped++;  // a new reminder never pushes out an older notification
        continue;
      }
      st.evicted.push_back(all[ai++]);
      ops->emplace_back(Key(st.evicted.back()), std::nullopt);
      dropped++;
    }
    Item it;
    it.seq = next_seq_++;
    it.target = o.target;
    it.id = o.event.id;
    it.body = o.event.ToJson();
    it.reminder = o.event.reminder;
    it.created_ns = now;
    ops->emplace_back(Key(it.seq), ItemJson(it));
    st.items.push_back(std::move(it));
  }
  staged_ += st.items.size();
  if (dropped > 0) {
    Log(LogLevel::kWarning, "notify.dropped",
        {{"count", dropped}, {"max_queued", options_.max_queued}});
    if (audit_ != nullptr) {
      audit_->Record("notify.dropped", "telemdbd", "queue full",
                     {{"count", std::to_string(dropped)},
                      {"max_queued", std::to_string(options_.max_queued)}});
    }
  }
  return st;
}

void Notifier::Commit(Staged staged) {
  absl::MutexLock l(&mu_);
  staged_ -= std::min<uint64_t>(staged_, staged.items.size());
  for (uint64_t seq : staged.evicted) EvictLocked(seq);
  for (Item& it : staged.items) {
    auto t = targets_.find(it.target);
    if (t == targets_.end()) continue;
    t->second.queue.push_back(it.seq);
    items_[it.seq] = std::move(it);
  }
  kick_ = true;
}

bool Notifier::PickLocked(int64_t now, std::string* target, Item* item) {
  for (auto& [name, t] : targets_) {
    if (t.busy || t.queue.empty() || t.next_attempt_ns > now) continue;
    auto it = items_.find(t.queue.front());
    if (it == items_.end()) {
      t.queue.pop_front();
      continue;
    }
    t.busy = true;
    *target = name;
    *item = it->second;
    return true;
  }
  return false;
}

void Notifier::Deliver(const std::string& target, const Item& item) {
  WebhookUrl url;
  std::string secret;
  {
    absl::MutexLock l(&mu_);
    auto t = targets_.find(target);
    if (t == targets_.end()) return;
    url = t->second.url;
    secret = t->second.secret;
  }
  const int64_t ts = absl::ToUnixSeconds(absl::Now());
  std::vector<std::pair<std::string, std::string>> headers = {
      {"User-Agent", options_.user_agent},
      {"X-Telemdb-Delivery", item.id},
      {"X-Telemdb-Timestamp", std::to_string(ts)},
      {"X-Telemdb-Signature", WebhookSignature(secret, ts, item.body)},
      {"X-Telemdb-Attempt", std::to_string(item.attempts + 1)}};
  auto r = PostWebhook(url, item.body, headers, options_.timeout);
  std::string error;
  if (!r.ok()) {
    error = std::string(r.status().message());
  } else if (r->status < 200 || r->status > 299) {
    error = absl::StrCat("HTTP ", r->status);
  }
  absl::MutexLock l(&mu_);
  auto t = targets_.find(target);
  if (t == targets_.end()) return;
  Target& tg = t->second;
  tg.busy = false;
  const int64_t now = absl::GetCurrentTimeNanos();
  if (error.empty()) {
    if (!tg.queue.empty() && tg.queue.front() == item.seq) tg.queue.pop_front();
    items_.erase(item.seq);
    delivered_.push_back(item.seq);
    tg.stats.delivered++;
    tg.stats.consecutive_failures = 0;
    tg.stats.last_delivery_ns = now;
    tg.next_attempt_ns = 0;
    return;
  }
  tg.stats.failed_attempts++;
  tg.stats.consecutive_failures++;
  tg.stats.last_error = error;
  auto it = items_.find(item.seq);
  if (it != items_.end()) it->second.attempts++;
  // If the item was evicted while in flight, drop it from the target's queue now.
  if (it == items_.end() && !tg.queue.empty() && tg.queue.front() == item.seq) {
    tg.queue.pop_front();
    tg.stats.dropped++;
  }
  double wait = absl::ToDoubleSeconds(options_.backoff_min) *
                std::pow(2.0, std::min(tg.stats.consecutive_failures - 1, 30));
  wait = std::min(wait, absl::ToDoubleSeconds(options_.backoff_max));
  static thread_local std::mt19937_64 rng(std::random_device{}());
  wait *= std::uniform_real_distribution<double>(0.8, 1.2)(rng);
  tg.next_attempt_ns = now + static_cast<int64_t>(wait * 1e9);
  if (tg.stats.consecutive_failures == 1 || tg.stats.consecutive_failures % 10 == 0) {
    Log(LogLevel::kWarning, "notify.delivery_failed",
        {{"target", target},
         {"error", error},
         {"failures", tg.stats.consecutive_failures},
         {"retry_in_s", wait}});
  }
}

void Notifier::FlushDeletes() {
  std::vector<uint64_t> done;
  {
    absl::MutexLock l(&mu_);
    done.swap(delivered_);
    last_flush_ns_ = absl::GetCurrentTimeNanos();
  }
  if (done.empty()) return;
  storage::Db::MetaOps ops;
  for (uint64_t seq : done) ops.emplace_back(Key(seq), std::nullopt);
  absl::Status s = db_->WriteMeta(ops);
  if (!s.ok()) {
    // Delivered again after a restart: at least once, never lost.
    Log(LogLevel::kError, "notify.delete_failed", {{"error", s.ToString()}});
  }
}

void Notifier::DeliverDue() {
  while (true) {
    std::string target;
    Item item;
    {
      absl::MutexLock l(&mu_);
      if (!PickLocked(absl::GetCurrentTimeNanos(), &target, &item)) break;
    }
    Deliver(target, item);
  }
  FlushDeletes();
}

void Notifier::Run() {
  while (true) {
    std::string target;
    Item item;
    bool flush = false;
    {
      absl::MutexLock l(&mu_);
      while (true) {
        if (stop_) return;
        const int64_t now = absl::GetCurrentTimeNanos();
        if (!delivered_.empty() &&
            (delivered_.size() >= 64 || now - last_flush_ns_ > 200'000'000)) {
          flush = true;
          break;
        }
        if (PickLocked(now, &target, &item)) break;
        // Sleep until the next attempt is due, new work arrives, or 200 ms.
        int64_t wake = now + 200'000'000;
        for (const auto& [n, t] : targets_) {
          if (!t.busy && !t.queue.empty()) wake = std::min(wake, std::max(now, t.next_attempt_ns));
        }
        kick_ = false;
        mu_.AwaitWithTimeout(absl::Condition(
                                 +[](Notifier* n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(n->mu_) {
                                   return n->stop_ || n->kick_;
                                 },
                                 this),
                             absl::Nanoseconds(std::max<int64_t>(wake - now, 1'000'000)));
      }
    }
    if (flush) {
      FlushDeletes();
      continue;
    }
    Deliver(target, item);
  }
}

}  // namespace telemdb::alert
