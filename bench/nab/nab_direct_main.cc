// Development aid: scores the detector library directly (no server) on the corpus.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/nab/nab_corpus.h"
#include "bench/nab/nab_score.h"
#include "query/predict/anomaly_detector.h"

int main(int argc, char** argv) {
  using namespace telemdb;
  std::string opts = argc > 1 ? argv[1] : "";
  bool verbose = argc > 2;
  auto corpus = nab::LoadNabCorpus("../shared/data/nab-corpus");
  if (!corpus.ok()) return std::fprintf(stderr, "%s\n", corpus.status().ToString().c_str()), 1;
  if (const char* only = std::getenv("NAB_ONLY")) {
    std::vector<nab::NabFile> keep;
    for (auto& f : *corpus)
      if (f.key().find(only) != std::string::npos) keep.push_back(f);
    *corpus = keep;
  }
  auto o = predict::AnomalyOptions::Parse(opts);
  if (!o.ok()) return std::fprintf(stderr, "%s\n", o.status().ToString().c_str()), 1;
  std::vector<std::vector<double>> scores;
  for (const auto& f : *corpus) {
    predict::AnomalyDetector d(*o);
    std::vector<double> s;
    for (double v : f.values) {
      double x = d.Push(v);
      s.push_back(std::isnan(x) ? 0 : x);
    }
    scores.push_back(std::move(s));
  }
  if (const char* dump = std::getenv("NAB_DUMP")) {
    FILE* out = std::fopen(dump, "w");
    for (size_t f = 0; f < corpus->size(); f++) {
      std::fprintf(out, "%s", (*corpus)[f].key().c_str());
      for (double v : scores[f]) std::fprintf(out, " %.9g", v);
      std::fprintf(out, "\n");
    }
    std::fclose(out);
  }
  for (const auto& p : nab::NabProfiles()) {
    auto r = nab::ScoreCorpus(*corpus, scores, p);
    std::printf("%-20s score=%.2f threshold=%.8f raw=%.3f detections=%ld\n", p.name.c_str(),
                r.normalized, r.threshold, r.raw, (long)r.detections);
    if (verbose && p.name == "standard") {
      for (const auto& f : r.files) {
        std::printf("   %-55s win %ld/%ld fp %3ld raw %7.3f  offs:", f.key.c_str(),
                    (long)f.detected, (long)f.windows, (long)f.false_positives, f.raw);
        for (auto x : f.first_offset) std::printf(" %ld", (long)x);
        std::printf("\n");
      }
      for (size_t fi = 0; fi < corpus->size(); fi++) {
        const auto& file = (*corpus)[fi];
        for (const auto& w : file.windows) {
          double mx = -1;
          long at = -1;
          for (long i = w.first; i <= w.last; i++)
            if (scores[fi][i] > mx) {
              mx = scores[fi][i];
              at = i - w.first;
            }
          if (mx < r.threshold)
            std::printf("   MISS %-50s width %ld max %.6f at %ld\n", file.key().c_str(),
                        (long)w.width(), mx, at);
        }
      }
    }
  }
}
