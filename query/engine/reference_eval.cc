#include "query/engine/reference_eval.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "query/lang/time_range.h"
#include "re2/re2.h"

namespace telemdb::query::testing {
namespace {

using namespace ref;  // NOLINT: the reference building blocks
using lang::CompareOp;
using lang::FillMode;
using lang::Function;
using storage::TagSet;
using storage::Value;
using storage::ValueType;
using OV = std::optional<Value>;
using Rows = std::map<int64_t, std::map<std::string, Value>>;

constexpr int64_t kMinT = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxT = std::numeric_limits<int64_t>::max();

struct Item {
  std::string field;
  std::optional<lang::Call> agg, tr;
  ValueType ftype = ValueType::kFloat, vtype = ValueType::kFloat;
  std::vector<std::string> names;
  std::vector<ValueType> types;
  std::vector<std::string> parts;
  bool lookback = false;  // the transform reads history before the range
  std::vector<lang::MathStep> math;
};

bool OmitsEmpty(const Item& it) {
  if (!it.tr) return false;
  switch (it.tr->function) {
    case Function::kDerivative:
    case Function::kDifference:
    case Function::kMovingAverage:
    case Function::kNonNegativeDerivative:
    case Function::kNonNegativeDifference:
    case Function::kCumulativeSum:
    case Function::kElapsed:
      return true;
    default:
      return false;
  }
}

struct Bk {
  bool on = false;
  int64_t iv = 1, off = 0;
  int64_t Index(int64_t t) const {
    if (!on) return 0;
    __int128 x = static_cast<__int128>(t) - off;
    __int128 q = x / iv;
    if (x % iv != 0 && x < 0) q--;
    return static_cast<int64_t>(q);
  }
  int64_t Start(int64_t k) const {
    return static_cast<int64_t>(static_cast<__int128>(k) * iv + off);
  }
};

// Rows of one tag set: every row passing the WHERE (minus time) before the range's end.
struct EntityRows {
  TagSet tags;
  Rows all;   // t < range end
  Rows rows;  // t in range, with a selected field
};

// Buckets of a group over [lo, hi): row times and, per item, its aggregate after FILL.
struct Grid {
  std::vector<int64_t> time;
  std::vector<std::vector<OV>> cols;        // [item][row]
  std::vector<std::vector<uint8_t>> empty;  // [item][row]: no point in the bucket
};

Grid AggregateGrid(const std::vector<EntityRows>& ents, const std::vector<Item>& items,
                   const lang::SelectStatement& stmt, const Bk& bk, int64_t lo, int64_t hi,
                   bool distinct, const RefOptions& opt) {
  Grid g;
  g.cols.resize(items.size());
  const FillMode fill = stmt.fill.mode;
  // bucket -> item -> per series points
  std::map<int64_t, std::vector<std::vector<std::vector<Pt>>>> buckets;
  for (const EntityRows& e : ents) {
    for (size_t i = 0; i < items.size(); i++) {
      std::map<int64_t, std::vector<Pt>> per_bucket;
      for (auto it = e.all.lower_bound(lo); it != e.all.end() && it->first < hi; ++it) {
        auto f = it->second.find(items[i].field);
        if (f != it->second.end())
          per_bucket[bk.Index(it->first)].push_back(Pt{it->first, f->second});
      }
      for (auto& [k, pts] : per_bucket) {
        auto& b = buckets[k];
        b.resize(items.size());
        b[i].push_back(std::move(pts));
      }
    }
  }
  if (buckets.empty()) return g;
  int64_t first = buckets.begin()->first, last = buckets.rbegin()->first;
  if (bk.on && fill != FillMode::kNone && !distinct) {
    if (lo != kMinT) first = bk.Index(lo);
    if (hi != kMaxT) last = bk.Index(hi - 1);
  }
  const bool integral_fill =
      fill != FillMode::kValue || std::floor(stmt.fill.value) == stmt.fill.value;
  std::vector<std::vector<uint8_t>> empty(items.size());
  for (int64_t k = first; k <= last; k++) {
    auto b = buckets.find(k);
    if (b == buckets.end() && (fill == FillMode::kNone || !bk.on || distinct)) continue;
    const int64_t row_time = bk.on ? bk.Start(k)
                                   : (opt.influxql_times && items.size() == 1 && !items[0].tr &&
                                              items[0].agg->function == Function::kIntegral
                                          ? 0
                                          : (lo == kMinT ? 0 : lo));
    if (distinct && items[0].agg->function != Function::kDistinct) {  // top, bottom
      for (const Pt& p : Select(*items[0].agg, b->second[0])) {
        g.time.push_back(p.ts);
        g.cols[0].push_back(p.v);
      }
      continue;
    }
    if (distinct) {
      std::set<std::string> ss;
      std::set<int64_t> si;
      std::set<double> sf;
      for (const auto& s : b->second[0]) {
        for (const Pt& p : s) {
          if (p.v.type == ValueType::kString)
            ss.insert(p.v.s);
          else if (p.v.type == ValueType::kFloat)
            sf.insert(p.v.f);
          else
            si.insert(p.v.i);
        }
      }
      auto add = [&](const Value& v) {
        g.time.push_back(row_time);
        g.cols[0].push_back(v);
      };
      for (const auto& s : ss) add(Value::String(s));
      for (double f : sf) add(Value::Float(f));
      for (int64_t i : si) add(items[0].ftype == ValueType::kBool ? Value::Bool(i) : Value::Int(i));
      continue;
    }
    int64_t pt_time = 0;
    for (size_t i = 0; i < items.size(); i++) {
      const bool has = b != buckets.end() && !b->second[i].empty();
      empty[i].push_back(!has);
      if (!has) {
        g.cols[i].push_back(std::nullopt);
        continue;
      }
      OV v = Aggregate(*items[i].agg, items[i].ftype, b->second[i], &pt_time, opt.nearest_rank);
      if (IsUndefined(*items[i].agg, b->second[i])) v.reset();
      if (v && items[i].vtype == ValueType::kFloat && v->type == ValueType::kInt) {
        v = Value::Float(static_cast<double>(v->i));
      }
      g.cols[i].push_back(v);
    }
    const Function f = items[0].agg->function;
    const bool point_time =
        items.size() == 1 && !items[0].tr &&
        (f == Function::kFirst || f == Function::kLast ||
         (opt.influxql_times && (f == Function::kMin || f == Function::kMax)) ||
         (opt.influxql_times && opt.nearest_rank && f == Function::kPercentile));
    if (bk.on) {
      g.time.push_back(bk.Start(k));
    } else if (point_time) {
      // A nearest-rank percentile without a value has no chosen point.
      g.time.push_back(g.cols[0].back() ? pt_time : 0);
    } else {
      g.time.push_back(row_time);
    }
  }
  g.empty = empty;
  if (distinct) return g;
  for (size_t i = 0; i < items.size(); i++) {
    auto& col = g.cols[i];
    const auto& em = empty[i];
    const bool numeric = items[i].vtype == ValueType::kFloat || items[i].vtype == ValueType::kInt;
    if (fill == FillMode::kValue && numeric) {
      for (size_t r = 0; r < col.size(); r++) {
        if (!em[r]) continue;
        col[r] = items[i].vtype == ValueType::kInt && integral_fill
                     ? Value::Int(static_cast<int64_t>(stmt.fill.value))
                     : Value::Float(stmt.fill.value);
      }
    } else if (fill == FillMode::kPrevious) {
      OV prev;
      for (size_t r = 0; r < col.size(); r++) {
        if (!em[r]) {
          if (col[r]) prev = col[r];
        } else {
          col[r] = prev;
        }
      }
    } else if (fill == FillMode::kLinear && items[i].vtype == ValueType::kFloat) {
      for (size_t r = 0; r < col.size(); r++) {
        if (!em[r]) continue;
        int64_t a = -1, c = -1;
        for (int64_t q = static_cast<int64_t>(r) - 1; q >= 0; q--) {
          if (!em[q] && col[q]) {
            a = q;
            break;
          }
        }
        for (size_t q = r + 1; q < col.size(); q++) {
          if (!em[q] && col[q]) {
            c = static_cast<int64_t>(q);
            break;
          }
        }
        if (a < 0 || c < 0) continue;
        const double v0 = col[a]->f, v1 = col[c]->f;
        col[r] = Value::Float(v0 + (v1 - v0) * static_cast<double>(g.time[r] - g.time[a]) /
                                       static_cast<double>(g.time[c] - g.time[a]));
      }
    }
  }
  return g;
}

// The output columns of item `it` over a sequence whose first `history` values come from
// before the range (dropped from the output).
std::vector<std::vector<OV>> ItemColumnsNoMath(const Item& it, ValueType in,
                                               const std::vector<int64_t>& t,
                                               const std::vector<OV>& v, size_t history) {
  std::vector<std::vector<OV>> out;
  if (!it.tr) {
    out.push_back(std::vector<OV>(v.begin() + history, v.end()));
    return out;
  }
  std::vector<std::vector<OV>> full;
  if (it.lookback) {
    full = StreamTransform(*it.tr, in, v);
  } else {
    full.push_back(ApplyTransform(*it.tr, in, t, v));
  }
  for (auto& c : full) out.push_back(std::vector<OV>(c.begin() + history, c.end()));
  return out;
}

std::vector<std::vector<OV>> ItemColumns(const Item& it, ValueType in,
                                         const std::vector<int64_t>& t, const std::vector<OV>& v,
                                         size_t history) {
  std::vector<std::vector<OV>> out = ItemColumnsNoMath(it, in, t, v, history);
  if (it.math.empty()) return out;
  for (OV& x : out[0]) {
    if (!x) continue;
    std::optional<double> y = Math(it.math, Num(*x));
    x = y ? OV(Value::Float(*y)) : OV();
  }
  return out;
}

// Keeps the rows whose column `score` holds a value >= threshold.
void KeepAtOrAbove(size_t score, double threshold, RefGroup* g) {
  RefGroup out;
  out.values = g->values;
  out.cols.resize(g->cols.size());
  for (size_t r = 0; r < g->time.size(); r++) {
    const OV& s = g->cols[score][r];
    if (!s || !(s->f >= threshold)) continue;
    out.time.push_back(g->time[r]);
    for (size_t c = 0; c < g->cols.size(); c++) out.cols[c].push_back(g->cols[c][r]);
  }
  *g = std::move(out);
}

}  // namespace

RefResult ReferenceSelect(const Model& model, const lang::SelectStatement& stmt,
                          const RefOptions& options) {
  RefResult res;
  auto split = lang::SplitTimeRange(stmt.where);
  const lang::TimeRange range = split->range;
  std::set<std::string> tag_keys;
  std::map<std::string, ValueType> ftypes;
  // entity tags -> field -> series
  std::map<TagSet, std::map<std::string, const ModelSeries*>> entities;
  for (const auto& [key, s] : model.series()) {
    if (s.measurement != stmt.measurement) continue;
    for (const auto& [k, v] : s.tags) tag_keys.insert(k);
    auto [it, inserted] = ftypes.emplace(s.field, s.type);
    if (!inserted && it->second != s.type) it->second = ValueType::kFloat;  // int + float
    entities[s.tags][s.field] = &s;
  }
  const FillMode fill = stmt.fill.mode;
  const bool integral_fill =
      fill != FillMode::kValue || std::floor(stmt.fill.value) == stmt.fill.value;

  std::vector<Item> items;
  std::map<std::string, int> uses;
  int anomalies = -1;
  bool only_forecasts = true;
  for (const lang::SelectItem& si : stmt.items) {
    std::vector<lang::SelectItem> expanded;
    if (si.wildcard) {
      for (const auto& [f, t] : ftypes) {
        lang::SelectItem r;
        r.field = f;
        expanded.push_back(r);
      }
    } else {
      expanded.push_back(si);
    }
    for (const lang::SelectItem& s : expanded) {
      Item it;
      it.field = s.field;
      it.agg = s.aggregate;
      it.tr = s.transform;
      it.ftype = ftypes.count(s.field) ? ftypes[s.field] : ValueType::kFloat;
      it.vtype = it.ftype;
      if (it.agg) {
        switch (it.agg->function) {
          case Function::kCount:
            it.vtype = ValueType::kInt;
            break;
          case Function::kSum:
          case Function::kMin:
          case Function::kMax:
          case Function::kSpread:
          case Function::kFirst:
          case Function::kLast:
          case Function::kDistinct:
          case Function::kMode:
          case Function::kTop:
          case Function::kBottom:
            break;
          default:
            it.vtype = ValueType::kFloat;
        }
        if (stmt.group_by_time && it.vtype == ValueType::kInt &&
            it.agg->function != Function::kDistinct && it.agg->function != Function::kTop &&
            it.agg->function != Function::kBottom &&
            (fill == FillMode::kLinear || !integral_fill)) {
          it.vtype = ValueType::kFloat;
        }
      }
      ValueType type = it.vtype;
      if (it.tr) {
        switch (it.tr->function) {
          case Function::kDifference:
          case Function::kNonNegativeDifference:
          case Function::kCumulativeSum:
            break;
          case Function::kElapsed:
            type = ValueType::kInt;
            break;
          default:
            type = ValueType::kFloat;
        }
      }
      it.math = s.math;
      if (!it.math.empty()) type = ValueType::kFloat;
      const Function outer = it.tr ? it.tr->function : Function::kCount;
      it.lookback = it.tr && (outer == Function::kEwma || outer == Function::kZscore ||
                              outer == Function::kAnomalyScore || outer == Function::kAnomalies);
      const bool forecast =
          it.tr && (outer == Function::kHoltWinters || outer == Function::kHoltWintersWithFit ||
                    outer == Function::kForecast);
      only_forecasts &= forecast && outer != Function::kHoltWintersWithFit;
      if (outer == Function::kForecast) {
        it.names = {"forecast", "lower", "upper"};
        it.parts = it.names;
        it.types.assign(3, ValueType::kFloat);
      } else if (outer == Function::kAnomalies) {
        it.names = {"value", "score"};
        it.parts = it.names;
        it.types = {it.vtype, ValueType::kFloat};
        anomalies = static_cast<int>(items.size());
      } else {
        it.names = {!s.alias.empty() ? s.alias
                    : s.transform ? std::string(lang::GetFunctionInfo(s.transform->function).name)
                    : s.aggregate ? std::string(lang::GetFunctionInfo(s.aggregate->function).name)
                                  : s.field};
        it.parts = {""};
        it.types = {type};
      }
      if (!s.alias.empty() && it.names.size() > 1) {
        for (size_t c = 1; c < it.names.size(); c++) it.names[c] = s.alias + "_" + it.parts[c];
        it.names[0] = s.alias;
      }
      for (std::string& name : it.names) {
        const int u = uses[name]++;
        if (u > 0) name = absl::StrCat(name, "_", u);
        res.columns.push_back(name);
      }
      for (size_t c = 0; c < it.names.size(); c++) {
        const Function f = outer;
        double tol = 0;
        if (it.agg && it.agg->function == Function::kPredictLinear) tol = 1e-9;
        if (it.agg && it.agg->function == Function::kTimeToThreshold) tol = 1e-6;
        if (it.tr && f == Function::kZscore) tol = 1e-6;
        res.tolerance.push_back(tol);
      }
      items.push_back(it);
    }
  }
  if (range.empty()) return res;
  std::set<std::string> select_fields;
  for (const Item& it : items) select_fields.insert(it.field);

  std::map<std::vector<std::string>, std::vector<EntityRows>> groups;
  for (const auto& [tags, fields] : entities) {
    bool has_select = false;
    for (const auto& [f, s] : fields) has_select |= select_fields.count(f) > 0;
    if (!has_select) continue;
    EntityRows er;
    er.tags = tags;
    Rows all;
    for (const auto& [f, s] : fields) {
      for (auto it = s->points.begin(); it != s->points.end() && it->first < range.end; ++it) {
        Value v = it->second;
        if (ftypes[f] == ValueType::kFloat && v.type == ValueType::kInt) {
          v = Value::Float(static_cast<double>(v.i));
        }
        all[it->first][f] = v;
      }
    }
    for (auto& [ts, row] : all) {
      if (split->rest && !Eval(*split->rest, tags, row, tag_keys)) continue;
      bool any = false;
      for (const auto& [f, v] : row) any |= select_fields.count(f) > 0;
      if (!any) continue;
      er.all[ts] = row;
      if (ts >= range.start) er.rows[ts] = row;
    }
    std::vector<std::string> key;
    for (const std::string& k : stmt.group_by_tags) key.push_back(Tag(tags, k));
    groups[key].push_back(std::move(er));
  }

  Bk bk;
  if (stmt.group_by_time) {
    bk.on = true;
    bk.iv = stmt.group_by_time->interval_ns;
    bk.off = ((stmt.group_by_time->offset_ns % bk.iv) + bk.iv) % bk.iv;
  }
  const bool aggregated = !stmt.items.empty() && stmt.items[0].aggregated();
  int64_t emitted = 0;
  for (auto& [key, ents] : groups) {
    if (stmt.slimit && emitted >= *stmt.slimit) break;
    RefGroup g;
    g.values = key;
    g.cols.resize(res.columns.size());
    if (aggregated) {
      bool any_row = false;
      for (const EntityRows& e : ents) any_row |= !e.rows.empty();
      if (!any_row) continue;
      const Function f0 = items[0].agg->function;
      const bool distinct =
          f0 == Function::kDistinct || f0 == Function::kTop || f0 == Function::kBottom;
      Grid main = AggregateGrid(ents, items, stmt, bk, range.start, range.end, distinct, options);
      // The look-back buckets: from the group's earliest point of a look-back field to the
      // range's first bucket, computed like the query's own.
      Grid before;
      bool lookback = false;
      for (const Item& it : items) lookback |= it.lookback;
      if (lookback && bk.on && range.start != kMinT) {
        const int64_t end = bk.Start(bk.Index(range.start));
        int64_t earliest = kMaxT;
        for (const EntityRows& e : ents) {
          for (const Item& it : items) {
            if (!it.lookback) continue;
            const auto f = entities[e.tags].find(it.field);
            if (f == entities[e.tags].end() || f->second->points.empty()) continue;
            earliest = std::min(earliest, f->second->points.begin()->first);
          }
        }
        if (earliest < end) {
          before = AggregateGrid(ents, items, stmt, bk, bk.Start(bk.Index(earliest)), end, false,
                                 options);
          // History starts at the first bucket with a point (FILL(number) fills before it).
          size_t first = before.time.size();
          for (const EntityRows& e : ents) {
            for (const Item& it : items) {
              for (const auto& [ts, row] : e.all) {
                if (ts >= end) break;
                if (!row.count(it.field)) continue;
                const int64_t b = bk.Start(bk.Index(ts));
                first = std::min<size_t>(
                    first, static_cast<size_t>(
                               std::lower_bound(before.time.begin(), before.time.end(), b) -
                               before.time.begin()));
                break;
              }
            }
          }
          before.time.erase(before.time.begin(),
                            before.time.begin() + static_cast<std::ptrdiff_t>(first));
          for (auto& c : before.cols)
            c.erase(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(first));
        }
      }
      g.time = main.time;
      std::vector<std::pair<int64_t, std::pair<size_t, double>>> future;
      size_t col = 0;
      for (size_t i = 0; i < items.size(); i++) {
        const Item& it = items[i];
        std::vector<std::vector<OV>> outs;
        if (it.tr && (it.tr->function == Function::kHoltWinters ||
                      it.tr->function == Function::kHoltWintersWithFit ||
                      it.tr->function == Function::kForecast)) {
          std::vector<std::pair<int64_t, std::vector<double>>> rows;
          outs = ForecastColumns(*it.tr, bk.iv, main.time, main.cols[i], &rows);
          for (const auto& [t, vals] : rows) {
            for (size_t c = 0; c < vals.size(); c++) future.push_back({t, {col + c, vals[c]}});
          }
        } else {
          std::vector<int64_t> t;
          std::vector<OV> v;
          size_t history = 0;
          if (it.lookback && !before.time.empty()) {
            t = before.time;
            v = before.cols[i];
            history = t.size();
          }
          t.insert(t.end(), main.time.begin(), main.time.end());
          v.insert(v.end(), main.cols[i].begin(), main.cols[i].end());
          outs = ItemColumns(it, it.vtype, t, v, history);
        }
        for (auto& c : outs) g.cols[col++] = std::move(c);
      }
      if (only_forecasts) {
        g.time.clear();
        for (auto& c : g.cols) c.clear();
      }
      // Future rows: into an existing row at the same time, else a new row.
      for (const auto& [t, cell] : future) {
        auto at = std::lower_bound(g.time.begin(), g.time.end(), t);
        const size_t r = static_cast<size_t>(at - g.time.begin());
        if (at == g.time.end() || *at != t) {
          g.time.insert(at, t);
          for (auto& c : g.cols) c.insert(c.begin() + static_cast<std::ptrdiff_t>(r), std::nullopt);
        }
        g.cols[cell.first][r] = Value::Float(cell.second);
      }
      if (options.omit_empty_rows && !distinct) {
        RefGroup kept;
        kept.values = g.values;
        kept.cols.resize(g.cols.size());
        for (size_t r = 0; r < g.time.size(); r++) {
          bool keep = false;
          size_t c = 0;
          for (size_t i = 0; i < items.size(); i++) {
            const Item& it = items[i];
            if (OmitsEmpty(it)) {
              keep |= g.cols[c][r].has_value();
            } else if (!it.tr && fill == FillMode::kNone) {
              // Forecast rows were inserted into g.time but not into main: find the row by
              // time (a forecast-only row has no main value).
              auto at = std::lower_bound(main.time.begin(), main.time.end(), g.time[r]);
              keep |= at != main.time.end() && *at == g.time[r] &&
                      !main.empty[i][static_cast<size_t>(at - main.time.begin())];
            } else {
              keep = true;
            }
            c += it.names.size();
          }
          if (!keep) continue;
          kept.time.push_back(g.time[r]);
          for (size_t k = 0; k < g.cols.size(); k++) kept.cols[k].push_back(g.cols[k][r]);
        }
        g = std::move(kept);
      }
    } else {
      // Raw: rows of every series, merged by (time, series order).
      struct RawRow {
        int64_t ts;
        size_t entity;
        std::vector<OV> v;
      };
      std::vector<RawRow> rows;
      for (size_t e = 0; e < ents.size(); e++) {
        std::vector<int64_t> times;
        for (const auto& [ts, row] : ents[e].rows) times.push_back(ts);
        std::vector<std::vector<OV>> cols;
        for (const Item& it : items) {
          // The item's input over the rows (and, for look-back items, the rows before).
          std::vector<int64_t> t;
          std::vector<OV> v;
          size_t history = 0;
          if (it.lookback) {
            for (auto r = ents[e].all.begin(); r != ents[e].all.lower_bound(range.start); ++r) {
              auto f = r->second.find(it.field);
              if (f == r->second.end()) continue;
              t.push_back(r->first);
              v.push_back(f->second);
            }
            history = t.size();
          }
          for (const auto& [ts, row] : ents[e].rows) {
            auto f = row.find(it.field);
            t.push_back(ts);
            v.push_back(f == row.end() ? OV() : OV(f->second));
          }
          for (auto& c : ItemColumns(it, it.ftype, t, v, history)) cols.push_back(std::move(c));
        }
        for (size_t r = 0; r < times.size(); r++) {
          RawRow rr{times[r], e, {}};
          for (auto& c : cols) rr.v.push_back(c[r]);
          if (options.omit_empty_rows) {
            bool keep = false;
            size_t c = 0;
            for (const Item& it : items) {
              keep |= (it.tr && !OmitsEmpty(it)) || rr.v[c].has_value();
              c += it.names.size();
            }
            if (!keep) continue;
          }
          rows.push_back(std::move(rr));
        }
      }
      std::stable_sort(rows.begin(), rows.end(), [](const RawRow& a, const RawRow& b) {
        return a.ts != b.ts ? a.ts < b.ts : a.entity < b.entity;
      });
      for (const RawRow& r : rows) {
        g.time.push_back(r.ts);
        for (size_t c = 0; c < r.v.size(); c++) g.cols[c].push_back(r.v[c]);
      }
    }
    if (anomalies >= 0) {
      size_t score = 0;
      for (int i = 0; i <= anomalies; i++) score += items[static_cast<size_t>(i)].names.size();
      KeepAtOrAbove(score - 1, items[static_cast<size_t>(anomalies)].tr->threshold, &g);
    }
    if (stmt.descending) {
      std::reverse(g.time.begin(), g.time.end());
      for (auto& c : g.cols) std::reverse(c.begin(), c.end());
    }
    if (stmt.limit && g.time.size() > static_cast<size_t>(*stmt.limit)) {
      g.time.resize(*stmt.limit);
      for (auto& c : g.cols) c.resize(*stmt.limit);
    }
    if (g.time.empty()) continue;
    emitted++;
    res.groups.push_back(std::move(g));
  }
  return res;
}

std::string Compare(const CollectingSink& got, const RefResult& want) {
  if (got.schema().columns != want.columns) {
    return absl::StrCat("columns differ: got ", got.schema().columns.size(), " want ",
                        want.columns.size());
  }
  const auto groups = got.Groups();
  if (groups.size() != want.groups.size()) {
    return absl::StrCat("got ", groups.size(), " groups, want ", want.groups.size());
  }
  for (size_t g = 0; g < groups.size(); g++) {
    const ResultFrame& f = groups[g];
    const RefGroup& w = want.groups[g];
    const std::string where = absl::StrCat("group ", g);
    if (f.group_values != w.values) return absl::StrCat(where, ": group values differ");
    if (f.time.size() != w.time.size()) {
      return absl::StrCat(where, ": got ", f.time.size(), " rows, want ", w.time.size());
    }
    for (size_t r = 0; r < f.time.size(); r++) {
      if (f.time[r] != w.time[r]) {
        return absl::StrCat(where, " row ", r, ": time ", f.time[r], " want ", w.time[r]);
      }
      for (size_t c = 0; c < f.columns.size(); c++) {
        const Column& col = f.columns[c];
        const OV& wv = w.cols[c][r];
        const std::string cell = absl::StrCat(where, " row ", r, " (t=", f.time[r], ") column ",
                                              want.columns[c], ": got ", col.DebugString(r));
        if (col.IsNull(r) != !wv.has_value()) {
          return absl::StrCat(cell, ", want ", wv ? wv->DebugString() : "null");
        }
        if (!wv) continue;
        const Value gv = col.Get(r);
        if (gv.type != wv->type) return absl::StrCat(cell, ", want type of ", wv->DebugString());
        if (gv.type == ValueType::kFloat) {
          const double a = gv.f, b = wv->f;
          if (std::isnan(a) && std::isnan(b)) continue;
          const double rel = std::max(1e-12, c < want.tolerance.size() ? want.tolerance[c] : 0.0);
          const double tol = rel * std::max(std::fabs(a), std::fabs(b)) + 1e-9;
          if (!(std::fabs(a - b) <= tol)) return absl::StrCat(cell, ", want ", wv->DebugString());
        } else if (!(gv == *wv)) {
          return absl::StrCat(cell, ", want ", wv->DebugString());
        }
      }
    }
  }
  return "";
}

}  // namespace telemdb::query::testing
