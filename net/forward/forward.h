/*
 * net/forward/forward.h - forwarding what the shards store to Prometheus
 * remote-write targets (docs/forwarding.md).
 *
 * One thread per target, off the shard threads: it tails each shard's
 * durable blocks from a cursor kept in the data directory, sends them as
 * remote-write 1.0 (snappy-compressed protobuf) over HTTP/1.1 or https,
 * retries with backoff, and saves the cursor after each answer. The
 * segments are the disk buffer: a target that is down is replayed from
 * its cursor when it returns, for as long as retention keeps them.
 * Blocking I/O is fine there; every wait has a deadline and wakes at stop.
 */
#ifndef SLUICE_NET_FORWARD_FORWARD_H
#define SLUICE_NET_FORWARD_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "net/forward/forward_types.h"

struct core_strbuf;
struct net_fwd;

/* ---- options (core/cmd/config.c hands these names over) ---------------- */

/* Fill c with the defaults: no target, batch bounds from limits.h.
 * "forward-syslog" (HOST:PORT, repeatable) adds a syslog target. */
void net_fwd_config_defaults(struct net_fwd_config *c);

/*
 * Apply option `name` (without "--"): "remote-write" adds a target; the
 * per-target options ("remote-write-header", "-basic-auth", "-bearer-token-
 * file", "-ca-file") apply to the last target added; "remote-write-batch-
 * samples" and "-batch-age-ms" to all.
 * Returns 0, -ENOENT when name is not a forwarding option, -EINVAL with a
 * message in err naming the option, the value and the fix.
 */
int net_fwd_config_set(struct net_fwd_config *c, const char *name,
                       const char *val, char *err, size_t errlen);

/*
 * The value of option `name` as text for comparisons (SIGHUP): the URLs,
 * header names and file paths of every target, never a secret.
 * Returns 0, or -ENOENT for a name that is not a forwarding option.
 */
int net_fwd_config_show(const struct net_fwd_config *c, const char *name,
                        char *out, size_t n);

/*
 * Parse an http:// or https:// URL into u. No user:password@ (use the
 * basic-auth option), no fragment.
 * Returns 0, or -EINVAL with the reason in err.
 */
int net_fwd_url_parse(const char *s, struct net_fwd_url *u, char *err,
                      size_t errlen);

/*
 * Parse HOST:PORT or [V6]:PORT (--forward-syslog) into u (host, port,
 * authority). Returns 0, or -EINVAL with the reason in err.
 */
int net_fwd_hostport_parse(const char *s, struct net_fwd_url *u, char *err,
                           size_t errlen);

/*
 * The target's id: host_port_path with every byte outside [A-Za-z0-9.-]
 * made '_', cut to NET_FWD_ID_BYTES_MAX - 1 bytes. It names the target's
 * cursor directory and its /metrics label.
 */
void net_fwd_target_id(const struct net_fwd_url *u, char *out, size_t n);

/* ---- retry schedule ------------------------------------------------------ */

/*
 * Delay before retry number `attempt` (0 for the first retry):
 * exponential from NET_FWD_BACKOFF_MIN_MS, capped at NET_FWD_BACKOFF_MAX_MS,
 * with "equal jitter" (half fixed, half drawn from rnd), so that targets
 * failing together do not retry in step. retry_after_ms (0: none) from
 * the target's Retry-After raises the delay, up to
 * NET_FWD_RETRY_AFTER_MAX_MS. Returns milliseconds.
 */
uint32_t net_fwd_backoff_ms(unsigned attempt, uint64_t rnd,
                            uint32_t retry_after_ms);

/*
 * A Retry-After value: delay-seconds or an HTTP-date (IMF-fixdate),
 * against now_s (Unix seconds). Returns milliseconds (0 for a date in
 * the past), or -1 when the value is neither.
 */
int64_t net_fwd_retry_after_ms(const char *v, size_t len, int64_t now_s);

/* ---- cursors ------------------------------------------------------------- */

/*
 * Read the cursor file path into c.
 * Returns 0, -ENOENT when there is none (a new target), -EBADMSG when the
 * file is not a whole cursor (garbage, cut, a checksum that does not
 * match: why says what), or -errno.
 */
int net_fwd_cursor_load(const char *path, struct net_fwd_cursor *c,
                        const char **why);

/*
 * Replace the cursor file `name` in directory dir_fd by c atomically:
 * write name.tmp, fsync it, rename over name, fsync the directory. A
 * crash leaves the old or the new cursor, never a mix.
 * Returns 0 or -errno.
 */
int net_fwd_cursor_save(int dir_fd, const char *name,
                        const struct net_fwd_cursor *c);

/* ---- the forwarder ------------------------------------------------------- */

/* What the forwarder reads of the running daemon. */
struct net_fwd_env {
  const char *data_dir;
  unsigned shard_count;
  /* per shard: blocks with a sequence number <= *durable_seq[k] are
   * fsynced (storage's published gauge); read atomically */
  const uint64_t *durable_seq[CORE_SHARDS_MAX];
  /* per shard: the segment the shard starts with (a new target's cursors
   * start there: it gets what arrives from now on) */
  uint64_t first_segment[CORE_SHARDS_MAX];
};

/*
 * Check every target (URL, files, cursors), create
 * <data-dir>/forward/<id>/ and start one thread per target. Nothing is
 * started without targets (*out = NULL).
 * Returns 0, or -errno with a message naming the target, the file and
 * the fix in err (nothing is left running).
 */
int net_fwd_start(struct net_fwd **out, const struct net_fwd_config *cfg,
                  const struct net_fwd_env *env, char *err, size_t errlen);

/*
 * Stop the threads (each wakes from any wait at once; a request in
 * flight is abandoned and sent again at the next start) and free f.
 * Cursors stay as last saved. f may be NULL.
 */
void net_fwd_stop(struct net_fwd *f);

/*
 * The lowest segment seq of shard `shard` that some target's durable
 * cursor may still read (every target has sent, and saved a cursor past,
 * the segments below it): what background compaction may replace.
 * UINT64_MAX with no target (f NULL). Any thread, while f runs.
 */
uint64_t net_fwd_passed_segment(const struct net_fwd *f, unsigned shard);

/* Append the sluice_forward_* families of every target to out. f may be
 * NULL (nothing is appended). */
void net_fwd_render(const struct net_fwd *f, struct core_strbuf *out);

#endif
