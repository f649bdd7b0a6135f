#include "storage/kv_store.h"

#include <array>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/compaction_filter.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/memtablerep.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_buffer_manager.h"
#include "storage/key_layout.h"
#include "util/absl_compat.h"

namespace telemdb::storage {
namespace {

// The one place RocksDB statuses become absl::Status.
absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat("rocksdb ", Sv(what), ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  if (s.IsNoSpace() || s.subcode() == rocksdb::Status::kSpaceLimit) {
    return absl::ResourceExhaustedError(msg);
  }
  if (s.IsBusy() || s.IsTryAgain() || s.IsTimedOut() || s.IsIOError()) {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

rocksdb::Slice S(std::string_view v) { return rocksdb::Slice(v.data(), v.size()); }
std::string_view V(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

constexpr std::array<const char*, kNumCfs> kCfNames = {
    keys::kSeriesCf, keys::kSeriesMetaCf, keys::kPostingsCf, keys::kChunksCf, keys::kMetaCf};

class ChunkRetentionFilter : public rocksdb::CompactionFilter {
 public:
  explicit ChunkRetentionFilter(std::function<bool(uint64_t, int64_t)> drop)
      : drop_(std::move(drop)) {}
  bool Filter(int, const rocksdb::Slice& key, const rocksdb::Slice&, std::string*,
              bool*) const noexcept override {
    keys::ChunkKeyParts parts;
    if (!keys::ParseChunkKey(V(key), &parts)) return false;
    return drop_(parts.series, parts.min_ts);
  }
  const char* Name() const override { return "telemdb.ChunkRetentionFilter"; }

 private:
  std::function<bool(uint64_t, int64_t)> drop_;
};

class RocksIterator : public KvIterator {
 public:
  RocksIterator(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, std::string_view lower,
                std::string_view upper)
      : lower_(lower), upper_(upper) {
    rocksdb::ReadOptions ro;
    if (!lower_.empty()) {
      lower_slice_ = rocksdb::Slice(lower_);
      ro.iterate_lower_bound = &lower_slice_;
    }
    if (!upper_.empty()) {
      upper_slice_ = rocksdb::Slice(upper_);
      ro.iterate_upper_bound = &upper_slice_;
    }
    it_.reset(db->NewIterator(ro, cf));
  }
  void Seek(std::string_view t) override { it_->Seek(S(t)); }
  void SeekToFirst() override { it_->SeekToFirst(); }
  void SeekToLast() override { it_->SeekToLast(); }
  void SeekForPrev(std::string_view t) override { it_->SeekForPrev(S(t)); }
  bool Valid() const override { return it_->Valid(); }
  void Next() override { it_->Next(); }
  void Prev() override { it_->Prev(); }
  std::string_view key() const override { return V(it_->key()); }
  std::string_view value() const override { return V(it_->value()); }
  absl::Status status() const override { return FromRocks(it_->status(), "iterate"); }

 private:
  std::string lower_, upper_;
  rocksdb::Slice lower_slice_, upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

class RocksKvStore : public KvStore {
 public:
  ~RocksKvStore() override { (void)Close(); }

  static absl::StatusOr<std::unique_ptr<KvStore>> Open(const std::string& dir, const KvOptions& o) {
    auto store = std::unique_ptr<RocksKvStore>(new RocksKvStore());
    store->cache_ = rocksdb::NewLRUCache(o.block_cache_bytes);
    store->wbm_ = std::make_shared<rocksdb::WriteBufferManager>(o.memtable_bytes, nullptr);
    if (o.drop_chunk) store->filter_ = std::make_unique<ChunkRetentionFilter>(o.drop_chunk);

    rocksdb::DBOptions dbo;
    dbo.create_if_missing = true;
    dbo.create_missing_column_families = true;
    dbo.max_background_jobs = o.background_jobs;
    dbo.write_buffer_manager = store->wbm_;
    dbo.keep_log_file_num = 3;
    dbo.max_manifest_file_size = 64 << 20;
    dbo.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
    // The index column families use vector memtables (below), which need the single-writer
    // memtable path; our writes come through one group-commit thread anyway.
    dbo.allow_concurrent_memtable_write = false;
    if (o.env != nullptr) dbo.env = static_cast<rocksdb::Env*>(o.env);
    if (o.info_log_through_env) {
      rocksdb::Status ls = dbo.env->CreateDirIfMissing(dir);
      if (ls.ok()) ls = rocksdb::NewEnvLogger(dir + "/LOG", dbo.env, &dbo.info_log);
      if (!ls.ok()) return FromRocks(ls, absl::StrCat("open info log in ", dir));
      dbo.info_log->SetInfoLogLevel(dbo.info_log_level);
    }

    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (int i = 0; i < kNumCfs; i++) {
      rocksdb::ColumnFamilyOptions cfo;
      cfo.level_compaction_dynamic_level_bytes = true;
      cfo.write_buffer_size = std::max<uint64_t>(o.memtable_bytes / 4, 4 << 20);
      rocksdb::BlockBasedTableOptions t;
      t.block_cache = store->cache_;
      t.cache_index_and_filter_blocks = true;
      t.format_version = 5;
      if (static_cast<Cf>(i) == Cf::kChunks) {
        // Chunk values are already packed by our codecs: no block compression while data is
        // young. The bottommost level (where Compact and age put everything) uses zstd: the
        // keys (series id, start time, sequence) and the varint headers of small chunks repeat
        // from one series to the next, and a short series' chunk is mostly those (meters: -20 %
        // of the CF). RocksDB keeps a block uncompressed when zstd saves under 1/8, so large
        // chunks (trucks) are stored, cached and read as before.
        cfo.compression = rocksdb::kNoCompression;
        cfo.bottommost_compression = rocksdb::kZSTD;
        t.block_size = 32 << 10;
        if (store->filter_) cfo.compaction_filter = store->filter_.get();
      } else {
        cfo.compression = rocksdb::kLZ4Compression;
        // The index at rest: series keys share long prefixes; zstd takes a third off LZ4.
        cfo.bottommost_compression = rocksdb::kZSTD;
        if (static_cast<Cf>(i) != Cf::kMeta) {
          // series, series_meta and postings are written once per new series and read back
          // only when the index is loaded at open: an append-only vector memtable (sorted
          // once at flush) costs a fraction of a skiplist insert, which dominated
          // high-cardinality ingest.
          cfo.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
          // Nothing reads them back from memory: flush early rather than hold a new
          // fleet's whole index in memtables.
          cfo.write_buffer_size = std::min<uint64_t>(cfo.write_buffer_size, 16 << 20);
        }
        t.block_size = 16 << 10;
        t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      }
      cfo.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
      cfs.emplace_back(kCfNames[i], cfo);
    }
    cfs.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());

    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(dbo, dir, cfs, &handles, &db);
    if (!s.ok()) return FromRocks(s, absl::StrCat("open ", dir));
    store->db_.reset(db);
    store->handles_ = std::move(handles);
    return std::unique_ptr<KvStore>(std::move(store));
  }

  absl::Status Write(KvBatch* batch, bool sync) override;

  absl::StatusOr<std::optional<std::string>> Get(Cf cf, std::string_view key) override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), H(cf), S(key), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return FromRocks(s, "get");
    return std::optional<std::string>(std::move(value));
  }

  std::unique_ptr<KvIterator> NewIterator(Cf cf, std::string_view lower,
                                          std::string_view upper) override {
    return std::make_unique<RocksIterator>(db_.get(), H(cf), lower, upper);
  }

  absl::Status SyncWal() override { return FromRocks(db_->SyncWAL(), "sync wal"); }

  absl::Status FlushMemtables() override {
    rocksdb::FlushOptions fo;
    fo.wait = true;
    std::vector<rocksdb::ColumnFamilyHandle*> all(handles_.begin(), handles_.begin() + kNumCfs);
    return FromRocks(db_->Flush(fo, all), "flush");
  }

  absl::Status CompactAll(Cf cf) override {
    rocksdb::CompactRangeOptions co;
    co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    return FromRocks(db_->CompactRange(co, H(cf), nullptr, nullptr), "compact");
  }

  absl::Status Checkpoint(const std::string& dir) override {
    rocksdb::Checkpoint* cp = nullptr;
    rocksdb::Status s = rocksdb::Checkpoint::Create(db_.get(), &cp);
    if (!s.ok()) return FromRocks(s, "checkpoint");
    std::unique_ptr<rocksdb::Checkpoint> owned(cp);
    return FromRocks(owned->CreateCheckpoint(dir), "checkpoint");
  }

  uint64_t CfBytes(Cf cf) override {
    uint64_t sst = 0, mem = 0;
    db_->GetIntProperty(H(cf), rocksdb::DB::Properties::kLiveSstFilesSize, &sst);
    db_->GetIntProperty(H(cf), rocksdb::DB::Properties::kCurSizeAllMemTables, &mem);
    return sst + mem;
  }

  uint64_t MemoryBytes() override { return wbm_->memory_usage() + cache_->GetUsage(); }

  absl::Status Close() override {
    if (!db_) return absl::OkStatus();
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    handles_.clear();
    rocksdb::Status s = db_->Close();
    db_.reset();
    return FromRocks(s, "close");
  }

 private:
  rocksdb::ColumnFamilyHandle* H(Cf cf) const { return handles_[static_cast<int>(cf)]; }

  std::shared_ptr<rocksdb::Cache> cache_;
  std::shared_ptr<rocksdb::WriteBufferManager> wbm_;
  std::unique_ptr<ChunkRetentionFilter> filter_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace

const char* CfName(Cf cf) { return kCfNames[static_cast<int>(cf)]; }

struct KvBatch::Rep {
  struct Op {
    enum Kind { kPut, kDelete, kDeleteRange } kind;
    Cf cf;
    std::string a, b;
  };
  std::vector<Op> ops;
  size_t bytes = 0;
};

KvBatch::KvBatch() : rep_(std::make_unique<Rep>()) {}
KvBatch::~KvBatch() = default;
void KvBatch::Put(Cf cf, std::string_view key, std::string_view value) {
  rep_->ops.push_back({Rep::Op::kPut, cf, std::string(key), std::string(value)});
  rep_->bytes += key.size() + value.size();
}
void KvBatch::Delete(Cf cf, std::string_view key) {
  rep_->ops.push_back({Rep::Op::kDelete, cf, std::string(key), {}});
  rep_->bytes += key.size();
}
void KvBatch::DeleteRange(Cf cf, std::string_view begin, std::string_view end) {
  rep_->ops.push_back({Rep::Op::kDeleteRange, cf, std::string(begin), std::string(end)});
  rep_->bytes += begin.size() + end.size();
}
size_t KvBatch::count() const { return rep_->ops.size(); }
size_t KvBatch::byte_size() const { return rep_->bytes; }
void KvBatch::Clear() {
  rep_->ops.clear();
  rep_->bytes = 0;
}

absl::Status RocksKvStore::Write(KvBatch* batch, bool sync) {
  rocksdb::WriteBatch wb(batch->byte_size() + 64 * batch->count());
  for (const auto& op : batch->rep()->ops) {
    rocksdb::Status s;
    switch (op.kind) {
      case KvBatch::Rep::Op::kPut:
        s = wb.Put(H(op.cf), op.a, op.b);
        break;
      case KvBatch::Rep::Op::kDelete:
        s = wb.Delete(H(op.cf), op.a);
        break;
      case KvBatch::Rep::Op::kDeleteRange:
        s = wb.DeleteRange(H(op.cf), op.a, op.b);
        break;
    }
    if (!s.ok()) return FromRocks(s, "batch");
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return FromRocks(db_->Write(wo, &wb), "write");
}

absl::StatusOr<std::unique_ptr<KvStore>> KvStore::Open(const std::string& dir,
                                                       const KvOptions& options) {
  return RocksKvStore::Open(dir, options);
}

}  // namespace telemdb::storage
