// Loader for the Numenta Anomaly Benchmark CSV files in ../shared/data/nab, used by codec
// tests and bench/codec. Not linked into the server.
//
// Each file is "timestamp,value" with a header row, timestamps "YYYY-MM-DD HH:MM:SS" (UTC)
// and decimal values (parsed with strtod, so each decodes to the nearest double). Some files
// repeat or go back in time; the loader sorts rows by timestamp (stable) and keeps the last
// row of each timestamp, as a last-write-wins database would.
// Thread safety: pure functions.
#ifndef TELEMDB_STORAGE_CODEC_TESTING_NAB_CSV_H_
#define TELEMDB_STORAGE_CODEC_TESTING_NAB_CSV_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace telemdb::storage::codec::testing {

struct NabSeries {
  std::string name;            // file name without directory
  std::vector<int64_t> ts;     // ns since the epoch, strictly ascending
  std::vector<double> values;  // same length as ts
  size_t rows = 0;             // data rows in the file
};

// Errors: NotFound when the file cannot be opened; InvalidArgument for a malformed row.
absl::StatusOr<NabSeries> LoadNabCsv(const std::string& path);

// The *.csv files in `dir`, sorted by name. Errors: NotFound when `dir` cannot be listed.
absl::StatusOr<std::vector<std::string>> ListNabFiles(const std::string& dir);

// The NAB directory as seen from the source root (where tests and the bench run).
inline constexpr char kNabDir[] = "../shared/data/nab";

}  // namespace telemdb::storage::codec::testing

#endif  // TELEMDB_STORAGE_CODEC_TESTING_NAB_CSV_H_
