// End-to-end over gRPC: write through IngestService, read through QueryService (text and
// structured forms, listings), across a restart.
#include <signal.h>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "telemdb/v1/ingest.grpc.pb.h"
#include "telemdb/v1/query.grpc.pb.h"
#include "tests/server_harness.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::tests {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kT0 = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z
constexpr int64_t kSec = 1'000'000'000;

struct Result {
  grpc::Status status;
  v1::ResultHeader header;
  std::vector<v1::ResultFrame> frames;
  v1::QueryStats stats;
};

class E2eQueryTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }
  void Start() {
    auto s = ServerProcess::Start(dir_.Sub("data"));
    ASSERT_OK(s.status());
    server_ = *std::move(s);
    auto ch = grpc::CreateChannel(server_->addr(), grpc::InsecureChannelCredentials());
    ingest_ = v1::IngestService::NewStub(ch);
    query_ = v1::QueryService::NewStub(ch);
  }
  void Auth(grpc::ClientContext* ctx) {
    ctx->AddMetadata("authorization", "Bearer " + server_->admin_token());
  }
  // 4 trucks in 2 fleets, one hour of readings every 10 s: velocity = truck * 10 + minute.
  void Load() {
    v1::WriteRequest req;
    for (int t = 0; t < 4; t++) {
      auto* s = req.add_series();
      s->set_measurement("readings");
      auto* name = s->add_tags();
      name->set_key("name");
      name->set_value("truck_" + std::to_string(t));
      auto* fleet = s->add_tags();
      fleet->set_key("fleet");
      fleet->set_value(t % 2 ? "East" : "West");
      auto* v = s->add_fields();
      v->set_name("velocity");
      auto* st = s->add_fields();
      st->set_name("status");
      for (int i = 0; i < 360; i++) {
        s->add_timestamps(kT0 + i * 10 * kSec);
        v->mutable_doubles()->add_values(t * 10 + i / 6);
        st->mutable_strings()->add_values(i % 2 ? "idle" : "driving");
      }
    }
    grpc::ClientContext ctx;
    Auth(&ctx);
    v1::WriteResponse resp;
    ASSERT_TRUE(ingest_->Write(&ctx, req, &resp).ok());
    ASSERT_EQ(resp.points_accepted(), 4u * 360 * 2);
  }
  Result Run(const v1::QueryRequest& req, int deadline_ms = 10000) {
    grpc::ClientContext ctx;
    Auth(&ctx);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
    auto reader = query_->Query(&ctx, req);
    Result r;
    v1::QueryResponse msg;
    while (reader->Read(&msg)) {
      if (msg.has_header()) r.header = msg.header();
      if (msg.has_frame()) r.frames.push_back(msg.frame());
      for (const auto& f : msg.frames().frames()) r.frames.push_back(f);
      if (msg.has_stats()) r.stats = msg.stats();
    }
    r.status = reader->Finish();
    return r;
  }
  Result Text(const std::string& text) {
    v1::QueryRequest req;
    req.set_text(text);
    return Run(req);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::IngestService::Stub> ingest_;
  std::unique_ptr<v1::QueryService::Stub> query_;
};

TEST_F(E2eQueryTest, AggregatesGroupedByTagAcrossRestart) {
  Load();
  for (int round = 0; round < 2; round++) {
    Result r = Text(
        "SELECT mean(velocity), max(velocity) AS top FROM readings "
        "WHERE time >= '2026-01-01T00:00:00Z' AND time < '2026-01-01T01:00:00Z' "
        "GROUP BY time(30m), fleet");
    ASSERT_TRUE(r.status.ok()) << r.status.error_message();
    ASSERT_EQ(r.header.group_by_size(), 1);
    EXPECT_EQ(r.header.group_by(0), "fleet");
    ASSERT_EQ(r.header.columns_size(), 2);
    EXPECT_EQ(r.header.columns(0).name(), "mean");
    EXPECT_EQ(r.header.columns(1).name(), "top");
    ASSERT_EQ(r.frames.size(), 2u);
    // East = trucks 1 and 3: in the first 30 min minutes 0..29, velocity t*10 + minute.
    const auto& east = r.frames[0];
    EXPECT_EQ(east.group_values(0), "East");
    ASSERT_EQ(east.time_size(), 2);
    EXPECT_EQ(east.time(0), kT0);
    EXPECT_DOUBLE_EQ(east.columns(0).doubles().values(0), 20 + 14.5);
    EXPECT_DOUBLE_EQ(east.columns(1).doubles().values(1), 30 + 59);
    EXPECT_EQ(r.stats.series_matched(), 2u * 2);
    ASSERT_EQ(server_->Stop(SIGTERM), 0);
    Start();
  }
}

