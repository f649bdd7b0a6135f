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
// Version 2 (write records may carry the writer's identity and a producer epoch: see
// batch_record.h). Segments of version 1 are still read; their records have neither.
inline constexpr uint8_t kFormatVersion = 2;
inline constexpr uint8_t kMinReadableVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 16;
inline constexpr size_t kRecordHeaderSize = 13;
// Upper bound of one record's payload; a longer length field is corruption.
inline constexpr uint32_t kMaxRecordPayload = 512u << 20;

enum class RecordType : uint8_t {
  kWriteBatch = 1,  // storage/wal/batch_record.h
  kDelete = 2,      // storage/wal/batch_record.h
};
inline bool IsKnownRecordType(uint8_t t) { return t >= 1 && t <= 2; }

// Key id 0: the payload is plaintext. Other ids name the encryption key the payload is sealed
// with (AES-256-GCM: nonce (12 bytes) | ciphertext | tag (16 bytes); docs/security.md).
inline constexpr uint32_t kPlaintextKeyId = 0;

// The associated data authenticated with a sealed payload: the record's place and header, so
// a record cannot be moved, reordered or re-typed unnoticed.
//   aad := segment number u64 LE | record offset u64 LE | length u32 LE | type u8 | key id u32 LE
inline constexpr size_t kRecordAadSize = 25;
inline void EncodeRecordAad(char* out, uint64_t segment, uint64_t offset, uint32_t length,
                            RecordType type, uint32_t key_id) {
  for (int i = 0; i < 8; i++) out[i] = static_cast<char>(segment >> (8 * i));
  for (int i = 0; i < 8; i++) out[8 + i] = static_cast<char>(offset >> (8 * i));
  for (int i = 0; i < 4; i++) out[16 + i] = static_cast<char>(length >> (8 * i));
  out[20] = static_cast<char>(type);
  for (int i = 0; i < 4; i++) out[21 + i] = static_cast<char>(key_id >> (8 * i));
}

}  // namespace telemdb::storage::wal

#endif  // TELEMDB_STORAGE_WAL_WAL_FORMAT_H_
