#include "bench/fleet/workload.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "absl/strings/str_cat.h"

namespace telemdb::fleet {
namespace {

constexpr int64_t kPow10[10] = {1,      10,      100,      1000,      10000,
                                100000, 1000000, 10000000, 100000000, 1000000000};

}  // namespace

absl::Status ValidatePeriodic(const char* what, int64_t devices, int64_t hours,
                              int64_t interval_s, int64_t jitter_s, int64_t start_s) {
  if (devices < 1 || devices > 10'000'000) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be 1..10000000, got ", devices));
  }
  if (hours < 1 || hours > 24 * 366) {
    return absl::InvalidArgumentError(absl::StrCat("hours must be 1..8784, got ", hours));
  }
  if (interval_s < 1 || 3600 % interval_s != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("interval_s must divide 3600, got ", interval_s));
  }
  if (jitter_s < 0 || 2 * jitter_s >= interval_s) {
    return absl::InvalidArgumentError(
        absl::StrCat("jitter_s must be 0..(interval_s-1)/2, got ", jitter_s));
  }
  if (start_s < 0 || start_s > 8'000'000'000) {
    return absl::InvalidArgumentError(
        absl::StrCat("start must be 1970..2223 (ns timestamps fit int64), got ", start_s));
  }
  return absl::OkStatus();
}

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr - buf);
}

void AppendFixed(int64_t scaled, int decimals, std::string* out) {
  char buf[40];
  char* p = buf;
  uint64_t mag = scaled < 0 ? 0 - static_cast<uint64_t>(scaled) : static_cast<uint64_t>(scaled);
  if (scaled < 0) *p++ = '-';
  uint64_t unit = static_cast<uint64_t>(kPow10[decimals]);
  p = std::to_chars(p, buf + sizeof buf, mag / unit).ptr;
  if (decimals > 0) {
    *p++ = '.';
    uint64_t frac = mag % unit;
    for (int i = decimals - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + frac % 10);
      frac /= 10;
    }
    p += decimals;
  }
  out->append(buf, p - buf);
}

void AppendTimestamp(int64_t seconds, TimestampUnit unit, std::string* out) {
  AppendInt(seconds, out);
  if (unit == TimestampUnit::kNanoseconds) out->append("000000000");
}

void ArrivalQueue::Push(int64_t arrival_s, std::string lines) {
  heap_.push_back(Entry{arrival_s, next_seq_++, std::move(lines)});
  std::push_heap(heap_.begin(), heap_.end(), Later);
}

absl::Status ArrivalQueue::PopOne(LineSink sink) {
  std::pop_heap(heap_.begin(), heap_.end(), Later);
  Entry e = std::move(heap_.back());
  heap_.pop_back();
  return EmitLines(e.lines, sink);
}

absl::Status ArrivalQueue::EmitUntil(int64_t now_s, LineSink sink) {
  while (!heap_.empty() && heap_.front().arrival_s <= now_s) {
    absl::Status s = PopOne(sink);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ArrivalQueue::EmitAll(LineSink sink) {
  while (!heap_.empty()) {
    absl::Status s = PopOne(sink);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status EmitLines(std::string_view lines, LineSink sink) {
  while (!lines.empty()) {
    size_t nl = lines.find('\n');
    std::string_view line = lines.substr(0, nl);
    absl::Status s = sink(line);
    if (!s.ok()) return s;
    if (nl == std::string_view::npos) break;
    lines.remove_prefix(nl + 1);
  }
  return absl::OkStatus();
}

}  // namespace telemdb::fleet
