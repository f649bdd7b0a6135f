#include "storage/codec/int_stream.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <numeric>
#include <vector>

#include "storage/codec/bit_packing.h"
#include "storage/codec/blob.h"
#include "storage/codec/chunk_format.h"

namespace telemdb::storage::codec {
namespace {

absl::Status Corrupt(const char* what) {
  return absl::DataLossError(std::string("corrupt int stream: ") + what);
}

inline size_t VarsintLength(int64_t v) { return VarintLength(ZigZagEncode(v)); }

// Bytes of r[0, m) bit-packed in frame-of-reference blocks. With stride s > 1 only every s-th
// block is measured and the total extrapolated: an estimate for choosing a layout.
size_t BlockBytes(const uint64_t* r, size_t m, size_t stride = 1) {
  size_t total = 0;
  for (size_t b = 0; b < m; b += kBlockSize * stride) {
    const size_t cnt = std::min(kBlockSize, m - b);
    int64_t mn = std::numeric_limits<int64_t>::max();
    int64_t mx = std::numeric_limits<int64_t>::min();
    for (size_t j = 0; j < cnt; j++) {
      const auto x = static_cast<int64_t>(r[b + j]);
      mn = std::min(mn, x);
      mx = std::max(mx, x);
    }
    const int w = BitWidth(static_cast<uint64_t>(mx) - static_cast<uint64_t>(mn));
    total += VarsintLength(mn) + 1 + PackedSize(cnt, w);
  }
  return total * stride;
}

void WriteBlocks(const uint64_t* r, size_t m, std::string* out) {
  uint64_t u[kBlockSize];
  for (size_t b = 0; b < m; b += kBlockSize) {
    const size_t cnt = std::min(kBlockSize, m - b);
    int64_t mn = std::numeric_limits<int64_t>::max();
    int64_t mx = std::numeric_limits<int64_t>::min();
    for (size_t j = 0; j < cnt; j++) {
      const auto x = static_cast<int64_t>(r[b + j]);
      mn = std::min(mn, x);
      mx = std::max(mx, x);
    }
    const int w = BitWidth(static_cast<uint64_t>(mx) - static_cast<uint64_t>(mn));
    PutVarsint64(out, mn);
    out->push_back(static_cast<char>(w));
    for (size_t j = 0; j < cnt; j++) u[j] = r[b + j] - static_cast<uint64_t>(mn);
    PackBits(u, cnt, w, out);
  }
}

// Entropy body of r[0, m) (see kIntStreamEntropy), or false when the residuals span 2^16 or
// more, or zstd fails.
bool WriteEntropy(const uint64_t* r, size_t m, std::string* out) {
  int64_t mn = std::numeric_limits<int64_t>::max();
  int64_t mx = std::numeric_limits<int64_t>::min();
  for (size_t j = 0; j < m; j++) {
    mn = std::min(mn, static_cast<int64_t>(r[j]));
    mx = std::max(mx, static_cast<int64_t>(r[j]));
  }
  const uint64_t range = static_cast<uint64_t>(mx) - static_cast<uint64_t>(mn);
  if (range >= 65536) return false;
  const int planes = range < 256 ? 1 : 2;
  PutVarsint64(out, mn);
  out->push_back(static_cast<char>(planes));
  std::string plane(m, '\0'), comp;
  for (int p = 0; p < planes; p++) {
    for (size_t j = 0; j < m; j++) {
      plane[j] = static_cast<char>((r[j] - static_cast<uint64_t>(mn)) >> (8 * p));
    }
    if (!ZstdCompressLiterals(plane, &comp)) return false;
    PutLengthPrefixed(out, comp);
  }
  return true;
}

// The candidate majority of every `stride`-th element of r[0, m) (Boyer-Moore vote).
uint64_t MajorityCandidate(const uint64_t* r, size_t m, size_t stride) {
  uint64_t cand = 0;
  size_t votes = 0;
  for (size_t i = 0; i < m; i += stride) {
    if (votes == 0) cand = r[i];
    votes += r[i] == cand ? 1 : size_t{0} - 1;
  }
  return cand;
}

size_t CountEqual(const uint64_t* r, size_t m, size_t stride, uint64_t v) {
  size_t c = 0;
  for (size_t i = 0; i < m; i += stride) c += r[i] == v;
  return c;
}

// The value of r[0, m) that occurs more than m / 2 times, if any. A strided sample screens
// out the common case of no dominant value at a fraction of the cost.
bool Majority(const uint64_t* r, size_t m, uint64_t* value, size_t* count) {
  if (m == 0) return false;
  if (m >= 64) {
    const size_t stride = m >= 512 ? 8 : 4;
    const uint64_t cand = MajorityCandidate(r, m, stride);
    const size_t sampled = (m + stride - 1) / stride;
    if (CountEqual(r, m, stride, cand) * 5 < sampled * 2) return false;  // under 40%
  }
  *value = MajorityCandidate(r, m, 1);
  *count = CountEqual(r, m, 1, *value);
  return *count * 2 > m;
}

void EncodeAtDepth(const int64_t* values, size_t n, bool store_base, int depth, std::string* out);

// Sparse body of r[0, m) around `fill`: varsint fill, varint count of other values, then their
// positions and values as nested int streams.
void WriteSparse(const uint64_t* r, size_t m, uint64_t fill, size_t count, int depth,
                 std::string* out) {
  PutVarsint64(out, static_cast<int64_t>(fill));
  const size_t others = m - count;
  PutVarint64(out, others);
  std::vector<int64_t> pos, val;
  pos.reserve(others);
  val.reserve(others);
  for (size_t i = 0; i < m; i++) {
    if (r[i] == fill) continue;
    pos.push_back(static_cast<int64_t>(i));
    val.push_back(static_cast<int64_t>(r[i]));
  }
  EncodeAtDepth(pos.data(), pos.size(), /*store_base=*/true, depth + 1, out);
  EncodeAtDepth(val.data(), val.size(), /*store_base=*/true, depth + 1, out);
}

// Patched body of r[0, m) (see kIntStreamPatched): the residuals outside [lo, hi] are
// exceptions, stored as positions and values (nested int streams); the others are bit-packed
// in blocks as usual, with the exceptions left out. Returns false when there is no exception.
bool WritePatched(const uint64_t* r, size_t m, int64_t lo, int64_t hi, int depth,
                  std::string* out) {
  std::vector<int64_t> pos, val;
  std::vector<uint64_t> kept;
  kept.reserve(m);
  for (size_t i = 0; i < m; i++) {
    const auto x = static_cast<int64_t>(r[i]);
    if (x < lo || x > hi) {
      pos.push_back(static_cast<int64_t>(i));
      val.push_back(x);
    } else {
      kept.push_back(r[i]);
    }
  }
  if (pos.empty()) return false;
  PutVarint64(out, pos.size());
  EncodeAtDepth(pos.data(), pos.size(), /*store_base=*/true, depth + 1, out);
  EncodeAtDepth(val.data(), val.size(), /*store_base=*/true, depth + 1, out);
  WriteBlocks(kept.data(), kept.size(), out);
  return true;
}

// The cheapest-looking window [lo, hi] of r[0, m) for a patched layout: up to
// kIntStreamPatchedMaxExceptions values (and at most m / 8) may be cut off the two ends (estimated as one bit width over
// the kept values plus ~3 bytes per exception). False when cutting nothing looks best.
bool PatchWindow(const uint64_t* r, size_t m, int64_t* lo, int64_t* hi) {
  if (m < 8) return false;
  std::vector<int64_t> v(m);
  for (size_t i = 0; i < m; i++) v[i] = static_cast<int64_t>(r[i]);
  std::sort(v.begin(), v.end());
  const size_t emax = std::min(kIntStreamPatchedMaxExceptions, m / 8);
  auto bits = [&](size_t j, size_t k) {
    const int w = BitWidth(static_cast<uint64_t>(v[m - 1 - k]) - static_cast<uint64_t>(v[j]));
    return (m - j - k) * static_cast<size_t>(w);
  };
  const size_t none = bits(0, 0);
  size_t best = none;
  size_t bj = 0, bk = 0;
  for (size_t j = 0; j <= emax; j++) {
    for (size_t k = 0; j + k <= emax; k++) {
      if (j + k == 0) continue;
      const size_t cost = bits(j, k) + 8 * (6 + 3 * (j + k));
      if (cost < best) {
        best = cost;
        bj = j;
        bk = k;
      }
    }
  }
  if (best >= none) return false;
  *lo = v[bj];
  *hi = v[m - 1 - bk];
  return true;
}

// The GCD of the consecutive differences, or 1 when there is none, or when one overflows
// int64 (then wrapping arithmetic with g == 1 still round-trips).
uint64_t DifferenceGcd(const int64_t* v, size_t n) {
  uint64_t g = 0, last = 0;
  for (size_t i = 1; i < n; i++) {
    int64_t d;
    if (__builtin_sub_overflow(v[i], v[i - 1], &d)) return 1;
    const uint64_t a = d < 0 ? 0 - static_cast<uint64_t>(d) : static_cast<uint64_t>(d);
    if (a == last || a == 0) continue;  // regular data: skip the division
    last = a;
    if (g == 0) {
      g = a;
    } else if (a % g != 0) {
      g = std::gcd(g, a);
      if (g == 1) return 1;
    }
  }
  return g == 0 ? 1 : g;
}

// Integrates one residual of the chosen order into the next value.
struct Integrator {
  uint64_t base, g, k, dk;
  template <int kOrder>
  inline uint64_t Step(uint64_t r) {
    if constexpr (kOrder == 0) {
      return base + g * r;
    } else if constexpr (kOrder == 1) {
      k += r;
      return base + g * k;
    } else {
      dk += r;
      k += dk;
      return base + g * k;
    }
  }
};

template <int kOrder>
absl::Status DecodeBlocks(ByteReader* in, size_t start, size_t n, Integrator s, int64_t* out) {
  uint64_t u[kBlockSize];
  for (size_t i = start; i < n; i += kBlockSize) {
    const size_t cnt = std::min(kBlockSize, n - i);
    int64_t mn;
    uint8_t w;
    if (!in->GetVarsint64(&mn) || !in->GetByte(&w)) return Corrupt("truncated block header");
    if (w > 64) return Corrupt("bad width");
    std::string_view packed;
    const size_t avail = in->remaining();
    const char* p = in->position();
    if (!in->GetBytes(PackedSize(cnt, w), &packed)) return Corrupt("truncated block");
    UnpackBitsSafe(p, avail, cnt, w, u);
    const auto ref = static_cast<uint64_t>(mn);
    for (size_t j = 0; j < cnt; j++) {
      out[i + j] = static_cast<int64_t>(s.Step<kOrder>(ref + u[j]));
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeAtDepth(ByteReader* in, size_t n, std::optional<int64_t> base, int depth,
                           int64_t* out);

template <int kOrder>
absl::Status DecodePatched(ByteReader* in, size_t start, size_t n, int depth, Integrator s,
                           int64_t* out) {
  uint64_t others;
  const size_t m = n - start;
  if (!in->GetVarint64(&others) || others == 0 || others > m) {
    return Corrupt("bad patched header");
  }
  std::vector<int64_t> buf(2 * others);
  int64_t* pos = buf.data();
  int64_t* val = pos + others;
  absl::Status st = DecodeAtDepth(in, others, std::nullopt, depth + 1, pos);
  if (!st.ok()) return st;
  st = DecodeAtDepth(in, others, std::nullopt, depth + 1, val);
  if (!st.ok()) return st;
  // The kept residuals, then interleaved with the exceptions in place.
  const size_t kept = m - others;
  std::vector<uint64_t> r(m);
  uint64_t u[kBlockSize];
  for (size_t i = 0; i < kept; i += kBlockSize) {
    const size_t cnt = std::min(kBlockSize, kept - i);
    int64_t mn;
    uint8_t w;
    if (!in->GetVarsint64(&mn) || !in->GetByte(&w)) return Corrupt("truncated block header");
    if (w > 64) return Corrupt("bad width");
    std::string_view packed;
    const size_t avail = in->remaining();
    const char* p = in->position();
    if (!in->GetBytes(PackedSize(cnt, w), &packed)) return Corrupt("truncated block");
    UnpackBitsSafe(p, avail, cnt, w, u);
    for (size_t j = 0; j < cnt; j++) r[i + j] = static_cast<uint64_t>(mn) + u[j];
  }
  // Spread the kept residuals backwards so that each exception lands at its position.
  size_t src = kept;
  size_t dst = m;
  for (size_t e = others; e-- > 0;) {
    if (pos[e] < 0 || static_cast<size_t>(pos[e]) >= dst ||
        (e > 0 && pos[e - 1] >= pos[e])) {
      return Corrupt("patched position out of order");
    }
    const auto at = static_cast<size_t>(pos[e]);
    while (dst > at + 1) r[--dst] = r[--src];
    r[--dst] = static_cast<uint64_t>(val[e]);
  }
  if (src != dst) return Corrupt("patched positions do not fit");
  for (size_t j = 0; j < m; j++) out[start + j] = static_cast<int64_t>(s.Step<kOrder>(r[j]));
  return absl::OkStatus();
}

template <int kOrder>
absl::Status DecodeEntropy(ByteReader* in, size_t start, size_t n, Integrator s, int64_t* out) {
  int64_t mn;
  uint8_t planes;
  if (!in->GetVarsint64(&mn) || !in->GetByte(&planes)) return Corrupt("truncated entropy header");
  if (planes != 1 && planes != 2) return Corrupt("bad entropy planes");
  const size_t m = n - start;
  const auto buf = std::make_unique_for_overwrite<uint8_t[]>(2 * m);
  uint8_t* lo = buf.get();
  uint8_t* hi = lo + m;
  for (int p = 0; p < planes; p++) {
    std::string_view comp;
    if (!in->GetLengthPrefixed(&comp)) return Corrupt("truncated entropy plane");
    absl::Status st = ZstdDecompressExact(comp, reinterpret_cast<char*>(p == 0 ? lo : hi), m);
    if (!st.ok()) return Corrupt("bad entropy plane");
  }
  const auto ref = static_cast<uint64_t>(mn);
  if (planes == 1) {
    for (size_t j = 0; j < m; j++)
      out[start + j] = static_cast<int64_t>(s.Step<kOrder>(ref + lo[j]));
  } else {
    for (size_t j = 0; j < m; j++) {
      const uint64_t u = lo[j] | static_cast<uint64_t>(hi[j]) << 8;
      out[start + j] = static_cast<int64_t>(s.Step<kOrder>(ref + u));
    }
  }
  return absl::OkStatus();
}

template <int kOrder>
absl::Status DecodeSparse(ByteReader* in, size_t start, size_t n, int depth, Integrator s,
                          int64_t* out) {
  int64_t fill;
  uint64_t others;
  const size_t m = n - start;
  if (!in->GetVarsint64(&fill) || !in->GetVarint64(&others) || others > m) {
    return Corrupt("bad sparse header");
  }
  std::vector<int64_t> buf(2 * others);
  int64_t* pos = buf.data();
  int64_t* val = pos + others;
  absl::Status st = DecodeAtDepth(in, others, std::nullopt, depth + 1, pos);
  if (!st.ok()) return st;
  st = DecodeAtDepth(in, others, std::nullopt, depth + 1, val);
  if (!st.ok()) return st;
  const auto f = static_cast<uint64_t>(fill);
  size_t i = 0;  // index into the residuals
  for (size_t e = 0; e < others; e++) {
    if (pos[e] < static_cast<int64_t>(i) || pos[e] >= static_cast<int64_t>(m)) {
      return Corrupt("sparse position out of order");
    }
    for (const auto end = static_cast<size_t>(pos[e]); i < end; i++) {
      out[start + i] = static_cast<int64_t>(s.Step<kOrder>(f));
    }
    out[start + i++] = static_cast<int64_t>(s.Step<kOrder>(static_cast<uint64_t>(val[e])));
  }
  for (; i < m; i++) out[start + i] = static_cast<int64_t>(s.Step<kOrder>(f));
  return absl::OkStatus();
}

void EncodeAtDepth(const int64_t* values, size_t n, bool store_base, int depth, std::string* out) {
  if (n == 0) return;
  if (n == 1) {
    out->push_back(0);
    if (store_base) PutVarsint64(out, values[0]);
    return;
  }
  const uint64_t g = DifferenceGcd(values, n);
  // k (order 0), dk (order 1) and ddk (order 2) residuals, all wrapping.
  const auto buf = std::make_unique_for_overwrite<uint64_t[]>(3 * n);
  uint64_t* k = buf.get();
  uint64_t* dk = k + n;
  uint64_t* ddk = dk + n;
  k[0] = 0;
  if (g == 1) {
    for (size_t i = 1; i < n; i++) {
      dk[i - 1] = static_cast<uint64_t>(values[i]) - static_cast<uint64_t>(values[i - 1]);
      k[i] = k[i - 1] + dk[i - 1];
    }
  } else {
    const auto sg = static_cast<int64_t>(g);
    int64_t last_d = 0, last_q = 0;
    for (size_t i = 1; i < n; i++) {
      // No difference overflows when g > 1 (DifferenceGcd), so this division is exact. Equal
      // consecutive differences (regular data) reuse the quotient.
      const int64_t d = values[i] - values[i - 1];
      if (d != last_d) {
        last_d = d;
        last_q = d / sg;
      }
      dk[i - 1] = static_cast<uint64_t>(last_q);
      k[i] = k[i - 1] + dk[i - 1];
    }
  }
  uint64_t ddk_or = 0;
  for (size_t i = 1; i + 1 < n; i++) {
    ddk[i - 1] = dk[i] - dk[i - 1];
    ddk_or |= ddk[i - 1];
  }
  if (ddk_or == 0 && depth < kIntStreamMaxSparseDepth) {
    // Regular: every delta equal. Sparse order 1 with nothing to patch.
    out->push_back(static_cast<char>(1 | kIntStreamSparse));
    if (store_base) PutVarsint64(out, values[0]);
    PutVarint64(out, g);
    PutVarsint64(out, static_cast<int64_t>(dk[0]));
    PutVarint64(out, 0);
    return;
  }
  const uint64_t* residuals[3] = {k, dk, ddk};

  // Sizes of the bit-packed layouts (sampled on large inputs); the sparse ones are written
  // out to measure them.
  const size_t stride = n >= 16 * kBlockSize ? 4 : 1;
  uint8_t best_mode = 0;
  size_t best_bytes = BlockBytes(k, n, stride);
  for (int order = 1; order <= 2; order++) {
    const size_t extra = order == 2 ? VarsintLength(static_cast<int64_t>(dk[0])) : 0;
    const size_t bytes = extra + BlockBytes(residuals[order], n - order, stride);
    if (bytes < best_bytes) {
      best_mode = static_cast<uint8_t>(order);
      best_bytes = bytes;
    }
  }
  std::string best_body;  // the body of a sparse or entropy choice
  if (depth == 0 && n >= kIntStreamEntropyMinValues) {
    const int order = best_mode;
    std::string body;
    if (order == 2) PutVarsint64(&body, static_cast<int64_t>(dk[0]));
    // best_bytes may be a sampled estimate: measure the packed layout exactly before
    // trading it for the entropy layout.
    if (WriteEntropy(residuals[order], n - order, &body) && body.size() < best_bytes &&
        (stride == 1 ||
         body.size() < (order == 2 ? VarsintLength(static_cast<int64_t>(dk[0])) : 0) +
                           BlockBytes(residuals[order], n - order))) {
      best_mode = static_cast<uint8_t>(order | kIntStreamEntropy);
      best_bytes = body.size();
      best_body = std::move(body);
    }
  }
  if (depth < kIntStreamMaxSparseDepth) {
    for (int order = 0; order <= 2; order++) {
      const size_t m = n - order;
      uint64_t fill;
      size_t count;
      if (!Majority(residuals[order], m, &fill, &count)) continue;
      std::string sparse;
      if (order == 2) PutVarsint64(&sparse, static_cast<int64_t>(dk[0]));
      WriteSparse(residuals[order], m, fill, count, depth, &sparse);
      if (sparse.size() < best_bytes) {
        best_mode = static_cast<uint8_t>(order | kIntStreamSparse);
        best_bytes = sparse.size();
        best_body = std::move(sparse);
      }
    }
  }

  if (depth == 0 && n <= kIntStreamPatchedMaxValues) {
    // A few outliers (a missed reading doubles one timestamp delta) would widen a whole block:
    // try cutting them out. Sizes here are exact (no sampling below 16 blocks).
    for (int order = 0; order <= 2; order++) {
      const size_t m = n - order;
      int64_t lo, hi;
      if (!PatchWindow(residuals[order], m, &lo, &hi)) continue;
      std::string patched;
      if (order == 2) PutVarsint64(&patched, static_cast<int64_t>(dk[0]));
      if (!WritePatched(residuals[order], m, lo, hi, depth, &patched)) continue;
      if (patched.size() < best_bytes) {
        best_mode = static_cast<uint8_t>(order | kIntStreamPatched);
        best_bytes = patched.size();
        best_body = std::move(patched);
      }
    }
  }

  out->push_back(static_cast<char>(best_mode));
  if (store_base) PutVarsint64(out, values[0]);
  PutVarint64(out, g);
  if (best_mode & (kIntStreamSparse | kIntStreamEntropy | kIntStreamPatched)) {
    out->append(best_body);
    return;
  }
  const int order = best_mode;
  if (order == 2) PutVarsint64(out, static_cast<int64_t>(dk[0]));
  WriteBlocks(residuals[order], n - order, out);
}

absl::Status DecodeAtDepth(ByteReader* in, size_t n, std::optional<int64_t> base, int depth,
                           int64_t* out) {
  if (n == 0) return absl::OkStatus();
  uint8_t mode;
  if (!in->GetByte(&mode)) return Corrupt("truncated mode");
  const int order = mode & kIntStreamOrderMask;
  const bool sparse = (mode & kIntStreamSparse) != 0;
  const bool entropy = (mode & kIntStreamEntropy) != 0;
  const bool patched = (mode & kIntStreamPatched) != 0;
  if ((mode & ~kIntStreamModeMask) != 0 || order == 3 ||
      (sparse && depth >= kIntStreamMaxSparseDepth) || (entropy && (sparse || depth > 0)) ||
      (patched && (sparse || entropy || depth > 0))) {
    return Corrupt("bad mode");
  }
  int64_t b;
  if (base.has_value()) {
    b = *base;
  } else if (!in->GetVarsint64(&b)) {
    return Corrupt("truncated base");
  }
  out[0] = b;
  if (n == 1) return absl::OkStatus();
  Integrator s{static_cast<uint64_t>(b), 0, 0, 0};
  if (!in->GetVarint64(&s.g) || s.g == 0) return Corrupt("bad gcd");
  switch (order) {
    case 0:
      if (entropy) return DecodeEntropy<0>(in, 0, n, s, out);
      if (patched) return DecodePatched<0>(in, 0, n, depth, s, out);
      return sparse ? DecodeSparse<0>(in, 0, n, depth, s, out) : DecodeBlocks<0>(in, 0, n, s, out);
    case 1:
      if (entropy) return DecodeEntropy<1>(in, 1, n, s, out);
      if (patched) return DecodePatched<1>(in, 1, n, depth, s, out);
      return sparse ? DecodeSparse<1>(in, 1, n, depth, s, out) : DecodeBlocks<1>(in, 1, n, s, out);
    default: {
      int64_t dk1;
      if (!in->GetVarsint64(&dk1)) return Corrupt("truncated first delta");
      s.k = s.dk = static_cast<uint64_t>(dk1);
      out[1] = static_cast<int64_t>(s.base + s.g * s.k);
      if (entropy) return DecodeEntropy<2>(in, 2, n, s, out);
      if (patched) return DecodePatched<2>(in, 2, n, depth, s, out);
      return sparse ? DecodeSparse<2>(in, 2, n, depth, s, out) : DecodeBlocks<2>(in, 2, n, s, out);
    }
  }
}

}  // namespace

void EncodeIntStream(const int64_t* values, size_t n, bool store_base, std::string* out) {
  EncodeAtDepth(values, n, store_base, 0, out);
}

absl::Status DecodeIntStream(ByteReader* in, size_t n, std::optional<int64_t> base, int64_t* out) {
  return DecodeAtDepth(in, n, base, 0, out);
}

}  // namespace telemdb::storage::codec
