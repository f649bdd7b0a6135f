#include "storage/dedup_window.h"

#include <string>

#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace telemdb::storage {
namespace {

constexpr int64_t kNow = 1'700'000'000'000'000'000;

DedupWindow::Options Small() {
  DedupWindow::Options o;
  o.window = 128;
  return o;
}

TEST(DedupWindowTest, KeysSeparateIdentities) {
  EXPECT_NE(DedupWindow::Key("a", "bc"), DedupWindow::Key("ab", "c"));
  DedupWindow w(Small());
  const std::string alice = DedupWindow::Key("alice", "p"), bob = DedupWindow::Key("bob", "p");
  ASSERT_EQ(w.Begin(bob, 0, 1, kNow), DedupWindow::Outcome::kNew);
  w.Finish(bob, 0, 1, kNow, true);
  EXPECT_EQ(w.Begin(bob, 0, 1, kNow), DedupWindow::Outcome::kDuplicate);
  ASSERT_EQ(w.Begin(alice, 0, 1, kNow), DedupWindow::Outcome::kNew);
  w.Finish(alice, 0, 1, kNow, true);
}

TEST(DedupWindowTest, EpochChangeStartsOver) {
  DedupWindow w(Small());
  const std::string k = DedupWindow::Key("dev", "p");
  for (uint64_t s = 1; s <= 50; s++) w.Record(k, 1, s, kNow);
  EXPECT_EQ(w.Begin(k, 1, 20, kNow), DedupWindow::Outcome::kDuplicate);
  EXPECT_EQ(w.Begin(k, 2, 20, kNow), DedupWindow::Outcome::kNew);
  w.Finish(k, 2, 20, kNow, true);
  EXPECT_EQ(w.Begin(k, 2, 20, kNow), DedupWindow::Outcome::kDuplicate);
  EXPECT_EQ(w.Begin(k, 2, 21, kNow), DedupWindow::Outcome::kNew);
  w.Finish(k, 2, 21, kNow, false);
}

// Snapshot format 2 must never change silently.
TEST(DedupWindowTest, GoldenSnapshotBytes) {
  DedupWindow w(Small());
  const std::string k = DedupWindow::Key("id", "p");
  EXPECT_EQ(k, std::string("\x02idp", 4));
  w.Record(k, 5, 3, 1000);
  auto snap = w.Snapshot(1000);
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].first, k);
  std::string want;
  want += '\x02';                                // version
  want += '\x05';                                // epoch
  want += "\x80\x01";                            // window 128
  want += '\x03';                                // high
  want += "\xd0\x0f";                            // last active 1000 (zigzag)
  want += std::string("\x08\0\0\0\0\0\0\0", 8);  // bits: word 0 has bit 3
  want += std::string(8, '\0');                  // word 1
  want += "\xd0\x0f";                            // word 0 time
  want += std::string("\0\0\0", 3);              // other words' times
  EXPECT_EQ(snap[0].second, want);
  DedupWindow back(Small());
  ASSERT_OK(back.Restore(k, want));
  EXPECT_EQ(back.Begin(k, 5, 3, 1000), DedupWindow::Outcome::kDuplicate);
  EXPECT_EQ(back.Begin(k, 6, 3, 1000), DedupWindow::Outcome::kNew);
  EXPECT_FALSE(back.Restore(k, "\x01").ok());
}

// Format 1 state (no version byte, keyed by producer alone) is identity-unknown: it matches
// no identity's writes.
TEST(DedupWindowTest, LegacyStateIsIdentityUnknown) {
  std::string legacy;
  legacy += "\x80\x01";  // window 128
  legacy += '\x03';      // high
  legacy += "\xd0\x0f";  // last active
  legacy += std::string("\x08\0\0\0\0\0\0\0", 8);
  legacy += std::string(8, '\0');
  legacy += "\xd0\x0f";
  legacy += std::string("\0\0\0", 3);
  DedupWindow w(Small());
  ASSERT_OK(w.RestoreLegacy("p", legacy));
  EXPECT_EQ(w.producers(), 1u);
  EXPECT_EQ(w.Begin(DedupWindow::Key("", "p"), 0, 3, 1000), DedupWindow::Outcome::kDuplicate);
  EXPECT_EQ(w.Begin(DedupWindow::Key("alice", "p"), 0, 3, 1000), DedupWindow::Outcome::kNew);
}

}  // namespace
}  // namespace telemdb::storage
