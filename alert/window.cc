#include "alert/window.h"

#include <algorithm>
#include <cmath>

namespace telemdb::alert {
namespace {

// Chan et al.: merges (n, mean, m2) pairs.
void MergeMoments(uint32_t na, double* mean_a, double* m2_a, uint32_t nb, double mean_b,
                  double m2_b) {
  const double n = static_cast<double>(na) + nb;
  const double delta = mean_b - *mean_a;
  *mean_a += delta * nb / n;
  *m2_a += m2_b + delta * delta * (static_cast<double>(na) * nb / n);
}

}  // namespace

void AddPoint(const Condition& cond, Partial* p, int64_t ts, double v) {
  Partial one;
  one.n = 1;
  one.ts = ts;
  switch (cond.kind) {
    case RuleKind::kRate:
      if (std::isnan(v)) return;
      one.a = 0;  // seconds after one.ts, the partial's time origin
      one.b = v;
      break;
    case RuleKind::kThreshold:
      if (std::isnan(v) && cond.agg != Agg::kCount) return;
      switch (cond.agg) {
        case Agg::kMean:
        case Agg::kSum:
        case Agg::kCount:
        case Agg::kFirst:
        case Agg::kLast:
        case Agg::kStddev:
          one.a = v;
          break;
        case Agg::kMin:
        case Agg::kMax:
        case Agg::kSpread:
          one.a = one.b = v;
          break;
      }
      break;
    default:
      return;
  }
  MergePartial(cond, p, one);
}

void MergePartial(const Condition& cond, Partial* into, const Partial& from) {
  if (from.n == 0) return;
  if (into->n == 0) {
    *into = from;
    return;
  }
  if (cond.kind == RuleKind::kRate) {
    // a: mean t (seconds after the origin `ts`), b: mean v, c: M2 of t, d: co-moment of t
    // and v. Times stay small (relative to an origin in the window), so nothing cancels.
    const double n = static_cast<double>(into->n) + from.n;
    const double w = static_cast<double>(into->n) * from.n / n;
    const double from_mean_t = from.a + static_cast<double>(from.ts - into->ts) / 1e9;
    const double dt = from_mean_t - into->a, dv = from.b - into->b;
    into->c += from.c + dt * dt * w;
    into->d += from.d + dt * dv * w;
    into->a += dt * from.n / n;
    into->b += dv * from.n / n;
    into->n += from.n;
    return;
  }
  switch (cond.agg) {
    case Agg::kMean:
    case Agg::kSum:
    case Agg::kCount:
      into->a += from.a;
      break;
    case Agg::kMin:
    case Agg::kMax:
    case Agg::kSpread:
      into->a = std::min(into->a, from.a);
      into->b = std::max(into->b, from.b);
      break;
    case Agg::kFirst:
      if (from.ts < into->ts) {
        into->ts = from.ts;
        into->a = from.a;
      }
      break;
    case Agg::kLast:
      if (from.ts >= into->ts) {
        into->ts = from.ts;
        into->a = from.a;
      }
      break;
    case Agg::kStddev:
      MergeMoments(into->n, &into->a, &into->b, from.n, from.a, from.b);
      break;
  }
  into->n += from.n;
}

std::optional<double> FinishPartial(const Condition& cond, const Partial& p) {
  if (cond.kind == RuleKind::kRate) {
    if (p.n < 2 || !(p.c > 0)) return std::nullopt;
    return p.d / p.c * (static_cast<double>(cond.unit_ns) / 1e9);
  }
  if (cond.agg == Agg::kCount) return static_cast<double>(p.n);
  if (p.n == 0) return std::nullopt;
  switch (cond.agg) {
    case Agg::kMean:
      return p.a / p.n;
    case Agg::kSum:
    case Agg::kFirst:
    case Agg::kLast:
      return p.a;
    case Agg::kMin:
      return p.a;
    case Agg::kMax:
      return p.b;
    case Agg::kSpread:
      return p.b - p.a;
    case Agg::kStddev:
      if (p.n < 2) return std::nullopt;
      return std::sqrt(std::max(0.0, p.b / (p.n - 1)));
    case Agg::kCount:
      break;
  }
  return std::nullopt;
}

bool BucketRing::Add(const Condition& cond, int64_t bucket, int64_t ts, double v) {
  if (slots_.empty()) return false;
  const int64_t size = static_cast<int64_t>(slots_.size());
  if (newest_ != INT64_MIN && bucket <= newest_ - size) return false;
  newest_ = std::max(newest_, bucket);
  int64_t idx = bucket % size;
  if (idx < 0) idx += size;
  Slot& s = slots_[idx];
  if (s.bucket != bucket) {
    s.bucket = bucket;
    s.p = Partial();
  }
  AddPoint(cond, &s.p, ts, v);
  return true;
}

Partial BucketRing::Combine(const Condition& cond, int64_t from, int64_t to) const {
  Partial out;
  for (const Slot& s : slots_) {
    if (s.bucket >= from && s.bucket < to) MergePartial(cond, &out, s.p);
  }
  return out;
}

}  // namespace telemdb::alert
