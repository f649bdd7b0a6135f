// Test support for the query engine: a real storage::Db in a temporary directory (small
// partitions and chunks, so data spans many chunks, with sealed chunks and heads mixed) plus
// an independent model of every point written (std::map per series, later write wins), which
// the reference evaluator (reference_eval.h) reads.
#ifndef TELEMDB_QUERY_ENGINE_ENGINE_TEST_UTIL_H_
#define TELEMDB_QUERY_ENGINE_ENGINE_TEST_UTIL_H_

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "query/engine/engine.h"
#include "query/engine/storage_querier.h"
#include "storage/db.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::query::testing {

inline constexpr int64_t kSec = 1'000'000'000;
inline constexpr int64_t kMinute = 60 * kSec;
inline constexpr int64_t kHour = 60 * kMinute;
// 2023-11-14T22:00:00Z: a whole hour, in the past of any test machine.
inline constexpr int64_t kT0 = 1'699'999'200 * kSec;

struct ModelSeries {
  std::string measurement;
  storage::TagSet tags;
  std::string field;
  storage::ValueType type = storage::ValueType::kFloat;
  std::map<int64_t, storage::Value> points;
};

// Every series and point written, as the database should hold it.
class Model {
 public:
  using Key = std::tuple<std::string, storage::TagSet, std::string>;
  void Put(const std::string& m, const storage::TagSet& tags, const std::string& field, int64_t ts,
           const storage::Value& v) {
    ModelSeries& s = series_[Key(m, tags, field)];
    s.measurement = m;
    s.tags = tags;
    s.field = field;
    s.type = v.type;
    s.points[ts] = v;
  }
  const std::map<Key, ModelSeries>& series() const { return series_; }
  std::map<Key, ModelSeries>& mutable_series() { return series_; }

 private:
  std::map<Key, ModelSeries> series_;
};

// One row to write: a timestamp and some fields.
struct Row {
  int64_t ts;
  std::vector<std::pair<std::string, storage::Value>> fields;
};

class EngineTest : public ::testing::Test {
 protected:
  virtual storage::Options MakeOptions() {
    storage::Options o;
    o.dir = dir_.path();
    o.background = false;
    o.partition = absl::Hours(1);
    o.chunk_target_points = 64;
    o.chunk_aggregates_min_points = 1;  // small chunks with pre-aggregates (the 2nd path)
    o.head_seal_points = 48;
    return o;
  }
  void SetUp() override {
    auto db = storage::Db::Open(MakeOptions());
    ASSERT_OK(db.status());
    db_ = *std::move(db);
    querier_ = std::make_unique<StorageQuerier>(db_.get());
  }
  void TearDown() override {
    querier_.reset();
    if (db_) {
      EXPECT_OK(db_->Close());
    }
  }

  // Writes rows of one tag set (in the given order) to the database and the model.
  void Write(const std::string& m, storage::TagSet tags, const std::vector<Row>& rows) {
    std::sort(tags.begin(), tags.end());
    std::vector<storage::SeriesBatch> groups(1);
    storage::SeriesBatch& g = groups[0];
    g.measurement = m;
    g.tags = tags;
    std::map<std::string, size_t> col;
    for (const Row& r : rows) {
      for (const auto& [name, v] : r.fields) {
        if (col.count(name)) continue;
        col[name] = g.fields.size();
        storage::FieldColumn c;
        c.name = name;
        c.type = v.type;
        g.fields.push_back(c);
      }
    }
    for (size_t r = 0; r < rows.size(); r++) {
      g.timestamps.push_back(rows[r].ts);
      for (auto& c : g.fields) {
        c.valid.resize(r + 1, 0);
        c.floats.resize(r + 1);
        c.ints.resize(r + 1);
        c.bools.resize(r + 1);
        c.strings.resize(r + 1);
      }
      for (const auto& [name, v] : rows[r].fields) {
        storage::FieldColumn& c = g.fields[col[name]];
        c.valid[r] = 1;
        c.floats[r] = v.f;
        c.ints[r] = v.i;
        c.bools[r] = v.i != 0;
        c.strings[r] = v.s;
        model_.Put(m, tags, name, rows[r].ts, v);
      }
    }
    for (auto& c : g.fields) {
      if (c.type != storage::ValueType::kFloat) c.floats.clear();
      if (c.type != storage::ValueType::kInt) c.ints.clear();
      if (c.type != storage::ValueType::kBool) c.bools.clear();
      if (c.type != storage::ValueType::kString) c.strings.clear();
    }
    auto r = db_->Write(&groups, storage::WriteOptions());
    ASSERT_OK(r.status());
  }

  // Runs a query; fails the test on error.
  CollectingSink Run(std::string_view text, QueryStats* stats = nullptr,
                     const ExecOptions& options = ExecOptions()) {
    CollectingSink sink;
    Context ctx;
    QueryStats local;
    absl::Status s = ExecuteText(text, *querier_, options, ctx, sink, stats ? stats : &local);
    EXPECT_OK(s) << text;
    return sink;
  }
  absl::Status RunStatus(std::string_view text, const ExecOptions& options = ExecOptions(),
                         QueryStats* stats = nullptr, Context* ctx = nullptr) {
    CollectingSink sink;
    Context local_ctx;
    return ExecuteText(text, *querier_, options, ctx ? *ctx : local_ctx, sink, stats);
  }

  TempDir dir_;
  std::unique_ptr<storage::Db> db_;
  std::unique_ptr<StorageQuerier> querier_;
  Model model_;
};

}  // namespace telemdb::query::testing

#endif  // TELEMDB_QUERY_ENGINE_ENGINE_TEST_UTIL_H_
