// Random data (out of order, duplicates, sealed chunks, merged chunks and heads mixed) and
// random queries: the engine must agree with the reference evaluator, with and without
// pre-aggregates, with tiny frames, and whatever the FILL, ORDER, LIMIT and SLIMIT.
#include <cstdio>
#include <cstdlib>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "query/engine/random_workload.h"
#include "query/engine/reference_eval.h"
#include "query/lang/parser.h"

namespace telemdb::query::testing {
namespace {

using storage::Value;

class RandomQueryTest : public EngineTest {
 protected:
  // Writes to the database and the model.
  class DbSink : public RandomDataSink {
   public:
    explicit DbSink(RandomQueryTest* t) : t_(t) {}
    void Write(const std::string& m, const storage::TagSet& tags,
               const std::vector<Row>& rows) override {
      t_->Write(m, tags, rows);
    }
    void SealDue() override { ASSERT_OK(t_->db_->SealDue()); }
    void Flush() override { ASSERT_OK(t_->db_->Flush()); }
    void MergeDue() override { ASSERT_OK(t_->db_->MergeDue()); }

   private:
    RandomQueryTest* t_;
  };
  void Load(uint64_t seed) {
    DbSink sink(this);
    LoadRandomData(seed, sink);
  }

  void Check(const std::string& q) {
    lang::ParseOptions popts;
    auto stmt = lang::Parse(q, popts);
    ASSERT_OK(stmt.status()) << q;
    const auto& select = std::get<lang::SelectStatement>(*stmt);
    RefResult want = ReferenceSelect(model_, select);
    RefOptions influx;
    influx.nearest_rank = influx.omit_empty_rows = influx.influxql_times = true;
    RefResult want_influx = ReferenceSelect(model_, select, influx);
    ExecOptions variants[4];
    variants[1].use_preaggregates = false;
    variants[1].use_last_cache = false;
    variants[2].max_frame_rows = 7;
    variants[3].percentile_nearest_rank = true;  // the InfluxQL switches, as HTTP sets them
    variants[3].omit_transform_warmup_rows = true;
    variants[3].influxql_times = true;
    for (const ExecOptions& o : variants) {
      QueryStats stats;
      CollectingSink got = Run(q, &stats, o);
      for (const ResultFrame& f : got.frames()) ASSERT_LE(f.rows(), o.max_frame_rows);
      const bool influxql = o.influxql_times;
      const std::string diff = Compare(got, influxql ? want_influx : want);
      ASSERT_EQ(diff, "") << q << (influxql ? " (InfluxQL switches)" : "") << "\n"
                          << got.DebugString();
      if (!o.use_preaggregates) {
        EXPECT_EQ(stats.chunks_preaggregated, 0u);
      }
      checked_++;
      nonempty_ += !want.groups.empty();
      preaggregated_ += stats.chunks_preaggregated;
    }
  }

  uint64_t checked_ = 0, nonempty_ = 0, preaggregated_ = 0;
};

TEST_F(RandomQueryTest, EngineAgreesWithReference) {
  const char* sweep = std::getenv("TELEMDB_QE_SEED");  // for long local sweeps
  const uint64_t seed = sweep ? std::strtoull(sweep, nullptr, 10) : 42;
  const int queries = sweep ? 3000 : 400;
  Load(seed);
  std::mt19937_64 rng(seed + 7);
  for (int k = 0; k < queries; k++) {
    ASSERT_NO_FATAL_FAILURE(Check(RandomQuery(rng)));
  }
  EXPECT_GT(preaggregated_, 0u);           // the pre-aggregate path was exercised
  EXPECT_GT(nonempty_, checked_ * 2 / 3);  // most queries return rows
  std::printf("checked %lu query runs, %lu non-empty, %lu chunks from pre-aggregates\n",
              static_cast<unsigned long>(checked_), static_cast<unsigned long>(nonempty_),
              static_cast<unsigned long>(preaggregated_));
}

TEST_F(RandomQueryTest, AgreesAfterCompaction) {
  Load(43);
  ASSERT_OK(db_->Compact());
  std::mt19937_64 rng(8);
  for (int k = 0; k < 200; k++) {
    ASSERT_NO_FATAL_FAILURE(Check(RandomQuery(rng)));
  }
}

TEST_F(RandomQueryTest, FixedQueriesOverRandomData) {
  Load(44);
  for (const char* q : {
           "SELECT mean(f), max(i), count(s) FROM m GROUP BY time(1m)",
           "SELECT last(f) FROM m GROUP BY dev",
           "SELECT last(f), last(i) FROM m",
           "SELECT first(s) FROM m GROUP BY region",
           "SELECT * FROM m WHERE dev = 'd3' ORDER BY time DESC LIMIT 50",
           "SELECT f, difference(i) FROM m GROUP BY dev ORDER BY time DESC",
           "SELECT rate(i), moving_average(f, 3) FROM m GROUP BY dev ORDER BY time DESC",
           "SELECT sum(i) FROM m WHERE f > 50 GROUP BY time(10m), dev FILL(linear)",
           "SELECT count(f) FROM m GROUP BY time(1h, 13s) FILL(null)",
           "SELECT spread(f) FROM m WHERE (dev = 'd1' OR f > 90) GROUP BY time(7m) FILL(previous)",
       }) {
    ASSERT_NO_FATAL_FAILURE(Check(q));
  }
}

}  // namespace
}  // namespace telemdb::query::testing
