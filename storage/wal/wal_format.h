// Constants of the WAL segment format (docs/format/wal.md). Persisted: values never change,
// record types only grow.
//
// segment  := header record*
// header   := "TMDBWAL" (7 bytes) | version (u8) | segment number (u64 LE)     = 16 bytes
// record   := crc32c (u32 LE) | length (u32 LE) | type (u8) | key id (u32 LE) | payload
//             crc32c covers length, type, key id and payload; length is the payload's.
#ifndef TELEMDB_STORAGE_WAL_WAL_FORMAT_H_
#define TELEMDB_STORAGE_WAL_WAL_FORMAT_H_

#include <cstddef>
#include <cstdint>

namespace telemdb::storage::wal {

inline constexpr char kSegmentMagic[7] = {'T', 'M', 'D', 'B', 'W', 'A', 'L'};
inline constexpr uint8_t kFormatVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 16;
inline constexpr size_t kRecordHeaderSize = 13;
// Upper bound of one record's payload; a longer length field is corruption.
inline constexpr uint32_t kMaxRecordPayload = 512u << 20;

enum class RecordType : uint8_t {
  kWriteBatch = 1,  // storage/wal/batch_record.h
  kDelete = 2,      // storage/wal/batch_record.h
};
inline bool IsKnownRecordType(uint8_t t) { return t >= 1 && t <= 2; }

// Key id 0: the payload is plaintext. Other ids name an encryption key (security issue).
inline constexpr uint32_t kPlaintextKeyId = 0;

}  // namespace telemdb::storage::wal

#endif  // TELEMDB_STORAGE_WAL_WAL_FORMAT_H_
