// Statistics (pre-aggregates used, decoding avoided, narrow ranges touch few chunks, the
// last-value cache), limits with clear errors, deadline and cancellation, and streaming.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "query/engine/engine_test_util.h"

namespace telemdb::query::testing {
namespace {

using storage::Value;
using ::telemdb::testing::StatusIs;
using ::testing::HasSubstr;

class StatsTest : public EngineTest {
 protected:
  // `devices` series of 3600 points per hour (1 s apart), compacted into full chunks.
  void Load(int devices, bool compact = true, int hours = 1) {
    for (int d = 0; d < devices; d++) {
      std::vector<Row> rows;
      for (int k = 0; k < 3600 * hours; k++) {
        rows.push_back({kT0 + k * kSec, {{"v", Value::Float((k * 7 + d) % 100 / 4.0)}}});
      }
      Write("m", {{"dev", absl::StrCat("d", d)}, {"fleet", d % 2 ? "east" : "west"}}, rows);
    }
    if (compact) {
      ASSERT_OK(db_->Compact());
    } else {
      ASSERT_OK(db_->Flush());
    }
  }
  std::string Range(int64_t from_s, int64_t to_s) {
    return absl::StrCat(" WHERE time >= ", kT0 + from_s * kSec, " AND time < ", kT0 + to_s * kSec);
  }
};

TEST_F(StatsTest, WholeChunkBucketsUsePreAggregatesAndDecodeNothing) {
  Load(2);
  const std::string q =
      "SELECT count(v), sum(v), mean(v), min(v), max(v), first(v), last(v), spread(v) FROM m" +
      Range(0, 3600) + " GROUP BY time(1h), dev";
  QueryStats fast, slow;
  CollectingSink a = Run(q, &fast);
  ExecOptions no_pre;
  no_pre.use_preaggregates = false;
  CollectingSink b = Run(q, &slow, no_pre);
  EXPECT_EQ(fast.series_matched, 2u);
  EXPECT_GT(fast.chunks_read, 2u);
  EXPECT_EQ(fast.chunks_preaggregated, fast.chunks_read);
  EXPECT_EQ(fast.points_decoded, 0u);
  EXPECT_EQ(fast.chunks_decoded, 0u);
  EXPECT_EQ(slow.points_decoded, 7200u);
  EXPECT_EQ(slow.points_scanned, 7200u);
  ASSERT_EQ(a.Groups().size(), 2u);
  for (size_t g = 0; g < 2; g++) {
    for (size_t c = 0; c < 8; c++) {
      EXPECT_NEAR(a.Groups()[g].columns[c].Get(0).f + a.Groups()[g].columns[c].Get(0).i,
                  b.Groups()[g].columns[c].Get(0).f + b.Groups()[g].columns[c].Get(0).i, 1e-9);
    }
  }
  // Functions without pre-aggregates, and field conditions, decode.
  QueryStats st;
  Run("SELECT stddev(v) FROM m" + Range(0, 3600) + " GROUP BY time(1h)", &st);
  EXPECT_EQ(st.chunks_preaggregated, 0u);
  EXPECT_EQ(st.points_decoded, 7200u);
  Run("SELECT mean(v) FROM m" + Range(0, 3600) + " AND v > 3 GROUP BY time(1h)", &st);
  EXPECT_EQ(st.chunks_preaggregated, 0u);
  EXPECT_EQ(st.points_decoded, 7200u);
}

TEST_F(StatsTest, BucketsSmallerThanChunksDecodeAndRangesCuttingChunksDecodeTheEdges) {
  Load(1);
  QueryStats st;
  auto s = Run("SELECT mean(v) FROM m" + Range(0, 3600) + " GROUP BY time(10s)", &st);
  EXPECT_EQ(s.Groups()[0].rows(), 360u);
  EXPECT_EQ(st.chunks_preaggregated, 0u);
  // A range cutting chunks in half: inner chunks from headers, the two edge chunks decoded.
  QueryStats cut;
  auto c = Run("SELECT count(v) FROM m" + Range(100, 3500), &cut);
  EXPECT_EQ(c.Groups()[0].columns[0].ints[0], 3400);
  EXPECT_GT(cut.chunks_preaggregated, 0u);
  EXPECT_EQ(cut.chunks_decoded, 2u);
  EXPECT_LT(cut.points_decoded, 2u * 64);
}

TEST_F(StatsTest, NarrowRangeTouchesFewChunks) {
  Load(1, /*compact=*/true, /*hours=*/6);
  QueryStats all, narrow;
  Run("SELECT v FROM m", &all);
  Run("SELECT v FROM m" + Range(2 * 3600 + 1800, 2 * 3600 + 1810), &narrow);
  EXPECT_GT(all.chunks_read, 300u);
  // Storage reads the chunk headers of the range's partition (1 h here) up to the range, and
  // decodes only the chunk(s) holding it.
  EXPECT_LT(narrow.chunks_read, all.chunks_read / 6 + 2);
  EXPECT_LE(narrow.chunks_decoded, 2u);
  EXPECT_LE(narrow.points_decoded, 2u * 64);
  EXPECT_EQ(narrow.rows, 10u);
}

TEST_F(StatsTest, LastValueCacheAnswersLatestReadings) {
  Load(4);
  QueryStats st;
  auto s = Run("SELECT last(v) FROM m GROUP BY dev", &st);
  ASSERT_EQ(s.Groups().size(), 4u);
  EXPECT_EQ(s.Groups()[0].time[0], kT0 + 3599 * kSec);
  EXPECT_EQ(st.last_cache_hits, 4u);
  EXPECT_EQ(st.chunks_read, 0u);
  EXPECT_EQ(st.points_scanned, 0u);
}

TEST_F(StatsTest, HeadPointsAreCounted) {
  Write("m", {{"dev", "a"}},
        {{kT0, {{"v", Value::Float(1)}}}, {kT0 + kSec, {{"v", Value::Float(2)}}}});
  QueryStats st;
  Run("SELECT sum(v) FROM m", &st);
  EXPECT_EQ(st.head_points, 2u);
  EXPECT_EQ(st.chunks_read, 0u);
}

TEST_F(StatsTest, LimitsFailWithTheirNames) {
  Load(4, /*compact=*/false);
  ExecOptions o;
  o.max_series = 3;
  EXPECT_THAT(RunStatus("SELECT mean(v) FROM m", o),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_series")));
  o = ExecOptions();
  o.max_points_scanned = 1000;
  o.use_preaggregates = false;
  EXPECT_THAT(RunStatus("SELECT mean(v) FROM m", o),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_points_scanned")));
  o = ExecOptions();
  o.max_result_rows = 100;
  EXPECT_THAT(RunStatus("SELECT v FROM m", o),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_result_rows")));
  EXPECT_OK(RunStatus("SELECT v FROM m LIMIT 25", o));
  o = ExecOptions();
  o.max_buckets = 100;
  EXPECT_THAT(RunStatus("SELECT mean(v) FROM m GROUP BY time(1s)", o),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_buckets")));
  EXPECT_THAT(
      RunStatus("SELECT mean(v) FROM m" + Range(0, 86400) + " GROUP BY time(1m) FILL(null)", o),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_buckets")));
  o = ExecOptions();
  o.max_buffered_values = 100;
  EXPECT_THAT(RunStatus("SELECT median(v) FROM m", o),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_buffered_values")));
}

TEST_F(StatsTest, DeadlineAndCancellation) {
  Load(2, /*compact=*/false);
  Context past(absl::Now() - absl::Seconds(1));
  EXPECT_THAT(RunStatus("SELECT mean(v) FROM m", ExecOptions(), nullptr, &past),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  Context cancelled;
  cancelled.Cancel();
  EXPECT_THAT(RunStatus("SELECT v FROM m", ExecOptions(), nullptr, &cancelled),
              StatusIs(absl::StatusCode::kCancelled));

  // Cancelled while streaming: the sink cancels after the first frame.
  class CancelSink : public ResultSink {
   public:
    explicit CancelSink(Context* ctx) : ctx_(ctx) {}
    absl::Status Start(const ResultSchema&) override { return absl::OkStatus(); }
    absl::Status Write(ResultFrame&&) override {
      frames++;
      ctx_->Cancel();
      return absl::OkStatus();
    }
    Context* ctx_;
    int frames = 0;
  };
  Context ctx;
  CancelSink sink(&ctx);
  ExecOptions small;
  small.max_frame_rows = 100;
  QueryStats st;
  EXPECT_THAT(ExecuteText("SELECT v FROM m", *querier_, small, ctx, sink, &st),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_LT(sink.frames, 5);

  // A sink error stops the query and is returned as is.
  class FailingSink : public ResultSink {
   public:
    absl::Status Start(const ResultSchema&) override { return absl::OkStatus(); }
    absl::Status Write(ResultFrame&&) override { return absl::UnavailableError("client gone"); }
  };
  FailingSink failing;
  Context ctx2;
  EXPECT_THAT(ExecuteText("SELECT v FROM m", *querier_, small, ctx2, failing, nullptr),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("client gone")));
}

TEST_F(StatsTest, RawResultsStreamInBoundedFramesGroupByGroup) {
  Load(3, /*compact=*/false);
  QueryStats st;
  auto s = Run("SELECT v FROM m GROUP BY fleet", &st);
  // Groups: east (d1), west (d0, d2): 3600 and 7200 rows, in frames of at most 10,000.
  ASSERT_EQ(s.Groups().size(), 2u);
  EXPECT_EQ(s.Groups()[0].rows(), 3600u);
  EXPECT_EQ(s.Groups()[1].rows(), 7200u);
  ExecOptions o;
  o.max_frame_rows = 1000;
  auto framed = Run("SELECT v FROM m GROUP BY fleet ORDER BY time DESC", &st, o);
  EXPECT_EQ(framed.frames().size(), 4u + 8u);
  for (size_t f = 0; f < framed.frames().size(); f++) {
    const ResultFrame& fr = framed.frames()[f];
    EXPECT_LE(fr.rows(), 1000u);
    EXPECT_EQ(fr.group_end, f == 3 || f == 11) << f;
    EXPECT_EQ(fr.group, f < 4 ? 0u : 1u);
  }
  const auto g = framed.Groups();
  for (size_t r = 1; r < g[1].rows(); r++) ASSERT_GE(g[1].time[r - 1], g[1].time[r]);
  EXPECT_EQ(st.frames, 12u);
  EXPECT_EQ(st.groups, 2u);
  EXPECT_EQ(st.rows, 10800u);
  // DESC with LIMIT reads only the last window(s), not the whole range.
  QueryStats lim;
  auto last = Run("SELECT v FROM m WHERE dev = 'd0' ORDER BY time DESC LIMIT 5", &lim);
  EXPECT_EQ(last.Groups()[0].time[0], kT0 + 3599 * kSec);
  EXPECT_LT(lim.points_scanned, 1000u);
}

TEST_F(StatsTest, SlimitAndLimit) {
  Load(4, /*compact=*/false);
  auto s = Run("SELECT mean(v) FROM m GROUP BY time(10m), dev ORDER BY time DESC LIMIT 2 SLIMIT 3");
  const auto g = s.Groups();
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[2].group_values, std::vector<std::string>{"d2"});
  EXPECT_EQ(g[0].time, (std::vector<int64_t>{kT0 + 50 * kMinute, kT0 + 40 * kMinute}));
}

}  // namespace
}  // namespace telemdb::query::testing
