// HeadStream: the append-only compressed (timestamp, value) stream of one series' open head
// chunk. Points are compressed as they arrive, so an active series costs a few bytes per
// point in memory rather than 16.
//
// Encoding (in-memory only, never persisted; sealing re-encodes into a chunk):
//   timestamps: first raw, then delta-of-delta in a prefix code ('0' = same interval);
//   floats:     decimal scaling where exact (v == round(v*10^e) / 10^e bit for bit) and the
//               delta of the scaled integers in a prefix code; values that do not scale are
//               raw exceptions; a stream full of exceptions switches to Gorilla XOR;
//   ints:       delta in the same prefix code; bools: one bit; strings: an index into the
//               caller's per-series dictionary, coded like ints.
//
// Thread safety: none; the owner (Head) serializes access.
#ifndef TELEMDB_STORAGE_HEAD_HEAD_STREAM_H_
#define TELEMDB_STORAGE_HEAD_HEAD_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace telemdb::storage {

class HeadStream {
 public:
  enum class Kind : uint8_t { kFloat = 0, kInt = 1, kBool = 2 };

  explicit HeadStream(Kind kind = Kind::kFloat) : kind_(kind) {}
  ~HeadStream();
  HeadStream(HeadStream&& o) noexcept;
  HeadStream& operator=(HeadStream&& o) noexcept;
  HeadStream(const HeadStream&) = delete;
  HeadStream& operator=(const HeadStream&) = delete;

  // Appends one point. `bits` is the double's bit pattern (kFloat), the int64 (kInt), or
  // 0/1 (kBool). REQUIRES: empty() || ts > last_ts().
  void Append(int64_t ts, uint64_t bits);

  // Decodes every point, appending to `ts` and `bits` in time order.
  void Decode(std::vector<int64_t>* ts, std::vector<uint64_t>* bits) const;

  uint32_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  int64_t first_ts() const { return first_ts_; }
  int64_t last_ts() const { return last_ts_; }
  // Bytes of heap memory held (capacity of the bit buffer).
  size_t heap_bytes() const { return cap_; }
  Kind kind() const { return kind_; }
  // Releases every point and the buffer; keeps the kind.
  void Clear();

 private:
  enum FloatMode : uint8_t { kDecimal = 0, kXorPending = 1, kXor = 2 };

  void Reserve(uint64_t more_bits);
  void Put(uint64_t value, int nbits);
  void PutUnsignedCode(uint64_t u);
  void AppendFloat(uint64_t bits);
  void AppendXor(uint64_t bits);

  uint8_t* buf_ = nullptr;
  uint32_t cap_ = 0;    // bytes
  uint32_t nbits_ = 0;  // bits written
  uint32_t count_ = 0;
  Kind kind_;
  FloatMode float_mode_ = kDecimal;
  int8_t exp_ = 0;          // decimal exponent of the scaled values
  uint8_t exceptions_ = 0;  // raw exceptions among the first points (mode switch heuristic)
  uint8_t xor_lead_ = 0xff, xor_trail_ = 0;
  int64_t first_ts_ = 0;
  int64_t last_ts_ = 0;
  int64_t last_delta_ = 0;
  int64_t last_value_ = 0;  // scaled decimal, int, bool, or float bits (XOR mode)
};

}  // namespace telemdb::storage

#endif  // TELEMDB_STORAGE_HEAD_HEAD_STREAM_H_
