// Debian's abseil (20220623) has its own absl::string_view, distinct from std::string_view,
// so absl::StrCat and friends do not take a std::string_view. Sv() converts without copying.
#ifndef TELEMDB_UTIL_ABSL_COMPAT_H_
#define TELEMDB_UTIL_ABSL_COMPAT_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace telemdb {

inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view StdSv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace telemdb

#endif  // TELEMDB_UTIL_ABSL_COMPAT_H_
