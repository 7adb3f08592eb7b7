/*
 * perf/bench_logblock.c - log block size and speed: bytes stored per raw
 * byte for a generated RFC 3164 / RFC 5424 mix, and encode/decode rates.
 *
 * Messages are built from a fixed PRNG seed the way a small fleet sends
 * them (24 hosts, services with stable pids, sshd/nginx/postgres/kernel/
 * systemd/cron/app lines with varying addresses, ids and durations; half
 * RFC 5424 with microsecond timestamps and some structured data, half
 * RFC 3164), parsed with core_syslog_parse, and the records stored in
 * blocks of --block records. Raw bytes are the messages as received
 * (no framing). Prints the ratio, and records/s of encode and of decode
 * (reader_init + every record) on one core, best of --passes.
 *
 *   bench_logblock [--count N] [--block N] [--passes N] [--layout 1|2]
 *                  [--level L] [--file CORPUS]
 *       --file: the messages of CORPUS (one a line, LF-framed, e.g.
 *       perf/gen_syslog.py) instead of the built-in generator; raw bytes
 *       are then the file's (messages and their LFs), received at 1 ms
 *       after the message's own time. --layout 1: what sluice wrote
 *       before issue 14 (igzip); 2 (default): zstd at --level.
 *   bench_logblock --count N [--format 5424|3164] --write FILE
 *       writes the messages octet-counted ("LEN SP MSG", as a TCP sender
 *       frames them) to FILE and exits: the input of
 *       `sluice import --proto syslog` in perf/syslog_store.sh.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zstd.h>

#include "core/parse/syslog.h"
#include "storage/logblock.h"
#include "storage/logblock_pack.h"

#define MSG_BYTES_MAX 8192 /* a corpus line, cut there */
#define T0_NS INT64_C(1795284000000000000) /* 2026-11-21T... */

static uint64_t rng_state = 0x2545f4914f6cdd1du;

