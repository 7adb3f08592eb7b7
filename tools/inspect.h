/*
 * tools/inspect.h - `sluice inspect`: list the blocks of segment files.
 */
#ifndef SLUICE_TOOLS_INSPECT_H
#define SLUICE_TOOLS_INSPECT_H

/*
 * `sluice inspect [--points] [--records] PATH...` (argv[0] is "inspect");
 * PATH is a segment file, a shard directory or a data directory. Prints
 * every block, metric or log (offset, seq, kind, counts, time range, size,
 * check status) and a summary on stdout; --points adds the decoded rows
 * of metric blocks, --records the records of log blocks as JSON lines.
 * Returns 0, 1 when a block fails its check or a file cannot be read (the
 * blocks before it are still listed), 2 on a usage error.
 */
int core_inspect_main(int argc, char **argv);

#endif
