/*
 * tools/tools.h - the operator subcommands: `sluice bench`, `sluice tune`,
 * `sluice stats`. core/main.c dispatches to these.
 *
 * Each takes the subcommand's own argv (argv[0] is "bench", "tune" or
 * "stats") and returns the process exit code: 0 ok, 1 runtime failure
 * (for `tune check`: changes are recommended), 2 usage error (the message
 * names the bad option and the fix). Every subcommand has --help.
 */
#ifndef SLUICE_TOOLS_TOOLS_H
#define SLUICE_TOOLS_TOOLS_H

/* `sluice bench statsd|syslog --target HOST:PORT ...`: the load generator. */
int tools_bench_main(int argc, char **argv);

/* `sluice bench otlp --target HOST:PORT ...`: OTLP/HTTP export requests
 * (tools/bench_otlp.c); tools_bench_main hands argv from "otlp" on. */
int tools_bench_otlp_main(int argc, char **argv);

/* `sluice tune check|apply ...`: kernel settings for an ingest box. */
int tools_tune_main(int argc, char **argv);

/* `sluice stats [--url URL] [--once]`: live per-shard view of /metrics. */
int tools_stats_main(int argc, char **argv);

#endif
