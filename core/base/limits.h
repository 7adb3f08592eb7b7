/*
 * core/base/limits.h - every bound sluice enforces, in one place.
 *
 * Why one header: a bound that lives next to the code using it is easy to
 * change without noticing what depends on it. Here each relation between
 * bounds is a _Static_assert, so a change that breaks one fails the build.
 * Units are the last word of every name (_bytes, _ms, _ns, _max, _count).
 */
#ifndef SLUICE_CORE_BASE_LIMITS_H
#define SLUICE_CORE_BASE_LIMITS_H

#include <float.h>

/* ---- shards ---------------------------------------------------------- */
#define CORE_SHARDS_MAX 256           /* shards (pinned threads) per process */
#define CORE_CPUS_MAX 1024            /* CPU ids accepted by --cores (CPU_SETSIZE) */

/* ---- StatsD lines -------------------------------------------------------- */
#define CORE_LINE_BYTES_MAX_DEFAULT 8192   /* --max-line-bytes default */
#define CORE_LINE_BYTES_MAX_LIMIT 65536    /* largest --max-line-bytes accepted */
#define CORE_LINE_BYTES_MIN_LIMIT 64       /* smallest --max-line-bytes accepted */
#define CORE_STATSD_TAGS_MAX 64            /* DogStatsD tags kept per line */
#define CORE_STATSD_VALUES_MAX 64          /* DogStatsD 1.1 packed values per line */
#define CORE_STATSD_NAME_BYTES_MAX 1024    /* metric name length */
#define CORE_STATSD_NUMBER_BYTES_MAX 128   /* one value/rate token, sign and exponent included */
#define CORE_STATSD_TIMESTAMP_DIGITS_MAX 18 /* |T digits: any such value fits an int64_t */
#define CORE_STATSD_SCAN_BYTES 4096       /* SIMD parser: bytes scanned into bitmaps at a time */
#define CORE_STATSD_BATCH_LINES_MAX 64    /* lines core_statsd_parse_buf_batch hands over at once */
/* Smallest |@rate accepted: the least normal double (2.2250738585072014e-308).
 * A subnormal rate would make 1/rate, a counter's scale and a timer's
 * weight, overflow to +Inf. */
#define CORE_STATSD_RATE_MIN DBL_MIN

/* ---- syslog messages and TCP frames --------------------------------------- */
#define CORE_SYSLOG_BYTES_MAX_DEFAULT 65536  /* --syslog-max-bytes default */
#define CORE_SYSLOG_BYTES_MAX_LIMIT (1u << 20) /* largest --syslog-max-bytes */
#define CORE_SYSLOG_BYTES_MIN_LIMIT 480      /* smallest: RFC 5424 6.1 MUST */
#define CORE_SYSLOG_HOSTNAME_BYTES_MAX 255   /* RFC 5424 HOSTNAME */
#define CORE_SYSLOG_APP_NAME_BYTES_MAX 48    /* RFC 5424 APP-NAME, 3164 TAG */
#define CORE_SYSLOG_PROCID_BYTES_MAX 128     /* RFC 5424 PROCID, 3164 [pid] */
#define CORE_SYSLOG_MSGID_BYTES_MAX 32       /* RFC 5424 MSGID */
#define CORE_SYSLOG_SD_NAME_BYTES_MAX 32     /* RFC 5424 SD-ID, PARAM-NAME */
#define CORE_SYSLOG_SD_ATTRS_MAX 64          /* SD params (and empty SD
                                                elements) kept per message */
#define CORE_SYSLOG_FRAME_COUNT_DIGITS_MAX 18 /* octet count digits (RFC 6587) */

/* ---- series dictionary (per shard) --------------------------------------- */
#define CORE_SERIES_MAX_DEFAULT (1u << 20)  /* --max-series default */
#define CORE_SERIES_MAX_LIMIT (1u << 26)    /* largest --max-series accepted */
#define CORE_SERIES_KEY_BYTES_MAX 4096      /* canonical key: name + sorted tags */
#define CORE_SERIES_KEY_BYTES_AVG 192       /* key arena = max_series * this */
#define CORE_SERIES_SLOTS_MIN 4096          /* first slot table (grows by doubling) */
#define CORE_RAWKEY_SETS 32768              /* StatsD raw key cache of a pipeline
                                               (core/ingest/rawkey.c): sets of ... */
#define CORE_RAWKEY_WAYS 4                  /* ... entries (16 bytes; 4 fill a
                                               cache line: 2 MiB mapped) ... */
#define CORE_RAWKEY_BYTES_MAX 120           /* ... each with a slot of a line's
                                               name and tag bytes as sent (plus
                                               8 bytes of weight: 16 MiB mapped,
                                               pages touched as used); longer
                                               lines take the dictionary alone.
                                               16,384 sets missed 4.4% of a
                                               50,000-series Zipf file's lines
                                               (sets of more than 4 in use) */

/* ---- head (open block) buffers (per shard) ------------------------------- */
#define CORE_HEAD_POINTS_MAX 65536          /* points before the head seals */
#define CORE_PIPE_WINDOW_LINES 16           /* StatsD lines whose series are
                                               looked up together (prefetch) */
#define CORE_HEAD_AGE_MS_DEFAULT 1000       /* --block-max-age-ms default */
#define CORE_HEAD_AGE_MS_MIN 1             /* smallest --block-max-age-ms (the
                                              shard tick rounds it up) */
#define CORE_HEAD_AGE_MS_MAX 3600000       /* largest --block-max-age-ms (1 h) */

/* ---- log head (the open log block, per shard) ---------------------------- */
#define CORE_LOGHEAD_RECORDS_MAX 8192       /* records before the log head seals */
#define CORE_LOGHEAD_ATTRS_MAX 65536        /* SD attributes in one log block */
#define CORE_LOGHEAD_ARENA_BYTES (8u << 20) /* message bytes copied into one
                                               log block (with unescaped SD) */
#define CORE_LOGHEAD_TEXT_BYTES_MAX (12u << 20) /* sum of the records'
                                               stor_logblock_rec_text_bytes */

/* ---- spans (OTLP traces: core/ingest/spanmap.c; a span over a bound is
 * rejected whole and counted in sluice_otlp_rejected_spans_total) ------ */
#define CORE_SPAN_EVENTS_MAX 128           /* events of one span */
#define CORE_SPAN_LINKS_MAX 128            /* links of one span */
#define CORE_SPAN_ATTRS_MAX 1024           /* attributes of a span, its events
                                              and links together */
#define CORE_SPAN_NAME_BYTES_MAX 1024      /* span and event names, attribute
                                              keys */
#define CORE_SPAN_VALUE_BYTES_MAX 65536    /* one attribute value, status
                                              message or trace state */
#define CORE_SPAN_BYTES_MAX (1u << 20)     /* every byte a span, its events
                                              and links copy into the head */
#define CORE_SPAN_RESOURCE_BYTES_MAX (256u << 10) /* a resource's attributes
                                              and scope */

/* ---- span head (the open span block, per shard) ------------------------- */
#define CORE_SPANHEAD_SPANS_MAX 4096       /* spans before the span head seals */
#define CORE_SPANHEAD_EVENTS_MAX 16384     /* events in one span block */
#define CORE_SPANHEAD_LINKS_MAX 4096       /* links in one span block */
#define CORE_SPANHEAD_ATTRS_MAX 65536      /* attributes of spans, events and
                                              links in one span block */
#define CORE_SPANHEAD_RESOURCES_MAX 1024   /* distinct resource+scope entries */
#define CORE_SPANHEAD_RES_ATTRS_MAX 16384  /* their attributes */
#define CORE_SPANHEAD_ARENA_BYTES (8u << 20) /* span bytes copied into one block */

/* ---- io_uring (per shard) ------------------------------------------------ */
#define CORE_RING_ENTRIES 1024             /* SQ entries; CQ is twice that */
#define CORE_RING_OWNERS_MAX 8             /* handlers registered on one ring */
#define CORE_RING_PARKED_MAX 4096          /* CQEs parked while an owner waits */
#define NET_UDP_BUF_BYTES (65536 + 512)    /* one provided buffer = one datagram + header */
#define NET_UDP_BUFS_COUNT 256             /* provided buffers for UDP (power of 2) */
#define NET_TCP_BUF_BYTES 16384            /* one provided buffer for TCP recv */
#define NET_TCP_BUFS_COUNT 512             /* provided buffers for TCP (power of 2) */
#define NET_TCP_CONNS_PER_SHARD_MAX 1024   /* open TCP connections per shard */
#define NET_UDP_RCVBUF_BYTES_DEFAULT (8 << 20) /* SO_RCVBUF asked for */
#define NET_UDP_RCVBUF_BYTES_MIN 4096      /* smallest --udp-rcvbuf-bytes */
#define NET_UDP_RCVBUF_BYTES_MAX (512 << 20) /* largest: the kernel doubles it in an int */
#define NET_TCP_CONNS_PER_SHARD_MIN 1      /* smallest --max-tcp-connections */
#define CORE_TICK_MS 100                   /* shard wakes at least this often */
#define NET_DRAIN_DATAGRAMS_MAX 65536      /* datagrams read at shutdown */

/* ---- DPDK receive back end (net/dpdk.c, docs/dpdk.md) ------------------ */
#define NET_DPDK_RX_DESC 4096              /* RX descriptors per queue: frames the
                                              NIC holds while the shard sleeps */
