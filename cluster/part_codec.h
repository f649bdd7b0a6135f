// The bytes of one shard's part of a request in the log (docs/cluster.md, "Message
// encoding"): a protobuf telemdb.v1.WriteRequest holding the part's series, nothing else.
// Decoding checks the shape with the front doors' own converter (ingest/request_convert.h).
//
// Thread safety: pure functions.
#ifndef TELEMDB_CLUSTER_PART_CODEC_H_
#define TELEMDB_CLUSTER_PART_CODEC_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "storage/types.h"

namespace telemdb::cluster {

// The groups `indexes` of `groups`, encoded.
std::string EncodePart(const std::vector<storage::SeriesBatch>& groups,
                       const std::vector<size_t>& indexes);
// Errors: InvalidArgument when `bytes` is not a well-formed part.
absl::Status DecodePart(std::string_view bytes, std::vector<storage::SeriesBatch>* out);

}  // namespace telemdb::cluster

#endif  // TELEMDB_CLUSTER_PART_CODEC_H_
