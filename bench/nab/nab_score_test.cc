// The NAB scorer against hand-computed scores, and the corpus loader on a small corpus.
#include "bench/nab/nab_score.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include "bench/nab/baselines.h"
#include "bench/nab/nab_corpus.h"
#include "gtest/gtest.h"
#include "util/temp_dir.h"

namespace telemdb::nab {
namespace {

NabFile File(int64_t rows, std::vector<Window> windows) {
  NabFile f;
  f.category = "c";
  f.name = "f";
  for (int64_t i = 0; i < rows; i++) {
    f.ts_ns.push_back(i);
    f.values.push_back(0);
    f.timestamps.push_back("t");
    f.value_texts.push_back("0");
  }
  f.windows = std::move(windows);
  return f;
}

TEST(NabScoreTest, SigmoidAndProbation) {
  EXPECT_DOUBLE_EQ(ScaledSigmoid(0), 0);
  EXPECT_NEAR(ScaledSigmoid(-1), 2 / (1 + std::exp(-5.0)) - 1, 1e-15);
  EXPECT_EQ(ScaledSigmoid(3.01), -1);
  EXPECT_LT(ScaledSigmoid(3), -0.99);
  EXPECT_EQ(ProbationRows(4032), 604);
  EXPECT_EQ(ProbationRows(22695), 750);
  EXPECT_EQ(ProbationRows(10), 1);
}

TEST(NabScoreTest, HandComputedScoreAtAThreshold) {
  // 1000 rows, probation 150, one window [400, 499] of width 100.
  std::vector<NabFile> files = {File(1000, {{400, 499}})};
  std::vector<std::vector<double>> s(1, std::vector<double>(1000, 0.0));
  s[0][100] = 1;  // probationary: ignored
  s[0][200] = 1;  // false positive before any window: -fp
  s[0][450] = 1;  // earliest detection in the window
  s[0][460] = 1;  // later in the same window: nothing
  s[0][600] = 1;  // after the window: fp * sigma(|600 - 499| / 99)
  const Profile& standard = NabProfiles()[0];
  const ProfileResult r = ScoreAtThreshold(files, s, standard, 0.5);
  const double tp = ScaledSigmoid(-(499.0 - 450 + 1) / 100) / ScaledSigmoid(-1);
  const double fp_after = 0.11 * ScaledSigmoid(101.0 / 99);
  EXPECT_NEAR(r.raw, tp - 0.11 + fp_after, 1e-12);
  ASSERT_EQ(r.files.size(), 1u);
  EXPECT_EQ(r.files[0].detected, 1);
  EXPECT_EQ(r.files[0].false_positives, 2);
  EXPECT_EQ(r.files[0].first_offset, std::vector<int64_t>{50});
  EXPECT_EQ(r.detections, 4);
  EXPECT_DOUBLE_EQ(r.null_raw, -1);
  EXPECT_DOUBLE_EQ(r.perfect_raw, 1);
  EXPECT_NEAR(r.normalized, 100 * (r.raw + 1) / 2, 1e-12);
  // Detecting at the window's first row is worth exactly tp.
  s[0][450] = s[0][460] = 0;
  s[0][400] = 1;
  EXPECT_NEAR(ScoreAtThreshold(files, s, standard, 0.5).raw, 1 - 0.11 + fp_after, 1e-12);
}

TEST(NabScoreTest, SweepPicksTheBestThresholdAndBaselinesAreZeroAndHundred) {
  std::vector<NabFile> files = {File(1000, {{400, 499}}), File(2000, {{900, 1099}, {1500, 1599}}),
                                File(800, {})};
  std::vector<std::vector<double>> never;
  std::vector<std::vector<double>> perfect;
  for (const NabFile& f : files) {
    never.push_back(NeverFiresScores(static_cast<size_t>(f.rows())));
    std::vector<double> p(static_cast<size_t>(f.rows()), 0.0);
    for (const Window& w : f.windows) p[static_cast<size_t>(w.first)] = 1;
    perfect.push_back(p);
  }
  for (const Profile& p : NabProfiles()) {
    EXPECT_DOUBLE_EQ(ScoreCorpus(files, never, p).normalized, 0) << p.name;
    const ProfileResult r = ScoreCorpus(files, perfect, p);
    EXPECT_NEAR(r.normalized, 100, 1e-9) << p.name;
    EXPECT_EQ(r.threshold, 1);
  }
  // Scores: two good detections at 0.9, a false positive at 0.95, noise at 0.5 everywhere
  // else after row 160. The best threshold keeps 0.9 (and the 0.95 FP), not 0.5.
  std::vector<std::vector<double>> s;
  for (const NabFile& f : files) {
    std::vector<double> v(static_cast<size_t>(f.rows()), 0.0);
    for (int64_t i = 160; i < f.rows(); i++) v[static_cast<size_t>(i)] = 0.5;
    s.push_back(v);
  }
  s[0][420] = 0.9;
  s[1][950] = 0.9;
  s[2][300] = 0.95;
  const ProfileResult r = ScoreCorpus(files, s, NabProfiles()[0]);
  EXPECT_EQ(r.threshold, 0.9);
  EXPECT_EQ(r.detections, 3);
  const ProfileResult at = ScoreAtThreshold(files, s, NabProfiles()[0], 0.9);
  EXPECT_NEAR(r.raw, at.raw, 1e-12);
  EXPECT_GT(r.raw, ScoreAtThreshold(files, s, NabProfiles()[0], 0.5).raw);
  EXPECT_GT(r.raw, ScoreAtThreshold(files, s, NabProfiles()[0], 0.95).raw);
}

TEST(NabCorpusTest, LoadsFilesAndTurnsWindowsIntoRows) {
  EXPECT_EQ(*ParseNabTime("1970-01-01 00:00:01"), 1'000'000'000);
  EXPECT_EQ(*ParseNabTime("2014-04-10 07:15:00.000000"), *ParseNabTime("2014-04-10 07:15:00"));
  EXPECT_EQ(*ParseNabTime("2000-03-01 00:00:00") - *ParseNabTime("2000-02-28 00:00:00"),
            2 * 86400 * 1'000'000'000LL);  // a leap year
  EXPECT_FALSE(ParseNabTime("2014-13-01 00:00:00").ok());
  EXPECT_FALSE(ParseNabTime("yesterday").ok());

  TempDir tmp;
  std::filesystem::create_directories(tmp.path() + "/data/cat");
  std::filesystem::create_directories(tmp.path() + "/labels");
  std::ofstream(tmp.path() + "/data/cat/a.csv")
      << "timestamp,value\n2014-01-01 00:00:00,1.5\n2014-01-01 00:05:00,2\n"
         "2014-01-01 00:10:00,3\n2014-01-01 00:15:00,4e-2\n";
  std::ofstream(tmp.path() + "/labels/combined_windows.json")
      << R"({"cat/a.csv": [["2014-01-01 00:04:00.000000", "2014-01-01 00:10:00.000000"]]})";
  auto corpus = LoadNabCorpus(tmp.path());
  ASSERT_TRUE(corpus.ok()) << corpus.status();
  ASSERT_EQ(corpus->size(), 1u);
  const NabFile& f = (*corpus)[0];
  EXPECT_EQ(f.key(), "cat/a.csv");
  EXPECT_EQ(f.values, (std::vector<double>{1.5, 2, 3, 0.04}));
  EXPECT_EQ(f.value_texts[3], "4e-2");
  EXPECT_EQ(f.timestamps[1], "2014-01-01 00:05:00");
  ASSERT_EQ(f.windows.size(), 1u);
  EXPECT_EQ(f.windows[0].first, 1);
  EXPECT_EQ(f.windows[0].last, 2);

  std::ofstream(tmp.path() + "/labels/combined_windows.json") << R"({"cat/b.csv": []})";
  EXPECT_FALSE(LoadNabCorpus(tmp.path()).ok());  // labels for a file that is not there
}

}  // namespace
}  // namespace telemdb::nab
