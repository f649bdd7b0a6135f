#include "storage/wal/fault_wal_fs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace telemdb::storage::wal {
namespace {

absl::Status Dead() { return absl::UnavailableError("simulated power cut: the disk is gone"); }

std::string DirOf(const std::string& path) {
  return std::filesystem::path(path).parent_path().string();
}

class FaultFile : public WalFile {
 public:
  FaultFile(FaultWalFs* fs, std::string path, std::unique_ptr<WalFile> base)
      : fs_(fs), path_(std::move(path)), base_(std::move(base)) {}

  absl::Status Append(std::string_view data) override {
    bool write = false;
    RETURN_IF_ERROR(fs_->OnAppend(path_, data, &write));
    return base_->Append(data);
  }
  absl::Status Sync() override {
    if (fs_->dead()) return Dead();
    RETURN_IF_ERROR(fs_->OnSync(path_));
    return absl::OkStatus();  // the real fsync is pointless: durability is simulated
  }
  absl::Status Close() override { return base_->Close(); }
  uint64_t Size() const override { return base_->Size(); }
  absl::Status Truncate(uint64_t size) override {
    if (fs_->dead()) return Dead();
    RETURN_IF_ERROR(base_->Truncate(size));
    return fs_->Truncate(path_, size);
  }

 private:
  FaultWalFs* fs_;
  std::string path_;
  std::unique_ptr<WalFile> base_;
};

}  // namespace

FaultWalFs::FaultWalFs() = default;

bool FaultWalFs::dead() const {
  absl::MutexLock l(&mu_);
  return dead_;
}

absl::StatusOr<std::unique_ptr<WalFile>> FaultWalFs::NewFile(const std::string& path) {
  {
    absl::MutexLock l(&mu_);
    if (dead_) return Dead();
    FileState& f = files_[path];
    f.size = f.synced = 0;  // truncated
  }
  ASSIGN_OR_RETURN(auto base, WalFs::Default()->NewFile(path));
  return std::unique_ptr<WalFile>(new FaultFile(this, path, std::move(base)));
}

absl::StatusOr<std::string> FaultWalFs::ReadFile(const std::string& path) {
  if (dead()) return Dead();
  return WalFs::Default()->ReadFile(path);
}

absl::StatusOr<std::vector<std::string>> FaultWalFs::ListDir(const std::string& dir) {
  if (dead()) return Dead();
  return WalFs::Default()->ListDir(dir);
}

absl::Status FaultWalFs::CreateDir(const std::string& dir) {
  if (dead()) return Dead();
  return WalFs::Default()->CreateDir(dir);
}

absl::Status FaultWalFs::DeleteFile(const std::string& path) {
  {
    absl::MutexLock l(&mu_);
    if (dead_) return Dead();
    files_.erase(path);
  }
  return WalFs::Default()->DeleteFile(path);
}

absl::Status FaultWalFs::Truncate(const std::string& path, uint64_t size) {
  {
    absl::MutexLock l(&mu_);
    if (dead_) return Dead();
    auto it = files_.find(path);
    if (it != files_.end()) {
      FileState& f = it->second;
      if (f.synced > size && f.cut_bytes.empty()) {
        // Durable bytes are cut: until a SyncFile, a power cut may bring them back.
        auto contents = WalFs::Default()->ReadFile(path);
        if (contents.ok() && contents->size() > size) {
          truncations_++;
          f.cut_at = size;
          f.cut_bytes = contents->substr(size, f.synced - size);
        }
      }
      f.size = size;
      f.synced = std::min(f.synced, size);
    }
  }
  return WalFs::Default()->Truncate(path, size);
}

absl::Status FaultWalFs::SyncFile(const std::string& path) {
  absl::MutexLock l(&mu_);
  if (dead_) return Dead();
  auto it = files_.find(path);
  if (it != files_.end()) {
    it->second.synced = it->second.size;
    it->second.cut_bytes.clear();
  }
  return absl::OkStatus();
}

