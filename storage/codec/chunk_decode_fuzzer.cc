// libFuzzer target: decoding arbitrary bytes must never crash, hang or allocate much. Each
// input is tried as is (exercises the CRC check) and with a valid CRC appended (exercises
// the parser and every codec).
#include <cstddef>
#include <cstdint>
#include <string>

#include "storage/codec/chunk.h"
#include "util/coding.h"
#include "util/crc32c.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using telemdb::storage::codec::Columns;
  using telemdb::storage::codec::DecodeChunk;
  using telemdb::storage::codec::DecodeChunkHeader;
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  Columns out;
  (void)DecodeChunk(raw, &out);
  std::string fixed(raw);
  telemdb::PutFixed32(&fixed, telemdb::crc32c::Value(raw));
  (void)DecodeChunkHeader(fixed);
  if (DecodeChunk(fixed, &out).ok()) {
    for (size_t i = 1; i < out.ts.size(); i++) {
      if (out.ts[i] <= out.ts[i - 1]) __builtin_trap();
    }
  }
  return 0;
}
