// Node, the front-door half: split by shard, publish with msg ids, wait for the ack mode.
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cluster/node_internal.h"
#include "cluster/part_codec.h"
#include "cluster/shard.h"

namespace telemdb::cluster {
namespace {

struct Published {
  uint32_t shard = 0;
  uint64_t seq = 0;
};

}  // namespace

absl::StatusOr<storage::WriteResult> Node::Forward(const std::string& identity,
                                                   const std::vector<storage::SeriesBatch>& groups,
                                                   const storage::WriteOptions& options) {
  Rep* r = rep_.get();
  if (r->stopping) return absl::UnavailableError("server is shutting down");
  const ClusterConfig& c = r->cfg;
  bool sync = c.ack == ClusterAck::kSync;
  if (options.ack_mode == storage::AckMode::kSync) sync = true;
  if (options.ack_mode == storage::AckMode::kAsync) sync = false;
  const bool idempotent = !options.producer_id.empty();

  std::vector<ShardPart> parts = SplitByShard(groups, c.shard_tag, static_cast<uint32_t>(c.shards));
  std::vector<Published> done;
  done.reserve(parts.size());
  bool all_duplicate = true;
  for (const ShardPart& part : parts) {
    const std::string subject = absl::StrCat("telemdb.in.", part.shard);
    const std::string data = EncodePart(groups, part.groups);
    natsMsg* msg = nullptr;
    natsStatus s =
        natsMsg_Create(&msg, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size()));
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Telemdb-Identity", identity.c_str());
    if (s != NATS_OK) {
      natsMsg_Destroy(msg);
      return NatsError("building a log message", s);
    }
    std::string msg_id;
    if (idempotent) {
      msg_id = PartMsgId(identity, options.producer_id, options.producer_epoch, options.sequence,
                         part.shard);
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = absl::ToInt64Milliseconds(c.publish_timeout);
    po.ExpectStream = kStream;
    if (idempotent) po.MsgId = msg_id.c_str();
    jsPubAck* ack = nullptr;
    jsErrCode je = static_cast<jsErrCode>(0);
    s = js_PublishMsg(&ack, r->js, msg, &po, &je);
    natsMsg_Destroy(msg);
    if (s != NATS_OK) {
      absl::Status e = NatsError(absl::StrCat("publishing shard ", part.shard), s, je);
      return absl::UnavailableError(absl::StrCat(
          "NATS JetStream did not accept the write (no quorum of NATS servers, or none "
          "reachable?): ",
          e.message(), ". ", done.size(), " of ", parts.size(),
          " shard parts were accepted and will be stored; retry with the same producer_id "
          "and sequence to complete the request exactly once"));
    }
    r->parts_published++;
    if (ack->Duplicate) {
      r->parts_duplicate++;
    } else {
      all_duplicate = false;
    }
    done.push_back({part.shard, ack->Sequence});
    jsPubAck_Destroy(ack);
  }

  if (sync) {
    const absl::Time deadline = absl::Now() + c.sync_timeout;
    const size_t need = static_cast<size_t>(c.replication);
    absl::MutexLock l(&r->applied_mu);
    for (const Published& p : done) {
      for (;;) {
        if (auto it = r->rejections.find({p.shard, p.seq}); it != r->rejections.end()) {
          return absl::InvalidArgumentError(
              absl::StrCat("shard ", p.shard, ": storage node ", it->second,
                           " (parts of other shards of this request may have been stored)"));
        }
        size_t have = 0;
        for (const auto& [node, seq] : r->applied[p.shard]) {
          if (seq >= p.seq) have++;
        }
        if (have >= need) break;
        if (r->stopping) return absl::UnavailableError("server is shutting down");
        if (r->applied_cv.WaitWithDeadline(&r->applied_mu, deadline) && absl::Now() >= deadline) {
          return absl::UnavailableError(absl::StrCat(
              "shard ", p.shard, ": the write is in the replicated log (sequence ", p.seq,
              ") but only ", have, " of ", need, " storage nodes confirmed it durable within ",
              absl::FormatDuration(c.sync_timeout),
              "; it will be stored; retry with the same producer_id and sequence to wait for "
              "it"));
        }
      }
    }
  }
  return storage::WriteResult{0, idempotent && all_duplicate && !done.empty()};
}

}  // namespace telemdb::cluster
