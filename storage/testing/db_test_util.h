// Helpers for storage tests: building batches and reading series back.
#ifndef TELEMDB_STORAGE_TESTING_DB_TEST_UTIL_H_
#define TELEMDB_STORAGE_TESTING_DB_TEST_UTIL_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/db.h"
#include "storage/key_layout.h"
#include "util/status_macros.h"

namespace telemdb::storage::testing {

// One float field `f` of measurement `m` with tags {device: dev}.
inline SeriesBatch FloatGroup(const std::string& m, const std::string& dev,
                              const std::string& field, std::vector<int64_t> ts,
                              std::vector<double> values) {
  SeriesBatch g;
  g.measurement = m;
  g.tags = {{"device", dev}};
  g.timestamps = std::move(ts);
  FieldColumn c;
  c.name = field;
  c.type = ValueType::kFloat;
  c.floats = std::move(values);
  g.fields.push_back(std::move(c));
  return g;
}

inline absl::Status WriteFloats(Db* db, const std::string& m, const std::string& dev,
                                const std::string& field, std::vector<int64_t> ts,
                                std::vector<double> values, AckMode mode = AckMode::kSync) {
  std::vector<SeriesBatch> groups;
  groups.push_back(FloatGroup(m, dev, field, std::move(ts), std::move(values)));
  WriteOptions wo;
  wo.ack_mode = mode;
  return db->Write(&groups, wo).status();
}

inline SeriesId FindSeries(Db* db, const std::string& m, const std::string& dev,
                           const std::string& field) {
  return db->index().Find(keys::SeriesKeyBytes(m, {{"device", dev}}, field));
}

// Every point of a float series in [start, end) as a map.
inline absl::StatusOr<std::map<int64_t, double>> ReadFloats(Db* db, SeriesId id,
                                                            int64_t start = INT64_MIN,
                                                            int64_t end = INT64_MAX) {
  ASSIGN_OR_RETURN(auto cursor, db->Read(id, start, end));
  codec::Columns all;
  RETURN_IF_ERROR(cursor->ReadAll(&all));
  std::map<int64_t, double> out;
  for (size_t i = 0; i < all.size(); i++) {
    if (!out.emplace(all.ts[i], all.floats[i]).second) {
      return absl::InternalError("duplicate timestamp in read result");
    }
    if (i > 0 && all.ts[i - 1] >= all.ts[i]) return absl::InternalError("unsorted read result");
  }
  return out;
}

}  // namespace telemdb::storage::testing

#endif  // TELEMDB_STORAGE_TESTING_DB_TEST_UTIL_H_
