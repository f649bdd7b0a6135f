#include "storage/dedup_window.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "util/absl_compat.h"
#include "util/coding.h"

namespace telemdb::storage {

struct DedupWindow::Producer {
  bool any = false;
  uint64_t high = 0;               // highest sequence seen
  std::vector<uint64_t> bits;      // bit (s % window): s seen, for s in (high - window, high]
  std::vector<int64_t> word_time;  // per 64-sequence word: latest arrival (ns)
  absl::flat_hash_set<uint64_t> in_flight;
  int64_t last_active_ns = 0;
};

DedupWindow::DedupWindow(const Options& o) : options_(o) {}
DedupWindow::~DedupWindow() = default;

DedupWindow::Producer* DedupWindow::GetOrCreate(std::string_view producer, int64_t now_ns) {
  auto it = producers_.find(Sv(producer));
  if (it != producers_.end()) {
    it->second->last_active_ns = std::max(it->second->last_active_ns, now_ns);
    return it->second.get();
  }
  if (producers_.size() >= options_.max_producers) {
    auto oldest = producers_.end();
    for (auto p = producers_.begin(); p != producers_.end(); ++p) {
      if (!p->second->in_flight.empty()) continue;
      if (oldest == producers_.end() ||
          p->second->last_active_ns < oldest->second->last_active_ns) {
        oldest = p;
      }
    }
    if (oldest != producers_.end()) producers_.erase(oldest);
  }
  auto p = std::make_unique<Producer>();
  p->bits.assign((options_.window + 63) / 64, 0);
  p->word_time.assign(options_.window / 64 + 2, 0);
  p->last_active_ns = now_ns;
  Producer* raw = p.get();
  producers_.emplace(std::string(producer), std::move(p));
  return raw;
}

bool DedupWindow::SeenLocked(const Producer& p, uint64_t s, int64_t now_ns) const {
  const uint64_t w = options_.window;
  if (!p.any || s > p.high || p.high - s >= w) return false;
  if (((p.bits[(s % w) / 64] >> (s % w % 64)) & 1) == 0) return false;
  int64_t t = p.word_time[(s / 64) % p.word_time.size()];
  return now_ns - t <= options_.max_age_ns;
}

void DedupWindow::MarkLocked(Producer* p, uint64_t s, int64_t arrival_ns) {
  const uint64_t w = options_.window;
  if (!p->any || (s < p->high && p->high - s >= w)) {
    // First sequence, or far below the window: the producer restarted its numbering.
    std::fill(p->bits.begin(), p->bits.end(), 0);
    std::fill(p->word_time.begin(), p->word_time.end(), 0);
    p->any = true;
    p->high = s;
  } else if (s > p->high) {
    uint64_t advance = s - p->high;
    if (advance >= w) {
      std::fill(p->bits.begin(), p->bits.end(), 0);
      std::fill(p->word_time.begin(), p->word_time.end(), 0);
    } else {
      for (uint64_t q = p->high + 1; q <= s; q++) {
        p->bits[(q % w) / 64] &= ~(1ULL << (q % w % 64));
        if (q % 64 == 0) p->word_time[(q / 64) % p->word_time.size()] = 0;
      }
    }
    p->high = s;
  }
  p->bits[(s % w) / 64] |= 1ULL << (s % w % 64);
  int64_t& t = p->word_time[(s / 64) % p->word_time.size()];
  t = std::max(t, arrival_ns);
}

DedupWindow::Outcome DedupWindow::Begin(std::string_view producer, uint64_t sequence,
                                        int64_t now_ns) {
  absl::MutexLock l(&mu_);
  Producer* p = GetOrCreate(producer, now_ns);
  while (p->in_flight.contains(sequence)) {
    cv_.Wait(&mu_);
    p = GetOrCreate(producer, now_ns);
  }
  if (SeenLocked(*p, sequence, now_ns)) return Outcome::kDuplicate;
  p->in_flight.insert(sequence);
  return Outcome::kNew;
}

void DedupWindow::Finish(std::string_view producer, uint64_t sequence, int64_t arrival_ns,
                         bool applied) {
  absl::MutexLock l(&mu_);
  Producer* p = GetOrCreate(producer, arrival_ns);
  p->in_flight.erase(sequence);
  if (applied) MarkLocked(p, sequence, arrival_ns);
  cv_.SignalAll();
}

void DedupWindow::Record(std::string_view producer, uint64_t sequence, int64_t arrival_ns) {
  absl::MutexLock l(&mu_);
  MarkLocked(GetOrCreate(producer, arrival_ns), sequence, arrival_ns);
}

std::vector<std::pair<std::string, std::string>> DedupWindow::Snapshot(int64_t now_ns) const {
  absl::MutexLock l(&mu_);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, p] : producers_) {
    if (!p->any || now_ns - p->last_active_ns > options_.max_age_ns) continue;
    std::string b;
    PutVarint64(&b, options_.window);
    PutVarint64(&b, p->high);
    PutVarsint64(&b, p->last_active_ns);
    for (uint64_t w : p->bits) PutFixed64(&b, w);
    for (int64_t t : p->word_time) PutVarsint64(&b, t);
    out.emplace_back(name, std::move(b));
  }
  return out;
}

absl::Status DedupWindow::Restore(std::string_view producer, std::string_view bytes) {
  ByteReader in(bytes);
  uint64_t window, high;
  int64_t active;
  if (!in.GetVarint64(&window) || !in.GetVarint64(&high) || !in.GetVarsint64(&active)) {
    return absl::DataLossError("malformed dedup state");
  }
  if (window != options_.window) return absl::OkStatus();  // window changed: start afresh
  absl::MutexLock l(&mu_);
  Producer* p = GetOrCreate(producer, active);
  for (auto& w : p->bits) {
    if (!in.GetFixed64(&w)) return absl::DataLossError("malformed dedup state");
  }
  for (auto& t : p->word_time) {
    if (!in.GetVarsint64(&t)) return absl::DataLossError("malformed dedup state");
  }
  p->any = true;
  p->high = high;
  return absl::OkStatus();
}

size_t DedupWindow::producers() const {
  absl::MutexLock l(&mu_);
  return producers_.size();
}

}  // namespace telemdb::storage
