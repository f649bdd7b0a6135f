#include "cli/app/exit_codes.h"

#include <cstdio>

#include "absl/strings/cord.h"

namespace telemdb::cli {
namespace {

constexpr char kUsagePayload[] = "type.telemdb.dev/cli.usage";
constexpr char kConnectionPayload[] = "type.telemdb.dev/cli.connection";

}  // namespace

absl::Status UsageError(const std::string& message) {
  absl::Status s = absl::InvalidArgumentError(message);
  s.SetPayload(kUsagePayload, absl::Cord("1"));
  return s;
}

absl::Status ConnectionError(const std::string& message) {
  absl::Status s = absl::UnavailableError(message);
  s.SetPayload(kConnectionPayload, absl::Cord("1"));
  return s;
}

bool IsUsageError(const absl::Status& s) { return s.GetPayload(kUsagePayload).has_value(); }

int ExitCodeFor(const absl::Status& s) {
  if (s.ok()) return kExitOk;
  if (IsUsageError(s)) return kExitUsage;
  if (s.GetPayload(kConnectionPayload).has_value()) return kExitConnection;
  switch (s.code()) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnavailable:
      return kExitConnection;
    default:
      return kExitError;
  }
}

void PrintError(const std::string& message) {
  std::fprintf(stderr, "telemdb: %s\n", message.c_str());
  std::fflush(stderr);
}

void PrintError(const absl::Status& s) { PrintError(std::string(s.message())); }

int Fail(const absl::Status& s) {
  PrintError(s);
  return ExitCodeFor(s);
}

}  // namespace telemdb::cli
