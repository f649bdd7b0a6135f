#include "ingest/lineproto/columnar_batcher.h"

#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/fleet/fleet.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest/lineproto/parser.h"
#include "ingest/lineproto/test_util.h"
#include "util/status_matchers.h"

namespace telemdb::lineproto {
namespace {

using storage::FieldColumn;
using storage::SeriesBatch;
using storage::Value;
using storage::ValueType;
using ::telemdb::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// Parses `text` into `batcher`, returning the first Add() error.
absl::Status Feed(std::string_view text, ColumnarBatcher& batcher) {
  ParseOptions options;
  options.on_error = OnError::kStop;
  return ParseLines(text, options, [&](const Point& p) { return batcher.Add(p); }).status();
}

Value Cell(const FieldColumn& c, size_t row) {
  switch (c.type) {
    case ValueType::kFloat:
      return Value::Float(c.floats[row]);
    case ValueType::kInt:
      return Value::Int(c.ints[row]);
    case ValueType::kBool:
      return Value::Bool(c.bools[row] != 0);
    case ValueType::kString:
      return Value::String(c.strings[row]);
  }
  return Value();
}

TEST(ColumnarBatcherTest, GroupsBySeriesWithSharedTimestamps) {
  ColumnarBatcher b;
  ASSERT_OK(
      Feed("cpu,host=a u=1,n=2i 10\n"
           "cpu,host=b u=5,n=6i 10\n"
           "cpu,host=a u=3,n=4i 20\n"
           "mem,host=a free=7i 10\n",
           b));
  EXPECT_EQ(b.points(), 4u);
  EXPECT_EQ(b.values(), 7u);
  EXPECT_EQ(b.series(), 3u);
  std::vector<SeriesBatch> out = b.Take();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].measurement, "cpu");
  EXPECT_THAT(out[0].tags, ElementsAre(Pair("host", "a")));
  EXPECT_THAT(out[0].timestamps, ElementsAre(10, 20));
  ASSERT_EQ(out[0].fields.size(), 2u);
  EXPECT_EQ(out[0].fields[0].name, "u");
  EXPECT_EQ(out[0].fields[0].type, ValueType::kFloat);
  EXPECT_THAT(out[0].fields[0].floats, ElementsAre(1, 3));
  EXPECT_TRUE(out[0].fields[0].valid.empty());
  EXPECT_EQ(out[0].fields[1].type, ValueType::kInt);
  EXPECT_THAT(out[0].fields[1].ints, ElementsAre(2, 4));
  EXPECT_THAT(out[1].tags, ElementsAre(Pair("host", "b")));
  EXPECT_EQ(out[2].measurement, "mem");
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.values(), 0u);
}

TEST(ColumnarBatcherTest, TagOrderDoesNotSplitASeries) {
  ColumnarBatcher b;
  ASSERT_OK(Feed("m,a=1,b=2 f=1 1\nm,b=2,a=1 f=2 2\nm,b\\ =2,a=1 f=3 3\n", b));
  std::vector<SeriesBatch> out = b.Take();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_THAT(out[0].timestamps, ElementsAre(1, 2));
  EXPECT_THAT(out[1].tags, ElementsAre(Pair("a", "1"), Pair("b ", "2")));
}

TEST(ColumnarBatcherTest, MissingAndLateFieldsGetValidity) {
  ColumnarBatcher b;
  ASSERT_OK(Feed("m x=1,y=\"a\" 1\nm x=2 2\nm y=\"c\",x=3,z=t 3\nm x=4,y=\"d\",z=f 4\n", b));
  std::vector<SeriesBatch> out = b.Take();
  ASSERT_EQ(out.size(), 1u);
  const SeriesBatch& s = out[0];
  ASSERT_EQ(s.fields.size(), 3u);
  EXPECT_THAT(s.fields[0].floats, ElementsAre(1, 2, 3, 4));
  EXPECT_TRUE(s.fields[0].valid.empty());
  EXPECT_EQ(s.fields[1].name, "y");
  EXPECT_THAT(s.fields[1].valid, ElementsAre(1, 0, 1, 1));
  EXPECT_EQ(s.fields[1].strings.size(), 4u);
  EXPECT_EQ(s.fields[1].strings[2], "c");
  EXPECT_EQ(s.fields[2].name, "z");
  EXPECT_THAT(s.fields[2].valid, ElementsAre(0, 0, 1, 1));
  EXPECT_THAT(s.fields[2].bools, ElementsAre(0, 0, 1, 0));
  for (const FieldColumn& c : s.fields) EXPECT_EQ(c.size(), s.timestamps.size());
}

