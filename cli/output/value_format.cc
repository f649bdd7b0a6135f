#include "cli/output/value_format.h"

#include <charconv>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "util/absl_compat.h"

namespace telemdb::cli {
namespace {

constexpr int64_t kNsPerSec = 1'000'000'000;

// Floor division (rounds towards negative infinity).
int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

// Days since 1970-01-01 -> civil date (Howard Hinnant's algorithm).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

void AppendDigits(int64_t v, int width, std::string* out) {
  char buf[24];
  int n = 0;
  bool neg = v < 0;
  uint64_t u = neg ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v);
  do {
    buf[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (neg) out->push_back('-');
  for (int i = n; i < width; i++) out->push_back('0');
  while (n > 0) out->push_back(buf[--n]);
}

}  // namespace

absl::StatusOr<TimeUnit> ParseTimeUnit(std::string_view s) {
  if (s.empty() || s == "rfc3339") return TimeUnit::kRfc3339;
  if (s == "ns") return TimeUnit::kNanoseconds;
  if (s == "ms") return TimeUnit::kMilliseconds;
  if (s == "s") return TimeUnit::kSeconds;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown time unit \"", Sv(s), "\"; expected ns, ms, s or rfc3339"));
}

void AppendDouble(double v, std::string* out) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "Inf" : "-Inf");
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

void AppendRfc3339(int64_t ns, std::string* out) {
  int64_t secs = ns / kNsPerSec;  // no overflow even at INT64_MIN
  int64_t frac = ns % kNsPerSec;
  if (frac < 0) frac += kNsPerSec, secs--;
  int64_t days = FloorDiv(secs, 86400);
  int64_t sod = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  AppendDigits(y, 4, out);
  out->push_back('-');
  AppendDigits(m, 2, out);
  out->push_back('-');
  AppendDigits(d, 2, out);
  out->push_back('T');
  AppendDigits(sod / 3600, 2, out);
  out->push_back(':');
  AppendDigits(sod / 60 % 60, 2, out);
  out->push_back(':');
  AppendDigits(sod % 60, 2, out);
  if (frac != 0) {
    char digits[9];
    for (int i = 8; i >= 0; i--) {
      digits[i] = static_cast<char>('0' + frac % 10);
      frac /= 10;
    }
    int len = 9;
    while (digits[len - 1] == '0') len--;
    out->push_back('.');
    out->append(digits, static_cast<size_t>(len));
  }
  out->push_back('Z');
}

void AppendTime(int64_t ns, TimeUnit unit, std::string* out) {
  switch (unit) {
    case TimeUnit::kRfc3339:
      AppendRfc3339(ns, out);
      return;
    case TimeUnit::kNanoseconds:
      AppendInt(ns, out);
      return;
    case TimeUnit::kMilliseconds:
      AppendInt(FloorDiv(ns, 1'000'000), out);
      return;
    case TimeUnit::kSeconds:
      AppendInt(FloorDiv(ns, kNsPerSec), out);
      return;
  }
}

void AppendCsvCell(std::string_view s, std::string* out) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t plain = 0;
  for (size_t i = 0; i < s.size(); i++) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.substr(plain, i - plain));
    plain = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
  }
  out->append(s.substr(plain));
  out->push_back('"');
}

absl::StatusOr<int64_t> ParseTimeArg(std::string_view s) {
  int64_t ns = 0;
  if (absl::SimpleAtoi(Sv(s), &ns)) return ns;
  absl::Time t;
  std::string err;
  absl::TimeZone utc = absl::UTCTimeZone();
  bool ok = absl::ParseTime(absl::RFC3339_full, Sv(s), utc, &t, &err) ||
            absl::ParseTime("%Y-%m-%d %H:%M:%E*S", Sv(s), utc, &t, &err) ||
            absl::ParseTime("%Y-%m-%d", Sv(s), utc, &t, &err);
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot parse time \"", Sv(s),
                     "\": expected RFC 3339 (2026-01-01T00:00:00Z), a date or integer ns"));
  }
  return absl::ToUnixNanos(t);
}

}  // namespace telemdb::cli
