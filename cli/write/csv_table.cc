#include "cli/write/csv_table.h"

namespace telemdb::cli {

CsvTable CsvTable::Parse(std::string_view text) {
  CsvTable t;
  size_t i = 0;
  int64_t line = 1;
  const size_t n = text.size();
  while (i < n) {
    // Skip blank lines.
    if (text[i] == '\n') {
      i++, line++;
      continue;
    }
    if (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') {
      i += 2, line++;
      continue;
    }
    Record r;
    r.line = line;
    r.first = t.cells_.size();
    bool end_of_record = false;
    while (!end_of_record) {
      if (i < n && text[i] == '"') {
        size_t start = ++i;
        bool doubled = false, unterminated = false;
        while (true) {
          if (i >= n) {
            unterminated = true;
            break;
          }
          if (text[i] == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              doubled = true;
              i += 2;
              continue;
            }
            break;
          }
          if (text[i] == '\n') line++;
          i++;
        }
        if (unterminated) {
          // (An earlier error of the record, e.g. text after a quoted cell, must not make a
          // later, terminated cell swallow the rest of the input.)
          if (r.error.empty()) r.error = "unterminated quoted cell";
          t.cells_.push_back(text.substr(start));
          end_of_record = true;
          break;
        }
        std::string_view raw = text.substr(start, i - start);
        i++;  // the closing quote
        if (doubled) {
          std::string u;
          u.reserve(raw.size());
          for (size_t k = 0; k < raw.size(); k++) {
            u.push_back(raw[k]);
            if (raw[k] == '"') k++;
          }
          t.unescaped_.push_back(std::move(u));
          raw = t.unescaped_.back();
        }
        t.cells_.push_back(raw);
        if (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          if (r.error.empty()) r.error = "unexpected text after a quoted cell";
          while (i < n && text[i] != ',' && text[i] != '\n') i++;
        }
      } else {
        size_t start = i;
        while (i < n && text[i] != ',' && text[i] != '\n') i++;
        size_t end = i;
        if (end > start && text[end - 1] == '\r' && (i >= n || text[i] == '\n')) end--;
        t.cells_.push_back(text.substr(start, end - start));
      }
      if (i >= n) {
        end_of_record = true;
      } else if (text[i] == ',') {
        i++;
        if (i >= n) t.cells_.push_back(std::string_view());  // "a,b," ends with an empty cell
        end_of_record = i >= n;
      } else {
        if (text[i] == '\r') i++;
        if (i < n && text[i] == '\n') i++, line++;
        end_of_record = true;
      }
    }
    r.count = t.cells_.size() - r.first;
    t.records_.push_back(std::move(r));
  }
  return t;
}

}  // namespace telemdb::cli
