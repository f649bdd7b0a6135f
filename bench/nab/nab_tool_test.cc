// telemdb-nab end to end on two corpus files: a real telemdbd per file, result files in NAB's
// layout and format (timestamps and values verbatim, one row per source row, labels), the same
// scores as the detector in process, and a report with every profile and both baselines.
#include <fstream>
#include <sstream>

#include "bench/nab/nab_corpus.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server_harness.h"
#include "util/temp_dir.h"

namespace telemdb::nab {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(NabToolTest, WritesNabResultFilesFromTheServer) {
  TempDir tmp;
  const std::string corpus = "../shared/data/nab-corpus";
  tests::RunResult r = tests::RunProgram({tests::BinaryPath("bench/nab/telemdb-nab"), "--corpus",
                                          corpus, "--results", tmp.path() + "/results",
                                          "--binary-dir", tests::BinaryPath(""), "--files",
                                          "ec2_request_latency", "--check-direct"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("NAB: 1 files, 4032 rows, 3 windows"));
  EXPECT_THAT(r.out, HasSubstr("largest |server - in process| score difference: 0\n"));
  for (const char* profile : {"standard", "reward_low_FP_rate", "reward_low_FN_rate"}) {
    EXPECT_THAT(r.out, HasSubstr(std::string("telemdb      ") + profile));
    EXPECT_THAT(r.out, HasSubstr(std::string("null         ") + profile));
    EXPECT_THAT(r.out, HasSubstr(std::string("gauss3sigma  ") + profile));
  }

  auto files = LoadNabCorpus(corpus);
  ASSERT_TRUE(files.ok()) << files.status();
  const NabFile* src = nullptr;
  for (const NabFile& f : *files) {
    if (f.name == "ec2_request_latency_system_failure") src = &f;
  }
  ASSERT_NE(src, nullptr);
  for (const char* detector : {"telemdb", "null", "gauss3sigma"}) {
    const auto lines = Lines(tmp.path() + "/results/" + detector + "/realKnownCause/" + detector +
                             "_ec2_request_latency_system_failure.csv");
    ASSERT_EQ(lines.size(), static_cast<size_t>(src->rows()) + 1) << detector;
    EXPECT_EQ(lines[0], "timestamp,value,anomaly_score,label");
    int64_t labelled = 0;
    for (int64_t i = 0; i < src->rows(); i++) {
      const std::string& l = lines[static_cast<size_t>(i) + 1];
      // Timestamp and value exactly as in the source (repeated timestamps included).
      ASSERT_EQ(l.rfind(src->timestamps[i] + "," + src->value_texts[i] + ",", 0), 0u) << l;
      const size_t last = l.rfind(',');
      const double score = std::stod(l.substr(l.rfind(',', last - 1) + 1));
      EXPECT_GE(score, 0);
      EXPECT_LE(score, 1);
      EXPECT_EQ(l.substr(last + 1), src->InWindow(i) ? "1" : "0");
      labelled += src->InWindow(i);
    }
    EXPECT_GT(labelled, 0);
  }
}

}  // namespace
}  // namespace telemdb::nab
