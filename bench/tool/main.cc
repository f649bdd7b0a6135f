// telemdb-bench: load generators and timers against a running telemdbd.
//   telemdb-bench ingest FILE [flags]   (bench/tool/ingest_cmd.cc)
//   telemdb-bench query TEXT [flags]    (bench/tool/query_cmd.cc)
#include <cstdio>
#include <cstring>

#include "bench/tool/commands.h"

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::fprintf(stderr, "usage: telemdb-bench ingest FILE [--help] | query TEXT [--help]\n");
    return 2;
  }
  if (std::strcmp(argv[1], "ingest") == 0) return telemdb::bench::IngestCommand(argc - 1, argv + 1);
  if (std::strcmp(argv[1], "query") == 0) return telemdb::bench::QueryCommand(argc - 1, argv + 1);
  std::fprintf(stderr, "telemdb-bench: unknown command \"%s\"\n", argv[1]);
  return 2;
}
