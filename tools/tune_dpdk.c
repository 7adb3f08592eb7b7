/*
 * tools/tune_dpdk.c - `sluice tune check --dpdk`: what the DPDK back end
 * needs of the box (kernel-tuning/dpdk.md). Read-only: hugepages, driver
 * modules and NIC binding are changed with DPDK's own tools, which
 * `tune apply` names.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/tune_internal.h"

/* Hugepage memory that covers the mbuf pools and the EAL's own use. */
#define DPDK_HUGE_BYTES_MIN (1ull << 30)

static const char huge_why[] =
    "the EAL takes its memory (mbuf pools: ~11 MB per shard, rings, its "
    "heap) from hugepages; 1 GiB covers it (kernel-tuning/hugepages.sh)";
static const char mount_why[] =
    "the EAL maps hugepages through a hugetlbfs mount "
    "(kernel-tuning/hugepages.sh mounts one at /dev/hugepages)";
static const char module_why[] =
    "a NIC served by DPDK is bound to vfio-pci (or uio_pci_generic / "
    "igb_uio where there is no IOMMU): modprobe vfio-pci";
static const char iommu_why[] =
    "vfio-pci needs an IOMMU (intel_iommu=on / amd_iommu=on on the kernel "
    "command line) or vfio's unsafe no-IOMMU mode";
static const char bound_why[] =
    "sluice run --dpdk serves a NIC bound to a DPDK driver "
    "(dpdk-devbind.py -b vfio-pci PCI_ADDR; the kernel loses that NIC)";

/* Entries of root/rel whose names start with a digit; -1: no such dir.
 * The first few are listed in out. */
static int list_dir(const char *root, const char *rel, char *out, size_t n) {
  char path[512];
  struct dirent *e;
  DIR *d;
  size_t w = 0;
  int count = 0;

  snprintf(path, sizeof(path), "%s/%s", root, rel);
  if ((d = opendir(path)) == NULL)
    return -1;
  out[0] = '\0';
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9')
      continue;
    if (count++ < 3 && w < n) {
      int k = snprintf(out + w, n - w, "%s%s", w ? "," : "", e->d_name);
      w = k < 0 ? n : w + (size_t)k;
    }
  }
  closedir(d);
  return count;
}

static uint64_t huge_pages(const char *root, const char *size_dir,
                           uint64_t page_bytes) {
  char rel[160], cur[TOOLS_TUNE_VALUE_BYTES_MAX];

  snprintf(rel, sizeof(rel), "sys/kernel/mm/hugepages/%s/nr_hugepages",
           size_dir);
  if (tools_tune_read(root, rel, cur, sizeof(cur)) < 0)
    return 0;
  return strtoull(cur, NULL, 10) * page_bytes;
}

static void check_huge(const struct tools_tune_opts *o,
                       struct tools_tune_report *r) {
  uint64_t bytes = huge_pages(o->root, "hugepages-2048kB", 2ull << 20) +
                   huge_pages(o->root, "hugepages-1048576kB", 1ull << 30);
  char cur[64], mounts[TOOLS_TUNE_VALUE_BYTES_MAX * 4];
  struct tools_tune_row *row;
  char path[512];
  FILE *f;
  int mounted = 0;

  snprintf(cur, sizeof(cur), "%" PRIu64 " MiB", bytes >> 20);
  row = tools_tune_add(r, TOOLS_TUNE_DPDK, "dpdk hugepages",
                       "sys/kernel/mm/hugepages", cur, ">= 1024 MiB",
                       huge_why);
  if (bytes < DPDK_HUGE_BYTES_MIN)
    tools_tune_mark(r, row, TOOLS_TUNE_CHANGE);
  snprintf(path, sizeof(path), "%s/proc/mounts", o->root);
  if ((f = fopen(path, "re")) != NULL) {
    while (fgets(mounts, sizeof(mounts), f) != NULL)
      mounted |= strstr(mounts, " hugetlbfs ") != NULL;
    fclose(f);
  }
  row = tools_tune_add(r, TOOLS_TUNE_DPDK, "dpdk hugetlbfs", "proc/mounts",
                       mounted ? "mounted" : "none", "mounted", mount_why);
  if (!mounted)
    tools_tune_mark(r, row, TOOLS_TUNE_CHANGE);
}

static void check_drivers(const struct tools_tune_opts *o,
                          struct tools_tune_report *r) {
  static const char *const mods[] = {"vfio_pci", "uio_pci_generic", "igb_uio"};
  static const char *const drvs[] = {"vfio-pci", "uio_pci_generic", "igb_uio"};
  char rel[160], names[TOOLS_TUNE_VALUE_BYTES_MAX / 2], cur[16];
  char bound[TOOLS_TUNE_VALUE_BYTES_MAX] = "none";
  const char *loaded = "none";
  struct tools_tune_row *row;
  int n, groups, nics = 0;

  for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
    snprintf(rel, sizeof(rel), "sys/module/%s", mods[i]);
    if (loaded[0] == 'n' && list_dir(o->root, rel, names, 1) >= 0)
      loaded = drvs[i];
    snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s", drvs[i]);
    if (nics == 0 && (n = list_dir(o->root, rel, names, sizeof(names))) > 0) {
      nics = n;
      snprintf(bound, sizeof(bound), "%s: %s", drvs[i], names);
    }
  }
  row = tools_tune_add(r, TOOLS_TUNE_DPDK, "dpdk driver module",
                       "sys/module", loaded, "vfio-pci", module_why);
  if (strcmp(loaded, "none") == 0)
    tools_tune_mark(r, row, TOOLS_TUNE_CHANGE);
  groups = list_dir(o->root, "sys/kernel/iommu_groups", names, 1);
  snprintf(cur, sizeof(cur), "%d", groups < 0 ? 0 : groups);
  row = tools_tune_add(r, TOOLS_TUNE_DPDK, "dpdk IOMMU groups",
                       "sys/kernel/iommu_groups", cur, ">= 1", iommu_why);
  /* No driver loaded yet: vfio-pci is the one advised, and it needs an
   * IOMMU; only a uio driver does without. */
  if (groups <= 0 && strncmp(loaded, "uio", 3) != 0 &&
      strcmp(loaded, "igb_uio") != 0)
    tools_tune_mark(r, row, TOOLS_TUNE_CHANGE);
  row = tools_tune_add(r, TOOLS_TUNE_DPDK, "dpdk NIC bound",
                       "sys/bus/pci/drivers", bound, "a NIC on vfio-pci",
                       bound_why);
  if (nics == 0)
    tools_tune_mark(r, row, TOOLS_TUNE_CHANGE);
}

void tools_tune_check_dpdk(const struct tools_tune_opts *o,
                           struct tools_tune_report *r) {
  check_huge(o, r);
  check_drivers(o, r);
}
