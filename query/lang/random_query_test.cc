// Randomized tests: valid queries generated from the grammar (random case, spacing, quoting and
// literal forms) must parse and survive Format -> Parse; mutated queries must fail cleanly.
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "query/lang/format.h"
#include "query/lang/parser_test_util.h"

namespace telemdb::query::lang {
namespace {

class QueryGenerator {
 public:
  explicit QueryGenerator(uint64_t seed) : rng_(seed) {}

  std::string Statement() {
    const int kind = Int(0, 9);
    if (kind < 6) return Select();
    if (kind == 6) {
      std::string q = Kw("DELETE") + Sp() + Kw("FROM") + Sp() + Name();
      if (Chance(0.7)) q += Sp() + Kw("WHERE") + Sp() + Where(/*tags_only=*/true);
      return q + End();
    }
    if (kind == 7) return Show();
    return Select();
  }

 private:
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Int(0, static_cast<int>(v.size()) - 1)];
  }

  // A keyword in random case.
  std::string Kw(std::string_view word) {
    std::string out(word);
    const int mode = Int(0, 2);
    for (char& c : out) {
      if (mode == 1 || (mode == 2 && Chance(0.5))) c = static_cast<char>(std::tolower(c));
    }
    return out;
  }
  std::string Sp() { return Pick<std::string>({" ", " ", " ", "  ", "\n", "\t", "\r\n  "}); }
  std::string OptSp() { return Chance(0.5) ? "" : Sp(); }
  std::string End() { return Chance(0.3) ? OptSp() + ";" + OptSp() : OptSp(); }

  std::string Quote(std::string_view s, char q) {
    std::string out(1, q);
    for (char c : s) {
      if (c == q || (c == '\\' && Chance(0.5))) out += '\\';
      out += c;
    }
    return out + q;
  }

  // A name that is bare when it may be, or double-quoted.
  std::string Name() { return Render(RawName()); }
  std::string Render(const std::string& name) {
    if (FormatIdentifier(name) == name && Chance(0.8)) return name;
    return Quote(name, '"');
  }
  const std::string& RawName() {
    static const std::vector<std::string> kNames = {
        "velocity", "temp", "status",   "name",   "round",  "value",       "count",  "mean",
        "now",      "true", "key",      "series", "fields", "my field",    "a\"b",   "select",
        "FROM",     "time", "µ-sensor", "x.y",    "_1",     "back\\slash", "Device", "limit_"};
    return Pick(kNames);
  }

  std::string Duration() {
    static const std::vector<std::string> kUnits = {"ns", "us", "µs", "ms", "s",
                                                    "m",  "h",  "d",  "w"};
    std::string out = std::to_string(Int(1, 90)) + Pick(kUnits);
    if (Chance(0.2)) out += std::to_string(Int(0, 59)) + Pick<std::string>({"m", "s", "ms"});
    return out;
  }

  std::string Number(bool integer_only = false) {
    std::string sign = Chance(0.3) ? "-" : "";
    switch (integer_only ? 0 : Int(0, 3)) {
      case 0:
        return sign + std::to_string(Int(0, 1000000));
      case 1:
        return sign + std::to_string(Int(0, 999)) + "." + std::to_string(Int(0, 999));
      case 2:
        return sign + "." + std::to_string(Int(1, 99));
      default:
        return sign + std::to_string(Int(1, 9)) + Pick<std::string>({"e", "E"}) +
               Pick<std::string>({"", "+", "-"}) + std::to_string(Int(0, 30));
    }
  }

  std::string String() {
    static const std::vector<std::string> kStrings = {
        "idle", "press-1", "it's", "a\\b", "", "two words", "ünï", "x\"y", "line\nbreak"};
    return Quote(Pick(kStrings), '\'');
  }

  std::string Regex() {
    return Pick<std::string>(
        {"/^press-\\d+$/", "/a\\/b/", "/(?i)motor/", "/x|y/", "/.*/", "/[a-z]{2,3}/", "/\\\\/"});
  }

