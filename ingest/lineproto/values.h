// Scalar token parsing for the line-protocol parser: unquoted field values (floats, `i`
// integers, `u` unsigned integers, booleans), timestamps, and UTF-8 validation. Internal to
// ingest/lineproto; the Parser turns a ValueError into a positioned message.
// Pure functions; thread-safe; never allocate.
#ifndef TELEMDB_INGEST_LINEPROTO_VALUES_H_
#define TELEMDB_INGEST_LINEPROTO_VALUES_H_

#include <cstdint>
#include <string_view>

#include "ingest/lineproto/point.h"
#include "ingest/lineproto/precision.h"

namespace telemdb::lineproto::internal {

enum class ValueError : uint8_t {
  kNone = 0,
  kInvalid,             // not a number, boolean or (allowed) NaN/Inf
  kBareString,          // looks like a word: strings must be double-quoted
  kIntegerOutOfRange,   // `i` value outside int64
  kUnsignedOutOfRange,  // `u` value above INT64_MAX (we store int64)
  kNegativeUnsigned,    // `-5u`
  kFloatOutOfRange,     // finite literal that overflows double (1e999)
  kNonFinite,           // NaN / Inf literal while ParseOptions::allow_non_finite is false
};

// A human-readable reason for `e` (no position), e.g. "integer out of range".
const char* ValueErrorReason(ValueError e);

struct ParsedValue {
  FieldValue value;
  ValueError error = ValueError::kNone;
};

// Exact powers of ten as doubles (10^22 is the largest exactly representable one).
inline constexpr double kExactPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                         1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                         1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// The common sensor form `-?digits[.digits]` with at most 15 significant digits: the mantissa
// and the power of ten are both exact doubles, so one IEEE division is correctly rounded
// (Clinger's fast path), the same result from_chars gives. Returns false to fall back.
inline bool ParseSimpleDecimal(std::string_view t, double* out) {
  const char* p = t.data();
  const char* end = p + t.size();
  bool negative = *p == '-';
  if (negative) ++p;
  uint64_t mantissa = 0;
  int digits = 0;
  int fraction_digits = 0;
  bool dot = false;
  if (p == end) return false;
  for (; p < end; ++p) {
    char c = *p;
    if ((c >= '0' && c <= '9')) {
      mantissa = mantissa * 10 + static_cast<uint64_t>(c - '0');
      if (mantissa != 0) ++digits;  // leading zeros are not significant
      if (dot) ++fraction_digits;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      return false;  // exponent or junk: the general path decides
    }
  }
  if (digits > 15 || fraction_digits > 22) return false;
  if (t.size() == static_cast<size_t>(negative) + (dot ? 1 : 0)) return false;  // "-", "."
  double v = static_cast<double>(mantissa) / kExactPow10[fraction_digits];
  *out = negative ? -v : v;
  return true;
}

// Parses an unquoted field value: `1`, `-1.5e3`, `7i`, `7u`, `t`/`true`/`False`..., and when
// `allow_non_finite` also `NaN`, `Inf`, `-Inf` (any case). REQUIRES: !token.empty().
ParsedValue ParseUnquotedValue(std::string_view token, bool allow_non_finite);

enum class TimestampError : uint8_t { kNone = 0, kInvalid, kOutOfRange };
struct ParsedTimestamp {
  int64_t ns = 0;
  TimestampError error = TimestampError::kNone;
};

// Parses an optionally negative decimal integer timestamp in units of `precision` and scales
// it to nanoseconds. kOutOfRange when the literal or the scaled value overflows int64.
ParsedTimestamp ParseTimestamp(std::string_view token, Precision precision);

// Offset of the first byte of `s` that is not part of well-formed UTF-8 (overlongs, surrogates
// and code points above U+10FFFF are ill-formed), or s.size() when all of `s` is well-formed.
size_t FirstInvalidUtf8(std::string_view s);

}  // namespace telemdb::lineproto::internal

#endif  // TELEMDB_INGEST_LINEPROTO_VALUES_H_
