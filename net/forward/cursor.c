/*
 * net/forward/cursor.c - a target's durable position on one shard.
 *
 * The file is one line of text, readable by an operator:
 *   "sluice-cursor 1 segment=S offset=O block=B points=P crc=XXXXXXXX\n"
 * where crc is the CRC32C (hex) of every byte before " crc=". A file that
 * does not match it exactly (cut, garbage, an edited number) is refused:
 * resending or skipping data silently would be worse than stopping.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <isa-l/crc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net/forward/forward.h"

#define CURSOR_BYTES_MAX 256

static uint32_t text_crc(const char *s, size_t n) {
  return crc32_iscsi((unsigned char *)s, (int)n, 0xFFFFFFFFu) ^ 0xFFFFFFFFu;
}

/* The cursor line of c into buf. Returns its length. */
static size_t format(const struct net_fwd_cursor *c, char *buf, size_t n) {
  int w = snprintf(buf, n,
                   "sluice-cursor 1 segment=%" PRIu64 " offset=%" PRIu64
                   " block=%" PRIu64 " points=%" PRIu64,
                   c->segment, c->offset, c->block, c->points);
  size_t len = (size_t)w;

  w = snprintf(buf + len, n - len, " crc=%08x\n", text_crc(buf, len));
  return len + (size_t)w;
}

static int parse(const char *buf, size_t n, struct net_fwd_cursor *c,
                 const char **why) {
  char again[CURSOR_BYTES_MAX];
  int used = 0;

  if (memchr(buf, '\0', n) != NULL) {
    *why = "it holds a NUL byte";
    return -EBADMSG;
  }
  if (sscanf(buf,
             "sluice-cursor 1 segment=%" SCNu64 " offset=%" SCNu64
             " block=%" SCNu64 " points=%" SCNu64 "%n",
             &c->segment, &c->offset, &c->block, &c->points, &used) != 4) {
    *why = "it is not a sluice cursor line (garbage, or cut short)";
    return -EBADMSG;
  }
  /* the one canonical form, checksum included: anything else is damage */
  if (format(c, again, sizeof(again)) != n || memcmp(again, buf, n) != 0) {
    *why = "its checksum or its form does not match (cut, or edited)";
    return -EBADMSG;
  }
  return 0;
}

int net_fwd_cursor_load(const char *path, struct net_fwd_cursor *c,
                        const char **why) {
  char buf[CURSOR_BYTES_MAX];
  ssize_t n;
  int fd = open(path, O_RDONLY | O_CLOEXEC);

  *why = NULL;
  if (fd < 0)
    return -errno;
  n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n < 0)
    return -errno;
  if (n == 0 || (size_t)n == sizeof(buf) - 1) {
    *why = n == 0 ? "it is empty" : "it is longer than a cursor";
    return -EBADMSG;
  }
  buf[n] = '\0';
  return parse(buf, (size_t)n, c, why);
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return -errno;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int net_fwd_cursor_save(int dir_fd, const char *name,
                        const struct net_fwd_cursor *c) {
  char buf[CURSOR_BYTES_MAX], tmp[256];
  size_t n = format(c, buf, sizeof(buf));
  int fd, rc;

  if (snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= (int)sizeof(tmp))
    return -ENAMETOOLONG;
  fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return -errno;
  rc = write_all(fd, buf, n);
  if (rc == 0 && fsync(fd) < 0)
    rc = -errno;
  if (close(fd) < 0 && rc == 0)
    rc = -errno;
  if (rc == 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
    rc = -errno;
  if (rc == 0 && fsync(dir_fd) < 0)
    rc = -errno;
  if (rc < 0)
    unlinkat(dir_fd, tmp, 0);
  return rc;
}
