#include "ingest/mqtt/codec.h"

#include "absl/strings/str_cat.h"
#include "util/absl_compat.h"

namespace telemdb::ingest::mqtt {
namespace {

// Bounds-checked reads; the first failure sticks and every later read returns zero/empty.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool ok() const { return ok_; }
  size_t left() const { return ok_ ? data_.size() - pos_ : 0; }
  std::string_view rest() const { return ok_ ? data_.substr(pos_) : std::string_view(); }

  uint8_t U8() {
    if (!Need(1)) return 0;
    return static_cast<uint8_t>(data_[pos_++]);
  }
  uint16_t U16() {
    if (!Need(2)) return 0;
    uint16_t v = static_cast<uint16_t>((static_cast<uint8_t>(data_[pos_]) << 8) |
                                       static_cast<uint8_t>(data_[pos_ + 1]));
    pos_ += 2;
    return v;
  }
  uint32_t U32() {
    uint32_t hi = U16();
    return (hi << 16) | U16();
  }
  std::string_view Bytes(size_t n) {
    if (!Need(n)) return {};
    std::string_view v = data_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  std::string_view Str() { return Bytes(U16()); }
  uint32_t VarInt() {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
      uint8_t b = U8();
      if (!ok_) return 0;
      v |= static_cast<uint32_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) return v;
    }
    ok_ = false;
    return 0;
  }

 private:
  bool Need(size_t n) {
    if (!ok_ || data_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

void AppendU16(uint16_t v, std::string* out) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xff));
}
void AppendU32(uint32_t v, std::string* out) {
  AppendU16(static_cast<uint16_t>(v >> 16), out);
  AppendU16(static_cast<uint16_t>(v & 0xffff), out);
}
void AppendStr(std::string_view s, std::string* out) {
  AppendU16(static_cast<uint16_t>(s.size()), out);
  out->append(s);
}

// Prefixes `body` with a fixed header.
std::string Packet(PacketType type, uint8_t flags, const std::string& body) {
  std::string out;
  out.reserve(body.size() + 5);
  out.push_back(static_cast<char>((static_cast<uint8_t>(type) << 4) | (flags & 0x0f)));
  AppendVarInt(static_cast<uint32_t>(body.size()), &out);
  out.append(body);
  return out;
}

// Values of MQTT 5 properties the bridge reads; the rest are skipped by type.
struct Properties {
  uint16_t server_keep_alive = 0;
  bool has_server_keep_alive = false;
  uint16_t receive_maximum = 0;
  uint16_t topic_alias = 0;
  std::string_view reason_string;
  std::string_view assigned_client_id;
};

// Reads a property block (length + properties). Returns false when malformed.
bool ReadProperties(Reader& r, Properties* p) {
  const uint32_t len = r.VarInt();
  if (!r.ok() || len > r.left()) return false;
  Reader pr(r.Bytes(len));
  while (pr.ok() && pr.left() > 0) {
    const uint32_t id = pr.VarInt();
    switch (id) {
      case 0x01:
      case 0x17:
      case 0x19:
      case 0x24:
      case 0x25:
      case 0x28:
      case 0x29:
      case 0x2A:
        pr.U8();
        break;
      case 0x13:
        p->server_keep_alive = pr.U16();
        p->has_server_keep_alive = true;
        break;
      case 0x21:
        p->receive_maximum = pr.U16();
        break;
      case 0x23:
        p->topic_alias = pr.U16();
        break;
      case 0x22:
        pr.U16();
        break;
      case 0x02:
      case 0x11:
      case 0x18:
      case 0x27:
        pr.U32();
        break;
      case 0x0B:
        pr.VarInt();
        break;
      case 0x1F:
        p->reason_string = pr.Str();
        break;
      case 0x12:
        p->assigned_client_id = pr.Str();
        break;
      case 0x03:
      case 0x08:
      case 0x09:
      case 0x15:
      case 0x16:
      case 0x1A:
      case 0x1C:
        pr.Str();
        break;
      case 0x26:
        pr.Str();
        pr.Str();
        break;
      default:
        return false;
    }
  }
  return pr.ok();
}

absl::Status Malformed(std::string_view packet, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed MQTT ", Sv(packet), ": ", Sv(what)));
}

}  // namespace

