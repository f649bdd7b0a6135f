// libFuzzer target: the WAL reader and record decoders on arbitrary bytes. Each input is read
// as a whole segment (header checks, framing, CRCs, the corruption scan) and its payload bytes
// as a write record and a delete record, with valid framing so the decoders themselves run.
#include <cstddef>
#include <cstdint>
#include <string>

#include "storage/wal/batch_record.h"
#include "storage/wal/wal_reader.h"
#include "storage/wal/wal_writer.h"
#include "util/coding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace telemdb::storage;
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  auto decode = [](const wal::RecordView& r) -> absl::Status {
    wal::DecodedWrite w;
    wal::DeleteRecord d;
    (void)wal::DecodeWriteRecord(r.payload, &w);
    (void)wal::DecodeDeleteRecord(r.payload, &d);
    return absl::OkStatus();
  };
  (void)wal::ScanSegment(raw, 1, decode);
  // The same bytes framed as valid records of segment 1.
  std::string segment("TMDBWAL\x01", 8);
  telemdb::PutFixed64(&segment, 1);
  wal::AppendRecord(&segment, wal::RecordType::kWriteBatch, 0, raw);
  wal::AppendRecord(&segment, wal::RecordType::kDelete, 0, raw);
  auto scan = wal::ScanSegment(segment, 1, decode);
  if (scan.ok() && (scan->corrupt || scan->records != 2)) __builtin_trap();
  return 0;
}
