#include "query/engine/context.h"

#include "absl/strings/str_cat.h"

namespace telemdb::query {

absl::Status Context::Check() const {
  if (cancelled()) return absl::CancelledError("query cancelled");
  if (deadline_ != absl::InfiniteFuture() && absl::Now() >= deadline_) {
    return absl::DeadlineExceededError(
        absl::StrCat("query deadline exceeded (deadline ", absl::FormatTime(deadline_), ")"));
  }
  return absl::OkStatus();
}

}  // namespace telemdb::query
