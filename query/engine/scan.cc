#include "query/engine/scan.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace telemdb::query {

using storage::codec::Columns;

void AppendValue(const Columns& c, size_t i, Column* col) {
  switch (col->type) {
    case ValueType::kFloat:
      col->AppendFloat(c.floats[i]);
      break;
    case ValueType::kInt:
    case ValueType::kBool:
      col->AppendInt(c.ints[i]);
      break;
    case ValueType::kString:
      col->AppendString(c.strings[i]);
      break;
  }
}

absl::StatusOr<Scanner::Cursor> Scanner::Open(SeriesId id, int64_t start, int64_t end) {
  RETURN_IF_ERROR(ctx_->Check());
  Cursor c;
  ASSIGN_OR_RETURN(c.cursor_, querier_->Open(id, start, end));
  RETURN_IF_ERROR(Account(&c));
  return c;
}

absl::Status Scanner::Account(Cursor* c) {
  const CursorStats now = c->cursor_->stats();
  CursorStats& seen = c->seen_;
  stats_->chunks_read += now.chunks_read - seen.chunks_read;
  stats_->chunks_decoded += now.chunks_decoded - seen.chunks_decoded;
  stats_->points_decoded += now.points_decoded - seen.points_decoded;
  stats_->head_points += now.head_points - seen.head_points;
  stats_->bytes_read += now.bytes_read - seen.bytes_read;
  stats_->points_scanned +=
      (now.points_decoded - seen.points_decoded) + (now.head_points - seen.head_points);
  seen = now;
  if (stats_->points_scanned > options_->max_points_scanned) {
    return absl::ResourceExhaustedError(
        absl::StrCat("query scanned more than ", options_->max_points_scanned,
                     " points (limit max_points_scanned); narrow the time range or series"));
  }
  return ctx_->Check();
}

absl::StatusOr<bool> Scanner::Next(Cursor* c) {
  ASSIGN_OR_RETURN(bool more, c->cursor_->Next());
  RETURN_IF_ERROR(Account(c));
  return more;
}

absl::Status Scanner::Decode(Cursor* c, ValueType want, Columns* out) {
  RETURN_IF_ERROR(c->cursor_->Decode(out));
  RETURN_IF_ERROR(Account(c));
  if (want == ValueType::kFloat && out->type == ValueType::kInt) {
    out->floats.resize(out->ints.size());
    for (size_t i = 0; i < out->ints.size(); i++)
      out->floats[i] = static_cast<double>(out->ints[i]);
    out->ints.clear();
    out->type = ValueType::kFloat;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<EntityReader>> EntityReader::Open(
    Scanner* scanner, const std::vector<SeriesId>& series, const std::vector<ValueType>& want,
    const std::vector<int>& read, int64_t start, int64_t end) {
  std::unique_ptr<EntityReader> r(new EntityReader(scanner));
  r->want_ = want;
  for (int f : read) {
    if (series[f] == storage::kInvalidSeriesId) continue;
    Stream s;
    s.field = f;
    s.want = want[f];
    ASSIGN_OR_RETURN(s.cursor, scanner->Open(series[f], start, end));
    r->streams_.push_back(std::move(s));
  }
  return r;
}

absl::Status EntityReader::Fill(Stream* s) {
  while (!s->done && s->pos >= s->buf.size()) {
    ASSIGN_OR_RETURN(bool more, scanner_->Next(&s->cursor));
    if (!more) {
      s->done = true;
      s->buf.Clear();
      s->pos = 0;
      break;
    }
    RETURN_IF_ERROR(scanner_->Decode(&s->cursor, s->want, &s->buf));
    s->pos = 0;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> EntityReader::Next(size_t max_rows, RowBatch* out) {
  out->ts.clear();
  out->fields.resize(want_.size());
  for (size_t f = 0; f < want_.size(); f++) {
    out->fields[f].Clear();
    out->fields[f].type = want_[f];
  }
  std::vector<Column*> cols;
  for (Stream& s : streams_) cols.push_back(&out->fields[s.field]);
  while (out->size() < max_rows) {
    int64_t horizon = std::numeric_limits<int64_t>::max();
    int live = 0, only = -1;
    for (size_t k = 0; k < streams_.size(); k++) {
      Stream& s = streams_[k];
      RETURN_IF_ERROR(Fill(&s));
      if (s.done) continue;
      horizon = std::min(horizon, s.buf.ts.back());
      live++;
      only = static_cast<int>(k);
    }
    if (live == 0) break;
    if (live == 1) {
      // One stream left: copy a run in bulk; other fields are null.
      Stream& s = streams_[only];
      const size_t n = std::min(max_rows - out->size(), s.buf.size() - s.pos);
      out->ts.insert(out->ts.end(), s.buf.ts.begin() + s.pos, s.buf.ts.begin() + s.pos + n);
      for (size_t k = 0; k < streams_.size(); k++) {
        Column* col = cols[k];
        if (static_cast<int>(k) != only) {
          for (size_t i = 0; i < n; i++) col->AppendNull();
          continue;
        }
        for (size_t i = 0; i < n; i++) AppendValue(s.buf, s.pos + i, col);
      }
      s.pos += n;
      continue;
    }
    while (out->size() < max_rows) {
      int64_t t = std::numeric_limits<int64_t>::max();
      bool any = false;
      for (Stream& s : streams_) {
        if (s.pos < s.buf.size()) {
          t = std::min(t, s.buf.ts[s.pos]);
          any = true;
        }
      }
      if (!any || t > horizon) break;
      out->ts.push_back(t);
      for (size_t k = 0; k < streams_.size(); k++) {
        Stream& s = streams_[k];
        if (s.pos < s.buf.size() && s.buf.ts[s.pos] == t) {
          AppendValue(s.buf, s.pos++, cols[k]);
        } else {
          cols[k]->AppendNull();
        }
      }
    }
  }
  return out->size() > 0;
}

}  // namespace telemdb::query
