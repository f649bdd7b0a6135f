// Reads WAL segments back for replay, enforcing the corruption rules of docs/format/wal.md:
//   - an incomplete or corrupt tail of the LAST segment, with no valid record after it, is a
//     torn write from a crash: it is discarded (and logged by the caller);
//   - a corrupt record followed by valid ones (in the same or a later segment) is damage, not a
//     crash: DataLoss naming segment and offset, unless point-in-time recovery is requested,
//     which stops replay there and reports exactly what is dropped.
//
// Thread safety: pure functions over the caller's buffers.
#ifndef TELEMDB_STORAGE_WAL_WAL_READER_H_
#define TELEMDB_STORAGE_WAL_WAL_READER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/wal/wal_format.h"

namespace telemdb::storage::crypto {
class RecordCipher;
}

namespace telemdb::storage::wal {

struct RecordView {
  RecordType type;
  uint32_t key_id;
  std::string_view payload;
  uint64_t offset;  // of the record header within the segment
};

struct SegmentScan {
  uint64_t records = 0;
  uint64_t valid_end = 0;  // offset just after the last valid record (or the header)
  bool corrupt = false;    // a bad record was found at `corrupt_offset`
  uint64_t corrupt_offset = 0;
  std::string corrupt_reason;
  bool valid_after_corruption = false;  // a valid record exists after the corruption
};

// Scans `contents` (a whole segment file expected to be number `segment`), calling `fn` for
// every valid record before the first corruption, in order. An error from `fn` stops the scan
// and is returned. Errors: DataLoss when the segment header is wrong (a file shorter than a
// header yields an empty scan flagged corrupt at offset 0).
absl::StatusOr<SegmentScan> ScanSegment(std::string_view contents, uint64_t segment,
                                        const std::function<absl::Status(const RecordView&)>& fn);

// Replaces *plaintext with the payload of record `r` of segment `segment` in a database that
// is encrypted (docs/security.md). Errors, naming segment and offset: DataLoss when the record
// is plaintext (key id 0, which an encrypted WAL never holds) or fails authentication — its
// CRC passed, so it is damage or tampering, never a torn write; FailedPrecondition when its
// key is not configured.
absl::Status OpenRecordPayload(const crypto::RecordCipher& cipher, uint64_t segment,
                               const RecordView& r, std::string* plaintext);

// Returns true when a structurally valid record (sane header, matching CRC) starts anywhere in
// contents[from, end).
bool HasValidRecordAfter(std::string_view contents, uint64_t from);

}  // namespace telemdb::storage::wal

#endif  // TELEMDB_STORAGE_WAL_WAL_READER_H_
