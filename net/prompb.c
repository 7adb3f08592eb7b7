/*
 * net/prompb.c - Prometheus' prompb messages: writer, names, snappy (see
 * net/prompb.h; field numbers in net/prompb_types.h).
 */
#include "net/prompb.h"

#include <errno.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/strbuf.h"
#include "core/parse/pb_types.h"
#include "storage/encode.h"

/* ---- writer ------------------------------------------------------------ */

void net_prompb_w_init(struct net_prompb_w *w, struct core_strbuf *b) {
  w->b = b;
  w->depth = 0;
  w->err = b->failed ? -ENOMEM : 0;
}

static void put(struct net_prompb_w *w, const void *p, size_t n) {
  if (w->err == 0 && core_strbuf_append(w->b, p, n) < 0)
    w->err = -ENOMEM;
}

static void tag(struct net_prompb_w *w, uint32_t field,
                enum core_pb_wire wt) {
  uint8_t tmp[CORE_PB_VARINT_BYTES_MAX];

  put(w, tmp, stor_varint_put(tmp, (uint64_t)field << 3 | wt));
}

void net_prompb_varint(struct net_prompb_w *w, uint32_t field, uint64_t v) {
  uint8_t tmp[CORE_PB_VARINT_BYTES_MAX];

  tag(w, field, CORE_PB_VARINT);
  put(w, tmp, stor_varint_put(tmp, v));
}

void net_prompb_double(struct net_prompb_w *w, uint32_t field, double v) {
  uint64_t u;
  uint8_t le[8];

  memcpy(&u, &v, sizeof(u));
  for (int i = 0; i < 8; i++)
    le[i] = (uint8_t)(u >> (8 * i));
  tag(w, field, CORE_PB_I64);
  put(w, le, sizeof(le));
}

void net_prompb_fixed32(struct net_prompb_w *w, uint32_t field, uint32_t v) {
  uint8_t le[4];

  for (int i = 0; i < 4; i++)
    le[i] = (uint8_t)(v >> (8 * i));
  tag(w, field, CORE_PB_I32);
  put(w, le, sizeof(le));
}

void net_prompb_bytes(struct net_prompb_w *w, uint32_t field, const void *p,
                      size_t n) {
  uint8_t tmp[CORE_PB_VARINT_BYTES_MAX];

  tag(w, field, CORE_PB_LEN);
  put(w, tmp, stor_varint_put(tmp, n));
  put(w, p, n);
}

void net_prompb_begin(struct net_prompb_w *w, uint32_t field) {
  static const uint8_t slot[NET_PROMPB_LEN_SLOT_BYTES];

  tag(w, field, CORE_PB_LEN);
  if (w->err == 0 && w->depth >= NET_PROMPB_DEPTH_MAX)
    w->err = -E2BIG;
  if (w->err)
    return;
  w->open[w->depth++] = w->b->len;
  put(w, slot, sizeof(slot));
}

void net_prompb_end(struct net_prompb_w *w) {
  uint8_t tmp[CORE_PB_VARINT_BYTES_MAX];
  size_t at, body, n;

  if (w->err)
    return;
  if (w->depth == 0) {
    w->err = -EINVAL;
    return;
  }
  at = w->open[--w->depth];
  body = w->b->len - at - NET_PROMPB_LEN_SLOT_BYTES;
  n = stor_varint_put(tmp, body);
  /* n <= the slot: limits.h asserts every response length fits it */
  memcpy(w->b->data + at, tmp, n);
  memmove(w->b->data + at + n, w->b->data + at + NET_PROMPB_LEN_SLOT_BYTES,
          body);
  w->b->len -= NET_PROMPB_LEN_SLOT_BYTES - n;
  w->b->data[w->b->len] = '\0';
}

int net_prompb_w_status(const struct net_prompb_w *w) {
  if (w->err)
    return w->err;
  return w->depth ? -EINVAL : 0;
}

void net_prompb_label(struct net_prompb_w *w, uint32_t field,
                      const char *name, size_t name_len, const char *value,
                      size_t value_len) {
  net_prompb_begin(w, field);
  net_prompb_bytes(w, NET_PROMPB_LABEL_NAME, name, name_len);
  net_prompb_bytes(w, NET_PROMPB_LABEL_VALUE, value, value_len);
  net_prompb_end(w);
}

void net_prompb_sample(struct net_prompb_w *w, uint32_t field, double value,
                       int64_t ts_ms) {
  net_prompb_begin(w, field);
  net_prompb_double(w, NET_PROMPB_SAMPLE_VALUE, value);
  net_prompb_varint(w, NET_PROMPB_SAMPLE_TIMESTAMP, (uint64_t)ts_ms);
  net_prompb_end(w);
}

void net_prompb_chunk(struct net_prompb_w *w, uint32_t field, int64_t min_ms,
                      int64_t max_ms, int type, const void *data, size_t n) {
  net_prompb_begin(w, field);
  net_prompb_varint(w, NET_PROMPB_CHUNK_MIN_TIME_MS, (uint64_t)min_ms);
  net_prompb_varint(w, NET_PROMPB_CHUNK_MAX_TIME_MS, (uint64_t)max_ms);
  net_prompb_varint(w, NET_PROMPB_CHUNK_TYPE, (uint64_t)type);
  net_prompb_bytes(w, NET_PROMPB_CHUNK_DATA, data, n);
  net_prompb_end(w);
}

/* ---- names ------------------------------------------------------------- */

static bool name_byte(unsigned char c, bool metric, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
    return true;
  if (c == ':')
    return metric;
  return !first && c >= '0' && c <= '9';
}

size_t net_prompb_name_map(const char *in, size_t n, bool metric, char *out) {
  size_t k = 0;

  if (n && in[0] >= '0' && in[0] <= '9')
    out[k++] = '_';
  for (size_t i = 0; i < n; i++, k++)
    out[k] = name_byte((unsigned char)in[i], metric, k == 0) ? in[i] : '_';
  return k;
}

/* ---- snappy ------------------------------------------------------------ */

int net_prompb_snappy_compress(const void *in, size_t n, char **out,
                               size_t *out_len) {
  size_t cap = snappy_max_compressed_length(n);
  char *buf = malloc(cap ? cap : 1);

  if (buf == NULL)
    return -ENOMEM;
  if (snappy_compress(in, n, buf, &cap) != SNAPPY_OK) {
    free(buf); /* only a too-small buffer fails, and it is not */
    return -ENOMEM;
  }
  *out = buf;
  *out_len = cap;
  return 0;
}

int net_prompb_snappy_uncompress(const void *in, size_t n, size_t max,
                                 char **out, size_t *out_len) {
  size_t len;
  char *buf;

  if (snappy_uncompressed_length(in, n, &len) != SNAPPY_OK)
    return -EBADMSG;
  if (len > max)
    return -EFBIG;
  if ((buf = malloc(len + 1)) == NULL)
    return -ENOMEM;
  if (snappy_uncompress(in, n, buf, &len) != SNAPPY_OK) {
    free(buf);
    return -EBADMSG;
  }
  buf[len] = '\0';
  *out = buf;
  *out_len = len;
  return 0;
}
