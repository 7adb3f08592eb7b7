/*
 * tools/tune_internal.h - helpers shared by tune.c and tune_nic.c.
 */
#ifndef SLUICE_TOOLS_TUNE_INTERNAL_H
#define SLUICE_TOOLS_TUNE_INTERNAL_H

#include <stddef.h>

#include "tools/tune_types.h"

/*
 * Read root/rel into out: trailing whitespace cut, tabs and runs of blanks
 * made one space (udp_mem is tab-separated).
 * Returns 0 or -errno (-ENOENT: no such setting here).
 */
int tools_tune_read(const char *root, const char *rel, char *out, size_t n);

/*
 * Append a row (status OK, current/recommended copied, cut to fit).
 * Returns the row, or NULL when the report is full (counted in truncated).
 */
struct tools_tune_row *tools_tune_add(struct tools_tune_report *r,
                                      enum tools_tune_kind kind,
                                      const char *setting, const char *path,
                                      const char *current,
                                      const char *recommended, const char *why);

/* Mark a row CHANGE or ABSENT (and count changes). row may be NULL. */
void tools_tune_mark(struct tools_tune_report *r, struct tools_tune_row *row,
                     enum tools_tune_status st);

/* NIC rows: RX queue count, rps_cpus per queue, IRQ affinity per queue. */
void tools_tune_check_nics(const struct tools_tune_opts *o,
                           struct tools_tune_report *r);

/* --dpdk rows: hugepages, hugetlbfs, vfio/uio, IOMMU, NICs bound
 * (tools/tune_dpdk.c, kernel-tuning/dpdk.md). */
void tools_tune_check_dpdk(const struct tools_tune_opts *o,
                           struct tools_tune_report *r);

#endif
