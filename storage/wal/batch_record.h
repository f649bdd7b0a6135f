// Payloads of WAL records (docs/format/wal.md): a resolved write batch, and a delete.
// A write record carries everything replay needs without the series index: the SeriesIds of
// every column and the definitions of series the batch created, so a series is durable the
// moment the record is.
//
// Thread safety: pure functions.
#ifndef TELEMDB_STORAGE_WAL_BATCH_RECORD_H_
#define TELEMDB_STORAGE_WAL_BATCH_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "storage/types.h"

namespace telemdb::storage::wal {

struct NewSeries {
  SeriesId id = kInvalidSeriesId;
  ValueType type = ValueType::kFloat;
  std::string key;  // canonical series key bytes
};

struct WriteRecordMeta {
  std::string producer_id;  // empty: no idempotency key
  uint64_t sequence = 0;
  int64_t arrival_ns = 0;  // server wall clock when accepted (dedup window age)
  // Who wrote it (the authenticated identity's name), with an idempotency key. Empty: not
  // known (records of format version 1, or a write without an identity).
  std::string identity;
  // The producer's numbering epoch (0: none given).
  uint64_t epoch = 0;
};

// `ids[g][f]` is the series of groups[g].fields[f]. Only measurement/tags of groups are
// ignored (the ids say it all).
void EncodeWriteRecord(const WriteRecordMeta& meta, const std::vector<NewSeries>& new_series,
                       const std::vector<SeriesBatch>& groups,
                       const std::vector<std::vector<SeriesId>>& ids, std::string* out);

struct DecodedWrite {
  WriteRecordMeta meta;
  std::vector<NewSeries> new_series;
  std::vector<SeriesBatch> groups;  // measurement/tags/field names empty
  std::vector<std::vector<SeriesId>> ids;
};
// Errors: DataLoss when the payload is malformed (it passed its CRC, so this is a bug or an
// incompatible writer).
absl::Status DecodeWriteRecord(std::string_view payload, DecodedWrite* out);

struct DeleteRecord {
  std::vector<SeriesId> ids;
  int64_t start = 0;         // inclusive
  int64_t end = 0;           // exclusive
  bool drop_series = false;  // also remove the series from the index (measurement delete)
};
void EncodeDeleteRecord(const DeleteRecord& d, std::string* out);
absl::Status DecodeDeleteRecord(std::string_view payload, DeleteRecord* out);

}  // namespace telemdb::storage::wal

#endif  // TELEMDB_STORAGE_WAL_BATCH_RECORD_H_
