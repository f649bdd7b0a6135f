#include "ingest/request_convert.h"

#include "absl/strings/str_cat.h"
#include "storage/batch_validator.h"
#include "storage/write_error.h"
#include "telemdb/v1/ingest.pb.h"

namespace telemdb::ingest {

absl::Status ConvertRequest(const v1::WriteRequest& req, std::vector<storage::SeriesBatch>* out) {
  out->clear();
  out->resize(static_cast<size_t>(req.series_size()));
  for (int g = 0; g < req.series_size(); g++) {
    const v1::SeriesBatch& in = req.series(g);
    storage::SeriesBatch& b = (*out)[g];
    b.measurement = in.measurement();
    b.tags.reserve(static_cast<size_t>(in.tags_size()));
    for (const auto& t : in.tags()) b.tags.emplace_back(t.key(), t.value());
    b.timestamps.assign(in.timestamps().begin(), in.timestamps().end());
    const size_t rows = b.timestamps.size();
    b.fields.resize(static_cast<size_t>(in.fields_size()));
    for (int f = 0; f < in.fields_size(); f++) {
      const v1::FieldColumn& c = in.fields(f);
      storage::FieldColumn& col = b.fields[f];
      col.name = c.name();
      auto fail = [&](const std::string& msg, int64_t row = -1) {
        storage::BatchError where{g, storage::DescribeGroup(b), c.name(), row};
        std::string at =
            absl::StrCat("series ", g, " (", where.series, ") field \"", c.name(), "\"");
        if (row >= 0) absl::StrAppend(&at, " row ", row);
        return storage::MakeBatchError(absl::StatusCode::kInvalidArgument, where,
                                       absl::StrCat(at, ": ", msg));
      };
      size_t n = 0;
      switch (c.values_case()) {
        case v1::FieldColumn::kDoubles:
          col.type = storage::ValueType::kFloat;
          col.floats.assign(c.doubles().values().begin(), c.doubles().values().end());
          n = col.floats.size();
          break;
        case v1::FieldColumn::kInts:
          col.type = storage::ValueType::kInt;
          col.ints.assign(c.ints().values().begin(), c.ints().values().end());
          n = col.ints.size();
          break;
        case v1::FieldColumn::kBools:
          col.type = storage::ValueType::kBool;
          col.bools.assign(c.bools().values().begin(), c.bools().values().end());
          n = col.bools.size();
          break;
        case v1::FieldColumn::kStrings:
          col.type = storage::ValueType::kString;
          col.strings.assign(c.strings().values().begin(), c.strings().values().end());
          n = col.strings.size();
          break;
        case v1::FieldColumn::VALUES_NOT_SET:
          return fail("has no values (set one of doubles, ints, bools, strings)");
      }
      if (n != rows) {
        return fail(absl::StrCat("has ", n, " values but the series has ", rows, " timestamps"));
      }
      if (!c.validity().empty() && c.missing_rows_size() > 0) {
        return fail("sets both validity and missing_rows; use one");
      }
      if (!c.validity().empty()) {
        if (c.validity().size() != (rows + 7) / 8) {
          return fail(absl::StrCat("validity bitmap has ", c.validity().size(), " bytes; ", rows,
                                   " rows need ", (rows + 7) / 8));
        }
        col.valid.resize(rows);
        for (size_t r = 0; r < rows; r++) {
          col.valid[r] = (static_cast<uint8_t>(c.validity()[r / 8]) >> (r % 8)) & 1;
        }
      } else if (c.missing_rows_size() > 0) {
        col.valid.assign(rows, 1);
        for (uint32_t r : c.missing_rows()) {
          if (r >= rows) {
            return fail(
                absl::StrCat("missing_rows names row ", r, " but the series has ", rows, " rows"));
          }
          col.valid[r] = 0;
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace telemdb::ingest
