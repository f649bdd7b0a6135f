#include "storage/wal/wal_writer.h"

#include <cstdio>
#include <cstring>

#include "absl/strings/str_format.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/status_macros.h"

namespace telemdb::storage::wal {

std::string SegmentPath(const std::string& dir, uint64_t number) {
  return absl::StrFormat("%s/%020u.wal", dir, number);
}

bool ParseSegmentName(const std::string& name, uint64_t* number) {
  if (name.size() != 24 || name.substr(20) != ".wal") return false;
  uint64_t n = 0;
  for (int i = 0; i < 20; i++) {
    char c = name[i];
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  *number = n;
  return true;
}

void AppendRecord(std::string* out, RecordType type, uint32_t key_id, std::string_view payload) {
  size_t start = out->size();
  out->resize(start + kRecordHeaderSize);
  char* h = out->data() + start;
  EncodeFixed32(h + 4, static_cast<uint32_t>(payload.size()));
  h[8] = static_cast<char>(type);
  EncodeFixed32(h + 9, key_id);
  out->append(payload.data(), payload.size());
  uint32_t crc = crc32c::Value(out->data() + start + 4, kRecordHeaderSize - 4 + payload.size());
  EncodeFixed32(out->data() + start, crc);
}

absl::StatusOr<std::unique_ptr<WalWriter>> WalWriter::Create(WalFs* fs, std::string dir,
                                                             uint64_t first_segment) {
  std::unique_ptr<WalWriter> w(new WalWriter(fs, std::move(dir)));
  RETURN_IF_ERROR(w->OpenSegment(first_segment));
  return w;
}

absl::Status WalWriter::OpenSegment(uint64_t number) {
  ASSIGN_OR_RETURN(file_, fs_->NewFile(SegmentPath(dir_, number)));
  segment_ = number;
  char header[kSegmentHeaderSize];
  std::memcpy(header, kSegmentMagic, sizeof(kSegmentMagic));
  header[7] = static_cast<char>(kFormatVersion);
  EncodeFixed64(header + 8, number);
  RETURN_IF_ERROR(file_->Append(std::string_view(header, sizeof header)));
  RETURN_IF_ERROR(file_->Sync());
  return fs_->SyncDir(dir_);
}

absl::Status WalWriter::Fail(absl::Status s) {
  if (error_.ok()) error_ = s;
  return s;
}

absl::Status WalWriter::AppendFramed(std::string_view records) {
  if (!error_.ok()) return error_;
  uint64_t before = file_->Size();
  absl::Status s = file_->Append(records);
  if (s.ok()) return absl::OkStatus();
  if (absl::IsResourceExhausted(s) && file_->Truncate(before).ok()) return s;
  return Fail(s);
}

absl::Status WalWriter::Sync() {
  if (!error_.ok()) return error_;
  absl::Status s = file_->Sync();
  if (!s.ok()) return Fail(s);
  return absl::OkStatus();
}

absl::Status WalWriter::Rotate() {
  if (!error_.ok()) return error_;
  absl::Status s = file_->Sync();
  if (s.ok()) s = file_->Close();
  if (s.ok()) s = OpenSegment(segment_ + 1);
  if (!s.ok()) return Fail(s);
  return absl::OkStatus();
}

absl::Status WalWriter::Close() {
  if (file_ == nullptr) return error_;
  absl::Status s = error_.ok() ? file_->Sync() : error_;
  absl::Status c = file_->Close();
  file_.reset();
  if (!s.ok()) return s;
  return c;
}

uint64_t WalWriter::current_size() const { return file_ ? file_->Size() : 0; }

}  // namespace telemdb::storage::wal
