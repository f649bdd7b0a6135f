#include "query/engine/predicate.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "re2/re2.h"
#include "util/absl_compat.h"
#include "util/status_macros.h"

namespace telemdb::query {
namespace {

using lang::CompareOp;
using lang::Literal;
using storage::ValueType;

const char* OpText(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "!=";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
    case CompareOp::kMatch:
      return "=~";
    case CompareOp::kNotMatch:
      return "!~";
  }
  return "?";
}

const char* LiteralKind(const Literal& l) {
  switch (l.kind) {
    case Literal::Kind::kString:
      return "a string";
    case Literal::Kind::kInteger:
    case Literal::Kind::kFloat:
      return "a number";
    case Literal::Kind::kBool:
      return "a boolean";
    case Literal::Kind::kRegex:
      return "a regex";
  }
  return "?";
}

template <typename T>
inline bool Cmp(CompareOp op, const T& a, const T& b) {
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

// Tight loop: out[i] = valid[i] && (v[i] op x).
template <typename T, typename U>
void CompareLoop(CompareOp op, const T* v, const uint8_t* valid, U x, size_t n, uint8_t* out) {
#define TELEMDB_CMP_LOOP(expr) \
  for (size_t i = 0; i < n; i++) out[i] = valid[i] && (expr)
  switch (op) {
    case CompareOp::kEq:
      TELEMDB_CMP_LOOP(v[i] == x);
      break;
    case CompareOp::kNe:
      TELEMDB_CMP_LOOP(v[i] != x);
      break;
    case CompareOp::kLt:
      TELEMDB_CMP_LOOP(v[i] < x);
      break;
    case CompareOp::kLe:
      TELEMDB_CMP_LOOP(v[i] <= x);
      break;
    case CompareOp::kGt:
      TELEMDB_CMP_LOOP(v[i] > x);
      break;
    case CompareOp::kGe:
      TELEMDB_CMP_LOOP(v[i] >= x);
      break;
    default:
      for (size_t i = 0; i < n; i++) out[i] = 0;
  }
#undef TELEMDB_CMP_LOOP
}

}  // namespace

const std::string& TagValue(const storage::TagSet& tags, const std::string& key) {
  static const std::string kEmpty;
  auto it =
      std::lower_bound(tags.begin(), tags.end(), key,
                       [](const storage::Tag& t, const std::string& k) { return t.first < k; });
  return it != tags.end() && it->first == key ? it->second : kEmpty;
}

absl::StatusOr<Predicate> Predicate::Build(const lang::Condition& cond,
                                           const MeasurementSchema& schema,
                                           std::map<std::string, int>* field_index) {
  Predicate p;
  ASSIGN_OR_RETURN(p.root_, p.AddNode(cond, schema, field_index, /*tags_only=*/false));
  return p;
}

absl::StatusOr<Predicate> Predicate::BuildTagsOnly(const lang::Condition& cond,
                                                   const MeasurementSchema& schema) {
  Predicate p;
  ASSIGN_OR_RETURN(p.root_, p.AddNode(cond, schema, nullptr, /*tags_only=*/true));
  return p;
}

absl::StatusOr<int> Predicate::AddNode(const lang::Condition& c, const MeasurementSchema& schema,
                                       std::map<std::string, int>* field_index, bool tags_only) {
  using Kind = lang::Condition::Kind;
  Node node;
  node.kind = c.kind;
  if (c.kind == Kind::kTime) {
    return absl::InvalidArgumentError(
        "time conditions must be ANDed with the rest of the WHERE clause");
  }
  if (c.kind == Kind::kAnd || c.kind == Kind::kOr) {
    for (const lang::Condition& o : c.operands) {
      ASSIGN_OR_RETURN(int child, AddNode(o, schema, field_index, tags_only));
      node.children.push_back(child);
    }
    nodes_.push_back(std::move(node));
    return static_cast<int>(nodes_.size() - 1);
  }
  const lang::Comparison& cmp = c.comparison;
  Leaf leaf;
  leaf.key = cmp.key;
  leaf.op = cmp.op;
  leaf.value = cmp.value;
  const bool is_tag = std::binary_search(schema.tag_keys.begin(), schema.tag_keys.end(), cmp.key);
  auto field = schema.fields.find(cmp.key);
  const std::string where =
      absl::StrCat(Sv(cmp.key), " ", OpText(cmp.op), " ", LiteralKind(cmp.value));
  // In tag-only contexts (DELETE, SHOW SERIES) an unknown identifier is a tag no series has.
  if (is_tag || (tags_only && field == schema.fields.end())) {
    leaf.is_tag = true;
    const bool string_op = cmp.op == CompareOp::kEq || cmp.op == CompareOp::kNe;
    const bool regex_op = cmp.op == CompareOp::kMatch || cmp.op == CompareOp::kNotMatch;
    if (!((string_op && cmp.value.kind == Literal::Kind::kString) ||
          (regex_op && cmp.value.kind == Literal::Kind::kRegex))) {
      return absl::InvalidArgumentError(
          absl::StrCat("tag ", Sv(cmp.key), " of measurement ", Sv(schema.measurement),
                       " takes only =, != against a string or =~, !~ against a regex; found ",
                       where, " (tag values are strings: quote the value)"));
    }
  } else if (field != schema.fields.end()) {
    if (tags_only) {
      return absl::InvalidArgumentError(absl::StrCat("only tag conditions are allowed here, but ",
                                                     Sv(cmp.key), " is a field of measurement ",
                                                     Sv(schema.measurement)));
    }
    leaf.field_type = field->second;
    const Literal::Kind k = cmp.value.kind;
    const bool numeric_lit = k == Literal::Kind::kInteger || k == Literal::Kind::kFloat;
    bool ok = false;
    switch (field->second) {
      case ValueType::kFloat:
      case ValueType::kInt:
        ok = numeric_lit;
        break;
      case ValueType::kBool:
        ok = k == Literal::Kind::kBool;
        break;
      case ValueType::kString:
        ok = k == Literal::Kind::kString || k == Literal::Kind::kRegex;
        break;
    }
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot compare ", storage::ValueTypeName(field->second), " field ", Sv(cmp.key),
          " of measurement ", Sv(schema.measurement), " with ", LiteralKind(cmp.value)));
    }
    auto [it, inserted] = field_index->emplace(cmp.key, static_cast<int>(field_index->size()));
    leaf.field = it->second;
    has_field_leaves_ = true;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown tag or field ", Sv(cmp.key),
                                                   " in measurement ", Sv(schema.measurement)));
  }
  if (cmp.value.kind == Literal::Kind::kRegex) {
    RE2::Options opts;
    opts.set_log_errors(false);
    auto re = std::make_shared<RE2>(cmp.value.text, opts);
    if (!re->ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid regex /", cmp.value.text, "/: ", re->error()));
    }
    leaf.re = std::move(re);
  }
  leaves_.push_back(std::move(leaf));
  node.leaf = static_cast<int>(leaves_.size() - 1);
  nodes_.push_back(std::move(node));
  return static_cast<int>(nodes_.size() - 1);
}

