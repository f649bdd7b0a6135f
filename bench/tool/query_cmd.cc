// telemdb-bench query: filled in with the query service (issue 4).
#include <cstdio>

#include "bench/tool/commands.h"

namespace telemdb::bench {

int QueryCommand(int, char**) {
  std::fprintf(stderr, "telemdb-bench query: not available in this build\n");
  return 2;
}

}  // namespace telemdb::bench
