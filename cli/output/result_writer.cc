// The streaming formats (csv, json, jsonl) and the factory; table and plot buffer and live in
// their own files.
#include "cli/output/result_writer.h"

#include <cerrno>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "util/absl_compat.h"

namespace telemdb::cli {

absl::StatusOr<OutputFormat> ParseOutputFormat(std::string_view s) {
  if (s == "table") return OutputFormat::kTable;
  if (s == "csv") return OutputFormat::kCsv;
  if (s == "json") return OutputFormat::kJson;
  if (s == "jsonl") return OutputFormat::kJsonl;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown format \"", Sv(s), "\"; expected table, csv, json or jsonl"));
}

const char* OutputFormatName(OutputFormat f) {
  switch (f) {
    case OutputFormat::kTable:
      return "table";
    case OutputFormat::kCsv:
      return "csv";
    case OutputFormat::kJson:
      return "json";
    case OutputFormat::kJsonl:
      return "jsonl";
  }
  return "?";
}

absl::Status OutputBuffer::Flush() {
  if (buf_.empty()) return absl::OkStatus();
  size_t n = std::fwrite(buf_.data(), 1, buf_.size(), file_);
  bool ok = n == buf_.size() && std::fflush(file_) == 0;
  int err = errno;
  buf_.clear();
  if (ok) return absl::OkStatus();
  if (err == EPIPE) return absl::CancelledError("output closed");
  return absl::InternalError(absl::StrCat("cannot write the output: ", std::strerror(err)));
}

void AppendCellText(const Cell& c, TimeUnit epoch, std::string* out) {
  switch (c.kind) {
    case CellKind::kNull:
      return;
    case CellKind::kTime:
      AppendTime(c.i, epoch, out);
      return;
    case CellKind::kFloat:
      AppendDouble(c.f, out);
      return;
    case CellKind::kInt:
      AppendInt(c.i, out);
      return;
    case CellKind::kBool:
      out->append(c.i ? "true" : "false");
      return;
    case CellKind::kString:
      out->append(c.s);
      return;
  }
}

namespace {

// JSON value of a cell: null, number, true/false, string; times per --epoch. NaN and ±Inf
// have no JSON form and print as null.
void AppendJsonCell(const Cell& c, TimeUnit epoch, std::string* out) {
  switch (c.kind) {
    case CellKind::kNull:
      out->append("null");
      return;
    case CellKind::kTime:
      if (epoch == TimeUnit::kRfc3339) {
        out->push_back('"');
        AppendRfc3339(c.i, out);
        out->push_back('"');
      } else {
        AppendTime(c.i, epoch, out);
      }
      return;
    case CellKind::kFloat:
      if (std::isfinite(c.f)) {
        AppendDouble(c.f, out);
      } else {
        out->append("null");
      }
      return;
    case CellKind::kInt:
      AppendInt(c.i, out);
      return;
    case CellKind::kBool:
      out->append(c.i ? "true" : "false");
      return;
    case CellKind::kString:
      AppendJsonString(c.s, out);
      return;
  }
}

class CsvWriter : public ResultWriter {
 public:
  CsvWriter(const OutputOptions& o, OutputBuffer* out) : epoch_(o.epoch), out_(out) {}
  absl::Status Begin(const std::vector<ColumnSpec>& columns) override {
    std::string* b = out_->buf();
    for (size_t i = 0; i < columns.size(); i++) {
      if (i > 0) b->push_back(',');
      AppendCsvCell(columns[i].name, b);
    }
    b->push_back('\n');
    return out_->MaybeFlush();
  }
  absl::Status Row(std::span<const Cell> cells) override {
    std::string* b = out_->buf();
    for (size_t i = 0; i < cells.size(); i++) {
      if (i > 0) b->push_back(',');
      if (cells[i].kind == CellKind::kString) {
        AppendCsvCell(cells[i].s, b);
      } else {
        AppendCellText(cells[i], epoch_, b);
      }
    }
    b->push_back('\n');
    rows_++;
    return out_->MaybeFlush();
  }
  absl::Status End() override { return out_->Flush(); }

