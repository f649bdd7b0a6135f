#include "alert/alert_bus.h"

#include <algorithm>

namespace telemdb::alert {

AlertWatcher::~AlertWatcher() {
  absl::MutexLock l(&mu_);
  budget_->Release(bytes_);
}

bool AlertWatcher::Wants(const AlertEvent& e) const {
  if (!filter_.rules.empty() && !filter_.rules.contains(e.rule)) return false;
  if (!filter_.states.empty() && !filter_.states.contains(e.to)) return false;
  return !filter_.may_read || filter_.may_read(e.measurement);
}

void AlertWatcher::Push(const AlertEvent& e) {
  std::function<void()> wake;
  {
    absl::MutexLock l(&mu_);
    if (!ended_.ok()) return;
    const size_t b = e.Bytes();
    if (bytes_ + b > buffer_bytes_ || !budget_->TryCharge(b)) {
      dropped_++;
    } else {
      bytes_ += b;
      queue_.push_back(e);
    }
    wake = wake_;
  }
  if (wake) wake();
}

bool AlertWatcher::Take(std::vector<AlertEvent>* out, uint64_t* dropped) {
  absl::MutexLock l(&mu_);
  if (queue_.empty() && dropped_ == 0) return false;
  out->assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
  queue_.clear();
  budget_->Release(bytes_);
  bytes_ = 0;
  *dropped = dropped_;
  dropped_ = 0;
  return true;
}

void AlertWatcher::Wait(absl::Duration timeout) {
  absl::MutexLock l(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(
                           +[](AlertWatcher* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
                             return !w->queue_.empty() || w->dropped_ > 0 || !w->ended_.ok();
                           },
                           this),
                       timeout);
}

void AlertWatcher::SetWake(std::function<void()> wake) {
  absl::MutexLock l(&mu_);
  wake_ = std::move(wake);
}

void AlertWatcher::Close(const absl::Status& why) {
  std::function<void()> wake;
  {
    absl::MutexLock l(&mu_);
    if (ended_.ok()) ended_ = why.ok() ? absl::CancelledError("watch closed") : why;
    wake = wake_;
  }
  if (wake) wake();
}

absl::Status AlertWatcher::ended() const {
  absl::MutexLock l(&mu_);
  return ended_;
}

void AlertBus::Add(AlertWatcher* w) {
  absl::MutexLock l(&mu_);
  watchers_.push_back(w);
}

void AlertBus::Remove(AlertWatcher* w) {
  absl::MutexLock l(&mu_);
  watchers_.erase(std::remove(watchers_.begin(), watchers_.end(), w), watchers_.end());
}

void AlertBus::Publish(const std::vector<AlertEvent>& events) {
  absl::MutexLock l(&mu_);
  for (AlertWatcher* w : watchers_) {
    for (const AlertEvent& e : events) {
      if (w->Wants(e)) w->Push(e);
    }
  }
}

void AlertBus::CloseAll(const absl::Status& why) {
  absl::MutexLock l(&mu_);
  for (AlertWatcher* w : watchers_) w->Close(why);
}

size_t AlertBus::watchers() const {
  absl::MutexLock l(&mu_);
  return watchers_.size();
}

}  // namespace telemdb::alert