#define NET_DPDK_TX_DESC 512               /* TX descriptors per queue (ARP) */
#define NET_DPDK_BURST 32                  /* frames per rte_eth_rx_burst */
#define NET_DPDK_POOL_CACHE 256            /* mbufs cached per lcore */
#define NET_DPDK_MBUF_BYTES (2048 + 128)   /* data room + headroom: a 1500-byte
                                              MTU frame fits one mbuf */
#define NET_DPDK_IDLE_POLLS 256            /* empty bursts before waiting */
#define NET_DPDK_IDLE_WAIT_US 100          /* then wait on the ring this long */
#define NET_DPDK_EAL_ARGS_MAX 64           /* words in --dpdk */
#define NET_DPDK_EAL_ARGS_BYTES 4096       /* its length */
#define NET_DPDK_PORT_STATS_MS 1000        /* imissed/ierrors read this often */
#define NET_DPDK_PORT_MAX 1023             /* largest --dpdk-port (RTE_MAX_ETHPORTS is smaller) */
_Static_assert(NET_DPDK_BURST <= NET_DPDK_RX_DESC / 4 &&
                   NET_DPDK_POOL_CACHE <= NET_DPDK_RX_DESC,
               "bursts and caches are small beside the ring");
/* At 20M frames/s an idle wait must not overflow the RX ring. */
_Static_assert(NET_DPDK_IDLE_WAIT_US * 20 < NET_DPDK_RX_DESC,
               "the RX ring outlasts an idle wait at 20 Mpps");

/* ---- control ring (main thread -> shard) --------------------------------- */
#define CORE_CTL_RING_ENTRIES 64           /* SPSC control messages (power of 2) */

/* ---- HTTP (query port) --------------------------------------------------- */
#define NET_HTTP_HEADER_BYTES_MAX 16384    /* request line + headers */
#define NET_HTTP_BODY_BYTES_MAX (64 << 20) /* request body after de-chunking */
#define NET_HTTP_CONNS_MAX 256             /* open query-port connections */
/* Slots of NET_HTTP_CONNS_MAX kept for probes (health, readiness, /metrics):
 * a connection over the bounds below gets one of them, may send one short
 * probe request and is closed after the reply; anything else there is
 * refused with 503. So a flood of slow clients, even from the prober's own
 * address, never locks the health check out. */
#define NET_HTTP_CONNS_RESERVE_COUNT 16
/* Connections one client address (IPv4, or one IPv6 address) holds outside
 * the reserve; the next ones are refused with 503 Retry-After (or served
 * from the reserve if they are probes). */
#define NET_HTTP_CONNS_PER_CLIENT_MAX 32
/* Deadlines per request, never extended by trickled bytes. Headers: from
 * accept (first request) or the request's first byte; 408 and close. */
#define NET_HTTP_HEADER_TIMEOUT_MS 10000
#define NET_HTTP_BODY_TIMEOUT_MS 30000     /* body, from the end of the headers: 408 */
#define NET_HTTP_IDLE_TIMEOUT_MS 10000     /* keep-alive wait for the next request: close */
#define NET_HTTP_RESERVE_TIMEOUT_MS 2000   /* a reserve slot's whole request: 503 */
/* A response must be read within NET_HTTP_SEND_TIMEOUT_MS plus one second
 * per NET_HTTP_SEND_BYTES_PER_S_MIN of it (a 256 MiB export: 266 s), or the
 * connection is closed: a client that stops reading cannot hold its slot
 * and the response's memory. */
#define NET_HTTP_SEND_TIMEOUT_MS 10000
#define NET_HTTP_SEND_BYTES_PER_S_MIN (1u << 20)
#define NET_HTTP_RESPONSE_BYTES_MAX (256 << 20) /* one response body */
#define NET_HTTP_HEADERS_MAX 100           /* header lines per request (431 over) */
#define NET_HTTP_CHUNK_LINE_BYTES_MAX 1024 /* chunk-size line with extensions */
#define NET_HTTP_RECV_BUF_BYTES 16384      /* one read() per connection */
#define NET_HTTP_BODY_KEEP_BYTES 65536     /* body buffer kept across requests */
/* A request body's first buffer, held once its bytes start to arrive; it
 * then at most doubles as they come, so a sender holds about twice what it
 * sent (a declared length is never held up front: slow senders declaring
 * large bodies cannot fill the budget). */
#define NET_HTTP_BODY_WINDOW_BYTES 16384
#define NET_HTTP_RESPONSE_HEADERS_BYTES_MAX 1024 /* extra headers a handler sets */
#define NET_HTTP_LINGER_MS 1000            /* drain input after a final reply */
#define NET_HTTP_LINGER_BYTES_MAX (1 << 20) /* input discarded while lingering */
#define NET_HTTP_TURN_REQUESTS_MAX 16      /* requests served per connection turn */
#define NET_HTTP_PENDING_POLL_MS 2         /* a pending handler is called again */
/* Request bodies (held as their bytes arrive) plus response
 * bodies held for clients, across all connections of one server: past it a
 * request gets 503 Retry-After. Not counted: the fixed buffers of each
 * connection (about 50 KiB) and the one response a handler is building. */
#define NET_HTTP_MEMORY_BYTES_MAX (1ull << 30)
#define NET_HTTP_MEMORY_BYTES_MIN (16u << 20)   /* smallest --http-memory-bytes */
#define NET_HTTP_MEMORY_BYTES_LIMIT (4095u << 20) /* largest --http-memory-bytes */

/* ---- query port: selectors and read bounds (query thread) --------------- */
#define NET_SELECTOR_BYTES_MAX 4096       /* one match[] selector's text */
#define NET_SELECTOR_MATCHERS_MAX 32      /* label matchers in one selector */
#define CORE_QUERY_MATCH_MAX 16            /* match[] parameters OR-ed */
#define CORE_QUERY_SERIES_MAX 100000       /* series (or label values) per response: 422 over */
#define CORE_QUERY_POINTS_MAX (1u << 22)   /* points per export response: 422 over */
#define CORE_QUERY_KEY_BYTES_MAX (64u << 20) /* series key bytes held by one query */
#define CORE_QUERY_TIME_MS_MAX 10000       /* time budget of one query: 503 over */
#define CORE_QUERY_PARAM_BYTES_MAX 64      /* start=, end= text */
#define NET_LOGMATCH_MATCHERS_MAX 32      /* field matchers in one logs match= */
#define NET_LOG_ATTR_KEY_BYTES_MAX 4096   /* a log attribute's served key
                                             ("sdid.name"); longer: not shown */

/* ---- query port: regexes of selectors and log matchers (query thread) ---
 * glibc's regcomp expands every counted repeat (a{1,n} is n copies) and
 * its compile time and memory grow with the square of the alternatives
 * and optional parts of the expanded program, beyond that with repeats
 * of a part that can match empty ((a*)* sixteen times: 0.1 s, twenty: 2.5
 * s; ((a?)?){200}: 725 MB); regexec caches DFA states without a bound (`.*a.{20}.*` on random
 * 4 KiB values: 170 MB and 2 s a value). net/query/regex_bound.c checks a
 * pattern against these before regcomp; the figures behind them are in
 * docs/query-api.md "Regex limits". */
#define NET_REGEX_BYTES_MAX 4096          /* one regex's text, decoded */
#define NET_REGEX_DEPTH_MAX 32            /* groups nested in one regex */
#define NET_REGEX_REPEAT_MAX 1000         /* m and n of {m,n} (RE2's bound too) */
#define NET_REGEX_PROGRAM_MAX 8192        /* states after expanding repeats */
#define NET_REGEX_BRANCHES_MAX 700        /* alternatives and optional parts,
                                             after expanding repeats */
#define NET_REGEX_EMPTY_REPEATS_MAX 4     /* copies of parts that can match
                                             the empty string ((a?){4});
                                             unbounded ones ((a*)*): none */
#define NET_REGEX_SUBJECT_BYTES_MAX 4096  /* bytes of a value a regex sees */
#define NET_REGEX_RECOMPILE_NS 20000000   /* regexec time after which a regex
                                             is compiled afresh (drops the
                                             DFA cache) */
#define CORE_LOGS_LIMIT_DEFAULT 1000       /* /api/v1/logs records without limit= */
#define CORE_LOGS_LIMIT_MAX 100000         /* largest limit=: 400 over */
#define CORE_SPANS_LIMIT_DEFAULT 100       /* /api/v1/spans spans without limit= */
#define CORE_SPANS_LIMIT_MAX 10000         /* largest limit=: 400 over */
#define CORE_TRACE_SPANS_MAX 100000        /* spans of one trace served by
                                              /api/v1/traces/ID: 422 over */
#define NET_SPAN_VALUE_JSON_GROWTH 8       /* a span attribute's array or
                                              kvlist is served as JSON of at
                                              most 8 bytes per byte stored,
                                              plus 32: null over */

/* ---- Prometheus protobuf and remote-read (net/prompb.c, query thread) --- */
#define NET_PROMPB_DEPTH_MAX 8            /* messages open at once in a writer */
#define NET_PROMPB_LEN_SLOT_BYTES 5       /* length slot of an open message */
#define NET_REMOTE_READ_BODY_BYTES_MAX (1u << 20)    /* snappy body as sent: 413 */
#define NET_REMOTE_READ_REQUEST_BYTES_MAX (4u << 20) /* ReadRequest inflated: 413 */
#define NET_REMOTE_READ_QUERIES_MAX 16    /* queries in one ReadRequest: 400 */
#define NET_REMOTE_READ_MATCHERS_MAX 31   /* matchers in one query: 400 (one
                                             selector slot stays for
                                             remote_read.c's own) */
