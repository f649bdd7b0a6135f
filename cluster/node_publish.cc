// Node, the front-door half: split by shard, publish with msg ids, wait for the ack mode.
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/time/clock.h"
#include "cluster/node_internal.h"
#include "cluster/part_codec.h"
#include "cluster/shard.h"
#include "util/log.h"

namespace telemdb::cluster {
namespace {

struct Published {
  absl::Status status;
  uint32_t shard = 0;
  uint64_t seq = 0;
  bool duplicate = false;
};

// Publishes one part and waits for its PubAck.
Published PublishPart(Node::Rep* r, const std::string& identity,
                      const std::vector<storage::SeriesBatch>& groups, const ShardPart& part,
                      const storage::WriteOptions& options) {
  Published out;
  out.shard = part.shard;
  const std::string subject = absl::StrCat("telemdb.in.", part.shard);
  const std::string data = EncodePart(groups, part.groups);
  natsMsg* msg = nullptr;
  natsStatus s =
      natsMsg_Create(&msg, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size()));
  if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Telemdb-Identity", identity.c_str());
  if (s != NATS_OK) {
    natsMsg_Destroy(msg);
    out.status = NatsError("building a log message", s);
    return out;
  }
  const bool idempotent = !options.producer_id.empty();
  std::string msg_id;
  if (idempotent) {
    msg_id = PartMsgId(identity, options.producer_id, options.producer_epoch, options.sequence,
                       part.shard);
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = absl::ToInt64Milliseconds(r->cfg.publish_timeout);
  po.ExpectStream = kStream;
  if (idempotent) po.MsgId = msg_id.c_str();
  jsPubAck* ack = nullptr;
  jsErrCode je = static_cast<jsErrCode>(0);
  s = js_PublishMsg(&ack, r->js, msg, &po, &je);
  natsMsg_Destroy(msg);
  if (s != NATS_OK) {
    out.status = NatsError(absl::StrCat("publishing shard ", part.shard), s, je);
    return out;
  }
  r->parts_published++;
  if (ack->Duplicate) r->parts_duplicate++;
  out.duplicate = ack->Duplicate;
  out.seq = ack->Sequence;
  jsPubAck_Destroy(ack);
  return out;
}

// Test hook (docs/cluster.md, "Atomicity"): TELEMDB_TEST_CRASH_AFTER_PARTS=k makes the
// process die like kill -9 once a request with more than k parts has k of them accepted by
// the log, so a test can retry a request whose front door died between parts.
size_t CrashAfterParts() {
  static const size_t k = [] {
    const char* v = std::getenv("TELEMDB_TEST_CRASH_AFTER_PARTS");
    size_t n = 0;
    return v != nullptr && absl::SimpleAtoi(v, &n) ? n : size_t{0};
  }();
  return k;
}

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
  std::vector<Published> done(parts.size());
  if (const size_t crash = CrashAfterParts(); crash > 0 && parts.size() > crash) {
    for (size_t i = 0; i < crash; i++) done[i] = PublishPart(r, identity, groups, parts[i], options);
    Log(LogLevel::kError, "cluster.test_crash", {{"parts_published", crash}});
    ::_exit(137);
  }
  // The parts go out together (a request's latency is about one PubAck, not one per shard);
  // each waits for its own PubAck on the publisher pool.
  if (parts.size() == 1) {
    done[0] = PublishPart(r, identity, groups, parts[0], options);
  } else {
    absl::BlockingCounter pending(static_cast<int>(parts.size()));
    for (size_t i = 0; i < parts.size(); i++) {
      r->publishers->Submit([&, i] {
        done[i] = PublishPart(r, identity, groups, parts[i], options);
        pending.DecrementCount();
      });
    }
    pending.Wait();
  }
  size_t accepted = 0;
  const Published* failed = nullptr;
  bool all_duplicate = true;
  for (const Published& p : done) {
    if (!p.status.ok()) {
      if (failed == nullptr) failed = &p;
      continue;
    }
    accepted++;
    if (!p.duplicate) all_duplicate = false;
  }
  if (failed != nullptr) {
    return absl::UnavailableError(absl::StrCat(
        "NATS JetStream did not accept the write (no quorum of NATS servers, or none "
        "reachable?): ",
        failed->status.message(), ". ", accepted, " of ", parts.size(),
        " shard parts were accepted and will be stored; retry with the same producer_id "
        "and sequence to complete the request exactly once"));
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
