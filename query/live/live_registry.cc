#include "query/live/live_registry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/reserved.h"
#include "query/lang/time_literal.h"
#include "util/client_text.h"

namespace telemdb::query {

LiveRegistry::LiveRegistry(storage::Db* db, LiveHub* hub, LiveOptions options)
    : db_(db), hub_(hub), options_(options), budget_(options.memory_bytes) {}

LiveRegistry::~LiveRegistry() { CloseAll(absl::UnavailableError("server is shutting down")); }

absl::StatusOr<std::shared_ptr<Subscription>> LiveRegistry::Subscribe(const auth::Identity& who,
                                                                      LiveSelectorSpec spec,
                                                                      int64_t since_ns,
                                                                      std::function<void()> wake) {
  if (!who.CanReadSomething()) {
    return absl::PermissionDeniedError("this identity has no read right");
  }
  if (!auth::MayReadMeasurement(who, spec.measurement)) {
    return absl::PermissionDeniedError(
        absl::StrCat("no read right on measurement \"", ClientText(spec.measurement), "\""));
  }
  if (since_ns < 0) return absl::InvalidArgumentError("since must not be negative");
  if (since_ns > absl::ToInt64Nanoseconds(options_.max_since)) {
    return absl::InvalidArgumentError(
        absl::StrCat("since ", lang::FormatDuration(since_ns), " is longer than the limit of ",
                     lang::FormatDuration(absl::ToInt64Nanoseconds(options_.max_since))));
  }
  const std::string measurement = spec.measurement;
  auto selector = LiveSelector::Create(std::move(spec));
  if (!selector.ok()) return selector.status();
  std::function<bool(const storage::TagSet&)> visible;
  if (measurement == auth::kAlertsMeasurement) {
    visible = [who, measurement](const storage::TagSet& tags) {
      return auth::MayReadSeries(who, measurement, tags);
    };
  }
  auto sub = std::shared_ptr<Subscription>(
      new Subscription(*std::move(selector), options_.subscription, &budget_, std::move(visible)),
      [this](Subscription* s) {
        Release(s);
        delete s;
      });
  {
    absl::MutexLock l(&mu_);
    if (closed_) return closed_why_;
    if (open_.size() >= options_.max_subscriptions) {
      counters_.refused++;
      return absl::ResourceExhaustedError(
          absl::StrCat("too many subscriptions: the server allows ", options_.max_subscriptions,
                       " at once (--max-subscriptions); retry later"));
    }
    open_.insert(sub.get());
    counters_.started++;
    counters_.active = open_.size();
    counters_.active_high_water = std::max<uint64_t>(counters_.active_high_water, open_.size());
  }
  sub->SetWake(std::move(wake));
  std::optional<int64_t> from;
  if (since_ns > 0) from = absl::GetCurrentTimeNanos() - since_ns;
  sub->Start(hub_, db_, from);
  return sub;
}

void LiveRegistry::Release(Subscription* s) {
  s->Stop();
  absl::MutexLock l(&mu_);
  open_.erase(s);
  counters_.active = open_.size();
}

void LiveRegistry::CloseAll(const absl::Status& why) {
  absl::MutexLock l(&mu_);
  closed_ = true;
  closed_why_ = why;
  for (Subscription* s : open_) s->Close(why);
}

LiveCounters LiveRegistry::counters() const {
  absl::MutexLock l(&mu_);
  LiveCounters c = counters_;
  c.memory_bytes = budget_.used();
  c.memory_high_water = budget_.high_water();
  return c;
}

}  // namespace telemdb::query
