#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "query/engine/aggregator.h"
#include "query/engine/executor.h"
#include "query/engine/plan.h"
#include "query/engine/transform.h"
#include "query/lang/functions.h"
#include "util/absl_compat.h"
#include "util/status_macros.h"

namespace telemdb::query {

bool PlannedItem::forecast() const {
  return transform &&
         lang::GetFunctionInfo(transform->function).kind == lang::FunctionKind::kForecast;
}

namespace {

using lang::FillMode;
using lang::Function;

std::string ItemText(const lang::SelectItem& item) {
  std::string inner = item.field;
  if (item.aggregate) {
    inner = absl::StrCat(Sv(lang::GetFunctionInfo(item.aggregate->function).name), "(", inner, ")");
  }
  if (item.transform) {
    inner = absl::StrCat(Sv(lang::GetFunctionInfo(item.transform->function).name), "(", inner, ")");
  }
  return inner;
}

std::string BaseName(const lang::SelectItem& item) {
  if (!item.alias.empty()) return item.alias;
  if (item.transform) return std::string(lang::GetFunctionInfo(item.transform->function).name);
  if (item.aggregate) return std::string(lang::GetFunctionInfo(item.aggregate->function).name);
  return item.field;
}

bool IsNumeric(ValueType t) { return t == ValueType::kFloat || t == ValueType::kInt; }

// Splits a canonical series key (measurement \0 (tagkey \0 tagvalue \0)* \0 field) into
// its tag bytes ("k1\0v1\0k2\0v2\0...") and its field. False when malformed.
bool SplitSeriesKey(std::string_view key, std::string_view* tag_bytes, std::string_view* field) {
  size_t pos = key.find('\0');
  if (pos == std::string_view::npos) return false;
  const size_t start = ++pos;
  while (pos < key.size()) {
    if (key[pos] == '\0') {
      *tag_bytes = key.substr(start, pos - start);
      *field = key.substr(pos + 1);
      return true;
    }
    const size_t k_end = key.find('\0', pos);
    if (k_end == std::string_view::npos) return false;
    const size_t v_end = key.find('\0', k_end + 1);
    if (v_end == std::string_view::npos) return false;
    pos = v_end + 1;
  }
  return false;
}

// Calls fn(key, value) for each tag of well-formed tag bytes (from SplitSeriesKey); stops
// when fn returns false.
template <typename Fn>
void ForEachTag(std::string_view bytes, Fn fn) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t k_end = bytes.find('\0', pos);
    const size_t v_end = bytes.find('\0', k_end + 1);
    if (!fn(bytes.substr(pos, k_end - pos), bytes.substr(k_end + 1, v_end - k_end - 1))) return;
    pos = v_end + 1;
  }
}

void ParseTagBytes(std::string_view bytes, storage::TagSet* tags) {
  tags->clear();
  ForEachTag(bytes, [&](std::string_view k, std::string_view v) {
    tags->emplace_back(std::string(k), std::string(v));
    return true;
  });
}

// The value of tag `key` in tag bytes; empty when the series lacks it (as TagValue).
std::string_view TagValueInBytes(std::string_view bytes, std::string_view key) {
  std::string_view out;
  ForEachTag(bytes, [&](std::string_view k, std::string_view v) {
    if (k == key) out = v;
    return k < key;  // keys are sorted
  });
  return out;
}

}  // namespace

void CollectKeys(const std::optional<lang::Condition>& where, std::vector<std::string>* keys) {
  if (!where) return;
  if (where->kind == lang::Condition::Kind::kComparison) keys->push_back(where->comparison.key);
  for (const lang::Condition& c : where->operands) CollectKeys(c, keys);
}

