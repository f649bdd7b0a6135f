// The `json` payload format: a SAX pass (nlohmann::json, no DOM, no exceptions) that
// flattens each top-level object into (dotted path, scalar) leaves, then maps the leaves to
// one point by the subscription's JSON mapping.
#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ingest/mqtt/decoder.h"
#include "nlohmann/json.hpp"
#include "util/absl_compat.h"
#include "util/client_text.h"
#include "util/status_macros.h"

namespace telemdb::ingest::mqtt {
namespace {

using Json = nlohmann::json;

// Nesting past this is refused (objects in arrays in objects...).
constexpr int kMaxDepth = 32;

struct Leaf {
  enum Kind { kNull, kBool, kInt, kUint, kFloat, kString } kind = kNull;
  std::string path;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0;
  std::string s;  // kString; for numbers, their text (tags)
};

// Collects the leaves of each point; hands a finished point to `on_point`.
class Flattener {
 public:
  Flattener(size_t max_leaves, std::function<absl::Status(std::vector<Leaf>&)> on_point)
      : max_leaves_(max_leaves), on_point_(std::move(on_point)) {}

  const absl::Status& status() const { return status_; }

  bool null() { return AddLeaf(Leaf{}); }
  bool boolean(bool v) {
    Leaf l;
    l.kind = Leaf::kBool;
    l.b = v;
    l.s = v ? "true" : "false";
    return AddLeaf(std::move(l));
  }
  bool number_integer(Json::number_integer_t v) {
    Leaf l;
    l.kind = Leaf::kInt;
    l.i = v;
    l.s = absl::StrCat(v);
    return AddLeaf(std::move(l));
  }
  bool number_unsigned(Json::number_unsigned_t v) {
    Leaf l;
    l.kind = Leaf::kUint;
    l.u = v;
    l.s = absl::StrCat(v);
    return AddLeaf(std::move(l));
  }
  bool number_float(Json::number_float_t v, const std::string& text) {
    Leaf l;
    l.kind = Leaf::kFloat;
    l.f = v;
    l.s = text;
    return AddLeaf(std::move(l));
  }
  bool string(std::string& v) {
    Leaf l;
    l.kind = Leaf::kString;
    l.s = std::move(v);
    return AddLeaf(std::move(l));
  }
  bool binary(Json::binary_t&) { return Fail("binary values are not JSON"); }
  bool start_object(std::size_t) {
    if (frames_.empty()) {
      in_point_ = true;
    } else if (frames_.size() == 1 && frames_[0].array && !in_point_) {
      in_point_ = true;
      point_depth_ = 1;
    } else if (!in_point_) {
      return Fail("an array of points holds objects only");
    }
    if (!Enter(false)) return false;
    return true;
  }
  bool key(std::string& k) {
    frames_.back().key = std::move(k);
    return true;
  }
  bool end_object() {
    Leave();
    if (in_point_ && frames_.size() == point_depth_) {
      in_point_ = false;
      if (status_ = on_point_(leaves_); !status_.ok()) return false;
      leaves_.clear();
    }
    return true;
  }
  bool start_array(std::size_t) {
    if (frames_.empty()) {
      top_array_ = true;
    } else if (!in_point_) {
      return Fail("an array of points holds objects only");
    }
    return Enter(true);
  }
  bool end_array() {
    Leave();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) {
    // ex.what() reads "[json.exception.parse_error.101] parse error at line 1, column 5:
    // syntax error while parsing value - ..."; keep the part after the bracket.
    std::string what = ex.what();
    size_t close = what.find("] ");
    if (close != std::string::npos) what = what.substr(close + 2);
    status_ = absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", ClientText(what, 160)));
    (void)position;
    return false;
  }
  bool top_array() const { return top_array_; }

 private:
  struct Frame {
    bool array = false;
    size_t index = 0;
    std::string key;
    size_t path_len = 0;  // path_ length when the frame was entered
  };
  bool Fail(std::string why) {
    status_ = absl::InvalidArgumentError(std::move(why));
    return false;
  }
  // The path of the value about to be read in the innermost frame (and advances an
  // array's index).
  std::string ChildPath() {
    Frame& f = frames_.back();
    std::string part = f.array ? absl::StrCat(f.index++) : f.key;
    if (frames_.size() <= point_depth_ + 1) return part;  // a point's top-level key
    return absl::StrCat(path_, ".", part);
  }
  bool Enter(bool array) {
    if (static_cast<int>(frames_.size()) >= kMaxDepth) {
      return Fail(absl::StrCat("JSON nested deeper than ", kMaxDepth, " levels"));
    }
    Frame f;
    f.array = array;
    f.path_len = path_.size();
    // Entering a value inside a point: the path grows by this value's name.
    if (in_point_ && frames_.size() > point_depth_) path_ = ChildPath();
    frames_.push_back(std::move(f));
    return true;
  }
  void Leave() {
    const size_t len = frames_.back().path_len;
    frames_.pop_back();
    path_.resize(len);
  }
  bool AddLeaf(Leaf l) {
    if (frames_.empty())
      return Fail(
          "the payload is a JSON scalar; expected an object or "
          "an array of objects");
    if (!in_point_) return Fail("an array of points holds objects only");
    if (++leaves_total_ > max_leaves_) {
      return Fail(absl::StrCat("message holds more than ", max_leaves_, " values"));
    }
    l.path = ChildPath();
    leaves_.push_back(std::move(l));
    return true;
  }

