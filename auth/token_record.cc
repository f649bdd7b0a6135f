#include "auth/token_record.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "auth/scopes.h"
#include "nlohmann/json.hpp"
#include "util/absl_compat.h"
#include "util/status_macros.h"

namespace telemdb::auth {
namespace {

constexpr const char* kFields[] = {
    "created_ns",          "description",   "expires_ns", "hash",   "id",
    "previous_expires_ns", "previous_hash", "revoked",    "scopes", "v"};

bool IsHexHash(std::string_view h) {
  if (h.size() != 64) return false;
  for (char c : h) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Reads the fields of one record; the first error names the field.
class Reader {
 public:
  Reader(const nlohmann::json& j, std::string what) : j_(j), what_(std::move(what)) {}

  absl::Status Error(std::string_view field, std::string_view problem) const {
    return absl::InvalidArgumentError(
        absl::StrCat(what_, ": field \"", Sv(field), "\" ", Sv(problem)));
  }

  absl::StatusOr<std::string> String(const char* field) const {
    const auto it = j_.find(field);
    if (it == j_.end()) return Error(field, "is missing");
    if (!it->is_string()) return Error(field, "must be a string");
    return it->get<std::string>();
  }

  // A non-negative integer that fits int64.
  absl::StatusOr<int64_t> Time(const char* field) const {
    const auto it = j_.find(field);
    if (it == j_.end()) return Error(field, "is missing");
    if (!it->is_number_integer()) return Error(field, "must be an integer (ns since the epoch)");
    if (it->is_number_unsigned()) {
      if (it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Error(field, "is past what int64 nanoseconds hold");
      }
      return static_cast<int64_t>(it->get<uint64_t>());
    }
    const int64_t v = it->get<int64_t>();
    if (v < 0) return Error(field, "must not be negative");
    return v;
  }

  absl::StatusOr<bool> Bool(const char* field) const {
    const auto it = j_.find(field);
    if (it == j_.end()) return Error(field, "is missing");
    if (!it->is_boolean()) return Error(field, "must be true or false");
    return it->get<bool>();
  }

  absl::StatusOr<std::vector<std::string>> Strings(const char* field) const {
    const auto it = j_.find(field);
    if (it == j_.end()) return Error(field, "is missing");
    if (!it->is_array()) return Error(field, "must be an array of strings");
    std::vector<std::string> out;
    for (const auto& e : *it) {
      if (!e.is_string()) return Error(field, "must be an array of strings");
      out.push_back(e.get<std::string>());
    }
    return out;
  }

 private:
  const nlohmann::json& j_;
  std::string what_;
};

}  // namespace

bool IsTokenId(std::string_view id) {
  if (id.size() != 12) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) return false;
  }
  return true;
}

std::string SerializeTokenRecord(const TokenRecord& r) {
  // nlohmann::json objects keep their keys sorted: the same record gives the same bytes.
  const nlohmann::json j = {{"v", kTokenRecordVersion},
                            {"id", r.id},
                            {"description", r.description},
                            {"scopes", r.scopes},
                            {"created_ns", r.created_ns},
                            {"expires_ns", r.expires_ns},
                            {"revoked", r.revoked},
                            {"hash", r.hash},
                            {"previous_hash", r.previous_hash},
                            {"previous_expires_ns", r.previous_expires_ns}};
  return j.dump();
}

absl::StatusOr<TokenRecord> ParseTokenRecord(std::string_view text) {
  if (text.size() > kMaxTokenRecordBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "token record: ", text.size(), " bytes, over the limit of ", kMaxTokenRecordBytes));
  }
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("token record: not a JSON object");
  }
  // Name the record by its id when it has a usable one.
  std::string what = "token record";
  if (const auto id = j.find("id");
      id != j.end() && id->is_string() && IsTokenId(id->get<std::string>())) {
    what = absl::StrCat("token record ", id->get<std::string>());
  }
  const Reader in(j, what);
  const auto v = j.find("v");
  if (v == j.end()) return in.Error("v", "(the format version) is missing");
  if (!v->is_number_integer() || v->get<int64_t>() != kTokenRecordVersion) {
    return in.Error("v", absl::StrCat("is ", v->dump(), "; this node reads version ",
                                      kTokenRecordVersion, " only"));
  }
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (const char* f : kFields) known = known || key == f;
    if (!known) return in.Error(key, "is not a field of a token record");
  }
  TokenRecord r;
  ASSIGN_OR_RETURN(r.id, in.String("id"));
  if (!IsTokenId(r.id)) return in.Error("id", "must be 12 characters of [a-z2-7]");
  ASSIGN_OR_RETURN(r.description, in.String("description"));
  if (r.description.size() > kMaxTokenDescriptionBytes) {
    return in.Error("description", absl::StrCat("is over ", kMaxTokenDescriptionBytes, " bytes"));
  }
  ASSIGN_OR_RETURN(r.scopes, in.Strings("scopes"));
  if (r.scopes.empty()) return in.Error("scopes", "must hold at least one scope");
  if (auto parsed = ParseScopes(r.scopes); !parsed.ok()) {
    return in.Error("scopes", absl::StrCat("holds a bad scope: ", parsed.status().message()));
  }
  ASSIGN_OR_RETURN(r.created_ns, in.Time("created_ns"));
  if (r.created_ns == 0) return in.Error("created_ns", "must be after the epoch");
  ASSIGN_OR_RETURN(r.expires_ns, in.Time("expires_ns"));
  ASSIGN_OR_RETURN(r.previous_expires_ns, in.Time("previous_expires_ns"));
  ASSIGN_OR_RETURN(r.revoked, in.Bool("revoked"));
  ASSIGN_OR_RETURN(r.hash, in.String("hash"));
  if (!IsHexHash(r.hash)) return in.Error("hash", "must be 64 lowercase hex digits (SHA-256)");
  ASSIGN_OR_RETURN(r.previous_hash, in.String("previous_hash"));
  if (!r.previous_hash.empty() && !IsHexHash(r.previous_hash)) {
    return in.Error("previous_hash", "must be empty or 64 lowercase hex digits (SHA-256)");
  }
  return r;
}

}  // namespace telemdb::auth
