// Exit codes of the `telemdb` CLI and the one place that maps an error to one.
//
//   0  success (a query that matches nothing is a success)
//   1  query or server error: bad query, rejected points, skipped lines, server failure
//   2  usage error: unknown flag or command, bad flag value, missing argument
//   3  connection or authentication failure: server unreachable (after retrying), TLS or
//      token files unusable, UNAUTHENTICATED, PERMISSION_DENIED
//
// Errors travel as absl::Status. A usage error is an InvalidArgument carrying a payload
// (UsageError()); connection problems keep their gRPC-derived codes (Unavailable,
// Unauthenticated, PermissionDenied) or carry the connection payload (ConnectionError()).
//
// Thread safety: pure functions.
#ifndef TELEMDB_CLI_APP_EXIT_CODES_H_
#define TELEMDB_CLI_APP_EXIT_CODES_H_

#include <string>

#include "absl/status/status.h"

namespace telemdb::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitConnection = 3;

// An InvalidArgument marked as a usage error (exit 2).
absl::Status UsageError(const std::string& message);
// A status of any code marked as a connection failure (exit 3).
absl::Status ConnectionError(const std::string& message);

bool IsUsageError(const absl::Status& s);

// The exit code for a non-OK status: 2 for usage errors; 3 for connection failures,
// Unauthenticated and PermissionDenied; 1 for everything else. OK gives 0.
int ExitCodeFor(const absl::Status& s);

// Prints "telemdb: <message>" on stderr (the message only, never the code name).
void PrintError(const absl::Status& s);
void PrintError(const std::string& message);

// PrintError(s) and ExitCodeFor(s) in one, for command bodies: `return Fail(status);`.
int Fail(const absl::Status& s);

}  // namespace telemdb::cli

#endif  // TELEMDB_CLI_APP_EXIT_CODES_H_
