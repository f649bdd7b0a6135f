#include "ingest/mqtt/client.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace telemdb::ingest::mqtt {
namespace {

// Bytes of an oversized PUBLISH kept: the topic (at most 65,537 bytes with its length), the
// packet id and MQTT 5 properties.
constexpr size_t kSkipPrefix = 70 << 10;
constexpr size_t kReadChunk = 64 << 10;

const char* TypeName(PacketType t) {
  static const char* kNames[] = {"reserved",  "CONNECT",  "CONNACK",     "PUBLISH",
                                 "PUBACK",    "PUBREC",   "PUBREL",      "PUBCOMP",
                                 "SUBSCRIBE", "SUBACK",   "UNSUBSCRIBE", "UNSUBACK",
                                 "PINGREQ",   "PINGRESP", "DISCONNECT",  "AUTH"};
  return kNames[static_cast<int>(t) & 0x0f];
}

Incoming ToIncoming(const Publish& p, size_t wire_bytes) {
  Incoming m;
  m.topic = std::string(p.topic);
  m.packet_id = p.packet_id;
  m.qos = p.qos;
  m.dup = p.dup;
  m.retain = p.retain;
  m.wire_bytes = wire_bytes;
  m.error = p.error;
  if (m.error.empty() && p.topic.empty()) {
    m.error = p.topic_alias != 0 ? "topic aliases are not accepted (the bridge allows none)"
                                 : "empty topic";
  }
  return m;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(const BrokerConfig& broker,
                                                        std::shared_ptr<TlsContext> tls,
                                                        const ClientOptions& options,
                                                        const std::atomic<bool>* cancel) {
  ASSIGN_OR_RETURN(auto t, Transport::Connect(broker, std::move(tls), options.io_timeout, cancel));
  const Version v = options.connect.version;
  std::unique_ptr<Client> c(
      new Client(std::move(t), v, absl::Seconds(options.connect.keep_alive_s), options));
  c->out_ = EncodeConnect(options.connect);
  RETURN_IF_ERROR(c->Flush());
  const absl::Time deadline = absl::Now() + options.io_timeout;
  while (true) {
    std::string_view avail = std::string_view(c->in_).substr(c->in_pos_);
    ASSIGN_OR_RETURN(auto h, ParseFixedHeader(avail));
    if (h && avail.size() >= h->header_bytes + h->remaining) {
      if (h->type != PacketType::kConnack) {
        return absl::UnavailableError(absl::StrCat("the broker answered CONNECT with ",
                                                   TypeName(h->type), " instead of CONNACK"));
      }
      ASSIGN_OR_RETURN(Connack ack, DecodeConnack(v, avail.substr(h->header_bytes, h->remaining)));
      c->in_pos_ += h->header_bytes + h->remaining;
      if (ack.code != 0) {
        const bool credentials = v == Version::k311
                                     ? (ack.code == 4 || ack.code == 5)
                                     : (ack.code == 0x86 || ack.code == 0x87 || ack.code == 0x8C);
        std::string why =
            absl::StrCat("the broker refused the connection: ", ConnackCodeText(v, ack.code),
                         ack.reason_string.empty() ? "" : " ", ack.reason_string);
        if (credentials) return absl::PermissionDeniedError(why);
        return absl::FailedPreconditionError(why);
      }
      c->session_present_ = ack.session_present;
      if (ack.has_server_keep_alive && ack.server_keep_alive_s > 0) {
        c->keep_alive_ = absl::Seconds(ack.server_keep_alive_s);
      }
      return c;
    }
    if (cancel != nullptr && cancel->load()) return absl::CancelledError("stopping");
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError("the broker did not answer CONNECT in time");
    }
    ASSIGN_OR_RETURN(bool got, c->Fill(std::min(deadline - absl::Now(), absl::Milliseconds(100))));
    (void)got;
  }
}

absl::StatusOr<bool> Client::Fill(absl::Duration timeout) {
  ASSIGN_OR_RETURN(size_t n, transport_->Read(&in_, kReadChunk, timeout));
  return n > 0;
}

void Client::Compact() {
  if (in_pos_ == 0) return;
  if (in_pos_ >= in_.size()) {
    in_.clear();
  } else if (in_pos_ > (64u << 10) || in_pos_ * 2 > in_.size()) {
    in_.erase(0, in_pos_);
  } else {
    return;
  }
  in_pos_ = 0;
}

absl::Status Client::HandlePacket(const FixedHeader& h, std::string_view body,
                                  std::vector<Incoming>* out) {
  switch (h.type) {
    case PacketType::kPublish: {
      ASSIGN_OR_RETURN(Publish p, DecodePublish(version_, h.flags, body));
      Incoming m = ToIncoming(p, h.header_bytes + h.remaining);
      m.payload = std::string(p.payload);
      out->push_back(std::move(m));
      return absl::OkStatus();
    }
    case PacketType::kPubrel: {
      ASSIGN_OR_RETURN(Ack a, DecodeAck(version_, body));
      AppendAck(version_, PacketType::kPubcomp, a.packet_id, 0, &out_);
      return absl::OkStatus();
    }
    case PacketType::kPuback:
      publishes_acknowledged_++;
      return DecodeAck(version_, body).status();  // of our own PUBLISH (dead letters)
    case PacketType::kPubcomp:
    case PacketType::kPubrec:
      return DecodeAck(version_, body).status();
    case PacketType::kSuback: {
      ASSIGN_OR_RETURN(Suback s, DecodeSuback(version_, body));
      if (s.packet_id == suback_wanted_) {
        suback_seen_ = true;
        suback_codes_ = std::move(s.codes);
      }
      return absl::OkStatus();
    }
    case PacketType::kPingresp:
      ping_outstanding_ = false;
      return absl::OkStatus();
    case PacketType::kDisconnect: {
      ASSIGN_OR_RETURN(uint8_t reason, DecodeDisconnect(version_, body));
      return absl::UnavailableError(absl::StrCat("the broker disconnected (reason ", reason, ")"));
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("the broker sent an unexpected ", TypeName(h.type), " packet"));
  }
}

absl::Status Client::Drain(std::vector<Incoming>* out, size_t max_messages) {
  while (out->size() < max_messages) {
    std::string_view avail = std::string_view(in_).substr(in_pos_);
    if (skip_.active) {
      const size_t n = std::min<size_t>(avail.size(), skip_.total - skip_.seen);
      if (skip_.prefix.size() < kSkipPrefix) {
        skip_.prefix.append(avail.substr(0, std::min(n, kSkipPrefix - skip_.prefix.size())));
      }
      skip_.seen += static_cast<uint32_t>(n);
      in_pos_ += n;
      if (skip_.seen < skip_.total) return absl::OkStatus();
      skip_.active = false;
      ASSIGN_OR_RETURN(Publish p, DecodePublish(version_, skip_.flags, skip_.prefix, true));
      Incoming m = ToIncoming(p, skip_.total);
      m.too_large = true;
      out->push_back(std::move(m));
      skip_.prefix.clear();
      continue;
    }
    ASSIGN_OR_RETURN(auto h, ParseFixedHeader(avail));
    if (!h) return absl::OkStatus();
    if (h->remaining > options_.max_packet_bytes) {
      if (h->type != PacketType::kPublish) {
        return absl::InvalidArgumentError(absl::StrCat("the broker sent a ", TypeName(h->type),
                                                       " packet of ", h->remaining, " bytes"));
      }
      skip_ = Skip{true, h->flags, h->remaining, 0, {}};
      in_pos_ += h->header_bytes;
      continue;
    }
    if (avail.size() < h->header_bytes + h->remaining) return absl::OkStatus();
    std::string_view body = avail.substr(h->header_bytes, h->remaining);
    in_pos_ += h->header_bytes + h->remaining;
    RETURN_IF_ERROR(HandlePacket(*h, body, out));
  }
  return absl::OkStatus();
}

absl::Status Client::Subscribe(const std::vector<SubscribeFilter>& filters) {
  suback_wanted_ = next_packet_id_++;
  if (next_packet_id_ == 0) next_packet_id_ = 1;
  suback_seen_ = false;
  out_ += EncodeSubscribe(version_, suback_wanted_, filters);
  RETURN_IF_ERROR(Flush());
  const absl::Time deadline = absl::Now() + options_.io_timeout;
  while (true) {
    RETURN_IF_ERROR(Drain(&pending_, SIZE_MAX));
    if (suback_seen_) break;
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError("the broker did not answer SUBSCRIBE in time");
    }
    ASSIGN_OR_RETURN(bool got, Fill(deadline - absl::Now()));
    (void)got;
  }
  Compact();
  for (size_t i = 0; i < suback_codes_.size() && i < filters.size(); i++) {
    if (suback_codes_[i] >= 0x80) {
      return absl::FailedPreconditionError(absl::StrCat("the broker refused the subscription to \"",
                                                        filters[i].filter, "\" (code ",
                                                        suback_codes_[i], ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status Client::Receive(absl::Duration timeout, size_t max_messages, size_t max_bytes,
                             std::vector<Incoming>* out) {
  const absl::Time deadline = absl::Now() + timeout;
  const size_t start = out->size();
  size_t bytes = 0;
  while (!pending_.empty() && out->size() - start < max_messages) {
    bytes += pending_.front().payload.size();
    out->push_back(std::move(pending_.front()));
    pending_.erase(pending_.begin());
  }
  while (true) {
    const size_t before = out->size();
    RETURN_IF_ERROR(Drain(out, start + max_messages));
    for (size_t i = before; i < out->size(); i++) bytes += (*out)[i].payload.size();
    if (out->size() - start >= max_messages || bytes >= max_bytes) break;
    if (out->size() > start) {
      // Something arrived: take what is already waiting, without waiting for more.
      ASSIGN_OR_RETURN(bool got, Fill(absl::ZeroDuration()));
      if (!got) break;
      continue;
    }
    RETURN_IF_ERROR(KeepAlive());
    const absl::Time now = absl::Now();
    if (now >= deadline) break;
    ASSIGN_OR_RETURN(bool got, Fill(std::min(deadline - now, keep_alive_ / 2)));
    if (!got && ping_outstanding_ && absl::Now() - ping_sent_ > keep_alive_) {
      return absl::UnavailableError(absl::StrCat("the broker did not answer a PINGREQ within ",
                                                 absl::FormatDuration(keep_alive_)));
    }
  }
  Compact();
  return Flush();  // PUBCOMPs
}

void Client::QueueAck(const Incoming& m, uint8_t reason) {
  if (m.qos == 1) AppendAck(version_, PacketType::kPuback, m.packet_id, reason, &out_);
  if (m.qos == 2) AppendAck(version_, PacketType::kPubrec, m.packet_id, reason, &out_);
}

void Client::QueuePublish(std::string_view topic, std::string_view payload) {
  const uint16_t id = next_packet_id_++;
  if (next_packet_id_ == 0) next_packet_id_ = 1;
  out_ += EncodePublish(version_, topic, payload, 1, id);
}

absl::Status Client::Flush() {
  if (out_.empty()) return absl::OkStatus();
  absl::Status s = transport_->Write(out_, options_.io_timeout);
  out_.clear();
  last_sent_ = absl::Now();
  return s;
}

absl::Status Client::KeepAlive() {
  const absl::Time now = absl::Now();
  if (ping_outstanding_ || now - last_sent_ < keep_alive_ / 2) return absl::OkStatus();
  out_ += EncodePingreq();
  ping_outstanding_ = true;
  ping_sent_ = now;
  return Flush();
}

void Client::Disconnect() {
  out_ += EncodeDisconnect(version_);
  (void)Flush();
  transport_->Close();
}

}  // namespace telemdb::ingest::mqtt
