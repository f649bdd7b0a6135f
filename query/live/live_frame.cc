#include "query/live/live_frame.h"

#include <algorithm>

namespace telemdb::query {

uint64_t LiveFrame::Values() const {
  uint64_t n = 0;
  for (const Column& c : columns) {
    for (uint8_t v : c.valid) n += v != 0;
  }
  return n;
}

size_t LiveFrame::Bytes() const {
  size_t b = sizeof(LiveFrame) + measurement.size() + 8 * time.size();
  for (const auto& [k, v] : tags) b += k.size() + v.size() + 2 * sizeof(std::string);
  for (size_t i = 0; i < columns.size(); i++) {
    const Column& c = columns[i];
    b += sizeof(Column) + fields[i].size() + c.valid.size() + 8 * (c.floats.size() + c.ints.size());
    for (const auto& s : c.strings) b += s.size() + sizeof(std::string);
  }
  return b;
}

namespace {

void AppendFieldValue(const LiveColumn& f, size_t r, Column* c) {
  if (!f.IsValid(r)) {
    c->AppendNull();
    return;
  }
  switch (f.type) {
    case storage::ValueType::kFloat:
      c->AppendFloat(f.floats[r]);
      break;
    case storage::ValueType::kInt:
      c->AppendInt(f.ints[r]);
      break;
    case storage::ValueType::kBool:
      c->AppendBool(f.bools[r] != 0);
      break;
    case storage::ValueType::kString:
      c->AppendString(std::string(f.strings[r]));
      break;
  }
}

}  // namespace

bool FrameFromGroup(const LiveGroup& group, const LiveSelector& selector, LiveFrame* out,
                    std::vector<storage::SeriesId>* column_ids) {
  std::vector<size_t> wanted;
  for (size_t f = 0; f < group.n_columns; f++) {
    if (selector.WantsField(group.columns[f].name)) wanted.push_back(f);
  }
  if (wanted.empty()) return false;
  const size_t n = group.rows;
  std::vector<uint8_t> keep(n, 0);
  size_t kept = 0;
  for (size_t r = 0; r < n; r++) {
    for (size_t f : wanted) {
      if (group.columns[f].IsValid(r)) {
        keep[r] = 1;
        break;
      }
    }
    kept += keep[r];
  }
  if (kept == 0) return false;
  out->measurement = std::string(group.measurement);
  out->tags = group.Tags();
  out->history = false;
  out->time.clear();
  out->time.reserve(kept);
  for (size_t r = 0; r < n; r++) {
    if (keep[r]) out->time.push_back(group.ts[r]);
  }
  out->fields.clear();
  out->columns.clear();
  column_ids->clear();
  for (size_t f : wanted) {
    const LiveColumn& fc = group.columns[f];
    out->fields.emplace_back(fc.name);
    column_ids->push_back(fc.id);
    Column c;
    c.type = fc.type;
    c.Reserve(kept);
    for (size_t r = 0; r < n; r++) {
      if (keep[r]) AppendFieldValue(fc, r, &c);
    }
    out->columns.push_back(std::move(c));
  }
  return true;
}

void MergeColumns(const std::vector<std::string>& names,
                  const std::vector<storage::codec::Columns>& inputs, LiveFrame* out) {
  std::vector<int64_t> times;
  for (const auto& in : inputs) times.insert(times.end(), in.ts.begin(), in.ts.end());
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  out->time = times;
  out->fields = names;
  out->columns.clear();
  for (const auto& in : inputs) {
    Column c;
    c.type = in.type;
    c.Reserve(times.size());
    size_t j = 0;
    for (int64_t t : times) {
      if (j < in.ts.size() && in.ts[j] == t) {
        switch (in.type) {
          case storage::ValueType::kFloat:
            c.AppendFloat(in.floats[j]);
            break;
          case storage::ValueType::kInt:
            c.AppendInt(in.ints[j]);
            break;
          case storage::ValueType::kBool:
            c.AppendBool(in.ints[j] != 0);
            break;
          case storage::ValueType::kString:
            c.AppendString(in.strings[j]);
            break;
        }
        j++;
      } else {
        c.AppendNull();
      }
    }
    out->columns.push_back(std::move(c));
  }
}

uint64_t NullColumn(LiveFrame* frame, size_t c) {
  Column& col = frame->columns[c];
  uint64_t removed = 0;
  for (size_t r = 0; r < col.size(); r++) {
    if (col.valid[r]) {
      removed++;
      col.valid[r] = 0;
      switch (col.type) {
        case storage::ValueType::kFloat:
          col.floats[r] = 0;
          break;
        case storage::ValueType::kString:
          col.strings[r].clear();
          break;
        default:
          col.ints[r] = 0;
      }
    }
  }
  // Drop rows without any value left.
  const size_t n = frame->time.size();
  std::vector<uint8_t> keep(n, 0);
  bool all = true;
  for (size_t r = 0; r < n; r++) {
    for (const Column& k : frame->columns) keep[r] |= k.valid[r];
    all &= keep[r] != 0;
  }
  if (all) return removed;
  LiveFrame out;
  out.measurement = std::move(frame->measurement);
  out.tags = std::move(frame->tags);
  out.fields = std::move(frame->fields);
  out.history = frame->history;
  for (size_t r = 0; r < n; r++) {
    if (keep[r]) out.time.push_back(frame->time[r]);
  }
  for (const Column& k : frame->columns) {
    Column nc;
    nc.type = k.type;
    for (size_t r = 0; r < n; r++) {
      if (keep[r]) nc.AppendFrom(k, r);
    }
    out.columns.push_back(std::move(nc));
  }
  *frame = std::move(out);
  return removed;
}

std::vector<LiveFrame> SplitRows(LiveFrame&& frame, size_t max_rows) {
  std::vector<LiveFrame> out;
  if (frame.rows() <= max_rows || max_rows == 0) {
    out.push_back(std::move(frame));
    return out;
  }
  for (size_t start = 0; start < frame.rows(); start += max_rows) {
    const size_t end = std::min(frame.rows(), start + max_rows);
    LiveFrame f;
    f.measurement = frame.measurement;
    f.tags = frame.tags;
    f.fields = frame.fields;
    f.history = frame.history;
    f.time.assign(frame.time.begin() + start, frame.time.begin() + end);
    for (const Column& c : frame.columns) {
      Column nc;
      nc.type = c.type;
      nc.Reserve(end - start);
      for (size_t r = start; r < end; r++) nc.AppendFrom(c, r);
      f.columns.push_back(std::move(nc));
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace telemdb::query
