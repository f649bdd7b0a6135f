#include "query/live/sse.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "query/lang/time_literal.h"
#include "util/client_text.h"

namespace telemdb::query {

absl::StatusOr<Epoch> ParseEpoch(std::string_view s) {
  if (s.empty()) return Epoch::kRfc3339;
  if (s == "ns" || s == "n") return Epoch::kNs;
  if (s == "us" || s == "u") return Epoch::kUs;
  if (s == "ms") return Epoch::kMs;
  if (s == "s") return Epoch::kS;
  return absl::InvalidArgumentError(
      absl::StrCat("epoch \"", ClientText(s), "\": expected ns, us, ms or s (default RFC 3339)"));
}

std::string SseEvent(std::string_view name, std::string_view data) {
  std::string out = "event: ";
  out.append(name.data(), name.size());
  out += "\ndata: ";
  out.append(data.data(), data.size());
  out += "\n\n";
  return out;
}

std::string SseComment(std::string_view text) {
  std::string out = ": ";
  out.append(text.data(), text.size());
  out += "\n\n";
  return out;
}

std::string FrameJson(const LiveFrame& f, Epoch epoch) {
  nlohmann::ordered_json j;
  j["measurement"] = f.measurement;
  j["tags"] = nlohmann::ordered_json::object();
  for (const auto& [k, v] : f.tags) j["tags"][k] = v;
  auto& time = j["time"] = nlohmann::ordered_json::array();
  for (int64_t t : f.time) {
    switch (epoch) {
      case Epoch::kRfc3339:
        time.push_back(lang::FormatRfc3339(t));
        break;
      case Epoch::kNs:
        time.push_back(t);
        break;
      case Epoch::kUs:
        time.push_back(t / 1000);
        break;
      case Epoch::kMs:
        time.push_back(t / 1'000'000);
        break;
      case Epoch::kS:
        time.push_back(t / 1'000'000'000);
        break;
    }
  }
  j["fields"] = nlohmann::ordered_json::object();
  for (size_t c = 0; c < f.columns.size() && c < f.fields.size(); c++) {
    const Column& col = f.columns[c];
    auto& arr = j["fields"][f.fields[c]] = nlohmann::ordered_json::array();
    for (size_t r = 0; r < col.size(); r++) {
      if (col.IsNull(r)) {
        arr.push_back(nullptr);
        continue;
      }
      switch (col.type) {
        case storage::ValueType::kFloat:
          arr.push_back(col.floats[r]);  // NaN and infinities become null
          break;
        case storage::ValueType::kInt:
          arr.push_back(col.ints[r]);
          break;
        case storage::ValueType::kBool:
          arr.push_back(col.ints[r] != 0);
          break;
        case storage::ValueType::kString:
          arr.push_back(col.strings[r]);
          break;
      }
    }
  }
  j["history"] = f.history;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace telemdb::query
