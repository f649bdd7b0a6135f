#include "cli/client/batch_proto.h"

#include <type_traits>
#include <utility>

namespace telemdb::client {
namespace {

// One group into `out`: copies from a const group, moves strings out of a mutable one.
template <typename Group>
void Fill(Group& g, v1::SeriesBatch* out) {
  constexpr bool kMove = !std::is_const_v<Group>;
  auto take = [](auto& s) -> decltype(auto) {
    if constexpr (kMove) {
      return std::move(s);
    } else {
      return static_cast<const std::decay_t<decltype(s)>&>(s);
    }
  };
  out->set_measurement(take(g.measurement));
  for (auto& [k, v] : g.tags) {
    auto* t = out->add_tags();
    t->set_key(take(k));
    t->set_value(take(v));
  }
  out->mutable_timestamps()->Add(g.timestamps.begin(), g.timestamps.end());
  for (auto& f : g.fields) {
    v1::FieldColumn* c = out->add_fields();
    c->set_name(take(f.name));
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
        for (auto& s : f.strings) c->mutable_strings()->add_values(take(s));
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

}  // namespace

void AppendGroups(std::vector<storage::SeriesBatch>* groups, v1::WriteRequest* req) {
  req->mutable_series()->Reserve(req->series_size() + static_cast<int>(groups->size()));
  for (auto& g : *groups) Fill(g, req->add_series());
}

void AppendGroup(const storage::SeriesBatch& group, v1::WriteRequest* req) {
  Fill(group, req->add_series());
}

}  // namespace telemdb::client
