// The alert engine against the scripted-fault fleet (bench/fleet/faults.h), in process on a
// ManualClock: an hour of fleet time in a few seconds. Every rule's transitions are checked
// twice: against the script (each fault fires once, at the right time, and resolves when it
// ends; healthy devices never alert) and against a plain-loop oracle that recomputes every
// window from the points that had arrived (the reference-evaluator pattern of the query
// engine). A restart of the database and the engine happens in the middle of a `for`
// period; a spike's points arrive 90 s late.
#include <cmath>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "alert/engine.h"
#include "bench/fleet/faults.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb {
namespace {

using alert::AlertEvent;
using alert::AlertState;
using fleet::FaultPoint;

constexpr int64_t kS = 1'000'000'000;

struct Transition {
  std::string rule, group, to;
  int64_t at_s;
  bool late;
  bool operator==(const Transition&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Transition& t) {
  return os << t.rule << " " << t.group << " -> " << t.to << " @" << t.at_s
            << (t.late ? " late" : "");
}

struct RuleDef {
  std::string name, query, condition;
  int64_t every_s, for_s;
};

const RuleDef kRules[] = {
    {"freezer_warm", "FROM readings WHERE fleet = 'Cold' GROUP BY name",
     "mean(temperature) over 2m > 0", 30, 180},
    {"silent", "FROM readings GROUP BY name", "absent(*) over 3m", 30, 0},
    {"cold_spike", "FROM readings WHERE fleet = 'Cold' GROUP BY name",
     "max(temperature) over 1m > 5", 30, 0},
    {"draining", "FROM diagnostics GROUP BY name", "derivative(fuel_state, 1h) over 10m < -0.3", 60,
     0},
    {"empty_soon", "FROM diagnostics GROUP BY name",
     "time_to_threshold(fuel_state, 0.1) over 15m < 7200", 60, 0},
};

// ---- The oracle: every window recomputed from the arrived points with plain loops. ----

struct Pt {
  int64_t ts_s;
  double v;
};

class Oracle {
 public:
  explicit Oracle(int64_t start_s) : start_s_(start_s) {}

  void Arrive(const FaultPoint& p) {
    for (const auto& [f, v] : p.fields) {
      series_[{p.measurement, Name(p), f}].push_back({p.ts_s, v});
      fleet_[Name(p)] = p.tags[0].second;
    }
  }

  // The value of a rule's expression for `name` over the window ending at `end_s`.
  std::optional<double> Value(const RuleDef& r, const std::string& name, int64_t end_s) {
    if (r.name == "silent") {
      int64_t last = INT64_MIN;
      for (const auto& [key, pts] : series_) {
        if (std::get<1>(key) != name || std::get<0>(key) != "readings") continue;
        for (const Pt& p : pts) last = std::max(last, p.ts_s);
      }
      return static_cast<double>(end_s - last);
    }
    const std::string m =
        r.name == "draining" || r.name == "empty_soon" ? "diagnostics" : "readings";
    const std::string f = m == "diagnostics" ? "fuel_state" : "temperature";
    const int64_t window = r.name == "freezer_warm" ? 120
                           : r.name == "cold_spike" ? 60
                           : r.name == "draining"   ? 600
                                                    : 900;
    std::vector<Pt> in;
    for (const Pt& p : series_[{m, name, f}]) {
      if (p.ts_s >= end_s - window && p.ts_s < end_s) in.push_back(p);
    }
    if (in.empty()) return std::nullopt;
    if (r.name == "freezer_warm") {
      double sum = 0;
      for (const Pt& p : in) sum += p.v;
      return sum / in.size();
    }
    if (r.name == "cold_spike") {
      double mx = -1e300;
      for (const Pt& p : in) mx = std::max(mx, p.v);
      return mx;
    }
    // Least squares through the window's points.
    double mt = 0, mv = 0;
    for (const Pt& p : in) mt += p.ts_s - start_s_, mv += p.v;
    mt /= in.size();
    mv /= in.size();
    double stt = 0, stv = 0;
    int64_t first = in[0].ts_s, last = in[0].ts_s;
    for (const Pt& p : in) {
      stt += (p.ts_s - start_s_ - mt) * (p.ts_s - start_s_ - mt);
      stv += (p.ts_s - start_s_ - mt) * (p.v - mv);
      first = std::min(first, p.ts_s);
      last = std::max(last, p.ts_s);
    }
    if (in.size() < 2 || stt <= 0) return std::nullopt;
    const double slope = stv / stt;  // per second
    if (r.name == "draining") return slope * 3600;
    // time_to_threshold (docs/query.md): from the line's value at the last point, when the
    // line heads to the threshold within 10 x the points' time span.
    const double v = mv + slope * (last - start_s_ - mt);
    const double t = (0.1 - v) / slope;
    if (v == 0.1) return 0.0;
    if (slope == 0 || t < 0 || t > 10.0 * (last - first)) return std::nan("");  // null
    return t;
  }

