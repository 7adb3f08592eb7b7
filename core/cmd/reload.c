/*
 * core/cmd/reload.c - SIGHUP: re-read the configuration (reload.h).
 */
#include "core/cmd/reload.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cmd/config.h"

#define SHOWN_BYTES 256 /* one option's value in a message */

/* The options `sluice run` applies live, and where they are. */
static const struct live_opt {
  const char *name;
  size_t off, size;
} live[] = {
#define LIVE(n, f)                                                             \
  {n, offsetof(struct core_config, f), sizeof(((struct core_config *)0)->f)}
    LIVE("retention", retention_ms),
    LIVE("max-disk-bytes", disk_bytes_max),
    LIVE("block-max-age-ms", block_max_age_ms),
    LIVE("fsync-interval-ms", fsync_interval_ms),
    LIVE("segment-max-bytes", segment_bytes_max),
    LIVE("segment-max-age", segment_age_ms_max),
#undef LIVE
};

static const struct live_opt *live_opt(const char *name) {
  for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
    if (strcmp(live[i].name, name) == 0)
      return &live[i];
  return NULL;
}

int core_reload_is_live(const char *name) { return live_opt(name) != NULL; }

/* Compare option `name`; take it into *in_force when live. Returns 1 when
 * it differs. */
static int compare(const char *name, struct core_config *in_force,
                   const struct core_config *next, int *applied) {
  const struct live_opt *l = live_opt(name);
  char was[SHOWN_BYTES], now[SHOWN_BYTES];

  core_config_show(in_force, name, was, sizeof(was));
  core_config_show(next, name, now, sizeof(now));
  if (strcmp(was, now) == 0)
    return 0;
  if (l == NULL) {
    fprintf(stderr, "sluice: SIGHUP: --%s %s -> %s needs a restart; %s "
            "stays in force\n", name, was, now, was);
    return 1;
  }
  memcpy((char *)in_force + l->off, (const char *)next + l->off, l->size);
  fprintf(stderr, "sluice: SIGHUP: --%s %s -> %s: applied\n", name, was, now);
  *applied = 1;
  return 1;
}

int core_reload(const struct core_cli_spec *spec, int argc, char **argv,
                struct core_config *in_force) {
  struct core_cli_spec quiet = *spec;
  struct core_config *next;
  char err[1024];
  int first, applied = 0, changed = 0;

  if (!core_cli_has_config(argc, argv)) {
    fprintf(stderr, "sluice: SIGHUP: no --config file: nothing to re-read "
            "(options on the command line change with a restart)\n");
    return 0;
  }
  next = malloc(sizeof(*next));
  if (next == NULL) {
    fprintf(stderr, "sluice: SIGHUP: out of memory; nothing changes\n");
    return 0;
  }
  core_config_defaults(next);
  quiet.err = err;
  quiet.errlen = sizeof(err);
  if (core_cli_parse(&quiet, argc, argv, next, &first) != 0) {
    fprintf(stderr, "sluice: SIGHUP: %s; fix it and send SIGHUP again: the "
            "running configuration stays in force\n", err);
    free(next);
    return 0;
  }
  for (size_t i = 0; spec->names[i] != NULL; i++)
    changed |= compare(spec->names[i], in_force, next, &applied);
  if (!changed)
    fprintf(stderr, "sluice: SIGHUP: re-read the --config file: nothing "
            "changed\n");
  free(next);
  return applied;
}
