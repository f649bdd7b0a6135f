#include "storage/testing/fault_rocks_env.h"

#include <unistd.h>

#include <map>
#include <mutex>
#include <string>

#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace telemdb::storage::testing {
namespace {

struct FileState {
  uint64_t size = 0;
  uint64_t synced = 0;
};

struct Shared {
  std::mutex mu;
  std::map<std::string, FileState> files;
  bool dead = false;
};

rocksdb::IOStatus DeadStatus() { return rocksdb::IOStatus::IOError("simulated power cut"); }

class TrackingFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  TrackingFile(std::unique_ptr<rocksdb::FSWritableFile> base, Shared* shared, std::string path)
      : FSWritableFileOwnerWrapper(std::move(base)), shared_(shared), path_(std::move(path)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* dbg) override {
    if (!Grow(data.size())) return DeadStatus();
    return target()->Append(data, o, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& v,
                           rocksdb::IODebugContext* dbg) override {
    if (!Grow(data.size())) return DeadStatus();
    return target()->Append(data, o, v, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
    if (!MarkSynced()) return DeadStatus();
    return target()->Sync(o, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
    if (!MarkSynced()) return DeadStatus();
    return target()->Fsync(o, dbg);
  }
  rocksdb::IOStatus Close(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
    {
      std::lock_guard<std::mutex> l(shared_->mu);
      if (shared_->dead) return DeadStatus();
    }
    return target()->Close(o, dbg);
  }

 private:
  bool Grow(size_t n) {
    std::lock_guard<std::mutex> l(shared_->mu);
    if (shared_->dead) return false;
    shared_->files[path_].size += n;
    return true;
  }
  bool MarkSynced() {
    std::lock_guard<std::mutex> l(shared_->mu);
    if (shared_->dead) return false;
    auto& f = shared_->files[path_];
    f.synced = f.size;
    return true;
  }
  Shared* shared_;
  std::string path_;
};

class TrackingFs : public rocksdb::FileSystemWrapper {
 public:
  TrackingFs(const std::shared_ptr<rocksdb::FileSystem>& base, Shared* shared)
      : FileSystemWrapper(base), shared_(shared) {}
  const char* Name() const override { return "TelemdbFaultFs"; }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    {
      std::lock_guard<std::mutex> l(shared_->mu);
      if (shared_->dead) return DeadStatus();
      shared_->files[f] = FileState();
    }
    std::unique_ptr<rocksdb::FSWritableFile> base;
    rocksdb::IOStatus s = target()->NewWritableFile(f, o, &base, dbg);
    if (s.ok()) r->reset(new TrackingFile(std::move(base), shared_, f));
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override {
    {
      std::lock_guard<std::mutex> l(shared_->mu);
      if (shared_->dead) return DeadStatus();
    }
    std::unique_ptr<rocksdb::FSWritableFile> base;
    rocksdb::IOStatus s = target()->ReopenWritableFile(f, o, &base, dbg);
    if (s.ok()) r->reset(new TrackingFile(std::move(base), shared_, f));
    return s;
  }
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& dst,
                               const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
    {
      std::lock_guard<std::mutex> l(shared_->mu);
      if (shared_->dead) return DeadStatus();
      auto it = shared_->files.find(src);
      if (it != shared_->files.end()) {
        shared_->files[dst] = it->second;
        shared_->files.erase(it);
      } else {
        shared_->files.erase(dst);
      }
    }
    return target()->RenameFile(src, dst, o, dbg);
  }
  rocksdb::IOStatus DeleteFile(const std::string& f, const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* dbg) override {
    {
      std::lock_guard<std::mutex> l(shared_->mu);
      if (shared_->dead) return DeadStatus();
      shared_->files.erase(f);
    }
    return target()->DeleteFile(f, o, dbg);
  }

 private:
  Shared* shared_;
};

}  // namespace

struct FaultRocksEnv::Rep {
  Shared shared;
  std::shared_ptr<rocksdb::FileSystem> fs;
  std::unique_ptr<rocksdb::Env> env;
};

FaultRocksEnv::FaultRocksEnv() : rep_(std::make_unique<Rep>()) {
  rep_->fs = std::make_shared<TrackingFs>(rocksdb::FileSystem::Default(), &rep_->shared);
  rep_->env = rocksdb::NewCompositeEnv(rep_->fs);
}

FaultRocksEnv::~FaultRocksEnv() = default;

void* FaultRocksEnv::env() { return rep_->env.get(); }

void FaultRocksEnv::PowerCut() {
  std::lock_guard<std::mutex> l(rep_->shared.mu);
  rep_->shared.dead = true;
}

void FaultRocksEnv::DropUnsynced() {
  std::lock_guard<std::mutex> l(rep_->shared.mu);
  for (auto& [path, f] : rep_->shared.files) {
    if (::truncate(path.c_str(), static_cast<off_t>(f.synced)) == 0) f.size = f.synced;
  }
}

void FaultRocksEnv::Revive() {
  std::lock_guard<std::mutex> l(rep_->shared.mu);
  rep_->shared.dead = false;
}

}  // namespace telemdb::storage::testing