absl::StatusOr<MeasurementSchema> LoadSchema(Querier& querier, const std::string& measurement,
                                             const std::vector<std::string>& keys) {
  MeasurementSchema schema;
  schema.measurement = measurement;
  for (const std::string& k : keys) {
    if (!querier.TagValues(k, measurement, 1).empty()) schema.tag_keys.push_back(k);
  }
  std::sort(schema.tag_keys.begin(), schema.tag_keys.end());
  schema.tag_keys.erase(std::unique(schema.tag_keys.begin(), schema.tag_keys.end()),
                        schema.tag_keys.end());
  std::map<std::string, std::set<ValueType>> types;
  for (const auto& [name, type] : querier.Fields(measurement)) types[name].insert(type);
  for (const auto& [name, set] : types) {
    if (set.size() == 1) {
      schema.fields[name] = *set.begin();
    } else if (set.size() == 2 && set.count(ValueType::kInt) && set.count(ValueType::kFloat)) {
      schema.fields[name] = ValueType::kFloat;  // ints are widened to float
    } else {
      std::string list;
      for (ValueType t : set) absl::StrAppend(&list, list.empty() ? "" : " and ", ValueTypeName(t));
      schema.fields[name] = *set.begin();
      schema.conflicts[name] = absl::StrCat("field ", name, " of measurement ", measurement,
                                            " has conflicting types ", list);
    }
  }
  return schema;
}

