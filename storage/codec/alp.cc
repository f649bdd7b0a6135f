#include "storage/codec/alp.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "storage/codec/bit_packing.h"
#include "storage/codec/chunk_format.h"
#include "storage/codec/int_stream.h"

namespace telemdb::storage::codec {
namespace {

constexpr double kPow10[kAlpMaxExponent + 1] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,
                                                1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13,
                                                1e14, 1e15, 1e16, 1e17, 1e18};

// Scaled values must stay below 2^51 so that the rounding trick below is exact.
constexpr double kMaxScaled = 2251799813685248.0;   // 2^51
constexpr double kRoundMagic = 6755399441055744.0;  // 2^52 + 2^51

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

// Round to nearest (ties to even) for |x| < 2^51. Any rounding would do: the encoder checks
// the decoded value, so this only has to be fast and deterministic.
inline int64_t RoundScaled(double x) {
  return static_cast<int64_t>((x + kRoundMagic) - kRoundMagic);
}

// Scales v at exponent e into *k and returns the correction bits(v) - bits(decoded k), 0 on a
// hit. Out-of-range values and NaN leave *k alone (the caller's fill) and are corrected from it.
inline uint64_t Scale(double v, int e, int64_t* k) {
  const double x = v * kPow10[e];
  if (std::fabs(x) < kMaxScaled) *k = RoundScaled(x);
  return Bits(v) - Bits(static_cast<double>(*k) / kPow10[e]);
}

// A near hit: within a few ULPs of the decimal, as float artefacts are.
inline bool NearHit(uint64_t correction) { return correction + 16 <= 32; }

// Estimated bits of one exception: a packed position gap and a packed correction.
inline double ExceptionBits(uint64_t correction) {
  return 10.0 + BitWidth(ZigZagEncode(static_cast<int64_t>(correction)));
}

// Estimated bits of the int stream of ks: the cheapest of frame of reference, deltas, and a
// majority value with the others patched (mostly-zero data).
double RunBits(const std::vector<int64_t>& ks) {
  const size_t n = ks.size();
  if (n < 2) return 64.0 * static_cast<double>(n);
  int64_t kmin = ks[0], kmax = ks[0], dmin = 0, dmax = 0;
  int64_t cand = 0;
  size_t votes = 0;
  for (size_t i = 0; i < n; i++) {
    kmin = std::min(kmin, ks[i]);
    kmax = std::max(kmax, ks[i]);
    if (i > 0) {
      const auto d =
          static_cast<int64_t>(static_cast<uint64_t>(ks[i]) - static_cast<uint64_t>(ks[i - 1]));
      dmin = i == 1 ? d : std::min(dmin, d);
      dmax = i == 1 ? d : std::max(dmax, d);
    }
    if (votes == 0) cand = ks[i];
    votes += ks[i] == cand ? 1 : size_t{0} - 1;
  }
  const auto width = [](int64_t lo, int64_t hi) {
    return static_cast<double>(BitWidth(static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo)));
  };
  double bits = std::min(width(kmin, kmax), width(dmin, dmax)) * static_cast<double>(n);
  size_t others = 0;
  int64_t omin = std::numeric_limits<int64_t>::max(), omax = std::numeric_limits<int64_t>::min();
  for (int64_t k : ks) {
    if (k == cand) continue;
    others++;
    omin = std::min(omin, k);
    omax = std::max(omax, k);
  }
  if (others * 2 < n) {
    const double patched = others == 0 ? 0 : (width(omin, omax) + 8) * static_cast<double>(others);
    bits = std::min(bits, patched);
  }
  return bits;
}

}  // namespace

std::vector<SampleRun> SampleRuns(size_t n, size_t runs, size_t run_len) {
  if (n <= runs * run_len) return {{0, n}};
  std::vector<SampleRun> out;
  const size_t stride = (n - run_len) / (runs - 1);
  for (size_t r = 0; r < runs; r++) out.push_back({r * stride, run_len});
  return out;
}