absl::Status FaultWalFs::SyncDir(const std::string& dir) {
  absl::MutexLock l(&mu_);
  if (dead_) return Dead();
  for (auto& [path, f] : files_) {
    if (DirOf(path) == dir) f.durable_entry = true;
  }
  return absl::OkStatus();
}

void FaultWalFs::set_sync_is_noop(bool v) {
  absl::MutexLock l(&mu_);
  sync_is_noop_ = v;
}

void FaultWalFs::FailAppends(int n) {
  absl::MutexLock l(&mu_);
  fail_appends_ = n;
}

void FaultWalFs::FailSyncs(int n) {
  absl::MutexLock l(&mu_);
  fail_syncs_ = n;
}

absl::Status FaultWalFs::OnAppend(const std::string& path, std::string_view data, bool* do_write) {
  absl::MutexLock l(&mu_);
  if (dead_) return Dead();
  if (fail_appends_ > 0) {
    fail_appends_--;
    return absl::ResourceExhaustedError(absl::StrCat("write ", path, ": No space left on device"));
  }
  files_[path].size += data.size();
  *do_write = true;
  return absl::OkStatus();
}

absl::Status FaultWalFs::OnSync(const std::string& path) {
  absl::MutexLock l(&mu_);
  if (dead_) return Dead();
  if (fail_syncs_ > 0) {
    fail_syncs_--;
    return absl::UnavailableError(absl::StrCat("fdatasync ", path, ": Input/output error"));
  }
  if (!sync_is_noop_) {
    FileState& f = files_[path];
    f.synced = f.size;
  }
  return absl::OkStatus();
}

void FaultWalFs::PowerCut() {
  absl::MutexLock l(&mu_);
  dead_ = true;
}

void FaultWalFs::DropUnsynced(uint64_t tear_seed) {
  absl::MutexLock l(&mu_);
  std::mt19937_64 rng(tear_seed);
  for (auto& [path, f] : files_) {
    if (!f.durable_entry) {
      ::unlink(path.c_str());
      continue;
    }
    if (!f.cut_bytes.empty()) {
      // The truncation never became durable: the disk still holds the cut bytes.
      if (::truncate(path.c_str(), static_cast<off_t>(f.cut_at)) == 0) {
        FILE* fp = std::fopen(path.c_str(), "ab");
        if (fp != nullptr) {
          std::fwrite(f.cut_bytes.data(), 1, f.cut_bytes.size(), fp);
          std::fclose(fp);
        }
        f.size = f.synced = f.cut_at + f.cut_bytes.size();
      }
      f.cut_bytes.clear();
      continue;
    }
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) continue;
    uint64_t keep = f.synced;
    uint64_t unsynced = static_cast<uint64_t>(st.st_size) > keep ? st.st_size - keep : 0;
    if (tear_seed != 0 && unsynced > 0) {
      // Keep a random prefix of the unsynced tail and scribble over part of it.
      uint64_t torn = rng() % (unsynced + 1);
      if (::truncate(path.c_str(), static_cast<off_t>(keep + torn)) != 0) continue;
      if (torn > 0) {
        FILE* fp = std::fopen(path.c_str(), "r+b");
        if (fp != nullptr) {
          uint64_t from = keep + rng() % torn;
          std::fseek(fp, static_cast<long>(from), SEEK_SET);
          for (uint64_t i = from; i < keep + torn; i++) std::fputc(static_cast<int>(rng()), fp);
          std::fclose(fp);
        }
      }
      f.size = keep + torn;
    } else {
      if (::truncate(path.c_str(), static_cast<off_t>(keep)) != 0) continue;
      f.size = keep;
    }
    // What survived the cut is on the disk now: durable, torn part included.
    f.synced = f.size;
  }
  for (auto it = files_.begin(); it != files_.end();) {
    it = it->second.durable_entry ? std::next(it) : files_.erase(it);
  }
}

int FaultWalFs::truncations() const {
  absl::MutexLock l(&mu_);
  return truncations_;
}

void FaultWalFs::Revive() {
  absl::MutexLock l(&mu_);
  dead_ = false;
  for (auto& [path, f] : files_) f.synced = f.size;
}

}  // namespace telemdb::storage::wal
