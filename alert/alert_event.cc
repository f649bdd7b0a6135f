#include "alert/alert_event.h"

#include "nlohmann/json.hpp"
#include "query/lang/time_literal.h"

namespace telemdb::alert {

std::string AlertEvent::ToJson() const {
  nlohmann::ordered_json j;
  j["id"] = id;
  j["rule"] = rule;
  j["state"] = to;
  j["previous"] = from;
  j["at"] = query::lang::FormatRfc3339(at_ns);
  j["at_ns"] = at_ns;
  if (std::isnan(value)) {
    j["value"] = nullptr;
  } else {
    j["value"] = value;
  }
  j["group"] = nlohmann::ordered_json::object();
  for (const auto& [k, v] : group) j["group"][k] = v;
  j["labels"] = nlohmann::ordered_json::object();
  for (const auto& [k, v] : labels) j["labels"][k] = v;
  j["measurement"] = measurement;
  j["condition"] = condition;
  j["transition"] = number;
  if (active_since_ns != 0) j["active_since"] = query::lang::FormatRfc3339(active_since_ns);
  j["late"] = late;
  if (!note.empty()) j["note"] = note;
  j["reminder"] = reminder;
  if (current) j["current"] = true;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

size_t AlertEvent::Bytes() const {
  size_t b = sizeof(AlertEvent) + id.size() + rule.size() + rule_id.size() + measurement.size() +
             condition.size() + from.size() + to.size() + note.size();
  for (const auto& [k, v] : group) b += k.size() + v.size() + 64;
  for (const auto& [k, v] : labels) b += k.size() + v.size() + 64;
  return b;
}

}  // namespace telemdb::alert
