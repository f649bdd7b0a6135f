// telemdb-codec-bench: chunk sizes against the Gorilla and zstd-3 baselines on the NAB files,
// and encode/decode speed (points per second of thread CPU time, median of --runs) on those
// and on a synthetic fleet-like dataset. Figures only; run from the source root
// (../shared/data/nab must resolve). See README.md.
//
//   telemdb-codec-bench [--nab_dir=DIR] [--runs=N] [--vehicles=N] [--no_fleet]
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "bench/codec/baselines.h"
#include "bench/codec/fleet_data.h"
#include "storage/codec/chunk.h"
#include "storage/codec/chunk_format.h"
#include "storage/codec/testing/nab_csv.h"

namespace telemdb::bench {
namespace {

using storage::ValueType;
using storage::codec::Columns;
using storage::codec::kTargetChunkPoints;

struct Flags {
  std::string nab_dir = storage::codec::testing::kNabDir;
  int runs = 7;
  size_t vehicles = 200;
  bool fleet = true;
};

// CPU time of this thread: other processes sharing the machine do not inflate it.
double ThreadSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Splits columns into chunks of at most `chunk` points.
std::vector<Columns> Split(const Columns& c, size_t chunk) {
  std::vector<Columns> out;
  for (size_t b = 0; b < c.size(); b += chunk) {
    const size_t e = std::min(c.size(), b + chunk);
    Columns part;
    part.type = c.type;
    part.ts.assign(c.ts.begin() + b, c.ts.begin() + e);
    if (c.type == ValueType::kFloat) part.floats.assign(c.floats.begin() + b, c.floats.begin() + e);
    if (c.type != ValueType::kFloat) part.ints.assign(c.ints.begin() + b, c.ints.begin() + e);
    out.push_back(std::move(part));
  }
  return out;
}

const char* CodecName(const std::string& chunk) {
  auto h = storage::codec::DecodeChunkHeader(chunk);
  if (!h.ok()) return "?";
  if (h->type != ValueType::kFloat) return "int-stream";
  switch (h->value_codec) {
    case 1:
      return "alp";
    case 2:
      return "gorilla";
    case 3:
      return "raw-zstd";
  }
  return "?";
}

// Encodes and decodes `chunks` `runs` times; returns the encoded chunks and median speeds.
struct Timing {
  std::vector<std::string> encoded;
  size_t points = 0, bytes = 0;
  double encode_vps = 0, decode_vps = 0;
};

Timing Measure(const std::vector<Columns>& chunks, int runs) {
  Timing t;
  for (const Columns& c : chunks) t.points += c.size();
  std::vector<double> enc_s, dec_s;
  Columns out;
  for (int r = 0; r < runs; r++) {
    std::vector<std::string> encoded;
    encoded.reserve(chunks.size());
    const double t0 = ThreadSeconds();
    for (const Columns& c : chunks) {
      auto e = storage::codec::EncodeChunk(c);
      if (!e.ok()) {
        std::fprintf(stderr, "encode failed: %s\n", e.status().ToString().c_str());
        std::exit(1);
      }
      encoded.push_back(*std::move(e));
    }
    const double t1 = ThreadSeconds();
    size_t decoded = 0;
    for (const std::string& e : encoded) {
      if (!storage::codec::DecodeChunk(e, &out).ok()) {
        std::fprintf(stderr, "decode failed\n");
        std::exit(1);
      }
      decoded += out.size();
    }
    const double t2 = ThreadSeconds();
    if (decoded != t.points) std::exit(1);
    enc_s.push_back(t1 - t0);
    dec_s.push_back(t2 - t1);
    t.encoded = std::move(encoded);
  }
  for (const std::string& e : t.encoded) t.bytes += e.size();
  t.encode_vps = static_cast<double>(t.points) / Median(enc_s);
  t.decode_vps = static_cast<double>(t.points) / Median(dec_s);
  return t;
}

void RunNab(const Flags& flags) {
  auto files = storage::codec::testing::ListNabFiles(flags.nab_dir);
  if (!files.ok() || files->empty()) {
    std::fprintf(stderr, "no NAB files under %s\n", flags.nab_dir.c_str());
    std::exit(1);
  }
  std::printf("NAB: bytes per value (timestamps + values + header + CRC for ours)\n");
  std::printf("%-42s %6s %9s %9s %9s %9s  %-16s %8s %8s\n", "file", "points", "ours/8192", "ours/1",
              "gorilla", "zstd-3", "codecs", "enc Mv/s", "dec Mv/s");
  size_t tp = 0, tc = 0, to = 0, tg = 0, tz = 0;
  double enc_time = 0, dec_time = 0;
  for (const std::string& path : *files) {
    auto s = storage::codec::testing::LoadNabCsv(path);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.status().ToString().c_str());
      std::exit(1);
    }
    Columns all;
    all.type = ValueType::kFloat;
    all.ts = s->ts;
    all.floats = s->values;
    const Timing chunked = Measure(Split(all, kTargetChunkPoints), flags.runs);
    const Timing one = Measure({all}, 1);
    const size_t n = all.size();
    const size_t gorilla = GorillaBaselineBytes(s->ts, s->values);
    const size_t zstd = ZstdBaselineBytes(s->values);
    std::map<std::string, int> codecs;
    for (const std::string& e : chunked.encoded) codecs[CodecName(e)]++;
    std::string codec_list;
    for (const auto& [name, count] : codecs) {
      codec_list += (codec_list.empty() ? "" : ",") + name + "x" + std::to_string(count);
    }
    const double dn = static_cast<double>(n);
    std::printf("%-42s %6zu %9.3f %9.3f %9.3f %9.3f  %-16s %8.1f %8.1f\n", s->name.c_str(), n,
                chunked.bytes / dn, one.bytes / dn, gorilla / dn, zstd / dn, codec_list.c_str(),
                chunked.encode_vps / 1e6, chunked.decode_vps / 1e6);
    tp += n;
    tc += chunked.bytes;
    to += one.bytes;
    tg += gorilla;
    tz += zstd;
    enc_time += dn / chunked.encode_vps;
    dec_time += dn / chunked.decode_vps;
  }
  const double dn = static_cast<double>(tp);
  std::printf("%-42s %6zu %9.3f %9.3f %9.3f %9.3f  %-16s %8.1f %8.1f\n\n", "TOTAL", tp, tc / dn,
              to / dn, tg / dn, tz / dn, "", dn / enc_time / 1e6, dn / dec_time / 1e6);
}

