#include "tests/e2e_client.h"

#include <chrono>

namespace telemdb::tests {
namespace {

void Prepare(grpc::ClientContext* ctx, const std::string& token, int seconds = 30) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
}

}  // namespace

std::shared_ptr<grpc::Channel> PlainChannel(const std::string& addr) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args);
}

v1::WriteRequest OnePoint(const std::string& m, const std::string& device, int64_t t,
                          double value) {
  v1::WriteRequest req;
  auto* s = req.add_series();
  s->set_measurement(m);
  auto* tag = s->add_tags();
  tag->set_key("device");
  tag->set_value(device);
  s->add_timestamps(t);
  auto* f = s->add_fields();
  f->set_name("v");
  f->mutable_doubles()->add_values(value);
  return req;
}

grpc::Status WriteAs(const std::shared_ptr<grpc::Channel>& ch, const std::string& token,
                     const v1::WriteRequest& req, v1::WriteResponse* resp) {
  grpc::ClientContext ctx;
  Prepare(&ctx, token);
  v1::WriteResponse local;
  return v1::IngestService::NewStub(ch)->Write(&ctx, req, resp ? resp : &local);
}

absl::StatusOr<v1::CreateTokenResponse> CreateTokenAs(const std::shared_ptr<grpc::Channel>& ch,
                                                      const std::string& admin_token,
                                                      const std::vector<std::string>& scopes,
                                                      int64_t expires_in_ns) {
  grpc::ClientContext ctx;
  Prepare(&ctx, admin_token);
  v1::CreateTokenRequest req;
  for (const auto& s : scopes) req.add_scopes(s);
  req.set_description("test");
  req.set_expires_in_ns(expires_in_ns);
  v1::CreateTokenResponse resp;
  grpc::Status s = v1::AdminService::NewStub(ch)->CreateToken(&ctx, req, &resp);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  }
  return resp;
}

QueryResult RunQuery(const std::shared_ptr<grpc::Channel>& ch, const std::string& token,
                     const std::string& text, uint32_t max_frame_rows) {
  grpc::ClientContext ctx;
  Prepare(&ctx, token);
  v1::QueryRequest req;
  req.set_text(text);
  req.set_max_frame_rows(max_frame_rows);
  auto reader = v1::QueryService::NewStub(ch)->Query(&ctx, req);
  QueryResult out;
  v1::QueryResponse msg;
  while (reader->Read(&msg)) out.messages.push_back(msg);
  out.status = reader->Finish();
  return out;
}

int64_t CountPoints(const std::shared_ptr<grpc::Channel>& ch, const std::string& token,
                    const std::string& m, const std::string& device) {
  QueryResult r =
      RunQuery(ch, token, "SELECT count(v) FROM \"" + m + "\" WHERE device = '" + device + "'");
  if (!r.status.ok()) return -1;
  int64_t count = 0;
  for (const auto& msg : r.messages) {
    for (const auto& f : msg.frames().frames()) count += f.columns(0).ints().values(0);
  }
  return count;
}

}  // namespace telemdb::tests