absl::StatusOr<std::optional<FixedHeader>> ParseFixedHeader(std::string_view buf) {
  if (buf.size() < 2) return std::nullopt;
  FixedHeader h;
  const uint8_t first = static_cast<uint8_t>(buf[0]);
  if ((first >> 4) == 0) return Malformed("packet", "packet type 0 is reserved");
  h.type = static_cast<PacketType>(first >> 4);
  h.flags = first & 0x0f;
  uint32_t v = 0;
  for (size_t i = 1; i <= 4; i++) {
    if (i >= buf.size()) return std::nullopt;
    const uint8_t b = static_cast<uint8_t>(buf[i]);
    v |= static_cast<uint32_t>(b & 0x7f) << (7 * (i - 1));
    if ((b & 0x80) == 0) {
      h.remaining = v;
      h.header_bytes = static_cast<uint32_t>(i + 1);
      return h;
    }
  }
  return Malformed("packet", "remaining length longer than 4 bytes");
}

void AppendVarInt(uint32_t v, std::string* out) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    if (v > 0) b |= 0x80;
    out->push_back(static_cast<char>(b));
  } while (v > 0);
}

std::string EncodeConnect(const ConnectOptions& o) {
  std::string b;
  AppendStr("MQTT", &b);
  b.push_back(static_cast<char>(o.version));
  uint8_t flags = 0;
  if (o.username) flags |= 0x80;
  if (o.password) flags |= 0x40;
  if (o.clean_start) flags |= 0x02;
  b.push_back(static_cast<char>(flags));
  AppendU16(o.keep_alive_s, &b);
  if (o.version == Version::k5) {
    std::string props;
    if (o.session_expiry_s > 0) {
      props.push_back(0x11);
      AppendU32(o.session_expiry_s, &props);
    }
    if (o.receive_maximum > 0) {
      props.push_back(0x21);
      AppendU16(o.receive_maximum, &props);
    }
    AppendVarInt(static_cast<uint32_t>(props.size()), &b);
    b.append(props);
  }
  AppendStr(o.client_id, &b);
  if (o.username) AppendStr(*o.username, &b);
  if (o.password) AppendStr(*o.password, &b);
  return Packet(PacketType::kConnect, 0, b);
}

absl::StatusOr<Connack> DecodeConnack(Version v, std::string_view body) {
  Reader r(body);
  Connack c;
  const uint8_t flags = r.U8();
  c.session_present = (flags & 0x01) != 0;
  c.code = r.U8();
  if (!r.ok()) return Malformed("CONNACK", "shorter than 2 bytes");
  if (v == Version::k5 && r.left() > 0) {
    Properties p;
    if (!ReadProperties(r, &p)) return Malformed("CONNACK", "bad properties");
    c.server_keep_alive_s = p.server_keep_alive;
    c.has_server_keep_alive = p.has_server_keep_alive;
    c.receive_maximum = p.receive_maximum;
    c.reason_string = std::string(p.reason_string);
    c.assigned_client_id = std::string(p.assigned_client_id);
  }
  return c;
}

std::string ConnackCodeText(Version v, uint8_t code) {
  const char* text = "refused";
  if (v == Version::k311) {
    switch (code) {
      case 0:
        text = "accepted";
        break;
      case 1:
        text = "unacceptable protocol version";
        break;
      case 2:
        text = "client identifier rejected";
        break;
      case 3:
        text = "server unavailable";
        break;
      case 4:
        text = "bad user name or password";
        break;
      case 5:
        text = "not authorized";
        break;
    }
  } else {
    switch (code) {
      case 0x00:
        text = "success";
        break;
      case 0x80:
        text = "unspecified error";
        break;
      case 0x81:
        text = "malformed packet";
        break;
      case 0x84:
        text = "unsupported protocol version";
        break;
      case 0x85:
        text = "client identifier not valid";
        break;
      case 0x86:
        text = "bad user name or password";
        break;
      case 0x87:
        text = "not authorized";
        break;
      case 0x88:
        text = "server unavailable";
        break;
      case 0x89:
        text = "server busy";
        break;
      case 0x8A:
        text = "banned";
        break;
      case 0x8C:
        text = "bad authentication method";
        break;
      case 0x9F:
        text = "connection rate exceeded";
        break;
    }
  }
  return absl::StrCat(text, " (", code, ")");
}