TEST(ColumnarBatcherTest, TypeChangeIsRejectedWithoutTrace) {
  ColumnarBatcher b;
  ASSERT_OK(Feed("m,t=1 a=1,temp=1.5 1\n", b));
  EXPECT_THAT(Feed("m,t=1 a=2,temp=2i 2\n", b),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "line 1: field \"temp\" of series \"m,t=1\" is integer here but float "
                       "earlier in this batch"));
  EXPECT_EQ(b.points(), 1u);
  EXPECT_EQ(b.values(), 2u);
  ASSERT_OK(Feed("m,t=1 temp=3,a=4 3\n", b));  // the group is intact and usable
  std::vector<SeriesBatch> out = b.Take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_THAT(out[0].timestamps, ElementsAre(1, 3));
  EXPECT_THAT(out[0].fields[0].floats, ElementsAre(1, 4));
  EXPECT_THAT(out[0].fields[1].floats, ElementsAre(1.5, 3));
  // A new batch forgets the old types.
  ASSERT_OK(Feed("m,t=1 temp=2i 4\n", b));
}

TEST(ColumnarBatcherTest, DuplicateKeysInAHandMadePointAreRejected) {
  ColumnarBatcher b;
  ASSERT_OK(Feed("m f=1 1\n", b));
  Field fields[2] = {{"f", FieldValue{}}, {"f", FieldValue{}}};
  Point p;
  p.measurement = "m";
  p.series_key = "m";
  p.fields = fields;
  EXPECT_THAT(b.Add(p), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
  Field fresh[2] = {{"g", FieldValue{}}, {"g", FieldValue{}}};
  p.fields = fresh;
  EXPECT_THAT(b.Add(p), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
  p.measurement = "n";  // a new group: rejected without leaving an empty group
  p.series_key = "n";
  EXPECT_THAT(b.Add(p), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
  EXPECT_EQ(b.points(), 1u);
  EXPECT_EQ(b.series(), 1u);
  std::vector<SeriesBatch> out = b.Take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].fields.size(), 1u);
}

TEST(ColumnarBatcherTest, FullAtMaxValues) {
  ColumnarBatcher b(BatcherOptions{.max_values = 5});
  ASSERT_OK(Feed("m a=1,b=2 1\nm a=1,b=2 2\n", b));
  EXPECT_FALSE(b.full());
  ASSERT_OK(Feed("m a=1,b=2 3\n", b));
  EXPECT_TRUE(b.full());
  EXPECT_EQ(b.Take()[0].timestamps.size(), 3u);
  EXPECT_FALSE(b.full());
}

TEST(ColumnarBatcherTest, RecycledBatchesComeBackClean) {
  ColumnarBatcher b;
  ASSERT_OK(Feed("m,t=1 a=1,s=\"x\" 1\nm,t=1 a=2 2\nn,u=2 z=t 3\n", b));
  b.Recycle(b.Take());
  ASSERT_OK(Feed("q,v=3 k=5i 4\nm,t=1 s=\"y\" 5\n", b));
  std::vector<SeriesBatch> out = b.Take();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].measurement, "q");
  EXPECT_THAT(out[0].tags, ElementsAre(Pair("v", "3")));
  EXPECT_THAT(out[0].timestamps, ElementsAre(4));
  ASSERT_EQ(out[0].fields.size(), 1u);
  EXPECT_EQ(out[0].fields[0].type, ValueType::kInt);
  EXPECT_THAT(out[0].fields[0].ints, ElementsAre(5));
  EXPECT_TRUE(out[0].fields[0].floats.empty());
  EXPECT_TRUE(out[0].fields[0].valid.empty());
  EXPECT_THAT(out[1].tags, ElementsAre(Pair("t", "1")));
  ASSERT_EQ(out[1].fields.size(), 1u);
  EXPECT_EQ(out[1].fields[0].name, "s");
  EXPECT_THAT(out[1].fields[0].strings, ElementsAre("y"));
}

TEST(ColumnarBatcherTest, ManyColumnsUseTheNameIndex) {
  std::string a = "m ", c = "m ";
  for (int i = 0; i < 40; ++i) a += absl::StrCat(i ? "," : "", "f", i, "=", i, "i");
  for (int i = 39; i >= 0; i -= 2) c += absl::StrCat(i < 39 ? "," : "", "f", i, "=", -i, "i");
  ColumnarBatcher b;
  ASSERT_OK(Feed(a + " 1\n" + c + " 2\n" + a + " 3\n", b));
  std::vector<SeriesBatch> out = b.Take();
  ASSERT_EQ(out[0].fields.size(), 40u);
  EXPECT_THAT(out[0].fields[39].ints, ElementsAre(39, -39, 39));
  EXPECT_THAT(out[0].fields[38].valid, ElementsAre(1, 0, 1));
}

