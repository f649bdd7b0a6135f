#include "ingest/lineproto/precision.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace telemdb::lineproto {

absl::StatusOr<Precision> ParsePrecision(std::string_view name) {
  if (name == "ns" || name == "n") return Precision::kNanoseconds;
  if (name == "us" || name == "u") return Precision::kMicroseconds;
  if (name == "ms") return Precision::kMilliseconds;
  if (name == "s") return Precision::kSeconds;
  if (name == "m") return Precision::kMinutes;
  if (name == "h") return Precision::kHours;
  return absl::InvalidArgumentError(absl::StrCat("unknown timestamp precision \"",
                                                 std::string(name).substr(0, 32),
                                                 "\"; want ns (n), us (u), ms, s, m or h"));
}

const char* PrecisionName(Precision p) {
  switch (p) {
    case Precision::kNanoseconds:
      return "ns";
    case Precision::kMicroseconds:
      return "us";
    case Precision::kMilliseconds:
      return "ms";
    case Precision::kSeconds:
      return "s";
    case Precision::kMinutes:
      return "m";
    case Precision::kHours:
      return "h";
  }
  return "?";
}

int64_t NanosPerUnit(Precision p) {
  switch (p) {
    case Precision::kNanoseconds:
      return 1;
    case Precision::kMicroseconds:
      return 1000;
    case Precision::kMilliseconds:
      return 1000 * 1000;
    case Precision::kSeconds:
      return 1000 * 1000 * 1000;
    case Precision::kMinutes:
      return 60LL * 1000 * 1000 * 1000;
    case Precision::kHours:
      return 3600LL * 1000 * 1000 * 1000;
  }
  return 1;
}

std::optional<int64_t> ScaleToNanos(int64_t value, Precision p) {
  int64_t out;
  if (__builtin_mul_overflow(value, NanosPerUnit(p), &out)) return std::nullopt;
  return out;
}

}  // namespace telemdb::lineproto
