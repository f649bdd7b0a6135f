// libFuzzer target for the line-protocol parser and batcher (built with TELEMDB_FUZZ).
//   ./lineproto_fuzzer -max_len=4096 corpus/
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/lineproto/fuzz_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  telemdb::lineproto::FuzzLineProtocol(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