  bool Cond(const RuleDef& r, double v) {
    if (std::isnan(v)) return false;
    if (r.name == "silent") return v >= 180;
    if (r.name == "freezer_warm") return v > 0;
    if (r.name == "cold_spike") return v > 5;
    if (r.name == "draining") return v < -0.3;
    return v < 7200;
  }

  std::vector<std::string> Names(const RuleDef& r) const {
    std::set<std::string> out;
    for (const auto& [key, pts] : series_) {
      const std::string& name = std::get<1>(key);
      const bool cold = fleet_.at(name) == "Cold";
      if ((r.name == "freezer_warm" || r.name == "cold_spike") &&
          (!cold || std::get<2>(key) != "temperature")) {
        continue;
      }
      if ((r.name == "draining" || r.name == "empty_soon") && std::get<0>(key) != "diagnostics") {
        continue;
      }
      if (r.name == "silent" && std::get<0>(key) != "readings") continue;
      out.insert(name);
    }
    return {out.begin(), out.end()};
  }

  // Evaluates rule `r` at tick `t` (or its last window again, late, at `now`).
  void Evaluate(const RuleDef& r, int64_t window_end, int64_t now, bool late,
                const std::set<std::string>* only, std::vector<Transition>* out) {
    for (const std::string& name : Names(r)) {
      if (only != nullptr && !only->contains(name)) continue;
      alert::Evaluation e;
      e.at_ns = now * kS;
      e.late = late;
      auto v = Value(r, name, window_end);
      const bool trend_null = r.name == "empty_soon" && v && std::isnan(*v);
      if (v && (!std::isnan(*v) || trend_null)) {
        e.has_value = true;
        e.value = *v;
        e.cond = Cond(r, *v);
        e.clear = trend_null;
      }
      auto t = alert::Step(&states_[{r.name, name}], e, r.for_s * kS, false);
      if (t) out->push_back({r.name, "name=" + name, alert::StateName(t->to), now, late});
    }
  }

 private:
  static std::string Name(const FaultPoint& p) { return p.tags[1].second; }
  int64_t start_s_;
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<Pt>> series_;
  std::map<std::string, std::string> fleet_;
  std::map<std::pair<std::string, std::string>, alert::InstanceState> states_;
};

class AlertFleetTest : public ::testing::Test {
 protected:
  void Open() {
    storage::Options o;
    o.dir = dir_.path();
    o.background = false;
    auto db = storage::Db::Open(o);
    ASSERT_OK(db.status());
    db_ = *std::move(db);
    hub_ = std::make_unique<query::LiveHub>();
    db_->SetApplyObserver(hub_.get());
    alert::NotifierOptions no;
    no.background = false;
    auto n = alert::Notifier::Open(db_.get(), no, nullptr);
    ASSERT_OK(n.status());
    notifier_ = *std::move(n);
    alert::AlertEngineOptions eo;
    eo.clock = &clock_;
    eo.background = false;
    auto e = alert::AlertEngine::Open(db_.get(), hub_.get(), notifier_.get(), &bus_, nullptr, eo);
    ASSERT_OK(e.status());
    engine_ = *std::move(e);
    bus_.Add(&watcher_);
  }
  void Close() {
    bus_.Remove(&watcher_);
    engine_->Stop();
    engine_.reset();
    notifier_.reset();
    db_->SetApplyObserver(nullptr);
    hub_.reset();
    ASSERT_OK(db_->Close());
    db_.reset();
  }

