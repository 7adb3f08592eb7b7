/*
 * tools/tune.h - kernel settings for an ingest box: read, compare, write.
 *
 * Every path is read below opts->root, so the checks run on fixture copies
 * of /proc and /sys in tests. The recommended sysctl values are the ones in
 * kernel-tuning/10-sluice.conf (see kernel-tuning/README.md for why).
 */
#ifndef SLUICE_TOOLS_TUNE_H
#define SLUICE_TOOLS_TUNE_H

#include <stdio.h>

#include "tools/tune_types.h"

/*
 * Read every setting and fill r (rows past TOOLS_TUNE_ROWS_MAX are counted
 * in r->truncated). When o->core_count is 0 the shard cores are the root's
 * online CPUs (sys/devices/system/cpu/online), or CPU 0 if that is absent.
 * Returns 0, or -ENOENT when root has no proc/sys directory.
 */
int tools_tune_check(struct tools_tune_opts *o, struct tools_tune_report *r);

/*
 * The i-th sysctl sluice recommends: returns its name ("net.core.rmem_max")
 * with *value set to the recommended minimum as the profile writes it
 * ("33554432", "262144 524288 1048576"), or NULL when i is past the last.
 */
const char *tools_tune_sysctl(size_t i, const char **value);

/* Print the table: setting, current, recommended, status, why. */
void tools_tune_print(FILE *f, const struct tools_tune_report *r);

/*
 * Write the recommended value of every sysctl row marked CHANGE (to
 * root/proc/sys/...) and print each ("set NAME = NEW (was OLD)"); with
 * dry_run only print ("would set ..."). Other kinds are listed with the
 * tool that changes them.
 * Returns the number of values written (dry run: that would be), or the
 * -errno of the first write that failed (the others are still tried).
 */
int tools_tune_apply(const struct tools_tune_opts *o,
                     const struct tools_tune_report *r, int dry_run, FILE *f);

#endif
