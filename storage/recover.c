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

#include "core/base/limits.h"
#include "storage/block.h"
#include "storage/compact.h"
#include "storage/logblock.h"
#include "storage/spanblock.h"

/* What one stor_recover_dir call allocates once for all its segments. */
struct scratch {
  uint8_t *buf;          /* one whole block */
  size_t cap;
  struct stor_logdec dec;
  struct stor_spandec sdec;
};

/* A writer's buffer holds the largest metric, log or span block. */
size_t stor_block_buf_bytes(void) {
  size_t n = stor_block_bytes_max(CORE_HEAD_POINTS_MAX, CORE_HEAD_POINTS_MAX,
                                  CORE_HEAD_KEY_BYTES_MAX +
                                      CORE_SERIES_KEY_BYTES_MAX);
  size_t l = stor_logblock_bytes_max(CORE_LOGHEAD_RECORDS_MAX,
                                     CORE_LOGHEAD_ATTRS_MAX,
                                     CORE_LOGHEAD_TEXT_BYTES_MAX);
  if (l > n)
    n = l;
  if (stor_spanblock_bytes_max() > n)
    n = stor_spanblock_bytes_max();
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
 * Check the whole block in buf (len bytes, header already read as frame f):
 * a metric block's header and CRC32C; a log block's header, CRC32C, string
 * table and inflated stream (into dec). Returns 0, or -EBADMSG with *why.
 */
static int block_ok(const uint8_t *buf, size_t len, const struct stor_frame *f,
                    struct scratch *sc, const char **why) {
  struct stor_block_reader rd;
  struct stor_logblock_reader lrd;
  struct stor_spanblock_reader srd;

  *why = "checksum";
  if (f->kind == STOR_KIND_SERIES) /* its runs are checked when read */
    return stor_block_crc(buf, len) == f->crc ? 0 : -EBADMSG;
  if (f->kind == STOR_KIND_METRICS)
    return stor_block_reader_init(&rd, buf, len) < 0 ? -EBADMSG : 0;
  if (f->kind == STOR_KIND_SPANS
          ? stor_spanblock_reader_init(&srd, &sc->sdec, buf, len) == 0
          : stor_logblock_reader_init(&lrd, &sc->dec, buf, len) == 0)
    return 0;
  if (stor_block_crc(buf, len) == f->crc)
    *why = f->kind == STOR_KIND_SPANS ? "span stream" : "log stream";
  return -EBADMSG;
}

/* The kind's own header rules, on the header in buf. */
static int kind_hdr_ok(const uint8_t *buf, const struct stor_frame *f) {
  struct stor_block_hdr h;
  struct stor_logblock_hdr lh;
  struct stor_spanblock_hdr sh;
  struct stor_chdr ch;

  if (f->kind == STOR_KIND_SERIES)
    return stor_chdr_read(buf, STOR_BLOCK_HEADER_BYTES, &ch) == 0;
  if (f->kind == STOR_KIND_METRICS)
    return stor_block_hdr_read(buf, STOR_BLOCK_HEADER_BYTES, &h) == 0;
  if (f->kind == STOR_KIND_SPANS)
    return stor_spanblock_hdr_read(buf, STOR_BLOCK_HEADER_BYTES, &sh) == 0;
  return stor_logblock_hdr_read(buf, STOR_BLOCK_HEADER_BYTES, &lh) == 0;
}

/*
 * Offset of the first bad block of an open segment (its size when every
 * block is good); counts good blocks of both kinds and the highest block
 * seq (metric and log blocks share a shard's sequence).
 */
static uint64_t good_prefix(int fd, uint64_t size, struct scratch *sc,
                            struct stor_recovery *r, const char **why) {
  uint64_t off = 0;
  struct stor_frame f;

  while (off < size) {
    uint64_t len;
    *why = "header";
    if (size - off < STOR_BLOCK_HEADER_BYTES ||
        pread(fd, sc->buf, STOR_BLOCK_HEADER_BYTES, (off_t)off) !=
            STOR_BLOCK_HEADER_BYTES ||
        stor_frame_read(sc->buf, STOR_BLOCK_HEADER_BYTES, &f) < 0 ||
        !kind_hdr_ok(sc->buf, &f))
      return off;
    len = stor_frame_total_bytes(&f);
    *why = "length";
    if (len > sc->cap || len > size - off)
      return off;
    *why = "read";
    if (pread(fd, sc->buf, len, (off_t)off) != (ssize_t)len ||
        block_ok(sc->buf, len, &f, sc, why) < 0)
      return off;
    if (f.seq > r->max_block_seq)
      r->max_block_seq = f.seq;
    r->blocks++;
    off += len;
  }
  return off;
}

static void check_segment(int dir_fd, const char *path, const char *name,
                          struct scratch *sc, struct stor_recovery *r,
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
  good = good_prefix(fd, (uint64_t)st.st_size, sc, r, &why);
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
  struct scratch sc = {.cap = stor_block_buf_bytes()};
  struct dirent *de;
  DIR *d;
  int fd2 = dup(dir_fd), rc = 0;

  memset(out, 0, sizeof(*out));
  if (fd2 < 0)
    return -errno;
  d = fdopendir(fd2);
  if (d == NULL) {
    rc = -errno;
    close(fd2);
    return rc;
  }
  /* The dup shares dir_fd's directory offset: without this a second call
   * on the same dir_fd would start where the first one ended, and see no
   * segment at all. */
  rewinddir(d);
  /* An interrupted compaction first: its leftovers go before any check. */
  if ((rc = stor_compact_cleanup(dir_fd, path, NULL, log)) < 0)
    goto out;
  rewinddir(d);
  sc.buf = malloc(sc.cap);
  if (sc.buf == NULL || stor_logdec_init(&sc.dec) < 0 ||
      stor_spandec_init(&sc.sdec) < 0) {
    rc = -ENOMEM;
    goto out;
  }
  while ((de = readdir(d)) != NULL) {
    uint64_t seq;
    if (!stor_segment_seq(de->d_name, &seq))
      continue;
    if (seq > out->max_seg_seq)
      out->max_seg_seq = seq;
    check_segment(dir_fd, path, de->d_name, &sc, out, log);
  }
out:
  stor_logdec_free(&sc.dec);
  stor_spandec_free(&sc.sdec);
  free(sc.buf);
  closedir(d);
  return rc;
}
