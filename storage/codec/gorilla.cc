#include "storage/codec/gorilla.h"

#include <cstring>

#include "storage/codec/bit_stream.h"

namespace telemdb::storage::codec {
namespace {

inline uint64_t Bits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}
inline double FromBits(uint64_t u) {
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}

// Walks v[0, n) and reports each XOR control decision to `sink`, so that the encoder and the
// size estimate share one definition of the format.
template <typename Sink>
void Walk(const double* v, size_t n, Sink& sink) {
  if (n == 0) return;
  uint64_t prev = Bits(v[0]);
  sink.Raw(prev, 64);
  int prev_lead = -1, prev_trail = 0;
  for (size_t i = 1; i < n; i++) {
    const uint64_t cur = Bits(v[i]);
    const uint64_t x = cur ^ prev;
    prev = cur;
    if (x == 0) {
      sink.Raw(0, 1);
      continue;
    }
    int lead = __builtin_clzll(x);
    const int trail = __builtin_ctzll(x);
    if (lead > 31) lead = 31;
    if (prev_lead >= 0 && lead >= prev_lead && trail >= prev_trail) {
      const int len = 64 - prev_lead - prev_trail;
      sink.Raw(0b10, 2);
      sink.Raw(x >> prev_trail, len);
      continue;
    }
    const int len = 64 - lead - trail;
    sink.Raw((uint64_t{0b11} << 11) | (static_cast<uint64_t>(lead) << 6) | (len & 63), 13);
    sink.Raw(x >> trail, len);
    prev_lead = lead;
    prev_trail = trail;
  }
}

struct WriterSink {
  BitWriter* w;
  void Raw(uint64_t bits, int n) { w->Write(bits, n); }
};
struct CounterSink {
  size_t bits = 0;
  void Raw(uint64_t, int n) { bits += n; }
};

}  // namespace

void GorillaEncode(const double* v, size_t n, std::string* out) {
  BitWriter w(out);
  WriterSink sink{&w};
  Walk(v, n, sink);
  w.Finish();
}

size_t GorillaBits(const double* v, size_t n) {
  CounterSink sink;
  Walk(v, n, sink);
  return sink.bits;
}

absl::Status GorillaDecode(std::string_view block, size_t n, double* out) {
  if (n == 0) return absl::OkStatus();
  BitReader r(block);
  uint64_t prev = r.Read(64);
  out[0] = FromBits(prev);
  int lead = 0, trail = 0;
  bool have_window = false;
  for (size_t i = 1; i < n; i++) {
    if (r.ReadBit()) {
      if (r.ReadBit()) {
        lead = static_cast<int>(r.Read(5));
        int len = static_cast<int>(r.Read(6));
        if (len == 0) len = 64;
        if (lead + len > 64) return absl::DataLossError("gorilla: bad window");
        trail = 64 - lead - len;
        have_window = true;
      } else if (!have_window) {
        return absl::DataLossError("gorilla: window reused before set");
      }
      prev ^= r.Read(64 - lead - trail) << trail;
    }
    out[i] = FromBits(prev);
  }
  if (r.overrun()) return absl::DataLossError("gorilla: truncated");
  if ((r.position() + 7) / 8 != block.size()) return absl::DataLossError("gorilla: trailing bytes");
  return absl::OkStatus();
}

}  // namespace telemdb::storage::codec
