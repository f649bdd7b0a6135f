// CRC32C (Castagnoli), the checksum of every persisted record and chunk.
//
// Debian 12 packages no CRC32C library (google/crc32c is not packaged; RocksDB's copy is not
// a public header), so this is our own: SSE4.2 `crc32` instructions when the CPU has them,
// a slicing table otherwise. Both give identical results (tested). Thread safety: pure.
#ifndef TELEMDB_UTIL_CRC32C_H_
#define TELEMDB_UTIL_CRC32C_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace telemdb::crc32c {

// Returns the CRC32C of data[0, n) continuing from `init` (the crc of preceding bytes).
uint32_t Extend(uint32_t init, const char* data, size_t n);
inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

// The portable implementation, exposed for tests.
uint32_t ExtendPortable(uint32_t init, const char* data, size_t n);

}  // namespace telemdb::crc32c

#endif  // TELEMDB_UTIL_CRC32C_H_
