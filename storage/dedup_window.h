// DedupWindow: which (identity, producer_id, sequence) triples were already applied, so a
// retried batch is acked again instead of applied twice.
//
// A producer is named by who wrote (the authenticated identity) and the producer_id it
// chose: another identity using the same producer_id has a window of its own, so it can
// neither mark a victim's next sequences as seen nor be marked by them. Each producer also
// has an epoch (0 when the client sends none): a write with a different epoch than the
// window last saw means the producer started its numbering afresh (a reflashed device, lost
// state), and the window starts over instead of answering its new batches `duplicate`.
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

namespace telemdb {
class ByteReader;
}

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

  // The window's name for a producer: (identity, producer_id) as one string. An empty
  // identity means "unknown" (state written before identities were recorded); no
  // authenticated identity is empty, so such state never matches a new write.
  static std::string Key(std::string_view identity, std::string_view producer_id);

  enum class Outcome { kNew, kDuplicate };
  // Claims (key, sequence) for a write. kDuplicate: it was applied before (within the
  // window, same epoch). kNew: the caller must write it and then call Finish().
  Outcome Begin(std::string_view key, uint64_t epoch, uint64_t sequence, int64_t now_ns);
  // Ends a write claimed by Begin: `applied` marks it as seen; otherwise it is released and
  // a waiting retry proceeds.
  void Finish(std::string_view key, uint64_t epoch, uint64_t sequence, int64_t arrival_ns,
              bool applied);
  // Marks a sequence as applied without a claim (WAL replay).
  void Record(std::string_view key, uint64_t epoch, uint64_t sequence, int64_t arrival_ns);

  // Serialized state of every producer (persisted at WAL checkpoints): (key, bytes).
  std::vector<std::pair<std::string, std::string>> Snapshot(int64_t now_ns) const;
  // Restores one producer from Snapshot() bytes. Errors: DataLoss.
  absl::Status Restore(std::string_view key, std::string_view bytes);
  // Restores state persisted before identities were recorded (format 1, keyed by producer
  // id alone) as identity-unknown. Errors: DataLoss.
  absl::Status RestoreLegacy(std::string_view producer_id, std::string_view bytes);
  size_t producers() const;

 private:
  struct Producer;
  Producer* GetOrCreate(std::string_view producer, int64_t now_ns)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MarkLocked(Producer* p, uint64_t sequence, int64_t arrival_ns)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Starts the window over when `epoch` differs from the producer's.
  void EpochLocked(Producer* p, uint64_t epoch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RestoreBody(std::string_view key, uint64_t epoch, ByteReader* in);
  bool SeenLocked(const Producer& p, uint64_t sequence, int64_t now_ns) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  absl::flat_hash_map<std::string, std::unique_ptr<Producer>> producers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace telemdb::storage

#endif  // TELEMDB_STORAGE_DEDUP_WINDOW_H_
