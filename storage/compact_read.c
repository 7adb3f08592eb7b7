/*
 * storage/compact_read.c - reading compacted segments (kind 4, format in
 * storage/compact_types.h): the directory checked whole at open, data
 * blocks loaded one at a time and only when a run in them is wanted.
 *
 * Nothing is trusted: the directory's CRC32C before any field of its
 * payload, every count against its bound and the bytes left, the
 * dictionary inflated into exactly its announced size, and a data block's
 * header, CRC and runs against what the directory says of it.
 */
#include "storage/compact.h"

#include <errno.h>
#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/limits.h"
#include "storage/block.h"
#include "storage/encode.h"
#include "storage/recover.h"

static uint64_t ld(const uint8_t *p, unsigned n) {
  uint64_t v = 0;

  for (unsigned i = 0; i < n; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

int stor_chdr_read(const uint8_t *buf, size_t len, struct stor_chdr *h) {
  int rc = stor_frame_read(buf, len, &h->f);

  if (rc < 0)
    return rc;
  h->role = buf[STOR_CHDR_OFF_ROLE];
  h->runs = (uint32_t)ld(buf + STOR_HDR_OFF_RUNS, 4);
  h->a = (uint32_t)ld(buf + STOR_CHDR_OFF_A, 4);
  h->b = (uint32_t)ld(buf + STOR_CHDR_OFF_B, 4);
  h->c = (uint32_t)ld(buf + STOR_CHDR_OFF_C, 4);
  if (h->f.kind != STOR_KIND_SERIES || ld(buf + STOR_CHDR_OFF_ROLE + 1, 3))
    return -EBADMSG;
  /* No series: a directory of carried log and span blocks only. */
  if (h->f.count == 0)
    return h->role == STOR_CSEG_DIRECTORY && h->runs == 0 && h->a == 0 &&
                   h->b == 0 && h->c == 0 &&
                   h->f.payload_bytes == STOR_CDIR_FIXED_BYTES
               ? 0
               : -EBADMSG;
  if (h->runs == 0 || h->runs > h->f.count)
    return -EBADMSG;
  if (h->role == STOR_CSEG_DATA)
    return h->c == 0 && h->f.payload_bytes >= 2 * h->runs ? 0 : -EBADMSG;
  if (h->role != STOR_CSEG_DIRECTORY || h->a == 0 ||
      h->a > STOR_COMPACT_SERIES_MAX || h->a > h->runs ||
      (uint64_t)STOR_CDIR_FIXED_BYTES + h->b + h->c > h->f.payload_bytes)
    return -EBADMSG;
  return 0;
}

void stor_cseg_close(struct stor_cseg *c) {
  if (c->fd > 0)
    close(c->fd);
  free(c->keys);
  free(c->key_off);
  free(c->types);
  free(c->first_run);
  free(c->run);
  free(c->block);
  free(c->buf);
  memset(c, 0, sizeof(*c));
  c->fd = -1;
  c->loaded = -1;
}

/* pread exactly n bytes at off: 0, -EBADMSG when the file is shorter. */
static int read_at(int fd, void *buf, size_t n, uint64_t off) {
  size_t got = 0;

  while (got < n) {
    ssize_t k = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0)
      return -errno;
    if (k == 0)
      return -EBADMSG;
    got += (size_t)k;
  }
  return 0;
}

static int inflate_exact(const uint8_t *z, uint32_t zlen, uint8_t *out,
                         uint32_t len) {
  struct inflate_state *s = malloc(sizeof(*s));
  int ok;

  if (s == NULL)
    return -ENOMEM;
  isal_inflate_init(s);
  s->crc_flag = ISAL_DEFLATE;
  s->next_in = (uint8_t *)z;
  s->avail_in = zlen;
  s->next_out = out;
  s->avail_out = len;
  ok = isal_inflate_stateless(s) == ISAL_DECOMP_OK && s->total_out == len &&
       s->avail_in == 0;
  free(s);
  return ok ? 0 : -EBADMSG;
}

/* Front-coded keys of dict[0..u) into c->keys (k bytes in all). */
static int decode_dict(struct stor_cseg *c, const uint8_t *p, uint32_t u,
                       uint32_t k) {
  const uint8_t *end = p + u;
  uint32_t at = 0, prev = 0, prev_len = 0;

  for (uint32_t s = 0; s < c->series; s++) {
    uint64_t shared, suf;
    if (stor_varint_get(&p, end, &shared) < 0 ||
        stor_varint_get(&p, end, &suf) < 0 || shared > prev_len ||
        suf > (uint64_t)(end - p) || shared + suf == 0 ||
        shared + suf > CORE_SERIES_KEY_BYTES_MAX || shared + suf > k - at ||
        suf + 1 > (uint64_t)(end - p))
      return -EBADMSG;
    memmove(c->keys + at, c->keys + prev, shared);
    memcpy(c->keys + at + shared, p, suf);
    p += suf;
    c->types[s] = *p++;
    if (c->types[s] >= STOR_SERIES_TYPES_COUNT)
      return -EBADMSG;
    /* Strictly ascending by (key, type): the first differing byte is in
     * the suffix, or the key repeats with a greater type. */
    if (s > 0 && (suf == 0 ? shared < prev_len || c->types[s] <= c->types[s - 1]
                           : (shared < prev_len &&
                              c->keys[at + shared] <= c->keys[prev + shared])))
      return -EBADMSG;
    c->key_off[s] = prev = at;
    at += (uint32_t)(shared + suf);
    prev_len = (uint32_t)(shared + suf);
  }
  c->key_off[c->series] = at;
  return p == end && at == k ? 0 : -EBADMSG;
}

/* ---- decoded dictionaries kept between queries ----------------------------
 *
 * Inflating and front-decoding a compacted segment's dictionary is most of
 * what a one-series query costs there (2.6 MB of keys for 50k series), and
 * the next query opens the same files. The last few decoded dictionaries
 * are kept, keyed by their compressed bytes themselves (compared whole, not
 * trusted by name, inode or checksum): a file swapped in or rewritten has
 * other bytes and misses, so no swap needs to tell the cache; a stale entry
 * just ages out. Process-wide, under a mutex held for a lookup and a copy
 * (queries and the compactor, never a shard thread). */
struct dict_slot {
  uint8_t *z;            /* the compressed dictionary (the key) */
  uint32_t zlen, u, series, k;
  uint8_t *keys;         /* decoded: k key bytes, series + 1 offsets, types */
  uint32_t *key_off;
  uint8_t *types;
  uint64_t used;         /* LRU clock */
};

static struct dict_slot dict_cache[STOR_CSEG_DICT_CACHE_ENTRIES];
static uint64_t dict_clock;
static pthread_mutex_t dict_lock = PTHREAD_MUTEX_INITIALIZER;

static void slot_free(struct dict_slot *d) {
  free(d->z);
  free(d->keys);
  free(d->key_off);
  free(d->types);
  memset(d, 0, sizeof(*d));
}

/* Copy the decoded tables of the dictionary z[0..zlen) (u bytes inflated)
 * into c when kept:
 * 1, else 0. c's tables are allocated for c->series and k key bytes. */
static int dict_get(struct stor_cseg *c, const uint8_t *z, uint32_t zlen,
                    uint32_t u, uint32_t k) {
  int hit = 0;

  pthread_mutex_lock(&dict_lock);
  for (uint32_t i = 0; i < STOR_CSEG_DICT_CACHE_ENTRIES && !hit; i++) {
    struct dict_slot *d = &dict_cache[i];
    if (d->z == NULL || d->zlen != zlen || d->u != u ||
        d->series != c->series || d->k != k || memcmp(d->z, z, zlen) != 0)
      continue;
    memcpy(c->keys, d->keys, k);
    memcpy(c->key_off, d->key_off, (c->series + 1) * sizeof(*c->key_off));
    memcpy(c->types, d->types, c->series);
    d->used = ++dict_clock;
    hit = 1;
  }
  pthread_mutex_unlock(&dict_lock);
  return hit;
}

/* Keep c's decoded dictionary (compressed z[0..zlen), u inflated) in place of the
 * least recently used one. Without memory it is simply not kept. */
static void dict_put(const struct stor_cseg *c, const uint8_t *z,
                     uint32_t zlen, uint32_t u, uint32_t k) {
  struct dict_slot n = {.zlen = zlen, .u = u, .series = c->series, .k = k};
  struct dict_slot *old;

  n.z = malloc(zlen ? zlen : 1);
  n.keys = malloc(k ? k : 1);
  n.key_off = malloc((c->series + 1) * sizeof(*n.key_off));
  n.types = malloc(c->series ? c->series : 1);
  if (!n.z || !n.keys || !n.key_off || !n.types) {
    slot_free(&n);
    return;
  }
  memcpy(n.z, z, zlen);
  memcpy(n.keys, c->keys, k);
  memcpy(n.key_off, c->key_off, (c->series + 1) * sizeof(*n.key_off));
  memcpy(n.types, c->types, c->series);
  pthread_mutex_lock(&dict_lock);
  old = &dict_cache[0];
  for (uint32_t i = 1; i < STOR_CSEG_DICT_CACHE_ENTRIES; i++)
    if (dict_cache[i].used < old->used)
      old = &dict_cache[i];
  slot_free(old);
  n.used = ++dict_clock;
  *old = n;
  pthread_mutex_unlock(&dict_lock);
}

/* The dictionary z[0..zlen), u bytes inflated, into c's key tables. */
static int load_dict(struct stor_cseg *c, const uint8_t *z, uint32_t zlen,
                     uint32_t u, uint32_t k) {
  uint8_t *dict;
  int rc;

  if (dict_get(c, z, zlen, u, k))
    return 0;
  if ((dict = malloc(u ? u : 1)) == NULL)
    return -ENOMEM;
  rc = inflate_exact(z, zlen, dict, u);
  if (rc == 0)
    rc = decode_dict(c, dict, u, k);
  free(dict);
  if (rc == 0)
    dict_put(c, z, zlen, u, k);
  return rc;
}

/* The index: R entries, every series 0..S-1 in order, times in range. */
static int decode_index(struct stor_cseg *c, const uint8_t *p,
                        const uint8_t *end) {
  const struct stor_frame *f = &c->dir.f;
  uint64_t points = 0;
  int64_t s = -1;

  for (uint32_t i = 0; i < c->runs; i++) {
    struct stor_cseg_run *r = &c->run[i];
    uint64_t ds, n, bytes, first, span;
    uint64_t range = (uint64_t)f->max - (uint64_t)f->min;
    if (stor_varint_get(&p, end, &ds) < 0 || stor_varint_get(&p, end, &n) < 0 ||
        stor_varint_get(&p, end, &bytes) < 0 ||
        stor_varint_get(&p, end, &span) < 0 || ds > 1 || (i == 0 && ds) ||
        n == 0 || n > STOR_COMPACT_RUN_POINTS_MAX || bytes < 2 ||
        bytes > 64 * n + 64)
      return -EBADMSG;
    first = span;
    if (stor_varint_get(&p, end, &span) < 0 || first > range ||
        span > range - first)
      return -EBADMSG;
    r->min_ts = (int64_t)((uint64_t)f->min + first);
    r->max_ts = (int64_t)((uint64_t)r->min_ts + span);
    s += (int64_t)ds + (i == 0);
    if ((uint64_t)s >= c->series)
      return -EBADMSG;
    if (i == 0 || ds)
      c->first_run[s] = i;
    r->series = (uint32_t)s;
    r->count = (uint32_t)n;
    r->bytes = (uint32_t)bytes;
    points += n;
  }
  if ((uint64_t)s + 1 != c->series || points != f->count)
    return -EBADMSG;
  c->first_run[c->series] = c->runs;
  return p == end ? 0 : -EBADMSG;
}

/* The block table: runs assigned to blocks in order, file offsets. */
static int decode_blocks(struct stor_cseg *c, const uint8_t *p,
                         const uint8_t *end, uint64_t off) {
  uint32_t next = 0;

  for (uint32_t b = 0; b < c->blocks; b++) {
    struct stor_cseg_block *k = &c->block[b];
    uint64_t bytes, runs, payload = 0, points = 0;
    if (stor_varint_get(&p, end, &bytes) < 0 ||
        stor_varint_get(&p, end, &runs) < 0 || runs == 0 ||
        runs > c->runs - next || bytes <= STOR_BLOCK_HEADER_BYTES ||
        bytes > stor_block_buf_bytes())
      return -EBADMSG;
    for (uint32_t i = next; i < next + runs; i++) {
      c->run[i].block = b;
      c->run[i].offset = (uint32_t)payload;
      payload += c->run[i].bytes;
      points += c->run[i].count;
    }
    if (payload != bytes - STOR_BLOCK_HEADER_BYTES || points > UINT32_MAX)
      return -EBADMSG;
    *k = (struct stor_cseg_block){.file_off = off, .bytes = (uint32_t)bytes,
                                  .first_run = next, .runs = (uint32_t)runs,
                                  .points = (uint32_t)points};
    off += bytes;
    next += (uint32_t)runs;
  }
  return p == end && next == c->runs ? 0 : -EBADMSG;
}

static int alloc_tables(struct stor_cseg *c, uint32_t k) {
  c->keys = malloc(k ? k : 1);
  c->key_off = malloc((c->series + 1) * sizeof(*c->key_off));
  c->types = malloc(c->series ? c->series : 1);
  c->first_run = malloc((c->series + 1) * sizeof(*c->first_run));
  c->run = malloc((c->runs ? c->runs : 1) * sizeof(*c->run));
  c->block = malloc((c->blocks ? c->blocks : 1) * sizeof(*c->block));
  return c->keys && c->key_off && c->types && c->first_run && c->run &&
                 c->block
             ? 0
             : -ENOMEM;
}

/* The directory block's payload p (len bytes, CRC checked). */
static int parse_dir(struct stor_cseg *c, const uint8_t *p, uint32_t len) {
  const uint8_t *end = p + len, *z = p + STOR_CDIR_FIXED_BYTES;
  uint32_t k = (uint32_t)ld(p + 20, 4), u = (uint32_t)ld(p + 24, 4);
  int rc;

  c->lo = ld(p, 8);
  c->hi = ld(p + 8, 8);
  c->blocks = (uint32_t)ld(p + 16, 4);
  c->series = c->dir.a;
  c->runs = c->dir.runs;
  if (c->series == 0) { /* no series (stor_chdr_read checked the rest) */
    if (c->lo > c->hi || c->blocks != 0 || k != 0 || u != 0)
      return -EBADMSG;
    if ((rc = alloc_tables(c, 0)) < 0)
      return rc;
    c->key_off[0] = c->first_run[0] = 0; /* empty tables, as readers index */
    return 0;
  }
  if (c->lo > c->hi || c->blocks == 0 || c->blocks > c->runs ||
      k > STOR_COMPACT_KEY_BYTES_MAX || k < c->series ||
      u > k + 11ull * c->series)
    return -EBADMSG;
  if ((rc = alloc_tables(c, k)) < 0)
    return rc;
  rc = load_dict(c, z, c->dir.b, u, k);
  if (rc == 0)
    rc = decode_index(c, z + c->dir.b, z + c->dir.b + c->dir.c);
  if (rc == 0)
    rc = decode_blocks(c, z + c->dir.b + c->dir.c, end,
                       STOR_BLOCK_HEADER_BYTES + (uint64_t)len);
  return rc;
}

int stor_cseg_open(struct stor_cseg *c, int dir_fd, const char *name) {
  int fd = stor_snap_openat(dir_fd, name);

  if (fd < 0) {
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    return -errno;
  }
  return stor_cseg_open_fd(c, fd);
}

int stor_cseg_open_fd(struct stor_cseg *c, int fd) {
  uint8_t h[STOR_BLOCK_HEADER_BYTES];
  struct stat st;
  uint64_t total;
  int rc;

  memset(c, 0, sizeof(*c));
  c->loaded = -1;
  if ((c->fd = fd) < 0)
    return -EBADF;
  if (fstat(c->fd, &st) < 0 || (uint64_t)st.st_size < sizeof(h) ||
      read_at(c->fd, h, sizeof(h), 0) < 0 ||
      stor_frame_read(h, sizeof(h), &c->dir.f) < 0 ||
      c->dir.f.kind != STOR_KIND_SERIES) {
    stor_cseg_close(c);
    return 0;
  }
  rc = -EBADMSG;
  total = stor_frame_total_bytes(&c->dir.f);
  if (stor_chdr_read(h, sizeof(h), &c->dir) < 0 ||
      c->dir.role != STOR_CSEG_DIRECTORY || total > (uint64_t)st.st_size ||
      total > stor_block_buf_bytes())
    goto fail;
  rc = -ENOMEM;
  if ((c->buf = malloc(total)) == NULL)
    goto fail;
  c->buf_cap = total;
  if ((rc = read_at(c->fd, c->buf, total, 0)) < 0)
    goto fail;
  rc = -EBADMSG;
  if (stor_block_crc(c->buf, total) != c->dir.f.crc)
    goto fail;
  c->bytes_read += total;
  if ((rc = parse_dir(c, c->buf + STOR_BLOCK_HEADER_BYTES,
                      c->dir.f.payload_bytes)) < 0)
    goto fail;
  return 1;
fail:
  stor_cseg_close(c);
  return rc;
}

void stor_cseg_key(const struct stor_cseg *c, uint32_t s,
                   struct stor_dict_entry *e) {
  *e = (struct stor_dict_entry){
      .id = s, .type = c->types[s],
      .key = (const char *)c->keys + c->key_off[s],
      .key_len = c->key_off[s + 1] - c->key_off[s]};
}

/* Data block b into c->buf, its header and CRC checked against the table. */
static int load_block(struct stor_cseg *c, uint32_t b) {
  const struct stor_cseg_block *k = &c->block[b];
  struct stor_chdr h;
  int64_t min = INT64_MAX, max = INT64_MIN;
  int rc;

  c->loaded = -1;
  if (k->bytes > c->buf_cap) {
    uint8_t *p = realloc(c->buf, k->bytes);
    if (p == NULL)
      return -ENOMEM;
    c->buf = p;
    c->buf_cap = k->bytes;
  }
  if ((rc = read_at(c->fd, c->buf, k->bytes, k->file_off)) < 0)
    return rc;
  c->bytes_read += k->bytes;
  for (uint32_t i = k->first_run; i < k->first_run + k->runs; i++) {
    min = c->run[i].min_ts < min ? c->run[i].min_ts : min;
    max = c->run[i].max_ts > max ? c->run[i].max_ts : max;
  }
  if (stor_chdr_read(c->buf, k->bytes, &h) < 0 || h.role != STOR_CSEG_DATA ||
      stor_frame_total_bytes(&h.f) != k->bytes || h.runs != k->runs ||
      h.a != k->first_run || h.b != b || h.f.count != k->points ||
      h.f.shard != c->dir.f.shard || h.f.min != min || h.f.max != max ||
      stor_block_crc(c->buf, k->bytes) != h.f.crc)
    return -EBADMSG;
  c->blocks_loaded++;
  c->loaded = b;
  return 0;
}

int stor_cseg_read_run(struct stor_cseg *c, uint32_t i, int64_t *ts_ms,
                       double *value) {
  const struct stor_cseg_run *r = &c->run[i];
  struct stor_bitr br;
  int64_t unit;
  unsigned x;
  int rc;

  if (c->loaded != (int64_t)r->block && (rc = load_block(c, r->block)) < 0)
    return rc;
  stor_bitr_init(&br, c->buf + STOR_BLOCK_HEADER_BYTES + r->offset, r->bytes);
  x = stor_bitr_byte(&br);
  if (br.bad || x > STOR_CSEG_UNIT_MAX)
    return -EBADMSG;
  for (unit = 1; x > 0; x--)
    unit *= 10;
  /* In the unit, the range is [min, max] / unit: both must be multiples. */
  if (r->min_ts % unit || r->max_ts % unit ||
      stor_ts_decode(&br, ts_ms, r->count, r->min_ts / unit,
                     r->max_ts / unit) < 0 ||
      stor_val_decode(&br, value, r->count) < 0 || br.p != br.end)
    return -EBADMSG;
  for (uint32_t k = 0; k < r->count; k++)
    ts_ms[k] *= unit;
  if (ts_ms[0] != r->min_ts || ts_ms[r->count - 1] != r->max_ts)
    return -EBADMSG;
  return 0;
}

int stor_cseg_superseded(int dir_fd, const uint64_t *seqs, long n,
                         uint8_t *skip) {
  memset(skip, 0, (size_t)n);
  for (long i = 0; i < n; i++) {
    struct stor_cseg c;
    char name[32];
    int rc;
    stor_segment_name(seqs[i], name, sizeof(name));
    rc = stor_cseg_open(&c, dir_fd, name);
    if (rc == -ENOMEM)
      return rc;
    if (rc <= 0)
      continue;
    /* Only seqs below this file's own: a directory is trusted for no more
     * than the file it names. */
    for (long j = 0; j < n; j++)
      if (seqs[j] >= c.lo && seqs[j] < c.hi && c.hi == seqs[i])
        skip[j] = 1;
    stor_cseg_close(&c);
  }
  return 0;
}
