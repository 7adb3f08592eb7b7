/*
 * tools/inspect.c - `sluice inspect` (see core/inspect.h).
 *
 * An operator's tool, run off the daemon: plain blocking reads through
 * storage/reader.h, one line per block, key=value fields so that grep and
 * awk can take them apart.
 */
#include "tools/inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/cmd/cli.h"
#include "core/base/limits.h"
#include "core/parse/syslog.h"
#include "storage/block.h"
#include "storage/compact.h"
#include "storage/logblock.h"
#include "storage/spanblock.h"
#include "core/base/strbuf.h"
#include "net/query/query_api.h"
#include "storage/reader.h"
#include "storage/recover.h"

static const char help[] =
    "Usage: sluice inspect [--points] [--records] [--spans] PATH...\n"
    "List the blocks of segment files. PATH is a segment file\n"
    "(shard-K/NNNNNNNNNNNNNNNN.seg), a shard directory or a data directory.\n"
    "\n"
    "  -p, --points   also print every point of metric blocks:\n"
    "                 KEY TYPE TS_MS VALUE (KEY as name#tag,tag)\n"
    "  -r, --records  also print every record of log blocks, one JSON object\n"
    "                 a line: time_ns, recv_ms, facility, severity, flags,\n"
    "                 host, app, procid, msgid, attrs ({\"sdid.name\": value};\n"
    "                 a repeated key repeats), msg. Strings are the stored\n"
    "                 bytes with \" \\\\ and control bytes escaped (invalid\n"
    "                 UTF-8 passes through: flags bit 4 marks it)\n"
    "  -s, --spans    also print every span of span blocks, one JSON object\n"
    "                 a line as GET /api/v1/traces serves it\n"
    "  -h, --help     this text\n"
    "\n"
    "Per metric block (kind=metrics): offset, seq, shard, points, runs,\n"
    "dictionary entries, time range (RFC 3339 and ms), size in bytes and\n"
    "check status. Per log block (kind=logs): offset, seq, shard, records,\n"
    "string table entries, inflated stream bytes, time range (RFC 3339 and\n"
    "ns), size and check status. Per span block (kind=spans): offset, seq,\n"
    "shard, spans, distinct traces, string table entries, inflated stream\n"
    "bytes, start time range (RFC 3339 and ns), size and check status.\n"
    "A compacted segment (kind=compacted) is one line for its directory\n"
    "and data blocks (every run decoded), then the log and span blocks it\n"
    "carries, each listed and checked as above.\n"
    "Then a summary. Reading a segment stops at\n"
    "its first bad block.\n"
    "Exit status: 0 every block good, 1 a bad block or an unreadable file\n"
    "(named with its offset), 2 usage error.\n";

/* Keys of the segment being read, by series id (ids are dense). */
struct keymap {
  struct { uint64_t off; uint32_t len; uint8_t type; bool set; } *ent;
  size_t cap;
  char *arena;
  size_t used, arena_cap;
};

struct inspect {
  bool points, records, spans;
  int bad;
  struct stor_logdec dec;
  struct stor_spandec sdec;
  struct core_strbuf line;
  struct keymap keys;
  int64_t *ts;
  double *val;
  uint32_t pts_cap;
  uint64_t files, blocks, bad_blocks, npoints, runs, dict, bytes;
  uint64_t log_blocks, nrecords, log_dict, log_bytes;
  uint64_t log_layout1; /* log blocks of layout 1 (before issue 14) */
  uint64_t span_blocks, nspans, span_bytes;
  int64_t min_ts, max_ts;   /* ms, over both kinds */
};

/* RFC 3339 of v units since the epoch (per_s units a second, shown with
 * `digits` fraction digits: 3 for ms, 9 for ns). */
static void fmt_time_in(int64_t v, int64_t per_s, int digits, char *out,
                        size_t len) {
  int64_t s = v / per_s - (v % per_s < 0);
  int64_t frac = v - s * per_s;
  time_t t = (time_t)s;
  struct tm tm;

  if (gmtime_r(&t, &tm) == NULL) {
    snprintf(out, len, "?");
    return;
  }
  snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%0*" PRId64 "Z",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
           tm.tm_min, tm.tm_sec, digits, frac);
}

