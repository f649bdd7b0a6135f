#include "cli/commands/query_printer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "util/status_macros.h"

namespace telemdb::cli {
namespace {

bool Valid(const std::string& validity, size_t row) {
  if (validity.empty()) return true;
  size_t byte = row / 8;
  return byte < validity.size() && ((static_cast<uint8_t>(validity[byte]) >> (row % 8)) & 1);
}

Cell ValueCell(const v1::ResultColumn& c, size_t r) {
  if (!Valid(c.validity(), r)) return Cell::Null();
  const int i = static_cast<int>(r);
  switch (c.values_case()) {
    case v1::ResultColumn::kDoubles:
      return i < c.doubles().values_size() ? Cell::Float(c.doubles().values(i)) : Cell::Null();
    case v1::ResultColumn::kInts:
      return i < c.ints().values_size() ? Cell::Int(c.ints().values(i)) : Cell::Null();
    case v1::ResultColumn::kBools:
      return i < c.bools().values_size() ? Cell::Bool(c.bools().values(i)) : Cell::Null();
    case v1::ResultColumn::kStrings:
      return i < c.strings().values_size() ? Cell::String(c.strings().values(i)) : Cell::Null();
    default:
      return Cell::Null();
  }
}

size_t ColumnSize(const v1::ResultColumn& c) {
  switch (c.values_case()) {
    case v1::ResultColumn::kDoubles:
      return static_cast<size_t>(c.doubles().values_size());
    case v1::ResultColumn::kInts:
      return static_cast<size_t>(c.ints().values_size());
    case v1::ResultColumn::kBools:
      return static_cast<size_t>(c.bools().values_size());
    case v1::ResultColumn::kStrings:
      return static_cast<size_t>(c.strings().values_size());
    default:
      return 0;
  }
}

}  // namespace

size_t FrameRows(const v1::ResultFrame& frame, bool has_time) {
  if (has_time) return static_cast<size_t>(frame.time_size());
  size_t n = 0;
  for (const auto& c : frame.columns()) n = std::max(n, ColumnSize(c));
  return n;
}

void FrameRowCells(const v1::ResultFrame& frame, bool has_time, size_t row, Cell* cells) {
  size_t k = 0;
  if (has_time) cells[k++] = Cell::Time(frame.time(static_cast<int>(row)));
  for (const auto& g : frame.group_values()) cells[k++] = Cell::String(g);
  for (const auto& c : frame.columns()) cells[k++] = ValueCell(c, row);
}

absl::Status QueryPrinter::OnHeader(const v1::ResultHeader& header) {
  std::vector<ColumnSpec> columns;
  has_time_ = header.has_time();
  if (has_time_) columns.push_back({"time", ColumnRole::kTime});
  for (const auto& g : header.group_by()) columns.push_back({g, ColumnRole::kTag});
  for (const auto& c : header.columns()) columns.push_back({c.name(), ColumnRole::kValue});
  ncols_ = columns.size();
  cells_.resize(ncols_);
  began_ = true;
  return writer_->Begin(columns);
}

absl::Status QueryPrinter::OnFrame(const v1::ResultFrame& frame) {
  if (!began_) return absl::InternalError("the server sent rows before the result header");
  size_t expected = (has_time_ ? 1 : 0) + static_cast<size_t>(frame.group_values_size()) +
                    static_cast<size_t>(frame.columns_size());
  if (expected != ncols_) {
    return absl::InternalError("the server sent a frame that does not match the result header");
  }
  size_t rows = FrameRows(frame, has_time_);
  for (size_t r = 0; r < rows; r++) {
    FrameRowCells(frame, has_time_, r, cells_.data());
    RETURN_IF_ERROR(writer_->Row(cells_));
  }
  return absl::OkStatus();
}

absl::Status QueryPrinter::Finish() {
  if (!began_) RETURN_IF_ERROR(writer_->Begin({}));
  return writer_->End();
}

absl::StatusOr<int64_t> RunAndPrint(const client::Connection& conn, const std::string& text,
                                    const RunOptions& options) {
  OutputBuffer out(stdout);
  auto writer = MakeResultWriter(options.output, &out);
  QueryPrinter printer(writer.get());
  v1::QueryRequest req;
  req.set_text(text);
  client::QueryCallOptions call;
  call.timeout_ms = options.timeout_ms;
  call.canceller = options.canceller;
  auto t0 = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(v1::QueryStats stats, client::RunQuery(conn, req, &printer, call));
  RETURN_IF_ERROR(printer.Finish());
  if (options.timing) {
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr,
                 "%ld rows in %.1f ms (server %.1f ms; series %lu, groups %lu, chunks read %lu, "
                 "pre-aggregated %lu, decoded %lu, points decoded %lu, head points %lu, "
                 "bytes read %lu, last-cache hits %lu)\n",
                 static_cast<long>(writer->rows()), ms,
                 static_cast<double>(stats.elapsed_ns()) / 1e6, stats.series_matched(),
                 stats.groups(), stats.chunks_read(), stats.chunks_preaggregated(),
                 stats.chunks_decoded(), stats.points_decoded(), stats.head_points(),
                 stats.bytes_read(), stats.last_cache_hits());
  }
  return writer->rows();
}

absl::Status PrintResult(const std::vector<ColumnSpec>& columns,
                         const std::vector<std::vector<Cell>>& rows, const OutputOptions& output) {
  OutputBuffer out(stdout);
  OutputOptions o = output;
  o.plot = false;
  auto writer = MakeResultWriter(o, &out);
  RETURN_IF_ERROR(writer->Begin(columns));
  for (const auto& r : rows) RETURN_IF_ERROR(writer->Row(r));
  return writer->End();
}

}  // namespace telemdb::cli