  size_t max_leaves_;
  std::function<absl::Status(std::vector<Leaf>&)> on_point_;
  std::vector<Frame> frames_;
  std::string path_;
  size_t point_depth_ = 0;  // frames_ size outside the point's object
  bool in_point_ = false;
  bool top_array_ = false;
  size_t leaves_total_ = 0;
  std::vector<Leaf> leaves_;
  absl::Status status_;
};

bool PathIn(const std::vector<std::string>& list, std::string_view path) {
  for (const std::string& p : list) {
    if (path == p) return true;
    if (path.size() > p.size() && path.starts_with(p) && path[p.size()] == '.') return true;
  }
  return false;
}

// ns since the epoch from a number in `unit` ns per unit; false on overflow.
bool Scale(const Leaf& l, int64_t unit, int64_t* ns) {
  if (l.kind == Leaf::kFloat) {
    // Whole units and the fraction apart: 1700000000.25 s is exactly ...250000000 ns (the
    // product in double precision would be off by up to 128 ns).
    if (!std::isfinite(l.f) || std::fabs(l.f * static_cast<double>(unit)) >= 9.2e18) {
      return false;
    }
    const double whole = std::floor(l.f);
    const int64_t frac = std::llround((l.f - whole) * static_cast<double>(unit));
    return !__builtin_mul_overflow(static_cast<int64_t>(whole), unit, ns) &&
           !__builtin_add_overflow(*ns, frac, ns);
  }
  if (l.kind == Leaf::kUint && l.u > static_cast<uint64_t>(INT64_MAX)) return false;
  const int64_t v = l.kind == Leaf::kUint ? static_cast<int64_t>(l.u) : l.i;
  return !__builtin_mul_overflow(v, unit, ns);
}

absl::Status ReadTimestamp(const Leaf& l, TimeFormat format, int64_t* ns) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("timestamp \"", ClientText(l.path, 64),
                                                   "\" = ", ClientText(l.s, 64), ": ", Sv(why)));
  };
  const bool number = l.kind == Leaf::kInt || l.kind == Leaf::kUint || l.kind == Leaf::kFloat;
  if (l.kind == Leaf::kString && format != TimeFormat::kRfc3339) {
    // A string of digits in a numeric or automatic format is read as that number.
    Leaf n;
    n.path = l.path;
    n.s = l.s;
    if (absl::SimpleAtoi(l.s, &n.i)) {
      n.kind = Leaf::kInt;
      return ReadTimestamp(n, format, ns);
    }
    if (format != TimeFormat::kAuto) return bad("expected a number");
  }
  if (format == TimeFormat::kRfc3339 || (format == TimeFormat::kAuto && !number)) {
    if (l.kind != Leaf::kString) return bad("expected an RFC 3339 string");
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, l.s, &t, &err)) {
      return bad("not RFC 3339 (e.g. 2026-01-02T03:04:05.123Z)");
    }
    *ns = absl::ToUnixNanos(t);
    return absl::OkStatus();
  }
  if (!number) return bad("expected a number");
  int64_t unit = 1;
  switch (format) {
    case TimeFormat::kSeconds:
      unit = 1'000'000'000;
      break;
    case TimeFormat::kMillis:
      unit = 1'000'000;
      break;
    case TimeFormat::kMicros:
      unit = 1'000;
      break;
    case TimeFormat::kNanos:
      unit = 1;
      break;
    default: {  // auto: by magnitude
      const double m = std::fabs(l.kind == Leaf::kFloat  ? l.f
                                 : l.kind == Leaf::kUint ? static_cast<double>(l.u)
                                                         : static_cast<double>(l.i));
      unit = m < 1e11 ? 1'000'000'000 : m < 1e14 ? 1'000'000 : m < 1e17 ? 1'000 : 1;
    }
  }
  if (!Scale(l, unit, ns)) return bad("out of range");
  return absl::OkStatus();
}

