/*
 * net/query/regex_bound.h - POSIX ERE regexes of the query port, bounded
 * in compile memory and time and in match memory: the one place where
 * selectors (net/query/selector.c) and log matchers (logmatch.c, through
 * the selector parser) compile and run a regex.
 *
 * Why: glibc's regcomp expands counted repeats and its regexec caches DFA
 * states without a bound, so a 36-byte selector could take the process's
 * memory (issue 16). The bounds are in core/base/limits.h (NET_REGEX_*),
 * the measurements behind them in docs/query-api.md "Regex limits".
 *
 * Runs on the query thread (regcomp allocates): never on the data path.
 */
#ifndef SLUICE_NET_QUERY_REGEX_BOUND_H
#define SLUICE_NET_QUERY_REGEX_BOUND_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the walk over a pattern counted (after expanding counted repeats). */
struct net_regex_cost {
  uint64_t program;       /* states: atoms, operators, copies of repeats */
  uint64_t branches;      /* alternatives and optional parts */
  uint64_t empty_repeats; /* copies of parts that can match empty */
  unsigned depth;         /* deepest group nesting */
  bool nullable;          /* the whole pattern can match the empty string */
};

/* A compiled, fully anchored regex: ^(pattern)$ with REG_NOSUB. */
struct net_regex {
  regex_t re;
  uint64_t exec_ns;      /* regexec time since the last compile */
  uint64_t compile_ns;   /* what the last compile took */
  uint32_t recompiles;   /* fresh compiles made to drop the DFA cache */
  uint32_t len;          /* of pat */
  char pat[];            /* "^(pattern)$", NUL-terminated */
};

/*
 * Check an ERE (len bytes, not NUL-terminated) against the NET_REGEX_*
 * bounds without compiling it: length, group depth, counted repeat bounds,
 * the expanded program and its branches, repeats of empty-matching parts
 * (any without an upper bound: (a*)*); and refuse back-references
 * (\1..\9), whose matching is exponential.
 * Syntax errors that glibc reports (unbalanced brackets, bad intervals)
 * are left to regcomp: they cost nothing. An unmatched ')' is refused
 * here: it would end the anchoring group of net_regex_new.
 *   cost  filled with what was counted (may be NULL)
 *   msg   on failure: "regex PATTERN: why, the limit is N (NAME)",
 *         cut to cap bytes (cap >= 1)
 * Returns 0, -E2BIG (a bound), -ENOTSUP (a back-reference) or -EINVAL
 * (an unmatched ')').
 */
int net_regex_check(const char *pat, size_t len, struct net_regex_cost *cost,
                    char *msg, size_t cap);

/*
 * Check then compile pat (len bytes; may hold anything but NUL) as
 * ^(pat)$, POSIX ERE, REG_NOSUB.
 *   out  on success a malloc'ed regex for net_regex_match; release it
 *        with net_regex_free
 *   msg  on failure: the bound or regerror's text (cap >= 1)
 * Returns 0, -E2BIG (a bound), -ENOTSUP (a back-reference), -EINVAL (an
 * unmatched ')', a NUL byte, or regcomp's syntax error) or -ENOMEM.
 */
int net_regex_new(struct net_regex **out, const char *pat, size_t len,
                  char *msg, size_t cap);

/*
 * true when the first NET_REGEX_SUBJECT_BYTES_MAX bytes of v (n bytes,
 * NUL bytes allowed) match the whole regex. Recompiles the regex once the
 * regexec time since its compile passes NET_REGEX_RECOMPILE_NS (or four
 * compiles' time), which drops glibc's DFA cache: its memory is bounded
 * by what that time can build.
 */
bool net_regex_match(struct net_regex *r, const char *v, size_t n);

/*
 * Set the calling thread's match deadline: CLOCK_MONOTONIC ms, as
 * storage's deadline_ms (0: none). Past it, net_regex_match answers
 * false without matching and net_regex_expired turns true until the next
 * call here. Why: one regexec on a 4 KiB value can take 0.5 s and a
 * series key meets up to CORE_QUERY_MATCH_MAX * NET_SELECTOR_MATCHERS_MAX
 * regexes, while a scan tests its deadline once per block.
 */
void net_regex_deadline(int64_t deadline_ms);

/* true when a match was skipped past the deadline: the answers since the
 * deadline was set are not to be trusted (the query has timed out). */
bool net_regex_expired(void);

/* Release r (NULL is fine). */
void net_regex_free(struct net_regex *r);

/*
 * Index of the ']' closing the bracket expression that opens at v[i]
 * (v[i] == '['), or n when it is not closed. `[]a]` and `[^]a]` hold a
 * ']'; `[:alpha:]`, `[=a=]` and `[.a.]` inside are skipped whole.
 */
size_t net_regex_bracket_end(const char *v, size_t n, size_t i);

#endif
