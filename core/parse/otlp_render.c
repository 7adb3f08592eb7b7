/*
 * core/parse/otlp_render.c - AnyValue as text or JSON (see otlp_render.h).
 *
 * Arrays and kvlists arrive as their raw encoding, already walked by the
 * decoder (so their depth is bounded by CORE_OTLP_ANY_DEPTH_MAX); they are
 * walked again here to write them. Raw bytes read back from storage (span
 * attributes) are not walked first: an element that does not decode, or
 * nests past the bound, is written as null, so the recursion stays within
 * CORE_OTLP_ANY_DEPTH_MAX + 1 levels and the JSON stays valid whatever
 * the bytes.
 */
#include "core/parse/otlp_render.h"

#include <math.h>
#include <string.h>

#include "core/base/numfmt.h"
#include "core/parse/otlp_int.h"

/* A bounded output: once something did not fit, over is set for good. */
struct out {
  char *p;
  size_t len, cap;
  int over;
};

static void put(struct out *o, const char *s, size_t n) {
  if (n == 0) /* s may be NULL: an empty string of the request */
    return;
  if (o->over || n > o->cap - o->len) {
    o->over = 1;
    return;
  }
  memcpy(o->p + o->len, s, n);
  o->len += n;
}

static void put_hex(struct out *o, const uint8_t *p, size_t n) {
  if (o->over || n > (o->cap - o->len) / 2) {
    o->over = 1;
    return;
  }
  core_fmt_hex(p, n, o->p + o->len);
  o->len += 2 * n;
}

/* A JSON string: '"' and '\\' escaped, controls as \u00XX. */
static void put_json_str(struct out *o, const char *s, size_t n) {
  static const char digits[] = "0123456789abcdef";
  size_t run = 0;

  put(o, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    put(o, s + run, i - run);
    run = i + 1;
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      put(o, e, 2);
    } else {
      char e[6] = {'\\', 'u', '0', '0', digits[c >> 4], digits[c & 15]};
      put(o, e, 6);
    }
  }
  put(o, s + run, n - run);
  put(o, "\"", 1);
}

static void put_num(struct out *o, const struct core_otlp_value *v,
                    int json) {
  char t[CORE_FMT_NUM_BYTES];
  int n = v->type == CORE_OTLP_V_INT ? core_fmt_i64(v->i, t)
                                     : core_fmt_double(v->d, t);

  if (json && v->type == CORE_OTLP_V_DOUBLE && !isfinite(v->d))
    put_json_str(o, t, (size_t)n);
  else
    put(o, t, (size_t)n);
}

static void put_json(struct out *o, const struct core_otlp_value *v);

/* The values of an ArrayValue (field 1: AnyValue) or KeyValueList
 * (field 1: KeyValue {1 key, 2 value}), raw. */
static void put_list(struct out *o, const struct core_otlp_str *raw,
                     int kv) {
  const char *why = NULL;
  struct core_pb r, c, a;
  struct core_otlp_value v;
  struct core_otlp_str key;
  enum core_pb_wire wt, w2;
  uint32_t f, f2;
  int first = 1;

  core_pb_init(&r, raw->ptr, raw->len, &why);
  put(o, kv ? "{" : "[", 1);
  while (core_pb_tag(&r, &f, &wt) > 0) {
    if (f != 1 || core_pb_sub(&r, wt, &c) != 0) {
      if (f == 1 || core_pb_skip(&r, wt) != 0)
        break;
      continue;
    }
    put(o, ",", !first);
    first = 0;
    if (!kv) {
      if (otlp_any(&c, &v, 1) != 0)
        v.type = CORE_OTLP_V_NONE;
      put_json(o, &v);
      continue;
    }
    memset(&v, 0, sizeof(v));
    key = (struct core_otlp_str){"", 0};
    while (core_pb_tag(&c, &f2, &w2) > 0) {
      if (f2 == 1 && otlp_str(&c, w2, &key) == 0)
        continue;
      if (f2 == 2 && core_pb_sub(&c, w2, &a) == 0 && otlp_any(&a, &v, 1) == 0)
        continue;
      if (f2 == 2)
        v.type = CORE_OTLP_V_NONE;
      if (f2 == 1 || f2 == 2 || core_pb_skip(&c, w2) != 0)
        break;
    }
    put_json_str(o, key.ptr, key.len);
    put(o, ":", 1);
    put_json(o, &v);
  }
  put(o, kv ? "}" : "]", 1);
}

static void put_json(struct out *o, const struct core_otlp_value *v) {
  switch (v->type) {
  case CORE_OTLP_V_STRING:
    put_json_str(o, v->s.ptr, v->s.len);
    break;
  case CORE_OTLP_V_BOOL:
    put(o, v->i ? "true" : "false", v->i ? 4 : 5);
    break;
  case CORE_OTLP_V_INT:
  case CORE_OTLP_V_DOUBLE:
    put_num(o, v, 1);
    break;
  case CORE_OTLP_V_ARRAY:
  case CORE_OTLP_V_KVLIST:
    put_list(o, &v->s, v->type == CORE_OTLP_V_KVLIST);
    break;
  case CORE_OTLP_V_BYTES:
    put(o, "\"", 1);
    put_hex(o, (const uint8_t *)v->s.ptr, v->s.len);
    put(o, "\"", 1);
    break;
  default:
    put(o, "null", 4);
    break;
  }
}

static size_t result(const struct out *o) {
  return o->over ? o->cap + 1 : o->len;
}

size_t core_otlp_value_text(const struct core_otlp_value *v, char *out,
                            size_t cap) {
  struct out o = {out, 0, cap, 0};

  switch (v->type) {
  case CORE_OTLP_V_NONE:
    break;
  case CORE_OTLP_V_STRING:
    put(&o, v->s.ptr, v->s.len);
    break;
  case CORE_OTLP_V_INT:
  case CORE_OTLP_V_DOUBLE:
    put_num(&o, v, 0);
    break;
  case CORE_OTLP_V_BYTES:
    put_hex(&o, (const uint8_t *)v->s.ptr, v->s.len);
    break;
  default:
    put_json(&o, v);
    break;
  }
  return result(&o);
}

size_t core_otlp_value_json(const struct core_otlp_value *v, char *out,
                            size_t cap) {
  struct out o = {out, 0, cap, 0};

  put_json(&o, v);
  return result(&o);
}

size_t core_otlp_attrs_json(const char *prefix, const struct core_otlp_attr *a,
                            uint32_t n, char *out, size_t cap) {
  struct out o = {out, 0, cap, 0};
  size_t plen = strlen(prefix);

  for (uint32_t i = 0; i < n; i++) {
    put(&o, ",", i != 0);
    put(&o, "\"", 1);
    put(&o, prefix, plen);
    put(&o, ".", 1);
    /* the key without its quotes: escape it as a string, then drop them */
    size_t at = o.len;
    put_json_str(&o, a[i].key.ptr, a[i].key.len);
    if (!o.over) {
      memmove(o.p + at, o.p + at + 1, o.len - at - 1);
      o.len--;
    }
    put(&o, ":", 1);
    put_json(&o, &a[i].value);
  }
  return result(&o);
}
