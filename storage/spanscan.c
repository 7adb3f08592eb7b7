/*
 * storage/spanscan.c - the span scan (see storage/spanscan.h), for the
 * query port's trace routes. It reads segments through storage/reader.h
 * and walks them with storage/reader_internal.h, as the log scan does.
 *
 * A lookup by trace id reads a span block's header and trace table (16
 * bytes a distinct trace) and goes on unless the id is there: most blocks
 * cost a small pread, not an inflate (perf/RESULTS.md, "Span blocks").
 * Memory is bounded: one block buffer (up to the largest block a writer
 * writes) and one span decoder, allocated once per scan.
 */
#include "storage/spanscan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/assert.h"
#include "storage/reader.h"
#include "storage/reader_internal.h"
#include "storage/recover.h"
#include "storage/spanblock.h"

struct spanscan_state {
  const struct stor_spanscan *q;
  struct stor_scan_stats *st;
  struct stor_seg_reader seg;
  struct stor_spandec dec;
  struct stor_offsets offs;  /* newest_first: span block offsets */
};

/* The caller's floor now (it may rise between calls). */
static int64_t floor_of(const struct stor_spanscan *q) {
  return q->floor ? q->floor(q->ctx) : INT64_MIN;
}

static int wanted(const struct stor_spanscan *q, const struct stor_span *s) {
  return s->start_ns >= q->start_ns && s->start_ns <= q->end_ns &&
         s->start_ns >= floor_of(q) &&
         (q->trace_id == NULL ||
          memcmp(s->trace_id, q->trace_id, STOR_TRACE_ID_BYTES) == 0);
}

/* Hand the loaded block's wanted spans to q->fn: 0, 1 (stop) or fn's
 * error. The block was decoded to its end once already. */
static int serve(struct spanscan_state *s, unsigned shard,
                 struct stor_seg_block *b) {
  const struct stor_spanscan *q = s->q;
  struct stor_span sp;
  int rc;

  while ((rc = stor_spanblock_next(&b->srd, &sp)) == 1) {
    if (!wanted(q, &sp))
      continue;
    s->st->spans++;
    if ((rc = q->fn(q->ctx, shard, &sp)) != 0)
      return rc < 0 ? rc : 1;
  }
  ASSERT(rc == 0); /* decoding is repeatable */
  return 0;
}

/* 1 when the block's trace table lacks q->trace_id (read from disk). */
static int trace_absent(struct spanscan_state *s, struct stor_seg_block *b,
                        int *err) {
  size_t n = stor_spanblock_traces_end(&b->shdr);

  *err = 0;
  if (s->q->trace_id == NULL)
    return 0;
  if ((*err = stor_seg_read_part(&s->seg, b, n)) < 0)
    return 0;
  s->st->bytes_read += n;
  return !stor_spanblock_has_trace(&b->shdr,
                                   s->seg.buf + STOR_BLOCK_HEADER_BYTES,
                                   s->q->trace_id);
}

static int span_block(void *arg, unsigned shard, struct stor_seg_block *b) {
  struct spanscan_state *s = arg;
  const struct stor_spanscan *q = s->q;
  struct stor_spanblock_reader first;
  struct stor_span sp;
  int rc;

  if (b->shdr.max_ns < q->start_ns || b->shdr.min_ns > q->end_ns ||
      b->shdr.max_ns < floor_of(q)) {
    s->st->blocks_skipped++;
    return 0;
  }
  if (trace_absent(s, b, &rc)) {
    s->st->blocks_skipped++;
    return 0;
  }
  if (rc < 0)
    return rc;
  rc = stor_seg_load_spans(&s->seg, b, &s->dec);
  if (rc == -EBADMSG)
    return stor_seg_bad(s->st, &s->seg);
  if (rc < 0)
    return rc;
  s->st->bytes_read += b->bytes;
  first = b->srd;
  while ((rc = stor_spanblock_next(&b->srd, &sp)) == 1)
    ;
  if (rc < 0)
    return stor_seg_bad(s->st, &s->seg);
  b->srd = first;
  s->st->blocks_read++;
  return serve(s, shard, b);
}

/* One segment of the walk (a stor_walk_fn). */
static int span_segment(void *arg, unsigned shard, int dir_fd, uint64_t seq) {
  struct spanscan_state *s = arg;
  char name[32];
  int rc;

  stor_segment_name(seq, name, sizeof(name));
  if ((rc = stor_seg_open(&s->seg, dir_fd, name)) < 0)
    return rc == -ENOENT ? 0 : rc; /* retention removed it meanwhile */
  s->st->segments++;
  if (s->q->newest_first)
    rc = stor_seg_each_backward(&s->seg, shard, STOR_KIND_SPANS,
                                s->q->deadline_ms, s->st, &s->offs,
                                span_block, s);
  else
    rc = stor_seg_each(&s->seg, shard, STOR_KIND_SPANS, s->q->deadline_ms,
                       s->st, span_block, s);
  stor_seg_close(&s->seg);
  return rc;
}

int stor_spanscan_run(const struct stor_spanscan *q,
                      struct stor_scan_stats *st) {
  struct spanscan_state *s = calloc(1, sizeof(*s));
  struct stor_walk w = {.data_dir = q->data_dir,
                        .deadline_ms = q->deadline_ms,
                        .st = st, .fn = span_segment, .arg = s,
                        .reverse = q->newest_first};
  int rc;

  if (s == NULL)
    return -ENOMEM;
  s->q = q;
  s->st = st;
  s->seg.fd = -1;
  rc = stor_spandec_init(&s->dec);
  if (rc == 0)
    rc = stor_walk_run(&w);
  stor_spandec_free(&s->dec);
  free(s->offs.v);
  free(s);
  return rc > 0 ? 0 : rc;
}