 private:
  TimeUnit epoch_;
  OutputBuffer* out_;
};

// {"columns":["time","fleet","mean"],"rows":[["2026-01-01T00:00:00Z","East",53.2],...]}
class JsonWriter : public ResultWriter {
 public:
  JsonWriter(const OutputOptions& o, OutputBuffer* out) : epoch_(o.epoch), out_(out) {}
  absl::Status Begin(const std::vector<ColumnSpec>& columns) override {
    std::string* b = out_->buf();
    b->append("{\"columns\":[");
    for (size_t i = 0; i < columns.size(); i++) {
      if (i > 0) b->push_back(',');
      AppendJsonString(columns[i].name, b);
    }
    b->append("],\"rows\":[");
    return out_->MaybeFlush();
  }
  absl::Status Row(std::span<const Cell> cells) override {
    std::string* b = out_->buf();
    if (rows_ > 0) b->push_back(',');
    b->append("\n[");
    for (size_t i = 0; i < cells.size(); i++) {
      if (i > 0) b->push_back(',');
      AppendJsonCell(cells[i], epoch_, b);
    }
    b->push_back(']');
    rows_++;
    return out_->MaybeFlush();
  }
  absl::Status End() override {
    out_->buf()->append(rows_ > 0 ? "\n]}\n" : "]}\n");
    return out_->Flush();
  }

 private:
  TimeUnit epoch_;
  OutputBuffer* out_;
};

// {"time":"2026-01-01T00:00:00Z","fleet":"East","mean":53.2} per row.
class JsonlWriter : public ResultWriter {
 public:
  JsonlWriter(const OutputOptions& o, OutputBuffer* out) : epoch_(o.epoch), out_(out) {}
  absl::Status Begin(const std::vector<ColumnSpec>& columns) override {
    keys_.clear();
    for (const auto& c : columns) {
      std::string k;
      AppendJsonString(c.name, &k);
      k.push_back(':');
      keys_.push_back(std::move(k));
    }
    return absl::OkStatus();
  }
  absl::Status Row(std::span<const Cell> cells) override {
    std::string* b = out_->buf();
    b->push_back('{');
    for (size_t i = 0; i < cells.size(); i++) {
      if (i > 0) b->push_back(',');
      b->append(keys_[i]);
      AppendJsonCell(cells[i], epoch_, b);
    }
    b->append("}\n");
    rows_++;
    return out_->MaybeFlush();
  }
  absl::Status End() override { return out_->Flush(); }

 private:
  TimeUnit epoch_;
  OutputBuffer* out_;
  std::vector<std::string> keys_;
};

}  // namespace

std::unique_ptr<ResultWriter> MakeCsvWriter(const OutputOptions& o, OutputBuffer* out) {
  return std::make_unique<CsvWriter>(o, out);
}
std::unique_ptr<ResultWriter> MakeJsonWriter(const OutputOptions& o, OutputBuffer* out) {
  return std::make_unique<JsonWriter>(o, out);
}
std::unique_ptr<ResultWriter> MakeJsonlWriter(const OutputOptions& o, OutputBuffer* out) {
  return std::make_unique<JsonlWriter>(o, out);
}

std::unique_ptr<ResultWriter> MakeResultWriter(const OutputOptions& o, OutputBuffer* out) {
  if (o.plot) return MakePlotWriter(o, out);
  switch (o.format) {
    case OutputFormat::kTable:
      return MakeTableWriter(o, out);
    case OutputFormat::kCsv:
      return MakeCsvWriter(o, out);
    case OutputFormat::kJson:
      return MakeJsonWriter(o, out);
    case OutputFormat::kJsonl:
      return MakeJsonlWriter(o, out);
  }
  return MakeCsvWriter(o, out);
}

}  // namespace telemdb::cli