static uint64_t rnd(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static unsigned below(unsigned n) { return (unsigned)(rnd() % n); }

static const char *const users[] = {"deploy", "root", "alice", "ci", "backup"};
static const char *const paths[] = {"/api/v1/items", "/api/v1/orders",
                                    "/healthz", "/static/app.js", "/login"};

/* One message body for app a (index into the app table below). */
static int body(char *b, size_t cap, unsigned a) {
  unsigned ip = below(256), port = 32768 + below(28000), id = below(100000);
  switch (a) {
  case 0:
    return below(4) ? snprintf(b, cap, "Accepted publickey for %s from 10.0.%u.%u port %u ssh2",
                               users[below(5)], below(4), ip, port)
                    : snprintf(b, cap, "Failed password for invalid user %s from 203.0.113.%u port %u ssh2",
                               users[below(5)], ip, port);
  case 1:
    return snprintf(b, cap, "10.1.%u.%u - - \"GET %s/%u HTTP/1.1\" %d %u \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\" rt=0.%03u",
                    below(4), ip, paths[below(5)], id, below(20) ? 200 : 404,
                    200 + below(9000), below(200));
  case 2:
    return snprintf(b, cap, "duration: %u.%03u ms  statement: SELECT * FROM orders WHERE id = %u",
                    below(50), below(1000), id);
  case 3:
    return snprintf(b, cap, "[UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.%u DST=10.0.0.5 LEN=60 PROTO=TCP SPT=%u DPT=22",
                    ip, port);
  case 4:
    return snprintf(b, cap, "Started Session %u of user %s.", id, users[below(5)]);
  case 5:
    return snprintf(b, cap, "(root) CMD (/usr/local/bin/backup.sh --incremental)");
  default:
    return snprintf(b, cap, "level=info msg=\"request completed\" method=GET path=%s status=200 duration_ms=%u request_id=%08x",
                    paths[below(5)], below(300), (unsigned)rnd());
  }
}

static const char *const apps[] = {"sshd", "nginx", "postgres", "kernel",
                                   "systemd", "CRON", "api"};
#define APPS 7
#define HOSTS 24

/* -1: alternate RFC 3164 and RFC 5424; 0: only 5424; 1: only 3164. */
static int only_format = -1;

/* Message i: returns its length. */
static int message(char *b, size_t cap, uint32_t i, int64_t t_ns) {
  static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                              "Aug", "Sep", "Oct", "Nov", "Dec"};
  unsigned h = below(HOSTS), a = below(APPS), pid = 1000 + h * 37 + a * 11;
  time_t s = (time_t)(t_ns / 1000000000);
  struct tm tm;
  char txt[MSG_BYTES_MAX];
  int pri = (a == 3 ? 0 : a == 0 ? 4 : 3) * 8 + (below(10) ? 6 : 3);

  gmtime_r(&s, &tm);
  body(txt, sizeof(txt), a);
  if (only_format >= 0 ? only_format : (int)(i % 2))
    return snprintf(b, cap, "<%d>%s %2d %02d:%02d:%02d host-%02u %s[%u]: %s",
                    pri, mon[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min,
                    tm.tm_sec, h, apps[a], pid, txt);
  return snprintf(b, cap,
                  "<%d>1 %04d-%02d-%02dT%02d:%02d:%02d.%06dZ host-%02u.example.com %s %u %s %s %s",
                  pri, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                  tm.tm_min, tm.tm_sec, (int)(t_ns / 1000 % 1000000), h,
                  apps[a], pid, a == 1 ? "REQ" : "-",
                  below(3) ? "-" : "[meta sequenceId=\"42\"][origin ip=\"10.0.0.9\"]",
                  txt);
}

/* The lines of path (LF-framed), up to count, packed into msgs (cap
 * bytes) at offs[i] (lines of MSG_BYTES_MAX or more are cut and counted
 * so). Returns the number read. */
static uint32_t read_corpus(const char *path, uint32_t count, char *msgs,
                            size_t cap, size_t *offs, size_t *raw) {
  FILE *f = fopen(path, "rb");
  char *line = NULL;
  ssize_t n;
  uint32_t i = 0, cut = 0;

  if (f == NULL)
    return 0;
  size_t lcap = 0, at = 0;
  while (i < count && (n = getline(&line, &lcap, f)) > 0) {
    if (line[n - 1] == '\n')
      n--;
    if (n >= MSG_BYTES_MAX) {
      n = MSG_BYTES_MAX - 1;
      cut++;
    }
    if (at + (size_t)n > cap)
      break;
    *raw += (size_t)n + 1;
    memcpy(msgs + at, line, (size_t)n);
    offs[i++] = at;
    at += (size_t)n;
    offs[i] = at;
  }
  free(line);
  fclose(f);
  if (cut)
    fprintf(stderr, "bench_logblock: %u lines cut to %d bytes\n", cut,
            MSG_BYTES_MAX - 1);
  return i;
}

/* Layout 2: each column of the block e just encoded, compressed alone at
 * level, added to sum[c] (where the bytes go). */
static void column_sizes(const struct stor_logenc *e, int level, size_t *sum) {
  static uint8_t *z;
  size_t cap = ZSTD_compressBound(STOR_LOGBLOCK_TEXT_BYTES_MAX);

  if (z == NULL && (z = malloc(cap)) == NULL)
    return;
  for (int c = 0; c < STOR_LCOLS2; c++) {
    const uint8_t *p = c < STOR_LCOLS ? e->col[c]
                       : c == STOR_LCOL_TEXT ? e->text
                                             : e->col2[c - STOR_LCOLS];
    size_t n = c < STOR_LCOLS ? e->col_len[c]
               : c == STOR_LCOL_TEXT ? e->text_len
                                     : e->col2_len[c - STOR_LCOLS];
    sum[c] += n ? ZSTD_compress(z, cap, p, n, level) : 0;
  }
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Compaction's form: the live blocks of recs (block records each,
 * encoded as the writer does) merged by stor_logpack into blocks of up to
 * STOR_LOGBLOCK_RECORDS_MAX records. Prints the stored bytes and rates. */
static int pack_all(struct stor_logenc *enc, struct stor_logdec *dec,
                    const struct stor_log_rec *recs, uint32_t count,
                    uint32_t block, size_t raw, uint8_t *live, uint8_t *out,
                    size_t cap) {
  struct stor_logpack pk;
  size_t stored = 0;
  uint64_t seq = 1;
  double t0 = now_s();

  int level = atoi(getenv("BENCH_PACK"));

  if (stor_logpack_init(&pk, 0) < 0 ||
      (level > 0 && stor_logenc_set_level(&pk.enc, level) < 0))
    return 1;
  for (uint32_t i = 0; i < count; i += block) {
    uint32_t n = count - i < block ? count - i : block;
    long len = stor_logblock_encode(enc, 0, seq, recs + i, n, live, cap);
    int rc;
    if (len < 0)
      return 1;
    while ((rc = stor_logpack_add_block(&pk, dec, live, (size_t)len)) ==
           -ENOSPC) {
      long z = stor_logpack_encode(&pk, 0, seq++, out, cap);
      if (z <= 0)
        return 1;
      stored += (size_t)z;
    }
    if (rc < 0)
      return 1;
  }
  long z = stor_logpack_encode(&pk, 0, seq, out, cap);
  if (z < 0)
    return 1;
  stored += (size_t)z;
  printf("packed (compaction, %u records a block, zstd level %d): stored %zu "
         "bytes, stored/raw %.4f, %.2f M records/s (decode live + pack)\n",
         STOR_LOGBLOCK_RECORDS_MAX, pk.enc.level, stored,
         (double)stored / raw, count / (now_s() - t0) / 1e6);
  stor_logpack_free(&pk);
  return 0;
}

static void to_log_rec(const struct core_syslog_rec *p, int64_t recv_ms,
                       struct stor_log_rec *r) {
  *r = (struct stor_log_rec){
      .time_ns = p->time_ns, .recv_ms = recv_ms, .facility = p->facility,
      .severity = p->severity, .flags = p->flags, .host = p->hostname,
      .app = p->app_name, .procid = p->procid, .msgid = p->msgid,
      .msg = p->msg, .attr_count = p->attr_count, .attrs = p->attrs};
}

/* The workload as a TCP stream, for sluice import. */
static int write_stream(const char *path, uint32_t count) {
  FILE *f = fopen(path, "wb");
  char m[MSG_BYTES_MAX];
  int64_t t = T0_NS;

  if (f == NULL)
    return 1;
  for (uint32_t i = 0; i < count; i++) {
    t += 50000 + below(200000);
    int n = message(m, sizeof(m), i, t);
    fprintf(f, "%d %.*s", n, n, m);
  }
  return fclose(f) != 0;
}

int main(int argc, char **argv) {
  uint32_t count = 200000, block = 8192, passes = 5, layout = 2;
  int level = STOR_LOG2_ZLEVEL_LIVE;
  const char *write_path = NULL, *file = NULL;
  int opt;
  static const struct option longopts[] = {{"count", 1, 0, 'c'},
                                           {"block", 1, 0, 'b'},
                                           {"passes", 1, 0, 'p'},
                                           {"write", 1, 0, 'w'},
                                           {"format", 1, 0, 'f'},
                                           {"layout", 1, 0, 'l'},
                                           {"level", 1, 0, 'L'},
                                           {"file", 1, 0, 'F'},
                                           {0, 0, 0, 0}};

  while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    if (opt == 'c') count = (uint32_t)strtoul(optarg, NULL, 10);
    else if (opt == 'b') block = (uint32_t)strtoul(optarg, NULL, 10);
    else if (opt == 'p') passes = (uint32_t)strtoul(optarg, NULL, 10);
    else if (opt == 'w') write_path = optarg;
    else if (opt == 'f') only_format = strcmp(optarg, "5424") == 0 ? 0 : 1;
    else if (opt == 'l') layout = (uint32_t)strtoul(optarg, NULL, 10);
    else if (opt == 'L') level = atoi(optarg);
    else if (opt == 'F') file = optarg;
    else return 2;
  }
  if (write_path != NULL)
    return write_stream(write_path, count);
  size_t msgs_cap = (size_t)count * 600;
  char *msgs = malloc(msgs_cap);
  char *scratch = malloc(msgs_cap);
  struct core_syslog_rec *parsed = malloc((size_t)block * sizeof(*parsed));
  struct stor_log_rec *recs = malloc((size_t)count * sizeof(*recs));
  struct core_syslog_attr *attrs = malloc((size_t)count * 4 * sizeof(*attrs));
  size_t out_cap = 64u << 20, raw = 0, stored = 0, nattr = 0;
  uint8_t *out = malloc(out_cap);
  size_t *offs = malloc(((size_t)count + 1) * sizeof(*offs));
  struct stor_logenc enc;
  struct stor_logdec dec;
  if (!msgs || !scratch || !parsed || !recs || !attrs || !out || !offs ||
      stor_logenc_init(&enc, block) || stor_logdec_init(&dec) ||
      stor_logenc_set_level(&enc, level))
    return 1;
  stor_logenc_set_layout(&enc, layout);
  if (getenv("BENCH_TEMPLATES") != NULL)
    stor_logenc_set_templates(&enc, atoi(getenv("BENCH_TEMPLATES")));
  if (file != NULL && (count = read_corpus(file, count, msgs, msgs_cap, offs, &raw)) == 0)
    return 1;

  int64_t t = T0_NS;
  size_t at = 0;
  for (uint32_t i = 0; i < count; i++) {
    t += 50000 + below(200000); /* ~8k messages/s */
    if (file == NULL) {
      offs[i] = at;
      at += (size_t)message(msgs + at, 600, i, t);
      offs[i + 1] = at;
    }
    char *m = msgs + offs[i];
    int n = (int)(offs[i + 1] - offs[i]);
    struct core_syslog_rec *p = &parsed[i % block];
    core_syslog_parse(m, (size_t)n, t / 1000000 + 3, scratch + offs[i], p);
    if (file != NULL) /* received 1 ms after the message's time */
      p->time_ns = p->time_ns ? p->time_ns : t;
    to_log_rec(p, file ? p->time_ns / 1000000 + 1 : t / 1000000 + 3,
               &recs[i]);
    memcpy(attrs + nattr, p->attrs, p->attr_count * sizeof(*attrs));
    recs[i].attrs = attrs + nattr;
    nattr += p->attr_count;
    raw += file ? 0 : (size_t)n;
  }

  double best_enc = 1e9, best_dec = 1e9;
  size_t col[4] = {0, 0, 0, 0}, col2[STOR_LCOLS2] = {0};
  int columns = getenv("BENCH_COLUMNS") != NULL;
  int pack = getenv("BENCH_PACK") != NULL;
  for (uint32_t pass = 0; pass < passes; pass++) {
    double t0 = now_s(), tdec = 0;
    stored = 0;
    for (uint32_t i = 0; i < count; i += block) {
      uint32_t n = count - i < block ? count - i : block;
      long len = stor_logblock_encode(&enc, 0, 1 + i / block, recs + i, n,
                                      out, out_cap);
      if (len < 0) {
        fprintf(stderr, "encode: %ld\n", len);
        return 1;
      }
      stored += (size_t)len;
      struct stor_logblock_hdr h;
      if (pass == 0 && stor_logblock_hdr_read(out, (size_t)len, &h) == 0) {
        col[0] += h.dict_bytes;
        col[1] += h.fields_bytes;
        col[2] += h.ztext_bytes;
        col[3] += h.text_bytes;
        if (columns && layout == 2)
          column_sizes(&enc, level, col2);
      }
      double d0 = now_s();
      struct stor_logblock_reader r;
      struct stor_log_rec got;
      struct core_syslog_attr a[CORE_SYSLOG_SD_ATTRS_MAX];
      if (stor_logblock_reader_init(&r, &dec, out, (size_t)len) != 0)
        return 1;
      while (stor_logblock_next(&r, &got, a, CORE_SYSLOG_SD_ATTRS_MAX) == 1)
        ;
      tdec += now_s() - d0;
    }
    double tall = now_s() - t0 - tdec;
    best_enc = tall < best_enc ? tall : best_enc;
    best_dec = tdec < best_dec ? tdec : best_dec;
  }
  printf("log blocks: %u records (%s), %u per block, layout %u%s%d\n", count,
         file ? file : "3164/5424 mix", block, layout,
         layout == 1 ? "" : ", zstd level ", layout == 1 ? 0 : level);
  printf("raw %zu bytes (%.1f a record), stored %zu bytes (%.1f a record)\n",
         raw, (double)raw / count, stored, (double)stored / count);
  printf("a record: header %.2f, string table %.2f, deflated stream %.2f "
         "(inflated: fields %.2f + text %.2f)\n",
         64.0 * ((count + block - 1) / block) / count, (double)col[0] / count,
         (double)col[2] / count, (double)col[1] / count,
         (double)(col[3] - col[1]) / count);
  if (columns) {
    static const char *names[STOR_LCOLS2] = {
        "time", "recv", "pri", "flags", "host", "app", "procid", "msgid",
        "attrs", "msg", "strtab", "tpllen", "tpl", "num", "hex", "text"};
    printf("columns alone (bytes a record):");
    for (int c = 0; c < STOR_LCOLS2; c++)
      printf(" %s %.2f", names[c], (double)col2[c] / count);
    printf("\n");
  }
  printf("stored/raw %.4f\n", (double)stored / raw);
  if (pack) {
    uint8_t *live = malloc(out_cap);
    if (live == NULL ||
        pack_all(&enc, &dec, recs, count, block, raw, live, out, out_cap))
      return 1;
  }
  printf("encode %.2f M records/s (%.0f MB/s raw), decode %.2f M records/s, best of %u\n",
         count / best_enc / 1e6, raw / best_enc / 1e6, count / best_dec / 1e6,
         passes);
  return 0;
}
