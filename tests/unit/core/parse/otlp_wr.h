/*
 * tests/unit/core/parse/otlp_wr.h - a tiny protobuf writer for the OTLP
 * decoder's hand-built hostile inputs (test-only: messages are built
 * inside out, each into its own buffer).
 */
#ifndef SLUICE_TESTS_OTLP_WR_H
#define SLUICE_TESTS_OTLP_WR_H

#include <stdint.h>
#include <string.h>

#define WR_BYTES 8192

struct wr {
  uint8_t b[WR_BYTES];
  size_t n;
};

static inline void wr_varint(struct wr *w, uint64_t v) {
  while (v >= 0x80) {
    w->b[w->n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  w->b[w->n++] = (uint8_t)v;
}

static inline void wr_tag(struct wr *w, uint32_t field, unsigned wt) {
  wr_varint(w, (uint64_t)field << 3 | wt);
}

static inline void wr_u(struct wr *w, uint32_t field, uint64_t v) {
  wr_tag(w, field, 0);
  wr_varint(w, v);
}

static inline void wr_f64(struct wr *w, uint32_t field, uint64_t v) {
  wr_tag(w, field, 1);
  for (int i = 0; i < 8; i++)
    w->b[w->n++] = (uint8_t)(v >> (8 * i));
}

static inline void wr_dbl(struct wr *w, uint32_t field, double d) {
  uint64_t v;
  memcpy(&v, &d, 8);
  wr_f64(w, field, v);
}

static inline void wr_f32(struct wr *w, uint32_t field, uint32_t v) {
  wr_tag(w, field, 5);
  for (int i = 0; i < 4; i++)
    w->b[w->n++] = (uint8_t)(v >> (8 * i));
}

static inline void wr_bytes(struct wr *w, uint32_t field, const void *p,
                            size_t len) {
  wr_tag(w, field, 2);
  wr_varint(w, len);
  memcpy(w->b + w->n, p, len);
  w->n += len;
}

static inline void wr_str(struct wr *w, uint32_t field, const char *s) {
  wr_bytes(w, field, s, strlen(s));
}

static inline void wr_msg(struct wr *w, uint32_t field, const struct wr *m) {
  wr_bytes(w, field, m->b, m->n);
}

/* A KeyValue with a string value, as field `field`. */
static inline void wr_kv_str(struct wr *w, uint32_t field, const char *k,
                             const char *v) {
  struct wr any = {.n = 0}, kv = {.n = 0};
  wr_str(&any, 1, v);
  wr_str(&kv, 1, k);
  wr_msg(&kv, 2, &any);
  wr_msg(w, field, &kv);
}

#endif