#define NET_REMOTE_READ_RESPONSE_BYTES_MAX (128u << 20) /* response before
                                             snappy (SAMPLES) or as framed
                                             (chunks): 422 */
#define NET_REMOTE_READ_CHUNK_SAMPLES_MAX 120 /* samples in one XOR chunk
                                             (Prometheus' own chunk size) */
#define NET_REMOTE_READ_FRAME_BYTES_MAX (1u << 20) /* a ChunkedReadResponse
                                             frame is closed past this (one
                                             series may pass it) */

/* ---- tools: bench, stats, tune (operator side, never the data path) ------ */
#define TOOLS_BENCH_THREADS_MAX 64              /* --threads */
#define TOOLS_BENCH_DATAGRAM_BYTES_DEFAULT 1432 /* fits a 1500-byte MTU */
#define TOOLS_BENCH_DATAGRAM_BYTES_MIN 512      /* smallest --datagram-bytes */
#define TOOLS_BENCH_DATAGRAM_BYTES_MAX 65507    /* largest UDP/IPv4 payload */
#define TOOLS_BENCH_LINE_BYTES_MAX 400          /* one generated line */
#define TOOLS_BENCH_SERIES_DEFAULT 10000        /* --series */
#define TOOLS_BENCH_SERIES_MAX (1u << 24)       /* largest --series */
#define TOOLS_BENCH_TAGS_DEFAULT 4              /* --tags per line */
#define TOOLS_BENCH_TAGS_MAX 16                 /* largest --tags */
#define TOOLS_BENCH_POOL_LINES_MIN 65536        /* lines generated per thread */
#define TOOLS_BENCH_POOL_BYTES_MAX (64u << 20)  /* workload memory per thread */
#define TOOLS_BENCH_MMSG_BATCH 64               /* datagrams per sendmmsg */
#define TOOLS_BENCH_TCP_WRITE_BYTES (256u << 10) /* one TCP write */
#define TOOLS_BENCH_BURST_MS 5                  /* token bucket depth, in time */
#define TOOLS_BENCH_SETTLE_MS 2000              /* --check: counts still a while */
#define TOOLS_BENCH_SETTLE_MAX_MS 30000         /* --check waits at most */
#define TOOLS_BENCH_SETTLE_POLL_MS 100          /* --check poll period */
#define TOOLS_HTTP_RESPONSE_BYTES_MAX (16u << 20) /* a /metrics reply */
#define TOOLS_HTTP_TIMEOUT_MS 5000              /* connect + read of /metrics */
#define TOOLS_PROM_LABELS_MAX 16                /* labels kept per sample */
#define TOOLS_QUERY_TARGET_BYTES_MAX (NET_HTTP_HEADER_BYTES_MAX - 512) /* sluice query: encoded path+query */
#define TOOLS_QUERY_HEAD_BYTES_MAX (64u << 10)  /* status line + headers of a reply */
#define TOOLS_QUERY_TIMEOUT_MS 30000            /* sluice query: connect, each read */
#define TOOLS_STATS_INTERVAL_MS_DEFAULT 1000    /* sluice stats refresh */
#define TOOLS_STATS_INTERVAL_MS_MIN 100         /* fastest --interval-ms */
#define TOOLS_TUNE_ROWS_MAX 512                 /* rows in a tune report */
#define TOOLS_TUNE_VALUE_BYTES_MAX 128          /* one value read from /proc */

/* ---- SIMD kernels and number parsing ------------------------------------ */
#define SIMD_NUMBER_BYTES_MAX 1024  /* longest number text parsed (others: -EINVAL) */

/* ---- storage writer (per shard) ------------------------------------------ */
#define CORE_HEAD_KEY_BYTES_MAX (8u << 20) /* distinct series key bytes per block */
#define STOR_WRITE_BUFS_COUNT 8            /* encoded blocks queued or in flight */
#define STOR_FSYNC_INTERVAL_MS_DEFAULT 100 /* --fsync-interval-ms */
#define STOR_FSYNC_INTERVAL_MS_MAX 60000
#define STOR_SEGMENT_BYTES_DEFAULT (64u << 20)  /* --segment-max-bytes */
#define STOR_SEGMENT_BYTES_MIN (1u << 20)
#define STOR_SEGMENT_BYTES_MAX (1u << 30)
#define STOR_SEGMENT_AGE_MS_DEFAULT (3600u * 1000) /* --segment-max-age */
#define STOR_WRITE_RETRIES_MAX 3           /* a failed block write is retried */
#define STOR_WRITE_RETRY_MS 200            /* ... this long after its failure */
#define STOR_FLUSH_TIMEOUT_MS 10000        /* POST /api/v1/flush gives up */
#define CORE_FLUSH_ROUND_GAP_MS 10         /* flush rounds start at most this
                                              often (requests share rounds) */
#define CORE_FLUSH_ROUND_TIMEOUT_MS (STOR_FLUSH_TIMEOUT_MS / 2) /* a round
                                              gives up: a request waits for the
                                              running round, then its own */
#define STOR_RETENTION_TICK_MS 1000        /* retention runs this often */
#define STOR_SEGMENTS_MAX 65536            /* segments a scan considers */
#define STOR_BLOCK_POINTS_MAX (1u << 20)   /* points a block may hold (readers
                                              reject more: bounds decode work) */
#define STOR_LOGBLOCK_RECORDS_MAX (1u << 16) /* records a log block may hold */
#define STOR_LOGBLOCK_TEXT_BYTES_MAX (32u << 20) /* a log block's uncompressed
                                              text column (the inflate bound) */
#define STOR_LOGBLOCK_DICT_MAX 4096        /* strings of a log block's table;
                                              later ones are stored inline */
#define STOR_LOGBLOCK_DICT_STR_BYTES_MAX 255 /* longer strings stay inline */
/* Log blocks, layout 2 (storage/logblock2.c): templates a block holds, a
 * template's bytes (longer: the string is stored raw), and what new
 * templates may cost beyond the raw strings they replace, a block. */
#define STOR_LOG2_TPL_MAX 65536
#define STOR_LOG2_TPL_BYTES_MAX 1024
#define STOR_LOG2_EXCESS_BYTES_MAX (4u << 20)
/* Template-coded strings a block (later ones are stored raw) and the
 * variable slots of a block's templates (a new template past it: raw). */
#define STOR_LOG2_VALUES_MAX (1u << 18)
#define STOR_LOG2_SLOTS_MAX (1u << 19)
/* Log compaction's pack (storage/logblock_pack.c), allocated once at
 * start-up: the record text it gathers (counted as a block stores it raw:
 * the worst case of the stream) and the attributes its pool holds a
 * record, on average. Text ends an OTLP pack first (~935 bytes and 15
 * attributes a record: ~13,400 records); larger packs were measured and
 * not taken (perf/RESULTS.md, "Log pack sizes"). */
#define STOR_LOGPACK_TEXT_BYTES_MAX CORE_LOGHEAD_TEXT_BYTES_MAX
#define STOR_LOGPACK_ATTRS_A_RECORD 4
#define STOR_SPANBLOCK_SPANS_MAX (1u << 16) /* spans a span block may hold */
#define STOR_SPANBLOCK_TEXT_BYTES_MAX (32u << 20) /* a span block's inflated
                                              stream (the inflate bound) */
#define STOR_SPANBLOCK_DICT_MAX 4096       /* strings of a span block's table */
#define STOR_SPANBLOCK_RESOURCES_MAX 4096  /* resource+scope entries a block */
#define STOR_SPANBLOCK_RES_ATTRS_MAX 65536 /* their attributes, all together */

/* ---- shutdown ------------------------------------------------------------ */
#define CORE_STOP_TIMEOUT_MS 2000          /* SIGTERM to exit */
#define CORE_STOP_READ_MS 500              /* shards read what the kernel
                                              buffered until this long after
                                              the stop began */
#define CORE_STOP_STORE_MS 1500            /* ... and have every sealed block
                                              durable by then */

/* ---- OTLP protobuf decoding (core/parse/pb.c, core/parse/otlp.c) -------- */
#define CORE_PB_VARINT_BYTES_MAX 10     /* a 64-bit varint: 7 bits a byte */
#define CORE_PB_DEPTH_MAX 64            /* nested messages read at once */
#define CORE_OTLP_ANY_DEPTH_MAX 8       /* AnyValue arrays/kvlists in arrays/kvlists */
#define CORE_OTLP_ATTRS_MAX 128         /* attributes per resource, point,
                                           record, span, event or link */
#define CORE_OTLP_ITEMS_MAX 65536       /* data points, log records or spans
                                           per request */
#define CORE_OTLP_BUCKETS_MAX 512       /* histogram buckets (and explicit
                                           bounds, and summary quantiles)
                                           per data point */
/* ---- OTLP mapping (core/ingest/otlpmap.c) -------------------------------- */
#define CORE_OTLP_RESOURCE_LABELS_MAX 32  /* keys in --otlp-resource-labels */
#define CORE_OTLP_RESOURCE_LABELS_BYTES_MAX 1024 /* its text */
#define CORE_OTLP_LOG_BYTES_MAX (1u << 20) /* one OTLP log record's strings
                                              (body, attributes, ...) as stored */
