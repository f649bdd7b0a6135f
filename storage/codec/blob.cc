#include "storage/codec/blob.h"

#include <memory>

#include "storage/codec/chunk_format.h"
#include "zstd.h"

namespace telemdb::storage::codec {
namespace {

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

// Contexts are reused per thread: creating one per call costs more than compressing a chunk.
ZSTD_CCtx* ThreadCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxDeleter> ctx(ZSTD_createCCtx());
  return ctx.get();
}
ZSTD_CCtx* ThreadLiteralsCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxDeleter> ctx([] {
    ZSTD_CCtx* c = ZSTD_createCCtx();
    if (c != nullptr && (ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1)) ||
                         ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_strategy, ZSTD_fast)) ||
                         ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_minMatch, 7)) ||
                         ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, 14)))) {
      ZSTD_freeCCtx(c);
      c = nullptr;
    }
    return c;
  }());
  return ctx.get();
}
ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> ctx(ZSTD_createDCtx());
  return ctx.get();
}

}  // namespace

bool ZstdCompress(std::string_view raw, int level, std::string* dst) {
  ZSTD_CCtx* ctx = ThreadCCtx();
  if (ctx == nullptr) return false;
  dst->resize(ZSTD_compressBound(raw.size()));
  const size_t n = ZSTD_compressCCtx(ctx, dst->data(), dst->size(), raw.data(), raw.size(), level);
  if (ZSTD_isError(n)) return false;
  dst->resize(n);
  return true;
}

void PutBlob(std::string_view raw, int zstd_level, std::string* out) {
  std::string comp;
  if (raw.size() >= 32 && ZstdCompress(raw, zstd_level, &comp) &&
      comp.size() + VarintLength(comp.size()) < raw.size()) {
    out->push_back(static_cast<char>(BlobCompression::kZstd));
    PutVarint64(out, raw.size());
    PutLengthPrefixed(out, comp);
    return;
  }
  out->push_back(static_cast<char>(BlobCompression::kNone));
  PutLengthPrefixed(out, raw);
}

absl::Status GetBlob(ByteReader* in, std::string* raw) {
  uint8_t kind;
  uint64_t raw_len;
  if (!in->GetByte(&kind) || !in->GetVarint64(&raw_len)) {
    return absl::DataLossError("truncated blob header");
  }
  if (raw_len > kMaxChunkRawBytes) return absl::DataLossError("blob too large");
  if (kind == static_cast<uint8_t>(BlobCompression::kNone)) {
    std::string_view bytes;
    if (!in->GetBytes(raw_len, &bytes)) return absl::DataLossError("truncated blob");
    raw->assign(bytes.data(), bytes.size());
    return absl::OkStatus();
  }
  if (kind != static_cast<uint8_t>(BlobCompression::kZstd)) {
    return absl::DataLossError("unknown blob compression");
  }
  std::string_view comp;
  if (!in->GetLengthPrefixed(&comp)) return absl::DataLossError("truncated zstd blob");
  if (raw_len > comp.size() * kMaxZstdRatio) return absl::DataLossError("implausible blob size");
  raw->resize(raw_len);
  return ZstdDecompressExact(comp, raw->data(), raw_len);
}

absl::Status ZstdDecompressExact(std::string_view comp, char* dst, size_t n) {
  ZSTD_DCtx* ctx = ThreadDCtx();
  if (ctx == nullptr) return absl::ResourceExhaustedError("zstd: cannot create context");
  const size_t got = ZSTD_decompressDCtx(ctx, dst, n, comp.data(), comp.size());
  if (ZSTD_isError(got)) {
    return absl::DataLossError(std::string("zstd: ") + ZSTD_getErrorName(got));
  }
  if (got != n) return absl::DataLossError("zstd frame size mismatch");
  return absl::OkStatus();
}

bool ZstdCompressLiterals(std::string_view raw, std::string* dst) {
  ZSTD_CCtx* ctx = ThreadLiteralsCCtx();
  if (ctx == nullptr) return false;
  dst->resize(ZSTD_compressBound(raw.size()));
  const size_t n = ZSTD_compress2(ctx, dst->data(), dst->size(), raw.data(), raw.size());
  if (ZSTD_isError(n)) return false;
  dst->resize(n);
  return true;
}

size_t ZstdCompressedSize(std::string_view raw, int level) {
  std::string comp;
  return ZstdCompress(raw, level, &comp) ? comp.size() : 0;
}

}  // namespace telemdb::storage::codec
