/* util/lockfile.h - an exclusive lock on a file, held for as long as the process
 * keeps it: the per-peer sync lock (<data>/sync/<peer>.lock, docs/federation.md 10.3)
 * that `mreza serve`'s scheduler and `mreza sync` both take, so that one peer is
 * never synced twice at once.
 *
 * flock() on a descriptor opened with O_CLOEXEC: the kernel drops the lock when the
 * descriptor is closed, which it does when the process ends however it ends (kill -9
 * included), so a crashed run never leaves a stale lock to be cleaned by hand. The
 * holder writes its pid into the file, only so that the one refused can say who holds
 * it ("a sync is running (pid 4242)"); the pid is never trusted for the lock itself.
 * Locks are per open file: a second mz_lock_try on the same path in the same process
 * is refused too. Not for NFS (flock there is emulated or local-only). */
#ifndef MZ_LOCKFILE_H
#define MZ_LOCKFILE_H

#include "util/err.h"

struct mz_lock {
    int fd; /* the locked descriptor, -1 when not held */
};

/* Take the lock on path (created 0600 if missing) without waiting. MZ_OK: held in
 * *lock until mz_lock_release (or the process ends). MZ_EBUSY: someone holds it;
 * *holder_pid_out (may be NULL) gets the pid it wrote, 0 if unknown, and err says
 * so. MZ_EIO: the file cannot be opened or locked (err names the path). *lock is
 * written only on success. */
enum mz_err mz_lock_try(const char *path, struct mz_lock *lock, long *holder_pid_out,
                        struct mz_error *err);
/* Drop the lock (closing its descriptor). A lock not held (fd -1) is a no-op. The
 * file stays: removing it would race with a process that opened it to lock it. */
void mz_lock_release(struct mz_lock *lock);

#endif