#define CORE_OTLP_BODY_BYTES_MAX (64u << 20) /* one request handed to
                                              core_pipe_otlp (inflated): sizes
                                              the JSON decoders' arena */
#define CORE_OTLP_SID_CACHE_SETS 32768     /* series id cache of a pipeline
                                              (core/ingest/otlpmap_cache.c):
                                              sets of ... */
#define CORE_OTLP_SID_CACHE_WAYS 2        /* ... entries (32 + 224 bytes: 16 MiB
                                             a pipeline, touched at start-up) */
#define CORE_OTLP_SID_IDENT_BYTES_MAX 224 /* a cached point's metric name and
                                             raw attribute bytes; longer ones
                                             are mapped without the cache */
#define CORE_OTLP_SID_RSETS 16            /* resource label sets told apart
                                             by the cache at once ... */
#define CORE_OTLP_SID_RSET_BYTES_MAX 1024 /* ... each at most this long */
#define CORE_OTLP_SID_HELD_MAX 4096      /* points of series new to the
                                             dictionary a request caches at
                                             its commit; past it, at their
                                             next miss */
#define CORE_OTLP_STAGE_SERIES_MAX (1u << 18) /* series values one request
                                              stages before its commit; past
                                              it (or the key bytes) the
                                              request is decoded twice */
#define CORE_OTLP_STAGE_KEY_BYTES (4u << 20) /* keys of series new to the
                                              dictionary a request stages */
#define CORE_OTLP_STAGE_LOG_BYTES (32u << 20) /* log records' strings one
                                              request stages (mapped without
                                              reserve) ... */
#define CORE_OTLP_STAGE_LOG_ATTRS (1u << 19) /* ... and their attributes */
/* ---- OTLP JSON decoding (core/parse/otlp_json*.c) ------------------------ */
#define CORE_OTLP_JSON_DEPTH_MAX 64     /* nested JSON objects and arrays */
#define CORE_OTLP_JSON_KEY_BYTES_MAX 64 /* an escaped key unescaped to match
                                           field names (longer: unknown) */
#define CORE_OTLP_JSON_ARENA_SLACK_BYTES 4096 /* arena beyond the body bytes:
                                           headers reserved while AnyValue
                                           lists are transcoded */

/* ---- forwarding (net/forward: one thread per target, off the shards) ---- */
#define NET_FWD_TARGETS_MAX 8              /* --remote-write targets */
#define NET_FWD_HEADERS_MAX 8              /* --remote-write-header per target */
#define NET_FWD_HEADER_BYTES_MAX 512       /* one 'Name: value' header */
#define NET_FWD_URL_BYTES_MAX 1024         /* one --remote-write URL */
#define NET_FWD_PATH_BYTES_MAX 1024        /* CA, password and token file paths */
#define NET_FWD_SECRET_BYTES_MAX 4096      /* a password or token file's content */
#define NET_FWD_ID_BYTES_MAX 96            /* a target's id (label, directory) */
#define NET_FWD_BATCH_SAMPLES_DEFAULT 10000 /* --remote-write-batch-samples */
#define NET_FWD_BATCH_SAMPLES_MIN 1
#define NET_FWD_BATCH_SAMPLES_MAX 1000000
#define NET_FWD_BATCH_AGE_MS_DEFAULT 200   /* --remote-write-batch-age-ms */
#define NET_FWD_BATCH_AGE_MS_MAX 60000
#define NET_FWD_CONNECT_TIMEOUT_MS 5000    /* TCP connect and TLS handshake */
#define NET_FWD_SEND_TIMEOUT_MS 30000      /* writing one request */
#define NET_FWD_RESPONSE_TIMEOUT_MS 30000  /* the whole response, after sending */
#define NET_FWD_RESPONSE_HEAD_BYTES_MAX 16384 /* status line + headers */
#define NET_FWD_RESPONSE_BODY_BYTES_MAX (1u << 20) /* read (and dropped) */
#define NET_FWD_BACKOFF_MIN_MS 100         /* first retry after about this */
#define NET_FWD_BACKOFF_MAX_MS 30000       /* retries at least this often */
#define NET_FWD_RETRY_AFTER_MAX_MS 300000  /* a target's Retry-After is cut here */
#define NET_FWD_POLL_MS 100                /* new durable blocks looked for */
#define NET_FWD_RESCAN_MS 1000             /* segment lists (pending bytes) */
#define NET_FWD_BATCH_BYTES_SOFT (16u << 20) /* a batch's protobuf stops
                                              growing past this */
#define NET_FWD_BATCH_BYTES_MAX (64u << 20) /* ... and never exceeds this */

/* ---- OTLP/gRPC: the HTTP/2 engine (net/grpc.c) -------------------------- */
#define NET_GRPC_STREAMS_MAX 100           /* SETTINGS_MAX_CONCURRENT_STREAMS:
                                              requests in flight (a reply
                                              waiting for fsync included) */
#define NET_GRPC_HEADER_LIST_BYTES_MAX 16384 /* SETTINGS_MAX_HEADER_LIST_SIZE
                                              (name + value + 32 per field) */
#define NET_GRPC_MESSAGE_BYTES_MAX (16u << 20) /* one request message as sent
                                              (after the 5-byte prefix) */
#define NET_GRPC_INFLATED_BYTES_MAX (64u << 20) /* ... after grpc-encoding gzip */
#define NET_GRPC_SESSION_RESERVE_BYTES (1u << 20) /* of a connection's memory,
                                              kept for nghttp2's own state */
#define NET_GRPC_CONN_MEMORY_BYTES_MAX (NET_GRPC_MESSAGE_BYTES_MAX + \
                                        2 * NET_GRPC_SESSION_RESERVE_BYTES)
#define NET_GRPC_SHARD_MEMORY_BYTES_MAX (256u << 20) /* every connection of a
                                              shard: past it UNAVAILABLE */
#define NET_GRPC_OUT_BYTES 32768           /* bytes waiting to be written,
                                              per connection */
#define NET_GRPC_STREAM_WINDOW_BYTES (1u << 20) /* SETTINGS_INITIAL_WINDOW_SIZE */
#define NET_GRPC_CONN_WINDOW_BYTES (16u << 20)  /* connection receive window */
#define NET_GRPC_REPLY_BYTES_MAX 4096      /* one response message */
#define NET_GRPC_STATUS_TEXT_BYTES_MAX 512 /* grpc-message before %-encoding */
#define NET_GRPC_RETRY_AFTER_MS 1000       /* RetryInfo delay under back-pressure */
#define NET_GRPC_RESETS_BURST 1000         /* client stream resets in a burst, */
#define NET_GRPC_RESETS_PER_S 33           /* ... then per second: past it GOAWAY */
/* ---- OTLP/gRPC listener (net/otlp_grpc.c on net/rconn.c; per shard) ----- */
#define NET_OTLP_GRPC_CONNS_MAX 256        /* open OTLP/gRPC connections per shard */
#define NET_OTLP_GRPC_IN_BYTES 16384       /* one recv per connection (its buffer) */
#define NET_OTLP_GRPC_OUT_BYTES 65536      /* a connection's queued bytes to send */
#define NET_OTLP_GRPC_WAITING_MAX 1024     /* calls waiting for their fsync per
                                              shard: UNAVAILABLE past it */
#define NET_OTLP_GRPC_IDLE_TIMEOUT_MS 300000 /* no byte and no call: GOAWAY */
#define NET_OTLP_GRPC_SEND_TIMEOUT_MS 10000 /* bytes not taken by then: close */
#define NET_OTLP_GRPC_BODY_TIMEOUT_MS 30000 /* a request arriving and none
                                              finished for this long: close */

/* ---- relations ----------------------------------------------------------- */
_Static_assert(STOR_WRITE_BUFS_COUNT >= 2, "one block encodes while one writes");
_Static_assert((CORE_RAWKEY_SETS & (CORE_RAWKEY_SETS - 1)) == 0 &&
                   CORE_RAWKEY_WAYS == 4 && CORE_RAWKEY_BYTES_MAX < 256 &&
                   (CORE_RAWKEY_BYTES_MAX + 8) % 64 == 0,
               "the raw key cache's sets are a power of two of one cache "
               "line, its lengths 8 bits, its slots whole cache lines");
_Static_assert(CORE_PIPE_WINDOW_LINES <= CORE_STATSD_BATCH_LINES_MAX,
               "the pipe's window is one parser batch");
_Static_assert(CORE_PIPE_WINDOW_LINES >= 1 && CORE_PIPE_WINDOW_LINES <= 64,
               "a window is a few lines: enough misses in flight, its "
               "messages and keys still in L1/L2");
_Static_assert(STOR_BLOCK_POINTS_MAX >= CORE_HEAD_POINTS_MAX,
               "a full head fits one block");
_Static_assert(CORE_RING_PARKED_MAX >= 2 * CORE_RING_ENTRIES,
               "a whole CQ can be parked while a seal waits");
_Static_assert(STOR_SEGMENT_BYTES_DEFAULT >= STOR_SEGMENT_BYTES_MIN &&
                   STOR_SEGMENT_BYTES_DEFAULT <= STOR_SEGMENT_BYTES_MAX,
               "default segment size within its bounds");
