/*
 * core/cmd/cli.c - option parsing and messages shared by the subcommands.
 */
#include "core/cmd/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/cmd/config.h"

#define OPTS_MAX 64
#define OPT_CONFIG 900
#define OPT_HELP 'h'
#define OPT_NAMED 1000

int core_cli_usage(const char *cmd, const char *fmt, ...) {
  va_list ap;

  fprintf(stderr, "sluice %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'sluice %s --help'.\n", cmd);
  return CORE_EXIT_USAGE;
}

int core_cli_fail(const char *cmd, const char *fmt, ...) {
  va_list ap;

  fprintf(stderr, "sluice %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return CORE_EXIT_FAIL;
}

/* A usage error: printed, or into spec->err (see struct core_cli_spec). */
__attribute__((format(printf, 2, 3))) static int usage(
    const struct core_cli_spec *spec, const char *fmt, ...) {
  char msg[768];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (spec->err == NULL)
    return core_cli_usage(spec->cmd, "%s", msg);
  snprintf(spec->err, spec->errlen, "%s", msg);
  return CORE_EXIT_USAGE;
}

/* The path of argv[i] when it is --config PATH or --config=PATH. */
static const char *config_arg(int argc, char **argv, int i) {
  if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
    return argv[i + 1];
  if (strncmp(argv[i], "--config=", 9) == 0)
    return argv[i] + 9;
  return NULL;
}

int core_cli_has_config(int argc, char **argv) {
  for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (config_arg(argc, argv, i) != NULL)
      return 1;
  return 0;
}

/* Build the getopt_long table: named config options, extras, config, help. */
static int build_table(const struct core_cli_spec *spec, struct option *t) {
  int n = 0;

  for (int i = 0; spec->names[i] != NULL && n < OPTS_MAX - 4; i++)
    t[n++] = (struct option){spec->names[i], required_argument, NULL,
                             OPT_NAMED + i};
  for (int i = 0; spec->extra_opts && spec->extra_opts[i].name &&
                  n < OPTS_MAX - 3;
       i++)
    t[n++] = spec->extra_opts[i];
  t[n++] = (struct option){"config", required_argument, NULL, OPT_CONFIG};
  t[n++] = (struct option){"help", no_argument, NULL, OPT_HELP};
  t[n] = (struct option){NULL, 0, NULL, 0};
  return n;
}

/* First pass: find --config FILE (or --config=FILE) and load it. */
static int load_config_first(const struct core_cli_spec *spec, int argc,
                             char **argv, struct core_config *cfg) {
  char err[512];

  for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
    const char *path = config_arg(argc, argv, i);
    if (path == NULL)
      continue;
    int rc = core_config_load(cfg, path, err, sizeof(err));
    if (rc == -EINVAL)
      return usage(spec, "--config: %s", err);
    if (rc < 0)
      return usage(spec, "--config: cannot read \"%s\": %s", path,
                   strerror(-rc));
  }
  return 0;
}

static int apply_named(const struct core_cli_spec *spec, int idx,
                       const char *arg, struct core_config *cfg) {
  char err[512];

  if (core_config_set(cfg, spec->names[idx], arg, err, sizeof(err)) < 0)
    return usage(spec, "%s", err);
  return 0;
}

int core_cli_parse(const struct core_cli_spec *spec, int argc, char **argv,
                   struct core_config *cfg, int *first_arg) {
  struct option table[OPTS_MAX];
  int opt, rc;

  build_table(spec, table);
  rc = load_config_first(spec, argc, argv, cfg);
  if (rc != 0)
    return rc;
  optind = 0; /* glibc: 0 starts a scan afresh (argv may be scanned again) */
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "+:h", table, NULL)) != -1) {
    if (opt == OPT_HELP) {
      fputs(spec->help, stdout);
      return 1;
    } else if (opt == OPT_CONFIG) {
      continue;
    } else if (opt >= OPT_NAMED) {
      if ((rc = apply_named(spec, opt - OPT_NAMED, optarg, cfg)) != 0)
        return rc;
    } else if (opt == ':') {
      return usage(spec, "option '%s' needs a value", argv[optind - 1]);
    } else if (opt == '?') {
      return usage(spec, "unknown option '%s'", argv[optind - 1]);
    } else if (spec->extra == NULL ||
               spec->extra(opt, optarg, spec->ctx) != 0) {
      return CORE_EXIT_USAGE;
    }
  }
  *first_arg = optind;
  return 0;
}
