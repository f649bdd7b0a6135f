// Background merging: small and overlapping chunks of a partition become large chunks.
//
// Within one partition of one series, chunks are walked in start order and grouped into
// runs: a chunk joins the current run when it overlaps it (it must: overlapping chunks are
// resolved by sequence) or when both together stay within chunk_target_points. Every run of
// two or more chunks is decoded, merged (newest write wins) and re-encoded as evenly sized
// chunks under the run's highest sequence. Runs never overlap chunks outside them, so the
// result is the same as reading the inputs.
//
// The recent end stays small: in the series' newest partition the last run ends in a tail
// chunk of chunk_tail_points (the run is re-encoded even when it is a single large chunk),
// because dashboards and alerts ask for the last minutes far more often than for anything
// else. Older partitions get no tail. When newer chunks arrive the tail joins their run.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "storage/codec/chunk.h"
#include "storage/db_impl.h"
#include "storage/key_layout.h"
#include "util/log.h"
#include "util/status_macros.h"

namespace telemdb::storage {
namespace {

struct StoredChunk {
  std::string key;
  keys::ChunkKeyParts parts;
  std::string value;
  codec::ChunkHeader header;
};

}  // namespace

absl::Status DbImpl::MergeDue() {
  std::vector<std::pair<SeriesId, int64_t>> dirty;
  {
    auto it = kv_->NewIterator(Cf::kMeta, keys::kDirtyPrefix, "dirty0");
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      SeriesId id;
      int64_t p;
      if (keys::ParseDirtyKey(it->key(), &id, &p)) dirty.emplace_back(id, p);
    }
    RETURN_IF_ERROR(it->status());
  }
  if (dirty.empty()) return absl::OkStatus();
  if (options_.hooks.merge_begin) options_.hooks.merge_begin();
  struct End {
    const std::function<void()>& f;
    ~End() {
      if (f) f();
    }
  } end{options_.hooks.merge_end};
  for (const auto& [id, p] : dirty) {
    if (closed_) break;  // Close() is waiting for this thread
    absl::Status s = MergePartition(id, p);
    if (!s.ok()) {
      Log(LogLevel::kError, "merge.partition_failed",
          {{"series", id}, {"partition", p}, {"error", s.ToString()}});
      if (absl::IsDataLoss(s)) continue;  // leave it; reads report the damaged chunk
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status DbImpl::MergePartition(SeriesId id, int64_t p) {
  const std::string dirty_key = keys::DirtyKey(id, p);
  const std::string lower = keys::ChunkSeekKey(id, p);
  const std::string upper = p > INT64_MAX - partition_ns_
                                ? keys::ChunkSeriesEnd(id)
                                : keys::ChunkSeekKey(id, p + partition_ns_);
  auto type = index_.TypeOf(id);
  std::vector<StoredChunk> chunks;
  {
    auto it = kv_->NewIterator(Cf::kChunks, lower, upper);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      StoredChunk c;
      c.key = std::string(it->key());
      keys::ParseChunkKey(c.key, &c.parts);
      c.value = std::string(it->value());
      auto h = codec::DecodeChunkHeader(c.value);
      if (!h.ok()) {
        return absl::DataLossError(absl::StrCat("chunk of series ", id, " starting at ",
                                                c.parts.min_ts, ": ", h.status().message()));
      }
      c.header = *h;
      chunks.push_back(std::move(c));
    }
    RETURN_IF_ERROR(it->status());
  }
  KvBatch batch;
  const int64_t cutoff = RetentionCutoff();
  const bool expired = p <= INT64_MAX - partition_ns_ && p + partition_ns_ <= cutoff;
  if (!type || expired) {
    // The series is gone or the whole partition expired.
    batch.DeleteRange(Cf::kChunks, lower, upper);
    batch.Delete(Cf::kMeta, dirty_key);
    absl::MutexLock l(&chunk_mu_);
    return kv_->Write(&batch, /*sync=*/false);
  }
  // Is this the series' newest partition (no chunk after it)? Then its last run keeps a tail.
  const uint64_t tail = options_.chunk_tail_points;
  bool newest = tail > 0;
  if (newest && upper != keys::ChunkSeriesEnd(id)) {
    auto it = kv_->NewIterator(Cf::kChunks, upper, keys::ChunkSeriesEnd(id));
    it->SeekToFirst();
    newest = !it->Valid();
    RETURN_IF_ERROR(it->status());
  }
  // Group into runs (see the file comment).
  std::vector<std::vector<size_t>> runs;
  int64_t run_max = 0;
  uint64_t run_points = 0;
  const uint64_t target = options_.chunk_target_points;
  for (size_t i = 0; i < chunks.size(); i++) {
    const auto& h = chunks[i].header;
    bool join = !runs.empty() && (h.min_ts <= run_max || run_points + h.count <= target);
    if (!join) {
      runs.emplace_back();
      run_max = h.max_ts;
      run_points = 0;
    }
    runs.back().push_back(i);
    run_max = std::max(run_max, h.max_ts);
    run_points += h.count;
  }
  codec::Columns merged, piece;
  for (const auto& run : runs) {
    const bool tail_run = newest && &run == &runs.back();
    if (run.size() < 2 && !(tail_run && chunks[run[0]].header.count > 2 * tail)) continue;
    std::vector<size_t> order = run;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return chunks[a].parts.seq < chunks[b].parts.seq; });
    std::vector<codec::Columns> inputs(order.size());
    uint64_t seq = 0;
    for (size_t k = 0; k < order.size(); k++) {
      const StoredChunk& c = chunks[order[k]];
      absl::Status s = codec::DecodeChunk(c.value, &inputs[k]);
      if (!s.ok()) {
        return absl::DataLossError(absl::StrCat("chunk of series ", id, " starting at ",
                                                c.parts.min_ts, ": ", s.message()));
      }
      seq = std::max(seq, c.parts.seq);
      batch.Delete(Cf::kChunks, c.key);
    }
    MergeRuns(&inputs, &merged);
    if (cutoff != INT64_MIN) ClipColumns(&merged, cutoff, INT64_MAX);
    // Evenly sized pieces of at most `target` points, then (tail run) the tail chunk.
    const size_t n = merged.size();
    const size_t body = tail_run && n > 2 * tail ? n - tail : n;
    const size_t pieces = (body + target - 1) / target;
    std::vector<std::pair<size_t, size_t>> ranges;
    for (size_t k = 0; k < pieces; k++) ranges.emplace_back(body * k / pieces, body * (k + 1) / pieces);
    if (body < n) ranges.emplace_back(body, n);
    for (const auto& [a, b] : ranges) {
      piece.Clear();
      piece.type = merged.type;
      for (size_t i = a; i < b; i++) AppendPoint(merged, i, &piece);
      ASSIGN_OR_RETURN(std::string chunk, codec::EncodeChunk(piece, EncodeOpts()));
      batch.Put(Cf::kChunks, keys::ChunkKey(id, piece.ts.front(), seq), chunk);
    }
  }

  absl::MutexLock l(&chunk_mu_);
  // Commit only if no delete rewrote the inputs meanwhile; keep the marker when new chunks
  // arrived, so they are merged next time.
  bool changed = false, grown = false;
  {
    auto it = kv_->NewIterator(Cf::kChunks, lower, upper);
    size_t seen = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto match = std::find_if(chunks.begin(), chunks.end(),
                                [&](const StoredChunk& c) { return c.key == it->key(); });
      if (match == chunks.end()) {
        grown = true;
      } else {
        seen++;
        if (match->value != it->value()) changed = true;
      }
    }
    RETURN_IF_ERROR(it->status());
    if (seen != chunks.size()) changed = true;
  }
  if (changed) return absl::OkStatus();  // retried on the next pass
  if (!grown) batch.Delete(Cf::kMeta, dirty_key);
  if (batch.count() == 0) return absl::OkStatus();
  RETURN_IF_ERROR(kv_->Write(&batch, /*sync=*/false));
  partitions_merged_++;
  if (options_.hooks.after_merge_write) options_.hooks.after_merge_write();
  return absl::OkStatus();
}

}  // namespace telemdb::storage
