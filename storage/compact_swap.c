/*
 * storage/compact_swap.c - what lets a compaction pass run beside the
 * readers of a live shard directory (see storage/compact.h, "Swaps and
 * snapshots"): one process-wide lock that orders every rename and unlink
 * of a segment against the readers' listing, the segment range a pass is
 * working on (retention leaves it alone), and the readers' snapshots.
 *
 * A snapshot lists a shard directory and opens every segment under the
 * lock held shared, then lets it go: an open file is never lost to an
 * unlink, and a rename cannot slip between the listing and the opens. So
 * a reader sees the originals of a pass or its compacted segment (with
 * the replaced originals skipped), never both and never neither, for as
 * long as it reads; the unlinked files' space comes back when the last
 * snapshot holding them closes them.
 */
#include "storage/compact.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/reader.h"
#include "storage/recover.h"

static pthread_rwlock_t swap_lock = PTHREAD_RWLOCK_INITIALIZER;

/* The pass at work (one compactor a process): its directory and range. */
static struct {
  int on;
  dev_t dev;
  ino_t ino;
  uint64_t lo, hi;
} busy;

/* The snapshot this thread's walk reads through (stor_snap_use). */
static _Thread_local const struct stor_snap *current;

void stor_swap_lock(void) { pthread_rwlock_wrlock(&swap_lock); }

void stor_swap_unlock(void) { pthread_rwlock_unlock(&swap_lock); }

void stor_swap_busy_set(int dir_fd, uint64_t lo, uint64_t hi) {
  struct stat st;

  if (fstat(dir_fd, &st) < 0)
    st = (struct stat){0};
  stor_swap_lock();
  busy.on = 1;
  busy.dev = st.st_dev;
  busy.ino = st.st_ino;
  busy.lo = lo;
  busy.hi = hi;
  stor_swap_unlock();
}

void stor_swap_busy_clear(void) {
  stor_swap_lock();
  busy.on = 0;
  stor_swap_unlock();
}

int stor_swap_busy(uint64_t dir_dev, uint64_t dir_ino, uint64_t seq) {
  return busy.on && (uint64_t)busy.dev == dir_dev &&
         (uint64_t)busy.ino == dir_ino && seq >= busy.lo && seq <= busy.hi;
}

/* Open every listed segment; on a shortage of descriptors keep the lock
 * instead (the walk then opens by name, the swaps wait for it). */
static int open_all(struct stor_snap *s) {
  for (long i = 0; i < s->n; i++) {
    char name[32];
    stor_segment_name(s->seqs[i], name, sizeof(name));
    s->fds[i] = openat(s->dir_fd, name, O_RDONLY | O_CLOEXEC);
    if (s->fds[i] >= 0 || errno == ENOENT)
      continue;
    int rc = -errno;
    if (rc != -EMFILE && rc != -ENFILE)
      return rc;
    for (long j = 0; j <= i; j++)
      if (s->fds[j] >= 0)
        close(s->fds[j]);
    free(s->fds);
    s->fds = NULL;
    s->locked = 1;
    return 0;
  }
  return 0;
}

/*
 * 1 when segment i may replace listed segments: its first block is a
 * compacted directory naming it hi, with a lo at or below the seq listed
 * before it. Reads 80 bytes, so that the common case (no leftovers) costs
 * no full check of every compacted directory; a full check
 * (stor_cseg_open) decides before anything is skipped.
 */
