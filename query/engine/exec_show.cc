#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "query/engine/frame_writer.h"
#include "query/engine/plan.h"
#include "query/engine/predicate.h"
#include "query/engine/show.h"
#include "query/lang/time_range.h"
#include "re2/re2.h"
#include "util/status_macros.h"

namespace telemdb::query::internal {
namespace {

using storage::ValueType;

// A table of string (or int) columns written row by row.
class Table {
 public:
  Table(ResultSink* sink, std::vector<std::string> columns, const ExecOptions& options,
        QueryStats* stats, ValueType type = ValueType::kString)
      : out_(sink, schema_, options, stats) {
    schema_.has_time = false;
    schema_.columns = std::move(columns);
    schema_.types.assign(schema_.columns.size(), type);
  }
  absl::Status Start() {
    RETURN_IF_ERROR(out_.Start());
    out_.BeginGroup({});
    return absl::OkStatus();
  }
  absl::Status Row(const std::vector<std::string>& values) {
    for (size_t c = 0; c < values.size(); c++) out_.frame().columns[c].AppendString(values[c]);
    return out_.Commit();
  }
  absl::Status IntRow(int64_t v) {
    out_.frame().columns[0].AppendInt(v);
    return out_.Commit();
  }
  absl::Status Finish() { return out_.EndGroup(); }

 private:
  ResultSchema schema_;  // declared before out_, which keeps a reference
  FrameWriter out_;
};

// LIMIT / OFFSET over a run of rows: Take() tells whether the next row is returned.
class Pager {
 public:
  explicit Pager(const lang::ShowPaging& p)
      : offset_(p.offset.value_or(0)), limit_(p.limit.value_or(0)) {}
  bool Take() {
    const int64_t i = seen_++;
    return i >= offset_ && (limit_ == 0 || i - offset_ < limit_);
  }
  // No later row can be taken.
  bool Done() const { return limit_ > 0 && seen_ >= offset_ + limit_; }