  TempDir dir_;
  fleet::FaultFleetOptions fleet_;
  alert::ManualClock clock_{fleet_.start_s * kS};
  std::unique_ptr<storage::Db> db_;
  std::unique_ptr<query::LiveHub> hub_;
  std::unique_ptr<alert::Notifier> notifier_;
  alert::AlertBus bus_;
  query::MemoryBudget budget_{64 << 20};
  alert::AlertWatcher watcher_{alert::WatchFilter(), 8 << 20, &budget_};
  std::unique_ptr<alert::AlertEngine> engine_;
};

TEST_F(AlertFleetTest, ScriptedFaultsFireOnceOnTimeAndResolve) {
  std::vector<FaultPoint> points;
  ASSERT_OK(fleet::GenerateFaultFleet(fleet_, [&](const FaultPoint& p) {
    points.push_back(p);
    return absl::OkStatus();
  }));
  Open();
  for (const RuleDef& r : kRules) {
    alert::RuleSpec s;
    s.name = r.name;
    s.query = r.query;
    s.condition = r.condition;
    s.every_ns = r.every_s * kS;
    s.for_ns = r.for_s * kS;
    ASSERT_OK(engine_->CreateRule(s, "test").status());
  }
  const fleet::FaultScript& script = fleet_.script;
  const int64_t t0 = fleet_.start_s;
  const int64_t restart_at = t0 + 32 * 60 + 30;  // freezer_7 is pending (see below)
  Oracle oracle(t0);
  std::vector<Transition> expected;
  std::map<std::string, int64_t> last_tick;
  size_t next = 0;
  for (int64_t now = t0; now <= t0 + fleet_.minutes * 60; now += 10) {
    if (now == restart_at) {
      Close();
      Open();
    }
    clock_.Set(now * kS);
    // This second's arrivals, in one write.
    std::vector<storage::SeriesBatch> batch;
    std::map<std::string, std::set<std::string>> late_names;  // rule -> groups
    for (; next < points.size() && points[next].arrival_s <= now; next++) {
      const FaultPoint& p = points[next];
      storage::SeriesBatch g;
      g.measurement = p.measurement;
      g.tags = p.tags;
      g.timestamps = {p.ts_s * kS};
      for (const auto& [f, v] : p.fields) {
        storage::FieldColumn c;
        c.name = f;
        c.floats = {v};
        g.fields.push_back(std::move(c));
      }
      batch.push_back(std::move(g));
      oracle.Arrive(p);
      for (const RuleDef& r : kRules) {
        auto it = last_tick.find(r.name);
        if (it != last_tick.end() && p.ts_s < it->second) {
          late_names[r.name].insert(p.tags[1].second);
        }
      }
    }
    if (!batch.empty()) {
      storage::WriteOptions wo;
      wo.ack_mode = storage::AckMode::kAsync;
      ASSERT_OK(db_->Write(&batch, wo).status());
    }
    hub_->Drain();
    engine_->Step();
    // The oracle does what the engine documents: late windows first, then due ticks.
    for (const RuleDef& r : kRules) {
      auto it = late_names.find(r.name);
      if (it != late_names.end() && last_tick.contains(r.name) && r.name != "empty_soon" &&
          r.name != "silent") {
        oracle.Evaluate(r, last_tick[r.name], now, true, &it->second, &expected);
      }
      if (r.name == "silent" && it != late_names.end() && last_tick.contains(r.name)) {
        oracle.Evaluate(r, last_tick[r.name], now, true, &it->second, &expected);
      }
    }
    for (const RuleDef& r : kRules) {
      if (now % r.every_s != 0) continue;
      oracle.Evaluate(r, now, now, false, nullptr, &expected);
      last_tick[r.name] = now;
    }
  }
  std::vector<AlertEvent> events;
  uint64_t dropped = 0;
  ASSERT_TRUE(watcher_.Take(&events, &dropped));
  EXPECT_EQ(dropped, 0u);
  std::vector<Transition> got;
  for (const AlertEvent& e : events) {
    if (std::getenv("ALERT_FLEET_DUMP")) std::cerr << e.ToJson() << "\n";
    if (e.reminder) continue;
    got.push_back({e.rule, alert::GroupKey(e.group), e.to, e.at_ns / kS, e.late});
  }
  // The oracle's pending/firing/resolved sequence, within one interval of its times.
  auto key = [](const Transition& t) { return std::make_tuple(t.rule, t.group, t.to, t.late); };
  std::vector<Transition> a = got, b = expected;
  auto order = [&](const Transition& x, const Transition& y) {
    return std::tie(x.rule, x.group, x.at_s) < std::tie(y.rule, y.group, y.at_s);
  };
  std::sort(a.begin(), a.end(), order);
  std::sort(b.begin(), b.end(), order);
  ASSERT_EQ(a.size(), b.size()) << ::testing::PrintToString(a) << "\nvs oracle\n"
                                << ::testing::PrintToString(b);
  for (size_t i = 0; i < a.size(); i++) {
    EXPECT_EQ(key(a[i]), key(b[i])) << a[i] << " vs " << b[i];
    const int64_t every = a[i].rule == "draining" || a[i].rule == "empty_soon" ? 60 : 30;
    EXPECT_LE(std::abs(a[i].at_s - b[i].at_s), every) << a[i] << " vs " << b[i];
  }
  // And against the script itself.
  auto only = [&](const std::string& rule) {
    std::vector<std::string> out;
    for (const Transition& t : got) {
      if (t.rule == rule && t.to != "pending" && t.to != "inactive") {
        out.push_back(absl::StrCat(t.group, ":", t.to, t.late ? ":late" : ""));
      }
    }
    return out;
  };
  auto at = [&](const std::string& rule, const std::string& group, const std::string& to) {
    for (const Transition& t : got) {
      if (t.rule == rule && t.group == group && t.to == to) return t.at_s - t0;
    }
    return int64_t{-1};
  };
  using ::testing::ElementsAre;
  EXPECT_THAT(only("silent"),
              ElementsAre("name=truck_silent:firing", "name=truck_silent:resolved"));
  // Its last point before the gap is at silent_from - 10 s; silent 3 min later, seen at the
  // next 30 s tick; back at silent_until (a tick): resolved by that tick.
  EXPECT_EQ(at("silent", "name=truck_silent", "firing"), script.silent_from_s - 10 + 180 + 10);
  EXPECT_EQ(at("silent", "name=truck_silent", "resolved"), script.silent_until_s);
  EXPECT_THAT(only("freezer_warm"),
              ElementsAre("name=freezer_7:firing", "name=freezer_7:resolved"));
  // The mean of the last 2 min passes 0 about 19 min into the warming; 3 min later it fires
  // (the restart at 32:30 fell inside those 3 min); it resolves once the mean drops again.
  const int64_t pending = at("freezer_warm", "name=freezer_7", "pending");
  EXPECT_GE(pending, script.warm_from_s + 18 * 60);
  EXPECT_LE(pending, script.warm_from_s + 20 * 60);
  EXPECT_LT(pending + t0, restart_at);
  EXPECT_EQ(at("freezer_warm", "name=freezer_7", "firing"), pending + 180);
  EXPECT_GT(at("freezer_warm", "name=freezer_7", "firing") + t0, restart_at);
  EXPECT_GE(at("freezer_warm", "name=freezer_7", "resolved"), script.warm_until_s);
  EXPECT_LE(at("freezer_warm", "name=freezer_7", "resolved"), script.warm_until_s + 90);
  EXPECT_THAT(only("cold_spike"),
              ElementsAre("name=freezer_7:firing", "name=freezer_7:resolved",
                          "name=freezer_9:firing:late", "name=freezer_9:resolved"));
  // The spike's points arrive 90 s late: the alert fires the moment they do.
  EXPECT_EQ(at("cold_spike", "name=freezer_9", "firing"), script.late_at_s + 90);
  EXPECT_THAT(only("draining"), ElementsAre("name=tank_3:firing", "name=tank_3:resolved"));
  EXPECT_THAT(only("empty_soon"), ElementsAre("name=tank_3:firing", "name=tank_3:resolved"));
  EXPECT_GT(at("empty_soon", "name=tank_3", "firing"), script.drain_from_s);
  EXPECT_LE(at("empty_soon", "name=tank_3", "resolved"), script.drain_until_s + 60);
  // Healthy trucks never alert.
  for (const Transition& t : got) {
    if (t.group.rfind("name=truck_", 0) == 0) EXPECT_EQ(t.group, "name=truck_silent") << t;
  }
  Close();
}

}  // namespace
}  // namespace telemdb