  std::string Rfc3339() {
    char buf[64];
    snprintf(buf, sizeof(buf), "%04d-%02d-%02d", Int(1970, 2200), Int(1, 12), Int(1, 28));
    std::string out = buf;
    if (Chance(0.15)) return "'" + out + "'";
    snprintf(buf, sizeof(buf), "%c%02d:%02d:%02d", Pick<char>({'T', 'T', 't', ' '}), Int(0, 23),
             Int(0, 59), Int(0, 59));
    out += buf;
    if (Chance(0.4)) out += "." + std::to_string(Int(0, 999999999)).substr(0, Int(1, 9));
    switch (Int(0, 3)) {
      case 0:
        out += "Z";
        break;
      case 1:
        break;
      default:
        snprintf(buf, sizeof(buf), "%c%02d:%02d", Pick<char>({'+', '-'}), Int(0, 14),
                 Pick<int>({0, 30, 45}));
        out += buf;
    }
    return "'" + out + "'";
  }

  std::string TimeValue() {
    std::string base;
    switch (Int(0, 3)) {
      case 0:
        base = Rfc3339();
        break;
      case 1:
        base = std::to_string(Int(0, 2000000000)) + "000000000";
        break;
      case 2:
        base = std::to_string(Int(0, 2000000000)) + Pick<std::string>({"s", "000ms"});
        break;
      default:
        base = Kw("now") + OptSp() + "(" + OptSp() + ")";
        break;
    }
    for (int i = Int(0, 2); i > 0; --i) {
      base += OptSp() + Pick<std::string>({"-", "+"}) + OptSp() + Duration();
    }
    return base;
  }

  std::string Comparison(bool tags_only) {
    const int kind = tags_only ? Int(0, 1) : Int(0, 4);
    const std::string lhs = Name();  // never a bare `time`: Render quotes it
    switch (kind) {
      case 0:
        return lhs + OptSp() + Pick<std::string>({"=", "!=", "<>"}) + OptSp() + String();
      case 1:
        return lhs + OptSp() + Pick<std::string>({"=~", "!~"}) + OptSp() + Regex();
      case 2:
        return lhs + OptSp() + Pick<std::string>({"=", "!=", "<", "<=", ">", ">="}) + OptSp() +
               Number();
      case 3:
        return lhs + OptSp() + Pick<std::string>({"=", "!="}) + OptSp() +
               Kw(Pick<std::string>({"true", "false"}));
      default:
        return lhs + Sp() + Pick<std::string>({"<", ">="}) + Sp() + String();
    }
  }

  // A condition without time: comparisons under AND / OR / parentheses.
  std::string Condition(bool tags_only, int depth) {
    if (depth == 0 || Chance(0.5)) {
      const std::string c = Comparison(tags_only);
      return Chance(0.1) ? "(" + OptSp() + c + OptSp() + ")" : c;
    }
    std::string out = "(" + OptSp() + Condition(tags_only, depth - 1);
    for (int i = Int(1, 2); i > 0; --i) {
      out += Sp() + Kw(Chance(0.5) ? "AND" : "OR") + Sp() + Condition(tags_only, depth - 1);
    }
    return out + OptSp() + ")";
  }