absl::Status AddField(const Leaf& l, const std::map<std::string, storage::ValueType>& types,
                      storage::SeriesBatch* g) {
  storage::FieldColumn c;
  c.name = l.path;
  auto declared = types.find(l.path);
  auto wrong = [&](const char* want) {
    return absl::InvalidArgumentError(absl::StrCat("field \"", ClientText(l.path, 64),
                                                   "\" is declared ", want, ", got ",
                                                   ClientText(l.s, 64)));
  };
  const bool number = l.kind == Leaf::kInt || l.kind == Leaf::kUint || l.kind == Leaf::kFloat;
  storage::ValueType type = declared != types.end()   ? declared->second
                            : l.kind == Leaf::kBool   ? storage::ValueType::kBool
                            : l.kind == Leaf::kString ? storage::ValueType::kString
                                                      : storage::ValueType::kFloat;
  c.type = type;
  switch (type) {
    case storage::ValueType::kFloat:
      if (!number) return wrong("float");
      c.floats.push_back(l.kind == Leaf::kFloat  ? l.f
                         : l.kind == Leaf::kUint ? static_cast<double>(l.u)
                                                 : static_cast<double>(l.i));
      break;
    case storage::ValueType::kInt:
      if (l.kind == Leaf::kInt) {
        c.ints.push_back(l.i);
      } else if (l.kind == Leaf::kUint && l.u <= static_cast<uint64_t>(INT64_MAX)) {
        c.ints.push_back(static_cast<int64_t>(l.u));
      } else if (l.kind == Leaf::kFloat && std::nearbyint(l.f) == l.f && std::fabs(l.f) < 9e18) {
        c.ints.push_back(static_cast<int64_t>(l.f));
      } else {
        return wrong("int");
      }
      break;
    case storage::ValueType::kBool:
      if (l.kind != Leaf::kBool) return wrong("bool");
      c.bools.push_back(l.b ? 1 : 0);
      break;
    case storage::ValueType::kString:
      if (l.kind != Leaf::kString) return wrong("string");
      c.strings.push_back(l.s);
      break;
  }
  g->fields.push_back(std::move(c));
  return absl::OkStatus();
}

}  // namespace

absl::Status Decoder::DecodeJson(std::string_view payload, const TopicValues& tv,
                                 int64_t receive_ns, Decoded* out, Rejection* why) const {
  const JsonMapping& m = config_.json;
  size_t index = 0;
  auto on_point = [&](std::vector<Leaf>& leaves) -> absl::Status {
    storage::SeriesBatch g;
    g.measurement = tv.measurement.empty() ? config_.measurement : tv.measurement;
    bool have_ts = false;
    int64_t ts = 0;
    std::set<std::string_view> seen;
    for (const Leaf& l : leaves) {
      if (!seen.insert(l.path).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("key \"", ClientText(l.path, 64), "\" appears twice"));
      }
    }
    for (const Leaf& l : leaves) {
      if (l.path == m.timestamp_field) {
        *why = Rejection::kTimestamp;
        RETURN_IF_ERROR(ReadTimestamp(l, m.timestamp_format, &ts));
        *why = Rejection::kPayload;
        have_ts = true;
      } else if (!m.measurement_field.empty() && l.path == m.measurement_field) {
        if (l.kind != Leaf::kString || l.s.empty()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "measurement field \"", ClientText(l.path, 64), "\" must be a non-empty string"));
        }
        g.measurement = l.s;
      } else if (l.kind == Leaf::kNull || PathIn(m.ignore, l.path)) {
        continue;
      } else if (std::find(m.tags.begin(), m.tags.end(), l.path) != m.tags.end()) {
        g.tags.emplace_back(l.path, l.s);
      } else {
        RETURN_IF_ERROR(AddField(l, m.types, &g));
      }
    }
    if (g.measurement.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("point ", index + 1, " has no measurement (",
                                                     m.measurement_field, " missing)"));
    }
    if (g.fields.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("point ", index + 1, " has no fields"));
    }
    if (!have_ts) {
      ts = receive_ns + static_cast<int64_t>(index);
      out->used_receive_time = true;
      out->receive_span = static_cast<int64_t>(index) + 1;
    }
    g.timestamps.push_back(ts);
    RETURN_IF_ERROR(MergeTopicTags(tv.tags, &g));
    out->values += g.fields.size();
    out->groups.push_back(std::move(g));
    index++;
    return absl::OkStatus();
  };
  // Leaves are capped a little above the value limit: timestamps and tags are leaves too.
  Flattener f(config_.max_values_per_message + 64, on_point);
  const bool ok = Json::sax_parse(payload.begin(), payload.end(), &f, Json::input_format_t::json,
                                  /*strict=*/true, /*ignore_comments=*/false);
  if (!ok || !f.status().ok()) {
    out->groups.clear();
    if (f.status().ok()) return absl::InvalidArgumentError("invalid JSON");
    return f.status();
  }
  if (out->groups.empty()) {
    return absl::InvalidArgumentError(f.top_array() ? "empty JSON array: no points"
                                                    : "JSON payload holds no point");
  }
  return absl::OkStatus();
}

}  // namespace telemdb::ingest::mqtt
