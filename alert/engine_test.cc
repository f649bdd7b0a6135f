// The alert engine in process, on a ManualClock: minutes of rule time in milliseconds.
#include "alert/engine.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/engine/engine.h"
#include "query/engine/storage_querier.h"
#include "storage/testing/db_test_util.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::alert {
namespace {

using ::telemdb::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kT0 = 1'780'002'000 * kS;  // a whole hour, in the past

struct Seen {
  std::string group, from, to;
  int64_t at;
  bool late;
  double value;
};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override { Close(); }

  void Open() {
    storage::Options o;
    o.dir = dir_.path();
    o.background = false;
    auto db = storage::Db::Open(o);
    ASSERT_OK(db.status());
    db_ = *std::move(db);
    hub_ = std::make_unique<query::LiveHub>();
    db_->SetApplyObserver(hub_.get());
    NotifierOptions no;
    no.background = false;
    auto n = Notifier::Open(db_.get(), no, nullptr);
    ASSERT_OK(n.status());
    notifier_ = *std::move(n);
    AlertEngineOptions eo;
    eo.clock = &clock_;
    eo.background = false;
    eo.max_queue_bytes = max_queue_bytes_;
    auto e = AlertEngine::Open(db_.get(), hub_.get(), notifier_.get(), &bus_, nullptr, eo);
    ASSERT_OK(e.status());
    engine_ = *std::move(e);
    watcher_ = std::make_unique<AlertWatcher>(WatchFilter(), 1 << 20, &budget_);
    bus_.Add(watcher_.get());
  }
  void Close() {
    if (engine_ == nullptr) return;
    bus_.Remove(watcher_.get());
    engine_->Stop();
    engine_.reset();
    notifier_.reset();
    db_->SetApplyObserver(nullptr);
    hub_.reset();
    ASSERT_OK(db_->Close());
    db_.reset();
  }
  void Restart() {
    Close();
    Open();
  }

  void Write(const std::string& dev, const std::string& field, int64_t ts, double v,
             const std::string& m = "trucks") {
    ASSERT_OK(storage::testing::WriteFloats(db_.get(), m, dev, field, {ts}, {v}));
  }
  // Advances the clock to `t` in steps of `step`, writing nothing, running a round each.
  void RunUntil(int64_t t, int64_t step = kS) {
    while (clock_.Now() < t) {
      clock_.Advance(std::min(step, t - clock_.Now()));
      Round();
    }
  }
  void Round() {
    hub_->Drain();
    engine_->Step();
  }
  std::vector<Seen> Take() {
    std::vector<AlertEvent> evs;
    uint64_t dropped = 0;
    std::vector<Seen> out;
    if (!watcher_->Take(&evs, &dropped)) return out;
    for (const auto& e : evs) {
      if (e.reminder) continue;
      out.push_back({GroupKey(e.group), e.from, e.to, e.at_ns, e.late, e.value});
    }
    return out;
  }
  RuleSpec Spec(const std::string& name, const std::string& cond, int64_t every = 10 * kS,
                int64_t for_ns = 0) {
    RuleSpec s;
    s.name = name;
    s.query = "FROM trucks GROUP BY device";
    s.condition = cond;
    s.every_ns = every;
    s.for_ns = for_ns;
    return s;
  }
  // Rows of `_alerts` for a rule: (state, time) in time order.
  std::vector<std::pair<std::string, int64_t>> AlertRows(const std::string& rule) {
    query::StorageQuerier q(db_.get());
    query::ExecOptions opts;
    opts.now_ns = clock_.Now();
    query::Context ctx;
    query::CollectingSink sink;
    EXPECT_OK(
        query::ExecuteText(absl::StrCat("SELECT state FROM _alerts WHERE rule = '", rule, "'"), q,
                           opts, ctx, sink, nullptr));
    std::vector<std::pair<std::string, int64_t>> out;
    for (const auto& f : sink.Groups()) {
      for (size_t i = 0; i < f.time.size(); i++) {
        out.emplace_back(f.columns[0].strings[i], f.time[i]);
      }
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
    return out;
  }

  TempDir dir_;
  ManualClock clock_{kT0};
  size_t max_queue_bytes_ = 64 << 20;
  std::unique_ptr<storage::Db> db_;
  std::unique_ptr<query::LiveHub> hub_;
  std::unique_ptr<Notifier> notifier_;
  AlertBus bus_;
  query::MemoryBudget budget_{64 << 20};
  std::unique_ptr<AlertWatcher> watcher_;
  std::unique_ptr<AlertEngine> engine_;
};

// A freezer warming: mean over 1 min crosses 8 and holds for 30 s -> pending, then firing
// exactly one `for` later; it cools -> resolved at the first evaluation that sees it.
TEST_F(EngineTest, ThresholdPendingFiringResolved) {
  ASSERT_OK(
      engine_->CreateRule(Spec("warm", "mean(temp) over 1m > 8", 10 * kS, 30 * kS), "t").status());
  // Minute 0..2: temp 5; 2..4: temp 10; 4..: temp 5. One point a second.
  for (int64_t s = 0; s < 360; s++) {
    clock_.Set(kT0 + s * kS);
    Write("f1", "temp", kT0 + s * kS, s >= 120 && s < 240 ? 10 : 5);
    Write("f2", "temp", kT0 + s * kS, 5);
    Round();
  }
  auto seen = Take();
  ASSERT_EQ(seen.size(), 3u);
  // The mean of [T-60s, T) passes 8 once more than 3/5 of the window is at 10: at 120+37 s,
  // so the first evaluation (every 10 s) that sees it is T = 160 s.
  EXPECT_EQ(seen[0].group, "device=f1");
  EXPECT_EQ(seen[0].to, "pending");
  EXPECT_EQ(seen[0].at, kT0 + 160 * kS);
  EXPECT_EQ(seen[1].to, "firing");
  EXPECT_EQ(seen[1].at, kT0 + 190 * kS);
  EXPECT_EQ(seen[2].to, "resolved");
  EXPECT_EQ(seen[2].at, kT0 + 270 * kS);  // mean <= 8 once half the window is at 5
  EXPECT_GT(seen[2].value, 0);
  auto rows = AlertRows("warm");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1], std::make_pair(std::string("firing"), kT0 + 190 * kS));
  // Incremental: the bootstrap read the two series once (their first point was stored
  // before the first round); 35 evaluations later nothing more was read.
  ASSERT_OK_AND_ASSIGN(RuleInfo info, engine_->GetRule("warm"));
  EXPECT_EQ(info.status.series_read, 2u);
  EXPECT_GE(info.status.evaluations, 35u);
  EXPECT_EQ(info.status.queries, 0u);
}

