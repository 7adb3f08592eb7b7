/*
 * core/cmd/config.h - option parsing shared by the subcommands.
 */
#ifndef SLUICE_CORE_CMD_CONFIG_H
#define SLUICE_CORE_CMD_CONFIG_H

#include <stddef.h>

#include "core/cmd/config_types.h"

/* Fill c with the documented defaults (all online CPUs, default ports). */
void core_config_defaults(struct core_config *c);

/*
 * Parse "HOST:PORT", "[v6]:PORT", ":PORT" (all interfaces) or "off".
 * Returns 0 or -EINVAL.
 */
int core_config_parse_addr(const char *s, struct core_addr *out);

/*
 * Parse --cores: "N" (the first N online CPUs) or a list "0,2-3".
 * Returns 0, or -EINVAL with a message naming the problem in err.
 */
int core_config_parse_cores(const char *s, struct core_config *c, char *err,
                            size_t errlen);

/*
 * Apply one option by its long name without "--" (e.g. "max-series").
 * Returns 0, -ENOENT for an unknown name, -EINVAL for a bad value; err then
 * holds a message that names the option, the value and the fix.
 */
int core_config_set(struct core_config *c, const char *name, const char *val,
                    char *err, size_t errlen);

/* a as an address option takes it: "HOST:PORT", "[V6]:PORT" or "off".
 * Returns out. */
const char *core_config_addr_str(const struct core_addr *a, char *out,
                                 size_t n);

/*
 * Write the value of option `name` (a core_config_set name) in c as the
 * option would take it ("127.0.0.1:8125", "off", "0-3,6", "7d", "64M",
 * "1000"): equal texts mean equal settings. Cut with "..." past n bytes.
 * Returns 0, or -ENOENT for an unknown name.
 */
int core_config_show(const struct core_config *c, const char *name,
                     char *out, size_t n);

/*
 * Read "key = value" lines (keys are the long option names; '#' starts a
 * comment) from path into c.
 * Returns 0, -errno when the file cannot be read, -EINVAL with err set.
 */
int core_config_load(struct core_config *c, const char *path, char *err,
                     size_t errlen);

#endif