void RunFleet(const Flags& flags) {
  const std::vector<FleetSeries> fleet = GenerateFleet(flags.vehicles, /*hours=*/24, /*seed=*/1);
  std::map<std::string, std::vector<Columns>> by_field;
  std::vector<Columns> all_chunks;
  for (const FleetSeries& s : fleet) {
    for (Columns& c : Split(s.cols, kTargetChunkPoints)) {
      by_field[s.field].push_back(c);
      all_chunks.push_back(std::move(c));
    }
  }
  std::printf("Fleet (bench/fleet generator): %zu trucks x 24 h at 10 s, %zu series, chunks of %u\n",
              flags.vehicles, fleet.size(), kTargetChunkPoints);
  std::printf("%-10s %10s %9s %9s %9s  %-16s %8s %8s\n", "field", "points", "ours", "gorilla",
              "zstd-3", "codecs", "enc Mv/s", "dec Mv/s");
  const int runs = std::max(1, flags.runs / 2);
  for (const auto& [field, chunks] : by_field) {
    const Timing t = Measure(chunks, runs);
    size_t gorilla = 0, zstd = 0;
    std::map<std::string, int> codecs;
    for (const Columns& c : chunks) {
      std::vector<double> v = c.floats;
      if (c.type != ValueType::kFloat) v.assign(c.ints.begin(), c.ints.end());
      gorilla += GorillaBaselineBytes(c.ts, v);
      zstd += ZstdBaselineBytes(v);
    }
    for (const std::string& e : t.encoded) codecs[CodecName(e)]++;
    std::string codec_list;
    for (const auto& [name, count] : codecs) {
      codec_list += (codec_list.empty() ? "" : ",") + name + "x" + std::to_string(count);
    }
    const double dn = static_cast<double>(t.points);
    std::printf("%-10s %10zu %9.3f %9.3f %9.3f  %-16s %8.1f %8.1f\n", field.c_str(), t.points,
                t.bytes / dn, gorilla / dn, zstd / dn, codec_list.c_str(), t.encode_vps / 1e6,
                t.decode_vps / 1e6);
  }
  const Timing t = Measure(all_chunks, runs);
  std::printf("%-10s %10zu %9.3f %9s %9s  %-16s %8.1f %8.1f\n", "TOTAL", t.points,
              static_cast<double>(t.bytes) / t.points, "", "", "", t.encode_vps / 1e6,
              t.decode_vps / 1e6);
  // Small chunks, as a head flushes for sparse series: per-chunk costs dominate.
  constexpr size_t kSmallChunk = 128;
  std::vector<Columns> small;
  for (size_t i = 0; i < fleet.size() && i < 60; i++) {
    for (Columns& c : Split(fleet[i].cols, kSmallChunk)) small.push_back(std::move(c));
  }
  const Timing ts = Measure(small, runs);
  std::printf("%-10s %10zu %9.3f %9s %9s  %-16s %8.1f %8.1f\n", "TOTAL@128", ts.points,
              static_cast<double>(ts.bytes) / ts.points, "", "", "", ts.encode_vps / 1e6,
              ts.decode_vps / 1e6);
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    if (std::strncmp(a, "--nab_dir=", 10) == 0) {
      f.nab_dir = a + 10;
    } else if (std::strncmp(a, "--runs=", 7) == 0) {
      f.runs = std::max(1, std::atoi(a + 7));
    } else if (std::strncmp(a, "--vehicles=", 11) == 0) {
      f.vehicles = static_cast<size_t>(std::max(1, std::atoi(a + 11)));
    } else if (std::strcmp(a, "--no_fleet") == 0) {
      f.fleet = false;
    } else {
      std::fprintf(stderr, "usage: %s [--nab_dir=DIR] [--runs=N] [--vehicles=N] [--no_fleet]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  return f;
}

}  // namespace
}  // namespace telemdb::bench

int main(int argc, char** argv) {
  const telemdb::bench::Flags flags = telemdb::bench::ParseFlags(argc, argv);
  telemdb::bench::RunNab(flags);
  if (flags.fleet) telemdb::bench::RunFleet(flags);
  return 0;
}
