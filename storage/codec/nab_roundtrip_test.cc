// Every NAB file round-trips bit-exactly, chunked at kTargetChunkPoints and as one chunk.
#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/codec/chunk.h"
#include "storage/codec/chunk_format.h"
#include "storage/codec/gorilla.h"
#include "storage/codec/testing/codec_test_util.h"
#include "storage/codec/testing/nab_csv.h"
#include "util/status_matchers.h"

namespace telemdb::storage::codec {
namespace {

using testing::FloatColumns;
using testing::SameColumns;

TEST(NabRoundTripTest, EveryFileRoundTripsBitExactly) {
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> files, testing::ListNabFiles(testing::kNabDir));
  ASSERT_GE(files.size(), 7u) << "NAB data missing under " << testing::kNabDir;
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    ASSERT_OK_AND_ASSIGN(testing::NabSeries s, testing::LoadNabCsv(path));
    ASSERT_GT(s.ts.size(), 1000u);
    const size_t n = s.ts.size();
    size_t chunked_bytes = 0;
    for (size_t chunk : {size_t{kTargetChunkPoints}, n}) {
      for (size_t b = 0; b < n; b += chunk) {
        const size_t e = std::min(n, b + chunk);
        const Columns in =
            FloatColumns(std::vector<int64_t>(s.ts.begin() + b, s.ts.begin() + e),
                         std::vector<double>(s.values.begin() + b, s.values.begin() + e));
        ASSERT_OK_AND_ASSIGN(std::string enc, EncodeChunk(in));
        if (chunk == kTargetChunkPoints) chunked_bytes += enc.size();
        Columns out;
        ASSERT_OK(DecodeChunk(enc, &out));
        ASSERT_TRUE(SameColumns(out, in));
      }
    }
    // Sanity bound only; bench/codec reports the figures against both baselines.
    EXPECT_LT(chunked_bytes, GorillaBits(s.values.data(), n) / 8);
  }
}

}  // namespace
}  // namespace telemdb::storage::codec
