/*
 * storage/writer.c - sealed blocks to segment files through io_uring.
 *
 * Life of a block: stor_writer_seal encodes it into a free buffer
 * and appends the buffer to a FIFO; pump() writes the FIFO's front
 * block at the end of the current segment (opening the block's segment
 * first when it is a new one). One write is in flight at a time, so the
 * file grows by whole blocks only. Grouped fdatasync makes written blocks
 * durable; flush requests wait for that. A block given up on after its
 * retries may have left part of itself in the file (a short write): the
 * file is cut back to its last whole block before anything else happens to
 * that segment.
 */
#include "storage/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/base/assert.h"
#include "core/base/fault.h"
#include "core/base/ring.h"
#include "core/base/stat.h"
#include "storage/block.h"
#include "storage/logblock.h"
#include "storage/spanblock.h"
#include "storage/recover.h"

/*
 * The buffers are sized for the largest block a head can seal (~18 MiB
 * each) but a block is usually a few hundred KiB: they are mapped without
 * a reservation and never registered with io_uring, so only the pages a
 * block was encoded into become resident. Registering them pinned (and so
 * faulted in) all of them at start-up: ~150 MB a shard resident at idle,
 * and ~170 ms of page faults before an import's first line on a VM that
 * hands fresh pages out slowly. Fixed buffers save nothing on a buffered
 * write (the kernel copies the bytes either way).
 */
