#include "query/predict/anomaly_options.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace telemdb::predict {
namespace {

struct Key {
  const char* name;
  int64_t AnomalyOptions::*field;
  int64_t lo, hi;
};

// Sorted by name: Canonical() prints in this order.
constexpr Key kKeys[] = {
    {"calibration", &AnomalyOptions::calibration, 64, 100'000},
    {"dim", &AnomalyOptions::dim, 1, 64},
    {"neighbours", &AnomalyOptions::neighbours, 16, 20'000},
    {"short", &AnomalyOptions::short_window, 2, 1'000},
    {"suppress", &AnomalyOptions::suppress, 0, 10'000},
    {"volatility", &AnomalyOptions::volatility, 2, 1'000},
    {"window", &AnomalyOptions::window, 16, 100'000},
};

std::string KeyList() {
  std::vector<std::string> names;
  for (const Key& k : kKeys) names.push_back(k.name);
  return absl::StrJoin(names, ", ");
}

}  // namespace

absl::StatusOr<AnomalyOptions> AnomalyOptions::Parse(std::string_view text) {
  AnomalyOptions o;
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(text.data(), text.size()), ',', absl::SkipWhitespace())) {
    const size_t eq = part.find('=');
    const absl::string_view key = absl::StripAsciiWhitespace(part.substr(0, eq));
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected key=value, found '", absl::StripAsciiWhitespace(part), "'"));
    }
    const absl::string_view value = absl::StripAsciiWhitespace(part.substr(eq + 1));
    const Key* k = nullptr;
    for (const Key& c : kKeys) {
      if (key == c.name) k = &c;
    }
    if (k == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown option '", key, "' (options: ", KeyList(), ")"));
    }
    int64_t v;
    if (k->field == &AnomalyOptions::neighbours && absl::SimpleAtoi(value, &v) && v == 0) {
      o.neighbours = 0;  // no shape measure
      continue;
    }
    if (!absl::SimpleAtoi(value, &v) || v < k->lo || v > k->hi) {
      return absl::InvalidArgumentError(absl::StrCat(
          "expected ", k->field == &AnomalyOptions::neighbours ? "0 or " : "",
          "an integer between ", k->lo, " and ", k->hi, " for ", k->name, ", found '", value, "'"));
    }
    o.*(k->field) = v;
  }
  return o;
}

std::string AnomalyOptions::Canonical() const {
  const AnomalyOptions defaults;
  std::vector<std::string> out;
  for (const Key& k : kKeys) {
    if (this->*(k.field) != defaults.*(k.field))
      out.push_back(absl::StrCat(k.name, "=", this->*(k.field)));
  }
  return absl::StrJoin(out, ",");
}

int64_t AnomalyOptions::Memory() const {
  const int64_t shape = neighbours > 0 ? 2 * dim + neighbours : 0;
  return suppress + calibration + std::max({window + 1, shape, volatility + 1, short_window}) + 1;
}

absl::StatusOr<std::string> CanonicalAnomalyOptions(std::string_view text) {
  auto o = AnomalyOptions::Parse(text);
  if (!o.ok()) return o.status();
  return o->Canonical();
}

}  // namespace telemdb::predict
