/*
 * core/cmd/main.c - the `sluice` binary: dispatch to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "core/cmd/cli.h"
#include "core/cmd/compact.h"
#include "tools/inspect.h"
#include "tools/query.h"
#include "tools/tools.h"

struct subcommand {
  const char *name;
  int (*main)(int argc, char **argv);
  const char *what;
};

static const struct subcommand subcommands[] = {
    {"run", core_run_main, "run the ingestion daemon"},
    {"import", core_import_main, "push files through the ingest pipeline"},
    {"query", tools_query_main, "ask the query port: export, logs, flush"},
    {"inspect", core_inspect_main, "list the blocks of segment files"},
    {"compact", core_compact_main, "compact a stopped data directory"},
    {"stats", tools_stats_main, "live per-shard view of /metrics"},
    {"tune", tools_tune_main, "check or apply kernel settings"},
    {"bench", tools_bench_main, "generate StatsD or syslog load"},
};

static void usage(FILE *f) {
  fputs("Usage: sluice COMMAND [OPTION]...\n"
        "sluice: a telemetry ingestion appliance (StatsD/DogStatsD and\n"
        "syslog in, per-core io_uring shards, columnar segments, a query\n"
        "port).\n\nCommands:\n",
        f);
  for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
    fprintf(f, "  %-8s %s\n", subcommands[i].name, subcommands[i].what);
  fputs("\n'sluice COMMAND --help' explains each command.\n"
        "Exit codes: 0 ok, 1 runtime failure, 2 usage error.\n",
        f);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return CORE_EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return CORE_EXIT_OK;
  }
  if (strcmp(argv[1], "--version") == 0) {
    puts("sluice " SLUICE_VERSION);
    return CORE_EXIT_OK;
  }
  for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
    if (strcmp(argv[1], subcommands[i].name) == 0)
      return subcommands[i].main(argc - 1, argv + 1);
  fprintf(stderr, "sluice: unknown command '%s'\nTry 'sluice --help'.\n",
          argv[1]);
  return CORE_EXIT_USAGE;
}
