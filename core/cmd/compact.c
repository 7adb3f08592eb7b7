/*
 * core/cmd/compact.c - `sluice compact --data-dir DIR` (see
 * core/cmd/compact.h).
 */
#include "core/cmd/compact.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/fault.h"
#include "core/base/limits.h"
#include "core/cmd/cli.h"
#include "core/cmd/config.h"
#include "core/cmd/datadir.h"
#include "storage/compact.h"
#include "storage/reader.h"
#include "storage/recover.h"

static const char compact_help[] =
    "Usage: sluice compact --data-dir DIR\n"
    "Rewrite the sealed metric segments of a stopped data directory into\n"
    "compacted segments (series-major runs, a compressed dictionary and a\n"
    "series index; docs/segment-format.md, \"Compacted segments\"), then\n"
    "print one summary line:\n"
    "  segments N -> M bytes B -> C points P bytes/point X\n"
    "Each shard is recovered first (as `sluice run` does at start-up).\n"
    "Segments holding log blocks are left as they are. A crash at any\n"
    "moment loses and duplicates nothing: run it again to finish.\n"
    "The directory must not be in use: a running `sluice run` or `sluice\n"
    "import` holds DIR/LOCK and compact is refused (exit 1).\n"
    "\n"
    "  --data-dir DIR           the data directory [./sluice-data]\n"
    "  --config FILE            read these options from FILE\n"
    "  -h, --help               show this help\n"
    "Exit codes: 0 ok, 1 a shard could not be compacted or the directory\n"
    "is in use, 2 usage error.\n";

static const char *const compact_names[] = {"data-dir", NULL};

/* Recover then compact one shard directory. */
static int compact_shard(const char *data_dir, unsigned k,
                         struct stor_compact_stats *st) {
  char path[4096 + 32];
  struct stor_recovery r;
  int fd, rc;

  if (snprintf(path, sizeof(path), "%s/shard-%u", data_dir, k) >=
      (int)sizeof(path))
    return -ENAMETOOLONG;
  if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return -errno;
  rc = stor_recover_dir(fd, path, &r, stderr);
  if (rc == 0)
    rc = stor_compact_dir(fd, path, 0, st, stderr);
  close(fd);
  return rc;
}

int core_compact_data_dir(const char *data_dir, FILE *out) {
  struct stor_compact_stats st = {0};
  unsigned ids[CORE_SHARDS_MAX];
  int n = stor_shard_ids(data_dir, ids), rc = 0;

  if (n < 0)
    return n == -ENOENT ? 0 : n;
  for (int i = 0; i < n && rc == 0; i++)
    if ((rc = compact_shard(data_dir, ids[i], &st)) < 0)
      fprintf(stderr, "sluice: compact: %s/shard-%u: %s\n", data_dir, ids[i],
              strerror(-rc));
  if (out)
    fprintf(out, "segments %" PRIu64 " -> %" PRIu64 " bytes %" PRIu64
                 " -> %" PRIu64 " points %" PRIu64 " bytes/point %.3f"
                 " (timestamps %.3f values %.3f dictionary %.3f index %.3f)"
                 " skipped %" PRIu64 "\n",
            st.segments_in, st.passes, st.bytes_in, st.bytes_out, st.points,
            st.points ? (double)st.bytes_out / (double)st.points : 0.0,
            st.points ? (double)st.ts_bytes / (double)st.points : 0.0,
            st.points ? (double)st.val_bytes / (double)st.points : 0.0,
            st.points ? (double)st.dict_bytes / (double)st.points : 0.0,
            st.points ? (double)st.index_bytes / (double)st.points : 0.0,
            st.skipped);
  return rc;
}

int core_compact_main(int argc, char **argv) {
  struct core_config cfg;
  int first, rc, lock_fd;

  core_config_defaults(&cfg);
  rc = core_cli_parse(&(struct core_cli_spec){.cmd = "compact",
                                               .help = compact_help,
                                               .names = compact_names},
                      argc, argv, &cfg, &first);
  if (rc == 1)
    return CORE_EXIT_OK;
  if (rc != 0)
    return rc;
  if (first < argc)
    return core_cli_usage("compact", "unexpected operand \"%s\"", argv[first]);
  if (core_fault_parse(getenv("SLUICE_FAULT")) < 0)
    return core_cli_usage("compact", "SLUICE_FAULT=\"%s\" is not understood; "
                          "see docs/storage.md", getenv("SLUICE_FAULT"));
  if ((lock_fd = core_datadir_lock("compact", cfg.data_dir)) < 0)
    return CORE_EXIT_FAIL;
  rc = core_compact_data_dir(cfg.data_dir, stdout);
  close(lock_fd);
  return rc < 0 ? CORE_EXIT_FAIL : CORE_EXIT_OK;
}
