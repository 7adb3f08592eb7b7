/*
 * tests/unit/tools/test_tune.c - `sluice tune` on fixture /proc and /sys
 * trees (tests/fixtures/tune/stock: a stock kernel; tuned: as recommended).
 * apply runs on a copy in a temporary directory.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/tools.h"
#include "tools/tune.h"
#include "tools/tune_internal.h"

#define STOCK TOOLS_FIXTURE_DIR "/stock"
#define TUNED TOOLS_FIXTURE_DIR "/tuned"

static struct tools_tune_report report;

static const struct tools_tune_row *row(const char *setting) {
  for (unsigned i = 0; i < report.count; i++)
    if (strcmp(report.rows[i].setting, setting) == 0)
      return &report.rows[i];
  cr_assert_fail("no row %s", setting);
  return NULL;
}

static void check(const char *root, const char *cores) {
  struct tools_tune_opts o = {.root = root};
  if (cores)
    o.cores[0] = 0, o.cores[1] = 1, o.core_count = 2;
  cr_assert_eq(tools_tune_check(&o, &report), 0);
}

static int run_tune(const char *a, const char *b, const char *c, const char *d,
                    const char *e) {
  char *argv[8] = {"tune", (char *)a, (char *)b, (char *)c, (char *)d,
                   (char *)e, NULL};
  int argc = 1;
  while (argv[argc])
    argc++;
  return tools_tune_main(argc, argv);
}

Test(tune, stock_kernel_needs_changes) {
  check(STOCK, NULL);
  const struct tools_tune_row *r = row("net.core.rmem_max");
  cr_assert_str_eq(r->current, "212992");
  cr_assert_str_eq(r->recommended, "33554432");
  cr_assert_eq(r->status, TOOLS_TUNE_CHANGE);
  cr_assert_str_eq(r->path, "proc/sys/net/core/rmem_max");
  cr_assert_eq(row("net.core.somaxconn")->status, TOOLS_TUNE_OK);
  r = row("net.ipv4.udp_mem");
  cr_assert_str_eq(r->current, "188901 251868 377802", "tabs collapsed");
  cr_assert_str_eq(r->recommended, "262144 524288 1048576");
  /* per field, never lower: 4096 kept, the others raised */
  cr_assert_str_eq(row("net.ipv4.tcp_rmem")->recommended,
                   "4096 1048576 33554432");
  /* online CPUs 0-1: two shards against one RX queue */
  r = row("eth0 rx queues");
  cr_assert_str_eq(r->current, "1");
  cr_assert_str_eq(r->recommended, "2");
  cr_assert_eq(r->status, TOOLS_TUNE_CHANGE);
  cr_assert_str_eq(row("eth0 rx-0 rps_cpus")->recommended, "3",
                   "one queue, two shards: RPS over both");
  r = row("irq 25 eth0-TxRx-0");
  cr_assert_str_eq(r->current, "0-1");
  cr_assert_str_eq(r->recommended, "0");
  cr_assert_eq(r->status, TOOLS_TUNE_CHANGE);
  cr_assert_eq(row("cpu1 scaling_governor")->status, TOOLS_TUNE_CHANGE);
  for (unsigned i = 0; i < report.count; i++) {
    cr_assert_null(strstr(report.rows[i].setting, "lo "), "lo is no NIC");
    cr_assert_null(strstr(report.rows[i].setting, "irq 24"), "misc vector");
  }
  cr_assert_gt(report.changes, 10);
}

Test(tune, tuned_box_matches) {
  check(TUNED, "0-1");
  for (unsigned i = 0; i < report.count; i++)
    cr_assert_eq(report.rows[i].status, TOOLS_TUNE_OK, "%s: %s vs %s",
                 report.rows[i].setting, report.rows[i].current,
                 report.rows[i].recommended);
  cr_assert_eq(report.changes, 0);
  cr_assert_str_eq(row("irq 26 eth0-TxRx-1")->recommended, "1");
  cr_assert_str_eq(row("eth0 rx-1 rps_cpus")->recommended, "0");
  cr_assert_str_eq(row("net.core.wmem_max")->recommended, "67108864",
                   "a higher value stays");
}

Test(tune, one_core_only) {
  struct tools_tune_opts o = {.root = TUNED, .cores = {1}, .core_count = 1};
  cr_assert_eq(tools_tune_check(&o, &report), 0);
  cr_assert_eq(row("eth0 rx queues")->status, TOOLS_TUNE_CHANGE);
  cr_assert_str_eq(row("irq 25 eth0-TxRx-0")->recommended, "1");
  cr_assert_str_eq(row("irq 26 eth0-TxRx-1")->recommended, "1");
}

Test(tune, check_exit_codes, .init = cr_redirect_stdout) {
  cr_assert_eq(run_tune("check", "--root", STOCK, NULL, NULL), 1);
  cr_assert_eq(run_tune("check", "--root", TUNED, "--cores", "0-1"), 0);
  cr_assert_eq(run_tune("check", "--root", TUNED, "--iface", "eth0"), 0);
  cr_assert_eq(run_tune("check", "--root", "/nonexistent", NULL, NULL), 1);
  cr_assert_eq(run_tune("--help", NULL, NULL, NULL, NULL), 0);
}

