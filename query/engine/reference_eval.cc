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

constexpr int64_t kMinT = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxT = std::numeric_limits<int64_t>::max();

struct Item {
  std::string field;
  std::optional<lang::Call> agg, tr;
  ValueType ftype = ValueType::kFloat, vtype = ValueType::kFloat, type = ValueType::kFloat;
  std::string name;
};

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

// The aggregate of points (in feed order: series by series, each ascending). *pt_time gets
}  // namespace

RefResult ReferenceSelect(const Model& model, const lang::SelectStatement& stmt) {
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
  FillMode fill = stmt.fill.mode;
  const bool integral_fill =
      fill != FillMode::kValue || std::floor(stmt.fill.value) == stmt.fill.value;

  std::vector<Item> items;
  std::map<std::string, int> uses;
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
            break;
          default:
            it.vtype = ValueType::kFloat;
        }
        if (stmt.group_by_time && it.vtype == ValueType::kInt &&
            it.agg->function != Function::kDistinct &&
            (fill == FillMode::kLinear || !integral_fill)) {
          it.vtype = ValueType::kFloat;
        }
      }
      it.type = it.vtype;
      if (it.tr && it.tr->function != Function::kDifference) it.type = ValueType::kFloat;
      std::string base =
          !s.alias.empty() ? s.alias
          : s.transform    ? std::string(lang::GetFunctionInfo(s.transform->function).name)
          : s.aggregate    ? std::string(lang::GetFunctionInfo(s.aggregate->function).name)
                           : s.field;
      int u = uses[base]++;
      it.name = u == 0 ? base : absl::StrCat(base, "_", u);
      res.columns.push_back(it.name);
      items.push_back(it);
    }
  }
  if (range.empty()) return res;
  std::set<std::string> select_fields;
  for (const Item& it : items) select_fields.insert(it.field);

  // Rows per entity: timestamp -> every field's value, only rows passing the WHERE.
  struct EntityRows {
    TagSet tags;
    std::map<int64_t, std::map<std::string, Value>> rows;
  };
  std::map<std::vector<std::string>, std::vector<EntityRows>> groups;
  for (const auto& [tags, fields] : entities) {
    bool has_select = false;
    for (const auto& [f, s] : fields) has_select |= select_fields.count(f) > 0;
    if (!has_select) continue;
    EntityRows er;
    er.tags = tags;
    std::map<int64_t, std::map<std::string, Value>> all;
    for (const auto& [f, s] : fields) {
      for (auto it = s->points.lower_bound(range.start);
           it != s->points.end() && it->first < range.end; ++it) {
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
      if (any) er.rows[ts] = row;
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
    g.cols.resize(items.size());
    if (aggregated) {
      // bucket -> item -> per series points
      std::map<int64_t, std::vector<std::vector<std::vector<Pt>>>> buckets;
      for (const EntityRows& e : ents) {
        for (size_t i = 0; i < items.size(); i++) {
          std::map<int64_t, std::vector<Pt>> per_bucket;
          for (const auto& [ts, row] : e.rows) {
            auto f = row.find(items[i].field);
            if (f != row.end()) per_bucket[bk.Index(ts)].push_back(Pt{ts, f->second});
          }
          for (auto& [k, pts] : per_bucket) {
            auto& b = buckets[k];
            b.resize(items.size());
            b[i].push_back(std::move(pts));
          }
        }
      }
      if (buckets.empty()) continue;
      const bool distinct = items[0].agg->function == Function::kDistinct;
      int64_t first = buckets.begin()->first, last = buckets.rbegin()->first;
      if (bk.on && fill != FillMode::kNone && !distinct) {
        if (range.start != kMinT) first = bk.Index(range.start);
        if (range.end != kMaxT) last = bk.Index(range.end - 1);
      }
      std::vector<std::vector<uint8_t>> empty(items.size());
      for (int64_t k = first; k <= last; k++) {
        auto b = buckets.find(k);
        if (b == buckets.end() && (fill == FillMode::kNone || !bk.on || distinct)) continue;
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
            g.time.push_back(bk.on ? bk.Start(k) : (range.start == kMinT ? 0 : range.start));
            g.cols[0].push_back(v);
          };
          for (const auto& s : ss) add(Value::String(s));
          for (double f : sf) add(Value::Float(f));
          for (int64_t i : si)
            add(items[0].ftype == ValueType::kBool ? Value::Bool(i) : Value::Int(i));
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
          OV v = Aggregate(*items[i].agg, items[i].ftype, b->second[i], &pt_time);
          if (IsUndefined(*items[i].agg, b->second[i])) v.reset();
          if (v && items[i].vtype == ValueType::kFloat && v->type == ValueType::kInt) {
            v = Value::Float(static_cast<double>(v->i));
          }
          g.cols[i].push_back(v);
        }
        if (bk.on) {
          g.time.push_back(bk.Start(k));
        } else if (items.size() == 1 && !items[0].tr &&
                   (items[0].agg->function == Function::kFirst ||
                    items[0].agg->function == Function::kLast)) {
          g.time.push_back(pt_time);
        } else {
          g.time.push_back(range.start == kMinT ? 0 : range.start);
        }
      }
      if (!distinct) {
        for (size_t i = 0; i < items.size(); i++) {
          auto& col = g.cols[i];
          const auto& em = empty[i];
          const bool numeric =
              items[i].vtype == ValueType::kFloat || items[i].vtype == ValueType::kInt;
          if (fill == FillMode::kValue && numeric) {
            for (size_t r = 0; r < col.size(); r++) {
              if (!em[r]) continue;
              col[r] = items[i].vtype == ValueType::kInt
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
          if (items[i].tr) col = ApplyTransform(*items[i].tr, items[i].vtype, g.time, col);
        }
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
        std::vector<std::vector<OV>> cols(items.size());
        for (const auto& [ts, row] : ents[e].rows) {
          times.push_back(ts);
          for (size_t i = 0; i < items.size(); i++) {
            auto f = row.find(items[i].field);
            cols[i].push_back(f == row.end() ? OV() : OV(f->second));
          }
        }
        for (size_t i = 0; i < items.size(); i++) {
          if (items[i].tr) cols[i] = ApplyTransform(*items[i].tr, items[i].ftype, times, cols[i]);
        }
        for (size_t r = 0; r < times.size(); r++) {
          RawRow rr{times[r], e, {}};
          for (size_t i = 0; i < items.size(); i++) rr.v.push_back(cols[i][r]);
          rows.push_back(std::move(rr));
        }
      }
      std::stable_sort(rows.begin(), rows.end(), [](const RawRow& a, const RawRow& b) {
        return a.ts != b.ts ? a.ts < b.ts : a.entity < b.entity;
      });
      for (const RawRow& r : rows) {
        g.time.push_back(r.ts);
        for (size_t i = 0; i < items.size(); i++) g.cols[i].push_back(r.v[i]);
      }
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
          const double tol = 1e-12 * std::max(std::fabs(a), std::fabs(b)) + 1e-9;
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