TEST_F(EngineTest, AbsenceFiresForSilentDevicesOnly) {
  RuleSpec s = Spec("silent", "absent(*) over 1m", 10 * kS);
  s.expect = {"device=never"};  // listed: silent even though it never reported
  Write("t1", "speed", kT0 - 5 * kS, 50);
  Write("t2", "speed", kT0 - 5 * kS, 50);
  ASSERT_OK(engine_->CreateRule(s, "t").status());
  // t1 reports every 5 s for 2 minutes then stops for 3 minutes, then comes back; t2 keeps
  // reporting throughout.
  for (int64_t sec = 0; sec < 420; sec += 5) {
    clock_.Set(kT0 + sec * kS);
    if (sec < 120 || sec >= 300) Write("t1", "speed", kT0 + sec * kS, 50);
    Write("t2", "fuel", kT0 + sec * kS, 0.5);
    Round();
  }
  auto seen = Take();
  std::vector<std::string> got;
  for (const auto& e : seen)
    got.push_back(absl::StrCat(e.group, ":", e.to, "@", (e.at - kT0) / kS));
  // t1's last point is at 115 s: silent from 175 s, seen by the evaluation at 180 s; back at
  // 300 s, resolved at 300 s. `never` is silent 1 min after the rule started (at 0 s).
  EXPECT_THAT(got, ::testing::ElementsAre("device=never:firing@60", "device=t1:firing@180",
                                          "device=t1:resolved@300"));
  EXPECT_DOUBLE_EQ(seen[1].value, 65);  // seconds since its last point
}

// A point that arrives after its window was evaluated re-evaluates that window at once and
// the transition says it was late.
TEST_F(EngineTest, LatePointsReevaluateTheWindow) {
  ASSERT_OK(engine_->CreateRule(Spec("hot", "max(temp) over 30s > 50", 10 * kS), "t").status());
  for (int64_t sec = 0; sec <= 40; sec++) {
    clock_.Set(kT0 + sec * kS);
    if (sec % 2 == 0) Write("a", "temp", kT0 + sec * kS, 20);
    Round();
  }
  EXPECT_TRUE(Take().empty());
  // The evaluation at 40 s covered [10 s, 40 s). A reading of 70 taken at 35 s arrives now.
  clock_.Set(kT0 + 43 * kS);
  Write("a", "temp", kT0 + 35 * kS, 70);
  Round();
  auto seen = Take();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].to, "firing");
  EXPECT_TRUE(seen[0].late);
  EXPECT_EQ(seen[0].at, kT0 + 43 * kS);
  // A point older than the last window changes nothing.
  Write("a", "temp", kT0 + 2 * kS, 99);
  Round();
  EXPECT_TRUE(Take().empty());
  ASSERT_OK_AND_ASSIGN(RuleInfo info, engine_->GetRule("hot"));
  EXPECT_EQ(info.status.late_points, 1u);
  EXPECT_EQ(info.status.late_ignored, 1u);
  // The window moves on: at 70 s [40, 70) holds no 70 any more -> resolved, not late.
  RunUntil(kT0 + 70 * kS);
  seen = Take();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].to, "resolved");
  EXPECT_FALSE(seen[0].late);
}

