// --plot: draws the result as a terminal line chart instead of printing rows.
//
// One line per (group, numeric column): the group is the row's tag cells, x is the time
// column (the row number without one), y the value; nulls break a line. Unicode braille
// (2 x 4 dots per character cell) by default, or ASCII with one marker character per line
// (OutputOptions::plot_ascii). The y axis is labelled with its max, middle and min, the x axis
// with the first and last time; a legend names each line (in colour with OutputOptions::color).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "cli/output/result_writer.h"

namespace telemdb::cli {
namespace {

constexpr int kLabelWidth = 10;
constexpr const char* kMarkers = "*+ox#@%&=~";
constexpr int kColors[] = {31, 32, 34, 33, 35, 36};

struct Line {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y); NaN y = a gap
};

std::string Label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
  out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
  out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
}

class PlotWriter : public ResultWriter {
 public:
  PlotWriter(const OutputOptions& o, OutputBuffer* out) : o_(o), out_(out) {}

  absl::Status Begin(const std::vector<ColumnSpec>& columns) override {
    columns_ = columns;
    return absl::OkStatus();
  }

  absl::Status Row(std::span<const Cell> cells) override {
    std::string group;
    double x = static_cast<double>(rows_);
    for (size_t i = 0; i < cells.size(); i++) {
      if (columns_[i].role == ColumnRole::kTag) {
        if (!group.empty()) group += ",";
        group += columns_[i].name + "=" + std::string(cells[i].s);
      } else if (cells[i].kind == CellKind::kTime) {
        x = static_cast<double>(cells[i].i);
        has_time_ = true;
      }
    }
    for (size_t i = 0; i < cells.size(); i++) {
      if (columns_[i].role != ColumnRole::kValue) continue;
      const Cell& c = cells[i];
      if (c.kind != CellKind::kNull && !c.numeric()) continue;
      std::string name = group.empty()
                             ? columns_[i].name
                             : (value_columns() > 1 ? group + " " + columns_[i].name : group);
      auto [it, added] = index_.emplace(name, lines_.size());
      if (added) lines_.push_back(Line{name, {}});
      double y = c.kind == CellKind::kFloat ? c.f
                 : c.kind == CellKind::kInt ? static_cast<double>(c.i)
                                            : NAN;
      lines_[it->second].points.emplace_back(x, y);
    }
    rows_++;
    return absl::OkStatus();
  }