static void fmt_time(int64_t ms, char *out, size_t len) {
  fmt_time_in(ms, 1000, 3, out, len);
}

/* ns to ms, rounding down (toward -inf). */
static int64_t ns_to_ms(int64_t ns) {
  return ns / 1000000 - (ns % 1000000 < 0);
}

static const char *status_name(enum stor_blk_status s) {
  switch (s) {
  case STOR_BLK_OK: return "ok";
  case STOR_BLK_BAD_HEADER: return "bad header";
  case STOR_BLK_TRUNCATED: return "truncated: the file ends inside the block";
  case STOR_BLK_TOO_BIG: return "too big for any block a writer writes";
  case STOR_BLK_BAD_CRC: return "bad CRC32C";
  case STOR_BLK_BAD_DATA: return "a column does not decode";
  }
  return "?";
}

static int grow(void *p, size_t sz, size_t *cap, size_t need) {
  size_t c = *cap ? *cap : 64;
  void *q;

  if (need <= *cap)
    return 0;
  while (c < need)
    c *= 2;
  if ((q = realloc(*(void **)p, c * sz)) == NULL)
    return -ENOMEM;
  memset((char *)q + *cap * sz, 0, (c - *cap) * sz);
  *(void **)p = q;
  *cap = c;
  return 0;
}

static int keep_key(struct keymap *m, const struct stor_dict_entry *e) {
  if (e->id >= CORE_SERIES_MAX_LIMIT)
    return 0;  /* shown as an unknown id */
  if (grow(&m->ent, sizeof(*m->ent), &m->cap, (size_t)e->id + 1) < 0 ||
      grow(&m->arena, 1, &m->arena_cap, m->used + e->key_len) < 0)
    return -ENOMEM;
  memcpy(m->arena + m->used, e->key, e->key_len);
  m->ent[e->id].off = m->used;
  m->ent[e->id].len = e->key_len;
  m->ent[e->id].type = e->type;
  m->ent[e->id].set = true;
  m->used += e->key_len;
  return 0;
}

/* KEY as name#tag,tag (the DogStatsD look of a canonical key). */
static void print_key(const struct keymap *m, uint32_t id) {
  if (id >= m->cap || !m->ent[id].set) {
    printf("?id=%" PRIu32 " ?", id);
    return;
  }
  const char *k = m->arena + m->ent[id].off;
  for (uint32_t i = 0, tag = 0; i < m->ent[id].len; i++)
    if (k[i] == '\0')
      putchar(tag++ ? ',' : '#');
    else
      putchar(k[i]);
  printf(" %s", stor_series_type_name(m->ent[id].type));
}

static int print_runs(struct inspect *in, struct stor_seg_block *b) {
  struct stor_run run;
  int rc;

  if (b->hdr.point_count > in->pts_cap) {
    int64_t *ts = realloc(in->ts, b->hdr.point_count * sizeof(*ts));
    double *val = ts ? realloc(in->val, b->hdr.point_count * sizeof(*val))
                     : NULL;
    in->ts = ts ? ts : in->ts;
    in->val = val ? val : in->val;
    if (val == NULL)
      return -ENOMEM;
    in->pts_cap = b->hdr.point_count;
  }
  while ((rc = stor_block_next_run(&b->rd, &run, in->ts, in->val,
                                   in->pts_cap)) == 1)
    for (uint32_t i = 0; in->points && i < run.count; i++) {
      printf("    ");
      print_key(&in->keys, run.series_id);
      printf(" %" PRId64 " %.17g\n", in->ts[i], in->val[i]);
    }
  return rc;
}