Test(tune, usage_errors, .init = cr_redirect_stderr) {
  cr_assert_eq(run_tune("check", "--cores", "x", NULL, NULL), 2);
  cr_assert_eq(run_tune("fix", NULL, NULL, NULL, NULL), 2);
  cr_assert_eq(run_tune("check", "--dry-run", NULL, NULL, NULL), 2);
  cr_assert_eq(run_tune("check", "--bogus", NULL, NULL, NULL), 2);
  cr_assert_eq(run_tune(NULL, NULL, NULL, NULL, NULL), 2);
}

static char tmp[64];

static void copy_stock(void) {
  char cmd[512];
  snprintf(tmp, sizeof(tmp), "/tmp/sluice-tune-XXXXXX");
  cr_assert_not_null(mkdtemp(tmp));
  snprintf(cmd, sizeof(cmd), "cp -r '%s/.' '%s/'", STOCK, tmp);
  cr_assert_eq(system(cmd), 0);
}

static void remove_copy(void) {
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
  cr_assert_eq(system(cmd), 0);
}

static void read_value(const char *rel, char *out, size_t n) {
  cr_assert_eq(tools_tune_read(tmp, rel, out, n), 0);
}

Test(tune, dry_run_writes_nothing) {
  char v[64];
  copy_stock();
  cr_redirect_stdout();
  cr_assert_eq(run_tune("apply", "--dry-run", "--root", tmp, NULL), 0);
  read_value("proc/sys/net/core/rmem_max", v, sizeof(v));
  cr_assert_str_eq(v, "212992");
  fflush(stdout);
  remove_copy();
}

Test(tune, apply_writes_the_sysctls) {
  char v[64];
  FILE *out;
  size_t len;
  char *text;
  copy_stock();
  /* an operator raised one field above ours: apply keeps it */
  char path[128];
  snprintf(path, sizeof(path), "%s/proc/sys/net/ipv4/udp_mem", tmp);
  FILE *f = fopen(path, "w");
  fputs("9999999\t1\t1\n", f);
  fclose(f);
  struct tools_tune_opts o = {.root = tmp, .cores = {0, 1}, .core_count = 2};
  cr_assert_eq(tools_tune_check(&o, &report), 0);
  out = open_memstream(&text, &len);
  cr_assert_eq(tools_tune_apply(&o, &report, 0, out), 11);
  fclose(out);
  cr_assert_not_null(strstr(text, "set net.core.rmem_max = 33554432 (was 212992)"));
  cr_assert_not_null(strstr(text, "not applied: irq 25 eth0-TxRx-0 = 0"));
  read_value("proc/sys/net/core/rmem_max", v, sizeof(v));
  cr_assert_str_eq(v, "33554432");
  read_value("proc/sys/net/ipv4/udp_mem", v, sizeof(v));
  cr_assert_str_eq(v, "9999999 524288 1048576");
  read_value("proc/sys/net/core/somaxconn", v, sizeof(v));
  cr_assert_str_eq(v, "4096", "matching values are left alone");
  cr_assert_eq(tools_tune_check(&o, &report), 0);
  for (unsigned i = 0; i < report.count; i++)
    if (report.rows[i].kind == TOOLS_TUNE_SYSCTL)
      cr_assert_eq(report.rows[i].status, TOOLS_TUNE_OK, "%s",
                   report.rows[i].setting);
  cr_assert_gt(report.changes, 0, "IRQ, RPS, queues and governor remain");
  free(text);
  remove_copy();
}

/* One `name = value` line of the profile, or 0 for a comment or blank. */
static int profile_line(char *line, char **name, char **value) {
  char *eq = strchr(line, '=');
  line[strcspn(line, "\n")] = '\0';
  if (line[0] == '#' || line[0] == '\0')
    return 0;
  cr_assert_not_null(eq, "profile line without '=': %s", line);
  char *end = eq;
  while (end > line && end[-1] == ' ')
    end--;
  *end = '\0';
  *name = line;
  *value = eq + 1 + strspn(eq + 1, " ");
  return 1;
}

/* kernel-tuning/10-sluice.conf (installed to sysctl.d) and `tune`'s table
 * say the same thing: every sysctl once, with the same value. */
Test(tune, profile_matches_the_table) {
  FILE *f = fopen(TOOLS_PROFILE, "r");
  char line[256], *name, *value;
  unsigned seen = 0, table = 0;
  const char *want;
  cr_assert_not_null(f, "cannot read %s", TOOLS_PROFILE);
  while (fgets(line, sizeof(line), f)) {
    if (!profile_line(line, &name, &value))
      continue;
    size_t i = 0;
    const char *n;
    while ((n = tools_tune_sysctl(i, &want)) != NULL && strcmp(n, name) != 0)
      i++;
    cr_assert_not_null(n, "%s: %s is not in tools/tune.c", TOOLS_PROFILE,
                       name);
    cr_assert_str_eq(value, want, "%s: %s", TOOLS_PROFILE, name);
    seen++;
  }
  fclose(f);
  while (tools_tune_sysctl(table, &want) != NULL)
    table++;
  cr_assert_eq(seen, table, "%s has %u sysctls, tools/tune.c %u",
               TOOLS_PROFILE, seen, table);
}
