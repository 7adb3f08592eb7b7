/*
 * net/query/logmatch.c - log match expressions (see core/logmatch.h).
 *
 * The expression's own grammar (fields, operators, integers) is parsed
 * here; every quoted string is handed to the PromQL selector parser as
 * `_{"field" OP "..."}` so that strings, escapes and regexes (POSIX ERE,
 * fully anchored, RE2 habits refused) behave exactly as in match[] of
 * the metric endpoints, error positions mapped back onto the expression.
 */
#include "net/query/logmatch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/query/regex_bound.h"
#include "net/query/selector.h"
#include "core/parse/syslog.h"

/* Longest attribute key a record can hold: "sdid.name". */
#define KEY_BYTES_MAX 128 /* SD-ID.PARAM-NAME, and OTLP "attr.KEY" */

_Static_assert(NET_LOGMATCH_MATCHERS_MAX * KEY_BYTES_MAX <= NET_SELECTOR_BYTES_MAX,
               "every matcher's attribute key fits lm->keys");

struct parser {
  const char *s;
  size_t len, pos;
  struct net_logmatch *lm;
  struct core_sel_error *err;
  struct net_selector *tmp;  /* decodes quoted names and numbers */
  int too_big;
};

static int fail(struct parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, size_t pos, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
  va_end(ap);
  p->err->pos = pos;
  return -EINVAL;
}

static const struct {
  const char *name;
  enum core_lm_field field;
} fields[] = {
    {"host", CORE_LM_HOST},         {"app", CORE_LM_APP},
    {"procid", CORE_LM_PROCID},     {"msgid", CORE_LM_MSGID},
    {"_msg", CORE_LM_MSG},          {"severity", CORE_LM_SEVERITY},
    {"facility", CORE_LM_FACILITY},
};

/* Operators, longest first so that "<=" is not read as "<". */
static const struct {
  const char *text;
  enum core_lm_op op;
} ops[] = {
    {"=~", CORE_LM_RE}, {"!~", CORE_LM_NRE}, {"!=", CORE_LM_NE},
    {"<=", CORE_LM_LE}, {">=", CORE_LM_GE},  {"<", CORE_LM_LT},
    {">", CORE_LM_GT},  {"=", CORE_LM_EQ},
};

/* Names of severities 0..7 and facilities 0..23 (with common aliases). */
static const struct {
  const char *name;
  int value;
} sev_names[] = {
    {"emerg", 0}, {"panic", 0}, {"alert", 1},   {"crit", 2},
    {"err", 3},   {"error", 3}, {"warning", 4}, {"warn", 4},
    {"notice", 5}, {"info", 6}, {"debug", 7},
}, fac_names[] = {
    {"kern", 0},    {"user", 1},    {"mail", 2},     {"daemon", 3},
    {"auth", 4},    {"syslog", 5},  {"lpr", 6},      {"news", 7},
    {"uucp", 8},    {"cron", 9},    {"authpriv", 10}, {"ftp", 11},
    {"ntp", 12},    {"audit", 13},  {"alert", 14},   {"clock", 15},
    {"local0", 16}, {"local1", 17}, {"local2", 18},  {"local3", 19},
    {"local4", 20}, {"local5", 21}, {"local6", 22},  {"local7", 23},
};

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Bytes of a bare field name or value: attribute keys keep their dots,
 * '@' and brackets; only whitespace, controls and syntax are out. */
static int is_bare(char c) {
  unsigned char u = (unsigned char)c;

  return u > 0x20 && u != 0x7f && strchr("{}(),=!~<>\"'`", c) == NULL;
}

static int is_quote(char c) { return c == '"' || c == '\'' || c == '`'; }

static void skip_ws(struct parser *p) {
  while (p->pos < p->len && is_space(p->s[p->pos]))
    p->pos++;
}

/* Offset just past the string quoted at p->pos (escapes skipped). */
static int quoted_end(struct parser *p, size_t *end) {
  char q = p->s[p->pos];
  size_t i = p->pos + 1;

  while (i < p->len && p->s[i] != q && (q == '`' || p->s[i] != '\n'))
    i += q != '`' && p->s[i] == '\\' ? 2 : 1;
  if (i >= p->len || p->s[i] != q)
    return fail(p, p->pos, "unterminated quoted string");
  *end = i + 1;
  return 0;
}

/* label is spelled inside "..." of the sub-selector: plain bytes only,
 * and not the selector's own __name__. */
static const char *label_for(const char *name) {
  if (strcmp(name, CORE_LABEL_NAME) == 0)
    return "field";
  for (const char *c = name; *c; c++)
    if ((unsigned char)*c < 0x20 || *c == '"' || *c == '\\')
      return "field";
  return name;
}