std::string EncodeSubscribe(Version v, uint16_t packet_id, const std::vector<SubscribeFilter>& f) {
  std::string b;
  AppendU16(packet_id, &b);
  if (v == Version::k5) b.push_back(0);  // no properties
  for (const SubscribeFilter& s : f) {
    AppendStr(s.filter, &b);
    uint8_t options = s.qos & 0x03;
    if (v == Version::k5) options |= static_cast<uint8_t>((s.retain_handling & 0x03) << 4);
    b.push_back(static_cast<char>(options));
  }
  return Packet(PacketType::kSubscribe, 0x02, b);
}

absl::StatusOr<Suback> DecodeSuback(Version v, std::string_view body) {
  Reader r(body);
  Suback s;
  s.packet_id = r.U16();
  if (!r.ok()) return Malformed("SUBACK", "no packet id");
  if (v == Version::k5) {
    Properties p;
    if (!ReadProperties(r, &p)) return Malformed("SUBACK", "bad properties");
  }
  std::string_view codes = r.rest();
  if (codes.empty()) return Malformed("SUBACK", "no return codes");
  for (char c : codes) s.codes.push_back(static_cast<uint8_t>(c));
  return s;
}

absl::StatusOr<Publish> DecodePublish(Version v, uint8_t flags, std::string_view body,
                                      bool truncated) {
  Publish p;
  p.dup = (flags & 0x08) != 0;
  p.qos = (flags >> 1) & 0x03;
  p.retain = (flags & 0x01) != 0;
  if (p.qos == 3) return Malformed("PUBLISH", "QoS 3");
  Reader r(body);
  p.topic = r.Str();
  if (p.qos > 0) p.packet_id = r.U16();
  if (!r.ok()) return Malformed("PUBLISH", "truncated topic or packet id");
  if (p.qos > 0 && p.packet_id == 0) return Malformed("PUBLISH", "packet id 0");
  if (v == Version::k5) {
    Properties props;
    if (!ReadProperties(r, &props)) {
      p.error =
          truncated ? "message too large to read its properties" : "malformed MQTT 5 properties";
      return p;
    }
    p.topic_alias = props.topic_alias;
  }
  p.payload = r.rest();
  return p;
}

std::string EncodePublish(Version v, std::string_view topic, std::string_view payload, uint8_t qos,
                          uint16_t packet_id, bool retain) {
  std::string b;
  b.reserve(topic.size() + payload.size() + 8);
  AppendStr(topic, &b);
  if (qos > 0) AppendU16(packet_id, &b);
  if (v == Version::k5) b.push_back(0);
  b.append(payload);
  return Packet(PacketType::kPublish, static_cast<uint8_t>((qos & 0x03) << 1 | (retain ? 1 : 0)),
                b);
}

void AppendAck(Version v, PacketType type, uint16_t packet_id, uint8_t reason, std::string* out) {
  const uint8_t flags = type == PacketType::kPubrel ? 0x02 : 0x00;
  out->push_back(static_cast<char>((static_cast<uint8_t>(type) << 4) | flags));
  const bool with_reason = v == Version::k5 && reason != 0;
  out->push_back(static_cast<char>(with_reason ? 3 : 2));
  AppendU16(packet_id, out);
  if (with_reason) out->push_back(static_cast<char>(reason));
}

absl::StatusOr<Ack> DecodeAck(Version v, std::string_view body) {
  Reader r(body);
  Ack a;
  a.packet_id = r.U16();
  if (!r.ok()) return Malformed("acknowledgement", "no packet id");
  if (v == Version::k5 && r.left() > 0) a.reason = r.U8();
  return a;
}

std::string EncodePingreq() { return std::string("\xc0\x00", 2); }

std::string EncodeDisconnect(Version v) {
  (void)v;  // reason 0 with no properties may be omitted in MQTT 5 as well
  return std::string("\xe0\x00", 2);
}

absl::StatusOr<uint8_t> DecodeDisconnect(Version v, std::string_view body) {
  if (v == Version::k311 || body.empty()) return 0;
  return static_cast<uint8_t>(body[0]);
}

}  // namespace telemdb::ingest::mqtt