/* Dictionary and runs of a loaded block; -EBADMSG when one fails. */
static int block_body(struct inspect *in, struct stor_seg_block *b) {
  struct stor_dict_entry e;
  int rc;

  while ((rc = stor_block_next_dict(&b->rd, &e)) == 1)
    if ((rc = keep_key(&in->keys, &e)) < 0)
      return rc;
  if (rc < 0)
    return rc;
  return print_runs(in, b);
}

static void log_block_line(const struct stor_seg_block *b) {
  char lo[96], hi[96];
  const struct stor_logblock_hdr *h = &b->lhdr;

  fmt_time_in(h->min_ns, 1000000000, 9, lo, sizeof(lo));
  fmt_time_in(h->max_ns, 1000000000, 9, hi, sizeof(hi));
  printf(" seq=%" PRIu64 " kind=logs shard=%u records=%" PRIu32
         " dict=%" PRIu32 " text_bytes=%" PRIu32 " bytes=%" PRIu64
         " min=%s (%" PRId64 ") max=%s (%" PRId64 ") layout=%u",
         h->seq, h->shard, h->count, h->dict_count, h->text_bytes, b->bytes,
         lo, h->min_ns, hi, h->max_ns, h->layout);
  if (h->layout == STOR_LOG_LAYOUT2)
    printf(" templates=%" PRIu32 " expanded_bytes=%" PRIu32, h->tpl_count,
           h->expanded_bytes);
}

static void span_block_line(const struct stor_seg_block *b) {
  char lo[96], hi[96];
  const struct stor_spanblock_hdr *h = &b->shdr;

  fmt_time_in(h->min_ns, 1000000000, 9, lo, sizeof(lo));
  fmt_time_in(h->max_ns, 1000000000, 9, hi, sizeof(hi));
  printf(" seq=%" PRIu64 " kind=spans shard=%u spans=%" PRIu32
         " traces=%" PRIu32 " dict=%" PRIu32 " text_bytes=%" PRIu32
         " bytes=%" PRIu64 " min=%s (%" PRId64 ") max=%s (%" PRId64 ")",
         h->seq, h->shard, h->count, h->trace_count, h->dict_count,
         h->text_bytes, b->bytes, lo, h->min_ns, hi, h->max_ns);
}

static void block_line(const struct stor_seg_block *b) {
  char lo[96], hi[96];
  const struct stor_block_hdr *h = &b->hdr;

  printf("  block offset=%" PRIu64, b->offset);
  if (b->status != STOR_BLK_BAD_HEADER && b->kind == STOR_KIND_LOGS) {
    log_block_line(b);
  } else if (b->status != STOR_BLK_BAD_HEADER && b->kind == STOR_KIND_SPANS) {
    span_block_line(b);
  } else if (b->status != STOR_BLK_BAD_HEADER) {
    fmt_time(h->min_ts_ms, lo, sizeof(lo));
    fmt_time(h->max_ts_ms, hi, sizeof(hi));
    printf(" seq=%" PRIu64 " kind=%s shard=%u points=%" PRIu32
           " runs=%" PRIu32 " dict=%" PRIu32 " bytes=%" PRIu64
           " min=%s (%" PRId64 ") max=%s (%" PRId64 ")",
           h->seq, h->kind == STOR_KIND_METRICS ? "metrics" : "other",
           h->shard, h->point_count, h->run_count, h->dict_count, b->bytes,
           lo, h->min_ts_ms, hi, h->max_ts_ms);
  }
  printf(" check=%s\n", status_name(b->status));
}

static void range(struct inspect *in, int64_t min_ms, int64_t max_ms) {
  if (min_ms < in->min_ts)
    in->min_ts = min_ms;
  if (max_ms > in->max_ts)
    in->max_ts = max_ms;
}

