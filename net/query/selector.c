/*
 * net/query/selector.c - PromQL series selectors (see core/selector.h).
 *
 * The grammar follows Prometheus' lexer for strings and escapes; names are
 * wider (StatsD names keep their dots) and regexes are POSIX ERE, not RE2
 * (docs/query-api.md lists what that changes).
 */
#include "net/query/selector.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/query/regex_bound.h"

struct parser {
  const char *s;
  size_t len, pos;
  struct net_selector *sel;
  struct core_sel_error *err;
  int bare_name;       /* 1 when the name came before '{' or quoted alone */
  int too_big;         /* 1: a size or count bound was hit; 2: no memory */
};

static int fail(struct parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, size_t pos, const char *fmt, ...) {
  va_list ap;

  p->err->pos = pos;
  va_start(ap, fmt);
  vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
  va_end(ap);
  return -EINVAL;
}

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Bytes of a bare name: anything but whitespace, controls and syntax. */
static int is_name_byte(char c) {
  unsigned char u = (unsigned char)c;

  return u > 0x20 && u != 0x7f && strchr("{}(),=!~\"'`[]@", c) == NULL;
}

static int is_quote(char c) { return c == '"' || c == '\'' || c == '`'; }

static void skip_ws(struct parser *p) {
  while (p->pos < p->len && is_space(p->s[p->pos]))
    p->pos++;
}