/*
 * Parse the string quoted at p->pos (through its end) with the selector
 * parser as `_{"label" op STRING}`: sel->m[1] is then the value. Errors
 * are moved back to the expression: inside the string to the same byte,
 * others (a bad regex) to the matcher at `at`.
 */
static int sub_parse(struct parser *p, size_t at, const char *label,
                     const char *op, struct net_selector *sel) {
  char mini[NET_SELECTOR_BYTES_MAX + 1];
  struct core_sel_error e;
  size_t start = p->pos, end = 0, pre;
  int n, rc;

  if ((rc = quoted_end(p, &end)) < 0)
    return rc;
  n = snprintf(mini, sizeof(mini), "_{\"%s\"%s", label_for(label), op);
  pre = (size_t)n;
  if (pre + end - start + 1 > NET_SELECTOR_BYTES_MAX)
    return p->too_big = 1, fail(p, start, "quoted string too long (over "
                                "%zu bytes)", NET_SELECTOR_BYTES_MAX - pre - 1);
  memcpy(mini + pre, p->s + start, end - start);
  mini[pre + end - start] = '}';
  net_selector_free(sel);
  rc = net_selector_parse(sel, mini, pre + end - start + 1, &e);
  if (rc < 0) {
    size_t pos = e.pos < pre ? at : start + (e.pos - pre);
    fail(p, pos < end ? pos : end - 1, "%s", e.msg);
    return rc;
  }
  p->pos = end;
  return 0;
}

/* A bare or quoted name or value at p->pos into out (cap bytes with the
 * NUL); what names it in messages. */
static int token(struct parser *p, const char *what, char *out, size_t cap) {
  size_t start = p->pos, n;
  const char *v;
  int rc;

  if (p->pos < p->len && is_quote(p->s[p->pos])) {
    if ((rc = sub_parse(p, start, "x", "=", p->tmp)) < 0)
      return rc;
    n = p->tmp->m[1].value_len;
    v = p->tmp->text + p->tmp->m[1].value_off;
  } else {
    while (p->pos < p->len && is_bare(p->s[p->pos]))
      p->pos++;
    n = p->pos - start;
    v = p->s + start;
  }
  if (start >= p->len)
    return fail(p, start, "unexpected end of expression: expected %s", what);
  if (n == 0 && !is_quote(p->s[start]))
    return fail(p, start, "expected %s, found '%c'", what, p->s[start]);
  if (n == 0 || n >= cap || memchr(v, '\0', n))
    return fail(p, start, "%s must be 1 to %zu bytes without NUL", what,
                cap - 1);
  memcpy(out, v, n);
  out[n] = '\0';
  return 0;
}

/* The operator at p->pos; -1 when none. */
static int op_at(struct parser *p) {
  for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
    size_t n = strlen(ops[i].text);
    if (n <= p->len - p->pos && memcmp(p->s + p->pos, ops[i].text, n) == 0)
      return p->pos += n, (int)i;
  }
  return -1;
}

/* severity or facility operand: a number in range or a name. */
static int int_value(struct parser *p, struct core_lm_matcher *m,
                     const char *field) {
  bool sev = m->field == CORE_LM_SEVERITY;
  unsigned max = sev ? 7 : 23, n = sev ? sizeof(sev_names) / sizeof(sev_names[0])
                                       : sizeof(fac_names) / sizeof(fac_names[0]);
  size_t at = p->pos;
  char v[16];
  int rc;

  if (p->pos >= p->len)
    return fail(p, at, "expected a value for field %s", field);
  if ((rc = token(p, "a number or a name", v, sizeof(v))) < 0)
    return rc;
  if (strspn(v, "0123456789") == strlen(v)) {
    m->num = strtol(v, NULL, 10);
    if (m->num <= (long)max)
      return 0;
    return fail(p, at, "%s must be 0 to %u, not %s", field, max, v);
  }
  for (unsigned i = 0; i < n; i++)
    if (strcmp(v, sev ? sev_names[i].name : fac_names[i].name) == 0)
      return m->num = sev ? sev_names[i].value : fac_names[i].value, 0;
  return fail(p, at, "unknown %s '%s': use 0 to %u or a name (%s)", field, v,
              max, sev ? "emerg alert crit err warning notice info debug"
                       : "kern user mail daemon auth ... local7");
}

static struct core_lm_matcher *new_matcher(struct parser *p, size_t at) {
  struct net_logmatch *lm = p->lm;

  if (lm->count >= NET_LOGMATCH_MATCHERS_MAX) {
    p->too_big = 1;
    fail(p, at, "too many matchers (over %d)", NET_LOGMATCH_MATCHERS_MAX);
    return NULL;
  }
  return memset(&lm->m[lm->count++], 0, sizeof(lm->m[0]));
}

