#include "ingest/lineproto/values.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <system_error>

namespace telemdb::lineproto::internal {
namespace {

using storage::ValueType;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view lower_b) {
  if (a.size() != lower_b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != lower_b[i]) return false;
  }
  return true;
}

ParsedValue Error(ValueError e) {
  ParsedValue r;
  r.error = e;
  return r;
}

ParsedValue ParseBool(std::string_view t) {
  ParsedValue r;
  r.value.type = ValueType::kBool;
  if (t == "t" || t == "T" || t == "true" || t == "True" || t == "TRUE") {
    r.value.i = 1;
    return r;
  }
  if (t == "f" || t == "F" || t == "false" || t == "False" || t == "FALSE") {
    r.value.i = 0;
    return r;
  }
  return Error(ValueError::kBareString);
}

ParsedValue ParseInteger(std::string_view digits) {
  if (digits.empty() || !(IsDigit(digits[0]) || digits[0] == '-')) {
    return Error(ValueError::kInvalid);
  }
  ParsedValue r;
  r.value.type = ValueType::kInt;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), r.value.i);
  if (ec == std::errc::result_out_of_range) return Error(ValueError::kIntegerOutOfRange);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) {
    return Error(ValueError::kInvalid);
  }
  return r;
}

ParsedValue ParseUnsigned(std::string_view digits) {
  if (!digits.empty() && digits[0] == '-') return Error(ValueError::kNegativeUnsigned);
  if (digits.empty() || !IsDigit(digits[0])) return Error(ValueError::kInvalid);
  uint64_t u = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), u);
  if (ec == std::errc::result_out_of_range) return Error(ValueError::kUnsignedOutOfRange);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) {
    return Error(ValueError::kInvalid);
  }
  if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Error(ValueError::kUnsignedOutOfRange);
  }
  ParsedValue r;
  r.value.type = ValueType::kInt;
  r.value.i = static_cast<int64_t>(u);
  return r;
}

ParsedValue ParseNonFinite(std::string_view t, bool allow) {
  bool negative = !t.empty() && t[0] == '-';
  std::string_view word = negative ? t.substr(1) : t;
  bool nan = EqualsIgnoreCase(word, "nan");
  bool inf = EqualsIgnoreCase(word, "inf") || EqualsIgnoreCase(word, "infinity");
  if (!nan && !inf) {
    bool word = !t.empty() && ((t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z'));
    return Error(word ? ValueError::kBareString : ValueError::kInvalid);
  }
  if (!allow) return Error(ValueError::kNonFinite);
  ParsedValue r;
  r.value.type = ValueType::kFloat;
  r.value.f =
      nan ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  if (negative) r.value.f = -r.value.f;
  return r;
}

ParsedValue ParseFloat(std::string_view t, bool allow_non_finite) {
  {
    ParsedValue r;
    r.value.type = ValueType::kFloat;
    if (ParseSimpleDecimal(t, &r.value.f)) return r;
  }
  size_t first = (t[0] == '-') ? 1 : 0;
  if (first >= t.size()) return Error(ValueError::kInvalid);
  char c = t[first];
  if (!IsDigit(c) && c != '.') return ParseNonFinite(t, allow_non_finite);
  ParsedValue r;
  r.value.type = ValueType::kFloat;
  auto [ptr, ec] =
      std::from_chars(t.data(), t.data() + t.size(), r.value.f, std::chars_format::general);
  if (ec != std::errc() && ec != std::errc::result_out_of_range) {
    return Error(ValueError::kInvalid);
  }
  if (ptr != t.data() + t.size()) return Error(ValueError::kInvalid);
  if (ec == std::errc::result_out_of_range) {
    // from_chars reports both overflow and underflow and leaves the value unset. Underflow
    // rounds to (signed) zero as in Go's ParseFloat; overflow is an error. This path is rare,
    // so strtod (C locale; we never call setlocale) tells the two apart.
    std::string copy(t);
    double v = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(v)) return Error(ValueError::kFloatOutOfRange);
    r.value.f = v;
  }
  return r;
}

}  // namespace

const char* ValueErrorReason(ValueError e) {
  switch (e) {
    case ValueError::kNone:
      return "ok";
    case ValueError::kInvalid:
      return "invalid number";
    case ValueError::kBareString:
      return "invalid value (strings must be double-quoted; booleans are t, T, true, True, "
             "TRUE, f, F, false, False, FALSE)";
    case ValueError::kIntegerOutOfRange:
      return "integer out of range (int64)";
    case ValueError::kUnsignedOutOfRange:
      return "unsigned integer out of range (values are stored as int64; max "
             "9223372036854775807)";
    case ValueError::kNegativeUnsigned:
      return "unsigned integer cannot be negative";
    case ValueError::kFloatOutOfRange:
      return "float out of range (double)";
    case ValueError::kNonFinite:
      return "NaN and Inf are not valid line-protocol values";
  }
  return "invalid value";
}

ParsedValue ParseUnquotedValue(std::string_view token, bool allow_non_finite) {
  char first = token[0];
  if (first == 't' || first == 'T' || first == 'f' || first == 'F') return ParseBool(token);
  char last = token.back();
  if (last == 'i') return ParseInteger(token.substr(0, token.size() - 1));
  if (last == 'u') return ParseUnsigned(token.substr(0, token.size() - 1));
  return ParseFloat(token, allow_non_finite);
}

ParsedTimestamp ParseTimestamp(std::string_view token, Precision precision) {
  ParsedTimestamp r;
  if (token.empty() || !(IsDigit(token[0]) || (token[0] == '-' && token.size() > 1))) {
    r.error = TimestampError::kInvalid;
    return r;
  }
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
  if (ec == std::errc::result_out_of_range) {
    r.error = TimestampError::kOutOfRange;
    return r;
  }
  if (ec != std::errc() || ptr != token.data() + token.size()) {
    r.error = TimestampError::kInvalid;
    return r;
  }
  std::optional<int64_t> ns = ScaleToNanos(v, precision);
  if (!ns) {
    r.error = TimestampError::kOutOfRange;
    return r;
  }
  r.ns = *ns;
  return r;
}

size_t FirstInvalidUtf8(std::string_view s) {
  const auto* begin = reinterpret_cast<const unsigned char*>(s.data());
  const auto* p = begin;
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return p - begin;
    }
    if (end - p <= n) return p - begin;
    for (int k = 1; k <= n; ++k) {
      if ((p[k] & 0xC0) != 0x80) return p - begin;
      cp = (cp << 6) | (p[k] & 0x3F);
    }
    static constexpr uint32_t kMin[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return p - begin;
    p += n + 1;
  }
  return s.size();
}

}  // namespace telemdb::lineproto::internal
