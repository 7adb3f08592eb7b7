/*
 * tests/unit/net/forward/test_cursor.c - the forward cursor file: what is
 * saved loads back; a torn, garbage, edited or empty file is refused
 * with a reason; a save replaces the file whole and leaves no temporary.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/forward/forward.h"

static char dir[64];
static int dir_fd = -1;

static void setup(void) {
  snprintf(dir, sizeof(dir), "/tmp/fwd-cursor-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
  cr_assert_geq(dir_fd, 0);
}

static void teardown(void) {
  char cmd[128];

  close(dir_fd);
  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  cr_assert_eq(system(cmd), 0);
}

static void path_of(const char *name, char *out, size_t n) {
  snprintf(out, n, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *text, size_t len) {
  char p[128];
  FILE *f;

  path_of(name, p, sizeof(p));
  f = fopen(p, "w");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(text, 1, len, f), len);
  fclose(f);
}

static size_t read_file(const char *name, char *buf, size_t cap) {
  char p[128];
  FILE *f;
  size_t n;

  path_of(name, p, sizeof(p));
  f = fopen(p, "r");
  cr_assert_not_null(f);
  n = fread(buf, 1, cap - 1, f);
  fclose(f);
  buf[n] = '\0';
  return n;
}

static int load(const char *name, struct net_fwd_cursor *c, const char **why) {
  char p[128];

  path_of(name, p, sizeof(p));
  return net_fwd_cursor_load(p, c, why);
}

TestSuite(cursor, .init = setup, .fini = teardown);

Test(cursor, round_trip) {
  struct net_fwd_cursor c = {.segment = 17, .offset = 123456789012ull,
                             .block = 99, .points = 42}, d;
  const char *why;

  cr_assert_eq(net_fwd_cursor_save(dir_fd, "shard-0.cursor", &c), 0);
  cr_assert_eq(load("shard-0.cursor", &d, &why), 0);
  cr_assert(memcmp(&c, &d, sizeof(c)) == 0);
  c.segment = UINT64_MAX;
  c.offset = 0;
  cr_assert_eq(net_fwd_cursor_save(dir_fd, "shard-0.cursor", &c), 0);
  cr_assert_eq(load("shard-0.cursor", &d, &why), 0);
  cr_assert_eq(d.segment, UINT64_MAX);
  cr_assert_eq(d.offset, 0);
}

Test(cursor, missing_is_enoent) {
  struct net_fwd_cursor c;
  const char *why;

  cr_assert_eq(load("nope.cursor", &c, &why), -ENOENT);
}

Test(cursor, every_cut_is_refused) {
  struct net_fwd_cursor c = {3, 4096, 12, 0}, d;
  char text[256];
  const char *why;
  size_t n;

  cr_assert_eq(net_fwd_cursor_save(dir_fd, "a.cursor", &c), 0);
  n = read_file("a.cursor", text, sizeof(text));
  cr_assert_gt(n, 20);
  for (size_t k = 0; k < n; k++) {
    write_file("torn.cursor", text, k);
    why = NULL;
    cr_assert_eq(load("torn.cursor", &d, &why), -EBADMSG,
                 "a cursor cut at %zu bytes is refused", k);
    cr_assert_not_null(why);
  }
}

Test(cursor, every_changed_byte_is_refused) {
  struct net_fwd_cursor c = {3, 4096, 12, 7}, d;
  char text[256], bad[256];
  const char *why;
  size_t n;

  cr_assert_eq(net_fwd_cursor_save(dir_fd, "a.cursor", &c), 0);
  n = read_file("a.cursor", text, sizeof(text));
  for (size_t k = 0; k < n; k++) {
    memcpy(bad, text, n);
    bad[k] = bad[k] == '1' ? '2' : '1';
    write_file("bad.cursor", bad, n);
    cr_assert_eq(load("bad.cursor", &d, &why), -EBADMSG,
                 "byte %zu changed is refused", k);
  }
}

Test(cursor, garbage_is_refused_with_a_reason) {
  static const char junk[] = "\x00\x01garbage\xff\n";
  struct net_fwd_cursor d;
  const char *why = NULL;

  write_file("g.cursor", junk, sizeof(junk) - 1);
  cr_assert_eq(load("g.cursor", &d, &why), -EBADMSG);
  cr_assert_not_null(why);
  write_file("e.cursor", "", 0);
  cr_assert_eq(load("e.cursor", &d, &why), -EBADMSG);
  cr_assert_str_eq(why, "it is empty");
  write_file("t.cursor", "sluice-cursor 1 segment=1 offset=2 block=3 "
             "points=4 crc=00000000\n", 64);
  cr_assert_eq(load("t.cursor", &d, &why), -EBADMSG);
}

Test(cursor, save_replaces_whole_and_leaves_no_temporary) {
  struct net_fwd_cursor a = {1, 1, 1, 1}, b = {2, 20000, 2, 0}, d;
  const char *why;
  struct stat st;
  char p[128];

  /* a stale temporary from a crash mid-save is overwritten, never read */
  write_file("s.cursor.tmp", "half", 4);
  cr_assert_eq(net_fwd_cursor_save(dir_fd, "s.cursor", &a), 0);
  cr_assert_eq(net_fwd_cursor_save(dir_fd, "s.cursor", &b), 0);
  cr_assert_eq(load("s.cursor", &d, &why), 0);
  cr_assert(memcmp(&b, &d, sizeof(b)) == 0);
  path_of("s.cursor.tmp", p, sizeof(p));
  cr_assert_eq(stat(p, &st), -1);
  cr_assert_eq(errno, ENOENT);
}

Test(cursor, save_fails_cleanly_in_a_missing_directory) {
  struct net_fwd_cursor a = {1, 1, 1, 1};
  int fd = open("/proc", O_RDONLY | O_DIRECTORY);

  cr_assert_lt(net_fwd_cursor_save(fd, "x.cursor", &a), 0);
  close(fd);
}