/* The field named `name`; an attribute key goes to lm->keys. */
static void set_field(struct parser *p, struct core_lm_matcher *m,
                      const char *name) {
  size_t n = strlen(name);

  for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
    if (strcmp(name, fields[i].name) == 0) {
      m->field = fields[i].field;
      return;
    }
  m->field = CORE_LM_ATTR;
  m->key_off = p->lm->keys_len;
  m->key_len = (uint32_t)n;
  memcpy(p->lm->keys + p->lm->keys_len, name, n);
  p->lm->keys_len += (uint32_t)n;
}

/* `field op value` at p->pos. */
static int matcher(struct parser *p) {
  size_t at = p->pos, op_pos;
  struct core_lm_matcher *m;
  char name[KEY_BYTES_MAX + 1];
  bool num;
  int o, rc;

  if ((rc = token(p, "a field name", name, sizeof(name))) < 0)
    return rc;
  if ((m = new_matcher(p, at)) == NULL)
    return -E2BIG;
  set_field(p, m, name);
  num = m->field == CORE_LM_SEVERITY || m->field == CORE_LM_FACILITY;
  skip_ws(p);
  op_pos = p->pos;
  if ((o = op_at(p)) < 0)
    return fail(p, p->pos, "expected an operator (=, !=, =~, !~, <, <=, >, "
                           ">=) after field %s", name);
  m->op = ops[o].op;
  skip_ws(p);
  if (num && (m->op == CORE_LM_RE || m->op == CORE_LM_NRE))
    return fail(p, op_pos, "%s is an integer: use =, !=, <, <=, > or >=",
                name);
  if (num)
    return int_value(p, m, name);
  if (m->op >= CORE_LM_LT)
    return fail(p, op_pos, "%s is a string: use =, !=, =~ or !~", name);
  if (p->pos >= p->len || !is_quote(p->s[p->pos]))
    return fail(p, p->pos, "expected a quoted string as the value of "
                           "field %s", name);
  if ((m->sel = calloc(1, sizeof(*m->sel))) == NULL)
    return -ENOMEM;
  return sub_parse(p, at, name, ops[o].text, m->sel);
}

/* `{ matcher, ... }` with an optional trailing comma, then the end. */
static int parse(struct parser *p) {
  int rc;

  skip_ws(p);
  if (p->pos >= p->len)
    return 0;
  if (p->s[p->pos] != '{')
    return fail(p, p->pos, "expected '{' to open the match expression, "
                           "found '%c'", p->s[p->pos]);
  for (p->pos++;;) {
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}')
      break;
    if (p->pos < p->len && (rc = matcher(p)) < 0)
      return rc;
    skip_ws(p);
    if (p->pos >= p->len)
      return fail(p, p->pos, "unexpected end of expression: missing '}'");
    if (p->s[p->pos] == '}')
      break;
    if (p->s[p->pos] != ',')
      return fail(p, p->pos, "expected ',' or '}' after a matcher, found "
                             "'%c'", p->s[p->pos]);
    p->pos++;
  }
  p->pos++;
  skip_ws(p);
  if (p->pos < p->len)
    return fail(p, p->pos, "unexpected '%c' after the closing '}'",
                p->s[p->pos]);
  return 0;
}

int net_logmatch_parse(struct net_logmatch *lm, const char *text,
                        size_t len, struct core_sel_error *err) {
  struct parser p = {.s = text, .len = len, .lm = lm, .err = err};
  int rc;

  lm->count = 0;
  lm->keys_len = 0;
  err->pos = 0;
  err->msg[0] = '\0';
  if (len > NET_SELECTOR_BYTES_MAX) {
    fail(&p, NET_SELECTOR_BYTES_MAX, "match expression too long (over "
         "%d bytes)", NET_SELECTOR_BYTES_MAX);
    return -E2BIG;
  }
  if ((p.tmp = calloc(1, sizeof(*p.tmp))) == NULL ||
      (rc = parse(&p)) == -ENOMEM) {
    fail(&p, p.pos, "out of memory");
    rc = -ENOMEM;
  }
  if (p.tmp)
    net_selector_free(p.tmp);
  free(p.tmp);
  return rc == -EINVAL && p.too_big ? -E2BIG : rc;
}

void net_logmatch_free(struct net_logmatch *lm) {
  for (unsigned i = 0; i < lm->count && i < NET_LOGMATCH_MATCHERS_MAX; i++)
    if (lm->m[i].sel) {
      net_selector_free(lm->m[i].sel);
      free(lm->m[i].sel);
      lm->m[i].sel = NULL;
    }
  lm->count = 0;
}

/* ---- evaluation ---------------------------------------------------------- */

