/*
 * tools/tune_cli.c - `sluice tune check|apply`: options and exit codes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cmd/cli.h"
#include "tools/tools.h"
#include "tools/tune.h"
#include "tools/util.h"

#define CMD "tune"

static const char help[] =
    "Usage: sluice tune check [--root DIR] [--cores LIST] [--iface NAME] "
    "[--dpdk]\n"
    "       sluice tune apply [--dry-run] [--root DIR] [--cores LIST]\n"
    "Compare the kernel settings that matter to an ingest box with what\n"
    "sluice recommends: socket buffer maxima and defaults, netdev backlog\n"
    "and budget, busy polling, udp_mem, optmem, somaxconn, NIC RX queues\n"
    "against the shard cores, RPS masks, queue IRQ affinity and the CPU\n"
    "governor. The sysctl values are minimums, the same as the sysctl.d\n"
    "profile 10-sluice.conf that meson install puts in place\n"
    "(kernel-tuning/README.md says why each).\n\n"
    "  check            print setting, current, recommended, status, why;\n"
    "                   exit 0 when all match, 1 when changes are recommended\n"
    "  apply            raise each sysctl below its minimum to it (root\n"
    "                   needed; never lowers a value, field by field) and\n"
    "                   print each; IRQ, RPS, queue and governor changes are\n"
    "                   listed with the tool that makes them\n"
    "  --dry-run        apply: print what would be written, write nothing\n"
    "  --root DIR       read DIR/proc and DIR/sys instead of /proc and /sys\n"
    "                   (and write there: for fixture trees)\n"
    "  --cores LIST     shard cores, as given to `sluice run --cores`, e.g.\n"
    "                   0-3 (default: every online CPU)\n"
    "  --iface NAME     check this interface only (default: every NIC that\n"
    "                   has a device, i.e. not lo, veth, bridges)\n"
    "  --dpdk           also check what `sluice run --dpdk` needs: hugepages\n"
    "                   (and hugetlbfs mounted), the vfio-pci or uio module,\n"
    "                   an IOMMU for vfio, a NIC bound to a DPDK driver\n"
    "                   (kernel-tuning/dpdk.md)\n"
    "  --help           this text\n";

enum { OPT_ROOT = 256, OPT_CORES, OPT_IFACE, OPT_DRY_RUN, OPT_HELP,
       OPT_DPDK };

static const struct option long_opts[] = {
    {"root", required_argument, NULL, OPT_ROOT},
    {"cores", required_argument, NULL, OPT_CORES},
    {"iface", required_argument, NULL, OPT_IFACE},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"help", no_argument, NULL, OPT_HELP},
    {"dpdk", no_argument, NULL, OPT_DPDK},
    {NULL, 0, NULL, 0}};

struct tune_args {
  struct tools_tune_opts *o;
  int dry_run;
};

static int one_opt(int c, const char *arg, void *ctx) {
  struct tools_tune_opts *o = ((struct tune_args *)ctx)->o;
  int n;
  switch (c) {
  case OPT_ROOT:
    o->root = strcmp(arg, "/") == 0 ? "" : arg;
    return 0;
  case OPT_CORES:
    n = tools_parse_cpulist(arg, o->cores, CORE_SHARDS_MAX);
    if (n <= 0)
      return core_cli_usage(CMD, "--cores \"%s\": give a CPU list such as "
                                 "0-3 or 0,2,4 (at most %d CPUs)",
                            arg, CORE_SHARDS_MAX);
    o->core_count = (unsigned)n;
    return 0;
  case OPT_IFACE: o->iface = arg; return 0;
  case OPT_DRY_RUN: ((struct tune_args *)ctx)->dry_run = 1; return 0;
  case OPT_DPDK: o->dpdk = 1; return 0;
  default: return CORE_EXIT_USAGE;
  }
}

/* Returns 0, -1 after --help, or CORE_EXIT_USAGE. */
static int parse_args(int argc, char **argv, struct tools_tune_opts *o,
                      int *apply, int *dry_run) {
  struct tune_args a = {.o = o};
  int rc, first;
  memset(o, 0, sizeof(*o));
  o->root = "";
  rc = tools_cli_options(CMD, help, argc, argv, long_opts, OPT_HELP, one_opt,
                         &a, &first);
  if (rc != 0)
    return rc;
  *dry_run = a.dry_run;
  if (first != argc - 1 || (strcmp(argv[first], "check") != 0 &&
                            strcmp(argv[first], "apply") != 0))
    return core_cli_usage(CMD, "give one action: check or apply");
  *apply = strcmp(argv[first], "apply") == 0;
  if (*dry_run && !*apply)
    return core_cli_usage(CMD, "--dry-run goes with apply: sluice tune apply "
                               "--dry-run");
  return 0;
}

int tools_tune_main(int argc, char **argv) {
  struct tools_tune_opts o;
  int apply = 0, dry_run = 0;
  int rc = parse_args(argc, argv, &o, &apply, &dry_run);
  if (rc != 0)
    return rc < 0 ? CORE_EXIT_OK : rc;
  struct tools_tune_report *r = malloc(sizeof(*r));
  if (r == NULL)
    return core_cli_fail(CMD, "out of memory");
  if (tools_tune_check(&o, r) < 0) {
    rc = core_cli_fail(CMD, "no %s/proc/sys here: give --root DIR holding "
                            "proc/ and sys/ (or run on Linux)",
                       o.root[0] ? o.root : "");
  } else if (!apply) {
    tools_tune_print(stdout, r);
    rc = r->changes ? CORE_EXIT_FAIL : CORE_EXIT_OK;
  } else {
    int n = tools_tune_apply(&o, r, dry_run, stdout);
    if (n >= 0)
      printf("%d sysctl value%s %s\n", n, n == 1 ? "" : "s",
             dry_run ? "would be written" : "written");
    rc = n < 0 ? core_cli_fail(CMD, "some values were not written (%s): run "
                                    "as root, or check --root",
                               strerror(-n))
               : CORE_EXIT_OK;
  }
  free(r);
  return rc;
}
