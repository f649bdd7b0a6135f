#include "storage/dedup_window.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "util/absl_compat.h"
#include "util/coding.h"

namespace telemdb::storage {

namespace {
// Snapshot bytes of format 2 start with this byte (format 1, under the legacy keys, had no
// version byte and no epoch).
constexpr uint8_t kSnapshotVersion = 2;
}  // namespace

std::string DedupWindow::Key(std::string_view identity, std::string_view producer_id) {
  std::string k;
  PutLengthPrefixed(&k, identity);
  k.append(producer_id.data(), producer_id.size());
  return k;
}

struct DedupWindow::Producer {
  bool any = false;
  uint64_t epoch = 0;
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

void DedupWindow::EpochLocked(Producer* p, uint64_t epoch) {
  if (p->epoch == epoch) return;
  // A new numbering: nothing seen under the old epoch says anything about the new one.
  p->epoch = epoch;
  p->any = false;
  std::fill(p->bits.begin(), p->bits.end(), 0);
  std::fill(p->word_time.begin(), p->word_time.end(), 0);
}

DedupWindow::Outcome DedupWindow::Begin(std::string_view key, uint64_t epoch, uint64_t sequence,
                                        int64_t now_ns) {
  absl::MutexLock l(&mu_);
  Producer* p = GetOrCreate(key, now_ns);
  while (p->in_flight.contains(sequence)) {
    cv_.Wait(&mu_);
    p = GetOrCreate(key, now_ns);
  }
  EpochLocked(p, epoch);
  if (SeenLocked(*p, sequence, now_ns)) return Outcome::kDuplicate;
  p->in_flight.insert(sequence);
  return Outcome::kNew;
}

void DedupWindow::Finish(std::string_view key, uint64_t epoch, uint64_t sequence,
                         int64_t arrival_ns, bool applied) {
  absl::MutexLock l(&mu_);
  Producer* p = GetOrCreate(key, arrival_ns);
  p->in_flight.erase(sequence);
  if (applied) {
    EpochLocked(p, epoch);
    MarkLocked(p, sequence, arrival_ns);
  }
  cv_.SignalAll();
}

void DedupWindow::Record(std::string_view key, uint64_t epoch, uint64_t sequence,
                         int64_t arrival_ns) {
  absl::MutexLock l(&mu_);
  Producer* p = GetOrCreate(key, arrival_ns);
  EpochLocked(p, epoch);
  MarkLocked(p, sequence, arrival_ns);
}

std::vector<std::pair<std::string, std::string>> DedupWindow::Snapshot(int64_t now_ns) const {
  absl::MutexLock l(&mu_);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, p] : producers_) {
    if (!p->any || now_ns - p->last_active_ns > options_.max_age_ns) continue;
    std::string b;
    b.push_back(static_cast<char>(kSnapshotVersion));
    PutVarint64(&b, p->epoch);
    PutVarint64(&b, options_.window);
    PutVarint64(&b, p->high);
    PutVarsint64(&b, p->last_active_ns);
    for (uint64_t w : p->bits) PutFixed64(&b, w);
    for (int64_t t : p->word_time) PutVarsint64(&b, t);
    out.emplace_back(name, std::move(b));
  }
  return out;
}

absl::Status DedupWindow::Restore(std::string_view key, std::string_view bytes) {
  ByteReader in(bytes);
  uint8_t version;
  uint64_t epoch;
  if (!in.GetByte(&version) || version != kSnapshotVersion || !in.GetVarint64(&epoch)) {
    return absl::DataLossError("malformed dedup state");
  }
  return RestoreBody(key, epoch, &in);
}

absl::Status DedupWindow::RestoreLegacy(std::string_view producer_id, std::string_view bytes) {
  ByteReader in(bytes);
  return RestoreBody(Key("", producer_id), 0, &in);
}

absl::Status DedupWindow::RestoreBody(std::string_view key, uint64_t epoch, ByteReader* in) {
  uint64_t window, high;
  int64_t active;
  if (!in->GetVarint64(&window) || !in->GetVarint64(&high) || !in->GetVarsint64(&active)) {
    return absl::DataLossError("malformed dedup state");
  }
  if (window != options_.window) return absl::OkStatus();  // window changed: start afresh
  absl::MutexLock l(&mu_);
  Producer* p = GetOrCreate(key, active);
  for (auto& w : p->bits) {
    if (!in->GetFixed64(&w)) return absl::DataLossError("malformed dedup state");
  }
  for (auto& t : p->word_time) {
    if (!in->GetVarsint64(&t)) return absl::DataLossError("malformed dedup state");
  }
  p->any = true;
  p->high = high;
  p->epoch = epoch;
  return absl::OkStatus();
}

size_t DedupWindow::producers() const {
  absl::MutexLock l(&mu_);
  return producers_.size();
}

}  // namespace telemdb::storage