static int map_buffers(struct stor_writer *w) {
  w->buf_bytes = stor_block_buf_bytes();
  w->buf_mem = mmap(NULL, w->buf_bytes * STOR_WRITE_BUFS_COUNT,
                    PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (w->buf_mem == MAP_FAILED) {
    w->buf_mem = NULL;
    return -ENOMEM;
  }
  for (int i = 0; i < STOR_WRITE_BUFS_COUNT; i++) {
    w->bufs[i].data = w->buf_mem + (size_t)i * w->buf_bytes;
    w->bufs[i].cap = w->buf_bytes;
  }
  return 0;
}

static void complete(void *ctx, const struct io_uring_cqe *cqe,
                     int64_t now_ms);

/*
 * IORING_OP_FTRUNCATE, in the kernel's enum io_uring_op since Linux 6.9;
 * liburing 2.3's copy of that enum ends before it and has no prep helper,
 * so the SQE is filled by hand (fd, offset = the new length).
 */
#define STOR_IORING_OP_FTRUNCATE 55

/* 1 when the running kernel has IORING_OP_FTRUNCATE (start-up only: the
 * probe allocates). */
static int probe_ftruncate(struct io_uring *ring) {
  struct io_uring_probe *pr = io_uring_get_probe_ring(ring);
  int ok = pr != NULL &&
           io_uring_opcode_supported(pr, STOR_IORING_OP_FTRUNCATE);

  if (pr != NULL)
    io_uring_free_probe(pr);
  return ok;
}

static size_t seg_mark_bytes(const struct stor_writer *w) {
  return sizeof(*w->seg_mark) * (size_t)w->cfg.series_max;
}

static void *map_zeroed(size_t bytes) {
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

/* The dictionary scratch of one block, and the series marks: zero pages
 * (no segment has seq 0), touched only as ids are used. */
static int map_scratch(struct stor_writer *w) {
  w->dict = map_zeroed(sizeof(*w->dict) * CORE_HEAD_POINTS_MAX);
  w->seg_mark = map_zeroed(seg_mark_bytes(w));
  return w->dict && w->seg_mark ? 0 : -ENOMEM;
}

int stor_writer_init(struct stor_writer *w, struct core_ring *ring,
                     struct stor_stats *stats,
                     const struct stor_writer_cfg *cfg, uint64_t *active_pub) {
  int rc;

  ASSERT(cfg->series_max > 0 && cfg->series.entry != NULL);
  memset(w, 0, sizeof(*w));
  w->ring = ring;
  w->stats = stats;
  w->cfg = *cfg;
  if (cfg->segment_points_max == 0 ||
      cfg->segment_points_max > STOR_SEGMENT_POINTS_MAX)
    w->cfg.segment_points_max = STOR_SEGMENT_POINTS_MAX;
  w->seg_fd = w->closing_fd = -1;
  w->active_seg_pub = active_pub;
  w->block_seq = w->written_seq = w->durable_seq = cfg->next_block_seq - 1;
  __atomic_store_n(&stats->durable_seq, w->durable_seq, __ATOMIC_RELEASE);
  /* Segments before the one this writer will create are retention's. */
  if (active_pub)
    __atomic_store_n(active_pub, cfg->next_seg_seq, __ATOMIC_RELEASE);
  rc = stor_encoder_init(&w->enc, CORE_HEAD_POINTS_MAX);
  if (rc < 0)
    goto fail;
  if (cfg->logs && (rc = stor_logenc_init(&w->lenc,
                                          CORE_LOGHEAD_RECORDS_MAX)) < 0)
    goto fail;
  if (cfg->spans && (rc = stor_spanenc_init(&w->senc,
                                           CORE_SPANHEAD_SPANS_MAX)) < 0)
    goto fail;
  rc = map_scratch(w);
  if (rc < 0)
    goto fail;
  rc = map_buffers(w);
  if (rc < 0)
    goto fail;
  w->ftruncate_op = probe_ftruncate(&ring->uring);
  rc = core_ring_register(ring, complete, w);
  if (rc < 0)
    goto fail;
  w->tag = rc;
  return 0;
fail:
  stor_writer_free(w);
  return rc;
}

void stor_writer_free(struct stor_writer *w) {
  if (w->ring == NULL)
    return; /* never set up */
  if (w->buf_mem)
    munmap(w->buf_mem, w->buf_bytes * STOR_WRITE_BUFS_COUNT);
  if (w->dict)
    munmap(w->dict, sizeof(*w->dict) * CORE_HEAD_POINTS_MAX);
  if (w->seg_mark)
    munmap(w->seg_mark, seg_mark_bytes(w));
  w->seg_mark = NULL;
  if (w->seg_fd >= 0)
    close(w->seg_fd);
  if (w->closing_fd >= 0)
    close(w->closing_fd);
  stor_encoder_free(&w->enc);
  stor_logenc_free(&w->lenc);
  stor_spanenc_free(&w->senc);
  w->buf_mem = NULL;
  w->dict = NULL;
  w->seg_fd = w->closing_fd = -1;
}

/* ---- sealing -------------------------------------------------------------- */

/*
 * Start a new segment for the blocks encoded from now on when due: its
 * bytes reached the byte bound (a segment may pass it by one block), its
 * age the age bound, or the block of `items` about to be encoded would take
 * it past the item bound. The item bound is never passed, so a metric
 * segment always fits a compaction pass alone (STOR_COMPACT_POINTS_MAX).
 */
static void maybe_roll(struct stor_writer *w, uint32_t items, int64_t now_ms) {
  if (w->enc_seg_seq == 0 ||
      w->enc_seg_bytes >= w->cfg.segment_bytes_max ||
      w->enc_seg_points + items > w->cfg.segment_points_max ||
      (uint64_t)(now_ms - w->enc_seg_opened_ms) >= w->cfg.segment_age_ms_max) {
    w->enc_seg_seq = w->enc_seg_seq ? w->enc_seg_seq + 1
                                    : w->cfg.next_seg_seq;
    w->enc_seg_bytes = 0;
    w->enc_seg_points = 0;
    w->enc_seg_opened_ms = now_ms;
  }
}

/* Dictionary entries of the points' series not yet in the target segment. */
static uint32_t collect_dict(struct stor_writer *w,
                             const struct stor_points *pts) {
  const struct stor_series_src *src = &w->cfg.series;
  uint32_t n = 0, mark = (uint32_t)w->enc_seg_seq;

  for (uint32_t i = 0; i < pts->count; i++) {
    uint32_t id = pts->series_id[i];
    ASSERT(id < w->cfg.series_max);
    if (w->seg_mark[id] == mark)
      continue;
    w->seg_mark[id] = mark;
    src->entry(src->ctx, id, &w->dict[n]);
    ASSERT(w->dict[n].id == id && w->dict[n].key_len > 0);
    n++;
  }
  return n;
}

static struct stor_wbuf *free_buf(struct stor_writer *w, uint32_t *idx) {
  for (uint32_t i = 0; i < STOR_WRITE_BUFS_COUNT; i++)
    if (w->bufs[i].state == STOR_BUF_FREE) {
      *idx = i;
      return &w->bufs[i];
    }
  return NULL;
}

static void pump(struct stor_writer *w, int64_t now_ms);

/* Queue the block just encoded into buffer idx behind the others. */
static void enqueue(struct stor_writer *w, uint32_t idx, size_t len,
                    uint32_t count, uint8_t kind, int64_t now_ms) {
  struct stor_wbuf *b = &w->bufs[idx];

  w->block_seq++;
  *b = (struct stor_wbuf){.data = b->data, .cap = b->cap, .len = len,
                          .seq = w->block_seq, .seg_seq = w->enc_seg_seq,
                          .points = count,
                          .logs = kind == STOR_KIND_LOGS,
                          .spans = kind == STOR_KIND_SPANS,
                          .state = STOR_BUF_QUEUED};
  w->enc_seg_bytes += (uint64_t)len;
  w->enc_seg_points += count;
  ASSERT(w->enc_seg_points <= w->cfg.segment_points_max);
  w->order[(w->order_head + w->order_len++) % STOR_WRITE_BUFS_COUNT] = idx;
  pump(w, now_ms);
}

int stor_writer_seal(struct stor_writer *w, const struct stor_points *h,
                     int64_t now_ms) {
  struct stor_block_in in;
  struct stor_wbuf *b;
  uint32_t idx;
  long n;

  if (h->count == 0)
    return 0;
  b = free_buf(w, &idx);
  if (b == NULL)
    return -ENOBUFS;
  maybe_roll(w, h->count, now_ms);
  in = (struct stor_block_in){.shard = w->cfg.shard,
                              .seq = w->block_seq + 1,
                              .count = h->count,
                              .series_id = h->series_id,
                              .ts_ms = h->ts_ms,
                              .value = h->value,
                              .dict = w->dict};
  in.dict_count = collect_dict(w, h);
  n = stor_block_encode(&w->enc, &in, b->data, b->cap);
  if (n <= 0) {
    /* Cannot happen with buffers sized by stor_block_bytes_max; counted,
     * and the segment rolls so no later block relies on this dictionary. */
    core_stat_add(&w->stats->points_lost, h->count);
    w->enc_seg_bytes = w->cfg.segment_bytes_max;
    return -EIO;
  }
  enqueue(w, idx, (size_t)n, h->count, STOR_KIND_METRICS, now_ms);
  return 0;
}

/* A free buffer for the next block of `items` (the segment rolled when due), or
 * NULL while every buffer is busy. */
static struct stor_wbuf *claim(struct stor_writer *w, uint32_t items,
                               int64_t now_ms, uint32_t *idx) {
  struct stor_wbuf *b = free_buf(w, idx);

  if (b != NULL)
    maybe_roll(w, items, now_ms);
  return b;
}

/* Queue the log or span block of n items just encoded into buffer idx
 * (len: what the encoder returned), or count its items lost: cannot
 * happen within the heads' bounds. Such a block carries no state later
 * blocks need, so a failure does not roll the segment. */
static int queue_encoded(struct stor_writer *w, uint32_t idx, long len,
                         uint32_t n, uint8_t kind, int64_t now_ms) {
  if (len <= 0) {
    core_stat_add(kind == STOR_KIND_SPANS ? &w->stats->spans_lost
                                          : &w->stats->logs_lost,
                  n);
    return -EIO;
  }
  enqueue(w, idx, (size_t)len, n, kind, now_ms);
  return 0;
}

int stor_writer_seal_logs(struct stor_writer *w, const struct stor_log_rec *recs,
                          uint32_t n, int64_t now_ms) {
  struct stor_wbuf *b;
  uint32_t idx;

  ASSERT(w->cfg.logs);
  if (n == 0)
    return 0;
  if ((b = claim(w, n, now_ms, &idx)) == NULL)
    return -ENOBUFS;
  return queue_encoded(w, idx,
                       stor_logblock_encode(&w->lenc, w->cfg.shard,
                                            w->block_seq + 1, recs, n,
                                            b->data, b->cap),
                       n, STOR_KIND_LOGS, now_ms);
}

int stor_writer_seal_logs_built(struct stor_writer *w, uint32_t n,
                                int64_t now_ms) {
  struct stor_wbuf *b;
  uint32_t idx;

  ASSERT(w->cfg.logs && stor_logenc_count(&w->lenc) == n);
  if (n == 0)
    return 0;
  if ((b = claim(w, n, now_ms, &idx)) == NULL)
    return -ENOBUFS;
  return queue_encoded(w, idx,
                       stor_logenc_finish(&w->lenc, w->cfg.shard,
                                          w->block_seq + 1, b->data, b->cap),
                       n, STOR_KIND_LOGS, now_ms);
}

int stor_writer_seal_spans(struct stor_writer *w, const struct stor_span *spans,
                           uint32_t n, const struct stor_span_res *res,
                           uint32_t nres, int64_t now_ms) {
  struct stor_wbuf *b;
  uint32_t idx;

  ASSERT(w->cfg.spans);
  if (n == 0)
    return 0;
  if ((b = claim(w, n, now_ms, &idx)) == NULL)
    return -ENOBUFS;
  return queue_encoded(w, idx,
                       stor_spanblock_encode(&w->senc, w->cfg.shard,
                                             w->block_seq + 1, spans, n, res,
                                             nres, b->data, b->cap),
                       n, STOR_KIND_SPANS, now_ms);
}

/* ---- writing ------------------------------------------------------------- */

static struct stor_wbuf *front(struct stor_writer *w) {
  return w->order_len ? &w->bufs[w->order[w->order_head]] : NULL;
}

static void pop_front(struct stor_writer *w) {
  front(w)->state = STOR_BUF_FREE;
  w->order_head = (w->order_head + 1) % STOR_WRITE_BUFS_COUNT;
  w->order_len--;
}

static void publish_active(struct stor_writer *w) {
  if (w->active_seg_pub)
    __atomic_store_n(w->active_seg_pub, w->seg_seq, __ATOMIC_RELEASE);
}

/* Retire the current segment (fsync, then close) and open seg_seq. */
static void open_segment(struct stor_writer *w, uint64_t seg_seq) {
  struct io_uring_sqe *sqe;

  if (w->seg_fd >= 0) {
    if (w->closing_fd >= 0 || w->fsync_inflight)
      return; /* one retirement at a time; pump runs again on completion */
    w->closing_fd = w->seg_fd;
    w->seg_fd = -1;
    sqe = core_ring_sqe(w->ring);
    io_uring_prep_fsync(sqe, w->closing_fd, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data64(sqe, core_ring_ud(w->tag, STOR_OP_CLOSE_FSYNC,
                                        w->written_seq));
  }
  stor_segment_name(seg_seq, w->open_name, sizeof(w->open_name));
  sqe = core_ring_sqe(w->ring);
  io_uring_prep_openat(sqe, w->cfg.dir_fd, w->open_name,
                       O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  io_uring_sqe_set_data64(sqe, core_ring_ud(w->tag, STOR_OP_OPEN, seg_seq));
  w->opening = 1;
}

/*
 * Injected faults act at submission, so the file sees what a real failure
 * leaves: nothing (EIO, ENOSPC: a NOP completes with the error) or half a
 * block (a short write, which the retry then overwrites).
 */
static void submit_write(struct stor_writer *w, struct stor_wbuf *b) {
  struct io_uring_sqe *sqe = core_ring_sqe(w->ring);
  uint32_t idx = (uint32_t)(b - w->bufs);
  uint64_t nth = ++w->writes_done;
  unsigned len = (unsigned)b->len;

  b->fault = 0;
  if (core_fault_hit(core_fault.write_eio, nth))
    b->fault = -EIO;
  else if (core_fault_hit(core_fault.write_enospc, nth))
    b->fault = -ENOSPC;
  else if (core_fault_hit(core_fault.write_short, nth))
    len /= 2;
  if (b->fault != 0)
    io_uring_prep_nop(sqe);
  else
    io_uring_prep_write(sqe, w->seg_fd, b->data, len, w->seg_off);
  io_uring_sqe_set_data64(sqe, core_ring_ud(w->tag, STOR_OP_WRITE, idx));
  b->state = STOR_BUF_WRITING;
  w->write_inflight = 1;
}

static void pump(struct stor_writer *w, int64_t now_ms) {
  struct stor_wbuf *b = front(w);

  if (b == NULL || w->write_inflight || w->opening || w->truncating)
    return;
  if (b->tries > 0 && now_ms < b->retry_at_ms)
    return;
  if (w->seg_fd < 0 || w->seg_seq != b->seg_seq) {
    open_segment(w, b->seg_seq);
    return;
  }
  submit_write(w, b);
}

/* ---- durability and flush ----------------------------------------------- */

static void answer_waits(struct stor_writer *w) {
  uint32_t kept = 0;

  for (uint32_t i = 0; i < w->wait_count; i++) {
    struct stor_flush_wait *f = &w->waits[i];
    if (f->target <= w->durable_seq)
      w->cfg.answer(w->cfg.answer_ctx, f->gen, f->failed);
    else
      w->waits[kept++] = *f;
  }
  w->wait_count = kept;
}

static void set_durable(struct stor_writer *w, uint64_t covers) {
  if (covers > w->durable_seq)
    w->durable_seq = covers;
  __atomic_store_n(&w->stats->durable_seq, w->durable_seq, __ATOMIC_RELEASE);
  answer_waits(w);
}

static int flush_waiting(const struct stor_writer *w) {
  for (uint32_t i = 0; i < w->wait_count; i++)
    if (w->waits[i].target <= w->written_seq)
      return 1;
  return 0;
}

/* Start an fdatasync when written blocks are due (interval or a flush). */
static void maybe_fsync(struct stor_writer *w, int64_t now_ms) {
  struct io_uring_sqe *sqe;

  if (w->fsync_inflight || w->closing_fd >= 0 || w->seg_fd < 0 ||
      w->dir_sync_wanted || w->written_seq <= w->durable_seq)
    return;
  if (!flush_waiting(w) &&
      now_ms - w->last_fsync_ms < (int64_t)w->cfg.fsync_interval_ms)
    return;
  sqe = core_ring_sqe(w->ring);
  io_uring_prep_fsync(sqe, w->seg_fd, IORING_FSYNC_DATASYNC);
  io_uring_sqe_set_data64(sqe, core_ring_ud(w->tag, STOR_OP_FSYNC, 0));
  w->fsync_inflight = 1;
  w->fsync_covers = w->written_seq;
  w->last_fsync_ms = now_ms;
}

int stor_writer_flush(struct stor_writer *w, uint64_t gen, int64_t now_ms) {
  if (w->block_seq <= w->durable_seq) {
    w->cfg.answer(w->cfg.answer_ctx, gen, 0);
    return 0;
  }
  if (w->wait_count == CORE_CTL_RING_ENTRIES)
    return -EBUSY;
  w->waits[w->wait_count++] =
      (struct stor_flush_wait){.target = w->block_seq, .gen = gen};
  maybe_fsync(w, now_ms);
  return 0;
}

/* ---- completions ---------------------------------------------------------- */

static void on_truncated(struct stor_writer *w, int res) {
  w->truncating = 0;
  if (res < 0) {
    /* the torn tail stays; start-up recovery cuts it */
    core_stat_add(&w->stats->write_errors, 1);
    return;
  }
  core_stat_add(&w->stats->tail_truncations, 1);
  core_stat_add(&w->stats->tail_truncated_bytes, w->seg_tail - w->seg_off);
  w->seg_tail = w->seg_off;
}

/*
 * Cut the current segment back to its last whole block when a short write
 * of a block now given up on left part of it past seg_off: no retry will
 * overwrite it, and readers (sluice inspect, queries) would meet a torn
 * block until the next start-up's recovery. pump() retires the segment
 * only after the cut, so the retirement's fdatasync covers it.
 */
static void truncate_tail(struct stor_writer *w) {
  struct io_uring_sqe *sqe;

  if (w->seg_fd < 0 || w->seg_tail <= w->seg_off)
    return;
  if (!w->ftruncate_op) {
    /* Before Linux 6.9: a blocking ftruncate(2) on the shard thread,
     * against the house rule, accepted on this error path only: it runs
     * at most once per abandoned segment, after STOR_WRITE_RETRIES_MAX
     * failed writes stalled this writer for longer than the call takes,
     * and shrinking a file only this thread writes frees its last blocks. */
    on_truncated(w, ftruncate(w->seg_fd, (off_t)w->seg_off) == 0 ? 0 : -errno);
    return;
  }
  sqe = core_ring_sqe(w->ring);
  io_uring_prep_rw(STOR_IORING_OP_FTRUNCATE, sqe, w->seg_fd, NULL, 0,
                   w->seg_off);
  io_uring_sqe_set_data64(sqe, core_ring_ud(w->tag, STOR_OP_TRUNCATE, 0));
  w->truncating = 1;
}

/*
 * Give up on every queued block (the front one failed too often). Later
 * blocks may rely on the lost one's dictionary entries, so they go too,
 * and new blocks start a new segment. Everything is counted. What a short
 * write of the front block left in the file is cut off.
 */
static void drop_queue(struct stor_writer *w) {
  while (w->order_len > 0) {
    struct stor_wbuf *b = front(w);
    core_stat_add(&w->stats->blocks_lost, 1);
    core_stat_add(b->logs    ? &w->stats->logs_lost
                  : b->spans ? &w->stats->spans_lost
                             : &w->stats->points_lost,
                  b->points);
    w->lost_seq = b->seq;
    for (uint32_t i = 0; i < w->wait_count; i++)
      if (w->waits[i].target >= b->seq)
        w->waits[i].failed = 1;
    pop_front(w);
  }
  w->written_seq = w->lost_seq;
  w->enc_seg_bytes = w->cfg.segment_bytes_max; /* roll at the next seal */
  if (w->seg_fd < 0 && w->durable_seq < w->written_seq)
    set_durable(w, w->written_seq); /* nothing open to sync: answer now */
  truncate_tail(w);
}

static void on_write(struct stor_writer *w, const struct io_uring_cqe *cqe,
                     int64_t now_ms) {
  struct stor_wbuf *b = &w->bufs[core_ring_ud_arg(cqe->user_data)];
  int res = b->fault ? b->fault : cqe->res;

  ASSERT(b == front(w) && b->state == STOR_BUF_WRITING);
  w->write_inflight = 0;
  if (res == (int)b->len) {
    w->seg_off += b->len; /* over any part an earlier try left */
    if (w->seg_tail < w->seg_off)
      w->seg_tail = w->seg_off;
    w->written_seq = b->seq;
    core_stat_add(&w->stats->blocks_written, 1);
    core_stat_add(&w->stats->bytes_written, b->len);
    pop_front(w);
    return;
  }
  /* Nothing past seg_off counts: the retry overwrites whatever landed,
   * or, if the block is given up, drop_queue cuts it off. */
  if (res > 0 && w->seg_off + (uint64_t)res > w->seg_tail)
    w->seg_tail = w->seg_off + (uint64_t)res;
  core_stat_add(&w->stats->write_errors, 1);
  b->state = STOR_BUF_QUEUED;
  b->retry_at_ms = now_ms + STOR_WRITE_RETRY_MS;
  if (++b->tries > STOR_WRITE_RETRIES_MAX)
    drop_queue(w);
}

static void on_open(struct stor_writer *w, const struct io_uring_cqe *cqe,
                    int64_t now_ms) {
  struct io_uring_sqe *sqe;

  w->opening = 0;
  if (cqe->res < 0) {
    struct stor_wbuf *b = front(w);
    core_stat_add(&w->stats->write_errors, 1);
    if (b != NULL) {
      b->retry_at_ms = now_ms + STOR_WRITE_RETRY_MS;
      if (++b->tries > STOR_WRITE_RETRIES_MAX)
        drop_queue(w);
    }
    return;
  }
  w->seg_fd = cqe->res;
  w->seg_seq = core_ring_ud_arg(cqe->user_data);
  w->seg_off = w->seg_tail = 0;
  publish_active(w);
  core_stat_add(&w->stats->segments_opened, 1);
  /* The new file's name must be durable before its blocks count as such. */
  sqe = core_ring_sqe(w->ring);
  io_uring_prep_fsync(sqe, w->cfg.dir_fd, 0);
  io_uring_sqe_set_data64(sqe, core_ring_ud(w->tag, STOR_OP_DIRSYNC, 0));
  w->dir_sync_wanted = 1;
}

static int faulted_fsync(struct stor_writer *w, int res) {
  if (core_fault_hit(core_fault.fsync_eio, ++w->fsyncs_done))
    return -EIO;
  return res;
}

/*
 * A failed fdatasync leaves the page cache state unknown (the kernel may
 * have dropped the dirty pages): the blocks it covered are counted lost to
 * durability, flushes waiting on them fail, and writing goes on in a new
 * segment.
 */
static void on_fsync_result(struct stor_writer *w, int res, uint64_t covers) {
  if (res < 0) {
    core_stat_add(&w->stats->fsync_errors, 1);
    for (uint32_t i = 0; i < w->wait_count; i++)
      if (w->waits[i].target <= covers)
        w->waits[i].failed = 1;
    w->enc_seg_bytes = w->cfg.segment_bytes_max;
  }
  core_stat_add(&w->stats->fsyncs, 1);
  set_durable(w, covers);
}

static void on_close_fsync(struct stor_writer *w,
                           const struct io_uring_cqe *cqe) {
  struct io_uring_sqe *sqe = core_ring_sqe(w->ring);

  on_fsync_result(w, faulted_fsync(w, cqe->res), core_ring_ud_arg(cqe->user_data));
  io_uring_prep_close(sqe, w->closing_fd);
  io_uring_sqe_set_data64(sqe, core_ring_ud(w->tag, STOR_OP_CLOSE, 0));
}

/* The writer's handler on the ring: every completion of its ops. */
static void complete(void *ctx, const struct io_uring_cqe *cqe,
                     int64_t now_ms) {
  struct stor_writer *w = ctx;

  switch (core_ring_ud_op(cqe->user_data)) {
  case STOR_OP_WRITE:
    on_write(w, cqe, now_ms);
    break;
  case STOR_OP_OPEN:
    on_open(w, cqe, now_ms);
    break;
  case STOR_OP_DIRSYNC:
    w->dir_sync_wanted = 0;
    if (cqe->res < 0)
      core_stat_add(&w->stats->fsync_errors, 1);
    break;
  case STOR_OP_FSYNC:
    w->fsync_inflight = 0;
    on_fsync_result(w, faulted_fsync(w, cqe->res), w->fsync_covers);
    break;
  case STOR_OP_CLOSE_FSYNC:
    on_close_fsync(w, cqe);
    break;
  case STOR_OP_CLOSE:
    w->closing_fd = -1;
    break;
  case STOR_OP_TRUNCATE:
    on_truncated(w, cqe->res);
    break;
  default:
    break;
  }
  pump(w, now_ms);
  maybe_fsync(w, now_ms);
}

void stor_writer_tick(struct stor_writer *w, int64_t now_ms) {
  pump(w, now_ms);
  maybe_fsync(w, now_ms);
}

int stor_writer_idle(const struct stor_writer *w) {
  return w->order_len == 0 && !w->write_inflight && !w->opening &&
         !w->truncating && !w->fsync_inflight && w->closing_fd < 0 && !w->dir_sync_wanted &&
         w->durable_seq >= w->written_seq;
}
