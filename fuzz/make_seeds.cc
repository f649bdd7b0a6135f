// Writes the seed corpora of every fuzz target into fuzz/corpus/<target>/ (run from the
// source root: build/fuzz/telemdb-make-seeds). The seeds are committed; rerun after a format
// change.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "storage/codec/chunk.h"
#include "storage/wal/batch_record.h"
#include "storage/wal/wal_writer.h"
#include "telemdb/v1/ingest.pb.h"
#include "util/coding.h"

namespace {

void Put(const std::string& target, const std::string& name, const std::string& bytes) {
  std::filesystem::create_directories("fuzz/corpus/" + target);
  std::ofstream out("fuzz/corpus/" + target + "/" + name, std::ios::binary);
  out << bytes;
}

}  // namespace

int main() {
  using namespace telemdb::storage;
  // Chunks of every type.
  codec::Columns f;
  f.type = ValueType::kFloat;
  for (int i = 0; i < 300; i++) {
    f.ts.push_back(1'767'225'600'000'000'000 + i * 10'000'000'000LL);
    f.floats.push_back(std::round((52.1 + std::sin(i / 9.0)) * 1e5) / 1e5);
  }
  Put("chunk_decode_fuzzer", "floats", *codec::EncodeChunk(f));
  codec::Columns n = f;
  n.type = ValueType::kInt;
  n.floats.clear();
  for (int i = 0; i < 300; i++) n.ints.push_back(i % 6);
  Put("chunk_decode_fuzzer", "ints", *codec::EncodeChunk(n));
  codec::Columns b = n;
  b.type = ValueType::kBool;
  for (auto& v : b.ints) v = v > 2;
  Put("chunk_decode_fuzzer", "bools", *codec::EncodeChunk(b));
  codec::Columns s = f;
  s.type = ValueType::kString;
  s.floats.clear();
  for (int i = 0; i < 300; i++) s.strings.push_back(i % 3 ? "idle" : "driving");
  Put("chunk_decode_fuzzer", "strings", *codec::EncodeChunk(s));
  // A compass heading over 1000 points: its deltas take the int stream's entropy layout.
  codec::Columns h = n;
  h.ts.clear();
  h.ints.clear();
  int64_t heading = 180;
  for (int i = 0; i < 1000; i++) {
    h.ts.push_back(1'767'225'600'000'000'000 + i * 10'000'000'000LL);
    heading = (heading + (i * i * 7919) % 41 - 20 + 360) % 360;
    h.ints.push_back(heading);
  }
  Put("chunk_decode_fuzzer", "entropy", *codec::EncodeChunk(h));

  // A WAL segment with a write and a delete record.
  std::vector<SeriesBatch> groups(1);
  groups[0].timestamps = {1, 2, 3};
  FieldColumn c{"v", ValueType::kFloat};
  c.floats = {1.5, 2.5, 3.5};
  c.valid = {1, 0, 1};
  groups[0].fields.push_back(c);
  std::string payload;
  wal::EncodeWriteRecord({"gw", 7, 1000}, {{5, ValueType::kFloat, std::string("m\0\0v", 4)}},
                         groups, {{5}}, &payload);
  std::string segment("TMDBWAL\x01", 8);
  telemdb::PutFixed64(&segment, 1);
  wal::AppendRecord(&segment, wal::RecordType::kWriteBatch, 0, payload);
  std::string del;
  wal::EncodeDeleteRecord({{5, 6}, 10, 20, false}, &del);
  wal::AppendRecord(&segment, wal::RecordType::kDelete, 0, del);
  Put("wal_reader_fuzzer", "segment", segment);
  Put("wal_reader_fuzzer", "write_payload", payload);

  // Line protocol and queries.
  Put("lineproto_fuzzer", "fleet",
      "readings,fleet=East,name=truck_7 latitude=52.1,velocity=54i,ok=t,state=\"idle\" "
      "1767225600000000000\n# comment\nm\\ ,k\\=1=v\\,x f=-1.5e3 1767225600\n");
  Put("query_parser_fuzzer", "select",
      "SELECT mean(velocity) AS v, percentile(x, 95) FROM readings WHERE fleet =~ /E.*/ AND "
      "(name = 'a' OR name != 'b') AND time >= now() - 1h GROUP BY time(1m, 10s), fleet "
      "FILL(previous) ORDER BY time DESC LIMIT 10 SLIMIT 2");
  Put("query_parser_fuzzer", "show", "SHOW TAG VALUES FROM readings WITH KEY = name;");
  Put("query_parser_fuzzer", "delete", "DELETE FROM m WHERE device = 'x' AND time < '2026-01-01'");

  // A WriteRequest with every column type and both missing-value forms.
  telemdb::v1::WriteRequest req;
  req.set_producer_id("gw");
  req.set_sequence(3);
  auto* series = req.add_series();
  series->set_measurement("readings");
  auto* tag = series->add_tags();
  tag->set_key("device");
  tag->set_value("truck_1");
  for (int i = 0; i < 4; i++) series->add_timestamps(1'767'225'600'000'000'000 + i);
  auto* d = series->add_fields();
  d->set_name("v");
  for (int i = 0; i < 4; i++) d->mutable_doubles()->add_values(i * 1.5);
  d->set_validity(std::string(1, '\x0b'));
  auto* st = series->add_fields();
  st->set_name("state");
  for (int i = 0; i < 4; i++) st->mutable_strings()->add_values("idle");
  st->add_missing_rows(2);
  auto* in = series->add_fields();
  in->set_name("n");
  for (int i = 0; i < 4; i++) in->mutable_ints()->add_values(i);
  auto* bo = series->add_fields();
  bo->set_name("ok");
  for (int i = 0; i < 4; i++) bo->mutable_bools()->add_values(i % 2);
  Put("write_request_fuzzer", "request", req.SerializeAsString());
  std::printf("seeds written under fuzz/corpus/\n");
  return 0;
}
