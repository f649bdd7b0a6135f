#include "cluster/part_codec.h"

#include "ingest/request_convert.h"
#include "telemdb/v1/ingest.pb.h"

namespace telemdb::cluster {

std::string EncodePart(const std::vector<storage::SeriesBatch>& groups,
                       const std::vector<size_t>& indexes) {
  v1::WriteRequest req;
  req.mutable_series()->Reserve(static_cast<int>(indexes.size()));
  for (size_t i : indexes) {
    const storage::SeriesBatch& g = groups[i];
    v1::SeriesBatch* out = req.add_series();
    out->set_measurement(g.measurement);
    for (const auto& [k, v] : g.tags) {
      auto* t = out->add_tags();
      t->set_key(k);
      t->set_value(v);
    }
    out->mutable_timestamps()->Add(g.timestamps.begin(), g.timestamps.end());
    for (const storage::FieldColumn& f : g.fields) {
      v1::FieldColumn* c = out->add_fields();
      c->set_name(f.name);
      switch (f.type) {
        case storage::ValueType::kFloat:
          c->mutable_doubles()->mutable_values()->Add(f.floats.begin(), f.floats.end());
          break;
        case storage::ValueType::kInt:
          c->mutable_ints()->mutable_values()->Add(f.ints.begin(), f.ints.end());
          break;
        case storage::ValueType::kBool: {
          auto* v = c->mutable_bools()->mutable_values();
          v->Reserve(static_cast<int>(f.bools.size()));
          for (uint8_t b : f.bools) v->Add(b != 0);
          break;
        }
        case storage::ValueType::kString:
          for (const std::string& s : f.strings) c->mutable_strings()->add_values(s);
          break;
      }
      if (!f.valid.empty()) {
        std::string bitmap((f.valid.size() + 7) / 8, '\0');
        for (size_t r = 0; r < f.valid.size(); r++) {
          if (f.valid[r]) bitmap[r / 8] |= static_cast<char>(1 << (r % 8));
        }
        c->set_validity(std::move(bitmap));
      }
    }
  }
  return req.SerializeAsString();
}

absl::Status DecodePart(std::string_view bytes, std::vector<storage::SeriesBatch>* out) {
  v1::WriteRequest req;
  if (!req.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("log message is not a telemdb.v1.WriteRequest");
  }
  return ingest::ConvertRequest(req, out);
}

}  // namespace telemdb::cluster
