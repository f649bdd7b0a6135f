// Converts a WriteRequest from the wire into storage batches, checking its shape: every
// field has values of one type, one per timestamp, and a well-formed set of missing rows.
// Semantic checks (names, timestamps, types of existing series) are storage's.
//
// Thread safety: pure function.
#ifndef TELEMDB_INGEST_REQUEST_CONVERT_H_
#define TELEMDB_INGEST_REQUEST_CONVERT_H_

#include <vector>

#include "absl/status/status.h"
#include "storage/types.h"

namespace telemdb::v1 {
class WriteRequest;
}

namespace telemdb::ingest {

// Errors: InvalidArgument naming the series entry, field and row (storage/write_error.h).
absl::Status ConvertRequest(const v1::WriteRequest& req, std::vector<storage::SeriesBatch>* out);

}  // namespace telemdb::ingest

#endif  // TELEMDB_INGEST_REQUEST_CONVERT_H_