TEST_F(E2eQueryTest, StructuredFormMatchesText) {
  Load();
  v1::QueryRequest req;
  auto* q = req.mutable_structured();
  q->set_measurement("readings");
  auto* e = q->add_select();
  e->set_field("velocity");
  e->set_aggregate("max");
  auto* m = q->add_matchers();
  m->set_key("name");
  m->set_op(v1::TagMatcher::REGEX);
  m->set_value("truck_[12]");
  q->set_start_ns(kT0);
  q->set_end_ns(kT0 + 3600 * kSec);
  q->set_interval_ns(600 * kSec);
  Result a = Run(req);
  ASSERT_TRUE(a.status.ok()) << a.status.error_message();
  Result b = Text(
      "SELECT max(velocity) FROM readings WHERE name =~ /truck_[12]/ AND time >= 1767225600s "
      "AND time < 1767229200s GROUP BY time(10m)");
  ASSERT_TRUE(b.status.ok()) << b.status.error_message();
  ASSERT_EQ(a.frames.size(), 1u);
  ASSERT_EQ(b.frames.size(), 1u);
  EXPECT_EQ(a.frames[0].SerializeAsString(), b.frames[0].SerializeAsString());
  EXPECT_EQ(a.frames[0].columns(0).doubles().values(5), 20 + 59);
}

TEST_F(E2eQueryTest, RawStringsLastAndShow) {
  Load();
  Result last = Text("SELECT last(status) FROM readings GROUP BY name");
  ASSERT_TRUE(last.status.ok()) << last.status.error_message();
  ASSERT_EQ(last.frames.size(), 4u);
  EXPECT_EQ(last.frames[0].columns(0).strings().values(0), "idle");
  EXPECT_EQ(last.frames[0].time(0), kT0 + 359 * 10 * kSec);
  Result raw = Text("SELECT velocity, status FROM readings WHERE name = 'truck_3' LIMIT 3");
  ASSERT_TRUE(raw.status.ok()) << raw.status.error_message();
  ASSERT_EQ(raw.frames.size(), 1u);
  EXPECT_EQ(raw.frames[0].time_size(), 3);
  EXPECT_EQ(raw.frames[0].columns(1).strings().values(0), "driving");
  Result show = Text("SHOW TAG VALUES FROM readings WITH KEY = fleet");
  ASSERT_TRUE(show.status.ok()) << show.status.error_message();
  EXPECT_FALSE(show.header.has_time());

  grpc::ClientContext c1;
  Auth(&c1);
  v1::ListFieldsRequest lf;
  lf.set_measurement("readings");
  v1::ListFieldsResponse fields;
  ASSERT_TRUE(query_->ListFields(&c1, lf, &fields).ok());
  ASSERT_EQ(fields.fields_size(), 2);
  EXPECT_EQ(fields.fields(0).name(), "status");
  EXPECT_EQ(fields.fields(0).type(), v1::STRING);
  grpc::ClientContext c2;
  Auth(&c2);
  v1::TagValuesRequest tv;
  tv.set_key("name");
  tv.set_limit(3);
  v1::TagValuesResponse values;
  ASSERT_TRUE(query_->TagValues(&c2, tv, &values).ok());
  EXPECT_EQ(values.values_size(), 3);
  EXPECT_TRUE(values.truncated());
  grpc::ClientContext c3;
  Auth(&c3);
  v1::ListSeriesRequest ls;
  ls.set_measurement("readings");
  auto* m = ls.add_matchers();
  m->set_key("fleet");
  m->set_op(v1::TagMatcher::EQUAL);
  m->set_value("East");
  v1::ListSeriesResponse series;
  ASSERT_TRUE(query_->ListSeries(&c3, ls, &series).ok());
  EXPECT_EQ(series.series_size(), 4);  // 2 trucks x 2 fields
}

