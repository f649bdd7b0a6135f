#include "cli/output/result_writer.h"

#include <cstdio>

#include "gtest/gtest.h"
#include "util/status_matchers.h"

namespace telemdb::cli {
namespace {

// Writes a small result with `o` and returns the text.
std::string Render(const OutputOptions& o, bool empty = false) {
  char* data = nullptr;
  size_t size = 0;
  FILE* f = open_memstream(&data, &size);
  {
    OutputBuffer out(f);
    auto w = MakeResultWriter(o, &out);
    EXPECT_OK(w->Begin({{"time", ColumnRole::kTime},
                        {"fleet", ColumnRole::kTag},
                        {"mean", ColumnRole::kValue},
                        {"note", ColumnRole::kValue}}));
    if (!empty) {
      std::vector<Cell> r1 = {Cell::Time(1767225600000000000), Cell::String("East"),
                              Cell::Float(53.2), Cell::String("a,b")};
      std::vector<Cell> r2 = {Cell::Time(1767225660000000000), Cell::String("West"), Cell::Null(),
                              Cell::Null()};
      EXPECT_OK(w->Row(r1));
      EXPECT_OK(w->Row(r2));
    }
    EXPECT_OK(w->End());
  }
  std::fclose(f);
  std::string s(data, size);
  std::free(data);
  return s;
}

TEST(ResultWriterTest, Csv) {
  OutputOptions o;
  o.format = OutputFormat::kCsv;
  EXPECT_EQ(Render(o),
            "time,fleet,mean,note\n"
            "2026-01-01T00:00:00Z,East,53.2,\"a,b\"\n"
            "2026-01-01T00:01:00Z,West,,\n");
  o.epoch = TimeUnit::kSeconds;
  EXPECT_EQ(Render(o, true), "time,fleet,mean,note\n");
}

TEST(ResultWriterTest, Json) {
  OutputOptions o;
  o.format = OutputFormat::kJson;
  EXPECT_EQ(Render(o),
            "{\"columns\":[\"time\",\"fleet\",\"mean\",\"note\"],\"rows\":[\n"
            "[\"2026-01-01T00:00:00Z\",\"East\",53.2,\"a,b\"],\n"
            "[\"2026-01-01T00:01:00Z\",\"West\",null,null]\n]}\n");
  EXPECT_EQ(Render(o, true), "{\"columns\":[\"time\",\"fleet\",\"mean\",\"note\"],\"rows\":[]}\n");
}

TEST(ResultWriterTest, Jsonl) {
  OutputOptions o;
  o.format = OutputFormat::kJsonl;
  o.epoch = TimeUnit::kMilliseconds;
  EXPECT_EQ(Render(o),
            "{\"time\":1767225600000,\"fleet\":\"East\",\"mean\":53.2,\"note\":\"a,b\"}\n"
            "{\"time\":1767225660000,\"fleet\":\"West\",\"mean\":null,\"note\":null}\n");
  EXPECT_EQ(Render(o, true), "");
}

TEST(ResultWriterTest, Table) {
  OutputOptions o;
  o.format = OutputFormat::kTable;
  EXPECT_EQ(Render(o),
            "time                  fleet  mean  note\n"
            "--------------------  -----  ----  ----\n"
            "2026-01-01T00:00:00Z  East   53.2  a,b\n"
            "2026-01-01T00:01:00Z  West\n");
}

TEST(ResultWriterTest, PlotDrawsSomething) {
  OutputOptions o;
  o.plot = true;
  o.width = 60;
  o.height = 8;
  std::string s = Render(o);
  EXPECT_NE(s.find("53.2"), std::string::npos) << s;
  EXPECT_NE(s.find("fleet=East"), std::string::npos) << s;
  o.plot_ascii = true;
  s = Render(o);
  EXPECT_NE(s.find('*'), std::string::npos) << s;
}

}  // namespace
}  // namespace telemdb::cli
