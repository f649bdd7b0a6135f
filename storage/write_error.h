// Where in a write batch an error is: attached to the absl::Status as a payload so that the
// gRPC layer can return it as a structured detail (series, field, row).
#ifndef TELEMDB_STORAGE_WRITE_ERROR_H_
#define TELEMDB_STORAGE_WRITE_ERROR_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"

namespace telemdb::storage {

struct BatchError {
  int64_t group = -1;  // index of the series group in the request, -1 if not specific
  std::string series;  // measurement,tag=value,... of that group
  std::string field;   // empty if not specific
  int64_t row = -1;    // row index within the group, -1 if not specific
};

// Returns a status of `code` with `message` and `where` attached.
absl::Status MakeBatchError(absl::StatusCode code, const BatchError& where,
                            const std::string& message);
// The location attached by MakeBatchError, if any.
std::optional<BatchError> GetBatchError(const absl::Status& status);

}  // namespace telemdb::storage

#endif  // TELEMDB_STORAGE_WRITE_ERROR_H_