static void count(struct inspect *in, const struct stor_seg_block *b) {
  const struct stor_block_hdr *h = &b->hdr;

  in->blocks++;
  in->bytes += b->bytes;
  if (b->kind == STOR_KIND_LOGS) {
    in->log_blocks++;
    in->log_layout1 += b->lhdr.layout == 1;
    in->nrecords += b->lhdr.count;
    in->log_dict += b->lhdr.dict_count;
    in->log_bytes += b->bytes;
    range(in, ns_to_ms(b->lhdr.min_ns), ns_to_ms(b->lhdr.max_ns));
    return;
  }
  if (b->kind == STOR_KIND_SPANS) {
    in->span_blocks++;
    in->nspans += b->shdr.count;
    in->span_bytes += b->bytes;
    range(in, ns_to_ms(b->shdr.min_ns), ns_to_ms(b->shdr.max_ns));
    return;
  }
  in->npoints += h->point_count;
  in->runs += h->run_count;
  in->dict += h->dict_count;
  range(in, h->min_ts_ms, h->max_ts_ms);
}

/* A JSON string of the stored bytes (see the help text). */
static void print_json_str(const char *p, size_t n) {
  putchar('"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c < 0x20 || c == 0x7f)
      printf("\\u%04x", c);
    else
      putchar(c);
  }
  putchar('"');
}

static void print_field(const char *name, struct core_syslog_str s) {
  printf(",\"%s\":", name);
  print_json_str(s.ptr, s.len);
}

static void print_record(const struct stor_log_rec *r) {
  char key[2 * CORE_SYSLOG_SD_NAME_BYTES_MAX + 1];

  printf("    {\"time_ns\":%" PRId64 ",\"recv_ms\":%" PRId64
         ",\"facility\":%u,\"severity\":%u,\"flags\":%" PRIu32,
         r->time_ns, r->recv_ms, r->facility, r->severity, r->flags);
  print_field("host", r->host);
  print_field("app", r->app);
  print_field("procid", r->procid);
  print_field("msgid", r->msgid);
  printf(",\"attrs\":{");
  for (uint32_t i = 0; i < r->attr_count; i++) {
    size_t n = core_syslog_attr_key(&r->attrs[i], key, sizeof(key));
    printf("%s", i ? "," : "");
    print_json_str(key, n <= sizeof(key) ? n : 0);
    putchar(':');
    print_json_str(r->attrs[i].value.ptr, r->attrs[i].value.len);
  }
  putchar('}');
  print_field("msg", r->msg);
  printf("}\n");
}

/* Records of a loaded log block; -EBADMSG when one fails. */
static int log_body(struct inspect *in, struct stor_seg_block *b) {
  struct core_syslog_attr attrs[CORE_SYSLOG_SD_ATTRS_MAX];
  struct stor_log_rec rec;
  int rc;

  while ((rc = stor_logblock_next(&b->lrd, &rec, attrs,
                                  CORE_SYSLOG_SD_ATTRS_MAX)) == 1)
    if (in->records)
      print_record(&rec);
  return rc < 0 ? -EBADMSG : 0;
}

/* Spans of a loaded span block; -EBADMSG when one fails. */
static int span_body(struct inspect *in, struct stor_seg_block *b) {
  struct stor_span s;
  int rc;

  while ((rc = stor_spanblock_next(&b->srd, &s)) == 1) {
    if (!in->spans)
      continue;
    in->line.len = 0;
    net_query_span_json(&in->line, &s);
    printf("    %.*s\n", (int)in->line.len, in->line.data);
  }
  return rc < 0 ? -EBADMSG : 0;
}

static int load(struct inspect *in, struct stor_seg_reader *r,
                struct stor_seg_block *b) {
  if (b->kind == STOR_KIND_LOGS)
    return stor_seg_load_log(r, b, &in->dec);
  if (b->kind == STOR_KIND_SPANS)
    return stor_seg_load_spans(r, b, &in->sdec);
  return stor_seg_load(r, b);
}

