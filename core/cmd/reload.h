/*
 * core/cmd/reload.h - SIGHUP: re-read the configuration of `sluice run`.
 */
#ifndef SLUICE_CORE_CMD_RELOAD_H
#define SLUICE_CORE_CMD_RELOAD_H

#include "core/cmd/cli.h"
#include "core/cmd/config_types.h"

/* 1 when option `name` can change while the daemon runs. */
int core_reload_is_live(const char *name);

/*
 * Re-read argv's --config files (the command line applied over them again,
 * as at start) into a fresh configuration and compare it with *in_force,
 * option by option (spec->names). A changed live option is copied into
 * *in_force (the caller applies it); any other change needs a restart
 * and is left. Logs on stderr, "sluice: SIGHUP: ...": that there is no
 * --config (nothing is read), a bad file (its message names the line;
 * nothing changes), each change and what became of it, or that nothing
 * changed. Main thread only (getopt).
 * Returns 1 when a live option changed, else 0.
 */
int core_reload(const struct core_cli_spec *spec, int argc, char **argv,
                struct core_config *in_force);

#endif