AlpPlan AlpAnalyze(const double* v, const std::vector<SampleRun>& sample) {
  // Phase 1: the smallest exponent at which each sampled value round-trips or nearly does.
  size_t first_hits[kAlpMaxExponent + 1] = {};
  size_t total = 0;
  for (const SampleRun& run : sample) {
    for (size_t i = run.start; i < run.start + run.len; i++) {
      total++;
      for (int e = 0; e <= kAlpMaxExponent; e++) {
        const double x = v[i] * kPow10[e];
        if (!(std::fabs(x) < kMaxScaled)) break;  // larger exponents only grow x
        // Cheap filter before the exact check: a (near) hit scales to almost an integer.
        const double frac = std::fabs(x - static_cast<double>(RoundScaled(x)));
        if (frac > 1e-3 + std::fabs(x) * 1e-14) continue;
        int64_t k = 0;
        if (NearHit(Scale(v[i], e, &k))) {
          first_hits[e]++;
          break;
        }
      }
    }
  }
  AlpPlan best{0, std::numeric_limits<double>::infinity()};
  if (total == 0) return best;
  // Phase 2: the size at each candidate exponent. Between candidates the hits do not grow
  // while every int needs more bits, so the optimum is at a candidate.
  // Exponents at which fewer than a quarter of the values scale are not worth estimating.
  std::vector<int64_t> ks;
  size_t cumulative = 0;
  for (int e = 0; e <= kAlpMaxExponent; e++) {
    cumulative += first_hits[e];
    if (first_hits[e] == 0 || cumulative * 4 < total) continue;
    double bits = 0;
    for (const SampleRun& run : sample) {
      ks.clear();
      int64_t prev = 0;
      for (size_t i = run.start; i < run.start + run.len; i++) {
        int64_t k = prev;
        const uint64_t correction = Scale(v[i], e, &k);
        if (correction != 0) bits += ExceptionBits(correction);
        ks.push_back(k);
        prev = k;
      }
      bits += RunBits(ks);
    }
    bits /= static_cast<double>(total);
    if (bits < best.bits_per_value) best = {e, bits};
  }
  return best;
}

void AlpEncode(const double* v, size_t n, int exponent, std::string* out) {
  std::vector<int64_t> ints(n);
  std::vector<int64_t> positions, corrections;
  const double p = kPow10[exponent];
  int64_t prev = 0;
  for (size_t i = 0; i < n; i++) {
    const double x = v[i] * p;
    // Out-of-range values and NaN repeat the previous int, keeping the deltas small.
    const int64_t k = std::fabs(x) < kMaxScaled ? RoundScaled(x) : prev;
    const uint64_t decoded = Bits(static_cast<double>(k) / p);
    const uint64_t actual = Bits(v[i]);
    if (decoded != actual) {
      positions.push_back(static_cast<int64_t>(i));
      corrections.push_back(static_cast<int64_t>(actual - decoded));
    }
    ints[i] = k;
    prev = k;
  }
  out->push_back(static_cast<char>(exponent));
  PutVarint64(out, positions.size());
  EncodeIntStream(ints.data(), n, /*store_base=*/true, out);
  EncodeIntStream(positions.data(), positions.size(), /*store_base=*/true, out);
  EncodeIntStream(corrections.data(), corrections.size(), /*store_base=*/true, out);
}

absl::Status AlpDecode(ByteReader* in, size_t n, double* out, std::vector<int64_t>* scratch) {
  uint8_t e;
  uint64_t num_exceptions;
  if (!in->GetByte(&e) || !in->GetVarint64(&num_exceptions)) {
    return absl::DataLossError("alp: truncated header");
  }
  if (e > kAlpMaxExponent) return absl::DataLossError("alp: bad exponent");
  if (num_exceptions > n) return absl::DataLossError("alp: too many exceptions");
  scratch->resize(n + 2 * num_exceptions);
  int64_t* ints = scratch->data();
  absl::Status s = DecodeIntStream(in, n, std::nullopt, ints);
  if (!s.ok()) return s;
  const double p = kPow10[e];
  for (size_t i = 0; i < n; i++) out[i] = static_cast<double>(ints[i]) / p;
  if (num_exceptions == 0) return absl::OkStatus();
  int64_t* positions = ints + n;
  int64_t* corrections = positions + num_exceptions;
  s = DecodeIntStream(in, num_exceptions, std::nullopt, positions);
  if (!s.ok()) return s;
  s = DecodeIntStream(in, num_exceptions, std::nullopt, corrections);
  if (!s.ok()) return s;
  int64_t last = -1;
  for (size_t j = 0; j < num_exceptions; j++) {
    const int64_t pos = positions[j];
    if (pos <= last || pos >= static_cast<int64_t>(n)) {
      return absl::DataLossError("alp: bad exception position");
    }
    last = pos;
    out[pos] = FromBits(Bits(out[pos]) + static_cast<uint64_t>(corrections[j]));
  }
  return absl::OkStatus();
}

}  // namespace telemdb::storage::codec
