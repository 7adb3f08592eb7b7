/*
 * tools/query.h - `sluice query`: an operator's client for the query port
 * (export, series, labels, label values, logs, flush).
 */
#ifndef SLUICE_TOOLS_QUERY_H
#define SLUICE_TOOLS_QUERY_H

#include <stddef.h>

#include "core/base/strbuf.h"
#include "tools/query_types.h"

/*
 * `sluice query [--url URL] COMMAND ...`; argv[0] is "query".
 * Returns the exit code: 0 on a 2xx reply (body on stdout), 1 on an error
 * reply (the server's message on stderr) or when the port cannot be
 * reached, 2 on a usage error.
 */
int tools_query_main(int argc, char **argv);

/*
 * Append s[0..n) to out percent-encoded: every byte but the unreserved
 * A-Z a-z 0-9 - . _ ~ becomes %XX (a space too, never '+').
 * Returns 0 or -ENOMEM (out's bound reached).
 */
int tools_query_encode(struct core_strbuf *out, const char *s, size_t n);

/*
 * Build the request of a `sluice query` command line into req. req->target
 * is initialised here (bounded by TOOLS_QUERY_TARGET_BYTES_MAX); release it
 * with core_strbuf_free whatever the return.
 * Returns 0; -1 when --help was printed; CORE_EXIT_USAGE after printing a
 * message that names the bad argument.
 */
int tools_query_parse(int argc, char **argv, struct tools_query_req *req);

/*
 * The "error" string of a Prometheus API JSON error reply
 * ({"status":"error",...,"error":"..."}) in body[0..n), unescaped into out
 * (cut to fit outlen).
 * Returns its length, or -ENOENT when body holds no such string.
 */
int tools_query_error_text(const char *body, size_t n, char *out,
                           size_t outlen);

#endif
