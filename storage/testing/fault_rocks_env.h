// FaultRocksEnv: a RocksDB Env whose file system remembers what RocksDB made durable, so a
// test can cut the power under RocksDB too: after PowerCut() every write fails; after
// DropUnsynced() every file is cut back to what was synced. Together with FaultWalFs this
// makes the hand-over "WAL synced -> chunk written -> RocksDB WAL synced -> segment deleted"
// testable: deleting a segment before RocksDB synced loses data in this simulation.
//
// Thread safety: thread-safe. For tests only.
#ifndef TELEMDB_STORAGE_TESTING_FAULT_ROCKS_ENV_H_
#define TELEMDB_STORAGE_TESTING_FAULT_ROCKS_ENV_H_

#include <memory>

namespace telemdb::storage::testing {

class FaultRocksEnv {
 public:
  FaultRocksEnv();
  ~FaultRocksEnv();
  // A rocksdb::Env*, for Options::rocksdb_env.
  void* env();
  void PowerCut();
  void DropUnsynced();
  void Revive();

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace telemdb::storage::testing

#endif  // TELEMDB_STORAGE_TESTING_FAULT_ROCKS_ENV_H_
