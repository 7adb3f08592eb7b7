/*
 * storage/recover.c - start-up check and repair of segments.
 */
#include "storage/recover.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/limits.h"
#include "storage/block.h"
#include "storage/logblock.h"

/* A writer's buffer holds the largest metric block or log block. */
size_t stor_block_buf_bytes(void) {
  size_t n = stor_block_bytes_max(CORE_HEAD_POINTS_MAX, CORE_HEAD_POINTS_MAX,
                                  CORE_HEAD_KEY_BYTES_MAX +
                                      CORE_SERIES_KEY_BYTES_MAX);
  size_t l = stor_logblock_bytes_max(CORE_LOGHEAD_RECORDS_MAX,
                                     CORE_LOGHEAD_ATTRS_MAX,
                                     CORE_LOGHEAD_TEXT_BYTES_MAX);
  if (l > n)
    n = l;
  return (n + 4095) & ~(size_t)4095;
}

void stor_segment_name(uint64_t seq, char *buf, unsigned len) {
  snprintf(buf, len, "%016llu.seg", (unsigned long long)seq);
}

int stor_segment_seq(const char *name, uint64_t *seq) {
  uint64_t v = 0;

  for (int i = 0; i < 16; i++) {
    if (name[i] < '0' || name[i] > '9')
      return 0;
    v = v * 10 + (uint64_t)(name[i] - '0');
  }
  if (strcmp(name + 16, ".seg") != 0)
    return 0;
  *seq = v;
  return 1;
}

/*
 * Offset of the first bad block of an open segment (its size when every
 * block is good); counts good blocks and the highest block seq.
 */
static uint64_t good_prefix(int fd, uint64_t size, uint8_t *buf, size_t cap,
                            struct stor_recovery *r, const char **why) {
  uint64_t off = 0;
  struct stor_block_hdr h;
  struct stor_block_reader rd;

  while (off < size) {
    uint64_t len;
    *why = "header";
    if (size - off < STOR_BLOCK_HEADER_BYTES ||
        pread(fd, buf, STOR_BLOCK_HEADER_BYTES, (off_t)off) !=
            STOR_BLOCK_HEADER_BYTES ||
        stor_block_hdr_read(buf, STOR_BLOCK_HEADER_BYTES, &h) < 0)
      return off;
    len = STOR_BLOCK_HEADER_BYTES + (uint64_t)h.payload_bytes;
    *why = "length";
    if (len > cap || len > size - off)
      return off;
    *why = "checksum";
    if (pread(fd, buf, len, (off_t)off) != (ssize_t)len ||
        stor_block_reader_init(&rd, buf, len) < 0)
      return off;
    if (h.seq > r->max_block_seq)
      r->max_block_seq = h.seq;
    r->blocks++;
    off += len;
  }
  return off;
}

static void check_segment(int dir_fd, const char *path, const char *name,
                          uint8_t *buf, size_t cap, struct stor_recovery *r,
                          FILE *log) {
  int fd = openat(dir_fd, name, O_RDWR | O_CLOEXEC);
  const char *why = "";
  struct stat st;
  uint64_t good;

  if (fd < 0 || fstat(fd, &st) < 0) {
    if (log)
      fprintf(log, "sluice: recovery: %s/%s: cannot open: %s; skipped\n",
              path, name, strerror(errno));
    if (fd >= 0)
      close(fd);
    return;
  }
  r->segments++;
  good = good_prefix(fd, (uint64_t)st.st_size, buf, cap, r, &why);
  if (good < (uint64_t)st.st_size) {
    if (ftruncate(fd, (off_t)good) == 0 && fsync(fd) == 0) {
      r->truncated_bytes += (uint64_t)st.st_size - good;
      if (log)
        fprintf(log, "sluice: recovery: %s/%s: cut %llu bytes at offset %llu "
                     "(bad block %s)\n", path, name,
                (unsigned long long)((uint64_t)st.st_size - good),
                (unsigned long long)good, why);
    } else if (log) {
      fprintf(log, "sluice: recovery: %s/%s: cannot cut at %llu: %s\n", path,
              name, (unsigned long long)good, strerror(errno));
    }
  }
  close(fd);
  if (good == 0 && unlinkat(dir_fd, name, 0) == 0)
    r->removed_segments++;
}

int stor_recover_dir(int dir_fd, const char *path, struct stor_recovery *out,
                     FILE *log) {
  size_t cap = stor_block_buf_bytes();
  uint8_t *buf;
  struct dirent *de;
  DIR *d;
  int fd2 = dup(dir_fd);

  memset(out, 0, sizeof(*out));
  if (fd2 < 0)
    return -errno;
  d = fdopendir(fd2);
  if (d == NULL) {
    int rc = -errno;
    close(fd2);
    return rc;
  }
  buf = malloc(cap);
  if (buf == NULL) {
    closedir(d);
    return -ENOMEM;
  }
  while ((de = readdir(d)) != NULL) {
    uint64_t seq;
    if (!stor_segment_seq(de->d_name, &seq))
      continue;
    if (seq > out->max_seg_seq)
      out->max_seg_seq = seq;
    check_segment(dir_fd, path, de->d_name, buf, cap, out, log);
  }
  free(buf);
  closedir(d);
  return 0;
}
