#include "storage/wal/wal_reader.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/crypto/record_cipher.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/status_macros.h"

namespace telemdb::storage::wal {
namespace {

// Checks the record at `off`. Returns an empty string when valid, otherwise why not.
std::string CheckRecord(std::string_view c, uint64_t off, uint32_t* len) {
  if (c.size() - off < kRecordHeaderSize) return "truncated record header";
  const char* h = c.data() + off;
  *len = DecodeFixed32(h + 4);
  if (*len > kMaxRecordPayload) return absl::StrCat("record length ", *len, " exceeds limit");
  if (!IsKnownRecordType(static_cast<uint8_t>(h[8]))) {
    return absl::StrCat("unknown record type ", static_cast<int>(static_cast<uint8_t>(h[8])));
  }
  if (c.size() - off - kRecordHeaderSize < *len) return "truncated record payload";
  uint32_t want = DecodeFixed32(h);
  uint32_t got = crc32c::Value(h + 4, kRecordHeaderSize - 4 + *len);
  if (want != got) return "checksum mismatch";
  return "";
}

}  // namespace

bool HasValidRecordAfter(std::string_view contents, uint64_t from) {
  for (uint64_t off = from; off + kRecordHeaderSize <= contents.size(); off++) {
    const char* h = contents.data() + off;
    if (!IsKnownRecordType(static_cast<uint8_t>(h[8]))) continue;  // cheap filter first
    uint32_t len;
    if (CheckRecord(contents, off, &len).empty()) return true;
  }
  return false;
}

absl::Status OpenRecordPayload(const crypto::RecordCipher& cipher, uint64_t segment,
                               const RecordView& r, std::string* plaintext) {
  const std::string where = absl::StrCat("WAL segment ", segment, " offset ", r.offset);
  if (r.key_id == kPlaintextKeyId) {
    return absl::DataLossError(absl::StrCat(
        where, " holds a plaintext record, but this database is encrypted: refusing to apply it"));
  }
  char aad[kRecordAadSize];
  EncodeRecordAad(aad, segment, r.offset, static_cast<uint32_t>(r.payload.size()), r.type,
                  r.key_id);
  absl::Status s = cipher.Open(r.key_id, std::string_view(aad, sizeof aad), r.payload, plaintext);
  if (s.ok()) return s;
  if (absl::IsNotFound(s)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s is encrypted with key id %08x, which is not among the configured keys; give that key "
        "with --encryption-old-key-file",
        where, r.key_id));
  }
  if (absl::IsDataLoss(s)) {
    return absl::DataLossError(absl::StrCat(
        where, ": ", s.message(),
        "; the record's checksum is intact, so it was changed or moved after it was written "
        "(not a torn write); refusing to open"));
  }
  return s;
}

absl::StatusOr<SegmentScan> ScanSegment(std::string_view c, uint64_t segment,
                                        const std::function<absl::Status(const RecordView&)>& fn) {
  SegmentScan scan;
  if (c.size() < kSegmentHeaderSize) {
    scan.corrupt = true;
    scan.corrupt_reason = "truncated segment header";
    return scan;
  }
  if (std::memcmp(c.data(), kSegmentMagic, sizeof(kSegmentMagic)) != 0) {
    return absl::DataLossError(absl::StrCat("WAL segment ", segment, ": bad magic"));
  }
  if (static_cast<uint8_t>(c[7]) < kMinReadableVersion ||
      static_cast<uint8_t>(c[7]) > kFormatVersion) {
    return absl::DataLossError(absl::StrCat("WAL segment ", segment, ": unsupported version ",
                                            static_cast<int>(static_cast<uint8_t>(c[7]))));
  }
  if (DecodeFixed64(c.data() + 8) != segment) {
    return absl::DataLossError(absl::StrCat("WAL segment ", segment, ": header names segment ",
                                            DecodeFixed64(c.data() + 8)));
  }
  uint64_t off = kSegmentHeaderSize;
  scan.valid_end = off;
  while (off < c.size()) {
    uint32_t len = 0;
    std::string why = CheckRecord(c, off, &len);
    if (!why.empty()) {
      scan.corrupt = true;
      scan.corrupt_offset = off;
      scan.corrupt_reason = std::move(why);
      scan.valid_after_corruption = HasValidRecordAfter(c, off + 1);
      return scan;
    }
    RecordView r{static_cast<RecordType>(c[off + 8]), DecodeFixed32(c.data() + off + 9),
                 c.substr(off + kRecordHeaderSize, len), off};
    RETURN_IF_ERROR(fn(r));
    off += kRecordHeaderSize + len;
    scan.records++;
    scan.valid_end = off;
  }
  return scan;
}

}  // namespace telemdb::storage::wal
