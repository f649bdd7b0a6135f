#include "storage/head/head_stream.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "util/coding.h"

namespace telemdb::storage {
namespace {

constexpr int kMaxExp = 18;
constexpr double kPow10[kMaxExp + 1] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                                        1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
constexpr double kExactLimit = 9007199254740992.0;  // 2^53
constexpr int kSwitchToXor = 31;                    // rescale target meaning "XOR from here"
constexpr int kEscapeOnes = 6;                      // '111111' escapes a value code

inline uint64_t LoadBE(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return __builtin_bswap64(w);
}
inline void StoreBE(uint8_t* p, uint64_t w) {
  w = __builtin_bswap64(w);
  std::memcpy(p, &w, 8);
}
inline uint64_t Mask(int n) { return n >= 64 ? ~0ULL : (1ULL << n) - 1; }

// True when `v` is exactly round(v*10^e) / 10^e; sets the scaled integer.
inline bool ScaleExact(double v, int e, int64_t* out) {
  double scaled = v * kPow10[e];
  if (!(std::fabs(scaled) < kExactLimit)) return false;  // false for NaN too
  auto s = static_cast<int64_t>(std::nearbyint(scaled));
  double back = static_cast<double>(s) / kPow10[e];
  if (std::bit_cast<uint64_t>(back) != std::bit_cast<uint64_t>(v)) return false;
  *out = s;
  return true;
}

class BitReader {
 public:
  explicit BitReader(const uint8_t* buf) : buf_(buf) {}
  uint64_t Get(int n) {
    if (n == 0) return 0;
    if (n > 56) {
      uint64_t hi = Get(n - 32);
      return (hi << 32) | Get(32);
    }
    uint64_t w = LoadBE(buf_ + (pos_ >> 3)) << (pos_ & 7);
    pos_ += static_cast<uint32_t>(n);
    return w >> (64 - n);
  }
  bool Bit() { return Get(1) != 0; }
  // Counts leading 1 bits, consuming them and the terminating 0 (not consumed at `max`).
  int Ones(int max) {
    int n = 0;
    while (n < max && Bit()) n++;
    return n;
  }

