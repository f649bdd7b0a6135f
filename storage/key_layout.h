// Every byte layout of a RocksDB key (and of the canonical series key) is built and parsed
// here, and only here. See docs/format/keys.md.
//
// Column families and keys:
//   series       canonical series key                         -> SeriesId (BE64)
//   series_meta  SeriesId (BE64)                              -> value type (1 byte) + canonical
//   key postings     't' tag \0 value \0 SeriesId(BE64)           -> empty
//                'm' measurement \0 SeriesId(BE64)            -> empty
//   chunks       SeriesId(BE64) + ordered min_ts(BE64) + seq(BE64) -> chunk (docs/format/chunk.md)
//   meta         "format_version", "seq_hwm", "dirty" + SeriesId(BE64) + partition(BE64), ...
//
// The canonical series key is `measurement \0 (tagkey \0 tagvalue \0)* \0 field`: names never
// contain NUL (validation rejects it) and tag keys are never empty, so it is unambiguous, and
// it sorts by measurement first.
//
// Thread safety: pure functions.
#ifndef TELEMDB_STORAGE_KEY_LAYOUT_H_
#define TELEMDB_STORAGE_KEY_LAYOUT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "storage/types.h"

namespace telemdb::storage::keys {

inline constexpr char kSeriesCf[] = "series";
inline constexpr char kSeriesMetaCf[] = "series_meta";
inline constexpr char kPostingsCf[] = "postings";
inline constexpr char kChunksCf[] = "chunks";
inline constexpr char kMetaCf[] = "meta";

// Canonical series key. `tags` must be sorted by key.
std::string SeriesKeyBytes(std::string_view measurement, const TagSet& tags,
                           std::string_view field);
// Appends the (measurement, tags) prefix shared by every field of a series group; append the
// field with AppendField to finish a key.
void AppendGroupPrefix(std::string* out, std::string_view measurement, const TagSet& tags);
inline void AppendField(std::string* out, std::string_view field) {
  out->append(field.data(), field.size());
}
// Errors: DataLoss when `bytes` is not a canonical key.
absl::StatusOr<SeriesKey> ParseSeriesKey(std::string_view bytes);
// The measurement of a canonical key (the bytes before the first NUL).
std::string_view MeasurementOf(std::string_view key_bytes);

// series_meta
std::string SeriesMetaKey(SeriesId id);
SeriesId SeriesIdFromMetaKey(std::string_view key);  // REQUIRES: key.size() == 8
std::string SeriesMetaValue(ValueType type, std::string_view key_bytes);
// Errors: DataLoss.
absl::Status ParseSeriesMetaValue(std::string_view value, ValueType* type,
                                  std::string_view* key_bytes);

// series value: the id.
std::string SeriesIdValue(SeriesId id);
// postings
std::string TagPostingKey(std::string_view tag, std::string_view value, SeriesId id);
std::string MeasurementPostingKey(std::string_view measurement, SeriesId id);

// chunks
inline constexpr size_t kChunkKeySize = 24;
std::string ChunkKey(SeriesId id, int64_t min_ts, uint64_t seq);
// The smallest key of series `id` with min_ts >= `ts` (seek target).
std::string ChunkSeekKey(SeriesId id, int64_t ts);
// The first key after every chunk of series `id`.
std::string ChunkSeriesEnd(SeriesId id);
struct ChunkKeyParts {
  SeriesId series = 0;
  int64_t min_ts = 0;
  uint64_t seq = 0;
};
// Returns false when `key` is not a chunk key.
bool ParseChunkKey(std::string_view key, ChunkKeyParts* out);

// meta
inline constexpr char kFormatVersionKey[] = "format_version";
inline constexpr char kSeqHighWaterKey[] = "seq_hwm";
inline constexpr char kDirtyPrefix[] = "dirty/";
// Idempotency state. Format 1 ("dedup/" + producer id) was keyed by producer alone and is
// read once as identity-unknown, then deleted; format 2 ("dedupid/" + DedupWindow::Key,
// a value starting with a version byte) is keyed by identity and producer.
inline constexpr char kLegacyDedupPrefix[] = "dedup/";
inline constexpr char kDedupPrefix[] = "dedupid/";
std::string DirtyKey(SeriesId id, int64_t partition_start);
bool ParseDirtyKey(std::string_view key, SeriesId* id, int64_t* partition_start);
// "dedupid/" + the window key (identity and producer: DedupWindow::Key).
std::string DedupKey(std::string_view window_key);
// The server's own records (Db::PutMeta): "app/" + key.
inline constexpr char kAppPrefix[] = "app/";
std::string AppKey(std::string_view key);

}  // namespace telemdb::storage::keys

#endif  // TELEMDB_STORAGE_KEY_LAYOUT_H_
