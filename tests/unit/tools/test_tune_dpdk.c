/*
 * tests/unit/tools/test_tune_dpdk.c - `sluice tune check --dpdk` on
 * fixture trees: tests/fixtures/tune/dpdk (1 GiB of hugepages in two
 * sizes, hugetlbfs mounted, vfio-pci loaded, an IOMMU group, a NIC bound)
 * and tests/fixtures/tune/stock (none of it).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tools/tune.h"
#include "tools/tune_internal.h"

static struct tools_tune_report report;

static const struct tools_tune_row *row(const char *setting) {
  for (unsigned i = 0; i < report.count; i++)
    if (strcmp(report.rows[i].setting, setting) == 0)
      return &report.rows[i];
  cr_assert_fail("no row %s", setting);
  return NULL;
}

static void check(const char *root, int dpdk) {
  struct tools_tune_opts o = {.root = root, .dpdk = dpdk};

  cr_assert_eq(tools_tune_check(&o, &report), 0);
}

Test(tune_dpdk, ready_box_is_ok) {
  check(TOOLS_FIXTURE_DIR "/dpdk", 1);
  cr_assert_str_eq(row("dpdk hugepages")->current, "2048 MiB");
  cr_assert_eq(row("dpdk hugepages")->status, TOOLS_TUNE_OK);
  cr_assert_eq(row("dpdk hugetlbfs")->status, TOOLS_TUNE_OK);
  cr_assert_str_eq(row("dpdk driver module")->current, "vfio-pci");
  cr_assert_str_eq(row("dpdk IOMMU groups")->current, "1");
  cr_assert_str_eq(row("dpdk NIC bound")->current, "vfio-pci: 0000:03:00.0");
  for (unsigned i = 0; i < report.count; i++)
    if (report.rows[i].kind == TOOLS_TUNE_DPDK)
      cr_assert_eq(report.rows[i].status, TOOLS_TUNE_OK, "%s",
                   report.rows[i].setting);
}

Test(tune_dpdk, stock_box_lists_what_is_missing) {
  check(TOOLS_FIXTURE_DIR "/stock", 1);
  cr_assert_eq(row("dpdk hugepages")->status, TOOLS_TUNE_CHANGE);
  cr_assert_eq(row("dpdk hugetlbfs")->status, TOOLS_TUNE_CHANGE);
  cr_assert_eq(row("dpdk driver module")->status, TOOLS_TUNE_CHANGE);
  cr_assert_eq(row("dpdk NIC bound")->status, TOOLS_TUNE_CHANGE);
  cr_assert_str_eq(row("dpdk NIC bound")->current, "none");
  /* no driver yet: vfio-pci is advised, and it needs an IOMMU */
  cr_assert_str_eq(row("dpdk IOMMU groups")->current, "0");
  cr_assert_eq(row("dpdk IOMMU groups")->status, TOOLS_TUNE_CHANGE);
}

Test(tune_dpdk, rows_only_when_asked) {
  check(TOOLS_FIXTURE_DIR "/stock", 0);
  for (unsigned i = 0; i < report.count; i++)
    cr_assert_neq(report.rows[i].kind, TOOLS_TUNE_DPDK);
}
