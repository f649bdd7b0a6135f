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
  if (std::holds_alternative<lang::ShowMeasurementsStatement>(statement)) {
    Table t(&sink, {"name"}, options, stats);
    RETURN_IF_ERROR(t.Start());
    for (const std::string& m : q.Measurements()) RETURN_IF_ERROR(t.Row({m}));
    return t.Finish();
  }
  if (const auto* s = std::get_if<lang::ShowFieldKeysStatement>(&statement)) {
    Table t(&sink, {"measurement", "field_key", "field_type"}, options, stats);
    RETURN_IF_ERROR(t.Start());
    for (const std::string& m : MeasurementsOf(q, s->measurement)) {
      for (const auto& [field, type] : q.Fields(m)) {
        RETURN_IF_ERROR(t.Row({m, field, storage::ValueTypeName(type)}));
      }
    }
    return t.Finish();
  }
  if (const auto* s = std::get_if<lang::ShowTagKeysStatement>(&statement)) {
    Table t(&sink, {"measurement", "tag_key"}, options, stats);
    RETURN_IF_ERROR(t.Start());
    for (const std::string& m : MeasurementsOf(q, s->measurement)) {
      for (const std::string& k : q.TagKeys(m)) RETURN_IF_ERROR(t.Row({m, k}));
    }
    return t.Finish();
  }
  if (const auto* s = std::get_if<lang::ShowTagValuesStatement>(&statement)) {
    Table t(&sink, {"key", "value"}, options, stats);
    RETURN_IF_ERROR(t.Start());
    const size_t limit = options.max_result_rows + 1;  // one more trips the limit clearly
    for (const std::string& v : q.TagValues(s->key, s->measurement.value_or(""), limit)) {
      RETURN_IF_ERROR(t.Row({s->key, v}));
    }
    return t.Finish();
  }
  if (const auto* s = std::get_if<lang::ShowSeriesStatement>(&statement)) {
    Table t(&sink, {"key"}, options, stats);
    RETURN_IF_ERROR(t.Start());
    ASSIGN_OR_RETURN(lang::SplitWhere split, lang::SplitTimeRange(s->where));
    for (const std::string& m : MeasurementsOf(q, s->measurement)) {
      ASSIGN_OR_RETURN(auto sets, SelectTagSets(q, m, split.rest, options, ctx));
      stats->series_matched += sets.size();
      for (const storage::TagSet& tags : sets) RETURN_IF_ERROR(t.Row({SeriesKeyText(m, tags)}));
    }
    return t.Finish();
  }
  return absl::InvalidArgumentError("unsupported statement");
}

}  // namespace telemdb::query::internal
