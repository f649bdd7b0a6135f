// FrameWriter: cuts a query's rows into frames of at most ExecOptions::max_frame_rows rows
// (and about max_frame_bytes bytes),
// marks each group's last frame, hands frames to the ResultSink and enforces
// max_result_rows. Executors append rows to frame() and call Commit() every few rows.
//
// Thread safety: not thread-safe; one per query.
#ifndef TELEMDB_QUERY_ENGINE_FRAME_WRITER_H_
#define TELEMDB_QUERY_ENGINE_FRAME_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "query/engine/context.h"
#include "query/engine/exec_options.h"
#include "query/engine/result.h"

namespace telemdb::query {

class FrameWriter {
 public:
  // `ctx` (may be null) is checked before each frame goes out.
  FrameWriter(ResultSink* sink, const ResultSchema& schema, const ExecOptions& options,
              QueryStats* stats, const Context* ctx = nullptr);

  // Sends the schema. Call once, first.
  absl::Status Start();
  // Starts a group; rows appended from now on belong to it.
  void BeginGroup(const std::vector<std::string>& values);
  // The frame being filled: append to time (if the schema has it) and every column.
  ResultFrame& frame() { return frame_; }
  // Room left in the current frame before it should be committed.
  size_t space() const;
  // Sends the frame once full. Errors: ResourceExhausted past max_result_rows; the sink's.
  absl::Status Commit();
  // Sends what is left of the group, marking its last frame. A group without rows sends
  // nothing.
  absl::Status EndGroup();
  // Rows appended to the current group so far.
  uint64_t group_rows() const { return group_rows_ + frame_.rows(); }

 private:
  void ResetFrame();
  absl::Status Send(ResultFrame&& f, bool end);
  // Approximate bytes of frame_'s values (counted incrementally: rows are only appended).
  size_t FrameBytes() const;

  ResultSink* sink_;
  const ResultSchema& schema_;
  const ExecOptions& options_;
  QueryStats* stats_;
  const Context* ctx_;
  ResultFrame frame_;
  std::optional<ResultFrame> pending_;  // a full frame, held until we know if it is the last
  std::vector<std::string> group_values_;
  uint64_t group_ = 0;
  uint64_t group_rows_ = 0;  // rows of the group already moved out of frame_
  bool in_group_ = false;
  mutable size_t counted_rows_ = 0;  // rows of frame_ whose bytes are in frame_bytes_
  mutable size_t frame_bytes_ = 0;
};

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_ENGINE_FRAME_WRITER_H_
