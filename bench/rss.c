/* bench/rss.c - run one command and report its peak memory and wall time (bench/match).
 *
 *   rss CMD [ARG...]
 *
 * Forks, execs CMD (PATH is searched) with the caller's standard input, output and
 * error, waits with wait4() and then prints one line to standard error:
 *   max_rss_kib=N elapsed_s=X max_anon_kib=M
 * N is the child's ru_maxrss from wait4() (peak resident set in KiB, exact; it counts
 * the resident pages of files the child maps, e.g. a mapped log or index snapshot).
 * M is the peak of RssAnon + RssShmem from /proc/PID/status, sampled every 10 ms: the
 * child's own memory without mapped files (a peak shorter than 10 ms can be missed;
 * 0 where /proc is absent). X is the wall time from fork to exit. The exit status is
 * the command's, or 128 + signal if it was killed; 127 if it could not be run. Used
 * instead of /usr/bin/time, which is not installed everywhere and has no anon figure. */
#include <errno.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* RssAnon + RssShmem of pid in KiB, or -1 if /proc/PID/status cannot be read. */
static long anon_kib(pid_t pid)
{
    char path[64], line[256];
    long total = -1;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        const char *v = NULL;
        if (!strncmp(line, "RssAnon:", 8))
            v = line + 8;
        else if (!strncmp(line, "RssShmem:", 9))
            v = line + 9;
        if (v) {
            long kib = strtol(v, NULL, 10);
            total = (total < 0 ? 0 : total) + (kib > 0 ? kib : 0);
        }
    }
    fclose(f);
    return total;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const struct timespec tick = {0, 10 * 1000 * 1000};
    struct rusage ru;
    long anon, max_anon = 0;
    int status;
    pid_t pid, got;
    double t0;

    if (argc < 2) {
        fputs("usage: rss CMD [ARG...]\n", stderr);
        return 2;
    }
    fflush(NULL);
    t0 = now_s();
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "rss: fork: %s\n", strerror(errno));
        return 127;
    }
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        fprintf(stderr, "rss: cannot run %s: %s\n", argv[1], strerror(errno));
        _exit(127);
    }
    /* The parent ignores the terminal's SIGINT/SIGQUIT while the child runs (as
     * system() does), so that the child's status is still reported. */
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    for (;;) {
        got = wait4(pid, &status, WNOHANG, &ru);
        if (got == pid)
            break;
        if (got < 0 && errno != EINTR) {
            fprintf(stderr, "rss: wait4: %s\n", strerror(errno));
            return 127;
        }
        anon = anon_kib(pid);
        if (anon > max_anon)
            max_anon = anon;
        nanosleep(&tick, NULL);
    }
    fprintf(stderr, "max_rss_kib=%ld elapsed_s=%.3f max_anon_kib=%ld\n", ru.ru_maxrss,
            now_s() - t0, max_anon);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 127;
}
