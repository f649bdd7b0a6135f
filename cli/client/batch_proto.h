// Conversion of storage::SeriesBatch groups (what the line-protocol batcher makes) into a
// WriteRequest, for clients and for the cluster's log messages (the same wire contract).
#ifndef TELEMDB_CLI_CLIENT_BATCH_PROTO_H_
#define TELEMDB_CLI_CLIENT_BATCH_PROTO_H_

#include <vector>

#include "storage/types.h"
#include "telemdb/v1/ingest.pb.h"

namespace telemdb::client {

// Appends every group to `req->series` (moving strings out of `groups`).
void AppendGroups(std::vector<storage::SeriesBatch>* groups, v1::WriteRequest* req);
// Appends a copy of one group (the cluster's log messages: cluster/part_codec.cc).
void AppendGroup(const storage::SeriesBatch& group, v1::WriteRequest* req);

}  // namespace telemdb::client

#endif  // TELEMDB_CLI_CLIENT_BATCH_PROTO_H_
