// NAB result files: `<root>/<detector>/<category>/<detector>_<name>.csv` with the header
// `timestamp,value,anomaly_score,label` and one row per source row, in file order: the
// timestamp and value exactly as written in the source, the score (shortest round-trip
// decimal; NaN written as 0) and 1 inside a labelled window, else 0 — what NAB's scorer reads.
//
// Thread safety: reentrant.
#ifndef TELEMDB_BENCH_NAB_RESULT_FILES_H_
#define TELEMDB_BENCH_NAB_RESULT_FILES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bench/nab/nab_corpus.h"

namespace telemdb::nab {

// Errors: Internal when a directory or file cannot be written.
absl::Status WriteResultFile(const std::string& root, const std::string& detector,
                             const NabFile& file, const std::vector<double>& scores);

}  // namespace telemdb::nab

#endif  // TELEMDB_BENCH_NAB_RESULT_FILES_H_
