#include "storage/series_cursor.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "storage/key_layout.h"
#include "storage/kv_store.h"
#include "util/status_macros.h"

namespace telemdb::storage {

void ReadStats::Add(const ReadStats& o) {
  chunks_read += o.chunks_read;
  chunks_decoded += o.chunks_decoded;
  points_decoded += o.points_decoded;
  head_points += o.head_points;
  bytes_read += o.bytes_read;
}

void AppendPoint(const codec::Columns& c, size_t i, codec::Columns* out) {
  out->ts.push_back(c.ts[i]);
  switch (c.type) {
    case ValueType::kFloat:
      out->floats.push_back(c.floats[i]);
      break;
    case ValueType::kInt:
    case ValueType::kBool:
      out->ints.push_back(c.ints[i]);
      break;
    case ValueType::kString:
      out->strings.push_back(c.strings[i]);
      break;
  }
}

void ClipColumns(codec::Columns* c, int64_t start, int64_t end) {
  auto lo = std::lower_bound(c->ts.begin(), c->ts.end(), start) - c->ts.begin();
  auto hi = std::lower_bound(c->ts.begin(), c->ts.end(), end) - c->ts.begin();
  if (lo == 0 && static_cast<size_t>(hi) == c->ts.size()) return;
  auto cut = [&](auto& v) {
    if (v.empty()) return;
    v.erase(v.begin() + hi, v.end());
    v.erase(v.begin(), v.begin() + lo);
  };
  cut(c->ts);
  cut(c->floats);
  cut(c->ints);
  cut(c->strings);
}

void MergeRuns(std::vector<codec::Columns>* runs, codec::Columns* out) {
  ValueType type = runs->empty() ? ValueType::kFloat : (*runs)[0].type;
  std::vector<size_t> order;
  for (size_t r = 0; r < runs->size(); r++) {
    if ((*runs)[r].size() > 0) order.push_back(r);
  }
  out->Clear();
  out->type = type;
  if (order.size() == 1) {
    *out = std::move((*runs)[order[0]]);
    return;
  }
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return (*runs)[a].ts.front() < (*runs)[b].ts.front(); });
  bool disjoint = true;
  for (size_t k = 1; k < order.size(); k++) {
    if ((*runs)[order[k]].ts.front() <= (*runs)[order[k - 1]].ts.back()) disjoint = false;
  }
  if (disjoint) {
    for (size_t r : order) {
      const auto& c = (*runs)[r];
      for (size_t i = 0; i < c.size(); i++) AppendPoint(c, i, out);
    }
    return;
  }
  struct Ref {
    int64_t ts;
    uint32_t run;
    uint32_t idx;
  };
  std::vector<Ref> refs;
  for (size_t r = 0; r < runs->size(); r++) {
    const auto& c = (*runs)[r];
    for (size_t i = 0; i < c.size(); i++) {
      refs.push_back({c.ts[i], static_cast<uint32_t>(r), static_cast<uint32_t>(i)});
    }
  }
  std::sort(refs.begin(), refs.end(),
            [](const Ref& a, const Ref& b) { return a.ts != b.ts ? a.ts < b.ts : a.run < b.run; });
  for (size_t k = 0; k < refs.size(); k++) {
    if (k + 1 < refs.size() && refs[k + 1].ts == refs[k].ts) continue;  // a newer run wins
    AppendPoint((*runs)[refs[k].run], refs[k].idx, out);
  }
}

struct SeriesCursor::Chunk {
  keys::ChunkKeyParts key;
  std::string value;
  codec::ChunkHeader header;
};

SeriesCursor::SeriesCursor(SeriesId id, ValueType type, int64_t start, int64_t end,
                           std::unique_ptr<KvIterator> it, codec::Columns head)
    : id_(id), type_(type), start_(start), end_(end), it_(std::move(it)), head_(std::move(head)) {
  head_.type = type;
  stats_.head_points = head_.size();
}

SeriesCursor::~SeriesCursor() = default;

absl::Status SeriesCursor::LoadChunk(Chunk* c) {
  if (!keys::ParseChunkKey(it_->key(), &c->key)) {
    return absl::DataLossError(absl::StrCat("series ", id_, ": malformed chunk key"));
  }
  c->value.assign(it_->value().data(), it_->value().size());
  stats_.chunks_read++;
  stats_.bytes_read += c->value.size();
  auto header = codec::DecodeChunkHeader(c->value);
  if (!header.ok() || header->type != type_ || header->min_ts != c->key.min_ts) {
    std::string why = header.ok() ? "header disagrees with its key or series type"
                                  : std::string(header.status().message());
    return absl::DataLossError(absl::StrCat("chunk of series ", id_, " starting at ", c->key.min_ts,
                                            " (seq ", c->key.seq, "): ", why));
  }
  c->header = *header;
  return absl::OkStatus();
}

