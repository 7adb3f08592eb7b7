/*
 * storage/compact.h - compaction of a shard directory's sealed metric
 * segments into compacted segments (kind 4, format in
 * storage/compact_types.h), and reading them. Blocking file I/O and
 * allocation: offline (`sluice compact`, the end of `sluice import`) and
 * query threads only, never a shard.
 *
 * Crash safety. A pass takes a run of consecutive original segments
 * lo..hi, writes their points series-major to a temporary file
 * (<hi>.seg.tmp, not a segment name), fsyncs it, renames it over hi.seg,
 * fsyncs the directory, then deletes lo..hi-1 and fsyncs again. The
 * compacted segment's directory records lo and hi; a segment with a seq in
 * [lo, hi) beside it is a leftover that every reader skips
 * (stor_cseg_superseded) and that recovery and the next pass delete
 * (stor_compact_cleanup). So at every moment each point is served from
 * exactly one file: before the rename from the originals, after it from
 * the compacted segment.
 */
#ifndef SLUICE_STORAGE_COMPACT_H
#define SLUICE_STORAGE_COMPACT_H

#include <stdint.h>
#include <stdio.h>

#include "storage/compact_types.h"

/*
 * Compact the sealed segments of the shard directory dir_fd (named path
 * for messages on log, which may be NULL): first stor_compact_cleanup,
 * then passes over runs of original metric segments (a segment with log
 * blocks or a bad block is left as it is), each within points_max points
 * (0: STOR_COMPACT_POINTS_MAX, also its upper bound; the pass's memory is
 * about 24 bytes a point) and the bounds STOR_COMPACT_SERIES_MAX and
 * _KEY_BYTES_MAX. The directory must not be written meanwhile (the caller
 * holds the data dir's lock).
 * Returns 0, -ENOMEM, or -errno of a failed read, write, fsync or rename
 * (the originals are then intact).
 */
int stor_compact_dir(int dir_fd, const char *path, uint32_t points_max,
                     struct stor_compact_stats *st, FILE *log);

/*
 * stor_compact_dir within o (storage/compact_types.h): only the originals
 * o admits, in runs of consecutive admitted segments, stopping at the
 * first one it does not admit; no stor_compact_cleanup unless o->cleanup.
 * For a live shard directory (the compactor of `sluice run`): the shard
 * may go on writing newer segments meanwhile, readers may read (each
 * swap takes the swap lock) and retention may delete (it leaves the
 * pass's range alone). Returns as stor_compact_dir; -ENOENT when a
 * segment vanished under the pass (retention), -ECANCELED when *o->cancel
 * was set: the originals are intact.
 */
int stor_compact_dir_opts(int dir_fd, const char *path,
                          const struct stor_compact_opts *o,
                          struct stor_compact_stats *st, FILE *log);

/*
 * Finish or undo an interrupted pass in dir_fd: delete temporary files
 * and the segments a compacted segment replaces. Counts in
 * st->leftovers_deleted (st may be NULL). Returns 0 or -errno.
 */
int stor_compact_cleanup(int dir_fd, const char *path,
                         struct stor_compact_stats *st, FILE *log);

/*
 * The header rules of a kind-4 block from the first len bytes of buf
 * (the frame already passed stor_frame_read). Returns 0 or -EBADMSG.
 */
int stor_chdr_read(const uint8_t *buf, size_t len, struct stor_chdr *h);

/*
 * Mark skip[i] = 1 for every seqs[i] (n, ascending) of directory dir_fd
 * that a compacted segment beside it replaces (a leftover). A compacted
 * segment whose directory fails its checks replaces nothing.
 * Returns 0 or -errno (-ENOMEM).
 */
int stor_cseg_superseded(int dir_fd, const uint64_t *seqs, long n,
                         uint8_t *skip);

/*
 * Open segment name in dir_fd as a compacted segment (through the calling
 * thread's snapshot, as stor_seg_open): read and check its directory
 * (CRC32C, dictionary, index, block table).
 * Returns 1 and c ready; 0 when the file is not a compacted segment (c is
 * closed); -EBADMSG for a compacted segment that fails a check; -errno.
 */
int stor_cseg_open(struct stor_cseg *c, int dir_fd, const char *name);

/* stor_cseg_open of the open file fd, which c owns from now on (closed on
 * every return but 1; fd < 0 returns -EBADF). */
int stor_cseg_open_fd(struct stor_cseg *c, int fd);

