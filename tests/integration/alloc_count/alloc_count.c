/*
 * tests/integration/alloc_count/alloc_count.c - an LD_PRELOAD shim for
 * test_shard_heap.py: every malloc, calloc, realloc, posix_memalign,
 * aligned_alloc and memalign made by a shard thread (a thread that called
 * mi_heap_new: core/base/heap.c makes each shard's heap first thing on
 * its thread) appends a line "size caller" to the file named by
 * ALLOC_COUNT_OUT, so that the test sees when, after start-up, a shard
 * allocated from the process heap instead of its own. Lines are written
 * with write(2) alone (no stdio, no allocation).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static __thread int shard;
static __thread int busy;
static int out_fd = -1;

/* dlsym may allocate: its requests are served from here. */
static char boot[1 << 16];
static size_t boot_used;

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);
static void *(*real_mi_heap_new)(void);

static void *boot_alloc(size_t n) {
  void *p = boot + boot_used;

  boot_used += (n + 15) & ~(size_t)15;
  return boot_used <= sizeof(boot) ? p : NULL;
}

static int in_boot(const void *p) {
  return (const char *)p >= boot && (const char *)p < boot + sizeof(boot);
}

static void resolve(void) {
  static int resolving;

  if (real_malloc != NULL || resolving)
    return;
  resolving = 1;
  real_calloc = dlsym(RTLD_NEXT, "calloc");
  real_realloc = dlsym(RTLD_NEXT, "realloc");
  real_free = dlsym(RTLD_NEXT, "free");
  real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
  real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
  real_memalign = dlsym(RTLD_NEXT, "memalign");
  real_mi_heap_new = dlsym(RTLD_NEXT, "mi_heap_new");
  real_malloc = dlsym(RTLD_NEXT, "malloc");
  resolving = 0;
}

static char *hex(char *p, uint64_t v) {
  char tmp[16];
  int n = 0;

  do {
    tmp[n++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  while (n)
    *p++ = tmp[--n];
  return p;
}

static void note(size_t n, void *caller) {
  char line[48], *p = line;

  if (!shard || busy || out_fd < 0)
    return;
  busy = 1;
  p = hex(p, n);
  *p++ = ' ';
  p = hex(p, (uint64_t)(uintptr_t)caller);
  *p++ = '\n';
  if (write(out_fd, line, (size_t)(p - line)) < 0)
    out_fd = -1;
  busy = 0;
}

__attribute__((constructor)) static void init(void) {
  const char *path = getenv("ALLOC_COUNT_OUT");

  resolve();
  if (path != NULL)
    out_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

void *mi_heap_new(void) {
  resolve();
  shard = 1;
  return real_mi_heap_new();
}

void *malloc(size_t n) {
  resolve();
  if (real_malloc == NULL)
    return boot_alloc(n);
  note(n, __builtin_return_address(0));
  return real_malloc(n);
}

void *calloc(size_t k, size_t n) {
  resolve();
  if (real_calloc == NULL)
    return boot_alloc(k * n); /* static: already zero */
  note(k * n, __builtin_return_address(0));
  return real_calloc(k, n);
}

void *realloc(void *p, size_t n) {
  void *q;

  resolve();
  note(n, __builtin_return_address(0));
  if (!in_boot(p))
    return real_realloc(p, n);
  q = real_malloc(n); /* a boot block grows out of boot: copy it */
  for (size_t i = 0; q != NULL && i < n && boot + sizeof(boot) > (char *)p + i;
       i++)
    ((char *)q)[i] = ((char *)p)[i];
  return q;
}

void free(void *p) {
  if (p == NULL || in_boot(p))
    return;
  resolve();
  real_free(p);
}

int posix_memalign(void **p, size_t a, size_t n) {
  resolve();
  note(n, __builtin_return_address(0));
  return real_posix_memalign(p, a, n);
}

void *aligned_alloc(size_t a, size_t n) {
  resolve();
  note(n, __builtin_return_address(0));
  return real_aligned_alloc(a, n);
}

void *memalign(size_t a, size_t n) {
  resolve();
  note(n, __builtin_return_address(0));
  return real_memalign(a, n);
}
