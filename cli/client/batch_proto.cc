#include "cli/client/batch_proto.h"

namespace telemdb::client {

void AppendGroups(std::vector<storage::SeriesBatch>* groups, v1::WriteRequest* req) {
  req->mutable_series()->Reserve(req->series_size() + static_cast<int>(groups->size()));
  for (auto& g : *groups) {
    v1::SeriesBatch* out = req->add_series();
    out->set_measurement(std::move(g.measurement));
    for (auto& [k, v] : g.tags) {
      auto* t = out->add_tags();
      t->set_key(std::move(k));
      t->set_value(std::move(v));
    }
    out->mutable_timestamps()->Add(g.timestamps.begin(), g.timestamps.end());
    for (auto& f : g.fields) {
      v1::FieldColumn* c = out->add_fields();
      c->set_name(std::move(f.name));
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
          for (auto& s : f.strings) c->mutable_strings()->add_values(std::move(s));
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
}

}  // namespace telemdb::client
