// The fuzzing entry over random and mutated inputs in every build (the libFuzzer target runs
// it for longer in the sanitizer tree: fuzz/run.sh).
#include "ingest/mqtt/fuzz_entry.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace telemdb::ingest::mqtt {
namespace {

TEST(FuzzEntryTest, RandomAndMutatedInputs) {
  const std::vector<std::string> seeds = {
      std::string("\x00\x32\x00\x03\x61\x2f\x62\x00\x07{}", 11),
      "\x01"
      "f/d1/x\n[{\"ts\": 1700000000123, \"v\": 1.5, \"site\": \"s\", \"n\": 3}]",
      "\x02"
      "f/d1/x\ncpu,host=a usage=1 1700000000\n",
      "\x03"
      "f/d1/temp\n21.5",
      "\x04"
      "fleet/{fleet}/{name}/#\nfleet/a/b/c/d",
      "\x05[[broker]]\nurl = \"tcp://h:1\"\n[[subscription]]\ntopic = \"a/#\"\n"
      "measurement = \"m\"\n[subscription.json]\ntypes = { a = \"int\" }\n",
  };
  std::mt19937 rng(13);
  for (int i = 0; i < 30000; i++) {
    std::string s = seeds[rng() % seeds.size()];
    const int edits = 1 + rng() % 8;
    for (int e = 0; e < edits; e++) {
      const size_t at = s.empty() ? 0 : 1 + rng() % s.size();
      switch (rng() % 3) {
        case 0:
          if (at < s.size()) s[at] = static_cast<char>(rng());
          break;
        case 1:
          s.insert(std::min(at, s.size()), 1, static_cast<char>(rng()));
          break;
        default:
          if (at < s.size()) s.erase(at, 1 + rng() % 4);
      }
    }
    FuzzMqtt(s);
  }
  SUCCEED();  // FuzzMqtt aborts on a broken invariant
}

}  // namespace
}  // namespace telemdb::ingest::mqtt