/* Append n bytes to the selector's text. */
static int put(struct parser *p, const char *b, size_t n) {
  struct net_selector *s = p->sel;

  if (n > sizeof(s->text) - s->text_len)
    return p->too_big = 1, fail(p, p->pos, "selector too long (over %d bytes)",
                NET_SELECTOR_BYTES_MAX);
  memcpy(s->text + s->text_len, b, n);
  s->text_len += (uint32_t)n;
  return 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* UTF-8 form of code point cp into out; returns its length. */
static size_t utf8_put(uint32_t cp, char *out) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xc0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xe0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  out[0] = (char)(0xf0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  out[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* Numeric escape (\ooo, \xHH, \uHHHH, \UHHHHHHHH) at p->pos (after '\'). */
static int numeric_escape(struct parser *p, size_t at, char *out,
                          size_t *n) {
  char c = p->s[p->pos];
  int base = c >= '0' && c <= '7' ? 8 : 16;
  int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 3;
  uint32_t v = 0;

  if (base == 16)
    p->pos++;
  for (int i = 0; i < digits; i++, p->pos++) {
    int d = p->pos < p->len ? hexval(p->s[p->pos]) : -1;
    if (d < 0 || d >= base)
      return fail(p, at, "bad escape sequence: expected %d %s digits",
                  digits, base == 8 ? "octal" : "hex");
    v = v * (uint32_t)base + (uint32_t)d;
  }
  if (base == 8 && v > 255)
    return fail(p, at, "octal escape value > 255: %u", v);
  if (base == 8 || c == 'x') {
    out[0] = (char)v;
    *n = 1;
    return 0;
  }
  if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
    return fail(p, at, "escape sequence is an invalid Unicode code point");
  *n = utf8_put(v, out);
  return 0;
}

/* One escape sequence inside a string quoted by q (p->pos after '\'). */
static int escape(struct parser *p, char q, char *out, size_t *n) {
  static const char from[] = "abfnrtv\\", to[] = "\a\b\f\n\r\t\v\\";
  size_t at = p->pos - 1;
  const char *hit;
  char c;

  if (p->pos >= p->len)
    return fail(p, at, "unterminated quoted string");
  c = p->s[p->pos];
  hit = c ? strchr(from, c) : NULL;
  *n = 1;
  if (hit || c == q) {
    out[0] = hit ? to[hit - from] : q;
    p->pos++;
    return 0;
  }
  if ((c >= '0' && c <= '7') || c == 'x' || c == 'u' || c == 'U')
    return numeric_escape(p, at, out, n);
  return fail(p, at, "unknown escape sequence '\\%c'", c);
}

/* A quoted string at p->pos; its decoded bytes go to the text. */
static int string(struct parser *p, uint32_t *off, uint32_t *len) {
  char q = p->s[p->pos];
  size_t start = p->pos++;
  int rc;

  *off = p->sel->text_len;
  for (;;) {
    char c, tmp[4];
    size_t n = 1;
    if (p->pos >= p->len || (q != '`' && p->s[p->pos] == '\n'))
      return fail(p, start, "unterminated quoted string");
    c = p->s[p->pos++];
    if (c == q)
      break;
    tmp[0] = c;
    if (c == '\\' && q != '`' && (rc = escape(p, q, tmp, &n)) < 0)
      return rc;
    if ((rc = put(p, tmp, n)) < 0)
      return rc;
  }
  *len = p->sel->text_len - *off;
  return put(p, "", 1);
}

/* A bare name at p->pos into the text; *len 0 when there is none. */
static int ident(struct parser *p, uint32_t *off, uint32_t *len) {
  size_t start = p->pos;

  while (p->pos < p->len && is_name_byte(p->s[p->pos]))
    p->pos++;
  *off = p->sel->text_len;
  *len = (uint32_t)(p->pos - start);
  if (*len == 0)
    return 0;
  int rc = put(p, p->s + start, *len);
  return rc < 0 ? rc : put(p, "", 1);
}

static struct core_sel_matcher *new_matcher(struct parser *p, size_t at) {
  struct net_selector *s = p->sel;

  if (s->count >= NET_SELECTOR_MATCHERS_MAX) {
    p->too_big = 1;
    fail(p, at, "too many label matchers (over %d)",
         NET_SELECTOR_MATCHERS_MAX);
    return NULL;
  }
  return &s->m[s->count++];
}

/* Add `__name__ = value` where value is at off/len of the text. */
static int name_matcher(struct parser *p, size_t at, uint32_t off,
                        uint32_t len) {
  struct core_sel_matcher *m;
  uint32_t name_off = p->sel->text_len;
  int rc;

  if (p->bare_name)
    return fail(p, at, "metric name must not be set twice");
  p->bare_name = 1;
  if ((rc = put(p, CORE_LABEL_NAME, sizeof(CORE_LABEL_NAME))) < 0)
    return rc;
  if ((m = new_matcher(p, at)) == NULL)
    return -E2BIG;
  m->op = CORE_SEL_EQ;
  m->name_off = name_off;
  m->name_len = sizeof(CORE_LABEL_NAME) - 1;
  m->value_off = off;
  m->value_len = len;
  return 0;
}

/* `=`, `!=`, `=~` or `!~` at p->pos; -1 when none. */
static int op(struct parser *p) {
  const char *c = p->s + p->pos;
  size_t left = p->len - p->pos;

  if (left >= 2 && c[0] == '=' && c[1] == '~')
    return p->pos += 2, CORE_SEL_RE;
  if (left >= 2 && c[0] == '!' && c[1] == '~')
    return p->pos += 2, CORE_SEL_NRE;
  if (left >= 2 && c[0] == '!' && c[1] == '=')
    return p->pos += 2, CORE_SEL_NE;
  if (left >= 1 && c[0] == '=' && (left == 1 || c[1] != '='))
    return p->pos += 1, CORE_SEL_EQ;
  return -1;
}

/*
 * The RE2 habits POSIX ERE would silently take otherwise: an unmatched
 * ')' (a literal in ERE; it would also break the anchoring group),
 * (?...) groups and flags, and \d \D; and NUL bytes. Returns the offset
 * of the first, or -1; *why names it.
 */
static long regex_trap(const char *v, size_t n, const char **why) {
  long depth = 0;

  for (size_t i = 0; i < n; i++) {
    *why = "a NUL byte cannot be part of a regex";
    if (v[i] == '\0')
      return (long)i;
    if (v[i] == '\\' && i + 1 < n) {
      *why = "\\d and \\D are not POSIX: write [0-9] or [^0-9]";
      if (v[++i] == 'd' || v[i] == 'D')
        return (long)i - 1;
    } else if (v[i] == '[') {
      i = net_regex_bracket_end(v, n, i);
    } else if (v[i] == '(') {
      *why = "(?...) groups and flags are RE2, not POSIX ERE";
      if (i + 1 < n && v[i + 1] == '?')
        return (long)i;
      depth++;
    } else if (v[i] == ')' && depth-- == 0) {
      *why = "unmatched ')': write \\) for a literal parenthesis";
      return (long)i;
    }
  }
  return -1;
}

/* Compile a fully anchored ERE for matcher m (value in the text), within
 * the NET_REGEX_* bounds (net/query/regex_bound.h). */
static int compile(struct parser *p, struct core_sel_matcher *m,
                   size_t at) {
  const char *v = p->sel->text + m->value_off;
  const char *name = p->sel->text + m->name_off;
  const char *why = "";
  char msg[sizeof(p->err->msg)];
  long bad = regex_trap(v, m->value_len, &why);
  int rc;

  if (bad >= 0)
    return fail(p, at, "bad regex for label %s (at byte %ld of it): %s",
                name, bad, why);
  rc = net_regex_new(&m->re, v, m->value_len, msg, sizeof(msg));
  if (rc == -E2BIG || rc == -ENOMEM)
    p->too_big = rc == -E2BIG ? 1 : 2;
  if (rc == -E2BIG || rc == -ENOTSUP)
    return fail(p, at, "label %s: %s", name, msg);
  if (rc < 0)
    return fail(p, at, "bad regex for label %s: %s", name, msg);
  return 0;
}

/* `label op "value"` at p->pos (the label name already read). */
static int matcher(struct parser *p, size_t at, uint32_t name_off,
                   uint32_t name_len) {
  struct core_sel_matcher *m;
  const char *name = p->sel->text + name_off;
  int o, rc;

  skip_ws(p);
  if ((o = op(p)) < 0)
    return fail(p, p->pos, "expected a label matcher operator (=, !=, =~, "
                           "!~) after label %s", name);
  skip_ws(p);
  if (p->pos >= p->len || !is_quote(p->s[p->pos]))
    return fail(p, p->pos, "expected a quoted string as the value of "
                           "label %s", name);
  if (p->bare_name && strcmp(name, CORE_LABEL_NAME) == 0)
    return fail(p, at, "metric name must not be set twice");
  if ((m = new_matcher(p, at)) == NULL)
    return -E2BIG;
  m->op = (enum core_sel_op)o;
  m->name_off = name_off;
  m->name_len = name_len;
  if ((rc = string(p, &m->value_off, &m->value_len)) < 0)
    return rc;
  if (o == CORE_SEL_RE || o == CORE_SEL_NRE)
    return compile(p, m, at);
  return 0;
}

/* One item inside braces: a matcher or a quoted metric name alone. */
static int item(struct parser *p) {
  size_t at = p->pos;
  uint32_t off, len;
  int rc;

  if (is_quote(p->s[p->pos])) {
    if ((rc = string(p, &off, &len)) < 0)
      return rc;
    skip_ws(p);
    if (p->pos < p->len && (p->s[p->pos] == ',' || p->s[p->pos] == '}'))
      return name_matcher(p, at, off, len);
  } else {
    if ((rc = ident(p, &off, &len)) < 0)
      return rc;
    if (len == 0)
      return fail(p, at, "expected a label name, found '%c'", p->s[at]);
  }
  return matcher(p, at, off, len);
}

/* `{ item, item, ... }` with an optional trailing comma. */
static int braces(struct parser *p) {
  int rc;

  p->pos++;
  for (;;) {
    skip_ws(p);
    if (p->pos >= p->len)
      return fail(p, p->pos, "unexpected end of selector: missing '}'");
    if (p->s[p->pos] == '}')
      break;
    if ((rc = item(p)) < 0)
      return rc;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ',') {
      p->pos++;
      continue;
    }
    if (p->pos < p->len && p->s[p->pos] == '}')
      break;
    if (p->pos >= p->len)
      return fail(p, p->pos, "unexpected end of selector: missing '}'");
    return fail(p, p->pos, "expected ',' or '}' after a label matcher, "
                           "found '%c'", p->s[p->pos]);
  }
  p->pos++;
  return 0;
}

/* true when value "" satisfies m (Prometheus wants one that does not). */
static bool matches_empty(const struct core_sel_matcher *m) {
  switch (m->op) {
  case CORE_SEL_EQ: return m->value_len == 0;
  case CORE_SEL_NE: return m->value_len != 0;
  case CORE_SEL_RE: return net_regex_match(m->re, "", 0);
  case CORE_SEL_NRE: return !net_regex_match(m->re, "", 0);
  }
  return true;
}

static int parse(struct parser *p) {
  uint32_t off, len;
  int rc;

  skip_ws(p);
  if (p->pos >= p->len)
    return fail(p, p->pos, "empty selector");
  if (p->s[p->pos] != '{') {
    size_t at = p->pos;
    if ((rc = ident(p, &off, &len)) < 0)
      return rc;
    if (len == 0)
      return fail(p, at, "expected a metric name or '{', found '%c'",
                  p->s[at]);
    if ((rc = name_matcher(p, at, off, len)) < 0)
      return rc;
    skip_ws(p);
  }
  if (p->pos < p->len && p->s[p->pos] == '{' && (rc = braces(p)) < 0)
    return rc;
  skip_ws(p);
  if (p->pos < p->len)
    return fail(p, p->pos, "unexpected '%c' after the selector (range "
                           "selectors, offsets and functions are not "
                           "supported here)", p->s[p->pos]);
  for (unsigned i = 0; i < p->sel->count; i++)
    if (!matches_empty(&p->sel->m[i]))
      return 0;
  return fail(p, 0, "vector selector must contain at least one non-empty "
                    "matcher");
}

int net_selector_parse(struct net_selector *s, const char *text, size_t len,
                        struct core_sel_error *err) {
  struct parser p = {.s = text, .len = len, .sel = s, .err = err};

  s->count = 0;
  s->text_len = 0;
  err->pos = 0;
  err->msg[0] = '\0';
  if (len > NET_SELECTOR_BYTES_MAX) {
    fail(&p, NET_SELECTOR_BYTES_MAX, "selector too long (over %d bytes)",
         NET_SELECTOR_BYTES_MAX);
    return -E2BIG;
  }
  memset(s->m, 0, sizeof(s->m));
  int rc = parse(&p);
  if (rc < 0 && p.too_big)
    return p.too_big == 2 ? -ENOMEM : -E2BIG;
  return rc;
}

void net_selector_free(struct net_selector *s) {
  for (unsigned i = 0; i < s->count && i < NET_SELECTOR_MATCHERS_MAX; i++)
    if (s->m[i].re) {
      net_regex_free(s->m[i].re);
      s->m[i].re = NULL;
    }
  s->count = 0;
}

static bool matcher_holds(const struct net_selector *s,
                          const struct core_sel_matcher *m, const char *v,
                          size_t n) {
  bool eq;

  if (m->op == CORE_SEL_EQ || m->op == CORE_SEL_NE) {
    eq = n == m->value_len && memcmp(v, s->text + m->value_off, n) == 0;
    return m->op == CORE_SEL_EQ ? eq : !eq;
  }
  eq = net_regex_match(m->re, v, n);
  return m->op == CORE_SEL_RE ? eq : !eq;
}

bool net_selector_match(const struct net_selector *s, const char *key,
                         size_t len) {
  struct core_label_iter it;

  for (unsigned i = 0; i < s->count; i++) {
    const struct core_sel_matcher *m = &s->m[i];
    const char *v;
    size_t n = core_label_get(&it, key, len, s->text + m->name_off,
                              m->name_len, &v);
    if (!matcher_holds(s, m, v, n))
      return false;
  }
  return true;
}

void core_label_iter_init(struct core_label_iter *it, const char *key,
                          size_t len) {
  it->key = key;
  it->len = len;
  it->pos = 0;
  it->name_done = false;
}

/* The tag at it->pos: key and value (bare: the stand-in value). */
static void tag_at(const struct core_label_iter *it, size_t pos,
                   struct core_label *t, size_t *end) {
  const char *tag = it->key + pos;
  const char *z = memchr(tag, '\0', it->len - pos);
  size_t n = z ? (size_t)(z - tag) : it->len - pos;
  const char *colon = memchr(tag, ':', n);

  t->name = tag;
  t->name_len = colon ? (size_t)(colon - tag) : n;
  t->value = colon ? colon + 1 : CORE_LABEL_BARE_VALUE;
  t->value_len = colon ? n - t->name_len - 1
                       : sizeof(CORE_LABEL_BARE_VALUE) - 1;
  *end = pos + n + 1;
}

/* Append v to the joined value in it->buf (cut at its size). */
static void join(struct core_label_iter *it, size_t *used, const char *v,
                 size_t n) {
  size_t room = sizeof(it->buf) - *used;

  if (n > room)
    n = room;
  memmove(it->buf + *used, v, n);
  *used += n;
}

/* The next tag label (repeated keys joined); 0 after the last tag. */
static int next_tag(struct core_label_iter *it, struct core_label *out) {
  size_t end, used = 0;

  if (it->pos >= it->len)
    return 0;
  tag_at(it, it->pos, out, &end);
  it->pos = end;
  while (it->pos < it->len) {
    struct core_label t;
    tag_at(it, it->pos, &t, &end);
    if (t.name_len != out->name_len ||
        memcmp(t.name, out->name, t.name_len) != 0)
      break;
    if (used == 0)
      join(it, &used, out->value, out->value_len);
    join(it, &used, ",", 1);
    join(it, &used, t.value, t.value_len);
    it->pos = end;
  }
  if (used) {
    out->value = it->buf;
    out->value_len = used;
  }
  return 1;
}

int core_label_next(struct core_label_iter *it, struct core_label *out) {
  if (!it->name_done) {
    const char *z = memchr(it->key, '\0', it->len);
    it->name_done = true;
    out->name = CORE_LABEL_NAME;
    out->name_len = sizeof(CORE_LABEL_NAME) - 1;
    out->value = it->key;
    out->value_len = z ? (size_t)(z - it->key) : it->len;
    it->pos = out->value_len + 1;
    if (out->value_len)
      return 1;
  }
  while (next_tag(it, out)) {
    if (out->value_len == 0 ||
        (out->name_len == sizeof(CORE_LABEL_NAME) - 1 &&
         memcmp(out->name, CORE_LABEL_NAME, out->name_len) == 0))
      continue;
    return 1;
  }
  return 0;
}

size_t core_label_get(struct core_label_iter *it, const char *key, size_t len,
                      const char *name, size_t name_len, const char **value) {
  struct core_label l;

  core_label_iter_init(it, key, len);
  while (core_label_next(it, &l))
    if (l.name_len == name_len && memcmp(l.name, name, name_len) == 0) {
      *value = l.value;
      return l.value_len;
    }
  *value = "";
  return 0;
}
