// NabCorpus: the Numenta Anomaly Benchmark files as NAB lays them out
// (`data/<category>/<name>.csv` with columns `timestamp,value`, and
// `labels/combined_windows.json` mapping `<category>/<name>.csv` to `[start, end]` timestamp
// pairs), loaded into memory with each labelled window turned into a range of row indexes.
//
// Rows stay in file order and keep their timestamp text exactly as written, because NAB's
// result files must repeat it. Timestamps are naive date-times ("2014-04-01 00:05:00",
// optionally with fractional seconds); they are read as UTC.
//
// Thread safety: plain values; the functions are reentrant.
#ifndef TELEMDB_BENCH_NAB_NAB_CORPUS_H_
#define TELEMDB_BENCH_NAB_NAB_CORPUS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace telemdb::nab {

// One labelled anomaly window: rows [first, last] of its file (inclusive, file order).
struct Window {
  int64_t first = 0;
  int64_t last = 0;
  int64_t width() const { return last - first + 1; }
};

struct NabFile {
  std::string category;                 // e.g. "realKnownCause"
  std::string name;                     // file name without ".csv", e.g. "nyc_taxi"
  std::vector<std::string> timestamps;  // as written in the file
  std::vector<int64_t> ts_ns;           // the same, parsed (UTC ns)
  std::vector<double> values;
  std::vector<std::string> value_texts;  // as written in the file
  std::vector<Window> windows;           // ascending, disjoint

  std::string key() const { return category + "/" + name + ".csv"; }
  int64_t rows() const { return static_cast<int64_t>(values.size()); }
  // Whether row i lies in a labelled window.
  bool InWindow(int64_t i) const;
};

// "YYYY-MM-DD HH:MM:SS[.fraction]" (also with 'T') as UTC nanoseconds.
// Errors: InvalidArgument naming the text.
absl::StatusOr<int64_t> ParseNabTime(std::string_view text);

// Loads every `data/<category>/<name>.csv` under `root` (sorted by category, then name) and
// the windows of `labels/combined_windows.json`. Errors: NotFound for a missing directory or
// label file; InvalidArgument for a malformed CSV row, label entry or timestamp, or a label
// file naming a data file that does not exist.
absl::StatusOr<std::vector<NabFile>> LoadNabCorpus(const std::string& root);

}  // namespace telemdb::nab

#endif  // TELEMDB_BENCH_NAB_NAB_CORPUS_H_
