// Byte-level encodings shared by every persisted format: little-endian fixed ints, big-endian
// keys, LEB128 varints and zigzag. Decoders never read past `limit` and report failure by
// returning nullptr / false, so corrupt input cannot crash them. Thread safety: pure functions.
#ifndef TELEMDB_UTIL_CODING_H_
#define TELEMDB_UTIL_CODING_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace telemdb {

inline uint64_t ZigZagEncode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t ZigZagDecode(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

inline void PutFixed32(std::string* dst, uint32_t v) {
  char buf[4];
  std::memcpy(buf, &v, 4);  // little-endian hosts only (checked in coding.cc)
  dst->append(buf, 4);
}
inline void PutFixed64(std::string* dst, uint64_t v) {
  char buf[8];
  std::memcpy(buf, &v, 8);
  dst->append(buf, 8);
}
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline void EncodeFixed32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }
inline void EncodeFixed64(char* p, uint64_t v) { std::memcpy(p, &v, 8); }

inline void EncodeBigEndian64(char* p, uint64_t v) {
  v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}
inline uint64_t DecodeBigEndian64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}
inline void PutBigEndian64(std::string* dst, uint64_t v) {
  char buf[8];
  EncodeBigEndian64(buf, v);
  dst->append(buf, 8);
}
// Signed timestamps ordered as unsigned bytes: flip the sign bit.
inline uint64_t OrderedFromInt64(int64_t v) { return static_cast<uint64_t>(v) ^ (1ULL << 63); }
inline int64_t Int64FromOrdered(uint64_t v) { return static_cast<int64_t>(v ^ (1ULL << 63)); }

inline char* EncodeVarint64(char* dst, uint64_t v) {
  auto* p = reinterpret_cast<unsigned char*>(dst);
  while (v >= 0x80) {
    *p++ = static_cast<unsigned char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<unsigned char>(v);
  return reinterpret_cast<char*>(p);
}
inline void PutVarint64(std::string* dst, uint64_t v) {
  char buf[10];
  char* end = EncodeVarint64(buf, v);
  dst->append(buf, end - buf);
}
inline void PutVarsint64(std::string* dst, int64_t v) { PutVarint64(dst, ZigZagEncode(v)); }

// Returns the byte after the varint, or nullptr if it is truncated or longer than 10 bytes.
inline const char* GetVarint64Ptr(const char* p, const char* limit, uint64_t* value) {
  uint64_t result = 0;
  for (uint32_t shift = 0; shift <= 63 && p < limit; shift += 7) {
    uint64_t byte = static_cast<unsigned char>(*p++);
    if (byte & 0x80) {
      result |= (byte & 0x7f) << shift;
    } else {
      result |= byte << shift;
      *value = result;
      return p;
    }
  }
  return nullptr;
}

inline int VarintLength(uint64_t v) {
  int len = 1;
  while (v >= 0x80) {
    v >>= 7;
    len++;
  }
  return len;
}

// A bounds-checked cursor over a byte string. Every Get* returns false on truncation and
// then leaves the reader in an unspecified position; callers turn false into DataLoss or
// InvalidArgument with their own context.
class ByteReader {
 public:
  ByteReader(const char* p, size_t n) : p_(p), limit_(p + n) {}
  explicit ByteReader(std::string_view s) : ByteReader(s.data(), s.size()) {}

  bool GetVarint64(uint64_t* v) {
    const char* q = GetVarint64Ptr(p_, limit_, v);
    if (q == nullptr) return false;
    p_ = q;
    return true;
  }
  bool GetVarsint64(int64_t* v) {
    uint64_t u;
    if (!GetVarint64(&u)) return false;
    *v = ZigZagDecode(u);
    return true;
  }
  bool GetVarint32(uint32_t* v) {
    uint64_t u;
    if (!GetVarint64(&u) || u > UINT32_MAX) return false;
    *v = static_cast<uint32_t>(u);
    return true;
  }
  bool GetFixed32(uint32_t* v) {
    if (remaining() < 4) return false;
    *v = DecodeFixed32(p_);
    p_ += 4;
    return true;
  }
  bool GetFixed64(uint64_t* v) {
    if (remaining() < 8) return false;
    *v = DecodeFixed64(p_);
    p_ += 8;
    return true;
  }
  bool GetByte(uint8_t* v) {
    if (p_ >= limit_) return false;
    *v = static_cast<uint8_t>(*p_++);
    return true;
  }
  bool GetBytes(size_t n, std::string_view* out) {
    if (remaining() < n) return false;
    *out = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  // A varint length followed by that many bytes.
  bool GetLengthPrefixed(std::string_view* out) {
    uint64_t n;
    return GetVarint64(&n) && GetBytes(n, out);
  }
  size_t remaining() const { return static_cast<size_t>(limit_ - p_); }
  const char* position() const { return p_; }
  bool empty() const { return p_ >= limit_; }

 private:
  const char* p_;
  const char* limit_;
};

inline void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutVarint64(dst, s.size());
  dst->append(s.data(), s.size());
}

}  // namespace telemdb

#endif  // TELEMDB_UTIL_CODING_H_
