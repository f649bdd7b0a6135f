#include "ingest/mqtt/outcome.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "ingest/mqtt/codec.h"

namespace telemdb::ingest::mqtt {
namespace {

// "... retry after 200ms" (storage's hint), or zero.
absl::Duration RetryHint(absl::string_view message) {
  constexpr absl::string_view kMark = "retry after ";
  size_t at = message.find(kMark);
  if (at == absl::string_view::npos) return absl::ZeroDuration();
  absl::string_view rest = message.substr(at + kMark.size());
  size_t digits = 0;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') digits++;
  int64_t ms = 0;
  if (digits == 0 || !absl::SimpleAtoi(rest.substr(0, digits), &ms)) return absl::ZeroDuration();
  return absl::Milliseconds(ms);
}

}  // namespace

Outcome OutcomeOf(const absl::Status& s) {
  Outcome o;
  switch (s.code()) {
    case absl::StatusCode::kOk:
      o.disposition = Disposition::kStored;
      break;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
      o.disposition = Disposition::kReject;
      o.rejection = Rejection::kInvalid;
      break;
    case absl::StatusCode::kPermissionDenied:
      // auth/scopes.cc: "identity \"...\" may not write series ...". Any other
      // PermissionDenied (EACCES on a WAL file) is the server's problem: retried.
      if (absl::StrContains(s.message(), "may not write")) {
        o.disposition = Disposition::kReject;
        o.rejection = Rejection::kDenied;
      } else {
        o.disposition = Disposition::kRetry;
      }
      break;
    case absl::StatusCode::kUnauthenticated:
      o.disposition = Disposition::kPause;
      break;
    case absl::StatusCode::kResourceExhausted:
      // storage/series_index.cc: "series cardinality limit reached: ..."
      if (absl::StrContains(s.message(), "cardinality limit")) {
        o.disposition = Disposition::kReject;
        o.rejection = Rejection::kLimits;
      } else {
        o.disposition = Disposition::kRetry;
        o.retry_after = RetryHint(s.message());
      }
      break;
    default:
      o.disposition = Disposition::kRetry;
      break;
  }
  return o;
}

uint8_t ReasonCodeOf(Rejection r) {
  switch (r) {
    case Rejection::kPayload:
    case Rejection::kTimestamp:
      return kReasonPayloadFormatInvalid;
    case Rejection::kTopic:
      return kReasonTopicNameInvalid;
    case Rejection::kTooLarge:
      return kReasonPacketTooLarge;
    case Rejection::kDenied:
      return kReasonNotAuthorized;
    case Rejection::kLimits:
      return 0x97;  // quota exceeded
    case Rejection::kInvalid:
      return 0x83;  // implementation specific error
  }
  return kReasonUnspecified;
}

}  // namespace telemdb::ingest::mqtt
