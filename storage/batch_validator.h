// Validation of a write batch, in full, before it has any effect. Every error is
// InvalidArgument (or ResourceExhausted for size limits) with a message that names the group,
// series, field and row at fault, and the same location attached (storage/write_error.h).
//
// Thread safety: pure function.
#ifndef TELEMDB_STORAGE_BATCH_VALIDATOR_H_
#define TELEMDB_STORAGE_BATCH_VALIDATOR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/options.h"
#include "storage/types.h"
#include "util/client_text.h"

namespace telemdb::storage {

struct ValidationContext {
  const Limits* limits = nullptr;
  int64_t now_ns = 0;
  int64_t retention_cutoff_ns = INT64_MIN;  // points before this are rejected
};

// Checks `groups` and sorts each group's tags by key (the only change it makes).
// Returns the number of points (valid field values) on success.
absl::StatusOr<uint64_t> ValidateBatch(std::vector<SeriesBatch>* groups,
                                       const ValidationContext& ctx);

// "measurement,k=v,k2=v2" for messages.
std::string DescribeGroup(const SeriesBatch& g);

}  // namespace telemdb::storage

#endif  // TELEMDB_STORAGE_BATCH_VALIDATOR_H_
