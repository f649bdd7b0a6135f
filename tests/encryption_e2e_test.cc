// End-to-end: telemdbd with --encryption-key-file. Written over gRPC, the data directory holds
// no readable name or value, the data survives a restart, and bad keys stop the server at
// start with a clear message. (Cross-module; it lives beside the encryption code it proves.)
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "storage/crypto/aes_ctr_provider.h"
#include "storage/crypto/key_ring.h"
#include "storage/db.h"
#include "storage/key_layout.h"
#include "telemdb/v1/ingest.grpc.pb.h"
#include "tests/server_harness.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace telemdb::tests {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;
constexpr int64_t kSec = 1'000'000'000;
constexpr char kMeasurement[] = "zqmeasure_e2e";
constexpr char kDevice[] = "zqdevice_e2e_77";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteKey(const std::string& path, char fill, mode_t mode) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << std::string(32, fill);
  ::chmod(path.c_str(), mode);
}

v1::WriteRequest Request(int64_t t0, int rows) {
  v1::WriteRequest req;
  auto* s = req.add_series();
  s->set_measurement(kMeasurement);
  auto* tag = s->add_tags();
  tag->set_key("device");
  tag->set_value(kDevice);
  auto* f = s->add_fields();
  f->set_name("temp");
  for (int i = 0; i < rows; i++) {
    s->add_timestamps(t0 + i * kSec);
    f->mutable_doubles()->add_values(i * 0.5);
  }
  return req;
}

class EncryptionE2eTest : public ::testing::Test {
 protected:
  std::string data() const { return dir_.Sub("data"); }
  std::string key() const { return dir_.Sub("telemdb.key"); }

  void StartServer(const std::string& key_file) {
    auto s = ServerProcess::Start(data(), {"--encryption-key-file", key_file});
    ASSERT_OK(s.status());
    server_ = *std::move(s);
    auto channel = grpc::CreateChannel(server_->addr(), grpc::InsecureChannelCredentials());
    ingest_ = v1::IngestService::NewStub(channel);
  }
  void Write(int64_t t0, int rows) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + server_->admin_token());
    v1::WriteResponse resp;
    grpc::Status s = ingest_->Write(&ctx, Request(t0, rows), &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.points_accepted(), static_cast<uint64_t>(rows));
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::IngestService::Stub> ingest_;
};

TEST_F(EncryptionE2eTest, NothingReadableOnDiskAndDataSurvivesRestart) {
  WriteKey(key(), 'k', 0600);
  StartServer(key());
  Write(kT0, 100);
  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  StartServer(key());
  Write(kT0 + 100 * kSec, 50);
  ASSERT_EQ(server_->Stop(SIGTERM), 0);

  // Scan every byte of the data directory; list the files that are not encrypted.
  std::vector<std::string> plaintext_files;
  for (const auto& e : fs::recursive_directory_iterator(data())) {
    if (!e.is_regular_file()) continue;
    const std::string bytes = ReadAll(e.path());
    EXPECT_EQ(bytes.find(kMeasurement), std::string::npos) << e.path();
    EXPECT_EQ(bytes.find(kDevice), std::string::npos) << e.path();
    const std::string rel = fs::relative(e.path(), data());
    if (rel.rfind("rocksdb/", 0) == 0 && !bytes.empty()) {
      EXPECT_OK(storage::crypto::ParseFilePrefix(bytes).status()) << rel;
    } else if (rel.rfind("rocksdb/", 0) != 0 && rel.rfind("wal/", 0) != 0) {
      plaintext_files.push_back(rel);
    }
  }
  // admin.token (for the operator to collect) and KEYCHECK (no key material); the audit log
  // when it is kept in the data directory (the server's default).
  for (const auto& f : plaintext_files) {
    EXPECT_TRUE(f == "admin.token" || f == "KEYCHECK" || f == "audit.log") << f;
  }

  storage::Options o;
  o.dir = data();
  o.background = false;
  ASSERT_OK_AND_ASSIGN(o.encryption_keys, storage::crypto::KeyRing::LoadFiles(key(), {}));
  ASSERT_OK_AND_ASSIGN(auto db, storage::Db::Open(o));
  auto id =
      db->index().Find(storage::keys::SeriesKeyBytes(kMeasurement, {{"device", kDevice}}, "temp"));
  ASSERT_NE(id, storage::kInvalidSeriesId);
  ASSERT_OK_AND_ASSIGN(auto cursor, db->Read(id, INT64_MIN, INT64_MAX));
  storage::codec::Columns all;
  ASSERT_OK(cursor->ReadAll(&all));
  EXPECT_EQ(all.size(), 150u);
}

TEST_F(EncryptionE2eTest, KeyFileReadableByOthersIsRefused) {
  WriteKey(key(), 'k', 0644);
  auto s = ServerProcess::Start(data(), {"--encryption-key-file", key()});
  EXPECT_THAT(s.status().message(), AllOf(HasSubstr(key()), HasSubstr("mode 0644")));
}

TEST_F(EncryptionE2eTest, WrongKeyOrNoKeyIsRefusedAtStart) {
  WriteKey(key(), 'k', 0600);
  StartServer(key());
  Write(kT0, 10);
  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  server_.reset();
  WriteKey(dir_.Sub("other.key"), 'o', 0600);
  auto s = ServerProcess::Start(data(), {"--encryption-key-file", dir_.Sub("other.key")});
  EXPECT_THAT(s.status().message(),
              HasSubstr("does not match the key this data directory was written with"));
  s = ServerProcess::Start(data(), {});
  EXPECT_THAT(s.status().message(), HasSubstr("--encryption-key-file"));
}

}  // namespace
}  // namespace telemdb::tests
