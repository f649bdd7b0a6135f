#include "cli/client/connection.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "util/status_macros.h"

namespace telemdb::client {

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::string why = std::strerror(errno);
    if (errno == EACCES)
      return absl::PermissionDeniedError(absl::StrCat("cannot read ", path, ": ", why));
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", why));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::string> ResolveToken(const ConnectionOptions& o) {
  if (!o.token.empty()) return o.token;
  std::string raw;
  if (!o.token_file.empty()) {
    ASSIGN_OR_RETURN(raw, ReadFileToString(o.token_file));
    std::string line = raw.substr(0, raw.find('\n'));
    absl::string_view t = absl::StripAsciiWhitespace(line);
    if (t.empty()) return absl::InvalidArgumentError(absl::StrCat(o.token_file, " holds no token"));
    return std::string(t);
  }
  if (const char* env = std::getenv("TELEMDB_TOKEN"); env != nullptr && *env != '\0') {
    return std::string(absl::StripAsciiWhitespace(env));
  }
  return std::string();
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Create(const ConnectionOptions& o) {
  auto c = std::unique_ptr<Connection>(new Connection());
  ASSIGN_OR_RETURN(std::string token, ResolveToken(o));
  if (!token.empty()) c->authorization_ = "Bearer " + token;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(256 << 20);
  args.SetMaxSendMessageSize(256 << 20);
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (!o.tls_ca.empty() || !o.tls_cert.empty()) {
    grpc::SslCredentialsOptions ssl;
    if (!o.tls_ca.empty()) {
      ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFileToString(o.tls_ca));
    }
    if (!o.tls_cert.empty()) {
      ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadFileToString(o.tls_cert));
      if (o.tls_key.empty()) return absl::InvalidArgumentError("--tls-cert needs --tls-key");
      ASSIGN_OR_RETURN(ssl.pem_private_key, ReadFileToString(o.tls_key));
    }
    creds = grpc::SslCredentials(ssl);
    if (!o.tls_server_name.empty()) {
      args.SetString(GRPC_SSL_TARGET_NAME_OVERRIDE_ARG, o.tls_server_name);
    }
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  c->channel_ = grpc::CreateCustomChannel(o.addr, creds, args);
  return c;
}

void Connection::Prepare(grpc::ClientContext* ctx) const {
  if (!authorization_.empty()) ctx->AddMetadata("authorization", authorization_);
}

absl::Status Connection::WaitConnected(int seconds) const {
  auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(seconds);
  if (channel_->WaitForConnected(deadline)) return absl::OkStatus();
  return absl::UnavailableError("cannot reach the server");
}

}  // namespace telemdb::client