_Static_assert(STOR_FSYNC_INTERVAL_MS_DEFAULT <= CORE_HEAD_AGE_MS_DEFAULT,
               "data sealed by age is durable soon after");
_Static_assert(STOR_WRITE_RETRIES_MAX * STOR_WRITE_RETRY_MS <
                   CORE_FLUSH_ROUND_TIMEOUT_MS,
               "a flush round outlives the retries of a failing write");
_Static_assert(2 * CORE_FLUSH_ROUND_TIMEOUT_MS <= STOR_FLUSH_TIMEOUT_MS &&
                   CORE_FLUSH_ROUND_GAP_MS <= CORE_FLUSH_ROUND_TIMEOUT_MS,
               "a flush request (the running round, then its own) is "
               "answered within STOR_FLUSH_TIMEOUT_MS");
_Static_assert(NET_HTTP_PENDING_POLL_MS <= CORE_FLUSH_ROUND_GAP_MS,
               "a flush round's answer is seen before the next may start");
_Static_assert(CORE_HEAD_KEY_BYTES_MAX >= CORE_SERIES_KEY_BYTES_MAX,
               "one maximal key fits a block's dictionary");
_Static_assert(CORE_SHARDS_MAX <= 1024, "shard ids fit the stats label width");
_Static_assert(STOR_LOGBLOCK_TEXT_BYTES_MAX >= 2 * CORE_SYSLOG_BYTES_MAX_LIMIT,
               "a log block holds at least two maximal messages");
_Static_assert(STOR_LOGBLOCK_TEXT_BYTES_MAX < (1u << 31) &&
                   STOR_LOGBLOCK_RECORDS_MAX <= (1u << 20),
               "log block sizes fit the 32-bit header fields and deflate's int");
_Static_assert(STOR_LOGBLOCK_DICT_STR_BYTES_MAX >= CORE_SYSLOG_HOSTNAME_BYTES_MAX,
               "every hostname can be dictionary-coded");
_Static_assert(CORE_LOGHEAD_RECORDS_MAX <= STOR_LOGBLOCK_RECORDS_MAX &&
                   CORE_LOGHEAD_ATTRS_MAX >= CORE_SYSLOG_SD_ATTRS_MAX,
               "a full log head fits one log block; one message's SD fits it");
_Static_assert(CORE_LOGHEAD_ARENA_BYTES >= 2 * CORE_SYSLOG_BYTES_MAX_LIMIT,
               "a maximal message and its unescaped SD values fit the arena");
_Static_assert(CORE_LOGHEAD_TEXT_BYTES_MAX >=
                   2 * CORE_SYSLOG_BYTES_MAX_LIMIT +
                       CORE_SYSLOG_SD_ATTRS_MAX * (15 + 2 * CORE_SYSLOG_SD_NAME_BYTES_MAX) + 64,
               "the text of one maximal record fits an empty log head");
_Static_assert(CORE_LOGHEAD_TEXT_BYTES_MAX + CORE_LOGHEAD_RECORDS_MAX * 64ull <
                   STOR_LOGBLOCK_TEXT_BYTES_MAX,
               "a full log head's fields and text stay within the inflate bound");
_Static_assert(STOR_LOGPACK_TEXT_BYTES_MAX >= CORE_LOGHEAD_TEXT_BYTES_MAX &&
                   STOR_LOGBLOCK_RECORDS_MAX * 1ull * STOR_LOGPACK_ATTRS_A_RECORD >=
                       CORE_LOGHEAD_ATTRS_MAX,
               "a full live log block's records fit an empty pack (else it is "
               "carried uncompacted)");
_Static_assert(CORE_LOGHEAD_TEXT_BYTES_MAX + CORE_LOGHEAD_RECORDS_MAX * 64ull +
                   STOR_LOGBLOCK_DICT_MAX * 257ull +
                   STOR_LOG2_EXCESS_BYTES_MAX <
                   STOR_LOGBLOCK_TEXT_BYTES_MAX,
               "a full log head's layout-2 stream fits a log block");
_Static_assert(CORE_SPANS_LIMIT_DEFAULT >= 1 &&
                   CORE_SPANS_LIMIT_DEFAULT <= CORE_SPANS_LIMIT_MAX,
               "the default spans limit is a valid limit=");
_Static_assert(CORE_SPANHEAD_SPANS_MAX <= STOR_SPANBLOCK_SPANS_MAX &&
                   CORE_SPANHEAD_RESOURCES_MAX <= STOR_SPANBLOCK_RESOURCES_MAX &&
                   CORE_SPANHEAD_RES_ATTRS_MAX <= STOR_SPANBLOCK_RES_ATTRS_MAX,
               "a full span head fits one span block");
_Static_assert(CORE_SPAN_EVENTS_MAX <= CORE_SPANHEAD_EVENTS_MAX &&
                   CORE_SPAN_LINKS_MAX <= CORE_SPANHEAD_LINKS_MAX &&
                   CORE_SPAN_ATTRS_MAX <= CORE_SPANHEAD_ATTRS_MAX &&
                   CORE_OTLP_ATTRS_MAX <= CORE_SPANHEAD_RES_ATTRS_MAX &&
                   CORE_SPAN_BYTES_MAX + CORE_SPAN_RESOURCE_BYTES_MAX <=
                       CORE_SPANHEAD_ARENA_BYTES,
               "one maximal span and its resource fit an empty span head");
_Static_assert(NET_SPAN_VALUE_JSON_GROWTH >= 6 &&
                   NET_SPAN_VALUE_JSON_GROWTH * 1ull *
                           CORE_SPAN_VALUE_BYTES_MAX + 32 <=
                       NET_HTTP_RESPONSE_BYTES_MAX / 64,
               "the JSON of any array or kvlist the span head stores fits "
               "(core_otlp_value_json: a control byte of a string becomes "
               "\\u00XX, six bytes; nothing grows more), and is a small "
               "part of a reply");
_Static_assert(CORE_SPAN_NAME_BYTES_MAX <= CORE_SPAN_VALUE_BYTES_MAX &&
                   CORE_SPAN_VALUE_BYTES_MAX <= CORE_SPAN_BYTES_MAX,
               "a span's strings each fit the span bound");
/* The stream of a full span head: every copied byte plus its length
 * varint, 64 bytes of fields a span, 32 an event or link, 24 an attribute
 * (type, refs, 8-byte doubles) and 16 a resource, well within the bound. */
_Static_assert(CORE_SPANHEAD_ARENA_BYTES * 2ull + CORE_SPANHEAD_SPANS_MAX * 64ull +
                   (CORE_SPANHEAD_EVENTS_MAX + CORE_SPANHEAD_LINKS_MAX) * 32ull +
                   (CORE_SPANHEAD_ATTRS_MAX + CORE_SPANHEAD_RES_ATTRS_MAX) * 24ull +
                   CORE_SPANHEAD_RESOURCES_MAX * 16ull <
                   STOR_SPANBLOCK_TEXT_BYTES_MAX,
               "a full span head's stream stays within the inflate bound");
_Static_assert(STOR_SPANBLOCK_TEXT_BYTES_MAX < (1u << 31),
               "span block sizes fit the 32-bit header fields");
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
_Static_assert(CORE_SERIES_SLOTS_MIN >= 2 &&
                   (CORE_SERIES_SLOTS_MIN & (CORE_SERIES_SLOTS_MIN - 1)) == 0,
               "the slot table starts at a power of two");
_Static_assert(CORE_SERIES_KEY_BYTES_AVG <= CORE_SERIES_KEY_BYTES_MAX,
               "average key below the maximal key");
_Static_assert(CORE_STATSD_VALUES_MAX <= 64, "gauge delta flags fit a uint64_t");
_Static_assert(CORE_STATSD_NUMBER_BYTES_MAX < CORE_LINE_BYTES_MIN_LIMIT * 4,
               "a number token is small next to a line");
_Static_assert(CORE_STATSD_TIMESTAMP_DIGITS_MAX <= 18,
               "18 decimal digits never overflow an int64_t");
_Static_assert(1 - DBL_MIN_EXP < DBL_MAX_EXP,
               "1/CORE_STATSD_RATE_MIN = 2^(1 - DBL_MIN_EXP) is a finite double");
_Static_assert(CORE_STATSD_SCAN_BYTES % 64 == 0 &&
                   CORE_STATSD_SCAN_BYTES <= CORE_LINE_BYTES_MAX_LIMIT,
               "SIMD parser windows are whole blocks; longer lines go scalar");
_Static_assert((NET_UDP_BUFS_COUNT & (NET_UDP_BUFS_COUNT - 1)) == 0,
               "buffer ring sizes are powers of two");
_Static_assert((NET_TCP_BUFS_COUNT & (NET_TCP_BUFS_COUNT - 1)) == 0,
               "buffer ring sizes are powers of two");
_Static_assert(NET_UDP_BUFS_COUNT + NET_TCP_BUFS_COUNT <= 32768,
               "buffer ids fit 16 bits");
_Static_assert((CORE_CTL_RING_ENTRIES & (CORE_CTL_RING_ENTRIES - 1)) == 0,
               "control ring size is a power of two");
_Static_assert(CORE_TICK_MS * 4 <= CORE_STOP_TIMEOUT_MS,
               "a shard notices stop well within the stop timeout");