// Restart in the middle of a `for` period: the pending state survives (with when it began),
// the window is rebuilt from storage, and the alert fires when it would have.
TEST_F(EngineTest, PendingSurvivesRestartAndFiresOnTime) {
  ASSERT_OK(
      engine_->CreateRule(Spec("hot", "mean(temp) over 20s > 50", 10 * kS, 60 * kS), "t").status());
  int64_t sec = 0;
  for (; sec <= 30; sec++) {
    clock_.Set(kT0 + sec * kS);
    Write("a", "temp", kT0 + sec * kS, 80);
    Round();
  }
  auto seen = Take();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].to, "pending");
  EXPECT_EQ(seen[0].at, kT0 + 10 * kS);
  Restart();
  for (; sec <= 80; sec++) {
    clock_.Set(kT0 + sec * kS);
    Write("a", "temp", kT0 + sec * kS, 80);
    Round();
  }
  seen = Take();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].from, "pending");
  EXPECT_EQ(seen[0].to, "firing");
  EXPECT_EQ(seen[0].at, kT0 + 70 * kS);  // pending since 10 s + for 60 s
  auto rows = AlertRows("hot");
  ASSERT_EQ(rows.size(), 2u);
  ASSERT_OK_AND_ASSIGN(RuleInfo info, engine_->GetRule("hot"));
  EXPECT_GT(info.status.series_read, 0u);  // the restart rebuilt the window from storage
}

TEST_F(EngineTest, ClearConditionHoldsFiringAlerts) {
  RuleSpec s = Spec("hov", "last(temp) > 8", 10 * kS);
  s.clear = "< 6";
  ASSERT_OK(engine_->CreateRule(s, "t").status());
  const double values[] = {9, 7.5, 8.5, 7, 5, 9};
  for (int i = 0; i < 6; i++) {
    clock_.Set(kT0 + (i * 10 + 5) * kS);
    Write("a", "temp", kT0 + (i * 10 + 5) * kS, values[i]);
    RunUntil(kT0 + (i + 1) * 10 * kS);
  }
  auto seen = Take();
  std::vector<std::string> got;
  for (const auto& e : seen) got.push_back(e.to);
  EXPECT_THAT(got, ::testing::ElementsAre("firing", "resolved", "firing"));
}

TEST_F(EngineTest, RateRuleSeesTheSlope) {
  // fuel drops 0.5 per hour from minute 10 on; the rule wants < -0.3 per hour over 10 min.
  ASSERT_OK(engine_->CreateRule(Spec("drain", "derivative(fuel, 1h) over 10m < -0.3", 60 * kS), "t")
                .status());
  double fuel = 1;
  for (int64_t sec = 0; sec < 40 * 60; sec += 10) {
    clock_.Set(kT0 + sec * kS);
    if (sec >= 600) fuel -= 0.5 / 360;
    Write("tank", "fuel", kT0 + sec * kS, fuel);
    Round();
  }
  auto seen = Take();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].to, "firing");
  EXPECT_NEAR(seen[0].value, -0.5, 0.2);
  // A 10-minute window starting at minute 10 is all slope by minute 20 (the slope of a
  // half-flat window is about -0.5 * 3/4 from minute 15 or so).
  EXPECT_GE(seen[0].at, kT0 + 13 * 60 * kS);
  EXPECT_LE(seen[0].at, kT0 + 20 * 60 * kS);
}

TEST_F(EngineTest, TrendRuleRunsItsQuery) {
  ASSERT_OK(
      engine_
          ->CreateRule(Spec("empty_soon", "time_to_threshold(level, 0.1) over 30m < 7200", 60 * kS),
                       "t")
          .status());
  // The level falls 0.3 per hour from 0.9: it reaches 0.1 after 160 min, so less than 2 h
  // remain from minute 40 on.
  for (int64_t sec = 0; sec < 60 * 60; sec += 30) {
    clock_.Set(kT0 + sec * kS);
    Write("tank", "level", kT0 + sec * kS, 0.9 - 0.3 * sec / 3600.0);
    Round();
  }
  auto seen = Take();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen[0].to, "firing");
  EXPECT_GE(seen[0].at, kT0 + 40 * 60 * kS);
  EXPECT_LE(seen[0].at, kT0 + 42 * 60 * kS);
  ASSERT_OK_AND_ASSIGN(RuleInfo info, engine_->GetRule("empty_soon"));
  EXPECT_GT(info.status.queries, 50u);
}