/* One block: check, list, count; 1 when it is bad (the segment ends). */
static int one_block(struct inspect *in, struct stor_seg_reader *r,
                     struct stor_seg_block *b) {
  int rc = 0;

  /* Kind 4 only as a compacted segment (inspect_compacted), never amid
   * other blocks: a segment holding one there is bad from it on. */
  if (b->status == STOR_BLK_OK && b->kind == STOR_KIND_SERIES)
    b->status = STOR_BLK_BAD_DATA;
  if (b->status == STOR_BLK_OK && (rc = load(in, r, b)) < 0 &&
      rc != -EBADMSG)
    return rc;
  block_line(b);
  if (b->status != STOR_BLK_OK)
    return 1;
  rc = b->kind == STOR_KIND_LOGS    ? log_body(in, b)
       : b->kind == STOR_KIND_SPANS ? span_body(in, b)
                                    : block_body(in, b);
  if (rc == -EBADMSG) {
    b->status = STOR_BLK_BAD_DATA;
    block_line(b);
    return 1;
  }
  if (rc < 0)
    return rc;
  count(in, b);
  return 0;
}

/* Every run of a compacted segment decoded (its data blocks checked). */
static int compacted_body(struct inspect *in, struct stor_cseg *c) {
  int rc = 0;

  for (uint32_t i = 0; i < c->runs && rc == 0; i++) {
    uint32_t n = c->run[i].count;
    if (n > in->pts_cap) {
      free(in->ts);
      free(in->val);
      in->ts = malloc(n * sizeof(*in->ts));
      in->val = malloc(n * sizeof(*in->val));
      in->pts_cap = in->ts && in->val ? n : 0;
      if (in->pts_cap == 0)
        return -ENOMEM;
    }
    if ((rc = stor_cseg_read_run(c, i, in->ts, in->val)) < 0)
      break;
    in->npoints += n;
    if (in->points && c->first_run[c->run[i].series] == i) {
      struct stor_dict_entry e;
      stor_cseg_key(c, c->run[i].series, &e);
      if ((rc = keep_key(&in->keys, &e)) < 0)
        break;
    }
    for (uint32_t k = 0; in->points && k < n; k++) {
      printf("    ");
      print_key(&in->keys, c->run[i].series);
      printf(" %" PRId64 " %.17g\n", in->ts[k], in->val[k]);
    }
  }
  return rc;
}

/*
 * The carried blocks of a compacted segment: after its kind-4 blocks, the
 * log and span blocks of the segments it replaced, listed, checked and
 * counted as in any segment. A kind-4 block among them is bad, as a
 * metric block is (a compacted segment holds none). Returns 0, 1 when a
 * block is bad (nothing after it is read), or -errno.
 */
static int compacted_carried(struct inspect *in, int dir_fd, const char *name,
                             const char *shown) {
  struct stor_seg_reader r;
  struct stor_seg_block b;
  int rc, head = 1;

  if ((rc = stor_seg_open(&r, dir_fd, name)) < 0) {
    stor_seg_close(&r);
    return rc;
  }
  while ((rc = stor_seg_next(&r, &b)) == 1) {
    if (head && b.status == STOR_BLK_OK && b.kind == STOR_KIND_SERIES)
      continue; /* the directory and data blocks, checked above */
    head = 0;
    if (b.status == STOR_BLK_OK && b.kind == STOR_KIND_METRICS)
      b.status = STOR_BLK_BAD_DATA;
    if ((rc = one_block(in, &r, &b)) != 0)
      break;
  }
  if (rc == 1)
    fprintf(stderr, "sluice inspect: %s: bad block at offset %" PRIu64
                    ": %s; nothing after it is read\n", shown, b.offset,
            status_name(b.status));
  stor_seg_close(&r);
  return rc;
}

/*
 * A compacted segment (kind 4): its directory, then every data block
 * checked, then its carried log and span blocks. Returns 1 when name is
 * one (listed), 0 when it is not.
 */
