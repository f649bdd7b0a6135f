#include "query/engine/frame_writer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace telemdb::query {

FrameWriter::FrameWriter(ResultSink* sink, const ResultSchema& schema, const ExecOptions& options,
                         QueryStats* stats, const Context* ctx)
    : sink_(sink), schema_(schema), options_(options), stats_(stats), ctx_(ctx) {
  ResetFrame();
}

absl::Status FrameWriter::Start() { return sink_->Start(schema_); }

void FrameWriter::ResetFrame() {
  frame_ = ResultFrame();
  frame_.group = group_;
  frame_.group_values = group_values_;
  frame_.columns.resize(schema_.types.size());
  for (size_t c = 0; c < schema_.types.size(); c++) frame_.columns[c].type = schema_.types[c];
  counted_rows_ = 0;
  frame_bytes_ = 0;
}

size_t FrameWriter::FrameBytes() const {
  const size_t rows = frame_.rows();
  for (size_t r = counted_rows_; r < rows; r++) {
    size_t b = 8;
    for (const Column& c : frame_.columns) {
      b += c.type == storage::ValueType::kString && r < c.strings.size() ? c.strings[r].size() + 2
                                                                         : 9;
    }
    frame_bytes_ += b;
  }
  counted_rows_ = rows;
  return frame_bytes_;
}

void FrameWriter::BeginGroup(const std::vector<std::string>& values) {
  group_values_ = values;
  group_rows_ = 0;
  in_group_ = true;
  ResetFrame();
}

size_t FrameWriter::space() const {
  const size_t max = options_.max_frame_rows == 0 ? 1 : options_.max_frame_rows;
  if (frame_.rows() >= max) return 0;
  if (options_.max_frame_bytes > 0 && FrameBytes() >= options_.max_frame_bytes) return 0;
  return max - frame_.rows();
}

absl::Status FrameWriter::Send(ResultFrame&& f, bool end) {
  if (ctx_ != nullptr) RETURN_IF_ERROR(ctx_->Check());
  f.group_end = end;
  stats_->frames++;
  return sink_->Write(std::move(f));
}

absl::Status FrameWriter::Commit() {
  const uint64_t total = stats_->rows + group_rows();
  if (total > options_.max_result_rows) {
    return absl::ResourceExhaustedError(
        absl::StrCat("query returns more than ", options_.max_result_rows,
                     " rows (limit max_result_rows); add LIMIT or narrow the query"));
  }
  if (space() > 0) return absl::OkStatus();
  if (pending_) {
    RETURN_IF_ERROR(Send(*std::move(pending_), false));
    pending_.reset();
  }
  group_rows_ += frame_.rows();
  pending_ = std::move(frame_);
  ResetFrame();
  return absl::OkStatus();
}

absl::Status FrameWriter::EndGroup() {
  if (!in_group_) return absl::OkStatus();
  in_group_ = false;
  const uint64_t rows = group_rows();
  if (rows == 0) return absl::OkStatus();
  if (stats_->rows + rows > options_.max_result_rows) {
    return absl::ResourceExhaustedError(
        absl::StrCat("query returns more than ", options_.max_result_rows,
                     " rows (limit max_result_rows); add LIMIT or narrow the query"));
  }
  if (frame_.rows() > 0) {
    if (pending_) RETURN_IF_ERROR(Send(*std::move(pending_), false));
    pending_.reset();
    RETURN_IF_ERROR(Send(std::move(frame_), true));
  } else if (pending_) {
    RETURN_IF_ERROR(Send(*std::move(pending_), true));
    pending_.reset();
  }
  stats_->rows += rows;
  stats_->groups++;
  group_++;
  group_rows_ = 0;
  ResetFrame();
  return absl::OkStatus();
}

}  // namespace telemdb::query
