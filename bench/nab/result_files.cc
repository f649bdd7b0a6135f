#include "bench/nab/result_files.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace telemdb::nab {

absl::Status WriteResultFile(const std::string& root, const std::string& detector,
                             const NabFile& file, const std::vector<double>& scores) {
  const std::filesystem::path dir = std::filesystem::path(root) / detector / file.category;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return absl::InternalError(absl::StrCat("cannot create ", dir.string(), ": ", ec.message()));
  const std::filesystem::path path = dir / absl::StrCat(detector, "_", file.name, ".csv");
  std::ofstream out(path);
  out << "timestamp,value,anomaly_score,label\n";
  char buf[64];
  for (int64_t i = 0; i < file.rows(); i++) {
    const double s = std::isnan(scores[i]) ? 0.0 : scores[i];
    const auto r = std::to_chars(buf, buf + sizeof(buf), s);
    out << file.timestamps[i] << ',' << file.value_texts[i] << ','
        << std::string_view(buf, static_cast<size_t>(r.ptr - buf)) << ','
        << (file.InWindow(i) ? 1 : 0) << '\n';
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

}  // namespace telemdb::nab
