// Table: one table of the MQTT configuration file (toml++) and the keys read from it, for
// strict parsing with errors that name the file, line and key (config_toml.cc). Used by
// ingest/mqtt's config_toml.cc and cluster/config.cc only.
//
// Thread safety: not thread-safe; one per table being parsed.
#ifndef TELEMDB_INGEST_MQTT_CONFIG_TABLE_H_
#define TELEMDB_INGEST_MQTT_CONFIG_TABLE_H_

#include <toml++/toml.h>

#include <algorithm>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "util/absl_compat.h"
#include "util/client_text.h"

namespace telemdb::ingest::mqtt {

// One TOML table and the keys read from it, for error messages and unknown-key checks.
class Table {
 public:
  // `doc`: the page that lists the keys, named in unknown-key errors.
  Table(const toml::table& t, std::string context, const std::string& file,
        std::string doc = "docs/mqtt.md")
      : t_(t), context_(std::move(context)), file_(file), doc_(std::move(doc)) {}

  bool Has(std::string_view key) const { return t_.contains(key); }

  absl::Status Error(std::string_view key, std::string_view why) const {
    const toml::node* n = t_.get(key);
    const int line = n != nullptr ? static_cast<int>(n->source().begin.line)
                                  : static_cast<int>(t_.source().begin.line);
    return absl::InvalidArgumentError(
        absl::StrCat(file_, ":", line, ": ", context_, "key \"", Sv(key), "\": ", Sv(why)));
  }
  absl::Status TableError(std::string_view why) const {
    return absl::InvalidArgumentError(absl::StrCat(
        file_, ":", static_cast<int>(t_.source().begin.line), ": ", context_, Sv(why)));
  }

  absl::Status Get(std::string_view key, std::string* out) {
    const toml::node* n = Mark(key);
    if (n == nullptr) return absl::OkStatus();
    auto v = n->value_exact<std::string>();
    if (!v) return Error(key, "must be a string");
    if (!IsValidUtf8(*v) || v->find('\0') != std::string::npos) {
      return Error(key, "must be UTF-8 text without NUL");
    }
    *out = std::move(*v);
    return absl::OkStatus();
  }
  absl::Status Get(std::string_view key, int64_t* out) {
    const toml::node* n = Mark(key);
    if (n == nullptr) return absl::OkStatus();
    auto v = n->value_exact<int64_t>();
    if (!v) return Error(key, "must be an integer");
    *out = *v;
    return absl::OkStatus();
  }
  absl::Status Get(std::string_view key, bool* out) {
    const toml::node* n = Mark(key);
    if (n == nullptr) return absl::OkStatus();
    auto v = n->value_exact<bool>();
    if (!v) return Error(key, "must be true or false");
    *out = *v;
    return absl::OkStatus();
  }
  // "30s", "100ms", "1h30m", "7d", or an integer number of seconds; positive.
  absl::Status Get(std::string_view key, absl::Duration* out) {
    const toml::node* n = Mark(key);
    if (n == nullptr) return absl::OkStatus();
    absl::Duration d;
    if (auto i = n->value_exact<int64_t>()) {
      d = absl::Seconds(*i);
    } else if (auto s = n->value_exact<std::string>()) {
      int64_t days = 0;
      if (s->size() > 1 && s->back() == 'd' &&
          absl::SimpleAtoi(s->substr(0, s->size() - 1), &days)) {
        d = absl::Hours(24 * days);
      } else if (!absl::ParseDuration(*s, &d)) {
        return Error(key, absl::StrCat("\"", ClientText(*s),
                                       "\" is not a duration (e.g. 30s, "
                                       "500ms, 2h, 7d)"));
      }
    } else {
      return Error(key, "must be a duration string such as \"30s\" or a number of seconds");
    }
    if (d <= absl::ZeroDuration()) return Error(key, "must be positive");
    *out = d;
    return absl::OkStatus();
  }
  // An integer, or a string with a unit: "256KiB", "1MiB".
  absl::Status GetBytes(std::string_view key, size_t* out) {
    const toml::node* n = Mark(key);
    if (n == nullptr) return absl::OkStatus();
    if (auto i = n->value_exact<int64_t>()) {
      if (*i <= 0) return Error(key, "must be positive");
      *out = static_cast<size_t>(*i);
      return absl::OkStatus();
    }
    auto s = n->value_exact<std::string>();
    if (!s) return Error(key, "must be a size such as 262144 or \"256KiB\"");
    size_t digits = 0;
    while (digits < s->size() && (*s)[digits] >= '0' && (*s)[digits] <= '9') digits++;
    uint64_t v = 0;
    if (digits == 0 || !absl::SimpleAtoi(s->substr(0, digits), &v)) {
      return Error(key, "must be a size such as 262144 or \"256KiB\"");
    }
    const std::string unit = s->substr(digits);
    uint64_t mult = 0;
    if (unit.empty() || unit == "B") mult = 1;
    if (unit == "KiB") mult = 1 << 10;
    if (unit == "MiB") mult = 1 << 20;
    if (mult == 0) return Error(key, "unknown unit (use B, KiB or MiB)");
    if (v == 0 || v > (1ull << 40)) return Error(key, "out of range");
    *out = static_cast<size_t>(v * mult);
    return absl::OkStatus();
  }
  absl::Status Get(std::string_view key, std::vector<std::string>* out) {
    const toml::node* n = Mark(key);
    if (n == nullptr) return absl::OkStatus();
    const toml::array* a = n->as_array();
    if (a == nullptr) return Error(key, "must be an array of strings");
    out->clear();
    for (const toml::node& e : *a) {
      auto v = e.value_exact<std::string>();
      if (!v || v->empty() || !IsValidUtf8(*v)) {
        return Error(key, "must be an array of non-empty strings");
      }
      out->push_back(std::move(*v));
    }
    return absl::OkStatus();
  }
  const toml::table* SubTable(std::string_view key) {
    const toml::node* n = Mark(key);
    return n == nullptr ? nullptr : n->as_table();
  }
  // An error for the first key not in `allowed`: checked first, so that a misspelt key is
  // reported as such rather than as the key it was meant to be missing.
  absl::Status CheckKeys(std::initializer_list<std::string_view> allowed) const {
    for (const auto& [k, v] : t_) {
      if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end()) {
        return Error(k.str(), absl::StrCat("unknown key (", doc_, " lists the keys)"));
      }
    }
    return absl::OkStatus();
  }
  // An error for the first key that was never read.
  absl::Status CheckNoUnknown() const {
    for (const auto& [k, v] : t_) {
      if (read_.count(std::string(k.str())) == 0) {
        return Error(k.str(), absl::StrCat("unknown key (", doc_, " lists the keys)"));
      }
    }
    return absl::OkStatus();
  }

 private:
  const toml::node* Mark(std::string_view key) {
    read_.insert(std::string(key));
    return t_.get(key);
  }
  const toml::table& t_;
  std::string context_;
  const std::string& file_;
  std::string doc_;
  std::set<std::string> read_;
};

}  // namespace telemdb::ingest::mqtt

#endif  // TELEMDB_INGEST_MQTT_CONFIG_TABLE_H_
