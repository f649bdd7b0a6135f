#include "storage/write_error.h"

#include "absl/strings/cord.h"
#include "util/coding.h"

namespace telemdb::storage {
namespace {
constexpr char kTypeUrl[] = "type.telemdb.dev/telemdb.BatchError";
}

absl::Status MakeBatchError(absl::StatusCode code, const BatchError& where,
                            const std::string& message) {
  absl::Status s(code, message);
  std::string payload;
  PutVarsint64(&payload, where.group);
  PutLengthPrefixed(&payload, where.series);
  PutLengthPrefixed(&payload, where.field);
  PutVarsint64(&payload, where.row);
  s.SetPayload(kTypeUrl, absl::Cord(payload));
  return s;
}

std::optional<BatchError> GetBatchError(const absl::Status& status) {
  auto payload = status.GetPayload(kTypeUrl);
  if (!payload) return std::nullopt;
  std::string bytes(*payload);
  ByteReader in(bytes);
  BatchError e;
  std::string_view series, field;
  if (!in.GetVarsint64(&e.group) || !in.GetLengthPrefixed(&series) ||
      !in.GetLengthPrefixed(&field) || !in.GetVarsint64(&e.row)) {
    return std::nullopt;
  }
  e.series = std::string(series);
  e.field = std::string(field);
  return e;
}

}  // namespace telemdb::storage