_Static_assert(CORE_STOP_READ_MS + 4 * CORE_TICK_MS <= CORE_STOP_STORE_MS &&
                   CORE_STOP_STORE_MS + 250 <= CORE_STOP_TIMEOUT_MS,
               "after reading, sealed blocks have time to become durable, "
               "and then the threads to exit, within the stop timeout");
_Static_assert(CORE_TICK_MS <= CORE_HEAD_AGE_MS_DEFAULT,
               "the tick is finer than the head age bound");
_Static_assert(SIMD_NUMBER_BYTES_MAX >= 800,
               "any double's shortest exact decimal form (767 digits) parses");
_Static_assert(CORE_LINE_BYTES_MAX_LIMIT <= NET_HTTP_BODY_BYTES_MAX,
               "a line can arrive in one HTTP body");
_Static_assert(TOOLS_BENCH_LINE_BYTES_MAX + 1 <= TOOLS_BENCH_DATAGRAM_BYTES_MIN,
               "a generated line and its LF fit the smallest datagram");
_Static_assert(TOOLS_BENCH_LINE_BYTES_MAX <= CORE_LINE_BYTES_MAX_DEFAULT,
               "generated lines pass sluice's default line bound");
_Static_assert(TOOLS_BENCH_TAGS_MAX <= CORE_STATSD_TAGS_MAX,
               "generated tags are all kept by the parser");
_Static_assert(TOOLS_BENCH_DATAGRAM_BYTES_MAX <= NET_UDP_BUF_BYTES,
               "a bench datagram fits one receive buffer");
_Static_assert(TOOLS_BENCH_TCP_WRITE_BYTES <= TOOLS_BENCH_POOL_BYTES_MAX,
               "one TCP write comes from one thread's workload");
_Static_assert(TOOLS_STATS_INTERVAL_MS_MIN <= TOOLS_STATS_INTERVAL_MS_DEFAULT,
               "default refresh above the minimum");
_Static_assert(TOOLS_BENCH_SETTLE_POLL_MS < TOOLS_BENCH_SETTLE_MS,
               "--check polls several times before giving up");
_Static_assert(TOOLS_BENCH_SETTLE_MS < TOOLS_BENCH_SETTLE_MAX_MS,
               "a backlog still being worked through gets more time");
_Static_assert(NET_REGEX_BYTES_MAX <= NET_SELECTOR_BYTES_MAX,
               "a regex is part of one selector's text");
_Static_assert(NET_REGEX_REPEAT_MAX <= 32767,
               "counted repeats within glibc's RE_DUP_MAX");
_Static_assert(NET_REGEX_REPEAT_MAX <= NET_REGEX_PROGRAM_MAX &&
                   NET_REGEX_BRANCHES_MAX <= NET_REGEX_PROGRAM_MAX,
               "one maximal repeat of one byte fits the program bound");
_Static_assert(NET_REGEX_BYTES_MAX <= NET_REGEX_PROGRAM_MAX,
               "a literal regex of the maximal length fits the program bound");
_Static_assert(NET_REGEX_DEPTH_MAX * 3 <= NET_REGEX_BYTES_MAX,
               "the depth bound is reachable within the length bound");
_Static_assert(NET_REGEX_SUBJECT_BYTES_MAX >= CORE_SERIES_KEY_BYTES_MAX,
               "a regex sees every label value of a series key whole");
_Static_assert(NET_REGEX_RECOMPILE_NS < CORE_QUERY_TIME_MS_MAX * 1000000ll / 10,
               "the DFA cache is dropped many times within one query's budget");
_Static_assert(NET_SELECTOR_BYTES_MAX * 3 + 256 <= TOOLS_QUERY_TARGET_BYTES_MAX,
               "sluice query can send one maximal selector, every byte %-encoded");
_Static_assert(TOOLS_QUERY_TIMEOUT_MS > CORE_QUERY_TIME_MS_MAX &&
                   TOOLS_QUERY_TIMEOUT_MS > STOR_FLUSH_TIMEOUT_MS,
               "sluice query waits out the server's own query and flush budgets");
_Static_assert(NET_HTTP_BODY_BYTES_MAX < (1ll << 58),
               "chunk sizes add up without overflow in 64 bits");
_Static_assert(NET_HTTP_BODY_KEEP_BYTES <= NET_HTTP_BODY_BYTES_MAX,
               "the kept body buffer is within the body bound");
_Static_assert(NET_HTTP_CHUNK_LINE_BYTES_MAX <= NET_HTTP_HEADER_BYTES_MAX,
               "a chunk-size line is bounded like a header line");
_Static_assert(NET_HTTP_HEADERS_MAX * 4 <= NET_HTTP_HEADER_BYTES_MAX,
               "the header count bound is reachable within the byte bound");
_Static_assert(NET_HTTP_LINGER_MS <= NET_HTTP_RESERVE_TIMEOUT_MS &&
                   NET_HTTP_LINGER_MS <= NET_HTTP_IDLE_TIMEOUT_MS,
               "lingering after a reply is shorter than any request deadline");
_Static_assert(NET_HTTP_RESERVE_TIMEOUT_MS < NET_HTTP_HEADER_TIMEOUT_MS &&
                   NET_HTTP_HEADER_TIMEOUT_MS <= NET_HTTP_BODY_TIMEOUT_MS,
               "a probe's slot turns over faster than a request's headers");
_Static_assert(NET_HTTP_BODY_BYTES_MAX / (NET_HTTP_BODY_TIMEOUT_MS / 1000) <=
                   (4u << 20),
               "a maximal body needs at most 4 MiB/s within its deadline");
_Static_assert((NET_HTTP_SEND_TIMEOUT_MS + 1000ull * NET_HTTP_RESPONSE_BYTES_MAX /
                                               NET_HTTP_SEND_BYTES_PER_S_MIN) <=
                   600000,
               "a maximal response's send deadline stays within 10 minutes");
_Static_assert(NET_HTTP_CONNS_RESERVE_COUNT >= 1 &&
                   NET_HTTP_CONNS_RESERVE_COUNT * 8 <= NET_HTTP_CONNS_MAX,
               "the probe reserve is a small share of the connection slots");
_Static_assert(NET_HTTP_CONNS_PER_CLIENT_MAX >= 4 &&
                   NET_HTTP_CONNS_PER_CLIENT_MAX * 4 <=
                       NET_HTTP_CONNS_MAX - NET_HTTP_CONNS_RESERVE_COUNT,
               "one address takes at most a quarter of the general slots, "
               "and a client can still open a few in parallel");
_Static_assert(NET_HTTP_BODY_BYTES_MAX + 1ull + NET_HTTP_RESPONSE_BYTES_MAX + 1 <=
                   NET_HTTP_MEMORY_BYTES_MAX,
               "one maximal request body and one maximal response fit the "
               "server's memory budget");
_Static_assert(NET_HTTP_BODY_KEEP_BYTES * 1ull * NET_HTTP_CONNS_MAX <=
                   NET_HTTP_MEMORY_BYTES_MAX / 4,
               "body buffers kept by idle connections leave most of the "
               "budget to requests");
_Static_assert(NET_HTTP_MEMORY_BYTES_MIN <= NET_HTTP_MEMORY_BYTES_MAX &&
                   NET_HTTP_MEMORY_BYTES_MAX <= NET_HTTP_MEMORY_BYTES_LIMIT,
               "default query-port memory budget within its option's range");
_Static_assert(NET_HTTP_MEMORY_BYTES_MIN >= NET_HTTP_BODY_KEEP_BYTES * 2,
               "the smallest budget admits a kept body buffer and more");
_Static_assert(NET_HTTP_BODY_WINDOW_BYTES <= NET_HTTP_BODY_KEEP_BYTES &&
                   NET_HTTP_BODY_WINDOW_BYTES * 1ull * NET_HTTP_CONNS_MAX <=
                       NET_HTTP_MEMORY_BYTES_MIN / 4,
               "first body buffers of every query-port connection take at "
               "most a quarter of the smallest budget");
_Static_assert(NET_GRPC_CONN_MEMORY_BYTES_MAX >= NET_GRPC_MESSAGE_BYTES_MAX +
                   2 * NET_GRPC_SESSION_RESERVE_BYTES &&
                   NET_GRPC_SHARD_MEMORY_BYTES_MAX >= 4ull *
                       NET_GRPC_CONN_MEMORY_BYTES_MAX,
               "a maximal gRPC message fits a connection beside the "
               "session (at most one reserve) and nghttp2's reserve, and "
               "several connections fit the shard's budget");
_Static_assert(NET_GRPC_MESSAGE_BYTES_MAX <= NET_GRPC_INFLATED_BYTES_MAX &&
                   NET_GRPC_INFLATED_BYTES_MAX <= NET_HTTP_BODY_BYTES_MAX,
               "an inflated gRPC message is no bigger than an OTLP/HTTP body");
_Static_assert(NET_GRPC_HEADER_LIST_BYTES_MAX <= 65536 &&
                   NET_GRPC_STREAMS_MAX * 1024ull <= NET_GRPC_SESSION_RESERVE_BYTES,
               "nghttp2's state for every stream fits the session reserve");
_Static_assert(NET_OTLP_GRPC_CONNS_MAX <= (1u << 16) &&
                   NET_OTLP_GRPC_OUT_BYTES >= NET_GRPC_OUT_BYTES &&
                   NET_OTLP_GRPC_WAITING_MAX >= NET_GRPC_STREAMS_MAX,
               "a slot fits rconn's user_data; the engine's output fits the "
               "send queue; one full connection can wait");
