/*
 * storage/reader_internal.h - what storage/reader.c gives the metric scan
 * (storage/scan.c) and the log scan (storage/logscan.c) and no one else:
 * the walk over a data directory's segments, the deadline test, and the
 * counting of blocks that end a segment, so both scans count alike.
 */
#ifndef SLUICE_STORAGE_READER_INTERNAL_H
#define SLUICE_STORAGE_READER_INTERNAL_H

#include <stdint.h>

#include "storage/reader_types.h"

/* One segment of a walk; a non-zero return ends the walk with it. */
typedef int (*stor_walk_fn)(void *arg, unsigned shard, int dir_fd,
                            uint64_t seq);

/* A walk over every segment of every shard of a data directory. */
struct stor_walk {
  const char *data_dir;      /* holds shard-<K>/ directories */
  int64_t deadline_ms;       /* CLOCK_MONOTONIC, ms; 0: none */
  struct stor_scan_stats *st; /* shards counted here */
  stor_walk_fn fn;
  void *arg;
  int reverse;               /* segments by descending seq */
};

/*
 * Call w->fn for every segment in order: shards by id, segments by seq
 * (descending with w->reverse). A shard or data directory that vanished
 * meanwhile is empty.
 * Returns 0, fn's first non-zero return, -ETIME past w->deadline_ms (tested
 * before each segment), or -errno when a directory cannot be read.
 */
int stor_walk_run(const struct stor_walk *w);

/* A good block of the kind a scan wants (stor_seg_each); a non-zero
 * return ends the segment's walk with it. */
typedef int (*stor_block_fn)(void *arg, unsigned shard,
                             struct stor_seg_block *b);

/*
 * Step through the open segment seg of shard: fn for every good block of
 * kind (others passed over), blocks that end the segment counted in st
 * (stor_count_stop). Returns 0 at the segment's end, fn's non-zero
 * return, -ETIME past deadline_ms (tested before each block), or -errno.
 * The caller closes seg.
 */
int stor_seg_each(struct stor_seg_reader *seg, unsigned shard, uint8_t kind,
                  int64_t deadline_ms, struct stor_scan_stats *st,
                  stor_block_fn fn, void *arg);

/* Offsets of one segment's blocks (stor_seg_each_backward); the caller
 * frees v. */
struct stor_offsets {
  uint64_t *v;
  size_t n, cap;
};

/*
 * stor_seg_each, last block first: the offsets of the segment's good
 * blocks of kind are collected into o (up to the first block that ends
 * the segment, counted), then each block's header is read again and fn
 * called, newest first. A block fn finds bad (stor_seg_bad) is passed
 * over and the older ones are still read. Returns as stor_seg_each, or
 * -ENOMEM.
 */
int stor_seg_each_backward(struct stor_seg_reader *seg, unsigned shard,
                           uint8_t kind, int64_t deadline_ms,
                           struct stor_scan_stats *st, struct stor_offsets *o,
                           stor_block_fn fn, void *arg);

/* 1 when CLOCK_MONOTONIC is past deadline_ms, else 0 (deadline_ms 0: never). */
int stor_deadline_passed(int64_t deadline_ms);

/* A block failed a check after its header: count it bad and end its
 * segment there. Returns 0 (the scan goes on with the next segment). */
int stor_seg_bad(struct stor_scan_stats *st, struct stor_seg_reader *seg);

/* Count a block that stor_seg_next said ends its segment: partial when the
 * file ends inside it, else bad. */
void stor_count_stop(struct stor_scan_stats *st,
                     const struct stor_seg_block *b);

#endif
