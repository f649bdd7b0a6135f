// The reference's building blocks: WHERE evaluation on one row, each aggregate over a
// bucket's points, and each transform over a sequence. Plain loops, no engine code.
#include <algorithm>
#include <cmath>
#include <limits>

#include "query/engine/reference_eval.h"
#include "re2/re2.h"

namespace telemdb::query::testing::ref {

using lang::CompareOp;
using lang::Function;
using storage::TagSet;
using storage::Value;
using storage::ValueType;
using OV = std::optional<Value>;

std::string Tag(const TagSet& tags, const std::string& k) {
  for (const auto& [key, v] : tags) {
    if (key == k) return v;
  }
  return "";
}

double Num(const Value& v) { return v.type == ValueType::kFloat ? v.f : static_cast<double>(v.i); }

template <typename T>
bool Cmp(CompareOp op, const T& a, const T& b) {
  switch (op) {
    case CompareOp::kEq:
      return a == b;
    case CompareOp::kNe:
      return a != b;
    case CompareOp::kLt:
      return a < b;
    case CompareOp::kLe:
      return a <= b;
    case CompareOp::kGt:
      return a > b;
    case CompareOp::kGe:
      return a >= b;
    default:
      return false;
  }
}

bool Eval(const lang::Condition& c, const TagSet& tags, const std::map<std::string, Value>& row,
          const std::set<std::string>& tag_keys) {
  using K = lang::Condition::Kind;
  if (c.kind == K::kAnd) {
    for (const auto& o : c.operands) {
      if (!Eval(o, tags, row, tag_keys)) return false;
    }
    return true;
  }
  if (c.kind == K::kOr) {
    for (const auto& o : c.operands) {
      if (Eval(o, tags, row, tag_keys)) return true;
    }
    return false;
  }
  const lang::Comparison& cmp = c.comparison;
  const lang::Literal& lit = cmp.value;
  if (tag_keys.count(cmp.key)) {
    const std::string v = Tag(tags, cmp.key);
    if (cmp.op == CompareOp::kMatch) return RE2::PartialMatch(v, RE2(lit.text));
    if (cmp.op == CompareOp::kNotMatch) return !RE2::PartialMatch(v, RE2(lit.text));
    return Cmp(cmp.op, v, lit.text);
  }
  auto it = row.find(cmp.key);
  if (it == row.end()) return false;
  const Value& v = it->second;
  switch (v.type) {
    case ValueType::kFloat:
      return Cmp(cmp.op, v.f,
                 lit.kind == lang::Literal::Kind::kInteger ? static_cast<double>(lit.integer)
                                                           : lit.number);
    case ValueType::kInt:
      if (lit.kind == lang::Literal::Kind::kInteger) return Cmp(cmp.op, v.i, lit.integer);
      return Cmp(cmp.op, static_cast<double>(v.i), lit.number);
    case ValueType::kBool:
      return Cmp(cmp.op, v.i, static_cast<int64_t>(lit.boolean));
    case ValueType::kString:
      if (cmp.op == CompareOp::kMatch) return RE2::PartialMatch(v.s, RE2(lit.text));
      if (cmp.op == CompareOp::kNotMatch) return !RE2::PartialMatch(v.s, RE2(lit.text));
      return Cmp(cmp.op, v.s, lit.text);
  }
  return false;
}

// the chosen point's time for first/last.
OV Aggregate(const lang::Call& call, ValueType ft, const std::vector<std::vector<Pt>>& per_series,
             int64_t* pt_time, bool nearest_rank) {
  std::vector<Pt> all;
  for (const auto& s : per_series) all.insert(all.end(), s.begin(), s.end());
  if (all.empty()) return std::nullopt;
  const size_t n = all.size();
  switch (call.function) {
    case Function::kCount:
      return Value::Int(static_cast<int64_t>(n));
    case Function::kSum:
    case Function::kMean: {
      if (ft == ValueType::kInt) {
        __int128 s = 0;
        for (const Pt& p : all) s += p.v.i;
        if (call.function == Function::kMean) {
          return Value::Float(static_cast<double>(s) / static_cast<double>(n));
        }
        return Value::Int(static_cast<int64_t>(s));
      }
      double s = 0;
      for (const Pt& p : all) s += p.v.f;
      return Value::Float(call.function == Function::kMean ? s / static_cast<double>(n) : s);
    }
    case Function::kMin:
    case Function::kMax:
    case Function::kSpread: {
      if (call.function != Function::kSpread) {  // the chosen point: the earliest on ties
        const bool max = call.function == Function::kMax;
        const Pt* best = nullptr;
        for (const Pt& p : all) {
          if (!best) {
            best = &p;
            continue;
          }
          const double a = Num(p.v), b = Num(best->v);
          if (std::isnan(a)) continue;
          if (std::isnan(b) || (max ? a > b : a < b) || (a == b && p.ts < best->ts)) best = &p;
        }
        *pt_time = best->ts;
      }
      if (ft == ValueType::kInt) {
        int64_t lo = all[0].v.i, hi = all[0].v.i;
        for (const Pt& p : all) lo = std::min(lo, p.v.i), hi = std::max(hi, p.v.i);
        if (call.function == Function::kMin) return Value::Int(lo);
        if (call.function == Function::kMax) return Value::Int(hi);
        return Value::Int(hi - lo);
      }
      double lo = NAN, hi = NAN;
      for (const Pt& p : all) {
        if (std::isnan(p.v.f)) continue;
        if (std::isnan(lo) || p.v.f < lo) lo = p.v.f;
        if (std::isnan(hi) || p.v.f > hi) hi = p.v.f;
      }
      if (call.function == Function::kMin) return Value::Float(lo);
      if (call.function == Function::kMax) return Value::Float(hi);
      return Value::Float(hi - lo);
    }
    case Function::kFirst:
    case Function::kLast: {
      const bool last = call.function == Function::kLast;
      // Ties across series: the larger value (false for first() of booleans), as InfluxDB.
      auto greater = [&](const Pt& a, const Pt& b) {
        switch (ft) {
          case ValueType::kFloat:
            return a.v.f > b.v.f;
          case ValueType::kString:
            return a.v.s > b.v.s;
          case ValueType::kBool:
            return last ? a.v.i > b.v.i : a.v.i < b.v.i;
          default:
            return a.v.i > b.v.i;
        }
      };
      const Pt* best = nullptr;
      for (const Pt& p : all) {
        if (!best || (last ? p.ts > best->ts : p.ts < best->ts) ||
            (p.ts == best->ts && greater(p, *best))) {
          best = &p;
        }
      }
      *pt_time = best->ts;
      return best->v;
    }
    case Function::kStddev: {
      if (n < 2) return Value();  // marker: null (handled by caller via type check below)
      double s = 0;
      for (const Pt& p : all) s += Num(p.v);
      const double mean = s / static_cast<double>(n);
      double m2 = 0;
      for (const Pt& p : all) m2 += (Num(p.v) - mean) * (Num(p.v) - mean);
      return Value::Float(std::sqrt(m2 / static_cast<double>(n - 1)));
    }
    case Function::kMedian:
    case Function::kPercentile: {
      std::vector<double> v;
      for (const Pt& p : all) {
        if (!std::isnan(Num(p.v))) v.push_back(Num(p.v));
      }
      if (v.empty()) return Value();
      std::sort(v.begin(), v.end());
      const double pct = call.function == Function::kMedian ? 50 : call.percentile;
      if (nearest_rank && call.function == Function::kPercentile) {
        std::vector<std::pair<double, int64_t>> tv;
        for (const Pt& p : all) {
          if (!std::isnan(Num(p.v))) tv.emplace_back(Num(p.v), p.ts);
        }
        std::sort(tv.begin(), tv.end());
        const int64_t i =
            static_cast<int64_t>(std::floor(static_cast<double>(tv.size()) * pct / 100 + 0.5)) - 1;
        if (i < 0 || i >= static_cast<int64_t>(tv.size())) return std::nullopt;
        *pt_time = tv[static_cast<size_t>(i)].second;
        return Value::Float(tv[static_cast<size_t>(i)].first);
      }
      const double rank = pct / 100.0 * static_cast<double>(v.size() - 1);
      const size_t lo = static_cast<size_t>(std::floor(rank));
      const size_t hi = std::min(lo + 1, v.size() - 1);
      const double frac = rank - static_cast<double>(lo);
      return Value::Float(frac == 0 ? v[lo] : v[lo] + frac * (v[hi] - v[lo]));
    }
    case Function::kIntegral: {
      double area = 0;
      for (const auto& s : per_series) {
        for (size_t i = 1; i < s.size(); i++) {
          area += (Num(s[i - 1].v) + Num(s[i].v)) * static_cast<double>(s[i].ts - s[i - 1].ts);
        }
      }
      const int64_t unit = call.unit_ns > 0 ? call.unit_ns : lang::kDefaultUnitNs;
      return Value::Float(area * 0.5 / static_cast<double>(unit));
    }
    case Function::kPredictLinear:
    case Function::kTimeToThreshold:
      return PredictAggregate(call, per_series);
    case Function::kMode: {
      // Every value with its count, earliest and latest time; then InfluxQL's walk in
      // ascending value order (strings, ints and bools by their own order).
      struct St {
        Value v;
        int64_t n = 0, first = 0, last = 0;
      };
      std::vector<St> vals;
      for (const Pt& p : all) {
        if (p.v.type == ValueType::kFloat && std::isnan(p.v.f)) continue;
        St* s = nullptr;
        for (St& x : vals) {
          if (x.v == p.v) s = &x;
        }
        if (!s) {
          vals.push_back(St{p.v, 0, p.ts, p.ts});
          s = &vals.back();
        }
        s->n++;
        s->first = std::min(s->first, p.ts);
        s->last = std::max(s->last, p.ts);
      }
      if (vals.empty()) return std::nullopt;
      if (ft == ValueType::kBool) {
        int64_t t = 0, f = 0;
        for (const St& x : vals) (x.v.i != 0 ? t : f) += x.n;
        return Value::Bool(t >= f);
      }
      std::sort(vals.begin(), vals.end(), [](const St& a, const St& b) {
        if (a.v.type == ValueType::kString) return a.v.s < b.v.s;
        if (a.v.type == ValueType::kFloat) return a.v.f < b.v.f;
        return a.v.i < b.v.i;
      });
      size_t lead = 0;
      for (size_t k = 1; k < vals.size(); k++) {
        const St& c = vals[k];
        const St& l = vals[lead];
        if (c.n > l.n || (c.n == l.n && c.n >= 2 && c.first <= l.last)) lead = k;
      }
      return vals[lead].v;
    }
    default:
      return std::nullopt;
  }
}

std::vector<Pt> Select(const lang::Call& call, const std::vector<std::vector<Pt>>& per_series) {
  struct C {
    Pt p;
    size_t order;
  };
  std::vector<C> all;
  for (const auto& s : per_series) {
    for (const Pt& p : s) {
      if (p.v.type == ValueType::kFloat && std::isnan(p.v.f)) continue;
      all.push_back(C{p, all.size()});
    }
  }
  const bool top = call.function == Function::kTop;
  std::sort(all.begin(), all.end(), [&](const C& a, const C& b) {
    const double x = Num(a.p.v), y = Num(b.p.v);
    if (a.p.v.type == ValueType::kInt && a.p.v.i != b.p.v.i) {
      return top ? a.p.v.i > b.p.v.i : a.p.v.i < b.p.v.i;
    }
    if (a.p.v.type != ValueType::kInt && x != y) return top ? x > y : x < y;
    if (a.p.ts != b.p.ts) return a.p.ts < b.p.ts;
    return a.order < b.order;
  });
  if (all.size() > static_cast<size_t>(call.count)) all.resize(static_cast<size_t>(call.count));
  std::stable_sort(all.begin(), all.end(), [](const C& a, const C& b) { return a.p.ts < b.p.ts; });
  std::vector<Pt> out;
  for (const C& c : all) out.push_back(c.p);
  return out;
}

std::optional<double> Math(const std::vector<lang::MathStep>& steps, double x) {
  for (const lang::MathStep& m : steps) {
    const double a = m.constant_first ? m.constant : x;
    const double b = m.constant_first ? x : m.constant;
    switch (m.op) {
      case lang::MathOp::kAdd:
        x = a + b;
        break;
      case lang::MathOp::kSub:
        x = a - b;
        break;
      case lang::MathOp::kMul:
        x = a * b;
        break;
      case lang::MathOp::kDiv:
        if (b == 0) return std::nullopt;
        x = a / b;
        break;
    }
  }
  return x;
}

// Value() (a default float 0 with type kFloat) is used above as "null because undefined";
// tell it apart from real values by this flag.
bool IsUndefined(const lang::Call& call, const std::vector<std::vector<Pt>>& per_series) {
  size_t n = 0, non_nan = 0;
  for (const auto& s : per_series) {
    for (const Pt& p : s) {
      n++;
      non_nan += !std::isnan(Num(p.v));
    }
  }
  if (call.function == Function::kStddev) return n < 2;
  if (call.function == Function::kMedian || call.function == Function::kPercentile) {
    return non_nan == 0;
  }
  return false;
}

std::vector<OV> ApplyTransform(const lang::Call& call, ValueType in, const std::vector<int64_t>& t,
                               const std::vector<OV>& v) {
  std::vector<OV> out(v.size());
  bool has = false;
  int64_t pt = 0;
  Value pv;
  std::vector<double> window;
  __int128 isum = 0;
  double fsum = 0;
  for (size_t r = 0; r < v.size(); r++) {
    if (!v[r]) continue;
    const Value& x = *v[r];
    if (call.function == Function::kCumulativeSum) {
      if (in == ValueType::kInt) {
        isum += x.i;
        out[r] = Value::Int(static_cast<int64_t>(isum));
      } else {
        fsum += x.f;
        out[r] = Value::Float(fsum);
      }
      continue;
    }
    if (call.function == Function::kElapsed) {
      const int64_t unit = call.unit_ns > 0 ? call.unit_ns : lang::kElapsedDefaultUnitNs;
      if (has) out[r] = Value::Int((t[r] - pt) / unit);
      has = true;
      pt = t[r];
      continue;
    }
    if (call.function == Function::kMovingAverage) {
      window.push_back(Num(x));
      if (window.size() > static_cast<size_t>(call.window)) window.erase(window.begin());
      if (window.size() == static_cast<size_t>(call.window)) {
        double s = 0;
        for (double w : window) s += w;
        out[r] = Value::Float(s / static_cast<double>(call.window));
      }
      continue;
    }
    if (has) {
      const double dt = static_cast<double>(t[r] - pt);
      if (call.function == Function::kDifference ||
          call.function == Function::kNonNegativeDifference) {
        out[r] = in == ValueType::kInt ? Value::Int(x.i - pv.i) : Value::Float(x.f - pv.f);
        if (call.function == Function::kNonNegativeDifference && Num(*out[r]) < 0) out[r].reset();
      } else {
        double delta = Num(x) - Num(pv);
        if (in == ValueType::kInt) delta = static_cast<double>(x.i - pv.i);
        if (call.function == Function::kRate && Num(x) < Num(pv)) delta = Num(x);
        const double unit = call.function == Function::kRate ? 1e9
                            : call.unit_ns > 0               ? static_cast<double>(call.unit_ns)
                                                             : 1e9;
        out[r] = Value::Float(delta / (dt / unit));
        if (call.function == Function::kNonNegativeDerivative && delta < 0) out[r].reset();
      }
    }
    has = true;
    pt = t[r];
    pv = x;
  }
  return out;
}

}  // namespace telemdb::query::testing::ref
