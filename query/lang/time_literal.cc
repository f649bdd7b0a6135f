#include "query/lang/time_literal.h"

#include <array>
#include <cstddef>
#include <cstdio>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace telemdb::query::lang {
namespace {

struct Unit {
  std::string_view name;
  int64_t ns;
};

// Parse order does not matter; FormatDuration uses the first eight, largest first.
constexpr std::array<Unit, 10> kUnits = {{
    {"w", 7 * 24 * 3600 * kNanosPerSecond},
    {"d", 24 * 3600 * kNanosPerSecond},
    {"h", 3600 * kNanosPerSecond},
    {"m", 60 * kNanosPerSecond},
    {"s", kNanosPerSecond},
    {"ms", 1'000'000},
    {"us", 1'000},
    {"ns", 1},
    {"\xC2\xB5s", 1'000},  // U+00B5 MICRO SIGN
    {"\xCE\xBCs", 1'000},  // U+03BC GREEK SMALL LETTER MU
}};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t year, month, day;
};

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return {yoe + era * 400 + (m <= 2), m, d};
}

int64_t DaysInMonth(int64_t y, int64_t m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at `*pos` into `*out`.
bool ReadDigits(std::string_view s, size_t* pos, int n, int64_t* out) {
  if (*pos + n > s.size()) return false;
  int64_t v = 0;
  for (int i = 0; i < n; ++i) {
    const char c = s[*pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool ReadChar(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

absl::Status BadTime(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid time '", std::string(text), "': ", std::string(why),
                   " (expected RFC3339 like '2026-01-01T00:00:00Z')"));
}

}  // namespace

absl::StatusOr<int64_t> ParseDuration(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid duration '", std::string(text), "': ", std::string(why)));
  };
  if (text.empty()) return bad("empty");
  int64_t total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    if (!IsDigit(text[pos])) return bad("expected digits before each unit");
    int64_t count = 0;
    while (pos < text.size() && IsDigit(text[pos])) {
      if (__builtin_mul_overflow(count, 10, &count) ||
          __builtin_add_overflow(count, text[pos] - '0', &count)) {
        return bad("out of range");
      }
      ++pos;
    }
    const size_t unit_start = pos;
    while (pos < text.size() && !IsDigit(text[pos])) ++pos;
    const std::string_view unit_text = text.substr(unit_start, pos - unit_start);
    if (unit_text.empty()) {
      return bad("missing unit (expected one of ns, us, µs, ms, s, m, h, d, w)");
    }
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (u.name == unit_text) unit = &u;
    }
    if (unit == nullptr) {
      return bad(absl::StrCat("unknown unit '", std::string(unit_text),
                              "' (expected one of ns, us, µs, ms, s, m, h, d, w)"));
    }
    int64_t part;
    if (__builtin_mul_overflow(count, unit->ns, &part) ||
        __builtin_add_overflow(total, part, &total)) {
      return bad("out of range");
    }
  }
  return total;
}

std::string FormatDuration(int64_t ns) {
  if (ns == 0) return "0s";
  std::string out;
  uint64_t rest = static_cast<uint64_t>(ns);
  if (ns < 0) {
    out = "-";
    rest = ~rest + 1;  // magnitude, also for INT64_MIN
  }
  for (size_t i = 0; i < 8 && rest > 0; ++i) {
    const uint64_t unit = static_cast<uint64_t>(kUnits[i].ns);
    if (rest >= unit) {
      absl::StrAppend(&out, rest / unit, std::string(kUnits[i].name));
      rest %= unit;
    }
  }
  return out;
}

absl::StatusOr<int64_t> ParseRfc3339(std::string_view text) {
  size_t pos = 0;
  int64_t year, month, day, hour = 0, minute = 0, second = 0, frac_ns = 0, offset_s = 0;
  if (!ReadDigits(text, &pos, 4, &year) || !ReadChar(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &month) || !ReadChar(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &day)) {
    return BadTime(text, "expected a date YYYY-MM-DD");
  }
  if (month < 1 || month > 12) return BadTime(text, "month out of range");
  if (day < 1 || day > DaysInMonth(year, month)) return BadTime(text, "day out of range");
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') {
      return BadTime(text, "expected 'T' after the date");
    }
    ++pos;
    if (!ReadDigits(text, &pos, 2, &hour) || !ReadChar(text, &pos, ':') ||
        !ReadDigits(text, &pos, 2, &minute) || !ReadChar(text, &pos, ':') ||
        !ReadDigits(text, &pos, 2, &second)) {
      return BadTime(text, "expected a time of day HH:MM:SS");
    }
    if (hour > 23 || minute > 59 || second > 59) {
      return BadTime(text, "time of day out of range");
    }
    if (ReadChar(text, &pos, '.')) {
      int digits = 0;
      while (pos < text.size() && IsDigit(text[pos])) {
        if (++digits > 9) return BadTime(text, "more than 9 fractional digits");
        frac_ns = frac_ns * 10 + (text[pos++] - '0');
      }
      if (digits == 0) return BadTime(text, "expected digits after '.'");
      for (int i = digits; i < 9; ++i) frac_ns *= 10;
    }
    if (pos < text.size()) {
      const char zone = text[pos++];
      if (zone == 'Z' || zone == 'z') {
        // UTC
      } else if (zone == '+' || zone == '-') {
        int64_t oh, om;
        if (!ReadDigits(text, &pos, 2, &oh) || !ReadChar(text, &pos, ':') ||
            !ReadDigits(text, &pos, 2, &om) || oh > 23 || om > 59) {
          return BadTime(text, "expected a zone offset like +02:00");
        }
        offset_s = (zone == '+' ? 1 : -1) * (oh * 3600 + om * 60);
      } else {
        return BadTime(text, "expected 'Z' or a zone offset like +02:00");
      }
    }
  }
  if (pos != text.size()) return BadTime(text, "unexpected text after the time");
  const __int128 seconds = static_cast<__int128>(DaysFromCivil(year, month, day)) * 86400 +
                           hour * 3600 + minute * 60 + second - offset_s;
  const __int128 ns = seconds * kNanosPerSecond + frac_ns;
  if (ns < std::numeric_limits<int64_t>::min() || ns > std::numeric_limits<int64_t>::max()) {
    return BadTime(text, "outside the representable range 1677-09-21..2262-04-11");
  }
  return static_cast<int64_t>(ns);
}

std::string FormatRfc3339(int64_t ns) {
  int64_t seconds = ns / kNanosPerSecond;
  int64_t frac = ns % kNanosPerSecond;
  if (frac < 0) {
    frac += kNanosPerSecond;
    --seconds;
  }
  int64_t days = seconds / 86400;
  int64_t sod = seconds % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  const Civil c = CivilFromDays(days);
  char buf[64];
  int n = snprintf(buf, sizeof(buf), "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld",
                   static_cast<long long>(c.year), static_cast<long long>(c.month),
                   static_cast<long long>(c.day), static_cast<long long>(sod / 3600),
                   static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60));
  std::string out(buf, n);
  if (frac != 0) {
    n = snprintf(buf, sizeof(buf), ".%09lld", static_cast<long long>(frac));
    std::string digits(buf, n);
    while (digits.back() == '0') digits.pop_back();
    out += digits;
  }
  out += 'Z';
  return out;
}

}  // namespace telemdb::query::lang