_Static_assert(NET_GRPC_STREAM_WINDOW_BYTES <= NET_GRPC_CONN_WINDOW_BYTES &&
                   NET_GRPC_CONN_WINDOW_BYTES < (1u << 31),
               "HTTP/2 windows are 31-bit");
_Static_assert(CORE_SHARDS_MAX <= CORE_CPUS_MAX, "every shard can get its own CPU");
_Static_assert(CORE_HEAD_AGE_MS_MIN <= CORE_HEAD_AGE_MS_DEFAULT &&
                   CORE_HEAD_AGE_MS_DEFAULT <= CORE_HEAD_AGE_MS_MAX,
               "default head age within its bounds");
_Static_assert(NET_UDP_RCVBUF_BYTES_MIN <= NET_UDP_RCVBUF_BYTES_DEFAULT &&
                   NET_UDP_RCVBUF_BYTES_DEFAULT <= NET_UDP_RCVBUF_BYTES_MAX,
               "default SO_RCVBUF within its bounds");
_Static_assert(NET_UDP_RCVBUF_BYTES_MAX <= 0x7fffffff / 2,
               "SO_RCVBUF doubled by the kernel fits an int");
_Static_assert(NET_TCP_CONNS_PER_SHARD_MIN >= 1 &&
                   NET_TCP_CONNS_PER_SHARD_MIN <= NET_TCP_CONNS_PER_SHARD_MAX,
               "TCP connection bound range is not empty");

_Static_assert(CORE_QUERY_POINTS_MAX * 4ull <= NET_HTTP_RESPONSE_BYTES_MAX,
               "a response can hold every point the points bound lets through");
_Static_assert(NET_SELECTOR_BYTES_MAX <= NET_HTTP_HEADER_BYTES_MAX,
               "a selector fits the request line it arrives in");
_Static_assert(CORE_LOGS_LIMIT_DEFAULT >= 1 &&
                   CORE_LOGS_LIMIT_DEFAULT <= CORE_LOGS_LIMIT_MAX,
               "the default logs limit is a valid limit=");
_Static_assert(NET_LOGMATCH_MATCHERS_MAX * 4 <= NET_SELECTOR_BYTES_MAX,
               "a logs match= can spell out every matcher it may hold");
_Static_assert(CORE_QUERY_KEY_BYTES_MAX >= CORE_SERIES_KEY_BYTES_MAX,
               "one maximal series key fits a query");
_Static_assert(CORE_QUERY_SERIES_MAX * 1ull * CORE_SERIES_KEY_BYTES_AVG <=
                   CORE_QUERY_KEY_BYTES_MAX,
               "a response of average keys reaches the series bound first");

_Static_assert(CORE_SYSLOG_BYTES_MIN_LIMIT <= CORE_SYSLOG_BYTES_MAX_DEFAULT &&
                   CORE_SYSLOG_BYTES_MAX_DEFAULT <= CORE_SYSLOG_BYTES_MAX_LIMIT,
               "default syslog frame bound within its bounds");
_Static_assert(CORE_SYSLOG_BYTES_MAX_LIMIT < (1u << 31),
               "syslog field lengths and offsets fit 32 bits");
_Static_assert(CORE_SYSLOG_FRAME_COUNT_DIGITS_MAX <= 18 &&
                   CORE_SYSLOG_FRAME_COUNT_DIGITS_MAX < CORE_SYSLOG_BYTES_MIN_LIMIT,
               "an octet count fits an int64_t and the frame buffer");
_Static_assert(CORE_SYSLOG_HOSTNAME_BYTES_MAX + CORE_SYSLOG_APP_NAME_BYTES_MAX +
                   CORE_SYSLOG_PROCID_BYTES_MAX + CORE_SYSLOG_MSGID_BYTES_MAX <
                   CORE_SYSLOG_BYTES_MAX_DEFAULT,
               "maximal syslog header fields fit a default frame");
_Static_assert(CORE_SYSLOG_SD_ATTRS_MAX >= 8 && CORE_SYSLOG_SD_ATTRS_MAX <= 1024,
               "room for real senders' SD, bounded record size");

_Static_assert(NET_REMOTE_READ_RESPONSE_BYTES_MAX < (1ull << (7 * NET_PROMPB_LEN_SLOT_BYTES)) &&
                   NET_HTTP_RESPONSE_BYTES_MAX < (1ull << (7 * NET_PROMPB_LEN_SLOT_BYTES)),
               "an open message's length slot holds any length a response can have");
_Static_assert(NET_REMOTE_READ_MATCHERS_MAX < NET_SELECTOR_MATCHERS_MAX &&
                   NET_REMOTE_READ_QUERIES_MAX <= CORE_QUERY_MATCH_MAX,
               "remote-read takes no more matchers and queries than a match[] selector set");
_Static_assert(NET_REMOTE_READ_BODY_BYTES_MAX <= NET_HTTP_BODY_BYTES_MAX &&
                   NET_REMOTE_READ_REQUEST_BYTES_MAX >= NET_REMOTE_READ_BODY_BYTES_MAX,
               "a remote-read body fits the HTTP server's bound");
_Static_assert(NET_REMOTE_READ_CHUNK_SAMPLES_MAX <= 65535,
               "an XOR chunk counts its samples in 16 bits");

_Static_assert(CORE_LOGHEAD_ARENA_BYTES >= 2 * CORE_OTLP_LOG_BYTES_MAX &&
                   CORE_LOGHEAD_TEXT_BYTES_MAX >= 2 * CORE_OTLP_LOG_BYTES_MAX,
               "an empty log head takes any OTLP record the mapping keeps");
_Static_assert(CORE_OTLP_ATTRS_MAX * 2 + 2 <= 65536,
               "a series key's tag indexes fit a uint16_t");
_Static_assert(3 * CORE_OTLP_ANY_DEPTH_MAX + 8 <= CORE_PB_DEPTH_MAX,
               "the deepest OTLP message (kvlists, 3 messages a level, to "
               "the AnyValue bound in a span event's attribute) stays "
               "within the reader's depth bound");
_Static_assert(4 * (CORE_OTLP_ANY_DEPTH_MAX + 1) + 12 <= CORE_OTLP_JSON_DEPTH_MAX,
               "the deepest valid OTLP JSON (a span event's attribute, 11 "
               "levels down, with kvlists to one past the AnyValue bound, "
               "4 JSON levels each) fits the JSON depth bound, so the "
               "AnyValue bound is the one reported");
_Static_assert(CORE_OTLP_JSON_ARENA_SLACK_BYTES >=
                   8 * (2 * CORE_OTLP_ANY_DEPTH_MAX + 4),
               "room for a reserved 6-byte header per open transcoded message");
_Static_assert(CORE_OTLP_JSON_KEY_BYTES_MAX >= 32,
               "the longest OTLP field name fits the key buffer");
_Static_assert((CORE_OTLP_SID_CACHE_SETS & (CORE_OTLP_SID_CACHE_SETS - 1)) == 0 &&
                   CORE_OTLP_SID_IDENT_BYTES_MAX < 65536 &&
                   CORE_OTLP_SID_RSET_BYTES_MAX < 65536,
               "the series id cache's sets are a power of two, its lengths "
               "16 bits");
_Static_assert(CORE_OTLP_STAGE_SERIES_MAX >= CORE_OTLP_ITEMS_MAX &&
                   CORE_OTLP_STAGE_KEY_BYTES >= 4 * CORE_SERIES_KEY_BYTES_MAX &&
                   CORE_OTLP_STAGE_KEY_BYTES < (1ull << 32),
               "a request of number points stages whole (one series each)");
_Static_assert(CORE_OTLP_STAGE_LOG_BYTES >= 8 * CORE_OTLP_LOG_BYTES_MAX &&
                   CORE_OTLP_STAGE_LOG_ATTRS >= 8 * CORE_SYSLOG_SD_ATTRS_MAX,
               "log staging holds several records of the largest size");
_Static_assert(CORE_OTLP_ITEMS_MAX <= (1u << 20) &&
                   CORE_OTLP_ATTRS_MAX <= 65535,
               "item and attribute counts fit their uint32_t/uint16_t fields");

/* ---- OTLP/HTTP listener (net/otlp_http.c, net/rconn.c; per shard) ------- */
#define NET_OTLP_HTTP_CONNS_MAX 1024       /* open OTLP/HTTP connections per shard */
#define NET_OTLP_HTTP_IN_BYTES 16384       /* one recv per connection (its buffer) */
#define NET_OTLP_HTTP_DIRECT_BYTES_MIN 4096 /* body bytes still to come for a
                                              recv straight into the body */
#define NET_OTLP_HTTP_OUT_BYTES 2048       /* a connection's queued reply bytes */
#define NET_OTLP_HTTP_BODY_BYTES_MAX (16u << 20) /* request body as sent: 413 */
#define NET_OTLP_HTTP_INFLATED_BYTES_MAX (64u << 20) /* after gzip: 413 */
#define NET_OTLP_HTTP_MEMORY_BYTES_MAX (128u << 20) /* bodies held at once per
                                              shard: 503 Retry-After past it */
#define NET_OTLP_HTTP_WAITING_MAX 256      /* requests waiting for their fsync
                                              per shard: 429 past it */
