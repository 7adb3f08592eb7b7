/*
 * core/cmd/compact.h - `sluice compact`: offline compaction of a stopped
 * data directory (storage/compact.h), also run at the end of `sluice
 * import`.
 */
#ifndef SLUICE_CORE_CMD_COMPACT_H
#define SLUICE_CORE_CMD_COMPACT_H

#include <stdio.h>

/*
 * Compact every shard directory of data_dir, whose lock the caller holds:
 * recovery first (torn tails cut, an interrupted pass finished), then
 * passes. One summary line on out (NULL: none), messages on stderr.
 * Returns 0 or -errno of the first shard that failed.
 */
int core_compact_data_dir(const char *data_dir, FILE *out);

/* `sluice compact ...`. argv[0] is "compact". Returns the exit code. */
int core_compact_main(int argc, char **argv);

#endif