TEST_F(E2eQueryTest, ErrorsAreClear) {
  Load();
  Result bad = Text("SELECT mean(velocity)\nFORM readings");
  EXPECT_EQ(bad.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.status.error_message(), HasSubstr("line 2, column 1"));
  Result numeric_on_string = Text("SELECT mean(status) FROM readings");
  EXPECT_EQ(numeric_on_string.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(numeric_on_string.status.error_message(), HasSubstr("status"));
  Result nothing = Text("SELECT mean(velocity) FROM nosuchthing");
  EXPECT_TRUE(nothing.status.ok());
  EXPECT_TRUE(nothing.frames.empty());
  grpc::ClientContext anon;
  v1::QueryRequest req;
  req.set_text("SHOW MEASUREMENTS");
  auto reader = query_->Query(&anon, req);
  v1::QueryResponse msg;
  while (reader->Read(&msg)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(E2eQueryTest, PredictiveFunctionsOverTheWire) {
  Load();
  const std::string range =
      " WHERE time >= '2026-01-01T00:00:00Z' AND time < '2026-01-01T01:00:00Z'";
  Result r = Text("SELECT forecast(mean(velocity), 3) AS f, max(velocity) FROM readings" + range +
                  " GROUP BY time(10m), fleet");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_EQ(r.header.columns_size(), 4);
  const char* names[] = {"f", "f_lower", "f_upper", "max"};
  const char* parts[] = {"forecast", "lower", "upper", ""};
  const uint32_t items[] = {0, 0, 0, 1};
  for (int c = 0; c < 4; c++) {
    EXPECT_EQ(r.header.columns(c).name(), names[c]);
    EXPECT_EQ(r.header.columns(c).part(), parts[c]);
    EXPECT_EQ(r.header.columns(c).item(), items[c]);
    EXPECT_EQ(r.header.columns(c).type(), v1::FLOAT);
  }
  ASSERT_EQ(r.frames.size(), 2u);  // East, West
  const auto& east = r.frames[0];
  ASSERT_EQ(east.time_size(), 6 + 3);  // six buckets, three forecasts after the last
  EXPECT_EQ(east.time(6), kT0 + 60 * 60 * kSec);
  EXPECT_EQ(east.time(8), kT0 + 80 * 60 * kSec);
  // The forecast columns hold values only on the forecast rows, max only on the buckets.
  EXPECT_EQ(east.columns(0).validity().size(), 2u);  // 9 rows, some null
  const double f = east.columns(0).doubles().values(6), lo = east.columns(1).doubles().values(6),
               hi = east.columns(2).doubles().values(6);
  EXPECT_LE(lo, f);
  EXPECT_LE(f, hi);
  EXPECT_GT(f, 20 + 50);  // East trucks 1 and 3: mean 20 + minute, rising

  // The structured form of the same forecast gives the same rows.
  v1::QueryRequest req;
  auto* q = req.mutable_structured();
  q->set_measurement("readings");
  auto* e = q->add_select();
  e->set_field("velocity");
  e->set_aggregate("mean");
  e->set_transform("forecast");
  e->set_count(3);
  e->set_alias("f");
  auto* m = q->add_select();
  m->set_field("velocity");
  m->set_aggregate("max");
  q->set_start_ns(kT0);
  q->set_end_ns(kT0 + 3600 * kSec);
  q->set_interval_ns(600 * kSec);
  q->add_group_by_tags("fleet");
  Result s = Run(req);
  ASSERT_TRUE(s.status.ok()) << s.status.error_message();
  ASSERT_EQ(s.frames.size(), 2u);
  EXPECT_TRUE(std::equal(s.frames[0].time().begin(), s.frames[0].time().end(), east.time().begin(),
                         east.time().end()));
  EXPECT_EQ(s.frames[0].columns(0).doubles().values(6), f);

  // Which truck reaches 100 first, per truck: velocity = truck * 10 + minute, +1/60 per second.
  Result t =
      Text("SELECT time_to_threshold(velocity, 100) FROM readings" + range + " GROUP BY name");
  ASSERT_TRUE(t.status.ok()) << t.status.error_message();
  ASSERT_EQ(t.frames.size(), 4u);
  for (int k = 0; k < 4; k++) {
    const double secs = t.frames[k].columns(0).doubles().values(0);
    const double expect = (100 - (10 * k + 59.5)) * 60;  // from the line's value at 59:50
    EXPECT_NEAR(secs, expect, 60) << t.frames[k].group_values(0);
  }
  Result bad = Text("SELECT holt_winters(velocity, 3, 0) FROM readings GROUP BY time(1m)");
  EXPECT_EQ(bad.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.status.error_message(),
              HasSubstr("expected an aggregate such as mean(velocity)"));
}

}  // namespace
}  // namespace telemdb::tests
