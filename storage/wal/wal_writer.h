// Appends records to WAL segment files and rotates them. Knows the byte format, not what a
// record means; group commit (many writers, one fsync) is the caller's (storage/commit_log.h).
//
// Thread safety: not thread-safe; one owner thread.
#ifndef TELEMDB_STORAGE_WAL_WAL_WRITER_H_
#define TELEMDB_STORAGE_WAL_WAL_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/wal/wal_file.h"
#include "storage/wal/wal_format.h"

namespace telemdb::storage::crypto {
class RecordCipher;
}

namespace telemdb::storage::wal {

// Path of segment `number` in `dir`: dir/<20-digit number>.wal
std::string SegmentPath(const std::string& dir, uint64_t number);
// Returns true and the number when `name` is a segment file name.
bool ParseSegmentName(const std::string& name, uint64_t* number);

// Appends the record framing of one payload to `out` (header + payload).
void AppendRecord(std::string* out, RecordType type, uint32_t key_id, std::string_view payload);
// Frames in place a record whose payload was appended to `rec` after kRecordHeaderSize
// placeholder bytes (saves copying a large payload).
void FinishRecord(std::string* rec, RecordType type, uint32_t key_id);

class WalWriter {
 public:
  // Creates segment `first_segment` in `dir` (an existing file of that name is truncated).
  // With a `cipher` (not owned; must outlive the writer), every record is sealed under its
  // active key as it is appended, bound to its segment and offset (docs/security.md).
  static absl::StatusOr<std::unique_ptr<WalWriter>> Create(WalFs* fs, std::string dir,
                                                           uint64_t first_segment,
                                                           crypto::RecordCipher* cipher = nullptr);

  // Appends already framed records (see AppendRecord; plaintext, key id 0, which a cipher
  // seals here). Not durable until Sync().
  // When the append fails for lack of space, the partial write is cut off again and the
  // writer stays usable (ResourceExhausted is returned); any other failure breaks it.
  absl::Status AppendFramed(std::string_view records);
  // fdatasync of the current segment. After an error the writer is broken for good: every
  // later call fails, so nothing is acked that might not be durable.
  absl::Status Sync();
  // Syncs the current segment, creates segment current+1 (header and directory synced),
  // then closes the old one. When there is no space for the new segment it returns
  // ResourceExhausted and the writer goes on in the current segment; any other failure
  // breaks it.
  absl::Status Rotate();
  absl::Status Close();

  uint64_t current_segment() const { return segment_; }
  uint64_t current_size() const;
  const absl::Status& error() const { return error_; }

 private:
  WalWriter(WalFs* fs, std::string dir, crypto::RecordCipher* cipher)
      : fs_(fs), dir_(std::move(dir)), cipher_(cipher) {}
  // Creates segment `number` with its header, synced (file and directory).
  absl::StatusOr<std::unique_ptr<WalFile>> NewSegment(uint64_t number);
  absl::Status Fail(absl::Status s);
  // Re-frames plaintext `records` into sealed_ as they will sit at the end of the segment.
  absl::Status SealRecords(std::string_view records);

  WalFs* fs_;
  std::string dir_;
  crypto::RecordCipher* cipher_;
  std::string sealed_;
  uint64_t segment_ = 0;
  std::unique_ptr<WalFile> file_;
  absl::Status error_;
};

}  // namespace telemdb::storage::wal

#endif  // TELEMDB_STORAGE_WAL_WAL_WRITER_H_
