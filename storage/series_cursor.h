// SeriesCursor: reads one series over [start, end), merging stored chunks (RocksDB) with the
// head (memory), in ascending time.
//
// It yields *blocks*. A block that is one stored chunk overlapped by nothing else carries the
// chunk's header, whose pre-aggregates describe exactly its points: a query can use them
// without decoding (when the chunk lies inside its range and bucket). Any other block —
// overlapping chunks, head points — is already merged: one point per timestamp, the newest
// write winning.
//
// Thread safety: one thread at a time. The cursor holds a RocksDB iterator: destroy it before
// the database.
#ifndef TELEMDB_STORAGE_SERIES_CURSOR_H_
#define TELEMDB_STORAGE_SERIES_CURSOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/codec/chunk.h"
#include "storage/types.h"

namespace telemdb::storage {

class KvIterator;

struct ReadStats {
  uint64_t chunks_read = 0;     // chunk values fetched from RocksDB
  uint64_t chunks_decoded = 0;  // chunks whose points were decoded
  uint64_t points_decoded = 0;  // points decoded from chunks
  uint64_t head_points = 0;     // points read from the head
  uint64_t bytes_read = 0;      // chunk bytes fetched
  void Add(const ReadStats& o);
};

class SeriesCursor {
 public:
  struct Block {
    int64_t min_ts = 0;  // of the points in the block (a chunk's may lie outside the range)
    int64_t max_ts = 0;
    uint32_t count = 0;
    // Non-null for an exclusive stored chunk that holds pre-aggregates: its header (null for
    // a small chunk stored without them: decode it).
    const codec::ChunkHeader* header = nullptr;
  };

  // `it` iterates the series' chunk keys from the partition of `start` up to `end`; `head`
  // holds the head's points of [start, end).
  SeriesCursor(SeriesId id, ValueType type, int64_t start, int64_t end,
               std::unique_ptr<KvIterator> it, codec::Columns head);
  ~SeriesCursor();

  // Moves to the next block; false at the end. Errors: DataLoss naming the chunk.
  absl::StatusOr<bool> Next();
  const Block& block() const { return block_; }
  // The points of the current block that lie in [start, end). Decodes a chunk block.
  absl::Status Decode(codec::Columns* out);
  // Reads every remaining point (tests, merging, last value).
  absl::Status ReadAll(codec::Columns* out);

  ValueType type() const { return type_; }
  const ReadStats& stats() const { return stats_; }

 private:
  struct Chunk;
  absl::StatusOr<bool> PeekChunk();  // loads next_ if absent; false at the end
  absl::Status LoadChunk(Chunk* c);
  absl::Status DecodeChunk(const Chunk& c, codec::Columns* out);

  SeriesId id_;
  ValueType type_;
  int64_t start_, end_;
  std::unique_ptr<KvIterator> it_;
  bool it_started_ = false;
  codec::Columns head_;
  size_t head_pos_ = 0;
  std::unique_ptr<Chunk> next_;     // lookahead chunk
  std::unique_ptr<Chunk> current_;  // exclusive chunk of the current block
  codec::Columns merged_;           // points of a merged block
  bool current_is_chunk_ = false;
  Block block_;
  ReadStats stats_;
};

// Merges sorted, timestamp-unique runs given in ascending precedence: on equal timestamps
// the run given later wins. All runs share one type.
void MergeRuns(std::vector<codec::Columns>* runs, codec::Columns* out);
// Keeps the points of `c` in [start, end).
void ClipColumns(codec::Columns* c, int64_t start, int64_t end);
// Appends c[i] to out.
void AppendPoint(const codec::Columns& c, size_t i, codec::Columns* out);

}  // namespace telemdb::storage

#endif  // TELEMDB_STORAGE_SERIES_CURSOR_H_
