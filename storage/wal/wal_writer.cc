#include "storage/wal/wal_writer.h"

#include <cstdio>
#include <cstring>

#include "absl/strings/str_format.h"
#include "storage/crypto/record_cipher.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/log.h"
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

void FinishRecord(std::string* rec, RecordType type, uint32_t key_id) {
  char* h = rec->data();
  const size_t payload = rec->size() - kRecordHeaderSize;
  EncodeFixed32(h + 4, static_cast<uint32_t>(payload));
  h[8] = static_cast<char>(type);
  EncodeFixed32(h + 9, key_id);
  EncodeFixed32(h, crc32c::Value(h + 4, kRecordHeaderSize - 4 + payload));
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
                                                             uint64_t first_segment,
                                                             crypto::RecordCipher* cipher) {
  std::unique_ptr<WalWriter> w(new WalWriter(fs, std::move(dir), cipher));
  ASSIGN_OR_RETURN(w->file_, w->NewSegment(first_segment));
  w->segment_ = first_segment;
  return w;
}

absl::StatusOr<std::unique_ptr<WalFile>> WalWriter::NewSegment(uint64_t number) {
  ASSIGN_OR_RETURN(auto file, fs_->NewFile(SegmentPath(dir_, number)));
  char header[kSegmentHeaderSize];
  std::memcpy(header, kSegmentMagic, sizeof(kSegmentMagic));
  header[7] = static_cast<char>(kFormatVersion);
  EncodeFixed64(header + 8, number);
  RETURN_IF_ERROR(file->Append(std::string_view(header, sizeof header)));
  RETURN_IF_ERROR(file->Sync());
  RETURN_IF_ERROR(fs_->SyncDir(dir_));
  return file;
}

absl::Status WalWriter::Fail(absl::Status s) {
  if (error_.ok()) error_ = s;
  return s;
}

absl::Status WalWriter::SealRecords(std::string_view in) {
  sealed_.clear();
  const uint64_t base = file_->Size();
  const uint32_t key_id = cipher_->active_key_id();
  size_t pos = 0;
  while (pos < in.size()) {
    const char* h = in.data() + pos;
    const uint32_t len = in.size() - pos >= kRecordHeaderSize ? DecodeFixed32(h + 4) : 0;
    if (in.size() - pos < kRecordHeaderSize || in.size() - pos - kRecordHeaderSize < len ||
        DecodeFixed32(h + 9) != kPlaintextKeyId) {
      return absl::InternalError("WAL: malformed framed records handed to the writer");
    }
    if (len > kMaxRecordPayload - crypto::RecordCipher::kOverhead) {
      return absl::InvalidArgumentError("WAL record too large to encrypt");
    }
    const auto type = static_cast<RecordType>(h[8]);
    const uint32_t sealed_len = len + static_cast<uint32_t>(crypto::RecordCipher::kOverhead);
    const size_t start = sealed_.size();
    char aad[kRecordAadSize];
    EncodeRecordAad(aad, segment_, base + start, sealed_len, type, key_id);
    sealed_.resize(start + kRecordHeaderSize);
    absl::Status s = cipher_->Seal(std::string_view(aad, sizeof aad),
                                   std::string_view(h + kRecordHeaderSize, len), &sealed_);
    if (!s.ok()) return s;
    char* out = sealed_.data() + start;
    EncodeFixed32(out + 4, sealed_len);
    out[8] = static_cast<char>(type);
    EncodeFixed32(out + 9, key_id);
    EncodeFixed32(out, crc32c::Value(out + 4, kRecordHeaderSize - 4 + sealed_len));
    pos += kRecordHeaderSize + len;
  }
  return absl::OkStatus();
}

absl::Status WalWriter::AppendFramed(std::string_view records) {
  if (!error_.ok()) return error_;
  if (cipher_ != nullptr) {
    absl::Status s = SealRecords(records);
    if (!s.ok()) return s;
    records = sealed_;
  }
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
  if (!s.ok()) return Fail(s);
  // The next segment first: when the disk is full it cannot be created, and the log goes
  // on in the current one (regression: a rotation on a full disk broke the log until a
  // restart, though nothing was lost).
  auto next = NewSegment(segment_ + 1);
  if (!next.ok()) {
    if (absl::IsResourceExhausted(next.status())) {
      (void)fs_->DeleteFile(SegmentPath(dir_, segment_ + 1));
      (void)fs_->SyncDir(dir_);
      return next.status();
    }
    return Fail(next.status());
  }
  s = file_->Close();
  file_ = *std::move(next);
  segment_++;
  if (!s.ok()) Log(LogLevel::kWarning, "wal.close_failed", {{"error", s.ToString()}});
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