static int inspect_compacted(struct inspect *in, int dir_fd, const char *name,
                             const char *shown) {
  struct stor_cseg c;
  char lo[96], hi[96];
  int rc = stor_cseg_open(&c, dir_fd, name);

  if (rc == 0)
    return 0;
  in->files++;
  if (rc < 0) {
    fprintf(stderr, "sluice inspect: %s: compacted directory: %s\n", shown,
            strerror(-rc));
    in->bad = 1;
    in->bad_blocks++;
    return 1;
  }
  fmt_time(c.dir.f.min, lo, sizeof(lo));
  fmt_time(c.dir.f.max, hi, sizeof(hi));
  printf("segment %s kind=compacted replaces=%" PRIu64 "..%" PRIu64
         " seq=%" PRIu64 " shard=%u points=%" PRIu32 " series=%" PRIu32
         " runs=%" PRIu32 " data_blocks=%" PRIu32 " dict_bytes=%" PRIu32
         " index_bytes=%" PRIu32 " directory_bytes=%zu"
         " min=%s (%" PRId64 ") max=%s (%" PRId64 ")",
         shown, c.lo, c.hi, c.dir.f.seq, c.dir.f.shard, c.dir.f.count,
         c.series, c.runs, c.blocks, c.dir.b, c.dir.c,
         stor_frame_total_bytes(&c.dir.f), lo, c.dir.f.min, hi, c.dir.f.max);
  in->keys.used = 0;
  if (in->keys.ent)
    memset(in->keys.ent, 0, in->keys.cap * sizeof(*in->keys.ent));
  printf("%s", in->points ? "\n" : "");
  rc = compacted_body(in, &c);
  printf("%scheck=%s\n", in->points ? "  " : " ",
         rc == 0 ? "ok" : strerror(-rc));
  if (rc < 0) {
    in->bad = 1;
    in->bad_blocks++;
  }
  in->blocks += 1 + c.blocks_loaded;
  in->runs += c.runs;
  in->dict += c.series;
  in->bytes += c.bytes_read;
  range(in, c.dir.f.min, c.dir.f.max);
  stor_cseg_close(&c);
  if (rc == 0 && (rc = compacted_carried(in, dir_fd, name, shown)) != 0) {
    in->bad = 1;
    in->bad_blocks += rc == 1;
    if (rc < 0)
      fprintf(stderr, "sluice inspect: %s: %s\n", shown, strerror(-rc));
  }
  return 1;
}

static void inspect_file(struct inspect *in, int dir_fd, const char *name,
                         const char *shown) {
  struct stor_seg_reader r;
  struct stor_seg_block b;
  int rc;

  if (inspect_compacted(in, dir_fd, name, shown))
    return;
  rc = stor_seg_open(&r, dir_fd, name);
  if (rc < 0) {
    fprintf(stderr, "sluice inspect: %s: %s\n", shown, strerror(-rc));
    in->bad = 1;
    stor_seg_close(&r);
    return;
  }
  in->files++;
  in->keys.used = 0;
  if (in->keys.ent)
    memset(in->keys.ent, 0, in->keys.cap * sizeof(*in->keys.ent));
  printf("segment %s bytes=%" PRIu64 "\n", shown, r.size);
  while ((rc = stor_seg_next(&r, &b)) == 1)
    if ((rc = one_block(in, &r, &b)) != 0)
      break;
  if (rc == 1) {
    in->bad = 1;
    in->bad_blocks++;
    fprintf(stderr, "sluice inspect: %s: bad block at offset %" PRIu64
                    ": %s; nothing after it is read\n", shown, b.offset,
            status_name(b.status));
  } else if (rc < 0) {
    in->bad = 1;
    fprintf(stderr, "sluice inspect: %s: %s\n", shown, strerror(-rc));
  }
  stor_seg_close(&r);
}

static void inspect_shard_dir(struct inspect *in, const char *path) {
  uint64_t *seqs;
  long n = stor_segment_seqs(path, &seqs);
  char name[32], shown[4200];

  if (n < 0) {
    fprintf(stderr, "sluice inspect: %s: %s\n", path, strerror((int)-n));
    in->bad = 1;
    return;
  }
  for (long i = 0; i < n; i++) {
    stor_segment_name(seqs[i], name, sizeof(name));
    snprintf(shown, sizeof(shown), "%s/%s", path, name);
    inspect_file(in, AT_FDCWD, shown, shown);
  }
  free(seqs);
}

