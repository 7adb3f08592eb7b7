/*
 * tools/bench_send.c - pinned, paced sender threads of `sluice bench`.
 *
 * A batch is a run of consecutive chunks of the pool: UDP sends it with one
 * sendmmsg (one datagram per chunk), TCP with one write (the chunks are
 * contiguous in the pool, so the run is one span). Pacing is per batch,
 * and a batch never holds more lines than the token bucket's depth.
 */
#include "tools/bench.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tools/pace.h"
#include "tools/util.h"

#define SNDBUF_BYTES (4 << 20)

struct batch {
  uint32_t first;       /* chunk index */
  uint32_t count;       /* chunks */
  uint64_t lines;
  uint64_t bytes;
};

/* Collect chunks from *next while they fit the bounds; advance nothing. */
static void next_batch(const struct tools_bench_sender *s, uint32_t next,
                       double max_lines, struct batch *b) {
  const struct tools_workload *w = &s->pool;
  uint32_t max_chunks = s->opts->tcp ? w->chunk_count : TOOLS_BENCH_MMSG_BATCH;
  *b = (struct batch){.first = next};
  for (uint32_t i = next; i < w->chunk_count && b->count < max_chunks; i++) {
    const struct tools_chunk *c = &w->chunks[i];
    if (b->count > 0 && ((double)(b->lines + c->lines) > max_lines ||
                         (s->opts->tcp && b->bytes + c->len >
                                              TOOLS_BENCH_TCP_WRITE_BYTES)))
      break;
    b->count++;
    b->lines += c->lines;
    b->bytes += c->len;
  }
}

/* Wait until the bucket lets the batch go. Returns 0, or 1 past the end. */
static int pace_wait(struct tools_pace *p, const struct batch *b,
                     uint64_t end_ns) {
  uint64_t now = tools_now_ns(), wait;
  while ((wait = tools_pace_take(p, (double)b->lines, now)) != 0) {
    if (now + wait >= end_ns)
      return 1;
    tools_sleep_ns(wait);
    now = tools_now_ns();
  }
  return now >= end_ns;
}

/* Errors after which a sender keeps going: the datagram was not sent. */
static int transient(int err) {
  return err == EINTR || err == EAGAIN || err == ENOBUFS ||
         err == ECONNREFUSED || err == ENOMEM;
}

/* Returns datagrams sent (a prefix of the batch), or -errno. */
static int send_udp(int fd, struct tools_bench_sender *s, const struct batch *b) {
  struct mmsghdr msgs[TOOLS_BENCH_MMSG_BATCH];
  struct iovec iov[TOOLS_BENCH_MMSG_BATCH];
  for (uint32_t i = 0; i < b->count; i++) {
    const struct tools_chunk *c = &s->pool.chunks[b->first + i];
    iov[i] = (struct iovec){s->pool.buf + c->off, c->len};
    msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
  }
  int n = sendmmsg(fd, msgs, b->count, 0);
  return n < 0 ? -errno : n;
}

/* Write the whole batch. Returns 0 or -errno (lines written are counted). */
static int send_tcp(int fd, struct tools_bench_sender *s, const struct batch *b) {
  const char *p = s->pool.buf + s->pool.chunks[b->first].off;
  size_t left = b->bytes;
  while (left > 0) {
    ssize_t n = send(fd, p, left, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int err = -errno;
      size_t done = b->bytes - left; /* count the lines that went whole */
      for (const char *q = p - done; q < p; q++)
        s->lines += *q == '\n';
      s->bytes += done;
      return err;
    }
    p += n;
    left -= (size_t)n;
  }
  s->lines += b->lines;
  s->bytes += b->bytes;
  s->chunks++;
  return 0;
}

/* Count the datagrams that went. Returns their lines. */
static uint64_t account_udp(struct tools_bench_sender *s, const struct batch *b,
                            uint32_t sent) {
  uint64_t lines = 0;
  for (uint32_t i = 0; i < sent; i++) {
    lines += s->pool.chunks[b->first + i].lines;
    s->bytes += s->pool.chunks[b->first + i].len;
  }
  s->lines += lines;
  s->chunks += sent;
  return lines;
}

static int open_socket(const struct tools_bench_opts *o) {
  int snd = SNDBUF_BYTES;
  int fd = socket(o->addr.ss_family,
                  (o->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
  if (connect(fd, (const struct sockaddr *)&o->addr, o->addr_len) < 0) {
    int err = -errno;
    close(fd);
    return err;
  }
  return fd;
}

static int send_loop(int fd, struct tools_bench_sender *s) {
  const struct tools_bench_opts *o = s->opts;
  struct tools_pace pace;
  struct batch b;
  uint32_t next = 0;
  double per_thread = o->rate / o->threads;

  tools_pace_init(&pace, per_thread, per_thread * TOOLS_BENCH_BURST_MS / 1000.0,
                  s->start_ns);
  for (;;) {
    next_batch(s, next, tools_pace_batch_lines(&pace), &b);
    if (pace_wait(&pace, &b, s->end_ns))
      return 0;
    int n = o->tcp ? send_tcp(fd, s, &b) : send_udp(fd, s, &b);
    if (n < 0 && !(transient(-n) && !o->tcp))
      return n;
    if (n < 0) {
      s->send_errors++;
      n = 0;
    }
    uint32_t done = o->tcp ? b.count : (uint32_t)n;
    if (!o->tcp) /* give back the tokens of datagrams that did not go */
      pace.tokens += (double)(b.lines - account_udp(s, &b, done));
    next = (next + done) % s->pool.chunk_count;
  }
}

void *tools_bench_sender_run(void *arg) {
  struct tools_bench_sender *s = arg;
  const struct tools_bench_opts *o = s->opts;
  int fd;

  if (o->cpu_count > 0)
    (void)tools_pin_cpu(o->cpus[s->idx % o->cpu_count]);
  fd = open_socket(o);
  if (fd < 0) {
    s->err = fd;
    s->finished_ns = tools_now_ns();
    return NULL;
  }
  uint64_t now = tools_now_ns();
  if (now < s->start_ns) /* all threads begin together */
    tools_sleep_ns(s->start_ns - now);
  s->err = send_loop(fd, s);
  if (o->tcp)
    (void)shutdown(fd, SHUT_WR);
  close(fd);
  s->finished_ns = tools_now_ns();
  return NULL;
}
