// The bucket rings against plain loops over the same points (reference check).
#include "alert/window.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace telemdb::alert {
namespace {

struct Pt {
  int64_t ts;
  double v;
};

// The reference: the aggregate of the points in [from, to), straight from its definition.
std::optional<double> Reference(const Condition& c, const std::vector<Pt>& pts, int64_t from,
                                int64_t to) {
  std::vector<Pt> in;
  size_t all = 0;  // count() counts NaN values too
  for (const Pt& p : pts) {
    if (p.ts >= from && p.ts < to) all++;
    if (p.ts >= from && p.ts < to && !std::isnan(p.v)) in.push_back(p);
  }
  if (c.kind == RuleKind::kRate) {
    if (in.size() < 2) return std::nullopt;
    // Times relative to the first point, in long double: a trustworthy reference.
    const int64_t origin = in[0].ts;
    long double mt = 0, mv = 0;
    for (const Pt& p : in) mt += (p.ts - origin) / 1e9L, mv += p.v;
    mt /= in.size();
    mv /= in.size();
    long double stt = 0, stv = 0;
    for (const Pt& p : in) {
      stt += ((p.ts - origin) / 1e9L - mt) * ((p.ts - origin) / 1e9L - mt);
      stv += ((p.ts - origin) / 1e9L - mt) * (p.v - mv);
    }
    if (!(stt > 0)) return std::nullopt;
    return static_cast<double>(stv / stt * (c.unit_ns / 1e9L));
  }
  if (c.agg == Agg::kCount) return static_cast<double>(all);
  if (in.empty()) return std::nullopt;
  double sum = 0, mn = INFINITY, mx = -INFINITY;
  for (const Pt& p : in) sum += p.v, mn = std::min(mn, p.v), mx = std::max(mx, p.v);
  switch (c.agg) {
    case Agg::kMean:
      return sum / in.size();
    case Agg::kSum:
      return sum;
    case Agg::kMin:
      return mn;
    case Agg::kMax:
      return mx;
    case Agg::kSpread:
      return mx - mn;
    case Agg::kFirst: {
      Pt best = in[0];
      for (const Pt& p : in) {
        if (p.ts < best.ts) best = p;
      }
      return best.v;
    }
    case Agg::kLast: {
      Pt best = in[0];
      for (const Pt& p : in) {
        if (p.ts >= best.ts) best = p;
      }
      return best.v;
    }
    case Agg::kStddev: {
      if (in.size() < 2) return std::nullopt;
      double m = sum / in.size(), ss = 0;
      for (const Pt& p : in) ss += (p.v - m) * (p.v - m);
      return std::sqrt(ss / (in.size() - 1));
    }
    case Agg::kCount:
      break;
  }
  return std::nullopt;
}

TEST(WindowTest, RingMatchesReferenceOnRandomPoints) {
  std::mt19937_64 rng(42);
  const int64_t kBucket = 10'000'000'000;  // 10 s
  const int64_t kT0 = 1'767'225'600'000'000'000;
  std::vector<Condition> conds;
  for (Agg a : {Agg::kMean, Agg::kMin, Agg::kMax, Agg::kSum, Agg::kCount, Agg::kFirst, Agg::kLast,
                Agg::kSpread, Agg::kStddev}) {
    Condition c;
    c.kind = RuleKind::kThreshold;
    c.agg = a;
    conds.push_back(c);
  }
  Condition rate;
  rate.kind = RuleKind::kRate;
  rate.unit_ns = 3600'000'000'000;
  conds.push_back(rate);
  for (int trial = 0; trial < 200; trial++) {
    const size_t buckets = 1 + rng() % 40;
    const int n = static_cast<int>(rng() % 300);
    // Large offsets and values test the centred merges.
    const double offset = (rng() % 2) ? 1e6 : 0;
    std::vector<Pt> pts;
    for (int i = 0; i < n; i++) {
      const int64_t ts = kT0 + static_cast<int64_t>(rng() % (buckets * kBucket));
      double v = offset + std::uniform_real_distribution<double>(-50, 50)(rng);
      if (rng() % 50 == 0) v = std::nan("");
      pts.push_back({ts, v});
    }
    for (const Condition& c : conds) {
      BucketRing ring(buckets);
      for (const Pt& p : pts) {
        ASSERT_TRUE(ring.Add(c, p.ts / kBucket, p.ts, p.v));
      }
      const int64_t b0 = kT0 / kBucket;
      // Every window of whole buckets inside the ring.
      for (size_t from = 0; from < buckets; from += 1 + rng() % 3) {
        for (size_t to = from + 1; to <= buckets; to += 1 + rng() % 5) {
          auto got = FinishPartial(c, ring.Combine(c, b0 + from, b0 + to));
          auto want = Reference(c, pts, (b0 + from) * kBucket, (b0 + to) * kBucket);
          ASSERT_EQ(got.has_value(), want.has_value()) << AggName(c.agg) << " trial " << trial;
          if (!want) continue;
          // Slopes and deviations of values offset by 1e6 lose a few more digits.
          const double rel = c.kind == RuleKind::kRate || c.agg == Agg::kStddev ? 1e-7 : 1e-9;
          const double tol = rel * std::max(1.0, std::fabs(*want));
          EXPECT_NEAR(*got, *want, tol)
              << AggName(c.agg) << " kind " << RuleKindName(c.kind) << " trial " << trial;
        }
      }
    }
  }
}

TEST(WindowTest, RingForgetsWhatFallsOutAndRefusesOlder) {
  Condition c;
  c.kind = RuleKind::kThreshold;
  c.agg = Agg::kSum;
  BucketRing ring(3);
  EXPECT_TRUE(ring.Add(c, 10, 100, 1));
  EXPECT_TRUE(ring.Add(c, 12, 120, 2));
  EXPECT_TRUE(ring.Add(c, 13, 130, 4));   // bucket 10 is overwritten
  EXPECT_FALSE(ring.Add(c, 10, 101, 8));  // older than the ring holds
  EXPECT_EQ(*FinishPartial(c, ring.Combine(c, 0, 100)), 6);
  EXPECT_EQ(*FinishPartial(c, ring.Combine(c, 11, 13)), 2);
  Condition count;
  count.kind = RuleKind::kThreshold;
  count.agg = Agg::kCount;
  EXPECT_EQ(*FinishPartial(count, Partial()), 0);  // an empty window counts zero
}

}  // namespace
}  // namespace telemdb::alert