// --- round trips: every value lands in the right series, column and row ---------------------

using Row = std::pair<int64_t, std::map<std::string, Value>>;
using SeriesRows = std::map<std::string, std::vector<Row>>;

std::string KeyOf(const std::string& m, const std::vector<std::pair<std::string, std::string>>& t) {
  std::string k = m;
  for (const auto& [a, v] : t) absl::StrAppend(&k, "|", a, "=", v);
  return k;
}

// Parses + batches `text` with `max_values` and returns the rows per series.
SeriesRows ThroughBatcher(const std::string& text, size_t max_values, int64_t* batches,
                          bool recycle = false) {
  SeriesRows got;
  ColumnarBatcher batcher(BatcherOptions{.max_values = max_values});
  auto drain = [&] {
    ++*batches;
    std::vector<SeriesBatch> taken = batcher.Take();
    for (const SeriesBatch& s : taken) {
      std::vector<Row>& rows = got[KeyOf(s.measurement, s.tags)];
      for (size_t r = 0; r < s.timestamps.size(); ++r) {
        Row row{s.timestamps[r], {}};
        for (const FieldColumn& c : s.fields) {
          EXPECT_EQ(c.size(), s.timestamps.size()) << c.name;
          if (c.IsValid(r)) row.second[c.name] = Cell(c, r);
        }
        rows.push_back(std::move(row));
      }
    }
    if (recycle) batcher.Recycle(std::move(taken));
  };
  absl::Status s = ParseLines(text, ParseOptions{}, [&](const Point& p) -> absl::Status {
                     RETURN_IF_ERROR(batcher.Add(p));
                     if (batcher.full()) drain();
                     return absl::OkStatus();
                   }).status();
  EXPECT_OK(s);
  if (!batcher.empty()) drain();
  return got;
}

SeriesRows Expected(const std::string& text) {
  SeriesRows want;
  absl::StatusOr<std::vector<testing::OwnedPoint>> points = testing::ParseAll(text);
  EXPECT_OK(points.status());
  for (const testing::OwnedPoint& p : *points) {
    Row row{p.timestamp_ns, {}};
    for (const auto& [k, v] : p.fields) row.second[k] = v;
    want[KeyOf(p.measurement, p.tags)].push_back(std::move(row));
  }
  return want;
}

TEST(ColumnarBatcherTest, FleetDayRoundTrip) {
  fleet::FleetOptions options;
  options.trucks = 40;
  options.hours = 3;
  std::string text;
  ASSERT_OK(fleet::GenerateFleet(options, [&](std::string_view line) {
    text.append(line).push_back('\n');
    return absl::OkStatus();
  }));
  SeriesRows want = Expected(text);
  for (bool recycle : {false, true}) {
    int64_t batches = 0;
    SeriesRows got = ThroughBatcher(text, 10000, &batches, recycle);
    EXPECT_EQ(got.size(), 80u);
    EXPECT_GT(batches, 20);
    EXPECT_TRUE(got == want);
  }
}

TEST(ColumnarBatcherTest, RandomSparseMixedTypesRoundTrip) {
  std::mt19937_64 rng(11);
  const char* kinds[] = {"1.25", "-7i", "t", "\"s,x\"", "3u"};
  std::string text;
  for (int i = 0; i < 20000; ++i) {
    absl::StrAppend(&text, "m", rng() % 3, ",dev=d", rng() % 17, " ");
    bool any = false;
    for (int f = 0; f < 5; ++f) {
      if (rng() % 3 == 0 && !(f == 4 && !any)) continue;
      absl::StrAppend(&text, any ? "," : "", "f", f, "=", kinds[f]);
      any = true;
    }
    absl::StrAppend(&text, " ", i, "\n");
  }
  for (size_t max_values : {1, 7, 1000, 1000000}) {
    for (bool recycle : {false, true}) {
      int64_t batches = 0;
      EXPECT_TRUE(ThroughBatcher(text, max_values, &batches, recycle) == Expected(text))
          << max_values << " " << recycle;
    }
  }
}

}  // namespace
}  // namespace telemdb::lineproto