 private:
  int64_t offset_, limit_;
  int64_t seen_ = 0;
};

bool PartialMatch(const std::string& text, const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  const RE2 re(pattern, options);  // compiled by the parser already
  return re.ok() && RE2::PartialMatch(text, re);
}

bool KeyMatches(const lang::KeyMatch& m, const std::string& key) {
  switch (m.kind) {
    case lang::KeyMatch::Kind::kEq:
      return key == m.values[0];
    case lang::KeyMatch::Kind::kNe:
      return key != m.values[0];
    case lang::KeyMatch::Kind::kMatch:
      return PartialMatch(key, m.values[0]);
    case lang::KeyMatch::Kind::kNotMatch:
      return !PartialMatch(key, m.values[0]);
    case lang::KeyMatch::Kind::kIn:
      return std::find(m.values.begin(), m.values.end(), key) != m.values.end();
  }
  return false;
}

std::vector<std::string> MeasurementsOf(Querier& q, const std::optional<std::string>& m) {
  if (m) return {*m};
  return q.Measurements();
}

std::string SeriesKeyText(const std::string& m, const storage::TagSet& tags) {
  std::string out = m;
  for (const auto& [k, v] : tags) absl::StrAppend(&out, ",", k, "=", v);
  return out;
}

// The tag sets of measurement `m` satisfying `where` (tag conditions only).
absl::StatusOr<std::set<storage::TagSet>> SelectTagSets(Querier& q, const std::string& m,
                                                        const std::optional<lang::Condition>& where,
                                                        const ExecOptions& options, Context& ctx) {
  std::set<storage::TagSet> out;
  std::vector<std::string> keys;
  CollectKeys(where, &keys);
  ASSIGN_OR_RETURN(MeasurementSchema schema, LoadSchema(q, m, keys));
  if (schema.fields.empty()) return out;
  std::optional<Predicate> pred;
  storage::SeriesSelector sel;
  sel.measurement = m;
  if (where) {
    ASSIGN_OR_RETURN(pred, Predicate::BuildTagsOnly(*where, schema));
    sel.matchers = pred->IndexMatchers();
  }
  ASSIGN_OR_RETURN(std::vector<SeriesId> ids, q.Select(sel));
  if (ids.size() > options.max_series) {
    return absl::ResourceExhaustedError(
        absl::StrCat("statement selects more than ", options.max_series,
                     " series (limit max_series); narrow the WHERE clause"));
  }
  size_t n = 0;
  for (SeriesId id : ids) {
    if ((++n & 1023) == 0) RETURN_IF_ERROR(ctx.Check());
    auto meta = q.Describe(id);
    if (!meta.ok()) {
      if (meta.status().code() == absl::StatusCode::kNotFound) continue;
      return meta.status();
    }
    if (pred && pred->EvalTags(meta->key.tags) == Predicate::Tri::kFalse) continue;
    out.insert(meta->key.tags);
  }
  return out;
}

absl::Status Delete(const lang::DeleteStatement& d, Querier& q, const ExecOptions& options,
                    Context& ctx, ResultSink& sink, QueryStats* stats) {
  ASSIGN_OR_RETURN(lang::SplitWhere split, lang::SplitTimeRange(d.where));
  std::vector<std::string> keys;
  CollectKeys(split.rest, &keys);
  ASSIGN_OR_RETURN(MeasurementSchema schema, LoadSchema(q, d.measurement, keys));
  uint64_t deleted = 0;
  if (!schema.fields.empty() && !split.range.empty()) {
    DeleteRequest req;
    req.measurement = d.measurement;
    req.start = split.range.start;
    req.end = split.range.end;
    if (!d.where) {
      req.whole_measurement = true;
      ASSIGN_OR_RETURN(deleted, q.Delete(req));
    } else if (!split.rest) {
      ASSIGN_OR_RETURN(deleted, q.Delete(req));
    } else {
      ASSIGN_OR_RETURN(Predicate pred, Predicate::BuildTagsOnly(*split.rest, schema));
      bool exact = false;
      req.matchers = pred.IndexMatchers(&exact);
      if (exact) {
        ASSIGN_OR_RETURN(deleted, q.Delete(req));
      } else {
        // A general tree (OR, regexes matching ""): delete tag set by tag set, each pinned
        // exactly by equality on its tags and absence of the measurement's other tag keys.
        ASSIGN_OR_RETURN(auto sets, SelectTagSets(q, d.measurement, split.rest, options, ctx));
        const std::vector<std::string> all_keys = q.TagKeys(d.measurement);
        for (const storage::TagSet& tags : sets) {
          RETURN_IF_ERROR(ctx.Check());
          req.matchers.clear();
          for (const std::string& key : all_keys) {
            storage::TagMatcher m;
            m.key = key;
            const std::string& v = TagValue(tags, key);
            m.op =
                v.empty() ? storage::TagMatcher::Op::kNotExists : storage::TagMatcher::Op::kEqual;
            m.value = v;
            req.matchers.push_back(std::move(m));
          }
          ASSIGN_OR_RETURN(uint64_t n, q.Delete(req));
          deleted += n;
        }
      }
    }
  }
  Table t(&sink, {"series_deleted"}, options, stats, ValueType::kInt);
  RETURN_IF_ERROR(t.Start());
  RETURN_IF_ERROR(t.IntRow(static_cast<int64_t>(deleted)));
  return t.Finish();
}

}  // namespace

absl::Status ExecuteMeta(const lang::Statement& statement, Querier& q, const ExecOptions& options,
                         Context& ctx, ResultSink& sink, QueryStats* stats) {
  RETURN_IF_ERROR(ctx.Check());
  if (const auto* d = std::get_if<lang::DeleteStatement>(&statement)) {
    return Delete(*d, q, options, ctx, sink, stats);
  }
  if (const auto* s = std::get_if<lang::ShowMeasurementsStatement>(&statement)) {
    Table t(&sink, {"name"}, options, stats);
    RETURN_IF_ERROR(t.Start());
    Pager pager(s->paging);
    for (const std::string& m : q.Measurements()) {
      if (const auto& w = s->with_measurement; w.has_value()) {
        const bool match =
            w->op == lang::CompareOp::kMatch ? PartialMatch(m, w->value) : m == w->value;
        if (!match) continue;
      }
      if (pager.Take()) RETURN_IF_ERROR(t.Row({m}));
      if (pager.Done()) break;
    }
    return t.Finish();
  }
  if (const auto* s = std::get_if<lang::ShowFieldKeysStatement>(&statement)) {
    Table t(&sink, {"measurement", "field_key", "field_type"}, options, stats);
    RETURN_IF_ERROR(t.Start());
    for (const std::string& m : MeasurementsOf(q, s->measurement)) {
      Pager pager(s->paging);  // per measurement, as InfluxQL pages them
      for (const auto& [field, type] : q.Fields(m)) {
        if (pager.Take()) RETURN_IF_ERROR(t.Row({m, field, storage::ValueTypeName(type)}));
      }
    }
    return t.Finish();
  }
  if (const auto* s = std::get_if<lang::ShowTagKeysStatement>(&statement)) {
    Table t(&sink, {"measurement", "tag_key"}, options, stats);
    RETURN_IF_ERROR(t.Start());
    ASSIGN_OR_RETURN(lang::SplitWhere split, lang::SplitTimeRange(s->where));
    for (const std::string& m : MeasurementsOf(q, s->measurement)) {
      std::vector<std::string> keys;
      if (split.rest) {
        ASSIGN_OR_RETURN(auto sets, SelectTagSets(q, m, split.rest, options, ctx));
        std::set<std::string> present;
        for (const storage::TagSet& tags : sets) {
          for (const auto& [k, v] : tags) present.insert(k);
        }
        keys.assign(present.begin(), present.end());
      } else {
        keys = q.TagKeys(m);
      }
      Pager pager(s->paging);  // per measurement, as InfluxQL pages them
      for (const std::string& k : keys) {
        if (pager.Take()) RETURN_IF_ERROR(t.Row({m, k}));
      }
    }
    return t.Finish();
  }
  if (const auto* s = std::get_if<lang::ShowTagValuesStatement>(&statement)) {
    Table t(&sink, {"key", "value"}, options, stats);
    RETURN_IF_ERROR(t.Start());
    ASSIGN_OR_RETURN(lang::SplitWhere split, lang::SplitTimeRange(s->where));
    const std::string measurement = s->measurement.value_or("");
    // The keys asked for: an exact key is looked up directly, others among the tag keys.
    std::vector<std::string> keys;
    if (s->key.kind == lang::KeyMatch::Kind::kEq) {
      keys = s->key.values;
    } else {
      for (const std::string& k : q.TagKeys(measurement)) {
        if (KeyMatches(s->key, k)) keys.push_back(k);
      }
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    const size_t limit = options.max_result_rows + 1;     // one more trips the limit clearly
    std::map<std::string, std::set<std::string>> values;  // with a WHERE: key -> values
    if (split.rest) {
      for (const std::string& m : MeasurementsOf(q, s->measurement)) {
        ASSIGN_OR_RETURN(auto sets, SelectTagSets(q, m, split.rest, options, ctx));
        for (const storage::TagSet& tags : sets) {
          for (const std::string& k : keys) {
            const std::string& v = TagValue(tags, k);
            if (!v.empty()) values[k].insert(v);
          }
        }
      }
    }
    Pager pager(s->paging);
    for (const std::string& k : keys) {
      std::vector<std::string> vs;
      if (split.rest) {
        vs.assign(values[k].begin(), values[k].end());
      } else {
        vs = q.TagValues(k, measurement, limit);
      }
      for (const std::string& v : vs) {
        if (pager.Take()) RETURN_IF_ERROR(t.Row({k, v}));
        if (pager.Done()) break;
      }
      if (pager.Done()) break;
      RETURN_IF_ERROR(ctx.Check());
    }
    return t.Finish();
  }
  if (const auto* s = std::get_if<lang::ShowSeriesStatement>(&statement)) {
    Table t(&sink, {"key"}, options, stats);
    RETURN_IF_ERROR(t.Start());
    ASSIGN_OR_RETURN(lang::SplitWhere split, lang::SplitTimeRange(s->where));
    Pager pager(s->paging);
    for (const std::string& m : MeasurementsOf(q, s->measurement)) {
      ASSIGN_OR_RETURN(auto sets, SelectTagSets(q, m, split.rest, options, ctx));
      stats->series_matched += sets.size();
      for (const storage::TagSet& tags : sets) {
        if (pager.Take()) RETURN_IF_ERROR(t.Row({SeriesKeyText(m, tags)}));
      }
      if (pager.Done()) break;
    }
    return t.Finish();
  }
  return absl::InvalidArgumentError("unsupported statement");
}

}  // namespace telemdb::query::internal
