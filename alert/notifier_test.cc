// Notifications to a loopback receiver (telemdb's own HTTP server, in process): signature,
// retries through 500s and a receiver that is down, order, persistence across a reopen,
// the queue's bound.
#include "alert/notifier.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/server.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"
#include "util/thread_pool.h"

namespace telemdb::alert {
namespace {

using ::telemdb::testing::StatusIs;
using ::testing::HasSubstr;

// A webhook receiver that fails the first `fail_first` requests with 500.
class Receiver {
 public:
  explicit Receiver(int port = 0) : pool_(2) {
    http::ServerOptions o;
    o.listen = absl::StrCat("127.0.0.1:", port);
    auto s = http::Server::Start(
        o, [this](const http::Request& r, http::ResponseWriter& w) { Handle(r, w); }, &pool_);
    EXPECT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }
  ~Receiver() { server_->Stop(absl::Seconds(1)); }
  int port() const { return server_->port(); }
  void FailFirst(int n) { fail_first_ = n; }

  struct Got {
    std::string body, id, ts, signature;
  };
  std::vector<Got> accepted() {
    absl::MutexLock l(&mu_);
    return accepted_;
  }
  int requests() const { return requests_; }
  bool WaitFor(size_t n) {
    for (int i = 0; i < 500; i++) {
      if (accepted().size() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

 private:
  void Handle(const http::Request& r, http::ResponseWriter& w) {
    requests_++;
    if (fail_first_ > 0) {
      fail_first_--;
      return w.Send(500, http::Headers(), "not now");
    }
    Got g;
    g.body = r.body;
    g.id = std::string(r.headers.Get("X-Telemdb-Delivery").value_or(""));
    g.ts = std::string(r.headers.Get("X-Telemdb-Timestamp").value_or(""));
    g.signature = std::string(r.headers.Get("X-Telemdb-Signature").value_or(""));
    {
      absl::MutexLock l(&mu_);
      accepted_.push_back(g);
    }
    w.Send(204, http::Headers(), "");
  }
  ThreadPool pool_;
  std::unique_ptr<http::Server> server_;
  std::atomic<int> fail_first_{0};
  std::atomic<int> requests_{0};
  absl::Mutex mu_;
  std::vector<Got> accepted_;
};

AlertEvent Event(int n, bool reminder = false) {
  AlertEvent e;
  e.id = absl::StrCat("rule1/device=a/", n, reminder ? "/r1" : "");
  e.rule = "rule1";
  e.to = "firing";
  e.from = "pending";
  e.number = n;
  e.reminder = reminder;
  return e;
}

class NotifierTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenDb(); }
  void OpenDb() {
    storage::Options o;
    o.dir = dir_.path();
    o.background = false;
    auto db = storage::Db::Open(o);
    ASSERT_OK(db.status());
    db_ = *std::move(db);
  }
  std::unique_ptr<Notifier> Open(size_t max_queued = 100) {
    NotifierOptions o;
    o.backoff_min = absl::Milliseconds(20);
    o.backoff_max = absl::Milliseconds(100);
    o.timeout = absl::Seconds(2);
    o.max_queued = max_queued;
    auto n = Notifier::Open(db_.get(), o, nullptr);
    EXPECT_TRUE(n.ok()) << n.status();
    return *std::move(n);
  }
  void Send(Notifier* n, std::vector<AlertEvent> events, const std::string& target = "ops") {
    std::vector<Outgoing> out;
    for (auto& e : events) out.push_back({target, std::move(e)});
    storage::Db::MetaOps ops;
    auto staged = n->Stage(out, &ops);
    ASSERT_OK(db_->WriteMeta(ops));
    n->Commit(std::move(staged));
  }
  TempDir dir_;
  std::unique_ptr<storage::Db> db_;
};

TEST_F(NotifierTest, DeliversSignedOnceEachInOrderThroughFailures) {
  Receiver rx;
  rx.FailFirst(3);
  auto n = Open();
  ASSERT_OK_AND_ASSIGN(
      std::string secret,
      n->CreateTarget("ops", absl::StrCat("http://127.0.0.1:", rx.port(), "/hook"), "", "admin"));
  EXPECT_EQ(secret.size(), 64u);
  Send(n.get(), {Event(1), Event(2), Event(3)});
  ASSERT_TRUE(rx.WaitFor(3));
  auto got = rx.accepted();
  ASSERT_EQ(got.size(), 3u);
  for (int i = 0; i < 3; i++) {
    EXPECT_EQ(got[i].id, absl::StrCat("rule1/device=a/", i + 1));  // in order
    EXPECT_THAT(got[i].body, HasSubstr(absl::StrCat("\"id\":\"", got[i].id, "\"")));
    EXPECT_EQ(got[i].signature, WebhookSignature(secret, std::stoll(got[i].ts), got[i].body));
  }
  EXPECT_EQ(rx.requests(), 6);  // three 500s, then each once
  auto targets = n->ListTargets();
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].delivered, 3u);
  EXPECT_EQ(targets[0].failed_attempts, 3u);
  n.reset();
  // Delivered records are gone from the database.
  EXPECT_TRUE(db_->ScanMeta("alert/notify/")->empty());
}

// The receiver is down; the server restarts meanwhile; everything arrives once it is up.
TEST_F(NotifierTest, QueueSurvivesReopenWhileReceiverIsDown) {
  int port;
  {
    Receiver probe;  // find a free port, then free it
    port = probe.port();
  }
  auto n = Open();
  ASSERT_OK(n->CreateTarget("ops", absl::StrCat("http://127.0.0.1:", port, "/"),
                            "0123456789abcdef0", "admin")
                .status());
  Send(n.get(), {Event(1), Event(2)});
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // a few failed attempts
  EXPECT_GT(n->ListTargets()[0].failed_attempts, 0u);
  EXPECT_THAT(n->ListTargets()[0].last_error, HasSubstr("connect"));
  n.reset();
  ASSERT_OK(db_->Close());
  db_.reset();
  OpenDb();
  n = Open();
  EXPECT_EQ(n->queued(), 2u);
  Receiver rx(port);
  ASSERT_TRUE(rx.WaitFor(2));
  EXPECT_EQ(rx.accepted()[0].id, "rule1/device=a/1");
  EXPECT_EQ(rx.accepted()[1].id, "rule1/device=a/2");
}

TEST_F(NotifierTest, BoundedQueueDropsRemindersFirst) {
  auto n = Open(/*max_queued=*/3);
  ASSERT_OK(n->CreateTarget("ops", "http://127.0.0.1:9/", "", "admin").status());
  Send(n.get(), {Event(1), Event(2, /*reminder=*/true), Event(3)});
  Send(n.get(), {Event(4)});                     // evicts the reminder
  Send(n.get(), {Event(5, /*reminder=*/true)});  // a new reminder never evicts
  Send(n.get(), {Event(6)});                     // evicts the oldest: 1
  EXPECT_EQ(n->queued(), 3u);
  auto records = db_->ScanMeta("alert/notify/");
  ASSERT_OK(records.status());
  std::vector<std::string> ids;
  for (const auto& [k, v] : *records) {
    for (int i = 1; i <= 6; i++) {
      if (v.find(absl::StrCat("device=a/", i, "\\\"")) != std::string::npos ||
          v.find(absl::StrCat("\"id\":\"rule1/device=a/", i, "\"")) != std::string::npos) {
        ids.push_back(std::to_string(i));
      }
    }
  }
  EXPECT_THAT(ids, ::testing::UnorderedElementsAre("3", "4", "6"));
}

TEST_F(NotifierTest, TargetsAreValidated) {
  auto n = Open();
  EXPECT_THAT(n->CreateTarget("ops", "ftp://x/", "", "a"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("http:// or https://")));
  EXPECT_THAT(n->CreateTarget("ops", "http://u:p@127.0.0.1/", "", "a"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user:password@")));
  EXPECT_THAT(n->CreateTarget("ops", "http://127.0.0.1:99999/", "", "a"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad port")));
  EXPECT_THAT(n->CreateTarget("ops", "http://127.0.0.1/a b", "", "a"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("space")));
  EXPECT_THAT(n->CreateTarget("ops", "http:///x", "", "a"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no host")));
  EXPECT_THAT(n->CreateTarget("ops", "http://127.0.0.1/#f", "", "a"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("fragment")));
  EXPECT_THAT(n->CreateTarget("1ops", "http://127.0.0.1/", "", "a"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("target name")));
  EXPECT_THAT(n->CreateTarget("ops", "http://127.0.0.1/", "short", "a"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("16 to 1024")));
  ASSERT_OK(n->CreateTarget("ops", "http://[::1]:8080/x?y=1", "", "a").status());
  EXPECT_THAT(n->CreateTarget("ops", "http://127.0.0.1/", "", "a"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(WebhookUrl u, ParseWebhookUrl("https://example.org"));
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.target, "/");
}

}  // namespace
}  // namespace telemdb::alert
