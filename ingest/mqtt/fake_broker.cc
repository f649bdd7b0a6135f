#include "ingest/mqtt/fake_broker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace telemdb::ingest::mqtt {
namespace {

uint16_t U16(std::string_view b, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(b[at]) << 8) |
                               static_cast<uint8_t>(b[at + 1]));
}

}  // namespace

FakeBroker::FakeBroker() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::listen(listen_fd_, 8);
  socklen_t len = sizeof a;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { Loop(); });
}

FakeBroker::~FakeBroker() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
  absl::MutexLock l(&mu_);
  if (client_fd_ >= 0) ::close(client_fd_);
}

void FakeBroker::Send(const std::string& bytes) {
  absl::MutexLock w(&write_mu_);
  int fd;
  {
    absl::MutexLock l(&mu_);
    fd = client_fd_;
  }
  size_t off = 0;
  while (fd >= 0 && off < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

void FakeBroker::Publish(const std::string& topic, const std::string& payload, uint8_t qos,
                         uint16_t packet_id, bool dup) {
  Version v;
  {
    absl::MutexLock l(&mu_);
    auto connected = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return client_fd_ >= 0; };
    mu_.AwaitWithTimeout(absl::Condition(&connected), absl::Seconds(10));
    v = version_;
  }
  std::string p = EncodePublish(v, topic, payload, qos, packet_id);
  if (dup) p[0] = static_cast<char>(p[0] | 0x08);
  Send(p);
}

void FakeBroker::SendRaw(const std::string& bytes) { Send(bytes); }

void FakeBroker::DropConnection() {
  absl::MutexLock l(&mu_);
  if (client_fd_ >= 0) ::shutdown(client_fd_, SHUT_RDWR);
}

bool FakeBroker::WaitFor(PacketType type, size_t n, absl::Duration timeout) {
  absl::MutexLock l(&mu_);
  auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    size_t k = 0;
    for (const Seen& s : seen_) k += s.type == type;
    return k >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

bool FakeBroker::WaitSubscribed(int n, absl::Duration timeout) {
  absl::MutexLock l(&mu_);
  auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return subscriptions_ >= n; };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

std::vector<FakeBroker::Seen> FakeBroker::seen() const {
  absl::MutexLock l(&mu_);
  return seen_;
}

std::vector<FakeBroker::Seen> FakeBroker::seen(PacketType type) const {
  std::vector<Seen> out;
  for (const Seen& s : seen()) {
    if (s.type == type) out.push_back(s);
  }
  return out;
}

int FakeBroker::connections() const {
  absl::MutexLock l(&mu_);
  return connections_;
}

int FakeBroker::subscriptions() const {
  absl::MutexLock l(&mu_);
  return subscriptions_;
}

Version FakeBroker::client_version() const {
  absl::MutexLock l(&mu_);
  return version_;
}

bool FakeBroker::HandlePacket(const FixedHeader& h, std::string_view body) {
  Version v;
  {
    absl::MutexLock l(&mu_);
    v = version_;
  }
  switch (h.type) {
    case PacketType::kConnect: {
      v = body.size() > 6 && body[6] == 5 ? Version::k5 : Version::k311;
      {
        absl::MutexLock l(&mu_);
        version_ = v;
        connections_++;
      }
      std::string ack = {0x20, 0x02, static_cast<char>(session_present_ ? 1 : 0), 0};
      if (v == Version::k5) ack = {0x20, 0x03, static_cast<char>(session_present_ ? 1 : 0), 0, 0};
      Send(ack);
      return true;
    }
    case PacketType::kSubscribe: {
      const uint16_t id = U16(body, 0);
      std::string ack = {static_cast<char>(0x90), static_cast<char>(v == Version::k5 ? 4 : 3),
                         static_cast<char>(id >> 8), static_cast<char>(id & 0xff)};
      if (v == Version::k5) ack.push_back(0);
      ack.push_back(1);
      Send(ack);
      absl::MutexLock l(&mu_);
      subscriptions_++;
      return true;
    }
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubcomp: {
      auto a = DecodeAck(v, body);
      Seen s{h.type, a.ok() ? a->packet_id : uint16_t{0}, a.ok() ? a->reason : uint8_t{0}};
      if (h.type != PacketType::kPubcomp && on_ack) on_ack(s);
      if (h.type == PacketType::kPubrec) {
        std::string rel;
        AppendAck(v, PacketType::kPubrel, s.packet_id, 0, &rel);
        Send(rel);
      }
      absl::MutexLock l(&mu_);
      seen_.push_back(std::move(s));
      return true;
    }
    case PacketType::kPublish: {
      auto p = DecodePublish(v, h.flags, body);
      if (!p.ok()) return false;
      if (p->qos == 1) {
        std::string ack;
        AppendAck(v, PacketType::kPuback, p->packet_id, 0, &ack);
        Send(ack);
      }
      absl::MutexLock l(&mu_);
      seen_.push_back(
          Seen{h.type, p->packet_id, 0, std::string(p->topic), std::string(p->payload)});
      return true;
    }
    case PacketType::kPingreq:
      Send(std::string("\xd0\x00", 2));
      return true;
    case PacketType::kDisconnect:
      return false;
    default:
      return false;
  }
}

void FakeBroker::Loop() {
  std::string in;
  while (!stop_) {
    int fd;
    {
      absl::MutexLock l(&mu_);
      fd = client_fd_;
    }
    if (fd < 0) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      absl::MutexLock l(&mu_);
      client_fd_ = c;
      in.clear();
      continue;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[65536];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    bool keep = n > 0;
    if (keep) in.append(buf, static_cast<size_t>(n));
    while (keep) {
      auto h = ParseFixedHeader(in);
      if (!h.ok()) {
        keep = false;
        break;
      }
      if (!h->has_value() || in.size() < (*h)->header_bytes + (*h)->remaining) break;
      const FixedHeader fh = **h;
      keep = HandlePacket(fh, std::string_view(in).substr(fh.header_bytes, fh.remaining));
      in.erase(0, fh.header_bytes + fh.remaining);
    }
    if (!keep) {
      absl::MutexLock w(&write_mu_);
      absl::MutexLock l(&mu_);
      ::close(client_fd_);
      client_fd_ = -1;
    }
  }
}

}  // namespace telemdb::ingest::mqtt
