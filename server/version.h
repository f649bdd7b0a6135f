// The telemdb version, reported by `telemdbd --version`, `telemdb --version` and Stats.
#ifndef TELEMDB_SERVER_VERSION_H_
#define TELEMDB_SERVER_VERSION_H_

namespace telemdb {
inline constexpr char kVersion[] = "0.1.0";
}

#endif  // TELEMDB_SERVER_VERSION_H_
