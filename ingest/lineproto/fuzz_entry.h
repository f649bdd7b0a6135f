// The fuzzing entry point of ingest/lineproto, shared by the libFuzzer target
// (lineproto_fuzzer) and lineproto_test, so the same checks run in every build.
//
// FuzzLineProtocol parses `data` in skip mode (and with NaN allowed), feeds every point to a
// ColumnarBatcher, and checks invariants; a broken invariant is a bug and aborts:
//   - every line is a point, skipped, or one reported error with a sane line/column;
//   - every point re-written by AppendPoint parses back to the same point;
//   - every SeriesBatch the batcher hands out has equally long columns.
// Thread-safe (no shared state).
#ifndef TELEMDB_INGEST_LINEPROTO_FUZZ_ENTRY_H_
#define TELEMDB_INGEST_LINEPROTO_FUZZ_ENTRY_H_

#include <string_view>

namespace telemdb::lineproto {

void FuzzLineProtocol(std::string_view data);

}  // namespace telemdb::lineproto

#endif  // TELEMDB_INGEST_LINEPROTO_FUZZ_ENTRY_H_
