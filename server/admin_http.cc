#include "server/admin_http.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "http/http_auth.h"
#include "http/http_status.h"
#include "nlohmann/json.hpp"
#include "query/lang/duration_json.h"
#include "server/admin_service.h"
#include "util/client_text.h"

namespace telemdb::server {
namespace {

using json = nlohmann::ordered_json;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

json ProtoToJson(const Message& m);

json FieldValue(const Message& m, const Reflection* r, const FieldDescriptor* f, int i) {
  const bool rep = i >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return rep ? r->GetRepeatedInt32(m, f, i) : r->GetInt32(m, f);
    case FieldDescriptor::CPPTYPE_INT64:
      return rep ? r->GetRepeatedInt64(m, f, i) : r->GetInt64(m, f);
    case FieldDescriptor::CPPTYPE_UINT32:
      return rep ? r->GetRepeatedUInt32(m, f, i) : r->GetUInt32(m, f);
    case FieldDescriptor::CPPTYPE_UINT64:
      return rep ? r->GetRepeatedUInt64(m, f, i) : r->GetUInt64(m, f);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return rep ? r->GetRepeatedDouble(m, f, i) : r->GetDouble(m, f);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return rep ? r->GetRepeatedFloat(m, f, i) : r->GetFloat(m, f);
    case FieldDescriptor::CPPTYPE_BOOL:
      return rep ? r->GetRepeatedBool(m, f, i) : r->GetBool(m, f);
    case FieldDescriptor::CPPTYPE_ENUM:
      return rep ? r->GetRepeatedEnum(m, f, i)->name() : r->GetEnum(m, f)->name();
    case FieldDescriptor::CPPTYPE_STRING:
      return rep ? r->GetRepeatedString(m, f, i) : r->GetString(m, f);
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return ProtoToJson(rep ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f));
  }
  return nullptr;
}

// Every field present (defaults included), proto names, 64-bit integers as numbers; maps
// as objects.
json ProtoToJson(const Message& m) {
  const auto* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  json out = json::object();
  for (int k = 0; k < d->field_count(); k++) {
    const FieldDescriptor* f = d->field(k);
    if (f->is_map()) {
      json obj = json::object();
      for (int i = 0; i < r->FieldSize(m, f); i++) {
        const Message& e = r->GetRepeatedMessage(m, f, i);
        const auto* ed = e.GetDescriptor();
        json key = FieldValue(e, e.GetReflection(), ed->field(0), -1);
        obj[key.is_string() ? key.get<std::string>() : key.dump()] =
            FieldValue(e, e.GetReflection(), ed->field(1), -1);
      }
      out[f->name()] = std::move(obj);
    } else if (f->is_repeated()) {
      json arr = json::array();
      for (int i = 0; i < r->FieldSize(m, f); i++) arr.push_back(FieldValue(m, r, f, i));
      out[f->name()] = std::move(arr);
    } else {
      out[f->name()] = FieldValue(m, r, f, -1);
    }
  }
  return out;
}

void SendJson(http::ResponseWriter& w, int status, const json& j) {
  w.Send(status, http::JsonHeaders(), j.dump(-1, ' ', false, json::error_handler_t::replace));
}

// The JSON object of a request body (empty body: {}), with only `known` keys.
absl::StatusOr<json> BodyObject(const http::Request& req,
                                std::initializer_list<const char*> known) {
  if (req.body.empty()) return json::object();
  json j = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("the body must be a JSON object");
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool ok = false;
    for (const char* k : known) ok |= it.key() == k;
    if (!ok) {
      std::string names;
      for (const char* k : known) absl::StrAppend(&names, names.empty() ? "" : ", ", k);
      return absl::InvalidArgumentError(
          absl::StrCat("unknown key \"", ClientText(it.key()), "\" (", names, ")"));
    }
  }
  return j;
}

const char* KindName(auth::Identity::Kind k) {
  switch (k) {
    case auth::Identity::Kind::kToken:
      return "token";
    case auth::Identity::Kind::kCertificate:
      return "certificate";
    case auth::Identity::Kind::kAnonymous:
      return "anonymous";
  }
  return "unknown";
}

constexpr char kTokensPath[] = "/api/v1/admin/tokens";
constexpr size_t kTokensPathLen = sizeof(kTokensPath) - 1;

}  // namespace

bool AdminHttp::Serves(const std::string& p) {
  return p == "/api/v1/whoami" || absl::StartsWith(p, "/api/v1/admin/");
}

void AdminHttp::Report(const auth::Identity& who, const std::string& action,
                       const absl::Status& s) const {
  if (on_action) on_action(who.name, action, s);
}

bool AdminHttp::Admitted(const auth::Identity& who, const std::string& action,
                         http::ResponseWriter& w) const {
  absl::Status s = AdminService::CheckAdmin(who, action);
  if (s.ok()) return true;
  Report(who, action, s);
  http::SendError(w, s);
  return false;
}

