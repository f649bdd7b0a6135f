#include "query/http/influx_json.h"

#include "gtest/gtest.h"
#include "query/http/influx_query.h"

namespace telemdb::query {
namespace {

Column Floats(std::vector<double> v) {
  Column c;
  c.type = storage::ValueType::kFloat;
  for (double x : v) c.AppendFloat(x);
  return c;
}

std::string Render(ResponseOptions o, const std::function<void(InfluxResponse&)>& body) {
  std::string out;
  InfluxResponse r(o, [&](std::string_view s) {
    out.append(s);
    return true;
  });
  body(r);
  r.Finish();
  return out;
}

TEST(InfluxJsonTest, JsonShapeWithTagsNullsAndErrors) {
  std::vector<Column> cols = {Floats({1.5, 2})};
  cols[0].valid[1] = 0;
  std::string out = Render({}, [&](InfluxResponse& r) {
    r.BeginStatement(0);
    r.BeginSeries({"cpu", {{"host", "a"}}, {"time", "mean"}});
    r.Row(1767225600000000000, cols, 0);
    r.Row(1767225600500000000, cols, 1);
    r.EndStatement();
    r.BeginStatement(1);
    r.EndStatement("field not found");
    r.BeginStatement(2);
    r.EndStatement();
  });
  EXPECT_EQ(out,
            "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"tags\":{\"host\":"
            "\"a\"},\"columns\":[\"time\",\"mean\"],\"values\":[[\"2026-01-01T00:00:00Z\",1.5],"
            "[\"2026-01-01T00:00:00.5Z\",null]]}]},{\"statement_id\":1,\"error\":\"field not "
            "found\"},{\"statement_id\":2}]}\n");
}

TEST(InfluxJsonTest, EpochAndChunkedDocuments) {
  ResponseOptions o;
  o.format = Format::kJsonChunked;
  o.chunk_size = 2;
  o.epoch_unit_ns = 1'000'000;
  std::vector<Column> cols = {Floats({1, 2, 3})};
  std::string out = Render(o, [&](InfluxResponse& r) {
    r.BeginStatement(0);
    r.BeginSeries({"m", {}, {"time", "v"}});
    for (size_t i = 0; i < 3; i++) r.Row(static_cast<int64_t>(i) * 1'000'000, cols, i);
    r.EndStatement();
  });
  EXPECT_EQ(out,
            "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"m\",\"columns\":[\"time\","
            "\"v\"],\"values\":[[0,1],[1,2]],\"partial\":true}],\"partial\":true}]}\n"
            "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"m\",\"columns\":[\"time\","
            "\"v\"],\"values\":[[2,3]]}]}]}\n");
}

TEST(InfluxJsonTest, CsvAndEscaping) {
  ResponseOptions o;
  o.format = Format::kCsv;
  std::vector<Column> cols = {Floats({0.25})};
  std::string out = Render(o, [&](InfluxResponse& r) {
    r.BeginStatement(0);
    r.BeginSeries({"cpu", {{"host", "a,b"}}, {"time", "v"}});
    r.Row(5, cols, 0);
    r.EndStatement();
  });
  EXPECT_EQ(out, "name,tags,time,v\ncpu,\"host=a,b\",5,0.25\n");
  std::string s;
  AppendJsonString("q\"\\\n\x01\xff", &s);
  EXPECT_EQ(s, "\"q\\\"\\\\\\n\\u0001\xef\xbf\xbd\"");
}

TEST(SplitStatementsTest, SemicolonsOutsideStringsOnly) {
  auto parts = SplitStatements("SHOW DATABASES; SELECT v FROM m WHERE s = 'a;b' ;; ");
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[1], "SELECT v FROM m WHERE s = 'a;b'");
  EXPECT_FALSE(SplitStatements("SELECT 'unterminated").ok());
}

}  // namespace
}  // namespace telemdb::query
