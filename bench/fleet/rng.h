// Rng: a small, fast, portable pseudo-random generator (SplitMix64) with the few
// distributions the workload generators need. Unlike std::*_distribution, every draw is
// specified here, so the same seed gives byte-identical output on every platform and
// compiler. Not thread-safe; one per stream (per truck, per meter).
#ifndef TELEMDB_BENCH_FLEET_RNG_H_
#define TELEMDB_BENCH_FLEET_RNG_H_

#include <cstdint>

namespace telemdb::fleet {

class Rng {
 public:
  // A stream determined by (seed, stream, substream): different streams are independent.
  Rng(uint64_t seed, uint64_t stream, uint64_t substream = 0)
      : state_(Mix(Mix(seed ^ 0x6a09e667f3bcc909ull) ^ Mix(stream + 0x3c6ef372fe94f82bull) ^
                   (substream * 0x9e3779b97f4a7c15ull))) {}

  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ull;
    return Mix(state_);
  }

  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }

  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }

  // Uniform in [0, 1).
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // True with probability p.
  bool Chance(double p) { return Unit() < p; }

 private:
  static uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  uint64_t state_;
};

// A bounded random walk step: x + uniform[-step, step], reflected back into [lo, hi].
inline int64_t Walk(Rng& rng, int64_t x, int64_t step, int64_t lo, int64_t hi) {
  x += rng.Between(-step, step);
  if (x < lo) x = lo + (lo - x);
  if (x > hi) x = hi - (x - hi);
  if (x < lo) x = lo;  // a step wider than the range
  return x;
}

}  // namespace telemdb::fleet

#endif  // TELEMDB_BENCH_FLEET_RNG_H_