  absl::Status End() override {
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (const auto& l : lines_) {
      for (auto [x, y] : l.points) {
        if (!std::isfinite(y)) continue;
        x0 = std::min(x0, x), x1 = std::max(x1, x);
        y0 = std::min(y0, y), y1 = std::max(y1, y);
      }
    }
    std::string* b = out_->buf();
    if (!std::isfinite(y0)) {
      b->append("(nothing to plot: no numeric values)\n");
      return out_->Flush();
    }
    if (y1 == y0) y0 -= 1, y1 += 1;
    if (x1 == x0) x1 = x0 + 1;
    const int w = std::max(10, o_.width - kLabelWidth - 2);
    const int h = std::max(4, o_.height);
    const int sx = o_.plot_ascii ? 1 : 2, sy = o_.plot_ascii ? 1 : 4;
    const int dw = w * sx, dh = h * sy;
    std::vector<uint8_t> dots(static_cast<size_t>(w * h), 0);  // braille bits
    std::vector<int> owner(static_cast<size_t>(w * h), -1);    // line drawn last in the cell
    auto plot = [&](int px, int py, int line) {
      if (px < 0 || py < 0 || px >= dw || py >= dh) return;
      int cx = px / sx, cy = py / sy;
      size_t k = static_cast<size_t>(cy * w + cx);
      if (!o_.plot_ascii) {
        static constexpr uint8_t kBit[4][2] = {
            {0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
        dots[k] |= kBit[py % 4][px % 2];
      }
      owner[k] = line;
    };
    for (size_t li = 0; li < lines_.size(); li++) {
      bool have_prev = false;
      int px0 = 0, py0 = 0;
      for (auto [x, y] : lines_[li].points) {
        if (!std::isfinite(y)) {
          have_prev = false;
          continue;
        }
        int px = static_cast<int>(std::lround((x - x0) / (x1 - x0) * (dw - 1)));
        int py = static_cast<int>(std::lround((y1 - y) / (y1 - y0) * (dh - 1)));
        if (have_prev) {  // Bresenham from the previous point
          int dx = std::abs(px - px0), dy = -std::abs(py - py0);
          int stx = px0 < px ? 1 : -1, sty = py0 < py ? 1 : -1, err = dx + dy;
          int cx = px0, cy = py0;
          while (true) {
            plot(cx, cy, static_cast<int>(li));
            if (cx == px && cy == py) break;
            int e2 = 2 * err;
            if (e2 >= dy) err += dy, cx += stx;
            if (e2 <= dx) err += dx, cy += sty;
          }
        } else {
          plot(px, py, static_cast<int>(li));
        }
        have_prev = true, px0 = px, py0 = py;
      }
    }
    auto color_on = [&](int line) {
      if (o_.color) b->append("\x1b[" + std::to_string(kColors[line % 6]) + "m");
    };
    auto color_off = [&] {
      if (o_.color) b->append("\x1b[0m");
    };
    for (int row = 0; row < h; row++) {
      std::string label;
      if (row == 0) label = Label(y1);
      if (row == h / 2) label = Label((y0 + y1) / 2);
      if (row == h - 1) label = Label(y0);
      b->append(static_cast<size_t>(std::max(0, kLabelWidth - static_cast<int>(label.size()))),
                ' ');
      b->append(label);
      b->append(o_.plot_ascii ? " |" : " \xe2\x94\xa4");  // ┤
      for (int col = 0; col < w; col++) {
        size_t k = static_cast<size_t>(row * w + col);
        if (owner[k] < 0) {
          b->push_back(' ');
          continue;
        }
        color_on(owner[k]);
        if (o_.plot_ascii) {
          b->push_back(kMarkers[owner[k] % 10]);
        } else {
          AppendUtf8(0x2800 + dots[k], b);
        }
        color_off();
      }
      while (b->back() == ' ') b->pop_back();
      b->push_back('\n');
    }
    b->append(static_cast<size_t>(kLabelWidth + 1), ' ');
    b->append(o_.plot_ascii ? "+" : "\xe2\x94\x94");                                    // └
    for (int col = 0; col < w; col++) b->append(o_.plot_ascii ? "-" : "\xe2\x94\x80");  // ─
    b->push_back('\n');
    std::string left, right;
    if (has_time_) {
      AppendTime(static_cast<int64_t>(x0), o_.epoch, &left);
      AppendTime(static_cast<int64_t>(x1), o_.epoch, &right);
    } else {
      left = Label(x0), right = Label(x1);
    }
    b->append(static_cast<size_t>(kLabelWidth + 2), ' ');
    b->append(left);
    int gap = w - static_cast<int>(left.size()) - static_cast<int>(right.size());
    b->append(static_cast<size_t>(std::max(1, gap)), ' ');
    b->append(right);
    b->push_back('\n');
    for (size_t li = 0; li < lines_.size(); li++) {
      b->append(static_cast<size_t>(kLabelWidth + 2), ' ');
      color_on(static_cast<int>(li));
      if (o_.plot_ascii) {
        b->push_back(kMarkers[li % 10]);
      } else {
        b->append("\xe2\x94\x80\xe2\x94\x80");  // ──
      }
      color_off();
      b->append(" " + lines_[li].name + "\n");
    }
    return out_->Flush();
  }

 private:
  size_t value_columns() const {
    size_t n = 0;
    for (const auto& c : columns_) n += c.role == ColumnRole::kValue;
    return n;
  }

  OutputOptions o_;
  OutputBuffer* out_;
  std::vector<ColumnSpec> columns_;
  std::vector<Line> lines_;
  std::map<std::string, size_t> index_;
  bool has_time_ = false;
};

}  // namespace

std::unique_ptr<ResultWriter> MakePlotWriter(const OutputOptions& o, OutputBuffer* out) {
  return std::make_unique<PlotWriter>(o, out);
}

}  // namespace telemdb::cli
