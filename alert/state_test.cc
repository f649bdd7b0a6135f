#include "alert/state.h"

#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace telemdb::alert {
namespace {

Evaluation Eval(int64_t at, bool cond, bool clear = false, bool has = true) {
  Evaluation e;
  e.at_ns = at;
  e.cond = cond;
  e.clear = clear;
  e.has_value = has;
  e.value = cond ? 9 : 1;
  return e;
}

TEST(StateTest, PendingThenFiringAfterFor) {
  InstanceState s;
  EXPECT_FALSE(Step(&s, Eval(10, false), 30, false));
  auto t1 = Step(&s, Eval(20, true), 30, false);
  ASSERT_TRUE(t1);
  EXPECT_EQ(t1->from, AlertState::kInactive);
  EXPECT_EQ(t1->to, AlertState::kPending);
  EXPECT_EQ(t1->number, 1u);
  EXPECT_FALSE(Step(&s, Eval(40, true), 30, false));  // 20 of 30 elapsed
  auto t2 = Step(&s, Eval(50, true), 30, false);
  ASSERT_TRUE(t2);
  EXPECT_EQ(t2->to, AlertState::kFiring);
  EXPECT_EQ(t2->active_since_ns, 20);
  auto t3 = Step(&s, Eval(60, false), 30, false);
  ASSERT_TRUE(t3);
  EXPECT_EQ(t3->to, AlertState::kResolved);
  EXPECT_EQ(s.transitions, 3u);
}

TEST(StateTest, PendingFallsBackWhenConditionEnds) {
  InstanceState s;
  Step(&s, Eval(0, true), 100, false);
  auto t = Step(&s, Eval(10, false), 100, false);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->to, AlertState::kInactive);
  EXPECT_EQ(s.active_since_ns, 0);
}

TEST(StateTest, ZeroForFiresAtOnce) {
  InstanceState s;
  auto t = Step(&s, Eval(5, true), 0, false);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, AlertState::kInactive);
  EXPECT_EQ(t->to, AlertState::kFiring);
}

// A value hovering at the threshold flaps without --clear and does not with it.
TEST(StateTest, HysteresisStopsFlapping) {
  const double values[] = {8.5, 7.9, 8.1, 7.8, 8.2, 5.5, 8.1};
  auto run = [&](bool with_clear) {
    InstanceState s;
    int transitions = 0;
    int64_t t = 0;
    for (double v : values) {
      Evaluation e;
      e.at_ns = t++;
      e.has_value = true;
      e.value = v;
      e.cond = v > 8;
      e.clear = v < 6;
      transitions += Step(&s, e, 0, with_clear).has_value();
    }
    return transitions;
  };
  EXPECT_EQ(run(false), 7);  // fire, resolve, fire, resolve, fire, resolve, fire
  EXPECT_EQ(run(true), 3);   // fire at 8.5, resolve at 5.5, fire at 8.1
}

TEST(StateTest, NoDataChangesNothing) {
  InstanceState s;
  Step(&s, Eval(0, true), 0, false);
  EXPECT_FALSE(Step(&s, Eval(10, false, false, /*has=*/false), 0, false));
  EXPECT_EQ(s.state, AlertState::kFiring);
  EXPECT_EQ(s.last_eval_ns, 10);
}

TEST(StateTest, JsonRoundTrips) {
  InstanceState s;
  Step(&s, Eval(7, true), 3, false);
  storage::TagSet g = {{"device", "truck_1"}};
  storage::TagSet back_group;
  ASSERT_OK_AND_ASSIGN(InstanceState back, StateFromJson(StateToJson(s, g), &back_group));
  EXPECT_EQ(back.state, AlertState::kPending);
  EXPECT_EQ(back.active_since_ns, 7);
  EXPECT_EQ(back.transitions, 1u);
  EXPECT_EQ(back_group, g);
  EXPECT_FALSE(StateFromJson("[]", &back_group).ok());
  EXPECT_FALSE(ParseState("burning").ok());
}

}  // namespace
}  // namespace telemdb::alert
