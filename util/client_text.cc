#include "util/client_text.h"

#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace telemdb {
namespace {

// Length of the well-formed UTF-8 sequence at p (1-4), or 0 when it is not one.
size_t SequenceLength(const unsigned char* p, const unsigned char* end) {
  unsigned c = *p;
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((c & 0xe0) == 0xc0) {
    n = 1;
    cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    n = 2;
    cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    n = 3;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (static_cast<size_t>(end - p) < n + 1) return 0;
  for (size_t i = 1; i <= n; i++) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n + 1;
}

}  // namespace

size_t InvalidUtf8Offset(std::string_view s) {
  const auto* begin = reinterpret_cast<const unsigned char*>(s.data());
  const auto* p = begin;
  const auto* end = p + s.size();
  // ASCII runs eight bytes at a time.
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    if (w & 0x8080808080808080ULL) break;
    p += 8;
  }
  while (p < end) {
    size_t n = SequenceLength(p, end);
    if (n == 0) return static_cast<size_t>(p - begin);
    p += n;
  }
  return std::string_view::npos;
}

bool IsValidUtf8(std::string_view s) { return InvalidUtf8Offset(s) == std::string_view::npos; }

std::string_view Utf8Prefix(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t n = max_bytes;
  // Back off continuation bytes so the cut falls between sequences.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) n--;
  return s.substr(0, n);
}

std::string ClientText(std::string_view s, size_t max_bytes) {
  const size_t keep = s.size() < max_bytes ? s.size() : max_bytes;
  std::string out;
  out.reserve(keep + 16);
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* stop = p + keep;
  const auto* end = p + s.size();
  while (p < stop) {
    size_t n = SequenceLength(p, end);
    if (n == 0 || *p < 0x20 || *p == 0x7f || p + n > stop) {
      if (n > 1 && p + n > stop) break;  // a valid character cut by the limit: stop before it
      absl::StrAppendFormat(&out, "\\x%02x", *p);
      p++;
      continue;
    }
    out.append(reinterpret_cast<const char*>(p), n);
    p += n;
  }
  const size_t consumed = static_cast<size_t>(p - reinterpret_cast<const unsigned char*>(s.data()));
  if (consumed < s.size()) absl::StrAppend(&out, "...[", s.size() - consumed, " more bytes]");
  return out;
}

}  // namespace telemdb