std::vector<storage::TagMatcher> Predicate::IndexMatchers(bool* exact) const {
  std::vector<storage::TagMatcher> out;
  bool all_exact = IsConjunctionOfTags();
  if (exact != nullptr) *exact = all_exact;
  if (root_ < 0) return out;
  std::vector<int> conj;
  if (nodes_[root_].kind == lang::Condition::Kind::kAnd) {
    conj = nodes_[root_].children;
  } else {
    conj.push_back(root_);
  }
  for (int n : conj) {
    if (nodes_[n].leaf < 0) continue;
    const Leaf& l = leaves_[nodes_[n].leaf];
    if (!l.is_tag) continue;
    storage::TagMatcher m;
    m.key = l.key;
    using Op = storage::TagMatcher::Op;
    switch (l.op) {
      case CompareOp::kEq:
        m.op = l.value.text.empty() ? Op::kNotExists : Op::kEqual;
        m.value = l.value.text;
        break;
      case CompareOp::kNe:
        m.op = l.value.text.empty() ? Op::kExists : Op::kNotEqual;
        m.value = l.value.text;
        break;
      case CompareOp::kMatch:
      case CompareOp::kNotMatch: {
        // The index matches only series having the tag, with full-match semantics. A regex
        // that matches "" must also select series lacking the tag: no pre-filter then (for
        // !~ the index gives a superset, which is fine).
        const bool matches_empty = RE2::PartialMatch("", *l.re);
        if (matches_empty && exact != nullptr) *exact = false;
        if (l.op == CompareOp::kMatch && matches_empty) continue;
        m.op = l.op == CompareOp::kMatch ? Op::kRegex : Op::kNotRegex;
        RE2::Options opts;
        opts.set_log_errors(false);
        auto full =
            std::make_shared<RE2>(absl::StrCat("(?s:.*)(?:", l.value.text, ")(?s:.*)"), opts);
        if (!full->ok()) {
          if (exact != nullptr) *exact = false;
          continue;
        }
        m.re = std::move(full);
        break;
      }
      default:
        continue;
    }
    out.push_back(std::move(m));
  }
  return out;
}

bool Predicate::IsConjunctionOfTags() const {
  if (root_ < 0) return true;
  std::vector<int> conj;
  if (nodes_[root_].kind == lang::Condition::Kind::kAnd) {
    conj = nodes_[root_].children;
  } else {
    conj.push_back(root_);
  }
  for (int n : conj) {
    if (nodes_[n].leaf < 0 || !leaves_[nodes_[n].leaf].is_tag) return false;
  }
  return true;
}

