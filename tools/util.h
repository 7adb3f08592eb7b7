/*
 * tools/util.h - small parsers and clock helpers shared by the tools.
 */
#ifndef SLUICE_TOOLS_UTIL_H
#define SLUICE_TOOLS_UTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse a CPU list as the kernel writes it ("0-3,8,10-11", whitespace and
 * a trailing newline allowed) into cpus[0..max).
 * Returns the number of CPUs (ascending as written), -EINVAL for a
 * malformed list, -E2BIG when over max.
 */
int tools_parse_cpulist(const char *s, int *cpus, unsigned max);

/*
 * Parse an unsigned decimal with an optional k, M or G suffix (powers of
 * 1000) into *out, within [min, max].
 * Returns 0, -EINVAL (not a number), -ERANGE (outside the range).
 */
int tools_parse_count(const char *s, uint64_t min, uint64_t max,
                      uint64_t *out);

struct option;

/*
 * The option loop of a tools subcommand: getopt_long over argv with opts.
 * --help (help_opt) or -h prints help to stdout and returns -1; an unknown
 * option or a missing value is a usage error that names it
 * (CORE_EXIT_USAGE); every other option goes to take(opt, arg, ctx), which
 * returns 0 or an exit code that stops the loop.
 * Returns 0 with *first_operand set to the first non-option, -1, or the
 * exit code.
 */
int tools_cli_options(const char *cmd, const char *help, int argc,
                      char **argv, const struct option *opts, int help_opt,
                      int (*take)(int opt, const char *arg, void *ctx),
                      void *ctx, int *first_operand);

struct sockaddr_storage;

/*
 * Resolve the HOST:PORT of a --target option (what `sluice bench` sends
 * to) for sockets of socktype into *addr. example is shown in the error
 * ("127.0.0.1:8125"). Returns 0 or a usage error (CORE_EXIT_USAGE) after
 * printing what is wrong with target.
 */
int tools_resolve_target(const char *cmd, const char *target, int socktype,
                         const char *example, struct sockaddr_storage *addr,
                         unsigned *addr_len);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t tools_now_ns(void);

/* Sleep ns nanoseconds (spins below 50 µs, where sleeping overshoots). */
void tools_sleep_ns(uint64_t ns);

/* Pin the calling thread to one CPU. Returns 0 or -errno. */
int tools_pin_cpu(int cpu);

#endif