namespace {

// Plans against `schema`. Sets *retry (and widens the field's type in `schema`) when a
// selected series of an int field turns out to be float: Querier::Fields may report only one
// type per field.
absl::StatusOr<SelectPlan> PlanOnce(const lang::SelectStatement& stmt, Querier& querier,
                                    const ExecOptions& options, MeasurementSchema* schema_ptr,
                                    QueryStats* stats, bool* retry) {
  MeasurementSchema& schema = *schema_ptr;
  SelectPlan plan;
  plan.measurement = stmt.measurement;
  ASSIGN_OR_RETURN(lang::SplitWhere split, lang::SplitTimeRange(stmt.where));
  plan.range = split.range;
  plan.known_measurement = !schema.fields.empty();
  plan.aggregated = !stmt.items.empty() && stmt.items[0].aggregated();
  plan.group_by_time = stmt.group_by_time;
  plan.group_by_tags = stmt.group_by_tags;
  plan.fill = stmt.fill.mode;
  plan.fill_value = stmt.fill.value;
  plan.descending = stmt.descending;
  plan.limit = stmt.limit.value_or(0);
  plan.slimit = stmt.slimit.value_or(0);
  plan.nearest_rank = options.percentile_nearest_rank;
  plan.omit_empty_rows = options.omit_transform_warmup_rows;
  plan.influxql_times = options.influxql_times;

  for (const std::string& key : plan.group_by_tags) {
    const bool is_tag = std::binary_search(schema.tag_keys.begin(), schema.tag_keys.end(), key);
    if (!is_tag && schema.fields.count(key)) {
      return absl::InvalidArgumentError(absl::StrCat("cannot GROUP BY ", key, ": it is a field of ",
                                                     stmt.measurement, ", not a tag"));
    }
  }

  // ---- The select list --------------------------------------------------------------------
  std::map<std::string, int> field_index;
  auto field_slot = [&](const std::string& name, ValueType type) {
    auto [it, inserted] = field_index.emplace(name, static_cast<int>(plan.fields.size()));
    if (inserted) plan.fields.push_back(PlannedField{name, type});
    return it->second;
  };
  std::vector<lang::SelectItem> items;
  for (const lang::SelectItem& item : stmt.items) {
    if (!item.wildcard) {
      items.push_back(item);
      continue;
    }
    for (const auto& [name, type] : schema.fields) {
      lang::SelectItem raw;
      raw.field = name;
      items.push_back(raw);
    }
  }
  const bool integral_fill =
      plan.fill != FillMode::kValue || std::floor(plan.fill_value) == plan.fill_value;
  std::map<std::string, int> name_uses;
  for (const lang::SelectItem& item : items) {
    ValueType ftype = ValueType::kFloat;
    if (plan.known_measurement) {
      auto f = schema.fields.find(item.field);
      if (f == schema.fields.end()) {
        const bool is_tag = !querier.TagValues(item.field, stmt.measurement, 1).empty();
        return absl::InvalidArgumentError(absl::StrCat(
            "measurement ", stmt.measurement, " has no field ", item.field,
            is_tag ? absl::StrCat(" (", item.field, " is a tag: GROUP BY ", item.field, ")")
                   : std::string()));
      }
      if (auto c = schema.conflicts.find(item.field); c != schema.conflicts.end()) {
        return absl::InvalidArgumentError(c->second);
      }
      ftype = f->second;
    }  // an unknown measurement has no rows: its columns are typed as floats
    PlannedItem p;
    p.field = field_slot(item.field, ftype);
    p.aggregate = item.aggregate;
    p.transform = item.transform;
    p.value_type = ftype;
    if (item.aggregate) {
      if (plan.known_measurement) {
        RETURN_IF_ERROR(Aggregator::Make(*item.aggregate, ftype, item.field).status());
      }
      p.value_type = Aggregator::OutputType(item.aggregate->function, ftype);
      if (item.aggregate->function == Function::kDistinct) {
        if (items.size() > 1 || item.transform) {
          return absl::InvalidArgumentError(
              "distinct() cannot be combined with other select items or transforms");
        }
        plan.distinct = true;
        plan.multi_row = true;
      }
      if (item.aggregate->function == Function::kTop ||
          item.aggregate->function == Function::kBottom) {
        plan.multi_row = true;  // the parser made it the only item
      }
      if (plan.group_by_time && p.value_type == ValueType::kInt && !plan.multi_row &&
          (plan.fill == FillMode::kLinear || !integral_fill)) {
        p.value_type = ValueType::kFloat;  // interpolated or fractional fill values
      }
    }
    p.type = p.value_type;
    if (item.transform) {
      if (!IsNumeric(p.value_type) && !Transform::AnyInput(item.transform->function)) {
        return absl::InvalidArgumentError(absl::StrCat(
            ItemText(item), ": ", Sv(lang::GetFunctionInfo(item.transform->function).name),
            " needs numbers, but its input is ", ValueTypeName(p.value_type)));
      }
      p.type = Transform::OutputType(item.transform->function, p.value_type);
    }
    if (!item.math.empty()) {
      if (!IsNumeric(p.type)) {
        return absl::InvalidArgumentError(
            absl::StrCat(ItemText(item), ": arithmetic needs numbers, but its value is ",
                         ValueTypeName(p.type)));
      }
      p.math = item.math;
      p.math_input = p.type;
      p.type = ValueType::kFloat;
    }
    // Output columns: one, or the parts of a multi-column function.
    const lang::Function outer = item.transform ? item.transform->function : lang::Function::kCount;
    std::vector<PlannedColumn> cols;
    if (outer == Function::kForecast) {
      cols = {{"forecast", ValueType::kFloat, "forecast"},
              {"lower", ValueType::kFloat, "lower"},
              {"upper", ValueType::kFloat, "upper"}};
    } else if (outer == Function::kAnomalies) {
      cols = {{"value", p.value_type, "value"}, {"score", ValueType::kFloat, "score"}};
      plan.anomalies = static_cast<int>(plan.items.size());
    } else {
      cols = {{BaseName(item), p.type, ""}};
    }
    if (!item.alias.empty()) {
      cols[0].name = item.alias;
      for (size_t c = 1; c < cols.size(); c++)
        cols[c].name = absl::StrCat(item.alias, "_", cols[c].part);
    }
    for (PlannedColumn& c : cols) {
      const int uses = name_uses[c.name]++;
      if (uses > 0) c.name = absl::StrCat(c.name, "_", uses);
    }
    p.type = cols[0].type;
    p.name = cols[0].name;
    p.columns = std::move(cols);
    p.first_column = plan.columns;
    plan.columns += p.columns.size();
    if (item.transform) p.lookback = Transform::LookBack(*item.transform);
    plan.items.push_back(std::move(p));
  }
  const size_t select_fields = plan.fields.size();
  plan.point_time = internal::RowTimeIsPointTime(plan);

  plan.schema.group_by = plan.group_by_tags;
  plan.schema.has_time = true;
  for (size_t i = 0; i < plan.items.size(); i++) {
    for (const PlannedColumn& c : plan.items[i].columns) {
      plan.schema.columns.push_back(c.name);
      plan.schema.types.push_back(c.type);
      plan.schema.items.push_back(static_cast<uint32_t>(i));
      plan.schema.parts.push_back(c.part);
    }
  }
  if (!plan.known_measurement || plan.range.empty()) return plan;

  // ---- WHERE ------------------------------------------------------------------------------
  if (split.rest) {
    ASSIGN_OR_RETURN(Predicate pred, Predicate::Build(*split.rest, schema, &field_index));
    for (const auto& [name, index] : field_index) {
      if (index < static_cast<int>(plan.fields.size())) continue;
      if (auto c = schema.conflicts.find(name); c != schema.conflicts.end()) {
        return absl::InvalidArgumentError(c->second);
      }
      plan.fields.resize(index + 1);
      plan.fields[index] = PlannedField{name, schema.fields[name]};
    }
    plan.predicate = std::move(pred);
  }
  const bool field_filter = plan.predicate && plan.predicate->has_field_leaves();

  plan.last_cache =
      options.use_last_cache && plan.aggregated && !plan.group_by_time && !field_filter;
  for (const PlannedItem& p : plan.items) {
    if (!p.aggregate || p.aggregate->function != Function::kLast || p.transform ||
        !p.math.empty()) {
      plan.last_cache = false;
    }
  }

  // ---- Series -----------------------------------------------------------------------------
  storage::SeriesSelector sel;
  sel.measurement = plan.measurement;
  for (const PlannedField& f : plan.fields) sel.fields.push_back(f.name);
  if (plan.predicate) sel.matchers = plan.predicate->IndexMatchers();
  ASSIGN_OR_RETURN(std::vector<SeriesId> ids, querier.Select(sel));
  // Entities by their tags, then groups by their GROUP BY values: hash maps while collecting
  // (a query may select 100,000s of series), sorted once at the end. Series are read as
  // canonical key bytes (no SeriesKey per series): an entity is identified by the bytes of its
  // tags, which sort as its TagSet does (NUL ends each name and sorts first), and only an
  // entity that needs its tags (a row filter) gets them parsed.
  absl::flat_hash_map<std::string, size_t> entity_of;
  std::vector<Entity> entities;
  std::vector<std::string> entity_bytes;  // per entity: its tag bytes
  absl::flat_hash_map<std::string, int> field_lookup(field_index.begin(), field_index.end());
  uint64_t selected = 0;
  RETURN_IF_ERROR(querier.DescribeKeys(
      ids, [&](size_t i, ValueType type, std::string_view key) -> absl::Status {
        std::string_view tag_bytes, field;
        if (!SplitSeriesKey(key, &tag_bytes, &field)) {
          return absl::DataLossError(absl::StrCat("series ", ids[i], ": malformed series key"));
        }
        auto fi = field_lookup.find(Sv(field));
        if (fi == field_lookup.end()) return absl::OkStatus();
        const ValueType planned = plan.fields[fi->second].type;
        if (type != planned) {
          if (planned == ValueType::kInt && type == ValueType::kFloat) {
            schema.fields[std::string(field)] = ValueType::kFloat;  // widen and plan again
            *retry = true;
            return absl::OkStatus();
          }
          if (!(planned == ValueType::kFloat && type == ValueType::kInt)) {
            return absl::InvalidArgumentError(
                absl::StrCat("field ", Sv(field), " of measurement ", stmt.measurement,
                             " has conflicting types ", ValueTypeName(planned), " and ",
                             ValueTypeName(type)));
          }
        }
        auto it = entity_of.find(Sv(tag_bytes));
        if (it == entity_of.end()) {
          Predicate::Tri tri = Predicate::Tri::kTrue;
          storage::TagSet tags;
          if (plan.predicate) {
            ParseTagBytes(tag_bytes, &tags);
            tri = plan.predicate->EvalTags(tags);
          }
          if (tri == Predicate::Tri::kFalse) return absl::OkStatus();
          it = entity_of.emplace(std::string(tag_bytes), entities.size()).first;
          Entity& e = entities.emplace_back();
          e.filter = tri == Predicate::Tri::kUnknown;
          if (e.filter) e.tags = std::move(tags);
          e.series.assign(plan.fields.size(), storage::kInvalidSeriesId);
          e.stored.assign(plan.fields.size(), ValueType::kFloat);
          entity_bytes.push_back(it->first);
        }
        Entity& e = entities[it->second];
        e.series[fi->second] = ids[i];
        e.stored[fi->second] = type;
        if (++selected > options.max_series) {
          return absl::ResourceExhaustedError(
              absl::StrCat("query selects more than ", options.max_series,
                           " series (limit max_series); narrow the WHERE clause"));
        }
        return absl::OkStatus();
      }));
  if (*retry) return plan;
  entity_of.clear();
  std::vector<size_t> order(entities.size());
  for (size_t i = 0; i < order.size(); i++) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return entity_bytes[a] < entity_bytes[b]; });
  // Groups keyed by their GROUP BY values joined with NUL (names never contain NUL).
  absl::flat_hash_map<std::string, size_t> group_of;
  std::vector<Group> groups;
  std::string gkey;
  std::vector<std::string_view> values(plan.group_by_tags.size());
  for (size_t idx : order) {
    Entity& e = entities[idx];
    bool has_select_field = false;
    for (size_t f = 0; f < select_fields; f++) {
      has_select_field |= e.series[f] != storage::kInvalidSeriesId;
    }
    if (!has_select_field) continue;
    for (SeriesId id : e.series) stats->series_matched += id != storage::kInvalidSeriesId;
    gkey.clear();
    for (size_t k = 0; k < plan.group_by_tags.size(); k++) {
      values[k] = TagValueInBytes(entity_bytes[idx], plan.group_by_tags[k]);
      gkey.append(values[k]);
      gkey.push_back('\0');
    }
    auto [it, inserted] = group_of.try_emplace(gkey, groups.size());  // copies only if new
    if (inserted) {
      Group& g = groups.emplace_back();
      g.values.assign(values.begin(), values.end());
    }
    groups[it->second].entities.push_back(std::move(e));
  }
  std::sort(groups.begin(), groups.end(),
            [](const Group& a, const Group& b) { return a.values < b.values; });
  plan.groups = std::move(groups);
  return plan;
}

}  // namespace

absl::StatusOr<SelectPlan> PlanSelect(const lang::SelectStatement& stmt, Querier& querier,
                                      const ExecOptions& options, QueryStats* stats) {
  std::vector<std::string> keys = stmt.group_by_tags;
  ASSIGN_OR_RETURN(lang::SplitWhere split, lang::SplitTimeRange(stmt.where));
  CollectKeys(split.rest, &keys);
  ASSIGN_OR_RETURN(MeasurementSchema schema, LoadSchema(querier, stmt.measurement, keys));
  while (true) {  // each retry widens one more field from int to float: it ends
    bool retry = false;
    QueryStats local;
    ASSIGN_OR_RETURN(SelectPlan plan, PlanOnce(stmt, querier, options, &schema, &local, &retry));
    if (retry) continue;
    stats->series_matched += local.series_matched;
    return plan;
  }
}

}  // namespace telemdb::query