absl::StatusOr<bool> SeriesCursor::PeekChunk() {
  if (next_) return true;
  if (!it_) return false;
  if (!it_started_) {
    it_->SeekToFirst();
    it_started_ = true;
  }
  while (it_->Valid()) {
    auto c = std::make_unique<Chunk>();
    RETURN_IF_ERROR(LoadChunk(c.get()));
    it_->Next();
    if (c->header.max_ts < start_) continue;
    next_ = std::move(c);
    return true;
  }
  RETURN_IF_ERROR(it_->status());
  return false;
}

absl::Status SeriesCursor::DecodeChunk(const Chunk& c, codec::Columns* out) {
  absl::Status s = codec::DecodeChunk(c.value, out);
  if (!s.ok()) {
    return absl::DataLossError(absl::StrCat("chunk of series ", id_, " starting at ", c.key.min_ts,
                                            " (seq ", c.key.seq, "): ", s.message()));
  }
  stats_.chunks_decoded++;
  stats_.points_decoded += out->size();
  ClipColumns(out, start_, end_);
  return absl::OkStatus();
}

absl::StatusOr<bool> SeriesCursor::Next() {
  while (true) {
    current_.reset();
    current_is_chunk_ = false;
    merged_.Clear();
    merged_.type = type_;
    block_ = Block();
    ASSIGN_OR_RETURN(bool has_chunk, PeekChunk());
    const size_t head_n = head_.size();
    if (!has_chunk) {
      if (head_pos_ >= head_n) return false;
      for (; head_pos_ < head_n; head_pos_++) AppendPoint(head_, head_pos_, &merged_);
    } else if (head_pos_ < head_n && head_.ts[head_pos_] < next_->header.min_ts) {
      for (; head_pos_ < head_n && head_.ts[head_pos_] < next_->header.min_ts; head_pos_++) {
        AppendPoint(head_, head_pos_, &merged_);
      }
    } else {
      std::vector<std::unique_ptr<Chunk>> group;
      group.push_back(std::move(next_));
      int64_t gmax = group[0]->header.max_ts;
      while (true) {
        ASSIGN_OR_RETURN(bool more, PeekChunk());
        if (!more || next_->header.min_ts > gmax) break;
        gmax = std::max(gmax, next_->header.max_ts);
        group.push_back(std::move(next_));
      }
      size_t head_end = head_pos_;
      while (head_end < head_n && head_.ts[head_end] <= gmax) head_end++;
      if (group.size() == 1 && head_end == head_pos_) {
        current_ = std::move(group[0]);
        current_is_chunk_ = true;
        const auto& h = current_->header;
        // A chunk stored without pre-aggregates (a small one) is decoded by whoever needs them.
        block_ = Block{h.min_ts, h.max_ts, h.count,
                       h.has_aggregates ? &current_->header : nullptr};
        return true;
      }
      std::sort(group.begin(), group.end(),
                [](const auto& a, const auto& b) { return a->key.seq < b->key.seq; });
      std::vector<codec::Columns> runs(group.size() + 1);
      for (size_t g = 0; g < group.size(); g++) {
        RETURN_IF_ERROR(DecodeChunk(*group[g], &runs[g]));
      }
      codec::Columns& head_run = runs.back();
      head_run.type = type_;
      for (; head_pos_ < head_end; head_pos_++) AppendPoint(head_, head_pos_, &head_run);
      MergeRuns(&runs, &merged_);
    }
    if (merged_.size() == 0) continue;  // everything clipped away
    block_ = Block{merged_.ts.front(), merged_.ts.back(), static_cast<uint32_t>(merged_.size()),
                   nullptr};
    return true;
  }
}

absl::Status SeriesCursor::Decode(codec::Columns* out) {
  if (current_is_chunk_) return DecodeChunk(*current_, out);
  *out = merged_;
  return absl::OkStatus();
}

absl::Status SeriesCursor::ReadAll(codec::Columns* out) {
  out->Clear();
  out->type = type_;
  codec::Columns block;
  while (true) {
    ASSIGN_OR_RETURN(bool more, Next());
    if (!more) return absl::OkStatus();
    if (current_is_chunk_) {
      RETURN_IF_ERROR(Decode(&block));
    } else {
      block = std::move(merged_);
    }
    for (size_t i = 0; i < block.size(); i++) AppendPoint(block, i, out);
  }
}

}  // namespace telemdb::storage
