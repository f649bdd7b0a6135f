// libFuzzer target: the CSV reader of `telemdb write --format csv` on arbitrary bytes. Every
// cell must be a view inside the input or the table's own storage, and records must come in
// line order.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cli/write/csv_table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto table = telemdb::cli::CsvTable::Parse(text);
  int64_t line = 0;
  size_t bytes = 0;
  for (const auto& r : table.records()) {
    if (r.line < line) __builtin_trap();
    line = r.line;
    for (std::string_view cell : table.cells(r)) bytes += cell.size();
  }
  if (bytes > size) __builtin_trap();  // cells never hold more than the input
  return 0;
}
