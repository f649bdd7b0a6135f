#include "bench/nab/nab_corpus.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace telemdb::nab {
namespace {

namespace fs = std::filesystem;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

absl::StatusOr<NabFile> LoadCsv(const fs::path& path, std::string category) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path.string()));
  NabFile f;
  f.category = std::move(category);
  f.name = path.stem().string();
  std::string line;
  int64_t lineno = 0;
  while (std::getline(in, line)) {
    lineno++;
    std::string_view l = Trim(line);
    if (lineno == 1 || l.empty()) continue;  // header
    const size_t comma = l.find(',');
    if (comma == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(path.string(), ":", lineno, ": expected timestamp,value"));
    }
    std::string_view ts = Trim(l.substr(0, comma));
    std::string value_text(Trim(l.substr(comma + 1)));
    char* end = nullptr;
    const double v = std::strtod(value_text.c_str(), &end);
    if (value_text.empty() || end != value_text.c_str() + value_text.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path.string(), ":", lineno, ": bad value '", value_text, "'"));
    }
    auto ns = ParseNabTime(ts);
    if (!ns.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path.string(), ":", lineno, ": ", ns.status().message()));
    }
    f.timestamps.emplace_back(ts);
    f.ts_ns.push_back(*ns);
    f.values.push_back(v);
    f.value_texts.push_back(value_text);
  }
  return f;
}

}  // namespace

bool NabFile::InWindow(int64_t i) const {
  for (const Window& w : windows) {
    if (i >= w.first && i <= w.last) return true;
  }
  return false;
}

absl::StatusOr<int64_t> ParseNabTime(std::string_view t) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat("bad timestamp '", std::string(t), "'"));
  };
  if (t.size() < 19 || t[4] != '-' || t[7] != '-' || (t[10] != ' ' && t[10] != 'T') ||
      t[13] != ':' || t[16] != ':') {
    return bad();
  }
  int64_t y, mo, d, h, mi, s;
  if (!ParseInt(t.substr(0, 4), &y) || !ParseInt(t.substr(5, 2), &mo) ||
      !ParseInt(t.substr(8, 2), &d) || !ParseInt(t.substr(11, 2), &h) ||
      !ParseInt(t.substr(14, 2), &mi) || !ParseInt(t.substr(17, 2), &s)) {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return bad();
  int64_t frac_ns = 0;
  if (t.size() > 19) {
    if (t[19] != '.' || t.size() == 20 || t.size() > 29) return bad();
    int64_t scale = 100'000'000;
    for (size_t i = 20; i < t.size(); i++) {
      if (t[i] < '0' || t[i] > '9') return bad();
      frac_ns += (t[i] - '0') * scale;
      scale /= 10;
    }
  }
  const int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  return secs * 1'000'000'000 + frac_ns;
}

absl::StatusOr<std::vector<NabFile>> LoadNabCorpus(const std::string& root) {
  const fs::path data = fs::path(root) / "data";
  const fs::path labels = fs::path(root) / "labels" / "combined_windows.json";
  std::error_code ec;
  if (!fs::is_directory(data, ec)) {
    return absl::NotFoundError(absl::StrCat("no data directory ", data.string()));
  }
  std::vector<std::pair<std::string, fs::path>> paths;
  for (const auto& cat : fs::directory_iterator(data)) {
    if (!cat.is_directory()) continue;
    for (const auto& file : fs::directory_iterator(cat.path())) {
      if (file.path().extension() == ".csv") {
        paths.emplace_back(cat.path().filename().string(), file.path());
      }
    }
  }
  std::sort(paths.begin(), paths.end());
  std::vector<NabFile> files;
  std::map<std::string, size_t> by_key;
  for (const auto& [category, path] : paths) {
    auto f = LoadCsv(path, category);
    if (!f.ok()) return f.status();
    by_key[f->key()] = files.size();
    files.push_back(*std::move(f));
  }

  std::ifstream in(labels);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", labels.string()));
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(labels.string(), ": not a JSON object"));
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    auto f = by_key.find(it.key());
    if (f == by_key.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(labels.string(), ": labels for unknown file ", it.key()));
    }
    NabFile& file = files[f->second];
    if (!it.value().is_array()) {
      return absl::InvalidArgumentError(
          absl::StrCat(labels.string(), ": ", it.key(), ": expected a list of windows"));
    }
    for (const auto& w : it.value()) {
      if (!w.is_array() || w.size() != 2 || !w[0].is_string() || !w[1].is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat(labels.string(), ": ", it.key(), ": expected [start, end] strings"));
      }
      auto start = ParseNabTime(w[0].get<std::string>());
      auto end = ParseNabTime(w[1].get<std::string>());
      if (!start.ok()) return start.status();
      if (!end.ok()) return end.status();
      Window win{-1, -1};
      for (int64_t i = 0; i < file.rows(); i++) {
        if (file.ts_ns[i] < *start || file.ts_ns[i] > *end) continue;
        if (win.first < 0) win.first = i;
        win.last = i;
      }
      if (win.first < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(labels.string(), ": ", it.key(), ": a window holds no row"));
      }
      file.windows.push_back(win);
    }
    std::sort(file.windows.begin(), file.windows.end(),
              [](const Window& a, const Window& b) { return a.first < b.first; });
  }
  return files;
}

}  // namespace telemdb::nab
