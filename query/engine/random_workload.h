// The random workload of engine_random_test, shared with other suites that compare the
// engine with something (the reference evaluator; the cluster coordinator in
// query/distributed): a random data set (out of order, duplicates, sealed chunks, merged
// chunks and heads mixed) written through a RandomDataSink, and a random query generator.
#ifndef TELEMDB_QUERY_ENGINE_RANDOM_WORKLOAD_H_
#define TELEMDB_QUERY_ENGINE_RANDOM_WORKLOAD_H_

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "query/engine/engine_test_util.h"

namespace telemdb::query::testing {

// Where the random data goes: rows of one tag set, and the storage actions between batches.
class RandomDataSink {
 public:
  virtual ~RandomDataSink() = default;
  virtual void Write(const std::string& measurement, const storage::TagSet& tags,
                     const std::vector<Row>& rows) = 0;
  virtual void SealDue() = 0;
  virtual void Flush() = 0;
  virtual void MergeDue() = 0;
};

// Measurement m, tags dev (d0..d5) and region, fields f (float), i (int), b (bool), s (string).
inline void LoadRandomData(uint64_t seed, RandomDataSink& sink) {
  std::mt19937_64 rng(seed);
  auto uni = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  struct Ent {
    storage::TagSet tags;
    bool i, b, s;
  };
  const std::vector<Ent> ents = {
      {{{"dev", "d0"}, {"region", "r0"}}, true, true, true},
      {{{"dev", "d1"}, {"region", "r0"}}, true, false, true},
      {{{"dev", "d2"}, {"region", "r1"}}, true, true, false},
      {{{"dev", "d3"}}, true, true, true},
      {{{"dev", "d4"}, {"region", "r2"}}, false, false, true},
      {{{"dev", "d5"}, {"region", "r1"}}, true, true, false},
  };
  const char* words[] = {"idle", "run", "stop", "alarm", "a"};
  struct Pending {
    size_t ent;
    Row row;
  };
  std::vector<Pending> all;
  for (size_t e = 0; e < ents.size(); e++) {
    const int64_t n = uni(150, 450);
    int64_t counter = uni(0, 100);
    for (int64_t k = 0; k < n; k++) {
      // Mostly second-aligned readings; some at odd nanoseconds.
      int64_t ts = kT0 + uni(0, 3 * 3600 - 1) * kSec;
      if (uni(0, 9) == 0) ts += uni(1, kSec - 1);
      Row r{ts, {}};
      r.fields.emplace_back("f", storage::Value::Float(static_cast<double>(uni(0, 9999)) / 100));
      if (ents[e].i && uni(0, 5) > 0) {
        counter = uni(0, 30) == 0 ? uni(0, 10) : counter + uni(0, 20);
        r.fields.emplace_back("i", storage::Value::Int(counter));
      }
      if (ents[e].b && uni(0, 2) == 0) r.fields.emplace_back("b", storage::Value::Bool(uni(0, 1)));
      if (ents[e].s && uni(0, 2) == 0)
        r.fields.emplace_back("s", storage::Value::String(words[uni(0, 4)]));
      all.push_back({e, r});
      if (uni(0, 15) == 0) {  // a later rewrite of the same timestamp
        Row dup{ts, {{"f", storage::Value::Float(static_cast<double>(uni(0, 9999)) / 100)}}};
        all.push_back({e, dup});
      }
    }
  }
  // Mostly in time order, with a share of late points.
  std::stable_sort(all.begin(), all.end(),
                   [](const Pending& a, const Pending& b) { return a.row.ts < b.row.ts; });
  for (size_t k = 0; k + 1 < all.size(); k++) {
    if (uni(0, 9) == 0) std::swap(all[k], all[uni(k, all.size() - 1)]);
  }
  size_t pos = 0, batch = 0;
  while (pos < all.size()) {
    const size_t n = std::min<size_t>(all.size() - pos, uni(20, 200));
    for (size_t e = 0; e < ents.size(); e++) {
      std::vector<Row> rows;
      for (size_t k = pos; k < pos + n; k++) {
        if (all[k].ent == e) rows.push_back(all[k].row);
      }
      if (!rows.empty()) sink.Write("m", ents[e].tags, rows);
    }
    pos += n;
    batch++;
    const int64_t act = uni(0, 9);
    if (pos < all.size() * 9 / 10) {  // the tail stays in the head
      if (act < 3) {
        sink.SealDue();
      } else if (act == 3) {
        sink.Flush();
      } else if (act == 4 && batch % 4 == 0) {
        sink.MergeDue();
      }
    }
  }
}

inline std::string RandomQuery(std::mt19937_64& rng) {
  auto uni = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  auto pick = [&](const std::vector<std::string>& v) { return v[uni(0, v.size() - 1)]; };
  const bool aggregated = uni(0, 9) < 7;
  const bool by_time = aggregated && uni(0, 9) < 8;
  std::vector<std::string> items;
  // Small detector windows, so that the random data's few hundred points per series
  // exercise warm-up, calibration tails and the look-back.
  const std::string opts =
      "'window=20,calibration=64,neighbours=16,dim=2,suppress=10,volatility=3,short=2'";
  if (aggregated) {
    if (uni(0, 12) == 0) {
      items.push_back(absl::StrCat("distinct(", pick({"s", "i", "b", "f"}), ")"));
    } else if (uni(0, 12) == 0) {
      items.push_back(absl::StrCat(pick({"top", "bottom"}), "(", pick({"f", "i"}), ", ",
                                   pick({"1", "2", "5", "40"}), ")"));
    } else if (by_time && uni(0, 14) == 0) {
      items.push_back(absl::StrCat("anomalies(", pick({"max(f)", "count(f)", "min(i)"}), ", ",
                                   pick({"0", "0.5", "0.9"}), ", ", opts, ")"));
    } else {
      const int64_t n = uni(1, 3);
      for (int64_t k = 0; k < n; k++) {
        std::string agg;
        if (uni(0, 4) == 0) {
          agg = absl::StrCat(pick({"count", "first", "last", "mode"}), "(", pick({"b", "s"}), ")");
        } else {
          const std::string f = pick({"f", "i"});
          switch (uni(0, 15)) {
            case 0:
              agg =
                  absl::StrCat("percentile(", f, ", ", pick({"0", "10", "50", "99.9", "100"}), ")");
              break;
            case 1:
              agg = absl::StrCat("integral(", f, uni(0, 1) ? ", 1m" : "", ")");
              break;
            case 2:
              agg = absl::StrCat("predict_linear(", f, ", ", pick({"0s", "1m", "2h"}), ")");
              break;
            case 3:
              agg = absl::StrCat("time_to_threshold(", f, ", ", pick({"50", "-10", "1000"}),
                                 uni(0, 2) == 0 ? ", 'holt'" : "", ")");
              break;
            default:
              agg = absl::StrCat(pick({"count", "sum", "mean", "min", "max", "first", "last",
                                       "spread", "stddev", "median", "avg", "mode"}),
                                 "(", f, ")");
          }
          if (by_time && uni(0, 4) == 0) {
            agg = pick({absl::StrCat("derivative(", agg, ", 1m)"),
                        absl::StrCat("difference(", agg, ")"), absl::StrCat("rate(", agg, ")"),
                        absl::StrCat("moving_average(", agg, ", 3)"),
                        absl::StrCat("ewma(", agg, ", 0.3)"), absl::StrCat("zscore(", agg, ", 4)"),
                        absl::StrCat("non_negative_derivative(", agg, ", 1m)"),
                        absl::StrCat("non_negative_difference(", agg, ")"),
                        absl::StrCat("cumulative_sum(", agg, ")"),
                        absl::StrCat("elapsed(", agg, pick({"", ", 1s"}), ")")});
          } else if (by_time && uni(0, 5) == 0) {
            // Over aggregates that are exact (no summation order), so the fits see the
            // very same values as the reference's.
            const std::string exact =
                absl::StrCat(pick({"max", "min", "count", "first", "last"}), "(", f, ")");
            agg = pick({absl::StrCat("anomaly_score(", exact, ", ", opts, ")"),
                        absl::StrCat("holt_winters(", exact, ", 3, ", pick({"0", "4"}), ")"),
                        absl::StrCat("holt_winters_with_fit(", exact, ", 2, 4)"),
                        absl::StrCat("forecast(", exact, ", 4",
                                     pick({"", ", 'simple'", ", 'trend'"}), ")")});
          }
        }
        if (agg.rfind("holt", 0) != 0 && agg.rfind("forecast", 0) != 0 &&
            agg.rfind("anomaly", 0) != 0 && agg.find("(b)") == std::string::npos &&
            agg.find("(s)") == std::string::npos && uni(0, 6) == 0) {
          agg = pick({absl::StrCat(agg, " * 8"), absl::StrCat("(", agg, " - 32) * 5 / 9"),
                      absl::StrCat("100 - ", agg), absl::StrCat(agg, " / 0")});
        }
        if (uni(0, 5) == 0) absl::StrAppend(&agg, " AS x", k);
        items.push_back(agg);
      }
    }
  } else {
    if (uni(0, 12) == 0) {
      items.push_back(absl::StrCat("anomalies(", pick({"f", "i"}), ", ", pick({"0.3", "0.8"}), ", ",
                                   opts, ")"));
    } else {
      const int64_t n = uni(1, 3);
      for (int64_t k = 0; k < n; k++) {
        items.push_back(pick({"f",
                              "i",
                              "b",
                              "s",
                              "*",
                              "difference(i)",
                              "derivative(f, 1m)",
                              "rate(i)",
                              "moving_average(f, 3)",
                              "ewma(f, 0.2)",
                              "zscore(i, 5)",
                              absl::StrCat("anomaly_score(f, ", opts, ")"),
                              "non_negative_derivative(i, 1s)",
                              "non_negative_difference(f)",
                              "cumulative_sum(i)",
                              "cumulative_sum(f)",
                              "elapsed(s, 1ms)",
                              "elapsed(b)",
                              "f * 2 - 1",
                              "1 / (i - 50)",
                              "derivative(f) * 60"}));
      }
    }
  }
  std::vector<std::string> where;
  const int64_t range = uni(0, 9);
  const int64_t start = kT0 + uni(-600, 3 * 3600) * kSec + (uni(0, 1) ? uni(0, kSec) : 0);
  const int64_t end = start + uni(1, 3 * 3600) * kSec + (uni(0, 1) ? uni(0, kSec) : 0);
  if (range < 7) where.push_back(absl::StrCat("time >= ", start));
  if (range < 5 || range == 7) where.push_back(absl::StrCat("time < ", end));
  if (uni(0, 1)) {
    where.push_back(pick({"dev = 'd1'", "dev != 'd2'", "dev =~ /d[0-2]/", "region = 'r0'",
                          "region != 'r1'", "region = ''", "(dev = 'd1' OR region = 'r2')",
                          "dev !~ /^d[45]$/", "region =~ /^$|r1/"}));
  }
  if (uni(0, 3) == 0) {
    where.push_back(pick({"f > 50", "i <= 100", "s = 'run'", "b = true", "(f < 20 OR i > 500)",
                          "s =~ /a/", "(dev = 'd1' OR f > 90)", "f >= 10.5", "i != 3"}));
  }
  std::string q = absl::StrCat("SELECT ", absl::StrJoin(items, ", "), " FROM m");
  if (!where.empty()) absl::StrAppend(&q, " WHERE ", absl::StrJoin(where, " AND "));
  std::vector<std::string> group;
  if (by_time) {
    std::string t = absl::StrCat("time(", pick({"1s", "10s", "1m", "7m", "1h", "90m"}));
    if (uni(0, 3) == 0) absl::StrAppend(&t, ", ", pick({"13s", "-5m", "30m"}));
    group.push_back(t + ")");
  }
  if (uni(0, 1)) group.push_back(pick({"dev", "region", "region, dev"}));
  if (!group.empty()) absl::StrAppend(&q, " GROUP BY ", absl::StrJoin(group, ", "));
  if (by_time && uni(0, 1)) {
    absl::StrAppend(&q, " FILL(", pick({"none", "null", "previous", "linear", "0", "-1.5", "7"}),
                    ")");
  }
  if (uni(0, 2) == 0) absl::StrAppend(&q, " ORDER BY time DESC");
  if (uni(0, 2) == 0) absl::StrAppend(&q, " LIMIT ", uni(1, 20));
  if (uni(0, 4) == 0) absl::StrAppend(&q, " SLIMIT ", uni(1, 3));
  return q;
}

}  // namespace telemdb::query::testing

#endif  // TELEMDB_QUERY_ENGINE_RANDOM_WORKLOAD_H_
