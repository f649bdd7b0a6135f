// Options of a telemdb database. Every setting is server-wide; each has a documented default.
#ifndef TELEMDB_STORAGE_OPTIONS_H_
#define TELEMDB_STORAGE_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"

namespace telemdb::storage {

namespace wal {
class WalFs;
}
namespace crypto {
class KeyRing;
}

enum class AckMode : uint8_t {
  kSync = 1,   // fsync before ack (grouped across concurrent writers)
  kAsync = 2,  // ack after the OS write; fsync on a short timer (async_sync_interval)
};

// What a write may contain. Violations are InvalidArgument naming the offending part.
struct Limits {
  // Distinct series in the database. Default: 10,000,000.
  uint64_t max_series = 10'000'000;
  // Tags per series. Default: 64.
  size_t max_tags = 64;
  // Bytes of a measurement, tag key or field name. Default: 256.
  size_t max_name_bytes = 256;
  // Bytes of a tag value. Default: 1024.
  size_t max_tag_value_bytes = 1024;
  // Bytes of a string field value. Default: 65536.
  size_t max_string_bytes = 65536;
  // Points (rows x fields) in one write. Default: 1,000,000.
  size_t max_points_per_write = 1'000'000;
  // Earliest accepted timestamp (ns since the epoch). Default: 0 (1970-01-01T00:00:00Z).
  int64_t min_timestamp = 0;
  // How far past the server clock a timestamp may be. Default: 1 day.
  absl::Duration max_future = absl::Hours(24);
  // Reject NaN float values (otherwise stored as-is). Default: false.
  bool reject_nan = false;
};

// Test hooks between the steps of the hand-over from WAL to RocksDB. Default: none.
struct TestHooks {
  std::function<void()> after_wal_sync;         // WAL synced, batch not yet applied
  std::function<void()> after_chunk_write;      // sealed chunks written, frozen runs not dropped
  std::function<void()> before_segment_delete;  // RocksDB WAL synced, segments not deleted
  std::function<void()> after_merge_write;      // merged chunks written
  std::function<void()> merge_begin;            // a merge round with work starts
  std::function<void()> merge_end;              // ... and ends (also when it failed)
};

struct Options {
  // The data directory (created if missing). Holds `wal/` and `rocksdb/`. REQUIRED.
  std::string dir;

  // --- Write-ahead log ---
  // Ack mode when a write does not choose one. Default: kSync.
  AckMode default_ack_mode = AckMode::kSync;
  // How often ASYNC writes are fsynced: the most an ASYNC ack can lose in a power cut.
  // Default: 100 ms.
  absl::Duration async_sync_interval = absl::Milliseconds(100);
  // Size at which a WAL segment is closed and a new one started. Default: 64 MiB.
  uint64_t wal_segment_bytes = 64ull << 20;
  // WAL size beyond which the heads holding the oldest segments are sealed early so the
  // segments can be deleted. Default: 1 GiB.
  uint64_t wal_max_bytes = 1ull << 30;
  // On a corrupt WAL record followed by valid ones, truncate there (dropping the rest, which
  // is logged exactly) instead of failing to open with DataLoss. Default: false.
  bool wal_point_in_time_recovery = false;
  // The file system of the WAL (tests inject faults). Default: POSIX.
  wal::WalFs* wal_fs = nullptr;

  // --- Head (open chunks in memory) ---
  // Memory for open chunks. Above 75% the largest heads are sealed early; above 100% writes
  // fail with ResourceExhausted until sealing catches up. Default: 512 MiB.
  uint64_t head_memory_budget = 512ull << 20;
  // A series' open chunk is sealed when it holds this many points. Default: 2048.
  uint32_t head_seal_points = 2048;
  // ... or when its oldest unsealed point arrived this long ago. Default: 30 min.
  absl::Duration head_max_age = absl::Minutes(30);

  // --- Chunks ---
  // Time partition of stored chunks: no chunk spans two partitions, so a range read seeks
  // once. Default: 24 h.
  absl::Duration partition = absl::Hours(24);
  // Points per chunk that background merging aims for. Default: 8192.
  uint32_t chunk_target_points = 8192;
  // Merging keeps a series' newest points in a short tail chunk of this many points (when the
  // newest partition's last run holds more than twice as many), so a query over the last
  // minutes decodes a few hundred points instead of a whole merged chunk. The tail joins the
  // next merge once newer chunks arrive. 0 turns it off. Default: 256.
  uint32_t chunk_tail_points = 256;
  // Chunks of at least this many points carry pre-aggregates; smaller ones leave them out
  // (docs/format/chunk.md, format 2). Tests lower it to exercise the pre-aggregate paths with
  // small chunks. Default: codec::kAggregatesMinPoints (256).
  uint32_t chunk_aggregates_min_points = 256;
  // How often small and overlapping chunks are merged in the background. Default: 30 s.
  absl::Duration merge_interval = absl::Seconds(30);

  // --- Data lifecycle ---
  // Points older than now - retention are rejected, hidden and removed. Default: 0 (keep
  // forever).
  absl::Duration retention = absl::ZeroDuration();
  Limits limits;

  // --- RocksDB ---
  // Default: 64 MiB each.
  uint64_t rocksdb_memtable_bytes = 64ull << 20;
  uint64_t rocksdb_block_cache_bytes = 64ull << 20;
  // An rocksdb::Env* as void* (tests inject faults; with encryption, the encrypted file
  // system wraps this Env's). Default: none.
  void* rocksdb_env = nullptr;

  // --- Encryption at rest (docs/security.md) ---
  // The keys (storage/crypto/key_ring.h): everything in `dir` is encrypted with the active
  // one; older ones are only read. `dir` must then be new or already encrypted, and
  // `<dir>/KEYCHECK` must agree with the keys. Default: none (plaintext).
  std::shared_ptr<const crypto::KeyRing> encryption_keys;

  // --- Process ---
  // Run sealing, merging and WAL checkpoints in background threads. Tests turn this off to
  // drive them by hand. Default: true.
  bool background = true;
  // The wall clock in ns since the epoch (retention, timestamp window). Default: real time.
  std::function<int64_t()> now;
  TestHooks hooks;
};

}  // namespace telemdb::storage

#endif  // TELEMDB_STORAGE_OPTIONS_H_
