/*
 * net/query/regex_bound.c - bounded POSIX ERE regexes (see regex_bound.h).
 *
 * The check walks the pattern the way glibc's parser reads it under
 * REG_EXTENDED and counts what its compiler builds: each counted repeat
 * x{m,n} becomes max(n, 1) copies of x, n - m of them optional (x{m,}:
 * m + 1 copies, the last starred; x+ is x x*). A repeat without bound
 * of a part that can match empty ((a*)*) is refused outright: glibc
 * computes the epsilon closures around each such loop again and again,
 * exponentially in their number and with the size of the program around
 * them ((a*)* before 690 alternatives: 0.35 s). What is counted only ever
 * errs on the high side: a '{' that glibc would reject, or a quantifier
 * with nothing before it, is counted as a literal byte and left to
 * regcomp to refuse.
 */
#include "net/query/regex_bound.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/limits.h"

/* Counts saturate here: far above every bound, far below overflow. */
#define SAT (UINT64_C(1) << 48)
/* Bytes of the pattern quoted in a message before it is cut with "...". */
#define QUOTE_BYTES 40

struct walk {
  const char *s;
  size_t n, i;
  unsigned depth, deepest;
  char *msg;
  size_t cap;
};

/* What one part of the pattern costs, its copies included. */
struct part {
  uint64_t program, branches, empty;
  bool nullable;
};

static uint64_t sat_add(uint64_t a, uint64_t b) {
  return a + b > SAT ? SAT : a + b; /* a, b <= SAT: no overflow */
}

static uint64_t sat_mul(uint64_t a, uint64_t b) {
  return b != 0 && a > SAT / b ? SAT : a * b;
}

