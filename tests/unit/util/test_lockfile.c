/* tests/unit/util/test_lockfile.c - unit tests of util/lockfile.c (the per-peer sync
 * lock). Covers: a free lock is taken and its file names the holder's pid; a second
 * take of a held lock is refused (MZ_EBUSY) in the same process and in another one,
 * naming the holder; release frees it; a child process that holds the lock and is
 * killed with SIGKILL leaves it free (the kernel drops it: no stale lock). Every wait
 * is for an event (a pipe byte, waitpid), never a sleep. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/lockfile.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mreza-lock-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/peer.lock", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(dir);
    return 0;
}

static void test_take_release_take(void **state)
{
    struct mz_lock a = {-1}, b = {-1};
    struct mz_error err;
    long pid = -1;
    char text[32] = {0};
    FILE *f;

    (void)state;
    assert_int_equal(mz_lock_try(path, &a, &pid, &err), MZ_OK);
    assert_int_equal(pid, 0);
    assert_true(a.fd >= 0);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(text, sizeof text, f));
    fclose(f);
    assert_int_equal(strtol(text, NULL, 10), (long)getpid());

    /* another open file of the same path, same process: refused */
    assert_int_equal(mz_lock_try(path, &b, &pid, &err), MZ_EBUSY);
    assert_int_equal(b.fd, -1);
    assert_int_equal(pid, (long)getpid());
    assert_non_null(strstr(err.msg, "held by pid"));

    mz_lock_release(&a);
    assert_int_equal(a.fd, -1);
    mz_lock_release(&a); /* twice: a no-op */
    assert_int_equal(mz_lock_try(path, &b, NULL, &err), MZ_OK);
    mz_lock_release(&b);
}

static void test_unopenable_path(void **state)
{
    struct mz_lock a = {-1};
    struct mz_error err;

    (void)state;
    assert_int_equal(mz_lock_try("/nonexistent-dir-mreza/x.lock", &a, NULL, &err), MZ_EIO);
    assert_int_equal(a.fd, -1);
    assert_non_null(strstr(err.msg, "/nonexistent-dir-mreza/x.lock"));
}

/* A child takes the lock, says so through a pipe, then blocks reading another pipe
 * that nobody writes; the parent sees the lock held by the child's pid, kills it with
 * SIGKILL, reaps it, and takes the lock. */
static void test_kill9_frees_the_lock(void **state)
{
    int ready[2], block[2];
    struct mz_lock a = {-1};
    struct mz_error err;
    long holder = 0;
    char c = 0;
    pid_t child;
    int status;

    (void)state;
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(block), 0);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct mz_lock mine = {-1};
        char byte = mz_lock_try(path, &mine, NULL, NULL) == MZ_OK ? 'L' : 'E';

        close(ready[0]);
        close(block[1]);
        if (write(ready[1], &byte, 1) != 1)
            _exit(2);
        if (read(block[0], &byte, 1) < 0) /* blocks until killed */
            _exit(4);
        _exit(3);
    }
    close(ready[1]);
    close(block[0]);
    assert_int_equal(read(ready[0], &c, 1), 1);
    assert_int_equal(c, 'L');

    assert_int_equal(mz_lock_try(path, &a, &holder, &err), MZ_EBUSY);
    assert_int_equal(holder, (long)child);

    assert_int_equal(kill(child, SIGKILL), 0);
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);

    assert_int_equal(mz_lock_try(path, &a, &holder, &err), MZ_OK);
    mz_lock_release(&a);
    close(ready[0]);
    close(block[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_take_release_take),
        cmocka_unit_test(test_unopenable_path),
        cmocka_unit_test(test_kill9_frees_the_lock),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