static void inspect_path(struct inspect *in, const char *path) {
  unsigned ids[CORE_SHARDS_MAX];
  char sub[4200];
  struct stat st;
  int n;

  if (stat(path, &st) < 0) {
    fprintf(stderr, "sluice inspect: %s: %s\n", path, strerror(errno));
    in->bad = 1;
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    inspect_file(in, AT_FDCWD, path, path);
    return;
  }
  n = stor_shard_ids(path, ids);
  if (n <= 0) {
    inspect_shard_dir(in, path);
    return;
  }
  for (int i = 0; i < n; i++) {
    snprintf(sub, sizeof(sub), "%s/shard-%u", path, ids[i]);
    inspect_shard_dir(in, sub);
  }
}

static void summary(const struct inspect *in) {
  char lo[96] = "-", hi[96] = "-";
  uint64_t metric_bytes = in->bytes - in->log_bytes - in->span_bytes;

  if (in->blocks) {
    fmt_time(in->min_ts, lo, sizeof(lo));
    fmt_time(in->max_ts, hi, sizeof(hi));
  }
  printf("summary: segments=%" PRIu64 " blocks=%" PRIu64 " bad=%" PRIu64
         " points=%" PRIu64 " runs=%" PRIu64 " dict=%" PRIu64
         " bytes=%" PRIu64 " min=%s max=%s", in->files, in->blocks,
         in->bad_blocks, in->npoints, in->runs, in->dict, in->bytes, lo, hi);
  if (in->npoints)
    printf(" bytes_per_point=%.3f",
           (double)metric_bytes / (double)in->npoints);
  printf(" log_blocks=%" PRIu64 " records=%" PRIu64 " log_dict=%" PRIu64
         " log_bytes=%" PRIu64 " log_layout1=%" PRIu64, in->log_blocks,
         in->nrecords, in->log_dict, in->log_bytes, in->log_layout1);
  if (in->nrecords)
    printf(" bytes_per_record=%.3f",
           (double)in->log_bytes / (double)in->nrecords);
  printf(" span_blocks=%" PRIu64 " spans=%" PRIu64 " span_bytes=%" PRIu64,
         in->span_blocks, in->nspans, in->span_bytes);
  if (in->nspans)
    printf(" bytes_per_span=%.3f", (double)in->span_bytes / (double)in->nspans);
  printf("\n");
}

int core_inspect_main(int argc, char **argv) {
  static const struct option opts[] = {
      {"points", no_argument, NULL, 'p'},
      {"records", no_argument, NULL, 'r'},
      {"spans", no_argument, NULL, 's'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  struct inspect in = {.min_ts = INT64_MAX, .max_ts = INT64_MIN};
  int c;

  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+prsh", opts, NULL)) != -1) {
    if (c == 'h')
      return fputs(help, stdout), CORE_EXIT_OK;
    if (c != 'p' && c != 'r' && c != 's')
      return core_cli_usage("inspect", "unknown option '%s'",
                            argv[optind - 1]);
    in.points |= c == 'p';
    in.records |= c == 'r';
    in.spans |= c == 's';
  }
  if (optind >= argc)
    return core_cli_usage("inspect", "give a segment file, shard directory "
                                     "or data directory");
  if (stor_logdec_init(&in.dec) < 0 || stor_spandec_init(&in.sdec) < 0) {
    stor_logdec_free(&in.dec);
    return core_cli_fail("inspect", "out of memory");
  }
  core_strbuf_init(&in.line, NET_HTTP_RESPONSE_BYTES_MAX);
  for (int i = optind; i < argc; i++)
    inspect_path(&in, argv[i]);
  summary(&in);
  stor_logdec_free(&in.dec);
  stor_spandec_free(&in.sdec);
  core_strbuf_free(&in.line);
  free(in.keys.ent);
  free(in.keys.arena);
  free(in.ts);
  free(in.val);
  return in.bad ? CORE_EXIT_FAIL : CORE_EXIT_OK;
}
