// Bounded gzip/zlib inflation of request bodies (zlib).
#include <zlib.h>

#include "absl/strings/str_cat.h"
#include "http/server.h"

namespace telemdb::http {

absl::StatusOr<std::string> Inflate(std::string_view in, size_t max_out) {
  z_stream zs{};
  // 15 + 32: a zlib or gzip header, detected.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return absl::InternalError("zlib inflateInit failed");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char buf[64 << 10];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return absl::InvalidArgumentError(absl::StrCat(
          "the gzip body is not valid (", zs.msg != nullptr ? zs.msg : "truncated", ")"));
    }
    const size_t n = sizeof buf - zs.avail_out;
    if (out.size() + n > max_out) {
      inflateEnd(&zs);
      return absl::ResourceExhaustedError(
          absl::StrCat("the gzip body inflates to more than ", max_out, " bytes"));
    }
    out.append(buf, n);
    if (rc == Z_OK && n == 0 && zs.avail_in == 0) {
      inflateEnd(&zs);
      return absl::InvalidArgumentError("the gzip body is truncated");
    }
  }
  inflateEnd(&zs);
  return out;
}

}  // namespace telemdb::http
