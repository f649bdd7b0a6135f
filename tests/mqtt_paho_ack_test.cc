// What Paho C's MQTTAsync (Debian libpaho-mqtt-dev) does with acknowledgements, against a
// real mosquitto: the facts behind the bridge's choice of its own client (docs/mqtt.md,
// "Why its own MQTT client"). Each case runs tests/mqtt_paho_probe.cc as a separate process
// and then asks the broker, by reconnecting the same persistent session, whether the message
// was acknowledged.
//
//   1. The message callback runs before the PUBACK is sent: a process that dies inside the
//      callback gets the message again (DUP set) on its next connection.
//   2. The PUBACK follows the callback's return: after returning 1, nothing is redelivered.
//   3. Returning 0 ("not handled") acknowledges anyway and queues the message in the
//      process: it is called again, and the broker has nothing left to redeliver.
//   4. Callbacks of all the clients of a process run on one thread: while one client's
//      callback waits, another client's message waits too. A callback that waits for an
//      fsync therefore serializes every connection: no group commit across connections.
#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/mosquitto_harness.h"
#include "tests/server_harness.h"
#include "util/temp_dir.h"

namespace telemdb::tests {
namespace {

struct Call {
  std::string client, topic;
  bool dup = false;
  double start = 0, end = -1;
};

std::vector<Call> Calls(const std::string& out) {
  std::vector<Call> calls;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    if (f.size() != 6 || f[0] != "callback") continue;
    Call c;
    c.client = f[1];
    c.topic = f[2];
    c.dup = f[3] == "dup=1";
    (void)absl::SimpleAtod(f[4].substr(6), &c.start);
    if (f[5] != "end=-") (void)absl::SimpleAtod(f[5].substr(4), &c.end);
    calls.push_back(c);
  }
  return calls;
}

class PahoAckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = Mosquitto::Start(dir_.path());
    ASSERT_TRUE(m.ok()) << m.status();
    broker_ = *std::move(m);
  }
  std::vector<Call> Probe(const std::string& id, const std::string& mode) {
    RunResult r =
        RunProgram({BinaryPath("tests/telemdb-mqtt-paho-probe"), broker_->url(), id, mode});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Calls(r.out);
  }
  TempDir dir_;
  std::unique_ptr<Mosquitto> broker_;
};

TEST_F(PahoAckTest, CallbackRunsBeforeThePuback) {
  std::vector<Call> first = Probe("paho-exit", "exit-in-callback");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_FALSE(first[0].dup);
  std::vector<Call> again = Probe("paho-exit", "collect");
  ASSERT_EQ(again.size(), 1u) << "the message died with the process, so it was acknowledged";
  EXPECT_TRUE(again[0].dup);
  EXPECT_EQ(again[0].topic, "probe/x");
}

TEST_F(PahoAckTest, PubackFollowsTheCallbacksReturn) {
  std::vector<Call> first = Probe("paho-ret1", "return-1");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(Probe("paho-ret1", "collect").empty());
}

TEST_F(PahoAckTest, ReturningZeroAcknowledgesAnywayAndQueues) {
  std::vector<Call> first = Probe("paho-ret0", "return-0");
  EXPECT_GE(first.size(), 2u) << "Paho calls again with the message it queued";
  EXPECT_TRUE(Probe("paho-ret0", "collect").empty())
      << "yet the broker has nothing to redeliver: it was acknowledged";
}

TEST_F(PahoAckTest, OneCallbackThreadForAllClients) {
  std::vector<Call> calls = Probe("paho-two", "two-clients");
  const Call* a = nullptr;
  const Call* b = nullptr;
  for (const Call& c : calls) {
    if (c.client == "a" && a == nullptr) a = &c;
    if (c.client == "b" && b == nullptr) b = &c;
  }
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_GE(a->end - a->start, 0.45);
  EXPECT_GE(b->end - b->start, 0.45);
  // Two clients, two messages at once, each callback waiting 500 ms: had each client its own
  // thread, the waits would overlap. They never do: one waits for the other.
  const double later_start = std::max(a->start, b->start);
  const double earlier_end = std::min(a->end, b->end);
  EXPECT_GE(later_start, earlier_end - 0.01)
      << "a: " << a->start << "-" << a->end << " b: " << b->start << "-" << b->end;
}

}  // namespace
}  // namespace telemdb::tests