TEST_F(EngineTest, AnomalyRuleFiresOnASpike) {
  ASSERT_OK(
      engine_
          ->CreateRule(Spec("vib", "anomaly_score(vibration, 'neighbours=0') > 0.99", 60 * kS), "t")
          .status());
  uint64_t x = 1;
  for (int64_t sec = 0; sec < 40 * 60; sec += 2) {
    clock_.Set(kT0 + sec * kS);
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    double v = 1.0 + 0.05 * static_cast<double>(x >> 40) / (1 << 24);
    if (sec == 30 * 60) v = 9;  // the bearing knocks
    Write("pump", "vibration", kT0 + sec * kS, v);
    Round();
  }
  auto seen = Take();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen[0].to, "firing");
  EXPECT_EQ(seen[0].at, kT0 + 31 * 60 * kS);
  EXPECT_GT(seen[0].value, 0.99);
}

// The engine's queue overflows: the rule re-reads storage and counts what it would have.
TEST_F(EngineTest, DroppedEventsResyncFromStorage) {
  Close();
  max_queue_bytes_ = 1;  // nothing fits
  Open();
  ASSERT_OK(engine_->CreateRule(Spec("many", "count(v) over 1m > 50", 10 * kS), "t").status());
  Round();
  for (int64_t sec = 0; sec < 60; sec++) {
    clock_.Set(kT0 + sec * kS);
    Write("a", "v", kT0 + sec * kS, 1);
    Write("a", "v", kT0 + sec * kS + kS / 2, 1);
    Round();
  }
  RunUntil(kT0 + 60 * kS);
  auto seen = Take();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].to, "firing");
  ASSERT_OK_AND_ASSIGN(RuleInfo info, engine_->GetRule("many"));
  EXPECT_GT(info.status.resyncs, 0u);
  EXPECT_GT(engine_->counters().dropped_values, 0u);
}

TEST_F(EngineTest, ManagementErrorsAreClear) {
  EXPECT_THAT(engine_->CreateRule(Spec("x", "mean(t) > 1 >"), "t"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("condition: column 13")));
  RuleSpec s = Spec("n", "mean(t) > 1");
  s.notify = {"nobody"};
  EXPECT_THAT(engine_->CreateRule(s, "t"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no notification target")));
  ASSERT_OK(engine_->CreateRule(Spec("dup", "mean(t) > 1"), "t").status());
  EXPECT_THAT(engine_->CreateRule(Spec("dup", "mean(t) > 1"), "t"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(engine_->DeleteRule("nope"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(notifier_->CreateTarget("ops", "http://127.0.0.1:9/hook", "", "t").status());
  s.notify = {"ops"};
  s.name = "uses_ops";
  ASSERT_OK(engine_->CreateRule(s, "t").status());
  EXPECT_THAT(engine_->DeleteTarget("ops"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("uses_ops")));
  ASSERT_OK(engine_->DeleteRule("uses_ops"));
  ASSERT_OK(engine_->DeleteTarget("ops"));
  // Paused rules do not evaluate; they survive restarts paused.
  ASSERT_OK(engine_->SetPaused("dup", true).status());
  Restart();
  ASSERT_OK_AND_ASSIGN(RuleInfo info, engine_->GetRule("dup"));
  EXPECT_TRUE(info.spec.paused);
  RunUntil(kT0 + 60 * kS, 10 * kS);
  ASSERT_OK_AND_ASSIGN(info, engine_->GetRule("dup"));
  EXPECT_EQ(info.status.evaluations, 0u);
}

TEST_F(EngineTest, RepeatSendsRemindersWhileFiring) {
  ASSERT_OK(notifier_->CreateTarget("ops", "http://127.0.0.1:9/hook", "", "t").status());
  RuleSpec s = Spec("hot", "last(temp) > 8", 10 * kS);
  s.repeat_ns = 30 * kS;
  s.notify = {"ops"};
  ASSERT_OK(engine_->CreateRule(s, "t").status());
  Write("a", "temp", kT0 + kS, 9);
  RunUntil(kT0 + 100 * kS, 10 * kS);
  // firing at 10 s, reminders at 40, 70 and 100 s: four notifications queued.
  EXPECT_EQ(notifier_->queued(), 4u);
}

}  // namespace
}  // namespace telemdb::alert
