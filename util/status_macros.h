// Status propagation macros. Debian's abseil (20220623) has none, so we keep our own here, in
// one place. Thread safety: macros only; no state.
#ifndef TELEMDB_UTIL_STATUS_MACROS_H_
#define TELEMDB_UTIL_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TELEMDB_CONCAT_INNER_(a, b) a##b
#define TELEMDB_CONCAT_(a, b) TELEMDB_CONCAT_INNER_(a, b)

// RETURN_IF_ERROR(expr): evaluates `expr` (an absl::Status) and returns it if not OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status telemdb_status_ = (expr);           \
    if (!telemdb_status_.ok()) return telemdb_status_; \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): evaluates `expr` (an absl::StatusOr<T>); on error returns its
// status, otherwise assigns (moves) the value to `lhs`, which may be a declaration.
#define ASSIGN_OR_RETURN(lhs, expr) \
  TELEMDB_ASSIGN_OR_RETURN_IMPL_(TELEMDB_CONCAT_(telemdb_statusor_, __LINE__), lhs, expr)

#define TELEMDB_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()

#endif  // TELEMDB_UTIL_STATUS_MACROS_H_
