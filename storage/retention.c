/*
 * storage/retention.c - whole-segment deletion by age and total size.
 */
#include "storage/retention.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/limits.h"
#include "core/base/strbuf.h"
#include "storage/compact.h"
#include "storage/recover.h"

struct seg {
  int64_t mtime_ms;
  uint64_t bytes;
  uint64_t seq;
  uint64_t ino;           /* the file listed */
  uint64_t dir_dev, dir_ino; /* its shard directory */
  unsigned shard;
  int active;
};

static int by_age(const void *a, const void *b) {
  const struct seg *x = a, *y = b;

  if (x->mtime_ms != y->mtime_ms)
    return x->mtime_ms < y->mtime_ms ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* 1 when name is "shard-<k>", with *k set. */
static int shard_dir(const char *name, unsigned *k) {
  char *end;
  unsigned long v;

  if (strncmp(name, "shard-", 6) != 0 || name[6] < '0' || name[6] > '9')
    return 0;
  v = strtoul(name + 6, &end, 10);
  if (*end != '\0' || v >= CORE_SHARDS_MAX)
    return 0;
  *k = (unsigned)v;
  return 1;
}

static void list_shard(int dfd, unsigned k, int is_active_shard,
                       uint64_t active_seq, struct seg *segs, size_t *n) {
  DIR *d = fdopendir(dfd);
  struct dirent *de;
  struct stat dst;

  if (d == NULL || fstat(dfd, &dst) < 0) {
    if (d)
      closedir(d);
    else
      close(dfd);
    return;
  }
  while ((de = readdir(d)) != NULL && *n < STOR_SEGMENTS_MAX) {
    struct stat st;
    uint64_t seq;
    if (!stor_segment_seq(de->d_name, &seq) ||
        fstatat(dirfd(d), de->d_name, &st, 0) < 0)
      continue;
    segs[(*n)++] = (struct seg){
        .mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 +
                    st.st_mtim.tv_nsec / 1000000,
        .bytes = (uint64_t)st.st_size,
        .seq = seq,
        .ino = (uint64_t)st.st_ino,
        .dir_dev = (uint64_t)dst.st_dev,
        .dir_ino = (uint64_t)dst.st_ino,
        .shard = k,
        .active = is_active_shard && seq >= active_seq && active_seq != 0};
  }
  closedir(d);
}

static size_t list_all(const char *data_dir, unsigned shard_count,
                       const uint64_t *const *active, struct seg *segs) {
  DIR *d = opendir(data_dir);
  struct dirent *de;
  size_t n = 0;
  unsigned k;

  if (d == NULL)
    return 0;
  while ((de = readdir(d)) != NULL) {
    int fd;
    uint64_t act = 0;
    if (!shard_dir(de->d_name, &k))
      continue;
    fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      continue;
    if (k < shard_count)
      act = __atomic_load_n(active[k], __ATOMIC_ACQUIRE);
    /* A shard that has not opened a segment yet may be about to: keep
     * its newest ones (seq >= 1 means all) until it publishes. */
    list_shard(fd, k, k < shard_count, k < shard_count && act == 0 ? 1 : act,
               segs, &n);
  }
  closedir(d);
  return n;
}

/*
 * Unlink s under the swap lock (storage/compact.h): not while a
 * compaction pass works on it, and only the file listed (a compacted
 * segment renamed over it since is not what was judged).
 */
static int delete_seg(const char *data_dir, const struct seg *s) {
  char path[4200], name[32];
  struct stat st;
  int rc = -EBUSY;

  stor_segment_name(s->seq, name, sizeof(name));
  snprintf(path, sizeof(path), "%s/shard-%u/%s", data_dir, s->shard, name);
  stor_swap_lock();
  if (stat(path, &st) < 0)
    rc = -errno;
  else if ((uint64_t)st.st_ino == s->ino &&
           !stor_swap_busy(s->dir_dev, s->dir_ino, s->seq))
    rc = unlink(path) == 0 ? 0 : -errno;
  stor_swap_unlock();
  return rc;
}

int stor_retention_run(const char *data_dir, unsigned shard_count,
                       const uint64_t *const *active, uint64_t retention_ms,
                       uint64_t disk_bytes_max, int64_t now_ms,
                       struct stor_retention_stats *st) {
  struct seg *segs = malloc(sizeof(*segs) * STOR_SEGMENTS_MAX);
  uint64_t total = 0, count;
  size_t n;

  if (segs == NULL)
    return -ENOMEM;
  n = list_all(data_dir, shard_count, active, segs);
  qsort(segs, n, sizeof(*segs), by_age);
  for (size_t i = 0; i < n; i++)
    total += segs[i].bytes;
  count = n;
  for (size_t i = 0; i < n; i++) {
    int old = retention_ms && now_ms - segs[i].mtime_ms > (int64_t)retention_ms;
    int big = disk_bytes_max && total > disk_bytes_max;
    if (segs[i].active || !(old || big) || delete_seg(data_dir, &segs[i]) < 0)
      continue;
    total -= segs[i].bytes;
    count--;
    st->deleted_segments++;
    st->deleted_bytes += segs[i].bytes;
    if (old)
      st->deleted_by_age++;
    else
      st->deleted_by_size++;
  }
  st->disk_bytes = total;
  st->segments = count;
  free(segs);
  return 0;
}

void stor_retention_render(const struct stor_retention_stats *st,
                           struct core_strbuf *out) {
  static const struct {
    const char *name, *type, *help;
    size_t off;
  } f[] = {
      {"sluice_retention_deleted_segments_total", "counter",
       "Segments deleted by retention.",
       offsetof(struct stor_retention_stats, deleted_segments)},
      {"sluice_retention_deleted_bytes_total", "counter",
       "Bytes of segments deleted by retention.",
       offsetof(struct stor_retention_stats, deleted_bytes)},
      {"sluice_retention_deleted_by_age_total", "counter",
       "Segments deleted for being older than --retention.",
       offsetof(struct stor_retention_stats, deleted_by_age)},
      {"sluice_retention_deleted_by_size_total", "counter",
       "Segments deleted to stay under --max-disk-bytes.",
       offsetof(struct stor_retention_stats, deleted_by_size)},
      {"sluice_storage_disk_bytes", "gauge",
       "Bytes of segment files of every shard.",
       offsetof(struct stor_retention_stats, disk_bytes)},
      {"sluice_storage_segments", "gauge", "Segment files of every shard.",
       offsetof(struct stor_retention_stats, segments)},
  };
  for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
    const uint64_t *v =
        (const uint64_t *)(const void *)((const char *)st + f[i].off);
    core_strbuf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n",
                        f[i].name, f[i].help, f[i].name, f[i].type, f[i].name,
                        __atomic_load_n(v, __ATOMIC_RELAXED));
  }
}
