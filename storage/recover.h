/*
 * storage/recover.h - start-up check of a shard's segments.
 *
 * Runs before the shard starts (blocking I/O is fine there). Every block of
 * every segment is checked (metric blocks: header and CRC32C; log blocks:
 * header, CRC32C, string table and inflate of the stream; any other kind
 * fails); a segment is cut at its first block that fails
 * (a torn write: only the tail can be torn, since a shard writes one block
 * at a time at the end of its newest segment). Cuts are logged and counted.
 */
#ifndef SLUICE_STORAGE_RECOVER_H
#define SLUICE_STORAGE_RECOVER_H

#include <stdint.h>
#include <stdio.h>

struct stor_recovery {
  uint64_t segments;          /* segment files checked */
  uint64_t blocks;            /* good blocks, metric and log */
  uint64_t truncated_bytes;   /* bytes cut off torn tails */
  uint64_t removed_segments;  /* empty files removed */
  uint64_t max_seg_seq;       /* newest segment seen (0: none) */
  uint64_t max_block_seq;     /* newest good block of either kind (0: none) */
};

/*
 * Check and repair every segment in the directory dir_fd (named path, for
 * messages). Messages about cuts go to log (may be NULL). One block buffer
 * and one log decoder scratch (stor_logdec) are allocated per call.
 * Returns 0, -ENOMEM, or -errno when the directory cannot be read; a file
 * that cannot be opened or cut is reported on log and skipped.
 */
int stor_recover_dir(int dir_fd, const char *path, struct stor_recovery *out,
                     FILE *log);

/* Size of a buffer that holds any block a writer may write. */
size_t stor_block_buf_bytes(void);

/* File name of segment seq: 16 decimal digits and ".seg" (len >= 21). */
void stor_segment_name(uint64_t seq, char *buf, unsigned len);

/*
 * 1 when name is a segment file name ("<16 digits>.seg"), with *seq set.
 */
int stor_segment_seq(const char *name, uint64_t *seq);

#endif
