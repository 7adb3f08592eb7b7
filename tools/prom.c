/*
 * tools/prom.c - Prometheus text format reader.
 */
#include "tools/prom.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void tools_prom_start(struct tools_prom_cursor *c, const char *text,
                      size_t len) {
  c->p = text;
  c->end = text + len;
  c->line = 0;
}

static int is_name_char(char ch, int first) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
         ch == ':' || (!first && ch >= '0' && ch <= '9');
}

static const char *skip_blanks(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  return p;
}

static const char *read_name(const char *p, const char *end, const char **name,
                             uint32_t *len) {
  const char *start = p;
  while (p < end && is_name_char(*p, p == start))
    p++;
  *name = start;
  *len = (uint32_t)(p - start);
  return p;
}

/* label="value": returns the position after the closing quote, or NULL. */
static const char *read_label(const char *p, const char *end,
                              struct tools_prom_label *l) {
  p = read_name(skip_blanks(p, end), end, &l->name, &l->name_len);
  p = skip_blanks(p, end);
  if (l->name_len == 0 || p >= end || *p != '=')
    return NULL;
  p = skip_blanks(p + 1, end);
  if (p >= end || *p != '"')
    return NULL;
  p++;
  l->value = p;
  while (p < end && *p != '"') {
    if (*p == '\\' && p + 1 < end)
      p++;
    p++;
  }
  if (p >= end)
    return NULL;
  l->value_len = (uint32_t)(p - l->value);
  return p + 1;
}

static int read_labels(const char **pp, const char *end,
                       struct tools_prom_sample *s) {
  const char *p = *pp + 1; /* past '{' */
  for (;;) {
    p = skip_blanks(p, end);
    if (p < end && *p == '}')
      break;
    if (s->label_count == TOOLS_PROM_LABELS_MAX)
      return -E2BIG;
    p = read_label(p, end, &s->labels[s->label_count]);
    if (p == NULL)
      return -EINVAL;
    s->label_count++;
    p = skip_blanks(p, end);
    if (p < end && *p == ',')
      p++;
    else if (p >= end || *p != '}')
      return -EINVAL;
  }
  *pp = p + 1;
  return 0;
}

/* Value and optional timestamp, up to the end of the line. */
static int read_value(const char *p, const char *end,
                      struct tools_prom_sample *s) {
  char tmp[64], *stop;
  p = skip_blanks(p, end);
  size_t n = 0;
  while (p + n < end && p[n] != ' ' && p[n] != '\t' && n < sizeof(tmp) - 1)
    n++;
  if (n == 0 || n == sizeof(tmp) - 1)
    return -EINVAL;
  memcpy(tmp, p, n);
  tmp[n] = '\0';
  s->value = strtod(tmp, &stop);
  if (*stop != '\0')
    return -EINVAL;
  p = skip_blanks(p + n, end);
  if (p == end)
    return 0;
  n = (size_t)(end - p) < sizeof(tmp) - 1 ? (size_t)(end - p) : sizeof(tmp) - 1;
  memcpy(tmp, p, n);
  tmp[n] = '\0';
  s->timestamp_ms = strtoll(tmp, &stop, 10);
  s->has_timestamp = 1;
  return (stop != tmp && *skip_blanks(stop, tmp + n) == '\0') ? 0 : -EINVAL;
}

static int parse_line(const char *p, const char *end,
                      struct tools_prom_sample *s) {
  s->label_count = 0;
  s->has_timestamp = 0;
  p = read_name(p, end, &s->name, &s->name_len);
  if (s->name_len == 0)
    return -EINVAL;
  p = skip_blanks(p, end);
  if (p < end && *p == '{') {
    int rc = read_labels(&p, end, s);
    if (rc < 0)
      return rc;
  } else if (p == end || p == s->name + s->name_len) {
    return -EINVAL; /* no blank between name and value */
  }
  return read_value(p, end, s);
}

int tools_prom_next(struct tools_prom_cursor *c, struct tools_prom_sample *s) {
  while (c->p < c->end) {
    const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    const char *eol = nl ? nl : c->end;
    const char *p = skip_blanks(c->p, eol);
    c->p = nl ? nl + 1 : c->end;
    c->line++;
    if (eol > p && eol[-1] == '\r')
      eol--;
    if (p == eol || *p == '#')
      continue;
    int rc = parse_line(p, eol, s);
    return rc < 0 ? rc : 1;
  }
  return 0;
}

int tools_prom_name_is(const struct tools_prom_sample *s, const char *name) {
  return strlen(name) == s->name_len &&
         memcmp(s->name, name, s->name_len) == 0;
}

const struct tools_prom_label *
tools_prom_label(const struct tools_prom_sample *s, const char *name) {
  size_t n = strlen(name);
  for (uint32_t i = 0; i < s->label_count; i++)
    if (s->labels[i].name_len == n && memcmp(s->labels[i].name, name, n) == 0)
      return &s->labels[i];
  return NULL;
}

int tools_prom_label_is(const struct tools_prom_sample *s, const char *name,
                        const char *value) {
  const struct tools_prom_label *l = tools_prom_label(s, name);
  return l != NULL && strlen(value) == l->value_len &&
         memcmp(l->value, value, l->value_len) == 0;
}
