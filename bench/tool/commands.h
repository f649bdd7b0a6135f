// Subcommands of telemdb-bench.
#ifndef TELEMDB_BENCH_TOOL_COMMANDS_H_
#define TELEMDB_BENCH_TOOL_COMMANDS_H_

namespace telemdb::bench {

// argv[0] is the subcommand name.
int IngestCommand(int argc, char** argv);
int QueryCommand(int argc, char** argv);

}  // namespace telemdb::bench

#endif  // TELEMDB_BENCH_TOOL_COMMANDS_H_
