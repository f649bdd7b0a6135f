#include "alert/state.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "util/client_text.h"

namespace telemdb::alert {

const char* StateName(AlertState s) {
  switch (s) {
    case AlertState::kInactive:
      return "inactive";
    case AlertState::kPending:
      return "pending";
    case AlertState::kFiring:
      return "firing";
    case AlertState::kResolved:
      return "resolved";
  }
  return "inactive";
}

absl::StatusOr<AlertState> ParseState(std::string_view s) {
  for (AlertState a :
       {AlertState::kInactive, AlertState::kPending, AlertState::kFiring, AlertState::kResolved}) {
    if (s == StateName(a)) return a;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown alert state \"", ClientText(s),
                                                 "\" (inactive, pending, firing, resolved)"));
}

std::optional<Transition> Step(InstanceState* s, const Evaluation& e, int64_t for_ns,
                               bool has_clear) {
  s->last_eval_ns = e.at_ns;
  if (!e.has_value) return std::nullopt;
  s->value = e.value;
  AlertState to = s->state;
  int64_t active_since = s->active_since_ns;
  switch (s->state) {
    case AlertState::kInactive:
    case AlertState::kResolved:
      if (e.cond) {
        active_since = e.at_ns;
        to = for_ns <= 0 ? AlertState::kFiring : AlertState::kPending;
      }
      break;
    case AlertState::kPending:
      if (!e.cond) {
        to = AlertState::kInactive;
      } else if (e.at_ns - s->active_since_ns >= for_ns) {
        to = AlertState::kFiring;
      }
      break;
    case AlertState::kFiring:
      if (has_clear ? e.clear : !e.cond) to = AlertState::kResolved;
      break;
  }
  if (to == s->state) return std::nullopt;
  Transition t;
  t.from = s->state;
  t.to = to;
  t.at_ns = e.at_ns;
  t.value = e.value;
  t.late = e.late;
  t.number = ++s->transitions;
  t.active_since_ns = active_since;
  s->state = to;
  s->since_ns = e.at_ns;
  s->active_since_ns = (to == AlertState::kPending || to == AlertState::kFiring) ? active_since : 0;
  return t;
}

std::string StateToJson(const InstanceState& s, const storage::TagSet& group) {
  nlohmann::json j;
  j["state"] = StateName(s.state);
  j["since_ns"] = s.since_ns;
  j["active_since_ns"] = s.active_since_ns;
  if (!std::isnan(s.value)) j["value"] = s.value;
  j["last_eval_ns"] = s.last_eval_ns;
  j["transitions"] = s.transitions;
  j["last_notified_ns"] = s.last_notified_ns;
  j["group"] = nlohmann::json::array();
  for (const auto& [k, v] : group) j["group"].push_back({k, v});
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<InstanceState> StateFromJson(std::string_view json, storage::TagSet* group) {
  auto j = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("state") || !j["state"].is_string()) {
    return absl::DataLossError("alert state record is not valid JSON");
  }
  InstanceState s;
  auto st = ParseState(j["state"].get<std::string>());
  if (!st.ok()) return absl::DataLossError(st.status().message());
  s.state = *st;
  auto num = [&](const char* k, int64_t* out) {
    if (j.contains(k) && j[k].is_number_integer()) *out = j[k].get<int64_t>();
  };
  num("since_ns", &s.since_ns);
  num("active_since_ns", &s.active_since_ns);
  num("last_eval_ns", &s.last_eval_ns);
  num("last_notified_ns", &s.last_notified_ns);
  if (j.contains("transitions") && j["transitions"].is_number_unsigned()) {
    s.transitions = j["transitions"].get<uint64_t>();
  }
  if (j.contains("value") && j["value"].is_number()) s.value = j["value"].get<double>();
  group->clear();
  if (j.contains("group") && j["group"].is_array()) {
    for (const auto& kv : j["group"]) {
      if (kv.is_array() && kv.size() == 2 && kv[0].is_string() && kv[1].is_string()) {
        group->emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
      }
    }
  }
  return s;
}

}  // namespace telemdb::alert