 private:
  const uint8_t* buf_;
  uint32_t pos_ = 0;
};

// Value code: '0' | '10'+7 | '110'+12 | '1110'+20 | '11110'+32 | '111110'+64 | '111111' escape.
constexpr int kCodeBits[] = {0, 7, 12, 20, 32, 64};

uint64_t GetUnsignedCode(BitReader* r, int ones) { return r->Get(kCodeBits[ones]); }

}  // namespace

HeadStream::~HeadStream() { std::free(buf_); }

HeadStream::HeadStream(HeadStream&& o) noexcept { *this = std::move(o); }

HeadStream& HeadStream::operator=(HeadStream&& o) noexcept {
  if (this == &o) return *this;
  std::free(buf_);
  std::memcpy(static_cast<void*>(this), &o, sizeof(HeadStream));
  o.buf_ = nullptr;
  o.cap_ = 0;
  o.Clear();
  return *this;
}

void HeadStream::Clear() {
  std::free(buf_);
  Kind k = kind_;
  buf_ = nullptr;
  cap_ = nbits_ = count_ = 0;
  kind_ = k;
  float_mode_ = kDecimal;
  exp_ = 0;
  exceptions_ = 0;
  xor_lead_ = 0xff;
  xor_trail_ = 0;
  first_ts_ = last_ts_ = last_delta_ = last_value_ = 0;
}

void HeadStream::Reserve(uint64_t more_bits) {
  uint64_t need = (nbits_ + more_bits + 7) / 8 + 8;
  if (need <= cap_) return;
  uint64_t grown = cap_ + cap_ / 4;
  uint64_t cap = std::max<uint64_t>({need, grown, 32});
  cap = (cap + 15) & ~uint64_t{15};
  auto* p = static_cast<uint8_t*>(std::realloc(buf_, cap));
  if (p == nullptr) std::abort();  // out of memory: the head budget exists to prevent this
  std::memset(p + cap_, 0, cap - cap_);
  buf_ = p;
  cap_ = static_cast<uint32_t>(cap);
}

void HeadStream::Put(uint64_t value, int n) {
  if (n == 0) return;
  if (n > 56) {
    Put(value >> 32, n - 32);
    Put(value & 0xffffffffULL, 32);
    return;
  }
  uint8_t* p = buf_ + (nbits_ >> 3);
  int off = static_cast<int>(nbits_ & 7);
  StoreBE(p, LoadBE(p) | ((value & Mask(n)) << (64 - off - n)));
  nbits_ += static_cast<uint32_t>(n);
}

void HeadStream::PutUnsignedCode(uint64_t u) {
  if (u == 0) {
    Put(0, 1);
  } else if (u < (1ULL << 7)) {
    Put(0b10, 2);
    Put(u, 7);
  } else if (u < (1ULL << 12)) {
    Put(0b110, 3);
    Put(u, 12);
  } else if (u < (1ULL << 20)) {
    Put(0b1110, 4);
    Put(u, 20);
  } else if (u < (1ULL << 32)) {
    Put(0b11110, 5);
    Put(u, 32);
  } else {
    Put(0b111110, 6);
    Put(u, 64);
  }
}

void HeadStream::Append(int64_t ts, uint64_t bits) {
  Reserve(192);
  if (count_ == 0) {
    Put(static_cast<uint64_t>(ts), 64);
    first_ts_ = ts;
  } else {
    uint64_t delta = static_cast<uint64_t>(ts) - static_cast<uint64_t>(last_ts_);
    uint64_t u = ZigZagEncode(static_cast<int64_t>(delta - static_cast<uint64_t>(last_delta_)));
    if (u == 0) {
      Put(0, 1);
    } else if (u < (1ULL << 8)) {
      Put(0b10, 2);
      Put(u, 8);
    } else if (u < (1ULL << 16)) {
      Put(0b110, 3);
      Put(u, 16);
    } else if (u < (1ULL << 32)) {
      Put(0b1110, 4);
      Put(u, 32);
    } else {
      Put(0b1111, 4);
      Put(u, 64);
    }
    last_delta_ = static_cast<int64_t>(delta);
  }
  last_ts_ = ts;
  switch (kind_) {
    case Kind::kFloat:
      AppendFloat(bits);
      break;
    case Kind::kInt: {
      uint64_t d = bits - static_cast<uint64_t>(last_value_);
      PutUnsignedCode(ZigZagEncode(static_cast<int64_t>(d)));
      last_value_ = static_cast<int64_t>(bits);
      break;
    }
    case Kind::kBool:
      Put(bits & 1, 1);
      break;
  }
  count_++;
}

void HeadStream::AppendFloat(uint64_t bits) {
  if (float_mode_ == kXorPending) {
    Put(Mask(kEscapeOnes), kEscapeOnes);
    Put(1, 1);
    Put(kSwitchToXor, 5);
    float_mode_ = kXor;
  }
  if (float_mode_ == kXor) {
    AppendXor(bits);
    return;
  }
  double v = std::bit_cast<double>(bits);
  int64_t s;
  if (ScaleExact(v, exp_, &s)) {
    PutUnsignedCode(ZigZagEncode(
        static_cast<int64_t>(static_cast<uint64_t>(s) - static_cast<uint64_t>(last_value_))));
    last_value_ = s;
    return;
  }
  for (int e = exp_ + 1; e <= kMaxExp; e++) {
    if (!ScaleExact(v, e, &s)) continue;
    double prev_scaled = static_cast<double>(last_value_) * kPow10[e - exp_];
    if (!(std::fabs(prev_scaled) < kExactLimit)) break;
    int64_t prev = last_value_ * static_cast<int64_t>(kPow10[e - exp_]);
    Put(Mask(kEscapeOnes), kEscapeOnes);
    Put(1, 1);
    Put(static_cast<uint64_t>(e), 5);
    PutUnsignedCode(
        ZigZagEncode(static_cast<int64_t>(static_cast<uint64_t>(s) - static_cast<uint64_t>(prev))));
    exp_ = static_cast<int8_t>(e);
    last_value_ = s;
    return;
  }
  // An exception: raw bits; the scaled predecessor stays as it was.
  Put(Mask(kEscapeOnes), kEscapeOnes);
  Put(0, 1);
  Put(bits, 64);
  if (exceptions_ < 255) exceptions_++;
  // Mostly exceptions early on: not decimal data. The next value switches to XOR coding,
  // starting from this one.
  if (count_ < 32 && exceptions_ >= 8) {
    float_mode_ = kXorPending;
    last_value_ = static_cast<int64_t>(bits);
  }
}

void HeadStream::AppendXor(uint64_t bits) {
  uint64_t x = bits ^ static_cast<uint64_t>(last_value_);
  last_value_ = static_cast<int64_t>(bits);
  if (x == 0) {
    Put(0, 1);
    return;
  }
  int lead = std::min(__builtin_clzll(x), 31);
  int trail = __builtin_ctzll(x);
  if (xor_lead_ != 0xff && lead >= xor_lead_ && trail >= xor_trail_) {
    Put(0b10, 2);
    int len = 64 - xor_lead_ - xor_trail_;
    Put(x >> xor_trail_, len);
    return;
  }
  int len = 64 - lead - trail;
  Put(0b11, 2);
  Put(static_cast<uint64_t>(lead), 5);
  Put(static_cast<uint64_t>(len - 1), 6);
  Put(x >> trail, len);
  xor_lead_ = static_cast<uint8_t>(lead);
  xor_trail_ = static_cast<uint8_t>(trail);
}

void HeadStream::Decode(std::vector<int64_t>* ts_out, std::vector<uint64_t>* bits_out) const {
  if (count_ == 0) return;
  ts_out->reserve(ts_out->size() + count_);
  bits_out->reserve(bits_out->size() + count_);
  BitReader r(buf_);
  uint64_t ts = 0, delta = 0;
  int64_t value = 0;
  int exp = 0;
  bool xor_mode = false;
  int lead = 0, trail = 0;
  for (uint32_t i = 0; i < count_; i++) {
    if (i == 0) {
      ts = r.Get(64);
    } else {
      int ones = r.Ones(4);
      static constexpr int kTsBits[] = {0, 8, 16, 32, 64};
      uint64_t u = r.Get(kTsBits[ones]);
      delta += static_cast<uint64_t>(ZigZagDecode(u));
      ts += delta;
    }
    ts_out->push_back(static_cast<int64_t>(ts));
    uint64_t out = 0;
    switch (kind_) {
      case Kind::kBool:
        out = r.Get(1);
        break;
      case Kind::kInt: {
        int ones = r.Ones(kEscapeOnes);  // ints never use the escape
        value =
            static_cast<int64_t>(static_cast<uint64_t>(value) +
                                 static_cast<uint64_t>(ZigZagDecode(GetUnsignedCode(&r, ones))));
        out = static_cast<uint64_t>(value);
        break;
      }
      case Kind::kFloat: {
        while (true) {
          if (xor_mode) {
            uint64_t x = 0;
            if (r.Bit()) {
              if (r.Bit()) {
                lead = static_cast<int>(r.Get(5));
                int len = static_cast<int>(r.Get(6)) + 1;
                trail = 64 - lead - len;
                x = r.Get(len) << trail;
              } else {
                x = r.Get(64 - lead - trail) << trail;
              }
            }
            value = static_cast<int64_t>(static_cast<uint64_t>(value) ^ x);
            out = static_cast<uint64_t>(value);
            break;
          }
          int ones = r.Ones(kEscapeOnes);
          if (ones < kEscapeOnes) {
            value = static_cast<int64_t>(
                static_cast<uint64_t>(value) +
                static_cast<uint64_t>(ZigZagDecode(GetUnsignedCode(&r, ones))));
            out = std::bit_cast<uint64_t>(static_cast<double>(value) / kPow10[exp]);
            break;
          }
          if (!r.Bit()) {  // exception
            out = r.Get(64);
            break;
          }
          int e = static_cast<int>(r.Get(5));
          if (e == kSwitchToXor) {
            xor_mode = true;
            value = static_cast<int64_t>(bits_out->back());
            continue;  // this point's value follows in XOR code
          }
          value *= static_cast<int64_t>(kPow10[e - exp]);
          exp = e;
          int ones2 = r.Ones(kEscapeOnes);
          value =
              static_cast<int64_t>(static_cast<uint64_t>(value) +
                                   static_cast<uint64_t>(ZigZagDecode(GetUnsignedCode(&r, ones2))));
          out = std::bit_cast<uint64_t>(static_cast<double>(value) / kPow10[exp]);
          break;
        }
        break;
      }
    }
    bits_out->push_back(out);
  }
}

}  // namespace telemdb::storage