  // Top level: conjunction of conditions and time comparisons.
  std::string Where(bool tags_only) {
    std::vector<std::string> parts;
    for (int i = Int(1, 4); i > 0; --i) {
      if (Chance(0.4)) {
        parts.push_back(Kw("time") + OptSp() + Pick<std::string>({">=", ">", "<", "<=", "="}) +
                        OptSp() + TimeValue());
      } else {
        parts.push_back(Condition(tags_only, 2));
      }
    }
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
      out += (i == 0 ? "" : Sp() + Kw("AND") + Sp()) + parts[i];
    }
    if (parts.size() == 1 && Chance(0.3))
      return Condition(tags_only, 2) + Sp() + Kw("OR") + Sp() + Condition(tags_only, 1);
    return out;
  }

  std::string Call(std::string_view name, const std::string& operand, std::string_view param) {
    std::string out = Kw(name) + OptSp() + "(" + OptSp() + operand;
    if (!param.empty()) out += OptSp() + "," + OptSp() + std::string(param);
    return out + OptSp() + ")";
  }

  std::string Aggregate() {
    const std::string field = Name();
    const int f = Int(0, 16);
    static const std::vector<std::string> kPlain = {"count",  "sum",    "mean",   "avg",
                                                    "min",    "max",    "first",  "last",
                                                    "spread", "stddev", "median", "distinct"};
    if (f < 12) return Call(kPlain[f], field, "");
    if (f == 12)
      return Call("percentile", field, std::to_string(Int(0, 99)) + (Chance(0.5) ? ".5" : ""));
    if (f == 13) return Call("predict_linear", field, Duration());
    if (f == 14) {
      std::string param = Number();
      if (Chance(0.5)) param += OptSp() + "," + OptSp() + Pick<std::string>({"'linear'", "'HOLT'"});
      return Call("time_to_threshold", field, param);
    }
    return Call("integral", field, Chance(0.5) ? Duration() : "");
  }

  std::string DetectorOptions() {
    return Pick<std::string>({"''", "'dim=4'", "'calibration=500, dim=6'", "' dim = 10 '"});
  }

  // A forecast over an aggregate (needs GROUP BY time).
  std::string Forecast(const std::string& operand) {
    const std::string n = std::to_string(Int(1, 50));
    switch (Int(0, 2)) {
      case 0:
        return Call("holt_winters", operand, n + "," + OptSp() + std::to_string(Int(0, 30)));
      case 1:
        return Call("holt_winters_with_fit", operand,
                    n + "," + OptSp() + std::to_string(Int(0, 30)));
      default: {
        std::string param = n;
        if (Chance(0.6)) {
          param +=
              "," + OptSp() + Pick<std::string>({"'auto'", "'simple'", "'Trend'", "'seasonal'"});
          if (Chance(0.5)) param += "," + OptSp() + Pick<std::string>({"0", "2", "24", "288"});
        }
        return Call("forecast", operand, param);
      }
    }
  }

  std::string Transform(const std::string& operand) {
    switch (Int(0, 7)) {
      case 4:
        return Call("ewma", operand, Pick<std::string>({"0.5", "1", "0.001", ".25"}));
      case 5:
        return Call("zscore", operand, std::to_string(Int(2, 500)));
      case 6:
        return Call("anomaly_score", operand, Chance(0.5) ? DetectorOptions() : "");
      case 0:
        return Call("rate", operand, "");
      case 1:
        return Call("derivative", operand, Chance(0.5) ? Duration() : "");
      case 2:
        return Call("difference", operand, "");
      default:
        return Call("moving_average", operand, std::to_string(Int(1, 20)));
    }
  }

  std::string Select() {
    const bool aggregated = Chance(0.6);
    const bool by_time = aggregated && Chance(0.7);
    std::string q = Kw("SELECT") + Sp();
    for (int i = Int(1, 3); i > 0; --i) {
      std::string item;
      if (aggregated) {
        item = Aggregate();
        if (by_time && Chance(0.3)) item = Chance(0.7) ? Transform(item) : Forecast(item);
      } else {
        const int k = Int(0, 4);
        item = k == 0 ? "*" : k == 1 ? Transform(Name()) : Name();
      }
      if (Chance(0.3)) item += Sp() + Kw("AS") + Sp() + Name();
      q += item + (i > 1 ? OptSp() + "," + OptSp() : "");
    }
    q += Sp() + Kw("FROM") + Sp() + Name();
    if (Chance(0.6)) q += Sp() + Kw("WHERE") + Sp() + Where(false);
    std::vector<std::string> group;
    if (by_time) {
      group.push_back(Kw("time") + OptSp() + "(" + OptSp() + Duration() +
                      (Chance(0.3) ? "," + OptSp() + (Chance(0.5) ? "-" : "") + Duration() : "") +
                      ")");
    }
    std::set<std::string> tags;
    for (int i = Int(0, 2); i > 0; --i) {
      const std::string& tag = RawName();
      if (!tags.insert(tag).second) continue;
      group.insert(group.begin() + Int(0, static_cast<int>(group.size())), Render(tag));
    }
    if (by_time || (!group.empty() && Chance(0.9))) {
      q += Sp() + Kw("GROUP") + Sp() + Kw("BY") + Sp();
      for (size_t i = 0; i < group.size(); ++i) q += (i ? OptSp() + "," + OptSp() : "") + group[i];
    } else {
      group.clear();
    }
    if (by_time && !group.empty() && Chance(0.5)) {
      const std::string fill =
          Chance(0.4) ? Number() : Kw(Pick<std::string>({"none", "null", "previous", "linear"}));
      q += Sp() + Kw("FILL") + OptSp() + "(" + OptSp() + fill + OptSp() + ")";
    }
    if (Chance(0.3)) {
      q += Sp() + Kw("ORDER") + Sp() + Kw("BY") + Sp() + Kw("time");
      if (Chance(0.7)) q += Sp() + Kw(Chance(0.5) ? "ASC" : "DESC");
    }
    if (Chance(0.3)) q += Sp() + Kw("LIMIT") + Sp() + std::to_string(Int(1, 100000));
    if (Chance(0.2)) q += Sp() + Kw("SLIMIT") + Sp() + std::to_string(Int(1, 100));
    return q + End();
  }

  std::string From() { return Chance(0.5) ? Sp() + Kw("FROM") + Sp() + Name() : ""; }

  std::string Show() {
    std::string q = Kw("SHOW") + Sp();
    switch (Int(0, 5)) {
      case 0:
        return q + Kw("MEASUREMENTS") + End();
      case 1:
        return q + Kw("FIELDS") + From() + End();
      case 2:
        return q + Kw("FIELD") + Sp() + Kw("KEYS") + From() + End();
      case 3:
        return q + Kw("TAG") + Sp() + Kw("KEYS") + From() + End();
      case 4:
        return q + Kw("TAG") + Sp() + Kw("VALUES") + From() + Sp() + Kw("WITH") + Sp() + Kw("KEY") +
               OptSp() + "=" + OptSp() + Name() + End();
      default: {
        q += Kw("SERIES") + From();
        if (Chance(0.6)) q += Sp() + Kw("WHERE") + Sp() + Where(/*tags_only=*/true);
        return q + End();
      }
    }
  }

  std::mt19937_64 rng_;
};