#define NET_OTLP_HTTP_FLUSHES_MAX 8        /* durability generations in flight
                                              per shard (the writer's waits) */
#define NET_OTLP_HTTP_HEADER_TIMEOUT_MS 10000 /* request line + headers: 408 */
#define NET_OTLP_HTTP_BODY_TIMEOUT_MS 30000 /* body after the headers: 408 */
#define NET_OTLP_HTTP_IDLE_TIMEOUT_MS 60000 /* keep-alive, no request: close */
#define NET_OTLP_HTTP_SEND_TIMEOUT_MS 10000 /* a reply not taken by then: close */
#define NET_OTLP_HTTP_SWEEP_MS 50         /* deadlines checked this often */
#define NET_OTLP_HTTP_LINGER_MS 1000       /* read and drop input after a final
                                              error reply, then close */
#define NET_OTLP_HTTP_LINGER_BYTES_MAX (32u << 20) /* ... at most this much
                                              (a body refused by its
                                              declared length still read) */
#define NET_OTLP_HTTP_RETRY_AFTER_S 1      /* Retry-After of 429/503 */
#define NET_OTLP_HTTP_STOP_SEND_MS 200     /* at stop: time for the last replies */

_Static_assert(NET_OTLP_HTTP_CONNS_MAX <= (1u << 16),
               "a connection slot fits the low 16 bits of its user_data arg");
_Static_assert(NET_OTLP_HTTP_INFLATED_BYTES_MAX <= CORE_OTLP_BODY_BYTES_MAX,
               "every body the OTLP/HTTP listener hands on fits the JSON arena");
_Static_assert(NET_OTLP_HTTP_BODY_BYTES_MAX <= NET_OTLP_HTTP_INFLATED_BYTES_MAX &&
                   NET_OTLP_HTTP_INFLATED_BYTES_MAX < (1ull << 32),
               "a body may inflate to its own size; isa-l counts in 32 bits");
_Static_assert(NET_OTLP_HTTP_BODY_BYTES_MAX + 1ull <= NET_OTLP_HTTP_MEMORY_BYTES_MAX / 4,
               "a shard holds several maximal bodies at once");
_Static_assert(NET_HTTP_BODY_KEEP_BYTES * 1ull * NET_OTLP_HTTP_CONNS_MAX <=
                   NET_OTLP_HTTP_MEMORY_BYTES_MAX / 2,
               "body buffers kept by idle connections leave half the "
               "budget to requests");
_Static_assert(NET_HTTP_BODY_WINDOW_BYTES * 1ull * NET_OTLP_HTTP_CONNS_MAX <=
                   NET_OTLP_HTTP_MEMORY_BYTES_MAX / 4 &&
                   NET_HTTP_BODY_WINDOW_BYTES >= NET_OTLP_HTTP_DIRECT_BYTES_MIN,
               "first body buffers of a shard's every connection take at "
               "most a quarter of its budget, and each takes a direct recv");
_Static_assert(NET_OTLP_HTTP_WAITING_MAX <= NET_OTLP_HTTP_CONNS_MAX,
               "a connection waits for one request at a time");
_Static_assert(NET_OTLP_HTTP_FLUSHES_MAX + 8 <= CORE_CTL_RING_ENTRIES,
               "the writer keeps room for the query port's flushes");
_Static_assert(NET_OTLP_HTTP_SWEEP_MS * 10 <= NET_OTLP_HTTP_LINGER_MS &&
                   NET_OTLP_HTTP_DIRECT_BYTES_MIN <= NET_OTLP_HTTP_IN_BYTES,
               "deadlines checked well within the shortest; a direct recv "
               "takes no fewer bytes than the in buffer's recv would");
_Static_assert(NET_OTLP_HTTP_BODY_BYTES_MAX < NET_OTLP_HTTP_LINGER_BYTES_MAX,
               "a sender of a body just over the bound reads its 413, not "
               "a reset");
_Static_assert(NET_OTLP_HTTP_STOP_SEND_MS + CORE_STOP_STORE_MS + 250 <=
                   CORE_STOP_TIMEOUT_MS,
               "the last replies go out before the stop watchdog");
_Static_assert(NET_FWD_BATCH_SAMPLES_MIN <= NET_FWD_BATCH_SAMPLES_DEFAULT &&
                   NET_FWD_BATCH_SAMPLES_DEFAULT <= NET_FWD_BATCH_SAMPLES_MAX &&
                   NET_FWD_BATCH_AGE_MS_DEFAULT <= NET_FWD_BATCH_AGE_MS_MAX,
               "forward batch defaults within their bounds");
_Static_assert(NET_FWD_BACKOFF_MIN_MS <= NET_FWD_BACKOFF_MAX_MS &&
                   NET_FWD_BACKOFF_MAX_MS <= NET_FWD_RETRY_AFTER_MAX_MS,
               "backoff grows up to its cap; Retry-After may ask for longer");
_Static_assert(NET_FWD_POLL_MS * 4 <= CORE_STOP_TIMEOUT_MS,
               "a forwarder notices stop well within the stop timeout");
_Static_assert(NET_FWD_BATCH_BYTES_SOFT + NET_FWD_BATCH_SAMPLES_MAX * 24ull +
                   10 * CORE_SERIES_KEY_BYTES_MAX <= NET_FWD_BATCH_BYTES_MAX,
               "one more series of a batch under the soft bound (its labels "
               "and at most a batch of 22-byte samples) fits the hard bound");

/* ---- compaction (storage/compact.h; offline, never on a shard) ---------- */
#define STOR_COMPACT_POINTS_MAX (4u << 20)  /* points one pass holds in memory
                                               (24 bytes each): a pass that
                                               would exceed it takes fewer
                                               segments */
/* A write-ahead segment rolls before it would hold more items than this
 * (metric points, log records and spans, all counted), besides
 * --segment-max-bytes and --segment-max-age: so that every metric segment
 * fits a compaction pass alone, whatever --segment-max-bytes says. */
#define STOR_SEGMENT_POINTS_MAX (4u << 20)
#define STOR_COMPACT_SERIES_MAX 100000u     /* series of one compacted segment */
#define STOR_CSEG_DICT_CACHE_ENTRIES 4u    /* decoded dictionaries a process
                                              keeps for the next query (each
                                              its key bytes, offsets, types
                                              and compressed bytes: at most
                                              about 14 MiB, 2-3 MiB for 50k
                                              series) */
#define STOR_COMPACT_KEY_BYTES_MAX (6u << 20) /* their key bytes, uncompressed */
#define STOR_COMPACT_RUN_POINTS_MAX 65536u  /* points of one run (a longer
                                               series takes several runs) */
#define STOR_COMPACT_CARRY_BYTES_MAX (256u << 20) /* log and span block
                                       bytes one pass holds in memory */
#define STOR_COMPACT_BLOCK_BYTES_TARGET (64u << 10) /* a data block closes
                                               past this payload: a one-series
                                               read loads about this much */
/* Background compaction in `sluice run` (core/shard/compactor.h). */
#define CORE_COMPACT_AFTER_MS_DEFAULT (300u * 1000) /* --compact-after: a
                                               closed segment untouched this
                                               long is compacted */
#define CORE_COMPACT_AFTER_MS_MAX (365ull * 86400 * 1000)
#define CORE_COMPACT_TICK_MS_MIN 1000u      /* the compactor looks at most */
#define CORE_COMPACT_TICK_MS_MAX 60000u     /* ... and at least this often */
_Static_assert(CORE_COMPACT_TICK_MS_MIN <= CORE_COMPACT_TICK_MS_MAX &&
                   CORE_COMPACT_AFTER_MS_DEFAULT <= CORE_COMPACT_AFTER_MS_MAX,
               "compactor ticks and delays in order");
_Static_assert(STOR_COMPACT_CARRY_BYTES_MAX >= STOR_SEGMENT_BYTES_DEFAULT,
               "a pass carries the log blocks of a default-size segment");
_Static_assert(STOR_SEGMENT_POINTS_MAX <= STOR_COMPACT_POINTS_MAX,
               "a segment at the writer's point bound fits a pass alone");
_Static_assert(CORE_HEAD_POINTS_MAX <= STOR_SEGMENT_POINTS_MAX &&
                   CORE_LOGHEAD_RECORDS_MAX <= STOR_SEGMENT_POINTS_MAX &&
                   CORE_SPANHEAD_SPANS_MAX <= STOR_SEGMENT_POINTS_MAX,
               "one sealed block always fits an empty segment");
_Static_assert(STOR_COMPACT_RUN_POINTS_MAX <= STOR_BLOCK_POINTS_MAX,
               "a compacted run decodes within a block's point bound");
_Static_assert(1ull * STOR_COMPACT_KEY_BYTES_MAX + 11ull * STOR_COMPACT_SERIES_MAX +
                   48ull * (STOR_COMPACT_SERIES_MAX + STOR_COMPACT_POINTS_MAX /
                                                         STOR_COMPACT_RUN_POINTS_MAX) <
                   1ull * CORE_HEAD_KEY_BYTES_MAX + 64ull * CORE_HEAD_POINTS_MAX,
               "a compacted directory (dictionary stored raw in the worst "
               "case, index, block table) fits a reader's block buffer");
_Static_assert(STOR_COMPACT_RUN_POINTS_MAX * 64ull < 64ull * CORE_HEAD_POINTS_MAX +
                   STOR_COMPACT_BLOCK_BYTES_TARGET,
               "a data block (runs to the target, then one whole run) fits "
               "a reader's block buffer");

#endif
