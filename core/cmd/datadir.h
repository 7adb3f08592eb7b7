/*
 * core/cmd/datadir.h - the data directory of `sluice run` and `sluice
 * import`: created when absent, and owned by one process at a time.
 *
 * Ownership is an flock(LOCK_EX | LOCK_NB) on DATA_DIR/LOCK, held for the
 * life of the process (the kernel drops it when the process dies, however it
 * dies, so a crash never leaves a stale lock). The holder writes its pid
 * into the file so that a refused process can name it.
 */
#ifndef SLUICE_CORE_CMD_DATADIR_H
#define SLUICE_CORE_CMD_DATADIR_H

/* The lock file's name inside the data directory. */
#define CORE_DATADIR_LOCK_NAME "LOCK"

/*
 * Create dir (and its parents) if absent and take its lock for this
 * process. cmd ("run", "import") prefixes the messages.
 * Returns the lock's fd (close-on-exec; keep it open: closing it releases
 * the lock), or -1 after printing on stderr why: the directory cannot be
 * created or written, or another process holds it (named with its pid
 * when it wrote one, and the fix).
 */
int core_datadir_lock(const char *cmd, const char *dir);

#endif
