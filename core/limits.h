/*
 * core/limits.h - every bound sluice enforces, in one place.
 *
 * Why one header: a bound that lives next to the code using it is easy to
 * change without noticing what depends on it. Here each relation between
 * bounds is a _Static_assert, so a change that breaks one fails the build.
 * Units are the last word of every name (_bytes, _ms, _ns, _max, _count).
 */
#ifndef SLUICE_CORE_LIMITS_H
#define SLUICE_CORE_LIMITS_H

/* ---- shards ---------------------------------------------------------- */
#define CORE_SHARDS_MAX 256           /* shards (pinned threads) per process */

/* ---- StatsD lines -------------------------------------------------------- */
#define CORE_LINE_BYTES_MAX_DEFAULT 8192   /* --max-line-bytes default */
#define CORE_LINE_BYTES_MAX_LIMIT 65536    /* largest --max-line-bytes accepted */
#define CORE_LINE_BYTES_MIN_LIMIT 64       /* smallest --max-line-bytes accepted */
#define CORE_STATSD_TAGS_MAX 64            /* DogStatsD tags kept per line */
#define CORE_STATSD_VALUES_MAX 64          /* DogStatsD 1.1 packed values per line */
#define CORE_STATSD_NAME_BYTES_MAX 1024    /* metric name length */

/* ---- series dictionary (per shard) --------------------------------------- */
#define CORE_SERIES_MAX_DEFAULT (1u << 20)  /* --max-series default */
#define CORE_SERIES_MAX_LIMIT (1u << 26)    /* largest --max-series accepted */
#define CORE_SERIES_KEY_BYTES_MAX 4096      /* canonical key: name + sorted tags */
#define CORE_SERIES_KEY_BYTES_AVG 192       /* key arena = max_series * this */

/* ---- head (open block) buffers (per shard) ------------------------------- */
#define CORE_HEAD_POINTS_MAX 65536          /* points before the head seals */
#define CORE_HEAD_AGE_MS_DEFAULT 1000       /* --block-max-age-ms default */

/* ---- io_uring (per shard) ------------------------------------------------ */
#define NET_RING_ENTRIES 1024              /* SQ entries; CQ is twice that */
#define NET_UDP_BUF_BYTES 65536            /* one provided buffer = one datagram */
#define NET_UDP_BUFS_COUNT 256             /* provided buffers for UDP (power of 2) */
#define NET_TCP_BUF_BYTES 16384            /* one provided buffer for TCP recv */
#define NET_TCP_BUFS_COUNT 512             /* provided buffers for TCP (power of 2) */
#define NET_TCP_CONNS_PER_SHARD_MAX 1024   /* open TCP connections per shard */
#define NET_UDP_RCVBUF_BYTES_DEFAULT (8 << 20) /* SO_RCVBUF asked for */
#define NET_TICK_MS 100                    /* shard wakes at least this often */
#define NET_DRAIN_DATAGRAMS_MAX 65536      /* datagrams read at shutdown */

/* ---- control ring (main thread -> shard) --------------------------------- */
#define CORE_CTL_RING_ENTRIES 64           /* SPSC control messages (power of 2) */

/* ---- HTTP (query port) --------------------------------------------------- */
#define NET_HTTP_HEADER_BYTES_MAX 16384    /* request line + headers */
#define NET_HTTP_BODY_BYTES_MAX (64 << 20) /* request body after de-chunking */
#define NET_HTTP_CONNS_MAX 256             /* open query-port connections */
#define NET_HTTP_READ_TIMEOUT_MS 10000     /* idle or slow request is closed */
#define NET_HTTP_RESPONSE_BYTES_MAX (256 << 20) /* one response body */

/* ---- shutdown ------------------------------------------------------------ */
#define CORE_STOP_TIMEOUT_MS 2000          /* SIGTERM to exit */

/* ---- relations ----------------------------------------------------------- */
_Static_assert(CORE_SHARDS_MAX <= 1024, "shard ids fit the stats label width");
_Static_assert(CORE_LINE_BYTES_MAX_DEFAULT <= CORE_LINE_BYTES_MAX_LIMIT,
               "default line bound within the limit");
_Static_assert(CORE_LINE_BYTES_MIN_LIMIT <= CORE_LINE_BYTES_MAX_DEFAULT,
               "default line bound above the minimum");
_Static_assert(CORE_LINE_BYTES_MAX_LIMIT <= NET_UDP_BUF_BYTES,
               "a maximal line fits one UDP buffer");
_Static_assert(NET_UDP_BUF_BYTES >= 65507 + 256,
               "a maximal UDP datagram plus recvmsg header fits one buffer");
_Static_assert(CORE_STATSD_NAME_BYTES_MAX < CORE_SERIES_KEY_BYTES_MAX,
               "a name fits a series key");
_Static_assert(CORE_SERIES_KEY_BYTES_AVG <= CORE_SERIES_KEY_BYTES_MAX,
               "average key below the maximal key");
_Static_assert(CORE_STATSD_VALUES_MAX <= 64, "gauge delta flags fit a uint64_t");
_Static_assert((NET_UDP_BUFS_COUNT & (NET_UDP_BUFS_COUNT - 1)) == 0,
               "buffer ring sizes are powers of two");
_Static_assert((NET_TCP_BUFS_COUNT & (NET_TCP_BUFS_COUNT - 1)) == 0,
               "buffer ring sizes are powers of two");
_Static_assert(NET_UDP_BUFS_COUNT + NET_TCP_BUFS_COUNT <= 32768,
               "buffer ids fit 16 bits");
_Static_assert((CORE_CTL_RING_ENTRIES & (CORE_CTL_RING_ENTRIES - 1)) == 0,
               "control ring size is a power of two");
_Static_assert(NET_TICK_MS * 4 <= CORE_STOP_TIMEOUT_MS,
               "a shard notices stop well within the stop timeout");
_Static_assert(NET_TICK_MS <= CORE_HEAD_AGE_MS_DEFAULT,
               "the tick is finer than the head age bound");
_Static_assert(CORE_LINE_BYTES_MAX_LIMIT <= NET_HTTP_BODY_BYTES_MAX,
               "a line can arrive in one HTTP body");

#endif
