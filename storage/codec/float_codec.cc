#include "storage/codec/float_codec.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "storage/codec/alp.h"
#include "storage/codec/blob.h"
#include "storage/codec/gorilla.h"
#include "util/coding.h"

namespace telemdb::storage::codec {
namespace {

// Sample: kSampleRuns runs of kSampleRunLength consecutive values.
constexpr size_t kSampleRuns = 4;
constexpr size_t kSampleRunLength = 64;
// Gorilla is encoded too when its estimate beats ALP's by this factor.
constexpr double kCloseRatio = 1.15;
// Try raw+zstd when the best encoding so far is worse than raw...
// ...or when fast zstd on the first kZstdSampleValues values suggests it wins anyway, as for
// periodic data. Chunks smaller than kMinZstdSample values skip the estimate.
constexpr size_t kZstdSampleValues = 512;
constexpr size_t kMinZstdSample = 256;
constexpr int kZstdSampleLevel = -1;
constexpr double kZstdSampleMargin = 0.8;

void EncodeRawZstd(const double* v, size_t n, int zstd_level, std::string* out) {
  PutBlob(std::string_view(reinterpret_cast<const char*>(v), n * sizeof(double)), zstd_level, out);
}

absl::Status DecodeRawZstd(ByteReader* in, size_t n, double* out) {
  std::string raw;
  absl::Status s = GetBlob(in, &raw);
  if (!s.ok()) return s;
  if (raw.size() != n * sizeof(double)) return absl::DataLossError("raw floats: bad size");
  std::memcpy(out, raw.data(), raw.size());
  return absl::OkStatus();
}

}  // namespace

void EncodeFloatsWith(FloatCodec codec, const double* v, size_t n, int zstd_level,
                      std::string* out) {
  switch (codec) {
    case FloatCodec::kAlp: {
      const AlpPlan plan = AlpAnalyze(v, SampleRuns(n, kSampleRuns, kSampleRunLength));
      AlpEncode(v, n, plan.exponent, out);
      return;
    }
    case FloatCodec::kGorilla:
      GorillaEncode(v, n, out);
      return;
    case FloatCodec::kRawZstd:
      EncodeRawZstd(v, n, zstd_level, out);
      return;
  }
}

FloatCodec EncodeFloats(const double* v, size_t n, int zstd_level, std::string* out) {
  const std::vector<SampleRun> sample = SampleRuns(n, kSampleRuns, kSampleRunLength);
  const AlpPlan alp = AlpAnalyze(v, sample);
  size_t sampled = 0, gorilla_bits = 0;
  for (const SampleRun& run : sample) {
    sampled += run.len;
    gorilla_bits += GorillaBits(v + run.start, run.len);
  }
  const double gorilla_est = static_cast<double>(gorilla_bits) / static_cast<double>(sampled);

  std::string best;
  FloatCodec best_codec = FloatCodec::kRawZstd;
  auto offer = [&](FloatCodec codec, std::string&& candidate) {
    if (best.empty() || candidate.size() < best.size()) {
      best = std::move(candidate);
      best_codec = codec;
    }
  };
  // ALP is cheap and usually wins: encode it whenever some value scales. Sample estimates are
  // coarse (a sample can miss a stretch of exceptions), so Gorilla must clearly win on the
  // sample to be tried as well.
  if (alp.bits_per_value < std::numeric_limits<double>::infinity()) {
    std::string s;
    AlpEncode(v, n, alp.exponent, &s);
    offer(FloatCodec::kAlp, std::move(s));
  }
  if (best.empty() || gorilla_est * kCloseRatio < alp.bits_per_value) {
    std::string s;
    GorillaEncode(v, n, &s);
    offer(FloatCodec::kGorilla, std::move(s));
  }
  const double best_bits = static_cast<double>(best.size()) * 8 / static_cast<double>(n);
  bool try_zstd = best_bits > 64;  // worse than raw: raw+zstd stores raw at worst
  if (!try_zstd && n >= kMinZstdSample && best_bits > 1) {
    const size_t sampled_values = std::min(n, kZstdSampleValues);
    const size_t z = ZstdCompressedSize(
        std::string_view(reinterpret_cast<const char*>(v), sampled_values * sizeof(double)),
        kZstdSampleLevel);
    try_zstd = z > 0 && static_cast<double>(z) * 8 / static_cast<double>(sampled_values) <
                            best_bits * kZstdSampleMargin;
  }
  if (try_zstd) {
    std::string s;
    EncodeRawZstd(v, n, zstd_level, &s);
    offer(FloatCodec::kRawZstd, std::move(s));
  }
  out->append(best);
  return best_codec;
}

absl::Status DecodeFloats(uint8_t codec, std::string_view block, size_t n, double* out,
                          std::vector<int64_t>* scratch) {
  ByteReader in(block);
  absl::Status s;
  switch (codec) {
    case static_cast<uint8_t>(FloatCodec::kAlp):
      s = AlpDecode(&in, n, out, scratch);
      break;
    case static_cast<uint8_t>(FloatCodec::kGorilla):
      return GorillaDecode(block, n, out);
    case static_cast<uint8_t>(FloatCodec::kRawZstd):
      s = DecodeRawZstd(&in, n, out);
      break;
    default:
      return absl::DataLossError("unknown float codec");
  }
  if (!s.ok()) return s;
  if (!in.empty()) return absl::DataLossError("trailing bytes after float block");
  return absl::OkStatus();
}

}  // namespace telemdb::storage::codec
