#include "cluster/part_codec.h"

#include "cli/client/batch_proto.h"
#include "ingest/request_convert.h"
#include "telemdb/v1/ingest.pb.h"

namespace telemdb::cluster {

std::string EncodePart(const std::vector<storage::SeriesBatch>& groups,
                       const std::vector<size_t>& indexes) {
  v1::WriteRequest req;
  req.mutable_series()->Reserve(static_cast<int>(indexes.size()));
  for (size_t i : indexes) client::AppendGroup(groups[i], &req);
  return req.SerializeAsString();
}

absl::Status DecodePart(std::string_view bytes, std::vector<storage::SeriesBatch>* out) {
  v1::WriteRequest req;
  if (!req.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("log message is not a telemdb.v1.WriteRequest");
  }
  return ingest::ConvertRequest(req, out);
}

}  // namespace telemdb::cluster
