// StringArena: stable copies of short strings in large blocks, reused after Reset(). Used by
// ColumnarBatcher to key its hash maps by string_view without one allocation per key.
// Not thread-safe. Views returned by Copy() are valid until Reset() or destruction.
#ifndef TELEMDB_INGEST_LINEPROTO_STRING_ARENA_H_
#define TELEMDB_INGEST_LINEPROTO_STRING_ARENA_H_

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace telemdb::lineproto::internal {

class StringArena {
 public:
  std::string_view Copy(std::string_view s) {
    while (current_ < blocks_.size() && used_ + s.size() > blocks_[current_].size) {
      ++current_;
      used_ = 0;
    }
    if (current_ == blocks_.size()) {
      size_t size = std::max(kBlockSize, s.size());
      blocks_.push_back(Block{std::make_unique<char[]>(size), size});
      used_ = 0;
    }
    char* dst = blocks_[current_].data.get() + used_;
    if (!s.empty()) std::memcpy(dst, s.data(), s.size());
    used_ += s.size();
    return std::string_view(dst, s.size());
  }

  // Forgets every copy; keeps the blocks for reuse.
  void Reset() {
    current_ = 0;
    used_ = 0;
  }

 private:
  static constexpr size_t kBlockSize = 64 * 1024;
  struct Block {
    std::unique_ptr<char[]> data;
    size_t size;
  };
  std::vector<Block> blocks_;
  size_t current_ = 0;
  size_t used_ = 0;
};

}  // namespace telemdb::lineproto::internal

#endif  // TELEMDB_INGEST_LINEPROTO_STRING_ARENA_H_
