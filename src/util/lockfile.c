/* util/lockfile.c - see lockfile.h: flock() on an O_CLOEXEC descriptor, the holder's
 * pid written into the file for the message of the one refused. */
#include "util/lockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* The pid written in the file by its holder, 0 if none can be read. */
static long holder_pid(int fd)
{
    char text[32];
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    char *end;
    long pid;

    if (n <= 0)
        return 0;
    text[n] = '\0';
    errno = 0;
    pid = strtol(text, &end, 10);
    if (errno || end == text || pid <= 0)
        return 0;
    return pid;
}

enum mz_err mz_lock_try(const char *path, struct mz_lock *lock, long *holder_pid_out,
                        struct mz_error *err)
{
    char text[32];
    int fd, len;

    if (holder_pid_out)
        *holder_pid_out = 0;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return mz_error_set(err, MZ_EIO, "", "cannot open lock file %s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        long pid = holder_pid(fd);

        close(fd);
        if (e != EWOULDBLOCK)
            return mz_error_set(err, MZ_EIO, "", "cannot lock %s: %s", path, strerror(e));
        if (holder_pid_out)
            *holder_pid_out = pid;
        if (pid)
            return mz_error_set(err, MZ_EBUSY, "", "%s is held by pid %ld", path, pid);
        return mz_error_set(err, MZ_EBUSY, "", "%s is held by another process", path);
    }
    /* ours now: say who holds it (a failure here costs only the message) */
    len = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) == 0 && pwrite(fd, text, (size_t)len, 0) != len && ftruncate(fd, 0) != 0)
        len = 0;
    lock->fd = fd;
    return MZ_OK;
}

void mz_lock_release(struct mz_lock *lock)
{
    if (!lock || lock->fd < 0)
        return;
    close(lock->fd); /* closing the last descriptor of the open file drops the flock */
    lock->fd = -1;
}
