#include "alert/rule.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace telemdb::alert {
namespace {

using ::telemdb::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kS = 1'000'000'000;

RuleSpec Spec(std::string query, std::string cond) {
  RuleSpec s;
  s.name = "r1";
  s.query = std::move(query);
  s.condition = std::move(cond);
  return s;
}

TEST(RuleQueryTest, ParsesSelectorAndGroups) {
  ASSERT_OK_AND_ASSIGN(RuleQuery q,
                       ParseRuleQuery("FROM readings WHERE fleet = 'East' GROUP BY name, fleet"));
  EXPECT_EQ(q.measurement, "readings");
  EXPECT_TRUE(q.where.has_value());
  EXPECT_EQ(q.group_by, (std::vector<std::string>{"fleet", "name"}));
  ASSERT_OK_AND_ASSIGN(RuleQuery s, ParseRuleQuery("  SELECT * FROM m"));
  EXPECT_EQ(s.measurement, "m");
  EXPECT_TRUE(s.group_by.empty());
}

TEST(RuleQueryTest, RejectsWhatARuleCannotUse) {
  struct Case {
    const char* text;
    const char* says;
  } cases[] = {
      {"", "empty"},
      {"FROM", "query: line 1, column 5"},
      {"SELECT mean(x) FROM m", "selects series only"},
      {"FROM m GROUP BY time(1m)", "GROUP BY time"},
      {"FROM m WHERE time > now() - 1h", "time conditions"},
      {"FROM m WHERE speed > 3", "tag speed"},
      {"FROM m LIMIT 3", "LIMIT"},
      {"FROM _alerts", "reserved"},
      {"SHOW MEASUREMENTS", "expected FROM"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ParseRuleQuery(c.text),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.says)))
        << c.text;
  }
}

TEST(RuleTest, CompilesWithDefaults) {
  ASSERT_OK_AND_ASSIGN(Rule r, CompileRule(Spec("FROM m GROUP BY device", "mean(t) > 8")));
  EXPECT_EQ(r.every_ns, 30 * kS);
  EXPECT_EQ(r.window_ns, 300 * kS);
  EXPECT_EQ(r.bucket_ns, 30 * kS);
  EXPECT_TRUE(r.incremental());
  RuleSpec s = Spec("FROM m GROUP BY device", "mean(t) over 50s > 8");
  s.every_ns = 20 * kS;
  ASSERT_OK_AND_ASSIGN(Rule g, CompileRule(s));
  EXPECT_EQ(g.bucket_ns, 10 * kS);
  ASSERT_OK_AND_ASSIGN(Rule a,
                       CompileRule(Spec("FROM m GROUP BY device", "anomaly_score(v) > 0.9")));
  EXPECT_FALSE(a.incremental());
  EXPECT_EQ(a.window_ns, 30 * kS);
}

TEST(RuleTest, RejectsBadSpecsNamingTheFlag) {
  auto bad = [](RuleSpec s, const char* says) {
    EXPECT_THAT(CompileRule(std::move(s)),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(says)))
        << says;
  };
  RuleSpec s = Spec("FROM m GROUP BY d", "mean(t) > 1");
  s.name = "9lives";
  bad(s, "must start with a letter");
  s.name = "a b";
  bad(s, "may hold only");
  s.name = "";
  bad(s, "1 to 128 bytes");
  s = Spec("FROM m GROUP BY d", "mean(t) > 1");
  s.every_ns = 1000;
  bad(s, "every: must be at least 100ms");
  s = Spec("FROM m GROUP BY d", "mean(t) > 1");
  s.for_ns = -1;
  bad(s, "for: must not be negative");
  s = Spec("FROM m GROUP BY d", "mean(t) > 1");
  s.repeat_ns = 5;
  bad(s, "repeat");
  s = Spec("FROM m GROUP BY d", "mean(t) over 1h > 1");
  s.every_ns = 1'000'000'001;
  bad(s, "buckets");
  s = Spec("FROM m GROUP BY d", "mean(t) > 1");
  s.labels = {{"sev", "1"}, {"sev", "2"}};
  bad(s, "given twice");
  s = Spec("FROM m GROUP BY d", "mean(t) > 1");
  s.labels = {{"bad label", "1"}};
  bad(s, "label name");
  s = Spec("FROM m GROUP BY d", "mean(t) > 1");
  s.expect = {"d=x"};
  bad(s, "only absence rules");
  s = Spec("FROM m GROUP BY d", "absent(*) over 1m");
  s.expect = {"e=x"};
  bad(s, "exactly the GROUP BY tags");
  s.expect = {"nonsense"};
  bad(s, "not k=v");
  s = Spec("FROM m GROUP BY d", "mean(t) > 1");
  s.clear = "< x";
  bad(s, "clear:");
  s = Spec("FROM m GROUP BY d", "mean(t) > 1");
  s.notify = {"has space"};
  bad(s, "notify target");
}

TEST(RuleTest, SpecJsonRoundTrips) {
  RuleSpec s = Spec("FROM m GROUP BY d", "absent(*) over 1m");
  s.for_ns = 5;
  s.labels = {{"sev", "page"}};
  s.notify = {"ops"};
  s.expect = {"d=x"};
  s.id = "abc";
  s.created_ns = 7;
  s.created_by = "tok";
  s.paused = true;
  ASSERT_OK_AND_ASSIGN(RuleSpec back, RuleSpecFromJson(RuleSpecToJson(s)));
  EXPECT_EQ(RuleSpecToJson(back), RuleSpecToJson(s));
  EXPECT_THAT(RuleSpecFromJson("{nope"), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace telemdb::alert
