/*
 * core/cmd/datadir.c - create the data directory and take its lock (see
 * datadir.h). Start-up only.
 */
#include "core/cmd/datadir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cmd/cli.h"

/* mkdir -p. Returns 0 or -errno (-ENAMETOOLONG past PATH_MAX). */
static int make_dirs(const char *path) {
  char buf[PATH_MAX];
  size_t n = strlen(path);

  if (n == 0 || n >= sizeof(buf))
    return -ENAMETOOLONG;
  memcpy(buf, path, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] != '/' && buf[i] != '\0')
      continue;
    char c = buf[i];
    buf[i] = '\0';
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
      return -errno;
    buf[i] = c;
  }
  return access(path, W_OK) == 0 ? 0 : -errno;
}

/* The pid the holder wrote into the lock file, or 0 when there is none
 * (yet: it writes it just after taking the lock). */
static long holder_pid(int fd) {
  char buf[32];
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  char *end;
  long pid;

  if (n <= 0)
    return 0;
  buf[n] = '\0';
  pid = strtol(buf, &end, 10);
  return end != buf && pid > 0 ? pid : 0;
}

/* This process's pid as the file's whole content (for the next one's
 * message; the lock itself is the flock). */
static void write_pid(int fd) {
  char buf[32];
  int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

  if (ftruncate(fd, 0) == 0)
    (void)!pwrite(fd, buf, (size_t)n, 0);
}

static int refuse(const char *cmd, const char *dir, int fd) {
  long pid = holder_pid(fd);
  char who[48] = "another process";

  if (pid > 0)
    snprintf(who, sizeof(who), "process %ld", pid);
  close(fd);
  core_cli_fail(cmd, "data directory \"%s\" is in use by %s (it holds "
                "%s/" CORE_DATADIR_LOCK_NAME "); stop it first, or give this "
                "one another --data-dir", dir, who, dir);
  return -1;
}

int core_datadir_lock(const char *cmd, const char *dir) {
  char path[PATH_MAX + sizeof(CORE_DATADIR_LOCK_NAME) + 1];
  int rc = make_dirs(dir), fd;

  if (rc < 0) {
    core_cli_fail(cmd, "cannot create --data-dir \"%s\": %s", dir,
                  strerror(-rc));
    return -1;
  }
  snprintf(path, sizeof(path), "%s/" CORE_DATADIR_LOCK_NAME, dir);
  fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    core_cli_fail(cmd, "cannot open the lock file \"%s\": %s", path,
                  strerror(errno));
    return -1;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
    if (errno == EWOULDBLOCK)
      return refuse(cmd, dir, fd);
    core_cli_fail(cmd, "cannot lock \"%s\": %s", path, strerror(errno));
    close(fd);
    return -1;
  }
  write_pid(fd);
  return fd;
}