void AdminHttp::Handle(const http::Request& req, http::ResponseWriter& w) const {
  auto who = http::AuthenticateOrAnswer(*auth_, req, w);
  if (!who.ok()) return;
  const std::string& p = req.path;
  if (req.body.size() > kMaxBody) {
    return w.Send(413, http::JsonHeaders(),
                  http::ErrorJson(absl::StrCat("the body is over ", kMaxBody, " bytes")));
  }
  if (p == "/api/v1/whoami") {
    if (req.method != "GET" && req.method != "HEAD") {
      return http::SendError(w, absl::InvalidArgumentError("use GET for /api/v1/whoami"));
    }
    json j;
    j["name"] = who->name;
    j["kind"] = KindName(who->kind);
    j["scopes"] = json::array();
    for (const auto& s : who->scopes) j["scopes"].push_back(s.ToString());
    j["admin"] = who->IsAdmin();
    j["read"] = who->CanReadSomething();
    j["write"] = who->CanWriteSomething();
    return SendJson(w, 200, j);
  }
  if (p == "/api/v1/admin/stats") {
    if (!Admitted(*who, "stats", w)) return;
    if (req.method != "GET") {
      return http::SendError(w, absl::InvalidArgumentError("use GET for /api/v1/admin/stats"));
    }
    v1::StatsResponse resp;
    absl::Status s = admin_->DoStats(&resp);
    Report(*who, "stats", s);
    if (!s.ok()) return http::SendError(w, s);
    return SendJson(w, 200, ProtoToJson(resp));
  }
  if (p == "/api/v1/admin/audit/verify") {
    if (!Admitted(*who, "audit verify", w)) return;
    if (req.method != "GET" && req.method != "POST") {
      return http::SendError(w, absl::InvalidArgumentError("use GET or POST for " + p));
    }
    v1::VerifyAuditResponse resp;
    absl::Status s = admin_->DoVerifyAudit(&resp);
    Report(*who, "audit verify", s);
    if (!s.ok()) return http::SendError(w, s);
    return SendJson(w, 200, ProtoToJson(resp));
  }
  if (p == kTokensPath || absl::StartsWith(p, absl::StrCat(kTokensPath, "/"))) {
    return Tokens(req, w, *who);
  }
  // Unknown admin paths are denied before they are "not found" to a non-admin: the admin
  // API's shape is no secret, but a read token learns nothing by probing it.
  if (!Admitted(*who, absl::StrCat("http ", req.method, " ", ClientText(p)), w)) return;
  http::SendError(w, absl::NotFoundError(absl::StrCat("no such endpoint: ", ClientText(p))));
}

void AdminHttp::Tokens(const http::Request& req, http::ResponseWriter& w,
                       const auth::Identity& who) const {
  std::string rest = req.path.substr(kTokensPathLen);
  if (!rest.empty()) rest = rest.substr(1);
  std::string id = rest, verb;
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    id = rest.substr(0, slash);
    verb = rest.substr(slash + 1);
  }
  if (id.empty() && req.method == "GET") {
    if (!Admitted(who, "token list", w)) return;
    v1::ListTokensResponse resp;
    absl::Status s = admin_->DoListTokens(&resp);
    Report(who, "token list", s);
    if (!s.ok()) return http::SendError(w, s);
    return SendJson(w, 200, ProtoToJson(resp));
  }
  if (id.empty() && req.method == "POST") {
    if (!Admitted(who, "token create", w)) return;
    auto body = BodyObject(req, {"scopes", "description", "expires_in", "expires_in_ns"});
    if (!body.ok()) return http::SendError(w, body.status());
    v1::CreateTokenRequest creq;
    const json& j = *body;
    if (!j.contains("scopes") || !j["scopes"].is_array() || j["scopes"].empty()) {
      return http::SendError(
          w, absl::InvalidArgumentError("scopes: expected a non-empty array such as [\"read\"]"));
    }
    for (const auto& s : j["scopes"]) {
      if (!s.is_string()) {
        return http::SendError(w, absl::InvalidArgumentError("scopes: expected strings"));
      }
      creq.add_scopes(s.get<std::string>());
    }
    if (j.contains("description")) {
      if (!j["description"].is_string()) {
        return http::SendError(w, absl::InvalidArgumentError("description: expected a string"));
      }
      creq.set_description(j["description"].get<std::string>());
    }
    auto expires = query::lang::DurationFromJson(j, "expires_in", "expires_in_ns");
    if (!expires.ok()) return http::SendError(w, expires.status());
    creq.set_expires_in_ns(*expires);
    v1::CreateTokenResponse resp;
    absl::Status s = admin_->DoCreateToken(creq, &resp);
    Report(who, s.ok() ? "token create " + resp.info().id() : "token create", s);
    if (!s.ok()) return http::SendError(w, s);
    return SendJson(w, 201, ProtoToJson(resp));
  }
  if (!id.empty() && verb == "rotate" && req.method == "POST") {
    const std::string action = "token rotate " + ClientText(id);
    if (!Admitted(who, action, w)) return;
    auto body = BodyObject(req, {"overlap", "overlap_ns"});
    if (!body.ok()) return http::SendError(w, body.status());
    auto overlap = query::lang::DurationFromJson(*body, "overlap", "overlap_ns");
    if (!overlap.ok()) return http::SendError(w, overlap.status());
    v1::RotateTokenRequest rreq;
    rreq.set_id(id);
    rreq.set_overlap_ns(*overlap);
    v1::CreateTokenResponse resp;
    absl::Status s = admin_->DoRotateToken(rreq, &resp);
    Report(who, action, s);
    if (!s.ok()) return http::SendError(w, s);
    return SendJson(w, 200, ProtoToJson(resp));
  }
  if (!id.empty() &&
      ((verb.empty() && req.method == "DELETE") || (verb == "revoke" && req.method == "POST"))) {
    const std::string action = "token revoke " + ClientText(id);
    if (!Admitted(who, action, w)) return;
    v1::RevokeTokenRequest rreq;
    rreq.set_id(id);
    absl::Status s = admin_->DoRevokeToken(rreq);
    Report(who, action, s);
    if (!s.ok()) return http::SendError(w, s);
    json j;
    j["revoked"] = id;
    return SendJson(w, 200, j);
  }
  if (!Admitted(who, absl::StrCat("http ", req.method, " ", ClientText(req.path)), w)) return;
  http::SendError(w, absl::NotFoundError(absl::StrCat("no such endpoint: ", req.method, " ",
                                                      ClientText(req.path))));
}

}  // namespace telemdb::server
