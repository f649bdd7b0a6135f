// Predicate: a WHERE clause (without its time conditions) resolved against a measurement's
// schema, evaluated per series (tag comparisons) and per row (field comparisons).
//
// Resolution: an identifier that is a tag key of the measurement is a tag; otherwise a field
// name is a field; anything else is an error (InvalidArgument "unknown tag or field"). A
// series lacking a tag has the empty value for it (`k = ''` matches it, `k != 'a'` too).
// Regexes match anywhere in the value (partial match; anchor with ^ and $). Tags take only
// =, !=, =~, !~ against strings/regexes. A field comparison on a row where the field has no
// value is false, whatever the operator.
//
// Evaluation is three-valued per series: with only its tags known, the tree is TRUE (every
// row passes: no filtering), FALSE (the series is skipped) or UNKNOWN (rows are filtered
// with the whole tree, tag leaves as constants). Rows are evaluated in batches into masks:
// one tight loop per leaf, no per-row virtual calls.
//
// Thread safety: immutable after Build; const methods are safe to call concurrently.
#ifndef TELEMDB_QUERY_ENGINE_PREDICATE_H_
#define TELEMDB_QUERY_ENGINE_PREDICATE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "query/engine/result.h"
#include "query/lang/ast.h"
#include "storage/series_index.h"
#include "storage/types.h"

namespace re2 {
class RE2;
}

namespace telemdb::query {

// What the planner knows of a measurement when resolving identifiers.
struct MeasurementSchema {
  std::string measurement;
  std::vector<std::string> tag_keys;  // sorted; only those the statement uses (LoadSchema)
  std::map<std::string, storage::ValueType> fields;  // unified type per field
  // Fields written with types that cannot be unified (e.g. string and float), with a
  // description; using one is an error.
  std::map<std::string, std::string> conflicts;
};

class Predicate {
 public:
  enum class Tri : uint8_t { kFalse = 0, kTrue = 1, kUnknown = 2 };

  // Resolves `cond`. `field_index` maps a field name to its slot in the rows given to
  // EvalRows; fields not yet in it are added (the planner reads them). Errors:
  // InvalidArgument for an unknown identifier, a tag compared with a number/bool or with
  // <, <=, >, >=, a field compared with a literal of another kind (number vs string field,
  // regex vs number field, bool vs non-bool field, ...).
  static absl::StatusOr<Predicate> Build(const lang::Condition& cond,
                                         const MeasurementSchema& schema,
                                         std::map<std::string, int>* field_index);

  // Same, but only tag comparisons are allowed (DELETE, SHOW SERIES); an unknown identifier
  // is a tag that no series has. Errors: as Build, and InvalidArgument when an identifier is
  // a field (and not a tag).
  static absl::StatusOr<Predicate> BuildTagsOnly(const lang::Condition& cond,
                                                 const MeasurementSchema& schema);

  bool has_field_leaves() const { return has_field_leaves_; }

  // Index matchers implied by the top-level conjunction: a superset of the matching series
  // (the engine still calls EvalTags on each). *exact (if given) is set to whether they
  // select exactly the matching series (a conjunction of tag comparisons only).
  std::vector<storage::TagMatcher> IndexMatchers(bool* exact = nullptr) const;

  // Evaluates with only the tags known.
  Tri EvalTags(const storage::TagSet& tags) const;

  // Sets mask[i] (for i < n) to whether row i passes. `fields[k]` holds the values of the
  // field with index k (an empty column: no values). REQUIRES: every column is empty or has
  // n rows.
  void EvalRows(const storage::TagSet& tags, const std::vector<Column>& fields, size_t n,
                std::vector<uint8_t>* mask) const;

  // True if the whole tree is made of tag leaves joined by AND.
  bool IsConjunctionOfTags() const;

 private:
  struct Leaf {
    bool is_tag = false;
    std::string key;
    lang::CompareOp op = lang::CompareOp::kEq;
    lang::Literal value;
    std::shared_ptr<const re2::RE2> re;  // partial-match regex (kMatch / kNotMatch)
    int field = -1;                      // field leaves: index into the row columns
    storage::ValueType field_type = storage::ValueType::kFloat;
  };
  struct Node {
    lang::Condition::Kind kind = lang::Condition::Kind::kComparison;
    std::vector<int> children;  // kAnd / kOr: node indices
    int leaf = -1;              // kComparison: leaf index
  };

  absl::StatusOr<int> AddNode(const lang::Condition& c, const MeasurementSchema& schema,
                              std::map<std::string, int>* field_index, bool tags_only);
  bool TagLeafMatches(const Leaf& leaf, const storage::TagSet& tags) const;
  Tri EvalTagsNode(int node, const storage::TagSet& tags) const;
  void EvalRowsNode(int node, const storage::TagSet& tags, const std::vector<Column>& fields,
                    size_t n, std::vector<uint8_t>* mask) const;
  void EvalFieldLeaf(const Leaf& leaf, const Column& col, size_t n, uint8_t* out) const;

  std::vector<Leaf> leaves_;
  std::vector<Node> nodes_;  // root is nodes_[root_]
  int root_ = -1;
  bool has_field_leaves_ = false;
};

// The value of tag `key` in `tags` ("" when absent).
const std::string& TagValue(const storage::TagSet& tags, const std::string& key);

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_ENGINE_PREDICATE_H_
