#include "ingest/lineproto/parser.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest/lineproto/test_util.h"
#include "util/status_matchers.h"

namespace telemdb::lineproto {
namespace {

using storage::Value;
using ::telemdb::lineproto::testing::OwnedPoint;
using ::telemdb::lineproto::testing::ParseAll;
using ::telemdb::lineproto::testing::ParseOne;
using ::testing::ElementsAre;
using ::testing::Pair;

TEST(ParserTest, FullLine) {
  ASSERT_OK_AND_ASSIGN(OwnedPoint p,
                       ParseOne("cpu,host=a,region=eu usage=0.5,cores=8i,ok=t,name=\"x\" 123"));
  EXPECT_EQ(p.measurement, "cpu");
  EXPECT_THAT(p.tags, ElementsAre(Pair("host", "a"), Pair("region", "eu")));
  EXPECT_THAT(p.fields,
              ElementsAre(Pair("usage", Value::Float(0.5)), Pair("cores", Value::Int(8)),
                          Pair("ok", Value::Bool(true)), Pair("name", Value::String("x"))));
  EXPECT_EQ(p.timestamp_ns, 123);
  EXPECT_TRUE(p.has_timestamp);
  EXPECT_EQ(p.line_number, 1);
  EXPECT_EQ(p.series_key, "cpu,host=a,region=eu");
}

TEST(ParserTest, NoTags) {
  ASSERT_OK_AND_ASSIGN(OwnedPoint p, ParseOne("m f=1 5"));
  EXPECT_EQ(p.measurement, "m");
  EXPECT_TRUE(p.tags.empty());
  EXPECT_EQ(p.series_key, "m");
}

TEST(ParserTest, TagsAreSortedAndSeriesKeyIsCanonical) {
  ASSERT_OK_AND_ASSIGN(OwnedPoint a, ParseOne("m,zone=1,app=x,host=h f=1 1"));
  EXPECT_THAT(a.tags, ElementsAre(Pair("app", "x"), Pair("host", "h"), Pair("zone", "1")));
  EXPECT_EQ(a.series_key, "m,app=x,host=h,zone=1");
  ASSERT_OK_AND_ASSIGN(OwnedPoint b, ParseOne("m,app=x,host=h,zone=1 f=1 1"));
  EXPECT_EQ(a.series_key, b.series_key);
}

TEST(ParserTest, MeasurementEscapes) {
  ASSERT_OK_AND_ASSIGN(OwnedPoint p, ParseOne(R"(my\ cpu\,x f=1 1)"));
  EXPECT_EQ(p.measurement, "my cpu,x");
  EXPECT_EQ(p.series_key, R"(my\ cpu\,x)");
  // '=' needs no escape in a measurement, and "\=" stays literal there.
  ASSERT_OK_AND_ASSIGN(OwnedPoint q, ParseOne(R"(a=b\=c f=1 1)"));
  EXPECT_EQ(q.measurement, R"(a=b\=c)");
  EXPECT_EQ(q.series_key, R"(a\=b\\\=c)");
}

TEST(ParserTest, TagKeyAndValueEscapes) {
  ASSERT_OK_AND_ASSIGN(OwnedPoint p, ParseOne(R"(m,k\ 1\,\==v\ 1\,\= f=1 1)"));
  EXPECT_THAT(p.tags, ElementsAre(Pair("k 1,=", "v 1,=")));
  EXPECT_EQ(p.series_key, R"(m,k\ 1\,\==v\ 1\,\=)");
}

TEST(ParserTest, FieldKeyEscapes) {
  ASSERT_OK_AND_ASSIGN(OwnedPoint p, ParseOne(R"(m f\ 1\,\==1,g=2 1)"));
  EXPECT_THAT(p.fields, ElementsAre(Pair("f 1,=", Value::Float(1)), Pair("g", Value::Float(2))));
}

TEST(ParserTest, BackslashRules) {
  // "\\" is one backslash everywhere; a backslash before anything else is literal.
  ASSERT_OK_AND_ASSIGN(OwnedPoint p, ParseOne(R"(m\\x\y,t\a=v\\ f\b="s\\\"\n" 1)"));
  EXPECT_EQ(p.measurement, R"(m\x\y)");
  EXPECT_THAT(p.tags, ElementsAre(Pair(R"(t\a)", R"(v\)")));
  EXPECT_THAT(p.fields, ElementsAre(Pair(R"(f\b)", Value::String(R"(s\"\n)"))));
  EXPECT_EQ(p.series_key, R"(m\\x\\y,t\\a=v\\)");
}

TEST(ParserTest, StringFieldEscapesAndSpecials) {
  ASSERT_OK_AND_ASSIGN(OwnedPoint p,
                       ParseOne(R"(m s="a \"quoted\" , = value",e="",u="grüße ✓" 1)"));
  EXPECT_EQ(p.field("s"), Value::String(R"(a "quoted" , = value)"));
  EXPECT_EQ(p.field("e"), Value::String(""));
  EXPECT_EQ(p.field("u"), Value::String("grüße ✓"));
}

TEST(ParserTest, Utf8Names) {
  ASSERT_OK_AND_ASSIGN(OwnedPoint p, ParseOne("température,lieu=café débit=1 1"));
  EXPECT_EQ(p.measurement, "température");
  EXPECT_THAT(p.tags, ElementsAre(Pair("lieu", "café")));
}

TEST(ParserTest, Floats) {
  ASSERT_OK_AND_ASSIGN(
      OwnedPoint p,
      ParseOne("m a=1,b=-1.5,c=1e3,d=1.5E-3,e=-0,f=.5,g=5.,h=1e+2,i=1.7976931348623157e308,"
               "j=1e-400 1"));
  EXPECT_EQ(p.field("a"), Value::Float(1));
  EXPECT_EQ(p.field("b"), Value::Float(-1.5));
  EXPECT_EQ(p.field("c"), Value::Float(1000));
  EXPECT_EQ(p.field("d"), Value::Float(0.0015));
  EXPECT_EQ(p.field("e"), Value::Float(-0.0));
  EXPECT_TRUE(std::signbit(p.field("e").f));
  EXPECT_EQ(p.field("f"), Value::Float(0.5));
  EXPECT_EQ(p.field("g"), Value::Float(5));
  EXPECT_EQ(p.field("h"), Value::Float(100));
  EXPECT_EQ(p.field("i"), Value::Float(std::numeric_limits<double>::max()));
  EXPECT_EQ(p.field("j"), Value::Float(0));  // underflow rounds to zero
}

TEST(ParserTest, Integers) {
  ASSERT_OK_AND_ASSIGN(
      OwnedPoint p,
      ParseOne("m a=0i,b=-7i,c=9223372036854775807i,d=-9223372036854775808i,e=007i 1"));
  EXPECT_EQ(p.field("a"), Value::Int(0));
  EXPECT_EQ(p.field("b"), Value::Int(-7));
  EXPECT_EQ(p.field("c"), Value::Int(std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(p.field("d"), Value::Int(std::numeric_limits<int64_t>::min()));
  EXPECT_EQ(p.field("e"), Value::Int(7));
}

TEST(ParserTest, UnsignedStoredAsInt) {
  ASSERT_OK_AND_ASSIGN(OwnedPoint p, ParseOne("m a=0u,b=9223372036854775807u 1"));
  EXPECT_EQ(p.field("a"), Value::Int(0));
  EXPECT_EQ(p.field("b"), Value::Int(std::numeric_limits<int64_t>::max()));
}

TEST(ParserTest, Booleans) {
  ASSERT_OK_AND_ASSIGN(
      OwnedPoint p, ParseOne("m a=t,b=T,c=true,d=True,e=TRUE,f=f,g=F,h=false,i=False,j=FALSE 1"));
  for (const char* k : {"a", "b", "c", "d", "e"}) EXPECT_EQ(p.field(k), Value::Bool(true)) << k;
  for (const char* k : {"f", "g", "h", "i", "j"}) EXPECT_EQ(p.field(k), Value::Bool(false)) << k;
}

TEST(ParserTest, NonFiniteOnlyWhenAllowed) {
  ParseOptions options;
  options.allow_non_finite = true;
  ASSERT_OK_AND_ASSIGN(OwnedPoint p, ParseOne("m a=NaN,b=inf,c=-Inf,d=Infinity,e=nan 1", options));
  EXPECT_TRUE(std::isnan(p.field("a").f));
  EXPECT_EQ(p.field("b").f, std::numeric_limits<double>::infinity());
  EXPECT_EQ(p.field("c").f, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(p.field("d").f, std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(p.field("e").f));
}

TEST(ParserTest, PrecisionScaling) {
  struct Case {
    Precision precision;
    int64_t want;
  };
  for (Case c : {Case{Precision::kNanoseconds, 1767225600},
                 Case{Precision::kMicroseconds, 1767225600LL * 1000},
                 Case{Precision::kMilliseconds, 1767225600LL * 1000000},
                 Case{Precision::kSeconds, 1767225600LL * 1000000000}}) {
    ParseOptions options;
    options.precision = c.precision;
    ASSERT_OK_AND_ASSIGN(OwnedPoint p, ParseOne("m f=1 1767225600", options));
    EXPECT_EQ(p.timestamp_ns, c.want) << PrecisionName(c.precision);
  }
  ParseOptions seconds;
  seconds.precision = Precision::kSeconds;
  ASSERT_OK_AND_ASSIGN(OwnedPoint neg, ParseOne("m f=1 -5", seconds));
  EXPECT_EQ(neg.timestamp_ns, -5'000'000'000);
  ASSERT_OK_AND_ASSIGN(OwnedPoint max, ParseOne("m f=1 9223372036", seconds));
  EXPECT_EQ(max.timestamp_ns, 9'223'372'036'000'000'000);
}

TEST(ParserTest, MissingTimestampMeansNow) {
  ParseOptions options;
  options.now_ns = 1'767'225'600'123'456'789;
  options.precision = Precision::kSeconds;  // "now" is already ns: not scaled
  ASSERT_OK_AND_ASSIGN(std::vector<OwnedPoint> points,
                       ParseAll("m f=1\nm f=2   \nm f=\"x\"\nm,t=1 f=3 \t", options));
  ASSERT_EQ(points.size(), 4u);
  for (const OwnedPoint& p : points) {
    EXPECT_EQ(p.timestamp_ns, options.now_ns);
    EXPECT_FALSE(p.has_timestamp);
  }
}

TEST(ParserTest, CommentsBlankLinesAndCrlf) {
  std::string text =
      "# header comment\r\n"
      "\r\n"
      "   \n"
      "m f=1 1\r\n"
      "  # indented comment\n"
      "\t m,t=x f=\"a\" 2\r\n"
      "m f=3i 3";  // no final newline
  ASSERT_OK_AND_ASSIGN(std::vector<OwnedPoint> points, ParseAll(text));
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].line_number, 4);
  EXPECT_EQ(points[0].timestamp_ns, 1);
  EXPECT_EQ(points[1].line_number, 6);
  EXPECT_EQ(points[1].field("f"), Value::String("a"));
  EXPECT_EQ(points[2].line_number, 7);
  EXPECT_EQ(points[2].field("f"), Value::Int(3));
}

TEST(ParserTest, SpacesBetweenSectionsAndTrailingBlanks) {
  ASSERT_OK_AND_ASSIGN(OwnedPoint p, ParseOne("m,t=1   f=1   7  "));
  EXPECT_EQ(p.field("f"), Value::Float(1));
  EXPECT_EQ(p.timestamp_ns, 7);
}

TEST(ParserTest, StatsAndLineNumbersAcrossCalls) {
  Parser parser(ParseOptions{});
  std::vector<int64_t> lines;
  auto collect = [&](const Point& p) {
    lines.push_back(p.line_number);
    return absl::OkStatus();
  };
  ASSERT_OK(parser.Parse("m f=1 1\n# c\nm f=1,g=2 2\n", collect));
  ASSERT_OK(parser.Parse("\nm f=1 3", collect));
  EXPECT_THAT(lines, ElementsAre(1, 3, 5));
  EXPECT_EQ(parser.stats().lines, 5);
  EXPECT_EQ(parser.stats().points, 3);
  EXPECT_EQ(parser.stats().field_values, 4);
  EXPECT_EQ(parser.stats().bad_lines, 0);
}

TEST(ParserTest, CallbackErrorStopsParsing) {
  int calls = 0;
  absl::StatusOr<ParseStats> s =
      ParseLines("m f=1\nm f=2\nm f=3", ParseOptions{}, [&](const Point&) {
        return ++calls == 2 ? absl::ResourceExhaustedError("full") : absl::OkStatus();
      });
  EXPECT_THAT(s, ::telemdb::testing::StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(calls, 2);
}

TEST(ParserTest, CompleteLines) {
  EXPECT_EQ(CompleteLines("a\nb\nc"), "a\nb\n");
  EXPECT_EQ(CompleteLines("abc"), "");
  EXPECT_EQ(CompleteLines("a\n"), "a\n");
  EXPECT_EQ(CompleteLines(""), "");
}

TEST(ParserTest, ManyFieldsAndTags) {
  std::string line = "m";
  for (int i = 99; i >= 0; --i) line += ",t" + std::to_string(i) + "=v";
  line += " ";
  for (int i = 0; i < 200; ++i)
    line += (i ? ",f" : "f") + std::to_string(i) + "=" + std::to_string(i) + "i";
  ASSERT_OK_AND_ASSIGN(OwnedPoint p, ParseOne(line));
  EXPECT_EQ(p.tags.size(), 100u);
  EXPECT_EQ(p.tags.front().first, "t0");
  EXPECT_EQ(p.fields.size(), 200u);
  EXPECT_EQ(p.field("f199"), Value::Int(199));
}

TEST(PrecisionTest, Names) {
  for (const char* name : {"ns", "us", "ms", "s", "m", "h"}) {
    ASSERT_OK_AND_ASSIGN(Precision p, ParsePrecision(name));
    EXPECT_STREQ(PrecisionName(p), name);
  }
  // InfluxDB 1.x's short spellings.
  EXPECT_EQ(*ParsePrecision("n"), Precision::kNanoseconds);
  EXPECT_EQ(*ParsePrecision("u"), Precision::kMicroseconds);
  EXPECT_EQ(*ScaleToNanos(2, Precision::kHours), 7'200'000'000'000);
  EXPECT_THAT(ParsePrecision("d"),
              ::telemdb::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                           ::testing::HasSubstr("ns (n), us")));
  EXPECT_FALSE(ScaleToNanos(9223372037, Precision::kSeconds).has_value());
  EXPECT_EQ(ScaleToNanos(-3, Precision::kMilliseconds), -3'000'000);
}

}  // namespace
}  // namespace telemdb::lineproto