TEST(RandomQueryTest, GeneratedQueriesParseAndRoundTrip) {
  QueryGenerator gen(20260101);
  for (int i = 0; i < 3000; ++i) {
    const std::string q = gen.Statement();
    SCOPED_TRACE(q);
    ExpectRoundTrip(q);
    if (::testing::Test::HasFailure()) break;  // one clear failure instead of thousands
  }
}

TEST(RandomQueryTest, MutatedQueriesFailCleanlyOrRoundTrip) {
  QueryGenerator gen(42);
  std::mt19937_64 rng(7);
  const std::string kAlphabet = "()',;*+-=!<>~/\"\\ \n.0123456789aeEsmhTZ:µ\x01\xff";
  int parsed = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string q = gen.Statement();
    for (int k = std::uniform_int_distribution<int>(1, 3)(rng); k > 0 && !q.empty(); --k) {
      const size_t at = std::uniform_int_distribution<size_t>(0, q.size() - 1)(rng);
      const char c = kAlphabet[std::uniform_int_distribution<size_t>(0, kAlphabet.size() - 1)(rng)];
      switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
        case 0:
          q.erase(at, 1);
          break;
        case 1:
          q.insert(at, 1, c);
          break;
        default:
          q[at] = c;
          break;
      }
    }
    SCOPED_TRACE(q);
    absl::StatusOr<Statement> s = ParseQuery(q);
    if (!s.ok()) {
      ASSERT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
      ASSERT_EQ(s.status().message().substr(0, 5), "line ");
      continue;
    }
    ++parsed;
    ExpectRoundTrip(q);
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(parsed, 100);  // the mutations leave plenty of valid queries
}

}  // namespace
}  // namespace telemdb::query::lang
