// The aligned table format: every row is buffered so that column widths are known, then
//
//   time                  fleet  mean
//   --------------------  -----  ----
//   2026-01-01T00:00:00Z  East   53.2
//
// Columns are separated by two spaces; a column whose non-null cells are all numbers is
// right-aligned (its header too); nulls are blank; widths count UTF-8 code points.
#include <algorithm>

#include "cli/output/result_writer.h"

namespace telemdb::cli {
namespace {

size_t DisplayWidth(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Control characters would break the layout: shown as a space.
void AppendSanitized(std::string_view s, std::string* out) {
  for (char c : s) out->push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
}

class TableWriter : public ResultWriter {
 public:
  TableWriter(const OutputOptions& o, OutputBuffer* out) : epoch_(o.epoch), out_(out) {}

  absl::Status Begin(const std::vector<ColumnSpec>& columns) override {
    names_.clear();
    for (const auto& c : columns) names_.push_back(c.name);
    numeric_.assign(columns.size(), 1);
    seen_value_.assign(columns.size(), 0);
    return absl::OkStatus();
  }

  absl::Status Row(std::span<const Cell> cells) override {
    for (size_t i = 0; i < cells.size() && i < names_.size(); i++) {
      std::string text;
      if (cells[i].kind == CellKind::kString) {
        AppendSanitized(cells[i].s, &text);
      } else {
        AppendCellText(cells[i], epoch_, &text);
      }
      if (cells[i].kind != CellKind::kNull) {
        seen_value_[i] = 1;
        if (!cells[i].numeric()) numeric_[i] = 0;
      }
      cells_.push_back(std::move(text));
    }
    rows_++;
    return absl::OkStatus();
  }

  absl::Status End() override {
    const size_t ncol = names_.size();
    std::vector<size_t> width(ncol);
    for (size_t c = 0; c < ncol; c++) width[c] = DisplayWidth(names_[c]);
    for (size_t k = 0; k < cells_.size(); k++) {
      size_t c = k % ncol;
      width[c] = std::max(width[c], DisplayWidth(cells_[k]));
    }
    std::string* b = out_->buf();
    auto emit_line = [&](auto cell_at) -> absl::Status {
      size_t line_start = b->size();
      for (size_t c = 0; c < ncol; c++) {
        std::string_view text = cell_at(c);
        size_t pad = width[c] - DisplayWidth(text);
        bool right = numeric_[c] && seen_value_[c];
        if (c > 0) b->append("  ");
        if (right) b->append(pad, ' ');
        b->append(text);
        if (!right) b->append(pad, ' ');
      }
      while (b->size() > line_start && b->back() == ' ') b->pop_back();
      b->push_back('\n');
      return out_->MaybeFlush();
    };
    if (ncol == 0) return out_->Flush();
    absl::Status s = emit_line([&](size_t c) { return std::string_view(names_[c]); });
    if (!s.ok()) return s;
    std::vector<std::string> dashes(ncol);
    for (size_t c = 0; c < ncol; c++) dashes[c].assign(width[c], '-');
    s = emit_line([&](size_t c) { return std::string_view(dashes[c]); });
    if (!s.ok()) return s;
    for (size_t r = 0; r * ncol < cells_.size(); r++) {
      s = emit_line([&](size_t c) { return std::string_view(cells_[r * ncol + c]); });
      if (!s.ok()) return s;
    }
    cells_.clear();
    return out_->Flush();
  }

 private:
  TimeUnit epoch_;
  OutputBuffer* out_;
  std::vector<std::string> names_;
  std::vector<uint8_t> numeric_, seen_value_;
  std::vector<std::string> cells_;  // row-major
};

}  // namespace

std::unique_ptr<ResultWriter> MakeTableWriter(const OutputOptions& o, OutputBuffer* out) {
  return std::make_unique<TableWriter>(o, out);
}

}  // namespace telemdb::cli
