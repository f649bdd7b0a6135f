#include "storage/codec/testing/nab_csv.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

namespace telemdb::storage::codec::testing {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ParseTimestamp(const std::string& s, int64_t* ns) {
  int y, mo, d, h, mi, sec;
  char tail;
  if (std::sscanf(s.c_str(), "%d-%d-%d %d:%d:%d%c", &y, &mo, &d, &h, &mi, &sec, &tail) != 6) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
  const int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
  *ns = secs * 1000000000;
  return true;
}

}  // namespace

absl::StatusOr<NabSeries> LoadNabCsv(const std::string& path) {
  std::ifstream f(path);
  if (!f) return absl::NotFoundError("cannot open " + path);
  NabSeries s;
  s.name = std::filesystem::path(path).filename().string();
  std::vector<int64_t> ts;
  std::vector<double> values;
  std::string line;
  bool header = true;
  while (std::getline(f, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (header) {
      header = false;
      continue;
    }
    const size_t comma = line.find(',');
    int64_t t;
    if (comma == std::string::npos || !ParseTimestamp(line.substr(0, comma), &t)) {
      return absl::InvalidArgumentError("bad row in " + path + ": " + line);
    }
    const std::string text = line.substr(comma + 1);
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0') {
      return absl::InvalidArgumentError("bad value in " + path + ": " + line);
    }
    ts.push_back(t);
    values.push_back(v);
  }
  s.rows = ts.size();
  std::vector<size_t> order(ts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ts[a] < ts[b]; });
  for (size_t i = 0; i < order.size(); i++) {
    const size_t r = order[i];
    if (!s.ts.empty() && s.ts.back() == ts[r]) {
      s.values.back() = values[r];  // last write wins
      continue;
    }
    s.ts.push_back(ts[r]);
    s.values.push_back(values[r]);
  }
  return s;
}

absl::StatusOr<std::vector<std::string>> ListNabFiles(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".csv") files.push_back(e.path().string());
  }
  if (ec) return absl::NotFoundError("cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace telemdb::storage::codec::testing
