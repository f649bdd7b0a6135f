// libFuzzer target: ingest validation of a WriteRequest parsed from arbitrary bytes — the
// shape checks of the gRPC layer, then storage's full batch validation. Must never crash,
// whatever a device sends.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ingest/request_convert.h"
#include "storage/batch_validator.h"
#include "storage/options.h"
#include "telemdb/v1/ingest.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  telemdb::v1::WriteRequest req;
  if (!req.ParseFromArray(data, static_cast<int>(size))) return 0;
  std::vector<telemdb::storage::SeriesBatch> groups;
  if (!telemdb::ingest::ConvertRequest(req, &groups).ok()) return 0;
  telemdb::storage::Limits limits;
  telemdb::storage::ValidationContext ctx{&limits, 1'767'225'600'000'000'000, INT64_MIN};
  (void)telemdb::storage::ValidateBatch(&groups, ctx);
  return 0;
}
