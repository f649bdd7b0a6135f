// telemdb-nab: the Numenta Anomaly Benchmark through telemdbd (bench/nab/README.md).
//
//   telemdb-nab [--corpus DIR] [--results DIR] [--binary-dir DIR] [--query TEXT]
//               [--detector NAME] [--files SUBSTRING] [--direct] [--check-direct]
//
// For each file of the corpus: a fresh telemdbd, the file written through the ingest API,
// `SELECT anomaly_score(value) FROM nab` run through the query API (nab_server.h); the scores
// go to NAB result files (result_files.h) and into the NAB score (nab_score.h), next to two
// baselines computed here: a detector that never fires and a rolling 3-sigma Gaussian.
// --direct scores with the detector library in process instead (a development aid; the
// figures we report come from the server path); --check-direct runs both and reports the
// largest difference.
#include <cmath>
#include <cstdio>
#include <map>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "bench/nab/baselines.h"
#include "bench/nab/nab_corpus.h"
#include "bench/nab/nab_score.h"
#include "bench/nab/nab_server.h"
#include "bench/nab/result_files.h"
#include "query/predict/anomaly_detector.h"

namespace telemdb::nab {
namespace {

// The detector in process, over the values in file order (the server's time order too).
std::vector<double> DirectScores(const NabFile& f, const predict::AnomalyOptions& o) {
  predict::AnomalyDetector d(o);
  std::vector<double> out;
  for (double v : f.values) out.push_back(d.Push(v));
  return out;
}

std::string Offsets(const FileOutcome& o) {
  std::string s;
  for (int64_t x : o.first_offset)
    absl::StrAppend(&s, s.empty() ? "" : " ", x < 0 ? "-" : absl::StrCat(x));
  return s.empty() ? "(none)" : s;
}

void PrintProfile(const char* detector, const ProfileResult& r) {
  std::printf("%-12s %-20s score %6.2f  threshold %-12.10g raw %8.3f  detections %ld\n", detector,
              r.profile.name.c_str(), r.normalized, r.threshold, r.raw,
              static_cast<long>(r.detections));
}

int Main(int argc, char** argv) {
  CLI::App app{"telemdb-nab: the NAB score of anomaly_score() through telemdbd"};
  std::string corpus_dir = "../shared/data/nab-corpus", results = "bench/nab/results";
  std::string detector = "telemdb", only;
  ServerScorerOptions so;
  if (const char* bin = std::getenv("TELEMDB_BINARY_DIR")) so.binary_dir = bin;
  bool direct = false, check_direct = false;
  std::string options;
  app.add_option("--corpus", corpus_dir, "NAB corpus root (data/, labels/)")->capture_default_str();
  app.add_option("--results", results, "where the result CSVs go")->capture_default_str();
  app.add_option("--binary-dir", so.binary_dir, "build directory holding server/telemdbd")
      ->capture_default_str();
  app.add_option("--query", so.query, "the scoring query")->capture_default_str();
  app.add_option("--detector", detector, "detector name in the result paths")
      ->capture_default_str();
  app.add_option("--files", only, "only files whose category/name contains this");
  app.add_flag("--direct", direct, "score with the library in process (development aid)");
  app.add_flag("--check-direct", check_direct, "also score in process and compare");
  app.add_option("--options", options, "detector options for --direct / --check-direct");
  CLI11_PARSE(app, argc, argv);

  auto opts = predict::AnomalyOptions::Parse(options);
  if (!opts.ok())
    return std::fprintf(stderr, "--options: %s\n", opts.status().ToString().c_str()), 2;
  auto corpus = LoadNabCorpus(corpus_dir);
  if (!corpus.ok()) return std::fprintf(stderr, "%s\n", corpus.status().ToString().c_str()), 2;
  std::vector<NabFile> files;
  for (NabFile& f : *corpus) {
    if (only.empty() || f.key().find(only) != std::string::npos) files.push_back(std::move(f));
  }
  int64_t windows = 0, rows = 0;
  for (const NabFile& f : files)
    windows += static_cast<int64_t>(f.windows.size()), rows += f.rows();
  std::printf("NAB: %zu files, %ld rows, %ld windows; detector %s: %s\n", files.size(),
              static_cast<long>(rows), static_cast<long>(windows), detector.c_str(),
              direct ? "in process (--direct)" : so.query.c_str());

  std::map<std::string, std::vector<std::vector<double>>> scores;
  double write_s = 0, query_s = 0, server_s = 0, max_diff = 0;
  for (const NabFile& f : files) {
    std::vector<double> s;
    if (direct) {
      s = DirectScores(f, *opts);
    } else {
      auto run = ScoreThroughServer(f, so);
      if (!run.ok())
        return std::fprintf(stderr, "%s: %s\n", f.key().c_str(), run.status().ToString().c_str()),
               1;
      write_s += run->write_seconds;
      query_s += run->query_seconds;
      server_s += static_cast<double>(run->server_elapsed_ns) * 1e-9;
      s = std::move(run->scores);
      if (check_direct) {
        const std::vector<double> d = DirectScores(f, *opts);
        for (size_t i = 0; i < s.size(); i++) {
          if (std::isnan(s[i]) != std::isnan(d[i])) max_diff = INFINITY;
          if (!std::isnan(s[i])) max_diff = std::max(max_diff, std::fabs(s[i] - d[i]));
        }
      }
    }
    scores[detector].push_back(s);
    scores["null"].push_back(NeverFiresScores(static_cast<size_t>(f.rows())));
    scores["gauss3sigma"].push_back(Gauss3SigmaScores(f.values));
  }
  if (!direct) {
    std::printf("server path: writes %.1f s, queries %.2f s wall (%.2f s in the engine)\n", write_s,
                query_s, server_s);
  }
  if (check_direct) std::printf("largest |server - in process| score difference: %g\n", max_diff);

  for (const auto& [name, per_file] : scores) {
    for (size_t i = 0; i < files.size(); i++) {
      absl::Status st = WriteResultFile(results, name, files[i], per_file[i]);
      if (!st.ok()) return std::fprintf(stderr, "%s\n", st.ToString().c_str()), 1;
    }
  }
  std::printf("result files: %s/{%s,null,gauss3sigma}/<category>/<detector>_<name>.csv\n\n",
              results.c_str(), detector.c_str());

  for (const std::string& name : {detector, std::string("null"), std::string("gauss3sigma")}) {
    for (const Profile& p : NabProfiles())
      PrintProfile(name.c_str(), ScoreCorpus(files, scores[name], p));
  }
  // The 3-sigma rule fires at score 1; when no threshold pays off, show what firing costs.
  for (const Profile& p : NabProfiles()) {
    const ProfileResult r = ScoreAtThreshold(files, scores["gauss3sigma"], p, 1.0);
    std::printf(
        "gauss3sigma  %-20s at threshold 1 (its own rule): score %6.2f raw %8.3f detections "
        "%ld\n",
        p.name.c_str(), r.normalized, r.raw, static_cast<long>(r.detections));
  }
  for (const std::string& name : {detector, std::string("gauss3sigma")}) {
    for (const Profile& p : NabProfiles()) {
      const ProfileResult r = ScoreCorpus(files, scores[name], p);
      std::printf(
          "\n%s, %s profile, threshold %.10g: per file (windows detected/labelled, first "
          "detection offset in each window, false positives, raw score)\n",
          name.c_str(), p.name.c_str(), r.threshold);
      for (const FileOutcome& o : r.files) {
        std::printf("  %-58s %ld/%ld  [%s]  fp %-3ld raw %7.3f\n", o.key.c_str(),
                    static_cast<long>(o.detected), static_cast<long>(o.windows), Offsets(o).c_str(),
                    static_cast<long>(o.false_positives), o.raw);
      }
    }
  }
  return 0;
}

}  // namespace
}  // namespace telemdb::nab

int main(int argc, char** argv) { return telemdb::nab::Main(argc, argv); }
