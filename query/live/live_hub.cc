#include "query/live/live_hub.h"

#include <algorithm>

namespace telemdb::query {

size_t GroupBytes(const storage::SeriesBatch& g) {
  size_t b = sizeof(storage::SeriesBatch) + g.measurement.size() + 8 * g.timestamps.size();
  for (const auto& [k, v] : g.tags) b += k.size() + v.size() + 2 * sizeof(std::string);
  for (const auto& f : g.fields) {
    b += sizeof(storage::FieldColumn) + f.name.size() + f.valid.size();
    b += 8 * (f.floats.size() + f.ints.size()) + f.bools.size();
    for (const auto& s : f.strings) b += s.size() + sizeof(std::string);
  }
  return b;
}

uint64_t GroupValues(const storage::SeriesBatch& g) {
  uint64_t n = 0;
  for (const auto& f : g.fields) {
    if (f.valid.empty()) {
      n += g.timestamps.size();
    } else {
      for (uint8_t v : f.valid) n += v != 0;
    }
  }
  return n;
}

LiveHub::LiveHub(LiveHubOptions options) : options_(options) {
  thread_ = std::thread([this] { Run(); });
}

LiveHub::~LiveHub() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void LiveHub::OnApply(uint64_t seq, const std::vector<storage::SeriesBatch>& groups,
                      const std::vector<std::vector<storage::SeriesId>>& ids) {
  absl::MutexLock l(&mu_);
  last_seq_ = seq;
  if (stop_) return;
  if (!paused_.empty()) {
    // Per measurement first (a batch rarely holds more than one), then per paused listener.
    absl::flat_hash_map<std::string_view, Counted> batch;
    for (const auto& g : groups) {
      Counted& c = batch[g.measurement];
      c.rows += g.timestamps.size();
      c.values += GroupValues(g);
    }
    for (auto& [listener, p] : paused_) {
      for (const auto& [m, c] : batch) {
        if (!p.measurements.contains(absl::string_view(m.data(), m.size()))) continue;
        p.counted.rows += c.rows;
        p.counted.values += c.values;
      }
    }
  }
  if (interest_.empty()) return;
  std::shared_ptr<LiveEvent> ev = BuildLiveEvent(
      seq, groups, ids, [&](size_t g) { return interest_.contains(groups[g].measurement); },
      pool_.get());
  if (ev == nullptr) return;
  if (queue_bytes_ + ev->bytes > options_.max_queue_bytes) {
    counters_.dropped_events++;
    counters_.dropped_values += ev->values;
    if (queue_.empty() || queue_.back().event != nullptr) queue_.push_back(Item());
    Item& notice = queue_.back();
    notice.seq = seq;
    notice.dropped_values += ev->values;
    for (const auto& g : ev->groups) notice.dropped_measurements.emplace(g.measurement);
    return;
  }
  queue_bytes_ += ev->bytes;
  counters_.events++;
  counters_.queue_bytes_high_water =
      std::max<uint64_t>(counters_.queue_bytes_high_water, queue_bytes_);
  Item item;
  item.seq = seq;
  item.event = std::move(ev);
  queue_.push_back(std::move(item));
}

void LiveHub::Interest(const std::vector<std::string>& measurements, int delta) {
  for (const auto& m : measurements) {
    int& n = interest_[m];
    n += delta;
    if (n <= 0) interest_.erase(m);
  }
}

uint64_t LiveHub::Add(LiveListener* listener, const std::vector<std::string>& measurements) {
  absl::MutexLock ll(&listeners_mu_);
  absl::MutexLock l(&mu_);
  Entry e;
  e.listener = listener;
  e.min_seq = last_seq_ + 1;
  e.measurements.insert(measurements.begin(), measurements.end());
  Interest({e.measurements.begin(), e.measurements.end()}, +1);
  measurements_[listener] = e.measurements;
  listeners_.push_back(std::move(e));
  counters_.listeners = listeners_.size();
  return last_seq_;
}

void LiveHub::Update(LiveListener* listener, const std::vector<std::string>& measurements) {
  absl::MutexLock ll(&listeners_mu_);
  absl::MutexLock l(&mu_);
  for (Entry& e : listeners_) {
    if (e.listener != listener) continue;
    const bool paused = paused_.contains(listener);
    if (!paused) Interest({e.measurements.begin(), e.measurements.end()}, -1);
    e.measurements.clear();
    e.measurements.insert(measurements.begin(), measurements.end());
    measurements_[listener] = e.measurements;
    if (paused) {
      paused_[listener].measurements = e.measurements;
    } else {
      Interest({e.measurements.begin(), e.measurements.end()}, +1);
    }
  }
}

void LiveHub::Remove(LiveListener* listener) {
  absl::MutexLock ll(&listeners_mu_);
  absl::MutexLock l(&mu_);
  for (auto it = listeners_.begin(); it != listeners_.end(); ++it) {
    if (it->listener != listener) continue;
    if (!paused_.erase(listener)) Interest({it->measurements.begin(), it->measurements.end()}, -1);
    measurements_.erase(listener);
    listeners_.erase(it);
    break;
  }
  counters_.listeners = listeners_.size();
}

uint64_t LiveHub::Pause(LiveListener* listener) {
  absl::MutexLock l(&mu_);
  auto m = measurements_.find(listener);
  if (m == measurements_.end() || paused_.contains(listener)) return last_seq_;
  Interest({m->second.begin(), m->second.end()}, -1);
  paused_[listener].measurements = m->second;
  return last_seq_;
}

LiveHub::Counted LiveHub::Resume(LiveListener* listener) {
  absl::MutexLock l(&mu_);
  auto p = paused_.find(listener);
  if (p == paused_.end()) return Counted();
  Counted c = p->second.counted;
  c.seq = last_seq_;
  Interest({p->second.measurements.begin(), p->second.measurements.end()}, +1);
  paused_.erase(p);
  return c;
}

void LiveHub::Run() {
  while (true) {
    Item item;
    {
      absl::MutexLock l(&mu_);
      mu_.Await(absl::Condition(
          +[](LiveHub* h)
               ABSL_EXCLUSIVE_LOCKS_REQUIRED(h->mu_) { return h->stop_ || !h->queue_.empty(); },
          this));
      if (stop_) return;
      item = std::move(queue_.front());
      queue_.pop_front();
      if (item.event != nullptr) queue_bytes_ -= item.event->bytes;
      dispatching_ = true;
    }
    Deliver(item);
    absl::MutexLock l(&mu_);
    dispatching_ = false;
  }
}

void LiveHub::Deliver(const Item& item) {
  absl::MutexLock ll(&listeners_mu_);
  for (const Entry& e : listeners_) {
    if (item.seq < e.min_seq) continue;
    if (item.event != nullptr) {
      bool wanted = false;
      for (const auto& g : item.event->groups) {
        if (e.measurements.contains(
                absl::string_view(g.measurement.data(), g.measurement.size()))) {
          wanted = true;
          break;
        }
      }
      if (wanted) e.listener->OnEvent(item.event);
    } else {
      for (const auto& m : item.dropped_measurements) {
        if (e.measurements.contains(m)) {
          e.listener->OnDropped(item.dropped_values);
          break;
        }
      }
    }
  }
}

void LiveHub::Drain() {
  absl::MutexLock l(&mu_);
  mu_.Await(absl::Condition(
      +[](LiveHub* h) ABSL_EXCLUSIVE_LOCKS_REQUIRED(h->mu_) {
        return h->stop_ || (h->queue_.empty() && !h->dispatching_);
      },
      this));
}

LiveHubCounters LiveHub::counters() const {
  absl::MutexLock l(&mu_);
  LiveHubCounters c = counters_;
  c.queue_bytes = queue_bytes_;
  return c;
}

size_t LiveHub::queue_bytes() const {
  absl::MutexLock l(&mu_);
  return queue_bytes_;
}

}  // namespace telemdb::query