static int may_replace(const struct stor_snap *s, long i) {
  uint8_t h[STOR_BLOCK_HEADER_BYTES + 16];
  struct stor_chdr ch;
  uint64_t lo = 0, hi = 0;
  char name[32];
  int fd = s->fds ? s->fds[i] : -1, own = 0;
  ssize_t got;

  if (i == 0 || (s->fds && fd < 0))
    return 0;
  if (fd < 0) {
    stor_segment_name(s->seqs[i], name, sizeof(name));
    if ((fd = openat(s->dir_fd, name, O_RDONLY | O_CLOEXEC)) < 0)
      return 0;
    own = 1;
  }
  got = pread(fd, h, sizeof(h), 0);
  if (own)
    close(fd);
  if (got != (ssize_t)sizeof(h) ||
      stor_chdr_read(h, STOR_BLOCK_HEADER_BYTES, &ch) < 0 ||
      ch.role != STOR_CSEG_DIRECTORY)
    return 0;
  for (unsigned k = 0; k < 8; k++) {
    lo |= (uint64_t)h[STOR_BLOCK_HEADER_BYTES + k] << (8 * k);
    hi |= (uint64_t)h[STOR_BLOCK_HEADER_BYTES + 8 + k] << (8 * k);
  }
  return hi == s->seqs[i] && s->seqs[i - 1] >= lo;
}

/* skip[i] for every segment a compacted segment of the snapshot replaces. */
static int superseded(struct stor_snap *s) {
  for (long i = 0; i < s->n; i++) {
    struct stor_cseg c;
    int fd = s->fds ? s->fds[i] : -1, rc;
    char name[32];
    if (!may_replace(s, i))
      continue;
    if (fd >= 0) {
      rc = stor_cseg_open_fd(&c, fcntl(fd, F_DUPFD_CLOEXEC, 0));
    } else {
      stor_segment_name(s->seqs[i], name, sizeof(name));
      rc = stor_cseg_open(&c, s->dir_fd, name);
    }
    if (rc == -ENOMEM)
      return rc;
    if (rc <= 0)
      continue;
    /* only seqs below the file's own: a directory is trusted for no more
     * than the file it names */
    for (long j = 0; j < i && c.hi == s->seqs[i]; j++)
      if (s->seqs[j] >= c.lo)
        s->skip[j] = 1;
    stor_cseg_close(&c);
  }
  return 0;
}

int stor_snap_take(struct stor_snap *s, int dir_fd, const char *path) {
  int rc;

  memset(s, 0, sizeof(*s));
  s->dir_fd = dir_fd;
  pthread_rwlock_rdlock(&swap_lock);
  s->n = stor_segment_seqs(path, &s->seqs);
  rc = s->n < 0 ? (int)s->n : 0;
  if (rc == 0) {
    s->fds = malloc((s->n ? (size_t)s->n : 1) * sizeof(*s->fds));
    s->skip = calloc(s->n ? (size_t)s->n : 1, 1);
    rc = s->fds && s->skip ? open_all(s) : -ENOMEM;
  }
  if (!s->locked)
    pthread_rwlock_unlock(&swap_lock);
  if (rc == 0)
    rc = superseded(s);
  if (rc < 0) {
    if (s->n < 0)
      s->n = 0;
    stor_snap_free(s);
  }
  return rc;
}

void stor_snap_free(struct stor_snap *s) {
  for (long i = 0; s->fds && i < s->n; i++)
    if (s->fds[i] >= 0)
      close(s->fds[i]);
  if (s->locked)
    pthread_rwlock_unlock(&swap_lock);
  free(s->fds);
  free(s->seqs);
  free(s->skip);
  memset(s, 0, sizeof(*s));
  s->dir_fd = -1;
}

void stor_snap_use(const struct stor_snap *s) { current = s; }

int stor_snap_openat(int dir_fd, const char *name) {
  const struct stor_snap *s = current;
  uint64_t seq;
  long lo = 0, hi;

  if (s == NULL || s->fds == NULL || s->dir_fd != dir_fd ||
      !stor_segment_seq(name, &seq))
    return openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
  for (hi = s->n; lo < hi;) {
    long mid = lo + (hi - lo) / 2;
    if (s->seqs[mid] < seq)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == s->n || s->seqs[lo] != seq)
    return openat(dir_fd, name, O_RDONLY | O_CLOEXEC); /* newer */
  if (s->fds[lo] < 0) {
    errno = ENOENT;
    return -1;
  }
  return fcntl(s->fds[lo], F_DUPFD_CLOEXEC, 0);
}
