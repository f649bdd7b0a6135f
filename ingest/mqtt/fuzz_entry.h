// One fuzzing entry for everything in the MQTT bridge that reads bytes from the outside: the
// packet decoders (what a broker sends), the payload decoders and topic templates (what
// devices send), and the configuration parser (what an operator writes). The first byte of
// the input picks the target. Used by mqtt_fuzzer (libFuzzer, TELEMDB_FUZZ) and by
// mqtt_test, which runs it over random inputs in every build.
//
// Thread safety: thread-safe.
#ifndef TELEMDB_INGEST_MQTT_FUZZ_ENTRY_H_
#define TELEMDB_INGEST_MQTT_FUZZ_ENTRY_H_

#include <string_view>

namespace telemdb::ingest::mqtt {

// Never crashes, whatever `data` holds; checks invariants of what it decodes (aborts when one
// breaks).
void FuzzMqtt(std::string_view data);

}  // namespace telemdb::ingest::mqtt

#endif  // TELEMDB_INGEST_MQTT_FUZZ_ENTRY_H_