bool Predicate::TagLeafMatches(const Leaf& l, const storage::TagSet& tags) const {
  const std::string& v = TagValue(tags, l.key);
  switch (l.op) {
    case CompareOp::kEq:
      return v == l.value.text;
    case CompareOp::kNe:
      return v != l.value.text;
    case CompareOp::kMatch:
      return RE2::PartialMatch(v, *l.re);
    case CompareOp::kNotMatch:
      return !RE2::PartialMatch(v, *l.re);
    default:
      return false;
  }
}

Predicate::Tri Predicate::EvalTagsNode(int n, const storage::TagSet& tags) const {
  const Node& node = nodes_[n];
  if (node.leaf >= 0) {
    const Leaf& l = leaves_[node.leaf];
    if (!l.is_tag) return Tri::kUnknown;
    return TagLeafMatches(l, tags) ? Tri::kTrue : Tri::kFalse;
  }
  const bool is_and = node.kind == lang::Condition::Kind::kAnd;
  Tri acc = is_and ? Tri::kTrue : Tri::kFalse;
  for (int c : node.children) {
    Tri t = EvalTagsNode(c, tags);
    if (is_and && t == Tri::kFalse) return Tri::kFalse;
    if (!is_and && t == Tri::kTrue) return Tri::kTrue;
    if (t == Tri::kUnknown) acc = Tri::kUnknown;
  }
  return acc;
}

Predicate::Tri Predicate::EvalTags(const storage::TagSet& tags) const {
  return root_ < 0 ? Tri::kTrue : EvalTagsNode(root_, tags);
}

void Predicate::EvalFieldLeaf(const Leaf& l, const Column& col, size_t n, uint8_t* out) const {
  if (col.size() == 0) {
    std::fill(out, out + n, 0);
    return;
  }
  const uint8_t* valid = col.valid.data();
  const Literal& lit = l.value;
  switch (col.type) {
    case ValueType::kFloat: {
      double x =
          lit.kind == Literal::Kind::kInteger ? static_cast<double>(lit.integer) : lit.number;
      CompareLoop(l.op, col.floats.data(), valid, x, n, out);
      break;
    }
    case ValueType::kInt:
      if (lit.kind == Literal::Kind::kInteger) {
        CompareLoop(l.op, col.ints.data(), valid, lit.integer, n, out);
      } else {
        // Compare exactly as doubles: an int64 converts to the nearest double.
        for (size_t i = 0; i < n; i++) {
          out[i] = valid[i] && Cmp(l.op, static_cast<double>(col.ints[i]), lit.number);
        }
      }
      break;
    case ValueType::kBool:
      CompareLoop(l.op, col.ints.data(), valid, static_cast<int64_t>(lit.boolean ? 1 : 0), n, out);
      break;
    case ValueType::kString:
      if (lit.kind == Literal::Kind::kRegex) {
        const bool want = l.op == CompareOp::kMatch;
        for (size_t i = 0; i < n; i++) {
          out[i] = valid[i] && RE2::PartialMatch(col.strings[i], *l.re) == want;
        }
      } else {
        for (size_t i = 0; i < n; i++) {
          out[i] = valid[i] && Cmp<std::string>(l.op, col.strings[i], lit.text);
        }
      }
      break;
  }
}

void Predicate::EvalRowsNode(int n, const storage::TagSet& tags, const std::vector<Column>& fields,
                             size_t rows, std::vector<uint8_t>* mask) const {
  const Node& node = nodes_[n];
  mask->resize(rows);
  if (node.leaf >= 0) {
    const Leaf& l = leaves_[node.leaf];
    if (l.is_tag) {
      std::fill(mask->begin(), mask->end(), TagLeafMatches(l, tags) ? 1 : 0);
    } else {
      EvalFieldLeaf(l, fields[l.field], rows, mask->data());
    }
    return;
  }
  const bool is_and = node.kind == lang::Condition::Kind::kAnd;
  std::vector<uint8_t> sub;
  for (size_t k = 0; k < node.children.size(); k++) {
    if (k == 0) {
      EvalRowsNode(node.children[0], tags, fields, rows, mask);
      continue;
    }
    EvalRowsNode(node.children[k], tags, fields, rows, &sub);
    uint8_t* m = mask->data();
    const uint8_t* s = sub.data();
    if (is_and) {
      for (size_t i = 0; i < rows; i++) m[i] &= s[i];
    } else {
      for (size_t i = 0; i < rows; i++) m[i] |= s[i];
    }
  }
}

void Predicate::EvalRows(const storage::TagSet& tags, const std::vector<Column>& fields, size_t n,
                         std::vector<uint8_t>* mask) const {
  if (root_ < 0) {
    mask->assign(n, 1);
    return;
  }
  EvalRowsNode(root_, tags, fields, n, mask);
}

}  // namespace telemdb::query
