/*
 * storage/logscan.c - the log scan (see storage/logscan.h): the log records
 * of a time window over every segment of a data directory, oldest or
 * newest first, for the query port's log routes. It reads segments
 * through storage/reader.h and walks them with storage/reader_internal.h;
 * apart from the metric scan because it shares none of its decode state.
 *
 * Memory is bounded: one block buffer (grown up to the largest block a
 * writer writes) and one log decoder (STOR_LOGBLOCK_TEXT_BYTES_MAX bytes
 * of inflated stream), allocated once per scan, plus with newest_first
 * the log block offsets of one segment.
 */
#include "storage/logscan.h"

#include <errno.h>
#include <stdlib.h>

#include "core/base/assert.h"
#include "core/base/limits.h"
#include "storage/logblock.h"
#include "storage/reader.h"
#include "storage/reader_internal.h"
#include "storage/recover.h"

struct logscan_state {
  const struct stor_logscan *q;
  struct stor_scan_stats *st;
  struct stor_seg_reader seg;
  struct stor_logdec dec;
  struct core_syslog_attr attrs[CORE_SYSLOG_SD_ATTRS_MAX];
  struct stor_logpos pos;    /* of the block being served */
  struct stor_offsets offs;  /* newest_first: log block offsets of a segment */
};

/* The caller's time floor now (it may rise between calls). */
static int64_t floor_of(const struct stor_logscan *q) {
  return q->floor ? q->floor(q->ctx) : INT64_MIN;
}

/* Decode every record of the loaded block, serving none: 0 or -EBADMSG. */
static int check_records(struct logscan_state *s, struct stor_seg_block *b) {
  struct stor_log_rec r;
  int rc;

  while ((rc = stor_logblock_next(&b->lrd, &r, s->attrs,
                                  CORE_SYSLOG_SD_ATTRS_MAX)) == 1)
    ;
  return rc < 0 ? -EBADMSG : 0;
}

/* Hand the block's in-window records to q->fn: 0, 1 (stop) or fn's error. */
static int serve_records(struct logscan_state *s, unsigned shard,
                         struct stor_seg_block *b) {
  const struct stor_logscan *q = s->q;
  struct stor_log_rec r;
  int rc;

  s->pos.index = 0;
  for (; (rc = stor_logblock_next(&b->lrd, &r, s->attrs,
                                   CORE_SYSLOG_SD_ATTRS_MAX)) == 1;
       s->pos.index++) {
    if (r.time_ns < q->start_ns || r.time_ns > q->end_ns ||
        r.time_ns < floor_of(q))
      continue;
    s->st->records++;
    if (q->pos)
      *q->pos = s->pos;
    if ((rc = q->fn(q->ctx, shard, &r)) != 0)
      return rc < 0 ? rc : 1;
  }
  /* The same records just passed check_records: decoding is repeatable. */
  ASSERT(rc == 0);
  return 0;
}

/* One log block met in the walk: skipped when outside the window or under
 * the floor, else loaded, checked to its end, then served. */
static int log_block(void *arg, unsigned shard, struct stor_seg_block *b) {
  struct logscan_state *s = arg;
  const struct stor_logscan *q = s->q;
  struct stor_logblock_reader first;
  int rc;

  if (b->lhdr.max_ns < q->start_ns || b->lhdr.min_ns > q->end_ns ||
      b->lhdr.max_ns < floor_of(q)) {
    s->st->blocks_skipped++;
    s->st->bytes_read += STOR_BLOCK_HEADER_BYTES;
    return 0;
  }
  s->pos.offset = b->offset;
  rc = stor_seg_load_log(&s->seg, b, &s->dec);
  if (rc == -EBADMSG)
    return stor_seg_bad(s->st, &s->seg);
  if (rc < 0)
    return rc;
  s->st->bytes_read += b->bytes;
  /* A block is checked to its end before any record is served: the
   * reader's state right after opening is kept to read it again. Layout
   * 2 (the large blocks of compacted segments) keeps cursors in the
   * decoder too: it is opened again instead. */
  first = b->lrd;
  if (check_records(s, b) < 0)
    return stor_seg_bad(s->st, &s->seg);
  b->lrd = first;
  if (first.hdr.layout == STOR_LOG_LAYOUT2 &&
      stor_logblock_reader_init(&b->lrd, &s->dec, s->seg.buf, b->bytes) < 0)
    return stor_seg_bad(s->st, &s->seg);
  s->st->blocks_read++;
  return serve_records(s, shard, b);
}

/* One segment of the walk (a stor_walk_fn). */
static int log_segment(void *arg, unsigned shard, int dir_fd, uint64_t seq) {
  struct logscan_state *s = arg;
  char name[32];
  int rc;

  stor_segment_name(seq, name, sizeof(name));
  if ((rc = stor_seg_open(&s->seg, dir_fd, name)) < 0)
    return rc == -ENOENT ? 0 : rc;  /* retention removed it meanwhile */
  s->st->segments++;
  s->pos = (struct stor_logpos){.shard = shard, .segment = seq};
  if (s->q->newest_first)
    rc = stor_seg_each_backward(&s->seg, shard, STOR_KIND_LOGS,
                                s->q->deadline_ms, s->st, &s->offs,
                                log_block, s);
  else
    rc = stor_seg_each(&s->seg, shard, STOR_KIND_LOGS, s->q->deadline_ms,
                       s->st, log_block, s);
  stor_seg_close(&s->seg);
  return rc;
}

int stor_logscan_run(const struct stor_logscan *q, struct stor_scan_stats *st) {
  struct logscan_state *s = calloc(1, sizeof(*s));
  struct stor_walk w = {.data_dir = q->data_dir,
                        .deadline_ms = q->deadline_ms,
                        .st = st, .fn = log_segment, .arg = s,
                        .reverse = q->newest_first};
  int rc;

  if (s == NULL)
    return -ENOMEM;
  s->q = q;
  s->st = st;
  s->seg.fd = -1;
  rc = stor_logdec_init(&s->dec);
  if (rc == 0)
    rc = stor_walk_run(&w);
  stor_logdec_free(&s->dec);
  free(s->offs.v);
  free(s);
  return rc > 0 ? 0 : rc;
}
