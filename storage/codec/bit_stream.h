// MSB-first bit writer and bounds-checked bit reader, for the Gorilla codec and its baseline
// in bench/codec.
//
// The reader never reads outside its buffer: past the end it yields zero bits and remembers
// the overrun, which callers check once after a loop (overrun() => DataLoss).
// Thread safety: thread-compatible values.
#ifndef TELEMDB_STORAGE_CODEC_BIT_STREAM_H_
#define TELEMDB_STORAGE_CODEC_BIT_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace telemdb::storage::codec {

class BitWriter {
 public:
  // Appends to *out; call Finish() before using *out.
  explicit BitWriter(std::string* out) : out_(out) {}

  // Writes the low `nbits` bits of `v`, most significant first. REQUIRES: nbits <= 64 and
  // v < 2^nbits.
  void Write(uint64_t v, int nbits) {
    if (nbits == 0) return;
    const int free = 64 - fill_;
    if (nbits < free) {
      acc_ = (acc_ << nbits) | v;
      fill_ += nbits;
      return;
    }
    const int rest = nbits - free;  // bits of v that do not fit in this word
    const uint64_t head = v >> rest;
    acc_ = free == 64 ? head : (acc_ << free) | head;
    Emit(acc_, 8);
    acc_ = rest == 0 ? 0 : v & ((uint64_t{1} << rest) - 1);
    fill_ = rest;
  }
  void WriteBit(bool b) { Write(b ? 1 : 0, 1); }

  // Flushes the last partial byte (zero-padded).
  void Finish() {
    if (fill_ > 0) Emit(acc_ << (64 - fill_), (fill_ + 7) / 8);
    fill_ = 0;
    acc_ = 0;
  }

  // Bits written so far (before Finish).
  size_t bits() const { return bits_flushed_ + fill_; }

 private:
  void Emit(uint64_t word, int nbytes) {
    const uint64_t be = __builtin_bswap64(word);
    out_->append(reinterpret_cast<const char*>(&be), nbytes);
    bits_flushed_ += 64;
  }

  std::string* out_;
  uint64_t acc_ = 0;
  int fill_ = 0;
  size_t bits_flushed_ = 0;
};

class BitReader {
 public:
  explicit BitReader(std::string_view data)
      : p_(reinterpret_cast<const uint8_t*>(data.data())), n_(data.size()) {}

  // Reads `nbits` (<= 64) bits, most significant first.
  uint64_t Read(int nbits) {
    if (nbits > 32) {
      const uint64_t hi = Read32(nbits - 32);
      return (hi << 32) | Read32(32);
    }
    return Read32(nbits);
  }
  bool ReadBit() { return Read32(1) != 0; }

  bool overrun() const { return pos_ > n_ * 8; }
  // Bits consumed so far.
  size_t position() const { return pos_; }

 private:
  uint64_t Read32(int nbits) {
    if (nbits == 0) return 0;
    const size_t byte = pos_ >> 3;
    uint64_t w = 0;
    if (byte + 8 <= n_) {
      std::memcpy(&w, p_ + byte, 8);
      w = __builtin_bswap64(w);
    } else {
      for (size_t i = 0; i < 8; i++) w = (w << 8) | (byte + i < n_ ? p_[byte + i] : 0);
    }
    const uint64_t v = (w << (pos_ & 7)) >> (64 - nbits);
    pos_ += nbits;
    return v;
  }

  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0;
};

}  // namespace telemdb::storage::codec

#endif  // TELEMDB_STORAGE_CODEC_BIT_STREAM_H_
