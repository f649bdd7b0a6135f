// libFuzzer target for the MQTT bridge's decoders and configuration (built with TELEMDB_FUZZ).
//   ./mqtt_fuzzer -max_len=4096 corpus/
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/mqtt/fuzz_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  telemdb::ingest::mqtt::FuzzMqtt(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