/* Release c. Safe on a zeroed or failed c. */
void stor_cseg_close(struct stor_cseg *c);

/* Dictionary entry of series s (< c->series); the key points into c. */
void stor_cseg_key(const struct stor_cseg *c, uint32_t s,
                   struct stor_dict_entry *e);

/*
 * Decode index entry i (< c->runs) into ts_ms and value (room for
 * c->run[i].count), loading and checking its data block if not loaded.
 * Returns 0, -EBADMSG (the block or the run fails a check), or -errno.
 */
int stor_cseg_read_run(struct stor_cseg *c, uint32_t i, int64_t *ts_ms,
                       double *value);

/*
 * ---- Swaps and snapshots (storage/compact_swap.c) ----
 *
 * Every rename or unlink of a segment in a directory that readers may be
 * listing (a compaction's swap and deletes, retention) is made under
 * stor_swap_lock; a reader lists and opens a shard's segments under the
 * same lock held shared (stor_snap_take), then reads its open files. One
 * process-wide lock: swaps are rare and short.
 */
void stor_swap_lock(void);
void stor_swap_unlock(void);

/* The range [lo, hi] of directory dir_fd that a pass is working on, until
 * stor_swap_busy_clear (takes the lock). */
void stor_swap_busy_set(int dir_fd, uint64_t lo, uint64_t hi);
void stor_swap_busy_clear(void);

/* 1 when segment seq of the directory (st_dev, st_ino) is in the range of
 * a pass at work: retention leaves it. The caller holds stor_swap_lock. */
int stor_swap_busy(uint64_t dir_dev, uint64_t dir_ino, uint64_t seq);

/*
 * Take a snapshot of shard directory dir_fd (named path): its segments
 * listed and opened under the swap lock held shared, the ones a compacted
 * segment of the snapshot replaces marked in s->skip. When descriptors
 * run short the lock stays held until stor_snap_free instead.
 * Returns 0, or -errno (-ENOENT: no directory; -E2BIG over
 * STOR_SEGMENTS_MAX; -ENOMEM).
 */
int stor_snap_take(struct stor_snap *s, int dir_fd, const char *path);

/* Close the snapshot's files (and release the lock it may hold). */
void stor_snap_free(struct stor_snap *s);

/* Make s the calling thread's snapshot (NULL: none): stor_seg_open and
 * stor_cseg_open of a segment in s->dir_fd open s's file. */
void stor_snap_use(const struct stor_snap *s);

/*
 * Open segment name of dir_fd for reading: the calling thread's snapshot's
 * file when it has one for that name (a duplicate descriptor; -1 with
 * errno ENOENT when it was gone at the snapshot), else openat. Returns the
 * descriptor or -1 (errno).
 */
int stor_snap_openat(int dir_fd, const char *name);

/*
 * ---- Direct compaction (storage/compact.c) ----
 *
 * Start one in *d for cfg (storage/compact_types.h): allocates a pass
 * (about 24 bytes a point of cfg->points_max) and a map of series ids.
 * Blocking file I/O: offline only (`sluice import`), never a shard of
 * `sluice run`. Returns 0, -EINVAL, or -ENOMEM.
 */
int stor_direct_open(struct stor_direct **d, const struct stor_direct_cfg *cfg);

/*
 * Take one sealed head's points (consumes one block seq). When they would
 * take the pass past its point bound, or its keys past
 * STOR_COMPACT_SERIES_MAX or STOR_COMPACT_KEY_BYTES_MAX, the pass is
 * first written as a compacted segment (tmp file, fsync, rename, fsync
 * of the directory: a crash leaves the tmp file, which recovery deletes).
 * Returns 0; -E2BIG when the head alone is over the key bounds (nothing
 * of it taken, no block seq consumed; what came before is written);
 * -errno of a failed write or -ENOMEM (the pass and the head are then
 * dropped and counted in st->points_lost).
 */
int stor_direct_add(struct stor_direct *d, const struct stor_points *pts);

/*
 * Write what the pass holds as a compacted segment (nothing when empty).
 * Returns 0 or -errno (the pass is then dropped and counted in
 * st->points_lost).
 */
int stor_direct_flush(struct stor_direct *d);

/* The next segment and block seqs a writer taking over would use. */
void stor_direct_next(const struct stor_direct *d, uint64_t *seg_seq,
                      uint64_t *block_seq);

/* Release d (what it holds is not written: stor_direct_flush first).
 * Safe on NULL. */
void stor_direct_free(struct stor_direct *d);

#endif
