/*
 * net/query/process.h - the standard process_* metrics of Prometheus
 * clients, read from /proc for the process serving /metrics.
 */
#ifndef SLUICE_NET_QUERY_PROCESS_H
#define SLUICE_NET_QUERY_PROCESS_H

struct core_strbuf;

/*
 * Append process_cpu_seconds_total, process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_start_time_seconds,
 * process_open_fds and process_max_fds (HELP and TYPE lines included),
 * read from /proc/self/stat, /proc/stat, /proc/self/fd and
 * getrlimit(RLIMIT_NOFILE). A figure that cannot be read is left out.
 * Query thread; it allocates (opendir).
 */
void net_query_render_process(struct core_strbuf *out);

#endif