/* true when attribute a is served under key (len bytes). */
static bool key_is(const struct core_syslog_attr *a, const char *key,
                   size_t len) {
  size_t s = a->sdid.len;

  if (len != s + (a->name.len ? 1 + a->name.len : 0) ||
      memcmp(key, a->sdid.ptr, s) != 0)
    return false;
  return a->name.len == 0 ||
         (key[s] == '.' && memcmp(key + s + 1, a->name.ptr, a->name.len) == 0);
}

bool core_logattr_first(const struct stor_log_rec *r, uint32_t i) {
  char key[KEY_BYTES_MAX];
  size_t n = core_syslog_attr_key(&r->attrs[i], key, sizeof(key));

  for (uint32_t j = 0; j < i && n <= sizeof(key); j++)
    if (key_is(&r->attrs[j], key, n))
      return false;
  return true;
}

size_t core_logattr_value(const struct stor_log_rec *r, uint32_t i,
                          struct core_strbuf *scratch, const char **value) {
  const struct core_syslog_attr *a = &r->attrs[i];
  char key[KEY_BYTES_MAX];
  size_t n = core_syslog_attr_key(a, key, sizeof(key));
  bool joined = false;

  for (uint32_t j = i + 1; j < r->attr_count && n <= sizeof(key); j++) {
    if (!key_is(&r->attrs[j], key, n))
      continue;
    if (!joined) {
      scratch->len = 0;
      scratch->failed = 0;
      core_strbuf_append(scratch, a->value.ptr, a->value.len);
      joined = true;
    }
    core_strbuf_append(scratch, ",", 1);
    core_strbuf_append(scratch, r->attrs[j].value.ptr, r->attrs[j].value.len);
  }
  if (joined && scratch->data) {
    *value = scratch->data;
    return scratch->len;
  }
  *value = a->value.len ? a->value.ptr : "";
  return a->value.len;
}

/* The value a string matcher looks at ("" when absent). */
static size_t str_field(const struct net_logmatch *lm,
                        const struct core_lm_matcher *m,
                        const struct stor_log_rec *r,
                        struct core_strbuf *scratch, const char **v) {
  const struct core_syslog_str *s = NULL;

  switch (m->field) {
  case CORE_LM_HOST: s = &r->host; break;
  case CORE_LM_APP: s = &r->app; break;
  case CORE_LM_PROCID: s = &r->procid; break;
  case CORE_LM_MSGID: s = &r->msgid; break;
  case CORE_LM_MSG: s = &r->msg; break;
  default:
    for (uint32_t i = 0; i < r->attr_count; i++)
      if (key_is(&r->attrs[i], lm->keys + m->key_off, m->key_len))
        return core_logattr_value(r, i, scratch, v);
    *v = "";
    return 0;
  }
  *v = s->len ? s->ptr : "";
  return s->len;
}

static bool str_holds(const struct net_selector *sel, const char *v,
                      size_t n) {
  const struct core_sel_matcher *sm = &sel->m[1];
  bool hit;

  if (sm->op == CORE_SEL_EQ || sm->op == CORE_SEL_NE) {
    hit = n == sm->value_len &&
          memcmp(v, sel->text + sm->value_off, n) == 0;
    return sm->op == CORE_SEL_EQ ? hit : !hit;
  }
  /* The whole value, NUL bytes included, up to
   * NET_REGEX_SUBJECT_BYTES_MAX (net/query/regex_bound.h). */
  hit = net_regex_match(sm->re, v, n);
  return sm->op == CORE_SEL_RE ? hit : !hit;
}

static bool int_holds(enum core_lm_op op, int64_t v, int64_t num) {
  switch (op) {
  case CORE_LM_EQ: return v == num;
  case CORE_LM_NE: return v != num;
  case CORE_LM_LT: return v < num;
  case CORE_LM_LE: return v <= num;
  case CORE_LM_GT: return v > num;
  case CORE_LM_GE: return v >= num;
  default: return false;
  }
}

bool net_logmatch_eval(const struct net_logmatch *lm,
                        const struct stor_log_rec *r,
                        struct core_strbuf *scratch) {
  for (unsigned i = 0; i < lm->count; i++) {
    const struct core_lm_matcher *m = &lm->m[i];
    const char *v;
    size_t n;

    if (m->field == CORE_LM_SEVERITY || m->field == CORE_LM_FACILITY) {
      int64_t x = m->field == CORE_LM_SEVERITY ? r->severity : r->facility;
      if (!int_holds(m->op, x, m->num))
        return false;
      continue;
    }
    n = str_field(lm, m, r, scratch, &v);
    if (!str_holds(m->sel, v, n))
      return false;
  }
  return true;
}
