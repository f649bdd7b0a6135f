// KvStore: telemdb's only door to RocksDB. Opens the database with our column families
// (storage/key_layout.h), and offers batches, point reads, bounded iterators, WAL sync,
// compaction, checkpoints and sizes. RocksDB types stay inside kv_store.cc so that this
// header is cheap to include; RocksDB statuses are translated to absl::Status there, once.
//
// Thread safety: KvStore is thread-safe. A KvBatch or KvIterator belongs to one thread.
#ifndef TELEMDB_STORAGE_KV_STORE_H_
#define TELEMDB_STORAGE_KV_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace telemdb::storage {

enum class Cf : uint8_t { kSeries = 0, kSeriesMeta = 1, kPostings = 2, kChunks = 3, kMeta = 4 };
inline constexpr int kNumCfs = 5;
const char* CfName(Cf cf);

class KvBatch {
 public:
  KvBatch();
  ~KvBatch();
  KvBatch(const KvBatch&) = delete;
  KvBatch& operator=(const KvBatch&) = delete;

  void Put(Cf cf, std::string_view key, std::string_view value);
  void Delete(Cf cf, std::string_view key);
  // Deletes every key in [begin, end) of `cf`.
  void DeleteRange(Cf cf, std::string_view begin, std::string_view end);
  size_t count() const;
  size_t byte_size() const;
  void Clear();

  struct Rep;  // opaque outside kv_store.cc
  Rep* rep() const { return rep_.get(); }

 private:
  std::unique_ptr<Rep> rep_;
};

class KvIterator {
 public:
  virtual ~KvIterator() = default;
  virtual void Seek(std::string_view target) = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // Positions at the last key <= target.
  virtual void SeekForPrev(std::string_view target) = 0;
  virtual bool Valid() const = 0;
  virtual void Next() = 0;
  virtual void Prev() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  // Errors met while iterating (Valid() is then false).
  virtual absl::Status status() const = 0;
};

struct KvOptions {
  // Memtable memory shared by every column family. Default: 64 MiB.
  uint64_t memtable_bytes = 64ull << 20;
  // Block cache shared by every column family. Default: 64 MiB.
  uint64_t block_cache_bytes = 64ull << 20;
  // Background flush/compaction threads. Default: 2.
  int background_jobs = 2;
  // Called by the `chunks` compaction filter with a chunk key's series and min timestamp;
  // returning true drops the chunk (retention). Must be thread-safe and not throw.
  // Default: none (keep everything).
  std::function<bool(uint64_t series, int64_t min_ts)> drop_chunk;
  // An optional rocksdb::Env* (as void*, to keep RocksDB out of this header), e.g. an
  // encrypted environment. Default: the default Env.
  void* env = nullptr;
  // Write RocksDB's info log (<dir>/LOG) through `env`'s file system. RocksDB's own logger
  // writes it around the Env, so an encrypted Env needs this to encrypt the LOG too.
  // Default: false.
  bool info_log_through_env = false;
};

class KvStore {
 public:
  // Opens (creating if missing) the RocksDB database in `dir`.
  // Errors: DataLoss for corruption, Unavailable/Internal for I/O errors.
  static absl::StatusOr<std::unique_ptr<KvStore>> Open(const std::string& dir,
                                                       const KvOptions& options);
  virtual ~KvStore() = default;

  virtual absl::Status Write(KvBatch* batch, bool sync) = 0;
  // Returns nullopt when the key is absent.
  virtual absl::StatusOr<std::optional<std::string>> Get(Cf cf, std::string_view key) = 0;
  // An iterator over keys in [lower, upper) of `cf` (empty bound: unbounded).
  virtual std::unique_ptr<KvIterator> NewIterator(Cf cf, std::string_view lower = {},
                                                  std::string_view upper = {}) = 0;
  // Makes RocksDB's own WAL durable (everything written before the call).
  virtual absl::Status SyncWal() = 0;
  // Flushes every memtable to SST files.
  virtual absl::Status FlushMemtables() = 0;
  // Full manual compaction of one column family (runs the compaction filter).
  virtual absl::Status CompactAll(Cf cf) = 0;
  // A consistent copy in `dir` (hard links where possible). `dir` must not exist.
  virtual absl::Status Checkpoint(const std::string& dir) = 0;
  // Bytes of live SST files plus memtables of `cf`.
  virtual uint64_t CfBytes(Cf cf) = 0;
  // Approximate memory held by memtables and the block cache.
  virtual uint64_t MemoryBytes() = 0;
  // Closes the database (also done by the destructor).
  virtual absl::Status Close() = 0;
};

}  // namespace telemdb::storage

#endif  // TELEMDB_STORAGE_KV_STORE_H_
