/*
 * core/cmd/cli.h - subcommands of the `sluice` binary and shared CLI helpers.
 *
 * Exit codes, everywhere: 0 ok, 1 runtime failure, 2 usage error.
 */
#ifndef SLUICE_CORE_CMD_CLI_H
#define SLUICE_CORE_CMD_CLI_H

#include <getopt.h>
#include <stddef.h>

#include "core/cmd/config_types.h"

#define CORE_EXIT_OK 0
#define CORE_EXIT_FAIL 1
#define CORE_EXIT_USAGE 2

/* `sluice run ...`: the daemon. argv[0] is "run". Returns the exit code. */
int core_run_main(int argc, char **argv);

/* `sluice import ...`: files through the pipeline. Returns the exit code. */
int core_import_main(int argc, char **argv);

/*
 * Print "sluice CMD: MESSAGE" and a pointer to --help on stderr.
 * Returns CORE_EXIT_USAGE, so callers can `return core_cli_usage(...)`.
 */
int core_cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print "sluice CMD: MESSAGE" on stderr. Returns CORE_EXIT_FAIL. */
int core_cli_fail(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Parse the options that map to struct core_config (every long option of
 * `run`, with every --config FILE read first, in order, so the command
 * line overrides them). Can be called again on the same argv (SIGHUP).
 *   names    the core_config_set names this subcommand accepts.
 *   extra    called for options not in names (may be NULL); returns 0 when
 *            taken, -ENOENT when unknown, -EINVAL with a message printed.
 * On return *first_arg is the index of the first operand.
 * Returns 0, 1 when --help was given (help printed), or CORE_EXIT_USAGE.
 */
struct core_cli_spec {
  const char *cmd;                     /* "run", "import" */
  const char *help;                    /* full --help text */
  const char *const *names;            /* NULL-terminated */
  const struct option *extra_opts;     /* extra long options, or NULL */
  int (*extra)(int opt, const char *arg, void *ctx);
  void *ctx;
  /* When set (a re-read at SIGHUP), a usage error is written here, not
   * printed; extra must then be NULL. */
  char *err;
  size_t errlen;
};
int core_cli_parse(const struct core_cli_spec *spec, int argc, char **argv,
                   struct core_config *cfg, int *first_arg);

/* 1 when argv names a --config file, else 0. */
int core_cli_has_config(int argc, char **argv);

#endif