static int fail(struct walk *w, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "regex PATTERN: " and the reason into w->msg; returns rc. */
static int fail(struct walk *w, int rc, const char *fmt, ...) {
  int shown = w->n > QUOTE_BYTES ? QUOTE_BYTES : (int)w->n;
  int k = snprintf(w->msg, w->cap, "regex %.*s%s: ", shown, w->s,
                   w->n > QUOTE_BYTES ? "..." : "");
  va_list ap;

  if (k >= 0 && (size_t)k < w->cap) {
    va_start(ap, fmt);
    vsnprintf(w->msg + k, w->cap - (size_t)k, fmt, ap);
    va_end(ap);
  }
  return rc;
}

size_t net_regex_bracket_end(const char *v, size_t n, size_t i) {
  size_t j = i + 1;

  j += j < n && v[j] == '^';
  j += j < n && v[j] == ']';
  while (j < n && v[j] != ']') {
    if (v[j] == '[' && j + 1 < n && v[j + 1] &&
        strchr(":=.", v[j + 1]) != NULL) {
      char close = v[j + 1];
      size_t k = j + 2;
      while (k + 1 < n && !(v[k] == close && v[k + 1] == ']'))
        k++;
      j = k + 2;
      continue;
    }
    j++;
  }
  return j < n ? j : n;
}

/* Decimal digits at w->s[*j] (saturating); false when there are none. */
static bool number(const struct walk *w, size_t *j, uint64_t *v) {
  size_t start = *j;

  *v = 0;
  while (*j < w->n && w->s[*j] >= '0' && w->s[*j] <= '9') {
    *v = *v > SAT / 10 ? SAT : *v * 10 + (uint64_t)(w->s[*j] - '0');
    (*j)++;
  }
  return *j > start;
}

/*
 * The interval at w->s[w->i] == '{': {m}, {m,}, {,n} (glibc: {0,n}) or
 * {m,n}. Returns 1 and moves past it, 0 when glibc would not read one
 * (the '{' is then counted as a literal), or -E2BIG over
 * NET_REGEX_REPEAT_MAX. *inf: no upper bound.
 */
static int interval(struct walk *w, uint64_t *m, uint64_t *n, bool *inf) {
  size_t j = w->i + 1;
  bool has_m, comma, has_n = false;

  *m = *n = 0;
  *inf = false;
  /* glibc reads an interval's numbers token by token: "\0" is a digit 0
   * to it and "\," a comma, so "a{1,100\0}" is a{1,1000}. Rather than
   * follow every such reading, a backslash inside braces is refused (the
   * scan stops at the next brace: linear over the whole pattern). */
  for (size_t k = j; k < w->n && w->s[k] != '}' && w->s[k] != '{'; k++)
    if (w->s[k] == '\\')
      return fail(w, -EINVAL, "a backslash inside the braces at byte %zu "
                  "(write a repeat as {m,n} with plain digits)", w->i);
  has_m = number(w, &j, m);
  comma = j < w->n && w->s[j] == ',';
  *inf = false;
  *n = *m;
  if (comma) {
    j++;
    has_n = number(w, &j, n);
    *inf = !has_n;                     /* {m,} and {,}: no upper bound */
  }
  if (j >= w->n || w->s[j] != '}' || (!has_m && !comma))
    return 0;                          /* "{x", "{}", "{1": literal */
  if (*m > NET_REGEX_REPEAT_MAX || (has_n && *n > NET_REGEX_REPEAT_MAX))
    return fail(w, -E2BIG, "repeat %.*s is over the limit of %d "
                "(NET_REGEX_REPEAT_MAX)", (int)(j + 1 - w->i), w->s + w->i,
                NET_REGEX_REPEAT_MAX);
  w->i = j + 1;
  return 1;
}

/* Apply x{m,n} (inf: x{m,}) to *x: glibc's copies of it. */
static void repeat(struct part *x, uint64_t m, uint64_t n, bool inf) {
  uint64_t copies = inf ? (m == 0 ? 1 : m + 1) : (n == 0 ? 1 : n);
  uint64_t optional = inf ? 1 : n > m ? n - m : 0;

  x->program = sat_mul(copies, sat_add(x->program, 1));
  x->branches = sat_add(sat_mul(copies, x->branches), optional);
  x->empty = sat_mul(copies, sat_add(x->empty, x->nullable ? 1 : 0));
  x->nullable = x->nullable || m == 0;
}

/* The quantifiers after an atom: *, +, ?, {m,n}, any number of them. */
static int quantifiers(struct walk *w, struct part *x) {
  uint64_t m, n;
  bool inf;
  int rc;

  while (w->i < w->n) {
    char c = w->s[w->i];
    size_t at = w->i;
    if (c == '*' || c == '+' || c == '?') {
      w->i++;
      m = c == '+';
      n = c == '?';
      inf = c != '?';
    } else if (c != '{' || (rc = interval(w, &m, &n, &inf)) == 0) {
      break;
    } else if (rc < 0) {
      return rc;
    }
    if (inf && x->nullable)
      return fail(w, -E2BIG, "the %.*s at byte %zu repeats without bound a "
                  "part that can match the empty string, which makes "
                  "glibc's compile time exponential: drop the inner * or ? "
                  "((a*)* is a*)", (int)(w->i - at), w->s + at, at);
    repeat(x, m, n, inf);
  }
  return 0;
}

static int alternation(struct walk *w, struct part *out);

/* One atom at w->s[w->i]: a group, a bracket expression, an escape, a
 * byte. */
static int atom(struct walk *w, struct part *a) {
  char c = w->s[w->i];
  int rc;

  *a = (struct part){.program = 1};
  if (c == '(') {
    if (w->depth >= NET_REGEX_DEPTH_MAX)
      return fail(w, -E2BIG, "groups nested over %d deep, the limit is %d "
                  "(NET_REGEX_DEPTH_MAX)", NET_REGEX_DEPTH_MAX,
                  NET_REGEX_DEPTH_MAX);
    w->i++;
    if (++w->depth > w->deepest)
      w->deepest = w->depth;
    if ((rc = alternation(w, a)) < 0)
      return rc;
    w->depth--;
    w->i += w->i < w->n;               /* the ')'; a missing one: regcomp */
    a->program = sat_add(a->program, 1);
  } else if (c == '[') {
    w->i = net_regex_bracket_end(w->s, w->n, w->i) + 1;
  } else if (c == '\\' && w->i + 1 < w->n) {
    c = w->s[w->i + 1];
    if (c >= '1' && c <= '9')
      return fail(w, -ENOTSUP, "back-references (\\%c) are not supported: "
                  "matching them takes exponential time", c);
    a->nullable = strchr("bB<>`'", c) != NULL; /* assertions match empty */
    w->i += 2;
  } else if (c == ')') {
    /* glibc reads it as a byte, but it would close ^( of the anchoring
     * and leave what follows outside it (what is walked here would no
     * longer be what is compiled) */
    return fail(w, -EINVAL, "unmatched ')' at byte %zu: write \\) for a "
                "literal parenthesis", w->i);
  } else {
    a->nullable = c == '^' || c == '$';
    w->i++;
  }
  return 0;
}

/* Atoms and their quantifiers up to '|', a closing ')' or the end. */
static int sequence(struct walk *w, struct part *out) {
  struct part a;
  int rc;

  *out = (struct part){.nullable = true};
  while (w->i < w->n && w->s[w->i] != '|' &&
         !(w->s[w->i] == ')' && w->depth > 0)) {
    if ((rc = atom(w, &a)) < 0 || (rc = quantifiers(w, &a)) < 0)
      return rc;
    out->program = sat_add(out->program, a.program);
    out->branches = sat_add(out->branches, a.branches);
    out->empty = sat_add(out->empty, a.empty);
    out->nullable = out->nullable && a.nullable;
  }
  return 0;
}

/* Sequences separated by '|': each alternative past the first is one
 * more branch. */
static int alternation(struct walk *w, struct part *out) {
  struct part b;
  int rc;

  if ((rc = sequence(w, out)) < 0)
    return rc;
  while (w->i < w->n && w->s[w->i] == '|') {
    w->i++;
    if ((rc = sequence(w, &b)) < 0)
      return rc;
    out->program = sat_add(sat_add(out->program, b.program), 1);
    out->branches = sat_add(sat_add(out->branches, b.branches), 1);
    out->empty = sat_add(out->empty, b.empty);
    out->nullable = out->nullable || b.nullable;
  }
  return 0;
}

/* The totals against their bounds, the program first: it names the
 * nesting that multiplied. */
static int totals(struct walk *w, const struct part *p) {
  if (p->program > NET_REGEX_PROGRAM_MAX)
    return fail(w, -E2BIG, "nested repeats would expand to %llu%s states, "
                "the limit is %d (NET_REGEX_PROGRAM_MAX)",
                (unsigned long long)p->program, p->program == SAT ? "+" : "",
                NET_REGEX_PROGRAM_MAX);
  if (p->branches > NET_REGEX_BRANCHES_MAX)
    return fail(w, -E2BIG, "%llu%s alternatives and optional parts once "
                "repeats are expanded, the limit is %d "
                "(NET_REGEX_BRANCHES_MAX)", (unsigned long long)p->branches,
                p->branches == SAT ? "+" : "", NET_REGEX_BRANCHES_MAX);
  if (p->empty > NET_REGEX_EMPTY_REPEATS_MAX)
    return fail(w, -E2BIG, "%llu%s copies of parts that can match the empty "
                "string once repeats are expanded, the limit is %d "
                "(NET_REGEX_EMPTY_REPEATS_MAX): write a{0,3} for (a?){3}",
                (unsigned long long)p->empty, p->empty == SAT ? "+" : "",
                NET_REGEX_EMPTY_REPEATS_MAX);
  return 0;
}

int net_regex_check(const char *pat, size_t len, struct net_regex_cost *cost,
                    char *msg, size_t cap) {
  struct walk w = {.s = pat, .n = len, .msg = msg, .cap = cap};
  struct part p;
  int rc;

  msg[0] = '\0';
  if (len > NET_REGEX_BYTES_MAX)
    return fail(&w, -E2BIG, "%zu bytes, the limit is %d "
                "(NET_REGEX_BYTES_MAX)", len, NET_REGEX_BYTES_MAX);
  if ((rc = alternation(&w, &p)) < 0)
    return rc;
  if (cost)
    *cost = (struct net_regex_cost){.program = p.program,
                                    .branches = p.branches,
                                    .empty_repeats = p.empty,
                                    .depth = w.deepest,
                                    .nullable = p.nullable};
  return totals(&w, &p);
}

/* ---- compiled regexes ------------------------------------------------------ */

/* The calling thread's match deadline (ns; 0: none) and whether a match
 * was skipped past it. */
static _Thread_local uint64_t deadline_ns;
static _Thread_local bool expired;

static uint64_t now_ns(void) {
  struct timespec t;

  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* regcomp r->pat into *re, timed into r->compile_ns. Returns regcomp's. */
static int compile(struct net_regex *r, regex_t *re) {
  uint64_t t0 = now_ns();
  int rc = regcomp(re, r->pat, REG_EXTENDED | REG_NOSUB);

  r->compile_ns = now_ns() - t0;
  r->exec_ns = 0;
  return rc;
}

int net_regex_new(struct net_regex **out, const char *pat, size_t len,
                  char *msg, size_t cap) {
  struct net_regex *r;
  int rc;

  *out = NULL;
  if ((rc = net_regex_check(pat, len, NULL, msg, cap)) < 0)
    return rc;
  if (memchr(pat, '\0', len) != NULL) {
    snprintf(msg, cap, "a NUL byte cannot be part of a regex");
    return -EINVAL;
  }
  if ((r = calloc(1, sizeof(*r) + len + sizeof("^()$"))) == NULL) {
    snprintf(msg, cap, "out of memory");
    return -ENOMEM;
  }
  memcpy(r->pat, "^(", 2);
  memcpy(r->pat + 2, pat, len);
  memcpy(r->pat + 2 + len, ")$", 3);
  r->len = (uint32_t)len + 4;
  if ((rc = compile(r, &r->re)) != 0) {
    regerror(rc, &r->re, msg, cap);
    free(r);
    return rc == REG_ESPACE ? -ENOMEM : -EINVAL;
  }
  *out = r;
  return 0;
}

/*
 * glibc's regexec keeps every DFA state it builds until regfree; a
 * pattern whose DFA is exponential (`.*a.{20}.*`) builds one per byte
 * of input, about 4 KiB each, and slows down as its fixed-size state
 * table fills. A fresh compile starts the cache empty; when it fails
 * (no memory) the old regex stays.
 */
static void refresh(struct net_regex *r) {
  regex_t fresh;

  if (compile(r, &fresh) != 0)
    return;
  regfree(&r->re);
  r->re = fresh;    /* glibc's regex_t holds no pointer to itself */
  r->recompiles++;
}

bool net_regex_match(struct net_regex *r, const char *v, size_t n) {
  /* REG_STARTEND alone would do for glibc; sanitizers' regexec
   * interceptors read the string up to a NUL, so it gets one. */
  char z[NET_REGEX_SUBJECT_BYTES_MAX + 1];
  regmatch_t m;
  uint64_t t0;
  bool hit;

  if (n > NET_REGEX_SUBJECT_BYTES_MAX)
    n = NET_REGEX_SUBJECT_BYTES_MAX;
  memcpy(z, v, n);
  z[n] = '\0';
  m.rm_so = 0;
  m.rm_eo = (regoff_t)n;
  t0 = now_ns();
  if (deadline_ns != 0 && t0 > deadline_ns) {
    expired = true;
    return false;
  }
  hit = regexec(&r->re, z, 1, &m, REG_STARTEND) == 0;
  r->exec_ns += now_ns() - t0;
  if (r->exec_ns > NET_REGEX_RECOMPILE_NS && r->exec_ns > 4 * r->compile_ns)
    refresh(r);
  return hit;
}

void net_regex_deadline(int64_t deadline_ms) {
  deadline_ns = deadline_ms > 0 ? (uint64_t)deadline_ms * 1000000u : 0;
  expired = false;
}

bool net_regex_expired(void) { return expired; }

void net_regex_free(struct net_regex *r) {
  if (r == NULL)
    return;
  regfree(&r->re);
  free(r);
}
