// CsvTable: an RFC 4180 reader over text held in memory. Cells are separated by ',', records
// by LF or CRLF; a cell in double quotes may hold commas, line breaks and doubled quotes ("").
// Blank lines are skipped. A malformed record (text after a closing quote, an unterminated
// quote) is kept with its error so the caller can report or skip it.
//
// Cells are views of the input text, or of the table's own storage for quoted cells with ""
// in them; both live as long as the table and the text.
//
// Thread safety: immutable after Parse.
#ifndef TELEMDB_CLI_WRITE_CSV_TABLE_H_
#define TELEMDB_CLI_WRITE_CSV_TABLE_H_

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace telemdb::cli {

class CsvTable {
 public:
  struct Record {
    int64_t line = 0;   // 1-based line where the record starts
    size_t first = 0;   // index of its first cell in cells_
    size_t count = 0;   // number of cells
    std::string error;  // non-empty: malformed, e.g. "unterminated quoted cell"
  };

  // Parses all of `text`, which must outlive the table.
  static CsvTable Parse(std::string_view text);

  const std::vector<Record>& records() const { return records_; }
  std::span<const std::string_view> cells(const Record& r) const {
    return std::span<const std::string_view>(cells_.data() + r.first, r.count);
  }

 private:
  std::vector<Record> records_;
  std::vector<std::string_view> cells_;
  std::deque<std::string> unescaped_;  // quoted cells that had "" in them
};

}  // namespace telemdb::cli

#endif  // TELEMDB_CLI_WRITE_CSV_TABLE_H_
