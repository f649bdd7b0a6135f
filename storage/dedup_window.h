// DedupWindow: which (producer_id, sequence) pairs were already applied, so a retried batch
// is acked again instead of applied twice.
//
// Per producer it remembers the last `window` sequences (Default: 10,000) for at most
// `max_age` (Default: 24 h), in a bitmap below the highest sequence seen: ~2 KiB per
// producer whatever the traffic. A sequence more than `window` below the highest seen means
// the producer restarted its numbering: its window starts over. At most `max_producers`
// (Default: 100,000) are remembered; the least recently active are forgotten first.
//
// While a batch is in flight, a retry of it waits for its outcome: applied -> duplicate;
// failed -> the retry proceeds.
//
// Thread safety: thread-safe.
#ifndef TELEMDB_STORAGE_DEDUP_WINDOW_H_
#define TELEMDB_STORAGE_DEDUP_WINDOW_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace telemdb::storage {

class DedupWindow {
 public:
  struct Options {
    uint32_t window = 10'000;
    int64_t max_age_ns = 24LL * 3600 * 1'000'000'000;
    size_t max_producers = 100'000;
  };
  explicit DedupWindow(const Options& o);
  ~DedupWindow();

  enum class Outcome { kNew, kDuplicate };
  // Claims (producer, sequence) for a write. kDuplicate: it was applied before (within the
  // window). kNew: the caller must write it and then call Finish().
  Outcome Begin(std::string_view producer, uint64_t sequence, int64_t now_ns);
  // Ends a write claimed by Begin: `applied` marks it as seen; otherwise it is released and
  // a waiting retry proceeds.
  void Finish(std::string_view producer, uint64_t sequence, int64_t arrival_ns, bool applied);
  // Marks a pair as applied without a claim (WAL replay).
  void Record(std::string_view producer, uint64_t sequence, int64_t arrival_ns);

  // Serialized state of every producer (persisted at WAL checkpoints): (producer, bytes).
  std::vector<std::pair<std::string, std::string>> Snapshot(int64_t now_ns) const;
  // Restores one producer from Snapshot() bytes. Errors: DataLoss.
  absl::Status Restore(std::string_view producer, std::string_view bytes);
  size_t producers() const;

 private:
  struct Producer;
  Producer* GetOrCreate(std::string_view producer, int64_t now_ns)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MarkLocked(Producer* p, uint64_t sequence, int64_t arrival_ns)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool SeenLocked(const Producer& p, uint64_t sequence, int64_t now_ns) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  absl::flat_hash_map<std::string, std::unique_ptr<Producer>> producers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace telemdb::storage

#endif  // TELEMDB_STORAGE_DEDUP_WINDOW_H_
